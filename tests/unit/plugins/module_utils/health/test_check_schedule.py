# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 14: every check on its own interval and timeout, a failure counted once confirmed
(health/schedule.py with a fake clock; the engine, health/source.py, with fake node-side runs)."""
from __future__ import annotations

import asyncio
import copy
import os
import time

from ansible_collections.vigil.ha.plugins.module_utils.health import schedule
from ansible_collections.vigil.ha.plugins.module_utils.health import source as health_source
from ansible_collections.vigil.ha.plugins.module_utils.config import validation

from test_cluster_view import FakeLink, U1, U2, drive, first_batch


class Clock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def res(hierarchy, name, interval):
    return {"hierarchy": hierarchy, "name": name, "check": {"interval": interval, "timeout": interval / 2}}


# -- the schedule, with a fake clock ------------------------------------------

def test_each_check_is_due_on_its_own_interval():
    clock = Clock()
    plan = schedule.Schedule(clock)
    fast, slow = res("web", "app", 2), res("web", "fs", 10)
    assert plan.batch("node1", 5, [fast, slow]) == (True, [fast, slow])  # never checked: all due now
    for key, interval in (((("node1",)), 5), (("node1", "web", "app"), 2), (("node1", "web", "fs"), 10)):
        plan.done(key, clock.now, interval)
    clock.now += 1.9
    assert plan.batch("node1", 5, [fast, slow]) == (False, [])
    clock.now += 0.1  # app's interval is over; fs (due in 8 s) and the node (in 3 s) wait for theirs
    assert plan.batch("node1", 5, [fast, slow]) == (False, [fast])
    plan.done(("node1", "web", "app"), clock.now, 2)
    clock.now += 2  # 4 s: app due; the node (due in 1 s, within half its interval) rides along
    assert plan.batch("node1", 5, [fast, slow]) == (True, [fast])
    clock.now += 3.5  # 7.5 s: fs is due in 2.5 s, within half its interval: one run for both
    assert plan.batch("node1", 5, [fast, slow]) == (True, [fast, slow])


def test_a_first_failure_is_checked_again_soon_never_later_than_planned():
    clock = Clock()
    plan = schedule.Schedule(clock)
    plan.done(("node1", "web", "app"), clock.now, 10)
    plan.soon(("node1", "web", "app"), schedule.recheck_delay(10))
    assert plan.due_in(("node1", "web", "app")) == 1.0  # at most a second later
    plan.soon(("node1", "web", "app"), 5)
    assert plan.due_in(("node1", "web", "app")) == 1.0
    assert schedule.recheck_delay(0.5) == 0.25  # within a short interval
    plan.keep([])
    assert plan.next_in() is None


def test_one_failed_check_is_no_failure_two_in_a_row_are():
    seen = schedule.Confirmations()
    key = (("resource", "web", "app"), "node")
    assert seen.judge(key, "in_service", 2)
    assert not seen.judge(key, "failed", 2)  # one lost packet
    assert seen.judge(key, "in_service", 2)  # the flap is forgotten
    assert not seen.judge(key, "failed", 2)
    assert seen.judge(key, "unknown", 2)  # could not check: says nothing, counts nothing
    assert seen.pending(key) == 1
    assert seen.judge(key, "failed", 2)  # confirmed
    assert seen.judge(key, "failed", 2)  # and stays so
    assert seen.judge((("node", "node1"), "ssh"), "unreachable", 1)  # confirm: 1 acts at once
    seen.forget_subject(("resource", "web", "app"))
    assert seen.pending(key) == 0


# -- the engine, with fake node-side runs -------------------------------------

NODES = {"node1": {"mode": "guest", "vm": {"uuid": U1}, "check": {"interval": 5, "timeout": 1}},
         "node2": {"mode": "guest", "vm": {"uuid": U2}, "check": {"interval": 5, "timeout": 1}}}
SCRIPT = {"quick_check": "/bin/true", "restore": "/bin/true", "remove": "/bin/true"}
HIERARCHIES = [
    {"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}],
     "resources": [{"name": "app", "kind": "service", "params": {"command": "app"},
                    "check": {"interval": 0.4, "timeout": 0.2}},
                   {"name": "job", "kind": "script", "params": SCRIPT, "check": {"interval": 1.2, "timeout": 0.5}}]},
    {"name": "db", "nodes": [{"node": "node2", "priority": 1}, {"node": "node1", "priority": 2}],
     "resources": [{"name": "dbsvc", "kind": "service", "params": {"command": "db"},
                    "check": {"interval": 0.4, "timeout": 0.2}}]},
]
STATES = {"web": {"owner": "node1", "generation": 4}, "db": {"owner": "node2", "generation": 7}}


class Runs(object):
    """Fake node-side runs: each recorded with its start time; ``state(node, name, n)`` says how
    the n-th check (0-based) of a resource came out; ``slow`` nodes take that long."""

    def __init__(self, state=None, slow=None, reachable=None):
        self.calls = []
        self.count = {}
        self.state = state or (lambda node, name, n: "in_service")
        self.slow = slow or {}
        self.reachable = reachable or (lambda node, n: True)
        self.t0 = time.monotonic()

    async def __call__(self, node, resources, timeout, limit):
        self.calls.append((node, time.monotonic() - self.t0, sorted(r["name"] for r in resources), timeout, limit))
        runs = sum(1 for c in self.calls if c[0] == node) - 1
        await asyncio.sleep(self.slow.get(node, 0.05))
        if not self.reachable(node, runs):
            return {"reachable": False, "resources": [], "error": "ssh: connect timed out"}
        out = []
        for r in resources:
            n = self.count.get(r["name"], 0)
            self.count[r["name"]] = n + 1
            state = self.state(node, r["name"], n)
            if state is None:
                return None  # no result within the limit
            out.append({"hierarchy": r["hierarchy"], "name": r["name"], "kind": "service", "state": state,
                        "reasons": ["%s is %s" % (r["name"], state)]})
        return {"reachable": True, "resources": out, "error": None}

    def times(self, node, name):
        return [t for n, t, names, dummy, dummy2 in self.calls if n == node and name in names]


def run(runs, seconds, **options):
    async def main():
        queue = asyncio.Queue()
        source = health_source.HealthSource(
            validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), queue,
            FakeLink([first_batch()], copy.deepcopy(STATES)),
            dict({"state_interval": 0.2, "reconnect_max": 0.1}, **options), ansible="/nonexistent/ansible",
            inventory="/nonexistent", name="vc", node_runner=runs)
        return await drive(source, queue, [(seconds, None)])
    return asyncio.run(main())


def resource_events(evs):
    return [(e["name"], e["node"], e["to"], e["observer"]) for e in evs if e["type"] in ("resource", "node")]


def test_node_side_checks_run_on_each_resources_interval_and_timeout():
    runs = Runs()
    assert resource_events(run(runs, 3)) == []
    app = runs.times("node1", "app")
    gaps = [b - a for a, b in zip(app, app[1:])]
    assert len(app) >= 5 and max(gaps) < 0.4 + 0.25, gaps  # every 0.4 s, not every 30 s
    job = runs.times("node1", "job")
    assert 2 <= len(job) <= 5 and len(job) < len(app)  # every 1.2 s (or a little sooner, with app)
    assert all(len(c[2]) <= 2 for c in runs.calls) and not any(c[2] == ["dbsvc", "job"] for c in runs.calls)
    # The node's SSH timeout, and the run's bound: its timeout, the longest check's and the overhead.
    assert set((c[3], c[4]) for c in runs.calls if "job" in c[2]) == {(1, 1 + 0.5 + 10)}
    assert len(runs.times("node2", "dbsvc")) >= 5


def test_one_failed_check_is_not_reported():
    runs = Runs(state=lambda node, name, n: "failed" if (name, n) == ("app", 2) else "in_service")
    assert resource_events(run(runs, 2.5)) == []
    assert runs.count["app"] >= 4


def test_a_failure_is_reported_once_confirmed_by_a_second_check_soon_after():
    runs = Runs(state=lambda node, name, n: "failed" if name == "app" and n >= 3 else "in_service")
    evs = run(runs, 3)
    assert resource_events(evs) == [("app", "node1", "failed", "node")]
    app = runs.times("node1", "app")
    first, second = app[3], app[4]
    assert second - first < schedule.recheck_delay(0.4) + 0.15  # confirmed at once, not a whole interval later
    assert evs[0]["reasons"] == ["app is failed"]


def test_checks_without_result_within_their_timeout_are_failures_once_confirmed():
    runs = Runs(state=lambda node, name, n: None if name == "dbsvc" and n >= 2 else "in_service")
    evs = run(runs, 2)
    assert resource_events(evs) == [("dbsvc", "node2", "failed", "node")]
    assert "no result from node2 within" in evs[0]["reasons"][0]


def test_a_slow_node_delays_no_other():
    runs = Runs(slow={"node1": 2.5})
    run(runs, 3)
    assert len(runs.times("node1", "app")) == 2  # its one run at a time
    assert len(runs.times("node2", "dbsvc")) >= 5


def test_a_node_unreachable_once_is_not_reported_twice_in_a_row_is():
    runs = Runs(reachable=lambda node, n: not (node == "node1" and n == 2))
    assert resource_events(run(runs, 2)) == []
    runs = Runs(reachable=lambda node, n: not (node == "node1" and n >= 2))
    evs = [e for e in run(runs, 2) if e["type"] == "node"]
    # node1 holds web; it is db's second node: an event per hierarchy it concerns.
    assert sorted((e["name"], e["to"], e["hierarchy"]) for e in evs) == [
        ("node1", "unreachable", "db"), ("node1", "unreachable", "web")]


def test_a_run_that_outlives_its_limit_is_killed(tmp_path):
    ansible = tmp_path / "ansible"
    ansible.write_text("#!/bin/sh\nsleep 30\n")
    os.chmod(str(ansible), 0o755)
    started = time.monotonic()
    result = asyncio.run(health_source.run_node_check(str(ansible), "/nonexistent", "node1", [], 1, 0.5))
    assert result is None and time.monotonic() - started < 3


def test_the_old_node_check_options_are_deprecated_and_ignored(caplog):
    async def make():
        return health_source.HealthSource(
            validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), asyncio.Queue(),
            FakeLink([first_batch()], copy.deepcopy(STATES)), {"node_check_interval": 30}, node_runner=Runs())
    with caplog.at_level("WARNING"):
        asyncio.run(make())
    assert "option node_check_interval is deprecated and ignored" in caplog.text
    assert "node_check_timeout" not in caplog.text
