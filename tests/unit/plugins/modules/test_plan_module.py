# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan module: configuration and state in, the planner's plan out."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.modules import plan
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.test_validation import example_config


def test_switchover_plan_stops_top_down_then_starts_bottom_up(capsys):
    nodes, hierarchies = example_config()
    rc, out = run_module(capsys, plan.main, dict(
        nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="switchover", target="node2",
        owner="node1", generation=4,
        states={"node1": {"web-vip": "in_service", "web-app": "in_service"},
                "node2": {"web-vip": "out_of_service", "web-app": "out_of_service"}}))
    assert rc == 0 and out["changed"] is False
    steps = [(s["host"], s["action"], s["resource"], s["generation"]) for s in out["plan"]["steps"]]
    assert steps == [("node1", "stop", "web-app", 5), ("node1", "stop", "web-vip", 5),
                     ("node2", "start", "web-vip", 5), ("node2", "start", "web-app", 5)]
    assert out["plan"]["owner"] == "node2"
    assert out["lines"][1].startswith("1. node1: stop web-app (service) [gen 5]")


def test_a_refusal_is_returned_not_failed(capsys):
    nodes, hierarchies = example_config()
    rc, out = run_module(capsys, plan.main, dict(
        nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="switchover", target="node2",
        owner="node1", generation=4, node_health={"node2": "unreachable"},
        states={"node1": {"web-vip": "in_service", "web-app": "in_service"}}))
    assert rc == 0
    assert out["plan"]["refused"] is True and out["plan"]["code"] == "target_unhealthy"
    assert out["plan"]["steps"] == []


def test_unknown_hierarchy_and_bad_configuration_fail_clearly(capsys):
    nodes, hierarchies = example_config()
    rc, out = run_module(capsys, plan.main, dict(nodes=nodes, hierarchies=hierarchies, hierarchy="nope", action="start"))
    assert rc == 1 and out["msg"] == "hierarchy: no hierarchy named 'nope' (known: erp, web)"
    hierarchies[0]["resources"][0]["kind"] = "vip"
    rc, out = run_module(capsys, plan.main, dict(nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="start"))
    assert rc == 1 and "kind: unknown kind 'vip'" in out["msg"]
