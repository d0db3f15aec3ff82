# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster validator: a good base, many small breakages, the exact messages."""
from __future__ import annotations

import copy
import os

import pytest
import yaml

from ansible_collections.vigil.ha.plugins.module_utils.config import validation
from ansible_collections.vigil.ha.plugins.module_utils.config.validation import ConfigError, load, validate

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
EXAMPLE = os.path.join(ROOT, "docs", "examples", "cluster")

U1 = "4213a1c5-7d1e-8f1a-2b3c-4d5e6f708101"
U2 = "4213b7e2-19c4-4d8a-9f6e-0a1b2c3d4e51"
U3 = "4213c9f3-2ad5-4e9b-8a7f-1b2c3d4e5f62"

NODES = {
    "node1": {"mode": "guest", "vm": {"uuid": U1}},
    "node2": {"mode": "guest", "vm": {"moref": "vm-102"}},
    "esx1": {"mode": "host", "esxi": "esxi-01.lab", "fencing": {"method": "vcenter_poweroff"}},
    "esx2": {"mode": "host", "esxi": "esxi-02.lab", "fencing": {"method": "vcenter_poweroff"}},
}
HIERARCHIES = [
    {
        "name": "web",
        "nodes": [{"node": "node2", "priority": 2}, {"node": "node1", "priority": 1}],
        "resources": [
            {"name": "vip", "kind": "ip", "params": {"address": "10.99.0.100/24", "interface": "eth0"}},
            {"name": "app", "kind": "service", "params": {"unit": "demo.service"}, "depends_on": ["vip"],
             "check": {"http": {"url": "http://10.99.0.100:8080/"}}},
        ],
    },
    {
        "name": "erp",
        "nodes": [{"node": "esx1", "priority": 1}, {"node": "esx2", "priority": 2}],
        "policy": {"switchback": "automatic"},
        "resources": [
            {"name": "db", "kind": "vm", "params": {"uuid": U2}},
            {"name": "app", "kind": "vm", "params": {"uuid": U3}, "depends_on": ["db"]},
        ],
    },
]


def base():
    return copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)


def res(hierarchies, hname, rname):
    h = next(h for h in hierarchies if h["name"] == hname)
    return next(r for r in h["resources"] if r["name"] == rname)


def web(hierarchies):
    return hierarchies[0]


def errors_of(nodes, hierarchies):
    with pytest.raises(ConfigError) as info:
        validate(nodes, hierarchies)
    return info.value.errors


