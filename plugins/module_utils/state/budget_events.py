# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Budget use shared by every controller: one vCenter event per decision to act (plain Python).

Each controller has its own ledger, so budgets counted from it alone are
per machine: two watchers would allow twice the failovers. So every
decision that counts against a budget (a ``recover`` or ``failover`` act)
is also posted as a user event on vCenter's root folder, which every
controller reads, with a compact message:

    vigil.ha.budget:app1: action=failover;resources=;cause=;generation=5;controller=ctl1;watcher=w1

Only these fields, all of restricted characters: nothing else of the
decision's inputs (which may hold anything) reaches vCenter. ``parse``
turns such events back into records in the ledger's shape, which
model/budget.py counts.
"""

from __future__ import annotations

import os
import re

from ansible_collections.vigil.ha.plugins.module_utils.config.validation import NAME_RE
from ansible_collections.vigil.ha.plugins.module_utils.state.store import check_hierarchy

PREFIX = "vigil.ha.budget:"
COUNTED_ACTIONS = ("recover", "failover")
# An operator gives a hierarchy its budgets back: the uses before it no longer count (model/budget.py).
RESET = "reset_budget"
POSTED_ACTIONS = COUNTED_ACTIONS + (RESET,)
FIELDS = ("action", "resources", "cause", "generation", "controller", "watcher")
# What a cause or controller may hold in the event: a token, never free text.
TOKEN = re.compile(r"[^A-Za-z0-9._-]")
MAX_TOKEN = 64


def counts(action, decision):
    """Whether a decision uses (or resets) a budget, so that it must be recorded in vCenter."""
    return decision == "act" and action in POSTED_ACTIONS


def _token(value):
    return TOKEN.sub("_", str(value or ""))[:MAX_TOKEN]


def prefix(hierarchy):
    return "%s%s:" % (PREFIX, hierarchy)


def message(line, controller=None):
    """The event for a ledger line (state/ledger.py ``record``) that ``counts``.

    The hierarchy must be a name (``StateInputError`` naming ``hierarchy`` otherwise): it leads the message.
    """
    check_hierarchy(line.get("hierarchy"))
    who = line.get("controller") if isinstance(line.get("controller"), dict) else {}
    if controller is None:
        controller = who.get("host")
    inputs = line.get("inputs") if isinstance(line.get("inputs"), dict) else {}
    result = line.get("result") if isinstance(line.get("result"), dict) else {}
    resources = []
    if line["action"] == "recover":
        for step in result.get("steps") or []:
            if not isinstance(step, dict) or step.get("action") != "recover":
                continue
            name = step.get("resource")
            if isinstance(name, str) and NAME_RE.match(name) and name not in resources:
                resources.append(name)
    generation = line.get("generation")
    values = {
        "action": line["action"],
        "resources": ",".join(resources),
        "cause": _token(inputs.get("cause")),
        "generation": generation if isinstance(generation, int) and not isinstance(generation, bool) else "",
        "controller": _token(controller or os.uname()[1]),
        "watcher": _token(who.get("watcher")),  # the watcher whose event started the run, if one did
    }
    return prefix(line["hierarchy"]) + " " + ";".join("%s=%s" % (k, values[k]) for k in FIELDS)


def parse(event, hierarchy):
    """A record in the ledger's shape from one event of ``hierarchy``, or None when it is not one.

    ``event`` is what vsphere/annotations.py returns: ``{"key", "time", "message", ...}``;
    the time is vCenter's, the same clock for every controller.
    """
    text = event.get("message") or ""
    head = prefix(hierarchy)
    if not text.startswith(head):
        return None
    items = {}
    for part in text[len(head):].strip().split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            items[key.strip()] = value.strip()
    action = items.get("action")
    if action not in POSTED_ACTIONS or not event.get("time"):
        return None
    resources = [r for r in (items.get("resources") or "").split(",") if r]
    generation = items.get("generation") or ""
    return {
        "time": event["time"], "hierarchy": hierarchy, "action": action, "decision": "act",
        "generation": int(generation) if generation.isdigit() else None,
        "inputs": {"cause": items["cause"]} if items.get("cause") else {},
        "result": {"steps": [{"action": "recover", "resource": r} for r in resources]},
        "controller": dict({"host": items.get("controller") or None},
                           **({"watcher": items["watcher"]} if items.get("watcher") else {})),
        "event": event.get("key"),
    }


class BudgetLog(object):
    """Budget events over ``RootAnnotations`` (vsphere/annotations.py) or a fake of it."""

    def __init__(self, annotations):
        self.ann = annotations

    def post(self, line, controller=None):
        text = message(line, controller)
        self.ann.post_event(text)
        return text

    def records(self, hierarchy, since):
        """``(records, complete)``: the budget uses of ``hierarchy`` posted since ``since`` (a datetime).

        ``complete`` is false when vCenter returned as many events as one
        query can: older ones within the window may then be missed.
        """
        found = self.ann.query_events_since(prefix(hierarchy), since)
        out = [parse(event, hierarchy) for event in found["events"]]
        return [r for r in out if r is not None], found["complete"]
