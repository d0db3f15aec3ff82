# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repeats of an event the rulebook acts on, marked by the source (plain Python).

ansible-rulebook's ``throttle`` drops a repeat without a trace, so the
"why not" of the ledger had a hole. The source does the de-duplication
instead: an event the rulebook would act on (a failover, a local recovery)
that repeats one already let through within the window is marked
``suppressed: true`` with the reason, and the rulebook records that
decision in the ledger (``refused: throttled``) instead of acting.
"""

from __future__ import annotations

import time

from ansible_collections.vigil.ha.plugins.module_utils.health import events

DEFAULT_WINDOWS = {"failover": 120, "recover": 20}


def action_of(event):
    """``(action, key)`` the rulebook would act on for this event (the payload under ``vigil_ha``), or None.

    Mirrors the conditions of the rules vigil.ha.auto_failover acts with:
    only failures on the owner, out of maintenance, that it would not send
    to an operator (no fencing possible) count.
    """
    if event.get("maintenance") or not event.get("on_owner"):
        return None
    kind, to = event.get("type"), event.get("to")
    hierarchy, generation = event.get("hierarchy"), event.get("generation")
    if (kind in (events.VM, events.HOST) and to == "failed") or (kind == events.NODE and to == "unreachable"):
        if not (event.get("fencing") or {}).get("possible"):
            return None
        return "failover", ("failover", hierarchy, event.get("node"), generation)
    if kind == events.RESOURCE and to == "failed":
        return "recover", ("recover", hierarchy, event.get("resource"), generation)
    return None


class Repeats(object):
    """Lets the first event of each action key through per window; marks the others."""

    def __init__(self, windows=None, clock=time.monotonic):
        self.windows = dict(DEFAULT_WINDOWS, **(windows or {}))
        self.clock = clock
        self._first = {}  # key -> (monotonic time, seq)

    def mark(self, event):
        """Set ``suppressed`` and ``suppressed_reason`` of the payload ``event``; returns it."""
        event["suppressed"], event["suppressed_reason"] = False, None
        found = action_of(event)
        if found is None:
            return event
        action, key = found
        now, window = self.clock(), self.windows[action]
        first = self._first.get(key)
        if first is not None and now - first[0] < window:
            event["suppressed"] = True
            what = ("failover of %s from %s" % (event.get("hierarchy"), event.get("node")) if action == "failover"
                    else "local recovery of %s in %s" % (event.get("resource"), event.get("hierarchy")))
            event["suppressed_reason"] = (
                "repeat of event %s within %ss: the %s at generation %s was already started for it"
                % (first[1], window, what, event.get("generation")))
            return event
        self._first[key] = (now, event.get("seq"))
        # Keys of old generations never come back: forget what is past every window.
        for old in [k for k, first in self._first.items() if now - first[0] >= max(self.windows.values())]:
            del self._first[old]
        return event
