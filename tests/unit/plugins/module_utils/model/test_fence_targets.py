# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a fence step acts on (model/fence_targets.py)."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.config.validation import validate
from ansible_collections.vigil.ha.plugins.module_utils.model.fence_targets import fence_targets
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import example_config

AGENT = {"method": "fence_agent", "agent": "fence_ipmilan", "options": {"ip": "10.0.0.31", "username": "admin"},
         "password_env": "BMC_PASSWORD"}


def config():
    nodes, hierarchies = example_config()
    return validate(nodes, hierarchies)


def erp(cfg):
    return [h for h in cfg["hierarchies"] if h["name"] == "erp"][0]


def test_a_guest_node_is_its_own_vm_named_by_the_node():
    cfg = config()
    web = cfg["hierarchies"][0]
    out = fence_targets({"kit": "fence", "node": "node1"}, cfg["nodes"], web, {"states": {}})
    assert out["agent_levels"] is False
    assert [(v["name"], v["uuid"]) for v in out["vms"]] == [("node1", cfg["nodes"]["node1"]["vm"]["uuid"])]


def test_an_esxi_host_is_the_hierarchys_vms_vcenter_placed_on_it():
    cfg = config()
    h = erp(cfg)
    host = h["nodes"][0]["node"]
    esxi = cfg["nodes"][host]["esxi"]
    names = [r["name"] for r in h["resources"] if r["kind"] == "vm"]
    observed = {"vms": {names[0]: {"host": esxi, "power_state": "poweredOn"},
                        names[1]: {"host": "esxi-elsewhere", "power_state": "poweredOn"}}}
    out = fence_targets({"kit": "fence", "node": host}, cfg["nodes"], h, observed)
    assert [v["name"] for v in out["vms"]] == [names[0]]  # not the one that runs elsewhere
    assert fence_targets({"kit": "fence", "node": host}, cfg["nodes"], h, {})["vms"] == []


def test_a_fence_agent_level_is_seen_and_other_steps_act_on_nothing():
    nodes, hierarchies = example_config()
    nodes["node1"]["fencing"] = {"levels": [{"method": "vcenter_poweroff"}, AGENT]}
    cfg = validate(nodes, hierarchies)
    web = cfg["hierarchies"][0]
    assert fence_targets({"kit": "fence", "node": "node1"}, cfg["nodes"], web, {})["agent_levels"] is True
    assert fence_targets({"kit": "service", "node": "node1"}, cfg["nodes"], web, {}) == {
        "vms": [], "agent_levels": False}
