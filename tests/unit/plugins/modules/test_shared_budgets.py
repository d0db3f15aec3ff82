# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Budgets shared by controllers: vigil.ha.ledger posts each use in vCenter, vigil.ha.plan counts them all."""
from __future__ import annotations

import contextlib
import datetime
import json

import pytest

from ansible_collections.vigil.ha.plugins.modules import ledger, plan
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import FakeAnnotations, FakeVcenter
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import example_config

VCENTER = dict(hostname="vc.example", username="u", password="s3cret-canary")


@pytest.fixture
def vc(monkeypatch):
    """One fake vCenter behind both modules' clients."""
    server = FakeVcenter()
    server.now = datetime.datetime.now(datetime.timezone.utc)
    for module in (ledger, plan):
        monkeypatch.setattr(module, "client_from_params", lambda p: contextlib.nullcontext())
        monkeypatch.setattr(module, "RootAnnotations", lambda client: FakeAnnotations(server))
    for name in ("VMWARE_HOST", "VMWARE_USER", "VMWARE_PASSWORD", "VIGIL_HA_LEDGER"):
        monkeypatch.delenv(name, raising=False)
    return server


def decide(capsys, path, action="failover", decision="act", **extra):
    args = dict(path=str(path), hierarchy="web", action=action, decision=decision, generation=5,
                inputs={"owner": "node1", "password": "s3cret-canary"}, result={"steps": []})
    return run_module(capsys, ledger.main, dict(args, **dict(VCENTER, **extra)))


def test_a_failover_act_is_posted_in_vcenter_and_the_line_says_so(capsys, tmp_path, vc):
    rc, out = decide(capsys, tmp_path / "a.jsonl")
    assert rc == 0 and out["budget_event"]["recorded"] is True
    assert [e["message"] for e in vc.events] == [out["budget_event"]["message"]]
    assert vc.events[0]["message"].startswith("vigil.ha.budget:web: action=failover;resources=;cause=;generation=5;")
    line = json.loads((tmp_path / "a.jsonl").read_text())
    assert line["budget"]["recorded"] is True
    assert "s3cret-canary" not in json.dumps(out) + json.dumps(vc.events) and "hostname" not in json.dumps(out)


def test_other_decisions_post_nothing(capsys, tmp_path, vc):
    for action, decision in (("failover", "done"), ("failover", "refused: stale"), ("switchover", "act")):
        rc, out = decide(capsys, tmp_path / "a.jsonl", action=action, decision=decision)
        assert rc == 0 and out["budget_event"] is None
    rc, out = decide(capsys, tmp_path / "a.jsonl", budget_event="none")
    assert rc == 0 and out["budget_event"] is None and vc.events == []


def test_vcenter_down_writes_the_line_and_fails_a_failover_closed(capsys, tmp_path, vc):
    vc.down = True
    rc, out = decide(capsys, tmp_path / "a.jsonl")
    assert rc == 1 and out["error"] == "budget_not_recorded"
    assert "could not be recorded in vCenter" in out["msg"] and "lost vCenter" in out["msg"]
    line = json.loads((tmp_path / "a.jsonl").read_text())
    assert line["decision"] == "act" and line["budget"]["recorded"] is False
    # A local recovery needs no vCenter: it goes on, counted by this controller's ledger.
    rc, out = decide(capsys, tmp_path / "a.jsonl", action="recover")
    assert rc == 0 and out["budget_event"]["recorded"] is False and "ledger only" in json.dumps(out["warnings"])


def test_without_vcenter_the_ledger_alone_counts_unless_vcenter_is_required(capsys, tmp_path, vc):
    args = dict(path=str(tmp_path / "a.jsonl"), hierarchy="web", action="failover", decision="act")
    rc, out = run_module(capsys, ledger.main, args)
    assert rc == 0 and out["budget_event"]["recorded"] is False and vc.events == []
    rc, out = run_module(capsys, ledger.main, dict(args, budget_event="vcenter"))
    assert rc == 1 and out["field"] == "hostname" and "budget_event=vcenter" in out["msg"]


def failover_plan(capsys, ledger_path, **extra):
    nodes, hierarchies = example_config()
    return run_module(capsys, plan.main, dict(
        nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="failover", owner="node1", generation=6,
        node_health={"node1": "failed", "node2": "ok"}, ledger=str(ledger_path),
        states={"node2": {"web-vip": "out_of_service", "web-app": "out_of_service"}}, **dict(VCENTER, **extra)))