# Each case: a small change to the base (a function of nodes and hierarchies)
# and the exact errors it must produce.
KINDS = "filesystem, http, ip, script, service, tcp, vm"
BAD = [
    ("unknown kind",
     lambda n, h: res(h, "web", "vip").update(kind="vlan"),
     ["hierarchy 'web', resource 'vip', kind: unknown kind 'vlan' (known: %s)" % KINDS]),
    ("missing kind",
     lambda n, h: res(h, "web", "vip").pop("kind"),
     ["hierarchy 'web', resource 'vip', kind: required (one of %s)" % KINDS]),
    ("unknown resource key",
     lambda n, h: res(h, "web", "vip").update(prio=1),
     ["hierarchy 'web', resource 'vip', prio: unknown key (known: check, depends_on, kind, name, params, replicated)"]),
    ("unknown param",
     lambda n, h: res(h, "web", "vip")["params"].update(mask="24"),
     ["hierarchy 'web', resource 'vip', params.mask: unknown key for kind ip (known: address, arp_count, interface)"]),
    ("unknown node key",
     lambda n, h: n["node1"].update(role="primary"),
     ["node 'node1', role: unknown key (known: check, esxi, fencing, maintenance, mode, physical, vm)"]),
    ("unknown node vm key",
     lambda n, h: n["node1"]["vm"].update(name="node1"),
     ["node 'node1', vm.name: unknown key (known: moref, uuid)"]),
    ("unknown hierarchy key",
     lambda n, h: web(h).update(owner="ops"),
     ["hierarchy 'web', owner: unknown key (known: maintenance, name, nodes, policy, resources)"]),
    ("unknown hierarchy node entry key",
     lambda n, h: web(h)["nodes"][1].update(weight=5),
     ["hierarchy 'web', node 'node1', weight: unknown key (known: node, priority)"]),
    ("unknown policy key",
     lambda n, h: web(h).update(policy={"failback": "manual"}),
     ["hierarchy 'web', policy.failback: unknown key (known: confirm_failover, failover, local_recovery, max_lag, rto, rto_enforce, switchback)"]),
    ("unknown local_recovery key",
     lambda n, h: web(h).update(policy={"local_recovery": {"retries": 3}}),
     ["hierarchy 'web', policy.local_recovery.retries: unknown key (known: attempts, window)"]),
    ("unknown check key",
     lambda n, h: res(h, "web", "app")["check"].update(retries=2),
     ["hierarchy 'web', resource 'app', check.retries: unknown key (known: interval, timeout, confirm, tcp, http)"]),
    ("check confirm zero",
     lambda n, h: res(h, "web", "app")["check"].update(confirm=0),
     ["hierarchy 'web', resource 'app', check.confirm: must be 1 to 10 failed checks in a row, not 0"]),
    ("check confirm not an integer",
     lambda n, h: n["node1"].update(check={"confirm": "twice"}),
     ["node 'node1', check.confirm: must be an integer, not 'twice'"]),
    ("unknown fencing key",
     lambda n, h: n["node1"].update(fencing={"method": "vcenter_poweroff", "after": 5}),
     ["node 'node1', fencing.after: unknown key (known: delay, levels, method)"]),
    ("node maintenance not a bool",
     lambda n, h: n["node1"].update(maintenance="yes"),
     ["node 'node1', maintenance: must be true or false, not 'yes'"]),
    ("hierarchy maintenance not a bool",
     lambda n, h: web(h).update(maintenance=1),
     ["hierarchy 'web', maintenance: must be true or false, not 1"]),
    ("priority of the wrong type",
     lambda n, h: web(h)["nodes"][1].update(priority="1"),
     ["hierarchy 'web', node 'node1', priority: must be an integer, not '1'"]),
    ("param of the wrong type",
     lambda n, h: res(h, "web", "vip")["params"].update(arp_count="3"),
     ["hierarchy 'web', resource 'vip', params.arp_count: must be an integer, not '3'"]),
    ("depends_on not a list",
     lambda n, h: res(h, "web", "app").update(depends_on="vip"),
     ["hierarchy 'web', resource 'app', depends_on: must be a list"]),
    ("hierarchy not a mapping",
     lambda n, h: h.__setitem__(0, "web"),
     ["hierarchies[0]: must be a mapping"]),
    ("missing required param",
     lambda n, h: res(h, "web", "vip")["params"].pop("address"),
     ["hierarchy 'web', resource 'vip', params.address: required for kind ip"]),
    ("one_of: neither",
     lambda n, h: res(h, "web", "app").update(params={"workdir": "/opt"}),
     ["hierarchy 'web', resource 'app', params: exactly one of unit, command is required (got none)"]),
    ("one_of: both",
     lambda n, h: res(h, "erp", "db")["params"].update(moref="vm-3"),
     ["hierarchy 'erp', resource 'db', params: exactly one of uuid, moref is required (got uuid, moref)"]),
    ("vm resource named by MoRef only",
     lambda n, h: res(h, "erp", "app").update(params={"moref": "vm-7"}),
     ["hierarchy 'erp', resource 'app', params.moref: a vm resource is named by params.uuid (its BIOS UUID, "
      "config.uuid), not by MoRef: a failover registers the VM again, which gives it a new MoRef"]),
    ("missing dependency",
     lambda n, h: res(h, "web", "app").update(depends_on=["vip", "db"]),
     ["hierarchy 'web', resource 'app', depends_on: 'db' is not a resource of this hierarchy"]),
    ("dependency cycle",
     lambda n, h: res(h, "web", "vip").update(depends_on=["app"]),
     ["hierarchy 'web', resource 'vip', depends_on: dependency cycle vip -> app -> vip"]),
    ("depends on itself",
     lambda n, h: res(h, "erp", "db").update(depends_on=["db"]),
     ["hierarchy 'erp', resource 'db', depends_on: dependency cycle db -> db"]),
    ("dependency listed twice",
     lambda n, h: res(h, "web", "app").update(depends_on=["vip", "vip"]),
     ["hierarchy 'web', resource 'app', depends_on: 'vip' listed twice"]),
    ("duplicate resource name",
     lambda n, h: web(h)["resources"].append(
         {"name": "vip", "kind": "ip", "params": {"address": "10.99.0.101/24", "interface": "eth0"}}),
     ["hierarchy 'web', resources[2], name: 'vip' is also the name of resources[0]"]),
    ("bad resource name",
     lambda n, h: res(h, "web", "vip").update(name="web vip"),
     ["hierarchy 'web', resources[0], name: must be letters, digits, '.', '_' or '-', starting with a letter "
      "or digit, not 'web vip'",
      "hierarchy 'web', resource 'app', depends_on: 'vip' is not a resource of this hierarchy"]),
    ("duplicate hierarchy name",
     lambda n, h: h[1].update(name="web"),
     ["hierarchies[1], name: 'web' is also the name of hierarchies[0]"]),
    ("duplicate priority",
     lambda n, h: web(h)["nodes"][0].update(priority=1),
     ["hierarchy 'web', node 'node1', priority: 1 is also the priority of node 'node2'"]),
    ("duplicate node in a hierarchy",
     lambda n, h: web(h)["nodes"].append({"node": "node1", "priority": 3}),
     ["hierarchy 'web', node 'node1': listed twice"]),
    ("node not in the group",
     lambda n, h: web(h)["nodes"].append({"node": "node9", "priority": 3}),
     ["hierarchy 'web', node 'node9': not a host of the cluster group"]),
    ("node entry without priority",
     lambda n, h: web(h)["nodes"][0].pop("priority"),
     ["hierarchy 'web', node 'node2', priority: required (an integer, lower is preferred)"]),
    ("virtual IP claimed by two hierarchies",
     lambda n, h: h.append({
         "name": "db", "nodes": [{"node": "node1", "priority": 1}],
         "resources": [{"name": "db-vip", "kind": "ip", "params": {"address": "10.99.0.100/16", "interface": "eth1"}}]}),
     ["hierarchy 'db', resource 'db-vip', params.address: 10.99.0.100 is also claimed by hierarchy 'web', resource 'vip'"]),
    ("automatic failover onto a node without fencing",
     lambda n, h: n["node2"].update(fencing={"method": "none"}),
     ["hierarchy 'web', policy.confirm_failover: false (automatic failover) needs fencing on every node, and "
      "fencing.method is none on node2 (configure fencing or set confirm_failover: true)"]),
    ("physical node (no fencing by default) with automatic failover",
     lambda n, h: n.update(node2={"mode": "guest", "physical": True}),
     ["hierarchy 'web', policy.confirm_failover: false (automatic failover) needs fencing on every node, and "
      "fencing.method is none on node2 (configure fencing or set confirm_failover: true)"]),
    ("ESXi nodes without fencing (the default) with automatic failover",
     lambda n, h: [n[e].pop("fencing") for e in ("esx1", "esx2")],
     ["hierarchy 'erp', policy.confirm_failover: false (automatic failover) needs fencing on every node, and "
      "fencing.method is none on esx1, esx2 (configure fencing or set confirm_failover: true)"]),
    ("two VM nodes with the same UUID",
     lambda n, h: n["node2"]["vm"].update(uuid=U1.upper()),
     ["node 'node2', vm.uuid: same VM as node 'node1'"]),
    ("two VM nodes with the same MoRef",
     lambda n, h: n["node1"]["vm"].update(moref="vm-102"),
     ["node 'node2', vm.moref: same VM as node 'node1'"]),
    ("two vm resources with the same UUID",
     lambda n, h: res(h, "erp", "app").update(params={"uuid": U2}),
     ["hierarchy 'erp', resource 'app', params.uuid: same VM as hierarchy 'erp', resource 'db'"]),
    ("VM node naming its VM with neither UUID nor MoRef",
     lambda n, h: n["node1"].update(vm={}),
     ["node 'node1', vm: give uuid or moref (a VM is never named by its name alone)"]),
    ("VM node without vm",
     lambda n, h: n["node1"].pop("vm"),
     ["node 'node1', vm: required for a guest node that is not physical (uuid or moref)"]),
    ("physical node with a vm",
     lambda n, h: n["node1"].update(physical=True, fencing={"method": "none"}),
     ["node 'node1', vm: not for a physical node",
      "hierarchy 'web', policy.confirm_failover: false (automatic failover) needs fencing on every node, and "
      "fencing.method is none on node1 (configure fencing or set confirm_failover: true)"]),
    ("not a UUID",
     lambda n, h: n["node1"]["vm"].update(uuid="node1"),
     ["node 'node1', vm.uuid: not a UUID (8-4-4-4-12 hexadecimal digits): 'node1'"]),
    ("node check timeout not below interval",
     lambda n, h: n["node1"].update(check={"interval": 2, "timeout": 2}),
     ["node 'node1', check.timeout: must be less than check.interval (2), not 2"]),
    ("node check interval zero",
     lambda n, h: n["node1"].update(check={"interval": 0}),
     ["node 'node1', check.interval: must be greater than 0, not 0"]),
    ("resource check timeout above interval",
     lambda n, h: res(h, "web", "app")["check"].update(interval=5, timeout=10),
     ["hierarchy 'web', resource 'app', check.timeout: must be less than check.interval (5), not 10"]),
    ("endpoint timeout above check timeout",
     lambda n, h: res(h, "web", "app")["check"]["http"].update(timeout=9),
     ["hierarchy 'web', resource 'app', check.http.timeout: must not be more than check.timeout (5), not 9"]),
    ("negative kit timeout",
     lambda n, h: res(h, "web", "app")["params"].update(stop_timeout=-1),
     ["hierarchy 'web', resource 'app', params.stop_timeout: must be greater than 0, not -1"]),
    ("local recovery window zero",
     lambda n, h: web(h).update(policy={"local_recovery": {"window": 0}}),
     ["hierarchy 'web', policy.local_recovery.window: must be greater than 0, not 0"]),
    ("negative local recovery attempts",
     lambda n, h: web(h).update(policy={"local_recovery": {"attempts": -1}}),
     ["hierarchy 'web', policy.local_recovery.attempts: must be 0 or more, not -1"]),
    ("negative failover window",
     lambda n, h: web(h).update(policy={"failover": {"window": -60}}),
     ["hierarchy 'web', policy.failover.window: must be greater than 0, not -60"]),
    ("bad switchback",
     lambda n, h: web(h).update(policy={"switchback": "sometimes"}),
     ["hierarchy 'web', policy.switchback: must be one of manual, automatic, not 'sometimes'"]),
    ("confirm_failover not a boolean",
     lambda n, h: web(h).update(policy={"confirm_failover": "yes"}),
     ["hierarchy 'web', policy.confirm_failover: must be true or false, not 'yes'"]),
    ("vm kind on guest nodes",
     lambda n, h: web(h)["resources"].append({"name": "db-vm", "kind": "vm", "params": {"uuid": "4213d0a4-3be6-4f0c-9b8a-2c3d4e5f6a73"}}),
     ["hierarchy 'web', resource 'db-vm', kind: vm resources need host mode nodes (ESXi hosts), and this "
      "hierarchy's nodes are guest mode"]),
    ("node kind on ESXi nodes",
     lambda n, h: h[1]["resources"].append(
         {"name": "vip2", "kind": "ip", "params": {"address": "10.99.0.102/24", "interface": "eth0"}}),
     ["hierarchy 'erp', resource 'vip2', kind: ip resources run on guest mode nodes, and this hierarchy's nodes "
      "are ESXi hosts (host mode)"]),
    ("guest and host nodes mixed",
     lambda n, h: web(h)["nodes"].append({"node": "esx1", "priority": 3}),
     ["hierarchy 'web', nodes: mixes guest mode (node1) and host mode (esx1) nodes"]),
    ("hierarchy without resources",
     lambda n, h: web(h).update(resources=[]),
     ["hierarchy 'web', resources: must list at least one resource"]),
    ("hierarchy without nodes",
     lambda n, h: web(h).pop("nodes"),
     ["hierarchy 'web', nodes: must list at least one node"]),
    ("bad node mode",
     lambda n, h: n["node1"].update(mode="vm"),
     ["node 'node1', mode: must be one of guest, host, not 'vm'"]),
    ("bad fencing method",
     lambda n, h: n["node1"].update(fencing={"method": "ipmi"}),
     ["node 'node1', fencing.method: must be one of vcenter_poweroff, fence_agent, none, not 'ipmi'"]),
    ("fence agent without its name and the controller's address",
     lambda n, h: n["node1"].update(fencing={"levels": [{"method": "fence_agent", "options": {"username": "x"}}]}),
     ["node 'node1', fencing.levels[0].agent: required for fence_agent (the fence agent's name, such as "
      "fence_ipmilan)"]),
    ("fence agent that is not a fence agent",
     lambda n, h: n["node1"].update(fencing={"levels": [{"method": "fence_agent", "agent": "/bin/sh",
                                                         "options": {"ip": "10.0.0.5"}}]}),
     ["node 'node1', fencing.levels[0].agent: must be a fence agent's name (fence_ipmilan, fence_redfish, ...), "
      "not '/bin/sh'"]),
    ("fence agent password among the options (where ps and logs would show it)",
     lambda n, h: n["node1"].update(fencing={"levels": [{"method": "fence_agent", "agent": "fence_ipmilan",
                                                         "options": {"ip": "10.0.0.5", "password": "pw"}}]}),
     ["node 'node1', fencing.levels[0].options.password: set by vigil.ha or a secret: give the password as "
      "fencing.levels[0].password (vault) or fencing.levels[0].password_env"]),
    ("fence agent without the controller's address",
     lambda n, h: n["node1"].update(fencing={"levels": [{"method": "fence_agent", "agent": "fence_ipmilan",
                                                         "options": {"username": "admin"}}]}),
     ["node 'node1', fencing.levels[0].options: needs the address of the management controller (ip)"]),
    ("fence agent timeout out of range",
     lambda n, h: n["node1"].update(fencing={"levels": [{"method": "fence_agent", "agent": "fence_ipmilan",
                                                         "options": {"ip": "10.0.0.5"}, "timeout": 0}]}),
     ["node 'node1', fencing.levels[0].timeout: must be 1 to 300 seconds, not 0"]),
    ("fencing delay out of range",
     lambda n, h: n["node1"].update(fencing={"method": "vcenter_poweroff", "delay": -1}),
     ["node 'node1', fencing.delay: must be 0 to 300 seconds, not -1"]),
    ("method and levels that disagree",
     lambda n, h: n["node1"].update(fencing={"method": "none", "levels": [{"method": "vcenter_poweroff"}]}),
     ["node 'node1', fencing: give method (one) or levels (several, in order), not both"]),
    ("vcenter_poweroff on a physical node",
     lambda n, h: n.update(node2={"mode": "guest", "physical": True, "fencing": {"method": "vcenter_poweroff"}}),
     ["node 'node2', fencing.method: vcenter_poweroff needs a VM, and this node is physical"]),
    ("host mode node without esxi",
     lambda n, h: n["esx1"].pop("esxi"),
     ["node 'esx1', esxi: required for a host mode node (the ESXi host's name in vCenter)"]),
    ("host mode node with a vm",
     lambda n, h: n["esx1"].update(vm={"moref": "vm-1"}),
     ["node 'esx1', vm: only for guest mode nodes"]),
    ("two nodes on the same ESXi host",
     lambda n, h: n["esx2"].update(esxi="esxi-01.lab"),
     ["node 'esx2', esxi: same ESXi host as node 'esx1'"]),
    ("host of the group without vigil_ha_node",
     lambda n, h: n.update(node3=None),
     ["node 'node3', vigil_ha_node: missing (every host of the cluster group is a node)"]),
    ("not an IP address",
     lambda n, h: res(h, "web", "vip")["params"].update(address="10.99.0.300/24"),
     ["hierarchy 'web', resource 'vip', params.address: not an IP address (such as 10.99.0.100/24): '10.99.0.300/24'"]),
    ("IPv6 virtual IP (the ip kit announces with ARP)",
     lambda n, h: res(h, "web", "vip")["params"].update(address="fd00::100/64"),
     ["hierarchy 'web', resource 'vip', params.address: IPv6 virtual IPs are not supported (the ip kit announces "
      "moves with ARP, IPv4 only): 'fd00::100/64'"]),
    ("tcp check on a port out of range",
     lambda n, h: res(h, "web", "app").update(check={"tcp": {"host": "10.99.0.100", "port": 70000}}),
     ["hierarchy 'web', resource 'app', check.tcp.port: must be a port number 1-65535, not 70000"]),
    ("tcp and http check both",
     lambda n, h: res(h, "web", "app")["check"].update(tcp={"host": "10.99.0.100", "port": 8080}),
     ["hierarchy 'web', resource 'app', check: give one of tcp or http, not both"]),
    ("http check without url",
     lambda n, h: res(h, "web", "app")["check"]["http"].pop("url"),
     ["hierarchy 'web', resource 'app', check.http.url: required for kind http"]),
    ("host probe: port without address",
     lambda n, h: n["esx1"].update(check={"port": 443}),
     ["node 'esx1', check.address: required with check.port (the ESXi host's management address)"]),
    ("host probe: port out of range",
     lambda n, h: n["esx1"].update(check={"address": "10.0.0.21", "port": 0}),
     ["node 'esx1', check.port: must be a port number 1-65535, not 0"]),
    ("host probe: address not a name",
     lambda n, h: n["esx1"].update(check={"address": "esxi 01"}),
     ["node 'esx1', check.address: must be a host name or IP address, not 'esxi 01'"]),
    ("host probe: misspelt key",
     lambda n, h: n["esx1"].update(check={"adress": "10.0.0.21"}),
     ["node 'esx1', check.adress: unknown key (known: address, confirm, interval, port, timeout)"]),
    ("host probe on a guest node",
     lambda n, h: n["node1"].update(check={"address": "10.0.0.21"}),
     ["node 'node1', check.address: only for host mode nodes (the ESXi host's management address)"]),
    ("replicated: a kind that cannot be",
     lambda n, h: res(h, "web", "app").update(replicated=True),
     ["hierarchy 'web', resource 'app', replicated: kind service cannot be replicated (kinds that can: script)"]),
    ("replicated: not a boolean",
     lambda n, h: res(h, "web", "app").update(replicated="yes"),
     ["hierarchy 'web', resource 'app', replicated: must be true or false, not 'yes'"]),
    ("replicated script without promote and demote",
     lambda n, h: web(h)["resources"].append(
         {"name": "db", "kind": "script", "replicated": True,
          "params": {"restore": "/r", "remove": "/s", "quick_check": "/q"}}),
     ["hierarchy 'web', resource 'db', params.promote: required for kind script when replicated is true",
      "hierarchy 'web', resource 'db', params.demote: required for kind script when replicated is true"]),
    ("two replicated resources in a hierarchy",
     lambda n, h: web(h)["resources"].extend(
         [{"name": name, "kind": "script", "replicated": True,
           "params": {"restore": "/r", "remove": "/s", "quick_check": "/q", "promote": "/p", "demote": "/d"}}
          for name in ("db1", "db2")]),
     ["hierarchy 'web', resources: at most one replicated resource a hierarchy, not 2 (db1, db2)"]),
    ("policy.max_lag negative",
     lambda n, h: web(h).update(policy={"max_lag": -1}),
     ["hierarchy 'web', policy.max_lag: must be an integer 0 or more (in the kit's units of position, "
      "such as bytes of WAL) or unlimited, not -1"]),
    ("policy.max_lag a word",
     lambda n, h: web(h).update(policy={"max_lag": "some"}),
     ["hierarchy 'web', policy.max_lag: must be an integer 0 or more (in the kit's units of position, "
      "such as bytes of WAL) or unlimited, not 'some'"]),
]


