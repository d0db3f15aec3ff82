# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Budget uses shared through vCenter's events: the message, its parsing, the counting of every controller's uses."""
from __future__ import annotations

import datetime

from ansible_collections.vigil.ha.plugins.module_utils.model.budget import shared, used
from ansible_collections.vigil.ha.plugins.module_utils.state.budget_events import BudgetLog, counts, message, parse
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import FakeAnnotations, FakeVcenter

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
POLICY = {"local_recovery": {"attempts": 2, "window": 300}, "failover": {"max": 1, "window": 3600}}
SECRET = "s3cret-canary"


def act(action, generation=5, steps=(), inputs=None, host="ctl-a", watcher=None):
    controller = dict({"host": host, "pid": 1}, **({"watcher": watcher} if watcher else {}))
    return {"time": "x", "hierarchy": "app1", "action": action, "decision": "act", "generation": generation,
            "inputs": inputs or {}, "result": {"steps": list(steps)}, "controller": controller}


def test_only_decisions_to_act_on_a_budget_are_posted():
    assert counts("failover", "act") and counts("recover", "act")
    assert not counts("failover", "done") and not counts("switchover", "act") and not counts("recover", "refused: x")


def test_the_message_is_compact_and_carries_nothing_else_of_the_inputs():
    steps = [{"action": "recover", "resource": "db"}, {"action": "recover", "resource": "app"},
             {"action": "recover", "resource": "db"}, {"action": "start", "resource": "web"}]
    line = act("recover", steps=steps, inputs={"cause": "rollback; x=1", "password": SECRET, "event": SECRET})
    text = message(line)
    assert text == "vigil.ha.budget:app1: action=recover;resources=db,app;cause=rollback__x_1;generation=5;" \
                   "controller=ctl-a;watcher="
    assert SECRET not in text
    assert message(act("failover", generation=None), controller="ctl b;evil") == \
        "vigil.ha.budget:app1: action=failover;resources=;cause=;generation=;controller=ctl_b_evil;watcher="


def test_the_message_names_the_watcher_whose_event_started_the_run():
    text = message(act("failover", watcher="w2 ;x"))
    assert text.endswith(";controller=ctl-a;watcher=w2__x")
    assert parse({"key": 9, "time": "t", "message": text}, "app1")["controller"] == {"host": "ctl-a", "watcher": "w2__x"}


def test_parse_gives_the_ledgers_shape_back():
    event = {"key": 7, "time": "2026-11-24T11:59:00+00:00",
             "message": message(act("failover", inputs={"cause": "rollback"}))}
    record = parse(event, "app1")
    assert record["action"] == "failover" and record["decision"] == "act" and record["generation"] == 5
    assert record["inputs"] == {"cause": "rollback"} and record["controller"] == {"host": "ctl-a"}
    recovered = parse({"key": 8, "time": "t", "message": message(act("recover", steps=[
        {"action": "recover", "resource": "db"}]))}, "app1")
    assert recovered["result"]["steps"] == [{"action": "recover", "resource": "db"}]


def test_parse_skips_what_is_not_a_budget_use_of_the_hierarchy():
    line = message(act("failover"))
    assert parse({"key": 1, "time": "t", "message": line}, "app") is None  # app1's, not app's
    assert parse({"key": 1, "time": "t", "message": "vigil.ha hierarchy app1: owner a -> b"}, "app1") is None
    assert parse({"key": 1, "time": "t", "message": "vigil.ha.budget:app1: action=stop"}, "app1") is None
    assert parse({"key": 1, "time": None, "message": line}, "app1") is None


def posted(vc, action, minutes_ago, host, **extra):
    vc.now = NOW - datetime.timedelta(minutes=minutes_ago)
    BudgetLog(FakeAnnotations(vc)).post(act(action, host=host, **extra))


def test_every_controllers_uses_count_within_the_window():
    vc = FakeVcenter()
    posted(vc, "failover", 90, "ctl-a")     # outside the hour
    posted(vc, "failover", 30, "ctl-a")
    posted(vc, "failover", 20, "ctl-b", inputs={"cause": "rollback"})  # an operator's move: not counted
    posted(vc, "recover", 2, "ctl-b", steps=[{"action": "recover", "resource": "db"}])
    FakeAnnotations(vc).post_event("vigil.ha.budget:other: action=failover;generation=1")
    records, complete = BudgetLog(FakeAnnotations(vc)).records("app1", NOW - datetime.timedelta(hours=1))
    assert complete and len(records) == 3
    assert used(records, POLICY, NOW) == {"failovers": 1, "recoveries": {"db": 1}}


def test_a_full_page_says_the_count_may_be_short():
    vc = FakeVcenter()
    vc.max_events = 2
    for minutes in (3, 2, 1):
        posted(vc, "failover", minutes, "ctl-a")
    records, complete = BudgetLog(FakeAnnotations(vc)).records("app1", NOW - datetime.timedelta(hours=1))
    assert not complete and len(records) == 2


def test_shared_counts_a_use_once_wherever_it_was_made():
    when = (NOW - datetime.timedelta(minutes=5)).isoformat()
    in_vcenter = [dict(act("failover"), time=when)]
    mine_posted = dict(act("failover"), time=when, budget={"recorded": True, "message": "..."})
    mine_unposted = dict(act("failover"), time=when, budget={"recorded": False, "error": "vCenter down"})
    older = dict(act("failover"), time=when)  # written before budgets were shared
    assert used(shared(in_vcenter, [mine_posted]), POLICY, NOW)["failovers"] == 1
    assert used(shared(in_vcenter, [mine_posted, mine_unposted, older]), POLICY, NOW)["failovers"] == 3


def test_a_reset_gives_the_budgets_back_to_every_controller():
    vc = FakeVcenter()
    posted(vc, "failover", 30, "ctl-a")
    posted(vc, "recover", 3, "ctl-a", steps=[{"action": "recover", "resource": "db"}])
    posted(vc, "reset_budget", 2, "ctl-op")
    posted(vc, "failover", 1, "ctl-b")
    records, dummy = BudgetLog(FakeAnnotations(vc)).records("app1", NOW - datetime.timedelta(hours=1))
    assert [r["action"] for r in records] == ["failover", "reset_budget", "recover", "failover"]
    assert used(records, POLICY, NOW) == {"failovers": 1, "recoveries": {}}
    assert counts("reset_budget", "act") and not counts("reset_budget", "refused: x")


def test_a_use_posted_right_after_a_reset_counts_though_vcenter_gave_both_the_same_time():
    vc = FakeVcenter()
    posted(vc, "failover", 30, "ctl-a")
    posted(vc, "reset_budget", 1, "ctl-op")
    posted(vc, "failover", 1, "ctl-b")  # the same second: vCenter's event keys tell the order
    records, dummy = BudgetLog(FakeAnnotations(vc)).records("app1", NOW - datetime.timedelta(hours=1))
    assert used(records, POLICY, NOW)["failovers"] == 1
