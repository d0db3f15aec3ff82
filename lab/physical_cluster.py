# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A guest-mode cluster of one physical node and one VM node, as a user
would write it: the lab's physical node (phys1, powered by its own IPMI BMC,
lab/bmc.py) fenced with Debian's fence_ipmilan, the VM node through
vCenter, and a hierarchy like the lab's `web` (a virtual IP and the demo
application with an http check) preferring the physical node. The BMC's
password is in a vars file of its own, as a vault would give it.
Used by tests/lab/test_physical_node.py and the chaos scenario physical_owner_hung."""
from __future__ import annotations

import json
import os
import subprocess
import urllib.request

from lab import nodes
from lab.control import Control
from lab.nodes.names import PREFIX

PHYSICAL = "phys1"
HIERARCHY = "pweb"
VIP_HOST = 101  # the lab's `web` has .100


def vip(lab):
    return "%s.%d" % (lab["lab_vip"].split("/")[0].rsplit(".", 1)[0], VIP_HOST)


def vip_url(lab):
    return "http://%s:%d/" % (vip(lab), nodes.APP_PORT)


def vip_answer(lab):
    try:
        with urllib.request.urlopen(vip_url(lab), timeout=3) as resp:
            return resp.read().decode().strip()
    except OSError:
        return None


def bmc(lab):
    if PHYSICAL not in lab.get("lab_bmcs", {}):
        raise RuntimeError("the lab has no physical node %s with a BMC: python3 -m lab stop, then start"
                           % PHYSICAL)
    return lab["lab_bmcs"][PHYSICAL]


def write(lab, directory, vm_node="node3", data_dir=None, secret_in_inventory=False):
    """Inventory and vars files in ``directory``: ``(inventory, "@vars", password)``.
    data_dir: one directory for the demo app on both nodes (the chaos suite's
    shared disk); by default each node's own. secret_in_inventory: the
    password also as a host variable of phys1 in the inventory (as a vaulted
    host_vars file gives it), for ansible-rulebook, whose --vars do not reach
    the playbooks it runs; that inventory is a .json file, like the vars."""
    vm = Control(lab["lab_control_url"]).vm(vm_node)
    b = bmc(lab)
    address = [n["address"] for n in lab["lab_physical_nodes"] if n["name"] == PHYSICAL][0]
    vm_address = [n["address"] for n in lab["lab_nodes"] if n["name"] == vm_node][0]
    data = data_dir or "${VIGIL_LAB_NODE_DIR}/" + HIERARCHY
    app = "/usr/bin/python3 %s --data-dir %s" % (lab["lab_demo_app"], data)
    hosts = {
        PHYSICAL: {"ansible_host": address, "vigil_ha_node": {
            "mode": "guest", "physical": True,
            "fencing": {"levels": [{
                "method": "fence_agent", "agent": "fence_ipmilan", "timeout": 10,
                "password": "{{ lab_phys1_bmc_password }}",
                "options": {"ip": b["address"], "ipport": b["port"], "username": b["username"], "lanplus": 1}}]}}},
        vm_node: {"ansible_host": vm_address, "vigil_ha_node": {
            "mode": "guest", "vm": {"uuid": vm["uuid"]}, "fencing": {"method": "vcenter_poweroff"}}},
    }
    inventory = {"vigil_ha_cluster": {"hosts": hosts, "vars": {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": lab["lab_ssh_key"],
        "ansible_ssh_common_args": " ".join(nodes.SSH_OPTIONS),
        "ansible_python_interpreter": "/usr/bin/python3",
        "vigil_ha_hierarchies": [{
            "name": HIERARCHY,
            "nodes": [{"node": PHYSICAL, "priority": 1}, {"node": vm_node, "priority": 2}],
            "policy": {"local_recovery": {"attempts": 1, "window": 300}, "failover": {"max": 5, "window": 3600},
                       "switchback": "manual", "confirm_failover": False},
            "resources": [
                {"name": HIERARCHY + "-vip", "kind": "ip",
                 "params": {"address": "%s/%d" % (vip(lab), PREFIX), "interface": "eth0"}},
                {"name": HIERARCHY + "-app", "kind": "service", "depends_on": [HIERARCHY + "-vip"],
                 "params": {"command": app, "pidfile": "${VIGIL_LAB_NODE_RUN}/%s-app.pid" % HIERARCHY,
                            "stop_timeout": 10},
                 "check": {"interval": 3, "timeout": 2, "http": {"url": vip_url(lab)}}},
            ],
        }],
    }}}
    if secret_in_inventory:
        hosts[PHYSICAL]["lab_phys1_bmc_password"] = b["password"]
    path = os.path.join(directory, "cluster-physical.json" if secret_in_inventory else "cluster-physical.yml")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(inventory, f, indent=2)  # JSON is YAML
    secrets = os.path.join(directory, "physical-vars.json")  # as a vault would give it
    fd = os.open(secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"lab_phys1_bmc_password": b["password"]}, f)
    return path, "@" + secrets, b["password"]


def ipmitool(bmc, *command):
    """Ask a lab BMC with Debian's ipmitool (lanplus); its output. The password goes through the
    environment (-E), never on the command line."""
    env = dict(os.environ, IPMI_PASSWORD=bmc["password"])
    proc = subprocess.run(["ipmitool", "-I", "lanplus", "-C", "3", "-H", bmc["address"], "-p", str(bmc["port"]),
                           "-U", bmc["username"], "-E"] + list(command),
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    return proc.stdout.strip() + proc.stderr.strip()


def power(state):
    """Drive phys1 as its power button and the lab's faults do (lab.nodes power)."""
    return nodes.power(PHYSICAL, state)