def test_a_host_node_probe_is_kept_with_its_defaults():
    nodes, hierarchies = base()
    nodes["esx1"]["check"] = {"address": "10.0.0.21", "interval": 3, "timeout": 1}
    config = validate(nodes, hierarchies)
    assert config["nodes"]["esx1"]["check"] == {"interval": 3, "timeout": 1, "confirm": 2, "address": "10.0.0.21",
                                                "port": 443}
    assert validate(config["nodes"], config["hierarchies"])["nodes"] == config["nodes"]  # validates again


@pytest.mark.parametrize("change, expected", [(c, e) for dummy, c, e in BAD], ids=[i for i, dummy, dummy2 in BAD])
def test_refused_with_the_exact_message(change, expected):
    nodes, hierarchies = base()
    change(nodes, hierarchies)
    assert errors_of(nodes, hierarchies) == expected


def test_there_are_many_bad_configurations():
    assert len(BAD) >= 25
    assert len(set(i for i, dummy, dummy2 in BAD)) == len(BAD)


def test_base_is_valid():
    validate(*base())


def test_all_errors_are_collected_not_just_the_first():
    nodes, hierarchies = base()
    res(hierarchies, "web", "vip")["params"].pop("address")
    res(hierarchies, "web", "vip").update(depends_on=["app"])
    n2 = nodes["node2"]
    n2.update(check={"interval": 1, "timeout": 3})
    hierarchies[1]["policy"] = {"switchback": "never"}
    with pytest.raises(ConfigError) as info:
        validate(nodes, hierarchies)
    assert info.value.errors == [
        "node 'node2', check.timeout: must be less than check.interval (1), not 3",
        "hierarchy 'web', resource 'vip', params.address: required for kind ip",
        "hierarchy 'web', resource 'vip', depends_on: dependency cycle vip -> app -> vip",
        "hierarchy 'erp', policy.switchback: must be one of manual, automatic, not 'never'",
    ]
    assert str(info.value) == "; ".join(info.value.errors)


