# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health events: edge-triggered and normalised (plain Python).

The event source ``vigil.ha.health`` observes the same things again and
again (a vCenter batch, a tcp check every few seconds, the node-side checks
every half minute). ``Tracker`` turns those observations into transitions:
something is reported only when its state changes, so a resource that stays
failed yields one event, not one per check. ``EventFactory`` gives every
transition the one shape rulebooks match on, under the key ``vigil_ha``
(docs/events.md).
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
import datetime
import uuid

KEY = "vigil_ha"
SCHEMA = 1

# Subject types.
VM = "vm"
HOST = "host"
RESOURCE = "resource"
NODE = "node"
HIERARCHY = "hierarchy"
VCENTER = "vcenter"
# Not a state change: the preferred node of a hierarchy with switchback
# automatic has been healthy for the settling time (model/switchback.py).
SWITCHBACK = "switchback"
# Host mode: where a hierarchy's running VMs are, against its owner (model/follow.py):
# on_owner, moved (to one other node: the owner follows) or split.
PLACEMENT = "placement"
TYPES = (VM, HOST, RESOURCE, NODE, HIERARCHY, VCENTER, SWITCHBACK, PLACEMENT)

# States that are not news when first seen: a source that starts on a healthy
# cluster says nothing; one that starts on a failure reports it.
QUIET_FIRST = ("ok", "in_service", "reachable", "connected", "on_owner")

# When several observers report on one subject (the source's own tcp/http
# check and the node-side check of the same resource), the worst one counts.
RANK = {
    "in_service": 0, "ok": 0, "reachable": 0, "connected": 0, "on_owner": 0,
    "degraded": 1, "out_of_service": 1, "moved": 1,
    "unknown": 2, "disconnected": 2,
    "failed": 3, "unreachable": 3,
}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Transition(object):
    __slots__ = ("key", "before", "after", "reasons", "observer")

    def __init__(self, key, before, after, reasons, observer):
        self.key = key
        self.before = before
        self.after = after
        self.reasons = list(reasons)
        self.observer = observer

    def __repr__(self):
        return "Transition(%r, %r -> %r)" % (self.key, self.before, self.after)


class Tracker(object):
    """The last state of every subject; ``observe`` says when it changes.

    A subject (any hashable key) may be observed by several observers; its
    state is the worst of their latest reports (``RANK``). Reasons never
    make a transition on their own: only the state does.
    """

    def __init__(self):
        self._reports = {}  # key -> {observer: (state, reasons)}
        self._state = {}  # key -> (state, reasons, observer)

    def state(self, key):
        """The current state of ``key``, or None when never observed."""
        entry = self._state.get(key)
        return entry[0] if entry else None

    def observe(self, key, state, reasons=(), observer="default"):
        """Record a report; a Transition when the subject's state changed, else None."""
        reports = self._reports.setdefault(key, {})
        reports[observer] = (state, list(reasons))
        return self._settle(key)

    def changes(self, key, state, observer="default"):
        """Would this report change the subject's state? Nothing is recorded."""
        reports = dict(self._reports.get(key, {}))
        reports[observer] = (state, [])
        worst = reports[max(sorted(reports), key=lambda o: RANK.get(reports[o][0], 2))][0]
        before = self._state.get(key)
        return worst not in QUIET_FIRST if before is None else before[0] != worst

    def drop(self, key, observer):
        """Forget one observer's report (it no longer applies); a Transition if that changes the state."""
        reports = self._reports.get(key)
        if not reports or observer not in reports:
            return None
        del reports[observer]
        if not reports:
            del self._reports[key]
            return None  # nothing is known any more: keep the last state, report nothing
        return self._settle(key)

    def _settle(self, key):
        reports = self._reports[key]
        observer = max(sorted(reports), key=lambda o: RANK.get(reports[o][0], 2))
        state, reasons = reports[observer]
        before = self._state.get(key)
        self._state[key] = (state, reasons, observer)
        if before is None:
            if state in QUIET_FIRST:
                return None
            return Transition(key, None, state, reasons, observer)
        if before[0] == state:
            return None
        return Transition(key, before[0], state, reasons, observer)


class EventFactory(object):
    """Numbers and stamps events; one factory per run of the source.

    ``seq`` starts at 1 and grows by one per event; ``source_id`` is new on
    every start, so a consumer can tell a restarted source from lost events.
    """

    def __init__(self, clock=utc_now, source_id=None, watcher=None):
        self.clock = clock
        self.seq = 0
        self.source_id = source_id or uuid.uuid4().hex[:12]
        self.watcher = watcher  # this watcher's id (the lease's holder name): the ledger says who acted

    def make(self, subject_type, name, before, after, reasons=(), observer=None, hierarchy=None, node=None,
             resource=None, moref=None, owner=None, generation=None, maintenance=(), fencing=None, resync=False):
        """One event, ready for the queue: ``{"vigil_ha": {...}}`` (the schema of docs/events.md)."""
        if subject_type not in TYPES:
            raise InputError("subject type must be one of %s, not %r" % (", ".join(TYPES), subject_type))
        self.seq += 1
        maintenance = list(maintenance or [])
        return {KEY: {
            "schema": SCHEMA,
            "seq": self.seq,
            "source_id": self.source_id,
            "watcher": self.watcher,
            "time": self.clock(),
            "type": subject_type,
            "name": name,
            "moref": moref,
            "hierarchy": hierarchy,
            "node": node,
            "resource": resource,
            "from": before,
            "to": after,
            "reasons": [str(r) for r in reasons],
            "observer": observer,
            "owner": owner,
            "generation": generation,
            "on_owner": bool(node is not None and node == owner),
            "maintenance": bool(maintenance),
            "maintenance_reasons": maintenance,
            "fencing": fencing,
            "resync": bool(resync),
            # Set by the source's repeats.Repeats: a repeat the rulebook records instead of acting on.
            "suppressed": False,
            "suppressed_reason": None,
        }}
