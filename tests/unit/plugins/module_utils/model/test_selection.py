# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which VMs, hosts and nodes the playbooks read or act on (model/selection.py): the rules
observe.yml and step_vm.yml wrote in Jinja before, case by case."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.config.validation import validate
from ansible_collections.vigil.ha.plugins.module_utils.model.hierarchy import Cluster
from ansible_collections.vigil.ha.plugins.module_utils.model.observations import observations
from ansible_collections.vigil.ha.plugins.module_utils.model.plan import make_plan
from ansible_collections.vigil.ha.plugins.module_utils.model.selection import nodes_to_ask, vm_step, what_to_read
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import example_config

HOSTS = {"esx1": {"mode": "host", "esxi": "e1"}, "esx2": {"mode": "host", "esxi": "e2"}}
HOST_MODE = {"name": "h", "nodes": [{"node": "esx1"}, {"node": "esx2"}], "resources": [
    {"name": "a", "kind": "vm", "params": {"uuid": "UA", "moref": None}, "check": {"tcp": {"port": 1}, "http": {"url": "x"}}},
    {"name": "b", "kind": "vm", "params": {"uuid": None, "moref": "vm-b"}, "check": {"http": {"url": "y"}}},
    {"name": "c", "kind": "vm", "params": {"uuid": "", "moref": "vm-c"}, "check": None}]}
GUESTS = {"g1": {"mode": "guest", "vm": {"uuid": None, "moref": "vm-9"}}, "g2": {"mode": "guest", "vm": None},
          "g3": {"mode": "guest", "vm": {"uuid": "U3", "moref": "vm-3"}}}
GUEST_MODE = {"name": "g", "nodes": [{"node": "g1"}, {"node": "g2"}, {"node": "g3"}], "resources": []}


def config():
    return validate(*example_config())


def test_guest_mode_reads_the_nodes_vms_by_uuid_else_by_moref():
    assert what_to_read(GUEST_MODE, GUESTS) == {"host_mode": False, "uuids": ["U3"], "morefs": ["vm-9"],
                                                "host_names": [], "vm_endpoints": []}


def test_host_mode_reads_the_hierarchys_vms_its_hosts_and_the_vms_endpoints():
    out = what_to_read(HOST_MODE, HOSTS)
    assert (out["host_mode"], out["uuids"], out["morefs"], out["host_names"]) == (
        True, ["UA"], ["vm-b", "vm-c"], ["e1", "e2"])
    # tcp ones, then http ones: a VM with both is checked for both (as observe.yml did)
    assert [r["name"] for r in out["vm_endpoints"]] == ["a", "a", "b"]


def test_the_example_cluster():
    cfg = config()
    web, erp = cfg["hierarchies"]
    assert what_to_read(web, cfg["nodes"])["uuids"] == [cfg["nodes"][n["node"]]["vm"]["uuid"] for n in web["nodes"]]
    erp_read = what_to_read(erp, cfg["nodes"])
    assert erp_read["host_mode"] and [r["name"] for r in erp_read["vm_endpoints"]] == ["erp-app"]


def test_nodes_whose_vm_is_off_are_not_asked_and_esxi_hosts_never():
    cfg = config()
    web, erp = cfg["hierarchies"]
    off = {"vms": [{"uuid": cfg["nodes"]["node1"]["vm"]["uuid"], "moref": "vm-1", "host": "e", "verdict": "ok",
                    "raw": {"power_state": "poweredOff"}}]}
    everyone = [n["node"] for n in web["nodes"]]
    assert nodes_to_ask(web, cfg["nodes"], off) == [n for n in everyone if n != "node1"]
    assert nodes_to_ask(web, cfg["nodes"], {"failed": True, "msg": "vCenter down"}) == everyone
    assert nodes_to_ask(erp, cfg["nodes"], off) == []


def test_a_failovers_gone_node_is_not_asked_and_is_fenced():
    """The watcher found node1 gone (failed_node_gone): it is not asked over SSH; the plan, seeing it
    unreachable, fences it before anything starts elsewhere (were it asked, a hung node1 would hold
    the run for the SSH timeout; were it missing, it would count as healthy)."""
    cfg = config()
    web = cfg["hierarchies"][0]
    on = {"vms": [{"uuid": cfg["nodes"][n["node"]]["vm"]["uuid"], "moref": "vm-%d" % i, "host": "e", "verdict": "ok",
                   "raw": {"power_state": "poweredOn"}} for i, n in enumerate(web["nodes"], 1)]}
    others = [n["node"] for n in web["nodes"] if n["node"] != "node1"]
    assert nodes_to_ask(web, cfg["nodes"], on, ["node1"]) == others
    checks = {"results": [{"item": n, "resources": [{"name": r["name"], "state": "out_of_service"}
                                                    for r in web["resources"]]} for n in others]}
    seen = observations(web, cfg["nodes"], checks, on, None, ["node1"])
    assert seen["node_health"]["node1"] == "unreachable" and "node1: not asked" in seen["problems"][0]
    plan = make_plan(Cluster.from_config(cfg).hierarchy(web["name"]), "failover", owner="node1", generation=4,
                     failed_node="node1", states=seen["states"], node_health=seen["node_health"],
                     vcenter_reachable=True)
    first, rest = plan.steps[0], plan.steps[1:]
    assert (first.action, first.node, plan.commit_at) == ("fence", "node1", 1), plan.describe()
    assert rest and all(s.host != "node1" and s.action == "start" for s in rest), plan.describe()
    # A VM vCenter reports off stays powered_off (the fence only confirms it).
    off = {"vms": [dict(on["vms"][0], raw={"power_state": "poweredOff"})] + on["vms"][1:]}
    assert observations(web, cfg["nodes"], checks, off, None, ["node1"])["node_health"]["node1"] == "powered_off"


def test_a_vm_step_acts_on_its_resource_among_the_nodes_hosts():
    step = {"kit": "vm", "resource": "b", "action": "start", "target": "esx2"}
    expected = {"resource": HOST_MODE["resources"][1], "hosts": ["e1", "e2"], "target": "e2"}
    assert vm_step(step, HOSTS, HOST_MODE) == expected
    assert vm_step(dict(step, target=None), HOSTS, HOST_MODE)["target"] is None
