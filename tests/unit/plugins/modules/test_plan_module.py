# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan module: configuration and state in, the planner's plan out."""
from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.vigil.ha.plugins.modules import plan
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import example_config


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


@pytest.fixture(autouse=True)
def ledger_file(tmp_path, monkeypatch):
    """Each test's own ledger (VIGIL_HA_LEDGER, as the playbooks' ledger tasks read it), never the user's."""
    path = tmp_path / "ledger.jsonl"
    monkeypatch.setenv("VIGIL_HA_LEDGER", str(path))
    return path


def failover_plan(capsys, **extra):
    nodes, hierarchies = example_config()
    return run_module(capsys, plan.main, dict(
        nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="failover", owner="node1", generation=4,
        node_health={"node1": "failed", "node2": "ok"},
        states={"node2": {"web-vip": "out_of_service", "web-app": "out_of_service"}}, **extra))


def test_the_failover_budget_is_counted_from_the_ledger_the_playbooks_write(capsys, ledger_file):
    now = datetime.datetime.now(datetime.timezone.utc)
    made = [(5, "web", "act"), (10, "web", "act"), (20, "erp", "act"), (30, "web", "done"), (120, "web", "act")]
    lines = [{"time": (now - datetime.timedelta(minutes=m)).isoformat(), "hierarchy": h, "action": "failover",
              "decision": d} for m, h, d in made]
    ledger_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    rc, out = failover_plan(capsys)
    # Two acts of web within the hour (erp's, a done line and one two hours old do not count): max 2 is spent.
    assert rc == 0 and out["budgets_used"] == {"failovers": 2, "recoveries": {}, "ledger": str(ledger_file)}
    assert out["plan"]["refused"] is True and out["plan"]["code"] == "failover_budget_exhausted"
    rc, out = failover_plan(capsys, failovers_used=1, recoveries_used={})  # given, they are what counts
    assert rc == 0 and out["plan"]["refused"] is False and out["budgets_used"]["ledger"] is None


def test_a_ledger_not_written_yet_counts_nothing(capsys, ledger_file):
    rc, out = failover_plan(capsys)
    assert rc == 0 and not ledger_file.exists()
    assert out["budgets_used"]["failovers"] == 0 and out["plan"]["refused"] is False


def test_the_modules_options_are_the_planners_inputs():
    from ansible_collections.vigil.ha.plugins.module_utils.model.plan_inputs import NAMES, PlanInputs
    assert set(NAMES) <= set(plan.ARGUMENT_SPEC)
    params = dict((name, spec.get("default")) for name, spec in plan.ARGUMENT_SPEC.items())
    params.update(action="failover", owner="node1", generation=3, failovers_used=None)
    inputs = PlanInputs.from_params(params, failovers_used=2, confirmed=True)
    assert (inputs.action, inputs.owner, inputs.generation, inputs.failovers_used, inputs.confirmed) == (
        "failover", "node1", 3, 2, True)
    with pytest.raises(TypeError, match="unknown planner inputs: colour"):
        PlanInputs("start", colour="red")
