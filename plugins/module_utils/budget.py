# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much of a hierarchy's budgets is used, counted from the ledger.

Plain Python. A local recovery or a failover counts when the ledger holds
its decision to act within the policy's window.
"""

from __future__ import annotations

import datetime


def _age(line, now):
    try:
        when = datetime.datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return (now - when).total_seconds()


def used(records, policy, now=None):
    """``{"recoveries": {resource: n}, "failovers": n}`` within the policy's windows."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    recoveries, failovers = {}, 0
    for line in records:
        if line.get("decision") != "act":
            continue
        age = _age(line, now)
        if age is None:
            continue
        if line.get("action") == "recover" and age <= policy["local_recovery"]["window"]:
            steps = (line.get("result") or {}).get("steps") or []
            for resource in set(s.get("resource") for s in steps if s.get("action") == "recover"):
                recoveries[resource] = recoveries.get(resource, 0) + 1
        elif line.get("action") == "failover" and age <= policy["failover"]["window"]:
            failovers += 1
    return {"recoveries": recoveries, "failovers": failovers}
