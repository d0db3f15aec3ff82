# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the lab writes for playbooks: vcenter.json (the variables to reach it)
and the clusters' inventories, written as a user would write them."""
import json
import os

from lab import nodes
from lab.bmcs import bmc_state
from lab.control import Control
from lab.nodes.names import INVENTORY, PREFIX, SUBNET, VIP_RANGE
from lab.paths import LAB_ROOT, lab_dir
from lab.simulator import USERNAME, password, running


def control(name):
    state = running(name)
    if not state:
        raise SystemExit("lab %s is not running (python3 -m lab start)" % name)
    return Control(state["control"])


def write_vars(name, state):
    """The Ansible variables a playbook needs to reach this lab (mode 0600)."""
    d = lab_dir(name)
    lines = {
        "vcenter_hostname": state["hostname"],
        "vcenter_port": state["port"],
        "vcenter_username": USERNAME,
        "vcenter_password": password(),
        "vcenter_validate_certs": True,
        "vcenter_ca_path": os.path.join(LAB_ROOT, "pki", "ca.pem"),
        "lab_rogue_ca_path": os.path.join(LAB_ROOT, "pki", "rogue-ca.pem"),
        "lab_control_url": state["control"],
        "lab_datacenter": state["datacenter"],
        "lab_cluster": state["cluster"],
        "lab_hosts": state["hosts"],
        "lab_vms": state["vms"],
        "lab_fillers": state["fillers"],
    }
    bmcs = bmc_state(name)
    if bmcs:
        # {host: {address, port, username, password}}, for fence_ipmilan and ipmitool.
        lines["lab_bmcs"] = bmcs["bmcs"]
    addresses = host_addresses(name)
    if addresses:
        # {host: {address, port}}: each ESXi host's management endpoint (its hostd), which host mode probes.
        lines["lab_host_addresses"] = addresses
    if state["fillers"] >= 2 and len(state["hosts"]) >= 2:
        lines["lab_host_cluster_inventory"] = write_host_cluster_inventory(name, state)
    config = nodes.load_config() if nodes.owner() == name else None
    if config:
        physical = nodes.physical_of(config)
        # Enough for a test to add the nodes with add_host and to run kits there.
        lines.update({
            "lab_nodes": [{"name": n.name, "address": n.address, "data_dir": n.data}
                          for n in nodes.nodes_from(config) if n.name not in physical],
            # No VM: each is powered by its own BMC (lab_bmcs[name]).
            "lab_physical_nodes": [{"name": n.name, "address": n.address, "data_dir": n.data}
                                   for n in nodes.nodes_from(config) if n.name in physical],
            "lab_ssh_key": nodes.SSH_KEY,
            "lab_nodes_inventory": INVENTORY,
            "lab_vip": "%s.%d/%d" % (SUBNET, VIP_RANGE[0], PREFIX),
            "lab_demo_app": nodes.DEMO_APP,
            "lab_cluster_inventory": write_cluster_inventory(name, config),
        })
    path = os.path.join(d, "vcenter.json")
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(lines, f, indent=2)
    os.replace(path + ".tmp", path)
    return path


def write_cluster_inventory(name, config):
    """A vigil.ha cluster of the lab's nodes, as a user would write it: the
    hierarchy `web` (virtual IP, the demo application, an http check) on
    node1 and node2, node3 spare. Nodes name their VMs by UUID and MoRef."""
    vip = "%s.%d" % (SUBNET, VIP_RANGE[0])
    hosts = {}
    for node in nodes.nodes_from(config):
        if node.name in nodes.physical_of(config):
            continue  # no VM; tests that want it write their own inventory
        vm = control(name).vm(node.name)
        hosts[node.name] = {"ansible_host": node.address,
                            "vigil_ha_node": {"mode": "guest", "vm": {"uuid": vm["uuid"], "moref": vm["moref"]}}}
    app = "/usr/bin/python3 %s --data-dir ${VIGIL_LAB_NODE_DIR}/web" % nodes.DEMO_APP
    inventory = {"vigil_ha_cluster": {"hosts": hosts, "vars": {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": nodes.SSH_KEY,
        "ansible_ssh_common_args": " ".join(nodes.SSH_OPTIONS),
        "ansible_python_interpreter": "/usr/bin/python3",
        "vigil_ha_hierarchies": [{
            "name": "web",
            "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}],
            "policy": {"local_recovery": {"attempts": 2, "window": 300}, "failover": {"max": 3, "window": 3600},
                       "switchback": "manual", "confirm_failover": False},
            "resources": [
                {"name": "web-vip", "kind": "ip", "params": {"address": "%s/%d" % (vip, PREFIX),
                                                             "interface": "eth0"}},
                {"name": "web-app", "kind": "service", "depends_on": ["web-vip"],
                 "params": {"command": app, "pidfile": "${VIGIL_LAB_NODE_RUN}/web-app.pid", "stop_timeout": 10},
                 "check": {"interval": 3, "timeout": 2, "http": {"url": "http://%s:%d/" % (vip, nodes.APP_PORT)}}},
            ],
        }],
    }}}
    return write_inventory(name, "cluster.yml", "the lab's vigil.ha cluster", inventory)


def write_inventory(name, filename, what, inventory):
    path = os.path.join(lab_dir(name), filename)
    with open(path + ".tmp", "w") as f:
        f.write("# Written by the lab (python3 -m lab): %s.\n" % what)
        json.dump(inventory, f, indent=2)  # JSON is YAML
    os.replace(path + ".tmp", path)
    return path


def write_host_cluster_inventory(name, state):
    """A host-mode cluster, as a user would write it: the ESXi hosts are the
    nodes and the hierarchy `erp` is two whole VMs (filler-00001 the
    database, filler-00002 the application that needs it) on esxi-01.lab,
    then esxi-02.lab. Nothing here is reached over SSH."""
    esxi = list(state["hosts"])
    hosts = dict((h, {"vigil_ha_node": {"mode": "host", "esxi": h, "fencing": {"method": "vcenter_poweroff"}}})
                 for h in esxi)
    for host, where in host_addresses(name).items():  # probed by the watcher and the failover
        hosts[host]["vigil_ha_node"]["check"] = {"address": where["address"], "port": where["port"],
                                                 "interval": 2, "timeout": 1}
    vm = dict((n, control(name).vm(n)["uuid"]) for n in ("filler-00001", "filler-00002"))
    inventory = {"vigil_ha_cluster": {"hosts": hosts, "vars": {"vigil_ha_hierarchies": [{
        "name": "erp",
        "nodes": [{"node": esxi[0], "priority": 1}, {"node": esxi[1], "priority": 2}],
        "policy": {"local_recovery": {"attempts": 2, "window": 300}, "failover": {"max": 3, "window": 3600},
                   "switchback": "manual", "confirm_failover": False},
        "resources": [
            {"name": "erp-db", "kind": "vm", "params": {"uuid": vm["filler-00001"], "tools_timeout": 30}},
            {"name": "erp-app", "kind": "vm", "depends_on": ["erp-db"],
             "params": {"uuid": vm["filler-00002"], "tools_timeout": 30}},
        ],
    }]}}}
    return write_inventory(name, "cluster-host.yml", "the lab's host-mode vigil.ha cluster", inventory)


def host_addresses(name):
    """``{host: {address, port}}`` of the ESXi hosts' management endpoints ({} from an older simulator)."""
    return dict((h["name"], {"address": h["mgmt_address"], "port": h["mgmt_port"]})
                for h in control(name).hosts() if h.get("mgmt_port"))