def test_without_automatic_failover_a_node_needs_no_fencing():
    nodes, hierarchies = base()
    nodes["node2"] = {"mode": "guest", "physical": True}
    web(hierarchies)["policy"] = {"confirm_failover": True}
    validate(nodes, hierarchies)
    web(hierarchies)["policy"] = {"failover": {"max": 0}}
    validate(nodes, hierarchies)


def test_a_vm_may_be_a_guest_node_and_a_host_mode_resource():
    nodes, hierarchies = base()
    res(hierarchies, "erp", "db")["params"] = {"uuid": U1}
    validate(nodes, hierarchies)


def test_defaults_are_filled_in():
    nodes, hierarchies = base()
    nodes["phys"] = {"mode": "guest", "physical": True}
    config = validate(nodes, hierarchies)
    assert config["nodes"]["node1"] == {
        "mode": "guest", "vm": {"uuid": U1, "moref": None}, "physical": False, "esxi": None,
        "fencing": {"method": "vcenter_poweroff", "levels": [{"method": "vcenter_poweroff"}], "delay": 0},
        "check": {"interval": 5, "timeout": 2, "confirm": 2}, "maintenance": False}
    assert config["nodes"]["phys"]["fencing"] == {"method": "none", "levels": [{"method": "none"}], "delay": 0}
    assert config["nodes"]["phys"]["vm"] is None
    assert config["nodes"]["esx1"] == {
        "mode": "host", "vm": None, "physical": False, "esxi": "esxi-01.lab",
        "fencing": {"method": "vcenter_poweroff", "levels": [{"method": "vcenter_poweroff"}], "delay": 0},
        "check": {"interval": 5, "timeout": 2, "confirm": 2}, "maintenance": False}
    w = config["hierarchies"][0]
    assert w["maintenance"] is False
    assert w["nodes"] == [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}]  # by priority
    assert w["policy"] == {"local_recovery": {"attempts": 3, "window": 300}, "failover": {"max": 2, "window": 3600},
                           "switchback": "manual", "confirm_failover": False, "rto": None,
                           "rto_enforce": "refuse", "max_lag": 0}
    assert config["hierarchies"][1]["policy"]["switchback"] == "automatic"
    vip, app = w["resources"]
    assert vip == {"name": "vip", "kind": "ip", "params": {"address": "10.99.0.100/24", "interface": "eth0", "arp_count": 3},
                   "depends_on": [], "check": {"interval": 10, "timeout": 5, "confirm": 2}, "replicated": False}
    assert app["params"] == {"unit": "demo.service", "command": None, "pidfile": None, "workdir": "/", "stop_timeout": 30}
    assert app["check"] == {"interval": 10, "timeout": 5, "confirm": 2,
                            "http": {"url": "http://10.99.0.100:8080/", "expect_status": 200, "expect_body": None, "timeout": 2.0}}
    assert config["hierarchies"][1]["resources"][0]["params"] == {
        "uuid": U2, "moref": None, "shutdown_timeout": 120, "tools_timeout": 300}


