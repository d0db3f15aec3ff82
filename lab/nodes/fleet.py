# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""All the nodes at once: up (create or repair), down, status, the inventory."""
import json
import os
import signal
import shutil

from lab.nodes.names import (APP_PORT, BRIDGE, BRIDGE_ADDRESS, CONFIG, FIRST_NODE, INVENTORY, NAME_RE, NETNS_DIR,
                             NODES_DIR, NS_PREFIX, PREFIX, SSH_KEY, SSH_OPTIONS, SUBNET, VIP_RANGE, NodeError)
from lab.nodes.netns import ensure_bridge, ip, signal_all
from lab.nodes.node import Node, lab_state, load_config, node_named, nodes_from
from lab.nodes.power import ensure_node
from lab.nodes.sshd import ensure_key, sshd_running
from lab.procs import read_text, write_if_changed
from lab.wait import tcp_open


def inventory(config):
    lines = [
        "# Written by lab/nodes: the lab's nodes (network namespaces with sshd).",
        "vigil_lab_nodes:",
        "  hosts:",
    ]
    for node in nodes_from(config):
        lines += [
            "    %s:" % node.name,
            "      ansible_host: %s" % node.address,
            "      vigil_lab_node_dir: %s" % json.dumps(node.data),
        ] + (["      vigil_lab_physical: true"] if node.name in config.get("physical", []) else [])
    lines += [
        "  vars:",
        "    ansible_user: root",
        "    ansible_ssh_private_key_file: %s" % json.dumps(SSH_KEY),
        "    ansible_ssh_common_args: %s" % json.dumps(" ".join(SSH_OPTIONS)),
        "    ansible_python_interpreter: /usr/bin/python3",
        "    vigil_lab_bridge_address: %s" % BRIDGE_ADDRESS,
        "    vigil_lab_prefix: %d" % PREFIX,
        "    vigil_lab_interface: eth0",
        "    vigil_lab_vip: %s.%d" % (SUBNET, VIP_RANGE[0]),
        "",
    ]
    write_if_changed(INVENTORY, "\n".join(lines))
    return INVENTORY


def power_states(state, names):
    """poweredOn/poweredOff of each node's VM, from the lab's control API."""
    import urllib.parse  # pylint: disable=import-outside-toplevel
    import urllib.request  # pylint: disable=import-outside-toplevel
    out = {}
    for name in names:
        url = state["control"] + "/vms?" + urllib.parse.urlencode({"name": name})
        with urllib.request.urlopen(url, timeout=10) as resp:
            vms = json.load(resp)
        out[name] = vms[0]["power_state"] if len(vms) == 1 else "poweredOn"
    return out


def up(lab="default", names=None, log=print, physical=()):
    """Create or repair the nodes of lab `lab` (its named VMs by default), then
    the physical nodes (no VM: a physical node left off by its BMC stays off).
    lab None: standalone hosts without a simulator, always powered on."""
    state = lab_state(lab) if lab else {"vms": []}
    if state is None:
        raise NodeError("lab %s is not running (python3 -m lab start)" % lab)
    physical = [p for p in physical if p]
    names = list(names or state["vms"])
    if set(physical) & set(names):
        raise NodeError("physical nodes %s are VMs of the lab" % sorted(set(physical) & set(names)))
    vm_names, names = names, names + physical
    for name in names:
        if not NAME_RE.match(name):
            raise NodeError("node name %r: use 1-12 of a-z, 0-9, - (it names a network interface)" % name)
    if len(names) > VIP_RANGE[0] - FIRST_NODE:
        raise NodeError("at most %d nodes" % (VIP_RANGE[0] - FIRST_NODE))
    old = load_config()
    if old and old["lab"] != lab and old["lab"] and lab_state(old["lab"]):
        raise NodeError("the nodes belong to lab %s, which is running; stop it first" % old["lab"])
    config = {"lab": lab, "bridge": BRIDGE, "bridge_address": BRIDGE_ADDRESS, "prefix": PREFIX,
              "nodes": {n: "%s.%d" % (SUBNET, FIRST_NODE + i) for i, n in enumerate(names)},
              "physical": physical}
    if old and old["nodes"] != config["nodes"]:
        down(log=lambda *a: None)
    os.makedirs(NODES_DIR, exist_ok=True)
    ensure_key()
    write_if_changed(CONFIG, json.dumps(config, indent=2) + "\n")
    ensure_bridge()
    powers = power_states(state, vm_names) if lab else dict.fromkeys(vm_names, "poweredOn")
    for name in physical:
        node = Node(name, config["nodes"][name])
        powers[name] = "poweredOff" if node.ns_exists() and node.power() == "poweredOff" else "poweredOn"
    for node in nodes_from(config):
        result = ensure_node(node, powers[node.name] == "poweredOn")
        log("node %s %s (%s): %s" % (node.name, node.address, node.ns, result))
    log("nodes: inventory %s, key %s" % (inventory(config), SSH_KEY))
    return config


def down(log=print):
    """Kill everything in the lab's namespaces and remove them, the veths and the bridge."""
    config = load_config()
    if os.path.exists(CONFIG):
        os.remove(CONFIG)   # from now on the power hook does nothing
    nodes = nodes_from(config) if config else []
    known = {n.ns for n in nodes}
    if os.path.isdir(NETNS_DIR):
        nodes += [Node(ns[len(NS_PREFIX):], None) for ns in sorted(os.listdir(NETNS_DIR))
                  if ns.startswith(NS_PREFIX) and ns not in known]
    for node in nodes:
        with node.lock():
            if node.ns_exists():
                signal_all(node.ns, signal.SIGKILL)
                ip("netns", "del", node.ns, check=False)
                log("node %s removed" % node.name)
            ip("link", "del", node.veth, check=False)
            for path in (node.sshd_pid, node.app_pid, node.power_file):
                if os.path.exists(path):
                    os.remove(path)
            shutil.rmtree(node.run, ignore_errors=True)  # a node that is gone keeps no /run
    if os.path.exists("/sys/class/net/" + BRIDGE):
        ip("link", "del", BRIDGE, check=False)
        log("bridge %s removed" % BRIDGE)


def node_status(node):
    exists = node.ns_exists()
    return {
        "address": node.address,
        "namespace": node.ns if exists else None,
        "power": node.power() if exists else None,
        "link": read_text("/sys/class/net/%s/operstate" % node.veth) or None,
        "sshd_pid": sshd_running(node) if exists else None,
        "ssh": tcp_open(node.address, 22) if exists else False,
        "app": tcp_open(node.address, APP_PORT) if exists else False,
        "processes": len(node.pids()),
    }


def status():
    config = load_config()
    if not config:
        return {}
    return {n.name: node_status(n) for n in nodes_from(config)}


def ssh_argv(name, command=()):
    node = node_named(name)
    return ["ssh", "-i", SSH_KEY] + SSH_OPTIONS + ["root@" + node.address] + list(command)
