# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's nodes: network namespaces with sshd that follow their VM's power.

Usage:
  python3 -m lab.nodes up [--lab NAME] [--physical a,b]   create the nodes of a running lab, or repair them
  python3 -m lab.nodes down                   kill everything in the namespaces, remove them
  python3 -m lab.nodes status [--json]        reachability of each node
  python3 -m lab.nodes power NODE STATE       the simulator's power hook (poweredOn|poweredOff|suspended|crashed)
  python3 -m lab.nodes app start|stop|status NODE   the demo application on a node (port 8080)
  python3 -m lab.nodes ssh NODE [COMMAND...]  ssh to a node as root with the lab's key

Each node NAME is a network namespace vigil-NAME, joined by a veth pair
(vb-NAME in the root namespace, eth0 inside) to the bridge vigil-br0
(10.99.0.1/24) and running its own sshd on 10.99.0.(11+i):22, in its own UTS
namespace (hostname NAME). Files live in .lab/nodes/NAME/: the sshd
configuration, host key, pid and log files, and data/, the node's own
directory (nodes share the machine's file system, so whatever a node keeps
goes under its data/). The lab's SSH key is .lab/ssh/id_ed25519; the Ansible
inventory is .lab/nodes/inventory.yml (group vigil_lab_nodes). With
VIGIL_LAB_NET=N (1-9) the names become vigilN-NAME, vbN-NAME, vigil-brN and
10.99.N.x, so two checkouts can each run a lab on one machine. With
VIGIL_LAB_NODES=molecule the names are vmolN-NAME, vmN-NAME, vmol-brN and
10.98.N.x (Molecule's test hosts, `up --standalone`: no simulator, always on).

`power` is what makes fencing real: poweredOff takes the node off the bridge
and SIGKILLs every process in its namespace; poweredOn brings the link back
with only the node's own address and starts sshd (what a booted VM runs);
suspended takes the link down and SIGSTOPs the processes, and a later
poweredOn SIGCONTs them. Standard library only.

Physical nodes (`up --physical phys1`, the default lab has one)
are the same namespaces with the next addresses, but no VM: the simulator
never calls their power hook. Their power is driven by their own BMC (bmc.py
calls `power` here: off is poweredOff, on a fresh boot) and by the lab's
faults: `hang` is suspended (link down, every process SIGSTOPped: the
machine is on but answers nothing), `crash` is crashed (a kernel panic:
off the network, every process gone, yet the power stays on, so its BMC
says on until it is fenced). In the inventory they have
vigil_lab_physical: true; nodes.json lists them under "physical".

The package, one file a job: names.py (names, addresses, paths), node.py
(one node, nodes.json), netns.py (namespaces, veths, the bridge), sshd.py,
power.py (boot, off, the power hook), app.py (the demo application),
fleet.py (all nodes: up, down, status, inventory), __main__.py (the CLI).
What the rest of the lab and the tests use is imported here.
"""
from lab.nodes.app import app
from lab.nodes.fleet import down, inventory, node_status, ssh_argv, status, up
from lab.nodes.names import APP_PORT, DEMO_APP, LAB_ROOT, NODES_DIR, POWER_STATES, SSH_KEY, SSH_OPTIONS, NodeError
from lab.nodes.netns import ip, ns_pids, signal_all
from lab.nodes.node import Node, load_config, node_named, nodes_from, owner, physical_of
from lab.nodes.power import power
from lab.procs import alive, read_pid, read_text
from lab.wait import tcp_open

__all__ = ["APP_PORT", "DEMO_APP", "LAB_ROOT", "NODES_DIR", "POWER_STATES", "SSH_KEY", "SSH_OPTIONS", "Node", "NodeError",
           "alive", "app", "down", "inventory", "ip", "load_config", "node_named", "node_status", "nodes_from", "ns_pids",
           "owner", "physical_of", "power", "read_pid", "read_text", "signal_all", "ssh_argv", "status", "tcp_open", "up"]
