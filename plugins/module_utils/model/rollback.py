# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The way out of a switchover whose step failed (plain Python).

Looked at again after the failure (``states``, as observations give them):

- a resource of the hierarchy still not out of service (nor a replica: a
  replicated resource's primary demoted there) on the old node means
  a stop failed there: the old node cannot be trusted to have stopped, so it
  is failed over (fenced, marked ``unclean``) to the switchover's target;
- otherwise a start failed on the target: the hierarchy starts again on the
  old node (the planner goes on to the next node by priority when the old
  one cannot take it back).

Either way the operator asked for the move: it is confirmed, and recorded
with ``cause: rollback`` so that it does not use the automatic failover budget
(model/budget.py).
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.kits.base import OUT_OF_SERVICE, REPLICA_STATES

LEFT = (OUT_OF_SERVICE,) + REPLICA_STATES  # what the old node holds once it let the hierarchy go


def way_out(first_plan, states):
    """``{"stop_failed", "action", "target", "failed_node", "extra_health", "confirmed"}`` for the
    plan that recovers from ``first_plan`` (a plan's dict) given the ``states`` observed now."""
    old, new = first_plan["owner_before"], first_plan["owner"]
    held = dict((states or {}).get(old) or {})
    stop_failed = any(state not in LEFT for state in held.values())
    if stop_failed:
        return {"stop_failed": True, "action": "failover", "target": new, "failed_node": old,
                "extra_health": {old: "unclean"}, "confirmed": True}
    return {"stop_failed": False, "action": "start", "target": old, "failed_node": None,
            "extra_health": {}, "confirmed": True}
