# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""When the watcher moves a hierarchy back to its preferred node (plain Python).

``policy.switchback: automatic`` means: once the preferred node (first by
priority) is healthy again and has stayed so for a settling time, the
hierarchy goes back to it by a switchover (the rulebook runs
``vigil.ha.switchover`` with the generation seen, so a move meanwhile makes
it stale). ``Switchback.due`` is asked every few seconds with what the
source knows; it answers once per settled period. An attempt that did not
move the hierarchy (refused: the node was not fit after all) is asked again
after a pause that doubles each time, up to an hour.
"""

from __future__ import annotations

import time

MAX_PAUSE = 3600


def candidate(hierarchy, owner):
    """The preferred node of ``hierarchy`` when it should go back there from ``owner``; else None."""
    if (hierarchy.policy or {}).get("switchback") != "automatic" or hierarchy.maintenance:
        return None
    preferred = hierarchy.node_names[0] if hierarchy.node_names else None
    if owner is None or preferred is None or owner == preferred:
        return None
    return preferred


class Switchback(object):
    def __init__(self, settle=60, clock=time.monotonic):
        self.settle = max(0, int(settle))
        self.clock = clock
        self._since = {}  # hierarchy -> (preferred, owner, generation, healthy since)
        self._next = {}  # hierarchy -> (generation, earliest next attempt, attempts)

    def due(self, name, preferred, owner, generation, healthy):
        """True when a switchback of ``name`` to ``preferred`` should be asked for now.

        ``preferred`` None (no switchback wanted) or ``healthy`` False resets
        the settling; a change of owner or generation starts it again.
        """
        now = self.clock()
        if preferred is None or not healthy:
            self._since.pop(name, None)
            self._next.pop(name, None)
            return False
        seen = (preferred, owner, generation)
        since = self._since.get(name)
        if since is None or since[:3] != seen:
            self._since[name] = seen + (now,)
            since = self._since[name]
        if now - since[3] < self.settle:
            return False
        gen, earliest, attempts = self._next.get(name, (generation, 0, 0))
        if gen != generation:
            earliest, attempts = 0, 0
        if now < earliest:
            return False
        pause = min(MAX_PAUSE, max(self.settle, 30) * (2 ** attempts))
        self._next[name] = (generation, now + pause, attempts + 1)
        return True

    def healthy_for(self, name):
        """Seconds the preferred node of ``name`` has been seen healthy (0 when not)."""
        since = self._since.get(name)
        return self.clock() - since[3] if since else 0
