# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much of a hierarchy's budgets is used, counted from records of decisions to act.

Plain Python. A local recovery or a failover counts when a record holds its
decision to act within the policy's window. The records are ledger lines,
and the budget events every controller posts in vCenter, parsed into the
same shape (state/budget_events.py): ``shared`` joins the two so that a use
is counted once, wherever it was made.

The failover budget (``policy.failover.max``) limits unplanned moves. A
failover that is the way out of an operator's switchover whose stop failed
(playbooks/tasks/rollback.yml records ``inputs.cause: rollback``) is part of
that planned move, not an automatic failover: it does not count. Lines
without a cause (older ledgers) count as before.
"""

from __future__ import annotations

import datetime

# Causes of a failover that the failover budget does not count.
NOT_COUNTED = ("rollback",)
# An operator's decision that gives the budgets back: the uses before it do not count.
RESET = "reset_budget"


def _age(line, now):
    try:
        when = datetime.datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return (now - when).total_seconds()


def cause(line):
    """Why a move happened, as recorded in its decision's inputs, or None (older lines)."""
    inputs = line.get("inputs")
    return inputs.get("cause") if isinstance(inputs, dict) else None


def _event_key(line):
    key = line.get("event")
    return key if isinstance(key, int) and not isinstance(key, bool) else None


def _latest_reset(records, now):
    """``(age, event key)`` of the latest reset, or None."""
    resets = [(_age(line, now), _event_key(line)) for line in records
              if line.get("decision") == "act" and line.get("action") == RESET]
    resets = [(age, key) for age, key in resets if age is not None]
    return min(resets, key=lambda r: (r[0], -(r[1] or 0))) if resets else None


def _before(line, age, reset):
    """Whether a use came before the reset: by vCenter's event keys when both have one (they grow with every
    event, while two events may carry the same time), else by time (a use at the reset's time is before it)."""
    key = _event_key(line)
    if key is not None and reset[1] is not None:
        return key < reset[1]
    return age >= reset[0]


def used(records, policy, now=None):
    """``{"recoveries": {resource: n}, "failovers": n}`` within the policy's windows, after the latest reset."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    recoveries, failovers = {}, 0
    reset = _latest_reset(records, now)
    for line in records:
        if line.get("decision") != "act":
            continue
        age = _age(line, now)
        if age is None or (reset is not None and _before(line, age, reset)):
            continue
        if line.get("action") == "recover" and age <= policy["local_recovery"]["window"]:
            steps = (line.get("result") or {}).get("steps") or []
            for resource in set(s.get("resource") for s in steps if s.get("action") == "recover"):
                recoveries[resource] = recoveries.get(resource, 0) + 1
        elif line.get("action") == "failover" and age <= policy["failover"]["window"]:
            if cause(line) not in NOT_COUNTED:
                failovers += 1
    return {"recoveries": recoveries, "failovers": failovers}


def shared(vcenter_records, ledger_lines):
    """The records to count when vCenter's budget events could be read.

    Every controller's uses, from vCenter, and this controller's ledger lines
    whose use is not there (``budget.recorded`` not true: vCenter was not
    given or failed when they were written, or older lines), so that nothing
    this controller did is forgotten and nothing is counted twice.
    """
    local = [line for line in ledger_lines
             if not (isinstance(line.get("budget"), dict) and line["budget"].get("recorded") is True)]
    return list(vcenter_records) + local
