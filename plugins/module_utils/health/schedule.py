# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When each check of the event source is due, and when a failure counts (plain Python).

``Schedule`` keeps, per check (a node's own, or one resource on one node),
the time it is due next: each runs on its own ``check.interval``. The
checks of one node that are due together run in one SSH round trip
(``batch``): a resource due within half its interval joins the run that is
starting anyway, so a node with several resources is not visited once per
resource.

``Confirmations`` counts failed checks in a row per subject and observer:
a failure counts only at the ``check.confirm``-th (2 by default), the one
before it asks for a check again soon (``recheck_delay``), so that one lost
packet or one slow answer never starts a failover. What vCenter says (a VM
powered off) is a fact and is not confirmed.
"""

from __future__ import annotations

import time

FAILED = ("failed", "unreachable")


def recheck_delay(interval):
    """How soon a first failure is checked again: within the interval, at most a second later."""
    return min(1.0, interval / 2.0)


class Schedule(object):
    """The next due time of every check (monotonic seconds); unknown checks are due now."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._due = {}  # key -> monotonic time

    def due_in(self, key, now=None):
        """Seconds until ``key`` is due (0 or less: due)."""
        now = self.clock() if now is None else now
        return self._due.get(key, now) - now

    def done(self, key, started, interval):
        """A check of ``key`` that started at ``started`` ran: next one ``interval`` later."""
        self._due[key] = started + interval

    def soon(self, key, delay):
        """Check ``key`` again within ``delay`` seconds (never later than already planned)."""
        at = self.clock() + delay
        self._due[key] = min(self._due.get(key, at), at)

    def keep(self, keys):
        """Forget the checks not in ``keys`` (a hierarchy moved, a resource was removed)."""
        keys = set(keys)
        for key in [k for k in self._due if k not in keys]:
            del self._due[key]

    def batch(self, node, interval, resources, now=None):
        """``(node_due, [resources to check now])`` of ``node``, or ``(False, [])`` when nothing is due.

        ``resources`` are dicts with ``hierarchy``, ``name`` and ``check`` (``interval``); their
        key is ``(node, hierarchy, name)``. When anything is due, the node's own check and every
        resource due within half its interval ride along in the same run.
        """
        now = self.clock() if now is None else now
        node_due = self.due_in((node,), now) <= 0
        due = [r for r in resources if self.due_in((node, r["hierarchy"], r["name"]), now) <= 0]
        if not node_due and not due:
            return False, []
        soon = [r for r in resources
                if self.due_in((node, r["hierarchy"], r["name"]), now) <= r["check"]["interval"] / 2.0]
        return node_due or self.due_in((node,), now) <= interval / 2.0, soon

    def next_in(self, now=None):
        """Seconds until the next check is due (None: nothing planned)."""
        now = self.clock() if now is None else now
        return min(self._due.values()) - now if self._due else None


class Confirmations(object):
    """Failed checks in a row per ``(subject key, observer)``."""

    def __init__(self):
        self._failures = {}

    def judge(self, key, state, needed):
        """True when a report of ``state`` may be told: anything but a failure at once,
        a failure at the ``needed``-th in a row. A report that is not a failure resets the count."""
        if state == "unknown":
            return True  # the check could not run: it says nothing either way
        if state not in FAILED:
            self._failures.pop(key, None)
            return True
        count = self._failures.get(key, 0) + 1
        self._failures[key] = count
        return count >= needed

    def pending(self, key):
        """Failed checks seen in a row and not yet told (0: none)."""
        return self._failures.get(key, 0)

    def forget_subject(self, subject):
        """Forget the failures seen of ``subject`` by every observer (they were about another node)."""
        for key in [k for k in self._failures if k[0] == subject]:
            del self._failures[key]