def test_controller_b_counts_the_failovers_controller_a_made(capsys, tmp_path, vc):
    # example_config's web: failover.max 2 within the hour. A made two; B's ledger is empty.
    for generation in (4, 5):
        assert decide(capsys, tmp_path / "a.jsonl", generation=generation)[0] == 0
    rc, out = failover_plan(capsys, tmp_path / "b.jsonl")
    assert rc == 0 and out["budgets_used"]["failovers"] == 2 and out["budgets_used"]["source"] == "vcenter"
    assert out["plan"]["refused"] is True and out["plan"]["code"] == "failover_budget_exhausted"
    assert not (tmp_path / "b.jsonl").exists()
    # A's own ledger lines are in vCenter already: A counts them once, not twice.
    rc, out = failover_plan(capsys, tmp_path / "a.jsonl")
    assert rc == 0 and out["budgets_used"]["failovers"] == 2
    # budgets_from=ledger is the budget per controller of before.
    rc, out = failover_plan(capsys, tmp_path / "b.jsonl", budgets_from="ledger")
    assert rc == 0 and out["budgets_used"]["failovers"] == 0 and out["plan"]["refused"] is False


def test_a_use_vcenter_never_saw_still_counts_for_its_controller(capsys, tmp_path, vc):
    vc.down = True
    decide(capsys, tmp_path / "a.jsonl")
    decide(capsys, tmp_path / "a.jsonl", generation=6)
    vc.down = False
    rc, out = failover_plan(capsys, tmp_path / "a.jsonl")
    assert rc == 0 and out["budgets_used"]["failovers"] == 2 and vc.events == []


def test_a_failover_is_not_planned_when_vcenter_cannot_be_counted(capsys, tmp_path, vc):
    vc.down = True
    rc, out = failover_plan(capsys, tmp_path / "b.jsonl")
    assert rc == 1 and out["field"] == "failovers_used" and "nothing was planned" in out["msg"]
    # Given by the caller, nothing is read.
    rc, out = failover_plan(capsys, tmp_path / "b.jsonl", failovers_used=0, recoveries_used={})
    assert rc == 0 and out["budgets_used"]["source"] == "given" and out["plan"]["refused"] is False


def test_a_recovery_falls_back_to_the_ledger_when_vcenter_cannot_be_read(capsys, tmp_path, vc):
    vc.down = True
    nodes, hierarchies = example_config()
    rc, out = run_module(capsys, plan.main, dict(
        nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="recover", resource="web-app",
        owner="node1", generation=6, ledger=str(tmp_path / "b.jsonl"),
        states={"node1": {"web-vip": "in_service", "web-app": "failed"}}, **VCENTER))
    assert rc == 0 and out["budgets_used"]["source"] == "ledger" and "ledger only" in json.dumps(out["warnings"])
    assert out["plan"]["refused"] is False


def test_budgets_from_vcenter_without_vcenter_names_the_field(capsys, tmp_path, vc):
    nodes, hierarchies = example_config()
    rc, out = run_module(capsys, plan.main, dict(
        nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="failover", owner="node1", generation=6,
        budgets_from="vcenter", node_health={"node1": "failed"}))
    assert rc == 1 and out["field"] == "hostname"


def test_plans_that_use_no_budget_do_not_read_vcenter(capsys, tmp_path, vc):
    nodes, hierarchies = example_config()
    vc.down = True
    rc, out = run_module(capsys, plan.main, dict(
        nodes=nodes, hierarchies=hierarchies, hierarchy="web", action="switchover", target="node2",
        owner="node1", generation=4, ledger=str(tmp_path / "b.jsonl"),
        states={"node1": {"web-vip": "in_service", "web-app": "in_service"}}, **VCENTER))
    assert rc == 0 and out["budgets_used"]["source"] == "ledger" and vc.calls == []


def test_a_reset_that_vcenter_cannot_record_fails(capsys, tmp_path, vc):
    assert decide(capsys, tmp_path / "a.jsonl")[0] == 0
    assert decide(capsys, tmp_path / "a.jsonl", generation=6)[0] == 0
    assert decide(capsys, tmp_path / "op.jsonl", action="reset_budget", generation=None)[0] == 0
    rc, out = failover_plan(capsys, tmp_path / "b.jsonl")
    assert rc == 0 and out["budgets_used"]["failovers"] == 0 and out["plan"]["refused"] is False
    vc.down = True
    rc, out = decide(capsys, tmp_path / "op.jsonl", action="reset_budget", generation=None)
    assert rc == 1 and out["error"] == "budget_not_recorded" and "reset_budget of web not done" in out["msg"]


def test_a_hierarchy_that_is_not_a_name_is_refused_before_anything_is_written(capsys, tmp_path, vc):
    rc, out = decide(capsys, tmp_path / "a.jsonl", hierarchy="web: action=reset_budget;")
    assert rc == 1 and out["field"] == "hierarchy" and vc.events == [] and not (tmp_path / "a.jsonl").exists()
