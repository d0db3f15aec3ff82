# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the ledger (state/ledger.py) as the watcher counts them (plain Python).

The playbooks the rulebook runs write one JSON line per decision; the
watcher reads what was appended since its last look (blocking: run it in a
thread). The whole file counts, from its first line: a counter that starts
again from the ledger's total after a restart is, for Prometheus, one that
kept counting (a total never falls).
"""

from __future__ import annotations

import collections
import json
import os
import re
import threading

from ansible_collections.vigil.ha.plugins.module_utils.state.ledger import DEFAULT_PATH

KEEP = 20  # the last decisions the status page shows
REFUSED = "refused"
OPERATOR_FENCE = re.compile(r"operator fenced (\S+):")
ENV = "VIGIL_HA_LEDGER"  # the ledger module's own fallback (plugins/modules/ledger.py): the same file


def default_path():
    """The file the playbooks write when nothing else is said: $VIGIL_HA_LEDGER, else the module's default."""
    return os.path.expanduser(os.environ.get(ENV) or DEFAULT_PATH)


def fences(line):
    """The nodes a decision line fenced: the fence steps of a run's plan, or an operator's vigil.ha.fence."""
    if line.get("action") == "fence" and line.get("decision") == "fenced":
        named = OPERATOR_FENCE.match(str(line.get("reason") or ""))  # playbooks/fence.yml's wording
        return [(line.get("inputs") or {}).get("node") or (named.group(1) if named else "unknown")]
    if line.get("decision") != "act":
        return []
    steps = (line.get("result") or {}).get("steps") or []
    return [s.get("node") or "unknown" for s in steps if isinstance(s, dict) and s.get("kit") == "fence"]


def short(line):
    """What the status page shows of one decision (no inputs: they can be long)."""
    return {"time": line.get("time"), "hierarchy": line.get("hierarchy"), "action": line.get("action"),
            "decision": line.get("decision"), "generation": line.get("generation"), "reason": line.get("reason"),
            "watcher": (line.get("controller") or {}).get("watcher")}


class LedgerTail(object):
    """Counts of the ledger's decisions, kept up to date by ``read``."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()  # read in a worker thread, counted by the HTTP thread
        self._reset()
        self.error = None

    def _reset(self):
        self.offset = 0
        self.partial = b""
        self.decisions = collections.Counter()  # (hierarchy, action, decision) -> lines
        self.fences = collections.Counter()  # (hierarchy, node) -> fences
        self.last = collections.deque(maxlen=KEEP)

    def read(self):
        """Read what was appended since the last call; the new lines (a list of dicts)."""
        try:
            size = os.path.getsize(self.path)
        except OSError as exc:
            self.error = None if isinstance(exc, FileNotFoundError) else str(exc)
            return []
        if size < self.offset:  # replaced or truncated (a new ledger): count it from its start
            with self.lock:
                self._reset()
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError as exc:
            self.error = str(exc)
            return []
        self.error = None
        self.offset += len(data)
        data = self.partial + data
        lines, self.partial = data.split(b"\n"), b""
        if not data.endswith(b"\n"):
            self.partial = lines[-1]  # a line being written: taken whole next time
        new = []
        for text in lines[:-1]:
            try:
                line = json.loads(text.decode("utf-8", "replace"))
            except ValueError:
                continue
            if isinstance(line, dict):
                new.append(line)
        with self.lock:
            for line in new:
                self._count(line)
        return new

    def _count(self, line):
        hierarchy = str(line.get("hierarchy"))
        self.decisions[(hierarchy, str(line.get("action")), str(line.get("decision")))] += 1
        for node in fences(line):
            self.fences[(hierarchy, str(node))] += 1
        self.last.append(short(line))

    def count(self, action=None, decision=None):
        """``{hierarchy: lines}`` of one action and decision (``decision`` ``refused``: every refusal)."""
        out = collections.Counter()
        with self.lock:
            items = list(self.decisions.items())
        for (hierarchy, act, dec), n in items:
            if action not in (None, act):
                continue
            if decision == REFUSED and not dec.startswith(REFUSED):
                continue
            if decision not in (None, REFUSED) and dec != decision:
                continue
            out[hierarchy] += n
        return out

    def counts(self):
        """``(decisions, fences, last decisions)``: copies, for another thread."""
        with self.lock:
            return dict(self.decisions), dict(self.fences), list(self.last)