def test_maintenance_flags_are_kept():
    nodes, hierarchies = base()
    nodes["node2"]["maintenance"] = True
    hierarchies[0]["maintenance"] = True
    config = validate(nodes, hierarchies)
    assert config["nodes"]["node2"]["maintenance"] is True and config["nodes"]["node1"]["maintenance"] is False
    assert config["hierarchies"][0]["maintenance"] is True and config["hierarchies"][1]["maintenance"] is False


def test_normalised_config_validates_again_unchanged():
    config = validate(*base())
    assert validate(config["nodes"], config["hierarchies"]) == config


def test_input_is_not_modified():
    nodes, hierarchies = base()
    validate(nodes, hierarchies)
    assert (nodes, hierarchies) == base()


def test_hierarchies_not_a_list():
    assert errors_of(base()[0], {"name": "web"}) == ["vigil_ha_hierarchies: must be a list"]


def test_no_hierarchies_is_valid():
    assert validate(base()[0], None)["hierarchies"] == []


def example_config():
    """(nodes, hierarchies) of docs/examples/cluster, read as Ansible would for group vigil_ha_cluster."""
    def load(path):
        with open(os.path.join(EXAMPLE, path)) as f:
            return yaml.safe_load(f)

    def hosts(group):
        out = list((group.get("hosts") or {}).keys())
        for child in (group.get("children") or {}).values():
            out += hosts(child or {})
        return out

    names = hosts(load("hosts.yml")["vigil_ha_cluster"])
    nodes = dict((name, load(os.path.join("host_vars", name + ".yml"))["vigil_ha_node"]) for name in names)
    return nodes, load(os.path.join("group_vars", "vigil_ha_cluster.yml"))["vigil_ha_hierarchies"]


