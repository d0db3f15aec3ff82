# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a playbook observed, turned into the planner's inputs."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.observe import observations

HIERARCHY = {"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2},
                                      {"node": "node3", "priority": 3}]}
NODES = {"node1": {"vm": {"uuid": "U1"}}, "node2": {"vm": {"uuid": "u2"}}, "node3": {"vm": {"moref": "vm-3"}}}


def vm(uuid, moref, power="poweredOn", verdict="ok"):
    return {"uuid": uuid, "moref": moref, "host": "esx", "verdict": verdict, "raw": {"power_state": power}}


def test_states_unreachable_and_powered_off_nodes():
    checks = {"results": [
        {"item": "node1", "resources": [{"name": "vip", "state": "in_service"}]},
        {"item": "node2", "unreachable": True},
        {"item": "node3", "failed": True, "msg": "module failure"},
    ]}
    health = {"vms": [vm("u1", "vm-1"), vm("U2", "vm-2", power="poweredOff"), vm("u3", "vm-3", verdict="unknown")]}
    out = observations(HIERARCHY, NODES, checks, health)
    assert out["states"] == {"node1": {"vip": "in_service"}}
    assert out["node_health"] == {"node2": "powered_off", "node3": "unknown"}
    assert out["vcenter_reachable"] is True
    assert out["vms"]["node3"]["moref"] == "vm-3"


def test_vcenter_unreachable_means_no_fencing():
    out = observations(HIERARCHY, NODES, {"results": []}, {"failed": True, "msg": "cannot reach vCenter"})
    assert out["vcenter_reachable"] is False and out["vms"] == {}


def test_problems_say_what_is_wrong_where():
    checks = {"results": [
        {"item": "node1", "resources": [{"name": "vip", "state": "in_service", "reasons": ["up"]}]},
        {"item": "node2", "resources": [{"name": "vip", "state": "failed",
                                         "reasons": ["cannot start here: arping is not installed (not on PATH)"]}]},
        {"item": "node3", "unreachable": True},
    ]}
    out = observations(HIERARCHY, NODES, checks, {"vms": []})
    assert out["problems"] == ["node2 vip failed: cannot start here: arping is not installed (not on PATH)",
                               "node3: unreachable"]
