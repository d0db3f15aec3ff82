# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's fencing levels, tried in order (plain Python).

As Pacemaker's fencing topology: a node lists one or more methods (levels);
they are tried one after the other until one confirms the node off; the
first that confirms wins, and when none does the node is not fenced
(nothing may start elsewhere: an operator is needed). A ``delay`` before
the first level breaks the tie when two sides could fence each other.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
import time

VCENTER = "vcenter_poweroff"
AGENT = "fence_agent"
NONE = "none"
METHODS = (VCENTER, AGENT, NONE)
MAX_DELAY = 300


class LevelFailed(VigilError):
    """One level did not confirm the node off; ``seen`` (its details) says what it saw."""

    @property
    def seen(self):
        return self.details


class NotFenced(VigilError, kind="not_fenced"):
    """No level confirmed the node off; ``attempts`` says what each one saw."""

    def __init__(self, message, attempts):
        super(NotFenced, self).__init__(message, attempts=attempts)
        self.attempts = attempts


def label(level):
    """``fence_agent fence_ipmilan`` or ``vcenter_poweroff``."""
    if level.get("method") == AGENT:
        return "%s %s" % (AGENT, level.get("agent"))
    return level.get("method") or NONE


def needs_vcenter(levels):
    """Whether every level needs vCenter (so that without it nothing can be fenced)."""
    usable = [lv for lv in levels or [] if lv.get("method") != NONE]
    return bool(usable) and all(lv["method"] == VCENTER for lv in usable)


def fence_in_order(name, levels, try_level, delay=0, check_mode=False, sleep=time.sleep):
    """Try ``levels`` in order with ``try_level(level, check_mode)``, which
    returns a result dict (``fenced`` true, or in check mode what it would
    do) or raises LevelFailed. Returns the first confirming level's result
    with ``level`` (1-based), ``method`` and ``attempts``; raises NotFenced
    when none confirms."""
    attempts = []
    usable = [lv for lv in levels or [] if lv.get("method") != NONE]
    if not usable:
        raise NotFenced("node %s has no fencing method (fencing.method none)" % name, attempts)
    if delay and not check_mode:
        sleep(delay)
    for i, level in enumerate(usable, 1):
        try:
            result = dict(try_level(level, check_mode))
            if not check_mode and not result.get("fenced"):
                # Only a confirmed fence counts, whatever a level returns.
                raise LevelFailed(result.get("msg") or "did not confirm the node off")
        except LevelFailed as exc:
            attempts.append(dict(exc.seen, level=i, method=label(level), fenced=False, msg=exc.message))
            continue
        attempts.append({"level": i, "method": label(level), "fenced": bool(result.get("fenced")),
                         "msg": result.get("msg", "")})
        result.update(level=i, method=label(level), attempts=attempts)
        return result
    raise NotFenced("node %s is NOT fenced: no fencing level confirmed it off (%s)" % (
        name, "; ".join("level %d %s: %s" % (a["level"], a["method"], a["msg"]) for a in attempts)), attempts)