def test_documented_example_validates():
    nodes, hierarchies = example_config()
    config = validate(nodes, hierarchies)
    assert sorted(config["nodes"]) == ["esxi-01.lab", "esxi-02.lab", "esxi-03.lab", "node1", "node2", "node3"]
    assert [h["name"] for h in config["hierarchies"]] == ["web", "erp"]
    web_h, erp = config["hierarchies"]
    assert [r["kind"] for r in web_h["resources"]] == ["ip", "service"]
    assert "http" in web_h["resources"][1]["check"]
    assert set(n["node"] for n in web_h["nodes"]) == {"node1", "node2", "node3"}
    assert set(nodes[n["node"]]["mode"] for n in erp["nodes"]) == {"host"}
    assert [r["kind"] for r in erp["resources"]] == ["vm", "vm"]


def test_documented_example_is_in_the_documentation():
    with open(os.path.join(ROOT, "docs", "configuration.md")) as f:
        doc = f.read()
    with open(os.path.join(EXAMPLE, "group_vars", "vigil_ha_cluster.yml")) as f:
        group_vars = f.read()
    assert group_vars.split("---\n", 1)[1].strip() in doc


# -- where vigil_ha_hierarchies is found -------------------------------------

def test_hierarchies_found_on_some_hosts_of_the_group():
    """Defined on a child group the first host is not in: found, and said where."""
    web = [{"name": "web"}]
    found, where = validation.hierarchies_of_hosts({"node3": None, "node1": web, "node2": web})
    assert found == web
    assert where == "vigil_ha_hierarchies of node1, node2 (not defined on node3)"


