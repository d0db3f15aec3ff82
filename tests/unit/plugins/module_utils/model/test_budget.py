# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Budgets counted from the ledger: only decisions to act, only within the window."""
from __future__ import annotations

import datetime

from ansible_collections.vigil.ha.plugins.module_utils.model.budget import used

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone.utc)
POLICY = {"local_recovery": {"attempts": 2, "window": 300}, "failover": {"max": 2, "window": 3600}}


def line(action, decision, seconds_ago, resources=()):
    when = (NOW - datetime.timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")
    return {"time": when, "action": action, "decision": decision,
            "result": {"steps": [{"resource": r, "action": action} for r in resources]}}


def test_counts_acts_within_windows():
    records = [
        line("recover", "act", 10, ["app"]),
        line("recover", "act", 200, ["app", "db"]),
        line("recover", "act", 400, ["app"]),          # outside the 300 s window
        line("recover", "refused: recovery_budget_exhausted", 5),
        line("failover", "act", 3000),
        line("failover", "done", 2999),
        line("failover", "act", 4000),                  # outside the hour
        {"time": "garbage", "action": "failover", "decision": "act"},
    ]
    assert used(records, POLICY, NOW) == {"recoveries": {"app": 2, "db": 1}, "failovers": 1}


def test_a_failover_that_rolls_back_a_switchover_is_not_an_automatic_failover():
    rollback = dict(line("failover", "act", 60), inputs={"cause": "rollback", "rollback_of": {"action": "switchover"}})
    automatic = dict(line("failover", "act", 50), inputs={"owner": "node1"})
    older = line("failover", "act", 40)  # a ledger line written before causes were recorded
    assert used([rollback], POLICY, NOW)["failovers"] == 0
    assert used([rollback, automatic, older], POLICY, NOW)["failovers"] == 2
    # Only the rollback's failover is exempt, not a rollback's start or other inputs.
    odd = dict(line("failover", "act", 30), inputs="not a dict")
    assert used([odd], POLICY, NOW)["failovers"] == 1
