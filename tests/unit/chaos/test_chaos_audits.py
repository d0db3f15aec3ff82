# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The chaos suite's audits judge correctly (no lab needed): a refusal
missing from the ledger, a step with a stale generation, a generation
going down, a canary in an output, two nodes serving are all caught; the
scenario table has what the suite promises."""
from __future__ import annotations

import datetime
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "chaos"))
import audits  # noqa: E402  pylint: disable=wrong-import-position,import-error
import scenario  # noqa: E402  pylint: disable=wrong-import-position,import-error
import scenarios  # noqa: E402,F401  pylint: disable=wrong-import-position,import-error,unused-import
from context import Run  # noqa: E402  pylint: disable=wrong-import-position,import-error

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


class Ctx(object):
    def __init__(self, lines, runs=()):
        self.lines, self.runs = lines, list(runs)

    def ledger_lines(self, path=None):
        return self.lines

    def ledgers(self):
        return {"ledger.jsonl": self.lines}


class TwoControllers(Ctx):
    """The ledgers of two controllers (each its own lock and ledger)."""

    def __init__(self, a, b):
        super(TwoControllers, self).__init__(a + b)
        self.a, self.b = a, b

    def ledgers(self):
        return {"a/ledger.jsonl": self.a, "b/ledger.jsonl": self.b}


def run(name, rc, out, before=0):
    r = Run(name, [])
    r.rc, r.out, r.ledger_before = rc, out, before
    return r


def test_a_refusal_missing_from_the_ledger_is_caught():
    ctx = Ctx([], [run("failover", 2, "failover of web refused (stale): planned from generation 3")])
    problems = audits.Ledger().finish(ctx)
    assert any("refused (stale)" in p for p in problems), problems
    ctx.lines = [{"decision": "refused: stale"}]
    assert audits.Ledger().finish(ctx) == []


def test_a_success_without_a_result_line_is_caught_and_a_validator_refusal_is_not_a_decision():
    ok = run("switchover", 0, "web is in service on node2 (generation 4)")
    assert audits.Ledger().finish(Ctx([{"decision": "act"}], [ok])) == [
        "switchover succeeded, but the ledger records no result"]
    bad = run("switchover", 2, "TASK [Validate nodes and hierarchies] *** fatal: [localhost]: FAILED! kind: unknown")
    assert audits.Ledger().finish(Ctx([], [bad])) == []


def act(time, generation, before, steps):
    return {"decision": "act", "action": "failover", "time": time.isoformat().replace("+00:00", "Z"),
            "generation": generation, "inputs": {"generation": before},
            "result": {"steps": [{"generation": g} for g in steps]}}


def test_steps_with_another_generation_or_a_stale_plan_are_caught():
    gen = audits.Generation(lab=None)
    gen.sample = lambda: None
    gen.series = [(T0, 5, "node1"), (T0 + datetime.timedelta(seconds=1), 6, "node2")]
    later = T0 + datetime.timedelta(seconds=2)
    assert gen.finish(Ctx([act(later, 7, 6, [7, 7])])) == []
    problems = gen.finish(Ctx([act(later, 6, 5, [6, 5])]))
    assert len(problems) == 2 and "steps carry [5]" in problems[0] and "already held 6" in problems[1], problems


def test_a_generation_going_down_is_caught():
    gen = audits.Generation(lab=None)
    values = iter([(4, "node1"), (3, "node1")])
    gen.read = lambda: next(values)
    assert gen.sample() is None
    assert gen.sample() == "generation of web went down from 4 to 3"


def test_two_nodes_serving_is_caught():
    class Lab(object):
        @staticmethod
        def serving():
            return {"node1": ["vip"], "node2": ["vip", "app"]}
    assert "served by 2 nodes at once" in audits.SingleOwner(Lab()).sample()


def test_a_canary_anywhere_is_caught(monkeypatch, tmp_path):
    secrets = audits.Secrets(lab=None)
    ctx = Ctx([], [run("failover", 0, "ok"), run("status", 0, "password: Canary-123")])
    ctx.canaries = ["Canary-123", "other"]
    monkeypatch.setattr(secrets, "texts", lambda c: [("output of %s" % r.name, r.out) for r in c.runs])
    assert secrets.finish(ctx) == ["a vCenter password (canary) appears in output of status"]


@pytest.mark.parametrize("name", [
    "service_crash", "service_hang", "flapping_service", "node_vm_crash", "guest_hang", "partition_between_nodes",
    "active_isolated", "standby_isolated", "watcher_killed_between_fence_and_start", "failover_killed_mid_step",
    "vcenter_down_during_failover", "vcenter_slow", "vcenter_restarted_while_watching", "same_event_twice",
    "event_storm", "stale_event_after_failover", "standby_dies_during_switchover",
    "unhealthy_standby_before_switchover", "failing_stop_on_active", "target_already_powered_off",
    "two_vms_same_name", "wrong_and_rotated_credentials", "untrusted_certificate", "bad_configuration",
    "lossy_slow_links", "watched_service_crash", "failover_run_killed_under_watcher"])
def test_the_issue_s_scenarios_are_defined(name):
    s = scenario.REGISTRY[name]
    assert s.budget > 0 and s.fault and s.expect and s.func and scenario.proves(s)


def move(generation, *decisions):
    """Ledger lines of one failover to `generation`: its act (with the plan) and then `decisions`."""
    plan = {"generation_before": generation - 1, "generation": generation, "steps": []}
    return [{"hierarchy": "web", "action": "failover", "decision": "act", "generation": generation,
             "result": plan, "time": "2026-01-01T00:00:00Z", "inputs": {"generation": generation - 1}}] + [
        {"hierarchy": "web", "action": "failover", "decision": d, "generation": generation} for d in decisions]


def test_a_move_committed_by_two_controllers_is_caught():
    gen = audits.Generation(lab=None)
    gen.sample = lambda: None
    both = gen.finish(TwoControllers(move(6, "done"), move(6, "done")))
    assert both == ["web's move to generation 6 was committed by 2 runs"], both
    # The second controller refused at the compare-and-set: its act has no done.
    assert gen.finish(TwoControllers(move(6, "done"), move(6, "failed"))) == []
    # Two moves one after the other are two generations, each once; a recovery in place is no move.
    recover = [{"hierarchy": "web", "action": "recover", "decision": "act", "generation": 7,
                "result": {"generation_before": 7, "generation": 7, "steps": []}, "time": "2026-01-01T00:00:00Z"},
               {"hierarchy": "web", "action": "recover", "decision": "done", "generation": 7}]
    assert gen.finish(TwoControllers(move(6, "done") + recover + recover, move(7, "done"))) == []