def test_hierarchies_found_on_every_host():
    found, where = validation.hierarchies_of_hosts({"node1": [], "node2": []})
    assert found == [] and where == "vigil_ha_hierarchies of every host of the cluster group"


def test_hierarchies_defined_nowhere_say_so():
    assert validation.hierarchies_of_hosts({"node1": None}) == (
        [], "no host of the cluster group defines vigil_ha_hierarchies")


def test_hosts_seeing_different_hierarchies_are_refused():
    with pytest.raises(validation.ConfigError) as err:
        validation.hierarchies_of_hosts({"node1": [{"name": "a"}], "node2": [{"name": "b"}], "node3": [{"name": "a"}]})
    assert err.value.errors == [
        "vigil_ha_hierarchies: the hosts of the cluster group see 2 different definitions (one on node1, node3; "
        "one on node2): define it once, on the cluster group"]


def test_fencing_levels_are_kept_in_order_without_the_password():
    nodes = copy.deepcopy(NODES)
    nodes["esx1"]["fencing"] = {"delay": 2, "levels": [
        {"method": "vcenter_poweroff"},
        {"method": "fence_agent", "agent": "fence_ipmilan", "password": "s3cret",
         "options": {"ip": "127.0.0.1", "ipport": 6230, "username": "admin", "lanplus": 1}}]}
    fencing = validate(nodes, [])["nodes"]["esx1"]["fencing"]
    assert fencing == {"method": "vcenter_poweroff", "delay": 2, "levels": [
        {"method": "vcenter_poweroff"},
        {"method": "fence_agent", "agent": "fence_ipmilan", "timeout": 30, "password_env": None, "password_set": True,
         "options": {"ip": "127.0.0.1", "ipport": 6230, "username": "admin", "lanplus": 1}}]}
    assert "s3cret" not in repr(fencing)
    # the normalised form validates again unchanged (the plan module does so)
    nodes["esx1"]["fencing"] = fencing
    assert validate(nodes, [])["nodes"]["esx1"]["fencing"] == fencing


def test_a_fence_agent_not_installed_where_fencing_runs_is_refused():
    nodes = copy.deepcopy(NODES)
    nodes["esx1"]["fencing"] = {"levels": [{"method": "fence_agent", "agent": "fence_ipmilan",
                                            "options": {"ip": "10.0.0.5"}}]}
    with pytest.raises(ConfigError) as err:
        validate(nodes, [], agents=["fence_redfish"])
    assert err.value.errors == ["node 'esx1', fencing.levels[0].agent: fence_ipmilan is not installed on the "
                                "controller (Debian/RHEL package fence-agents)"]
    assert validate(nodes, [], agents=["fence_ipmilan"])["nodes"]["esx1"]["fencing"]["method"] == "fence_agent"


def test_a_replicated_resource_and_its_policy():
    nodes, hierarchies = base()
    web(hierarchies)["policy"] = {"max_lag": "unlimited"}
    web(hierarchies)["resources"].append(
        {"name": "db", "kind": "script", "replicated": True,
         "params": {"restore": "/r", "remove": "/s", "quick_check": "/q", "promote": "/p", "demote": "/d"}})
    cluster = load(nodes, hierarchies)
    h = cluster.hierarchy("web")
    assert h.policy["max_lag"] == "unlimited"
    assert h.replicated.name == "db" and h.resource("db").replicated
    assert not h.resource("vip").replicated
