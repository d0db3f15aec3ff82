# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a notification says (plain Python): one notice, as JSON for a webhook
and as a short subject and a plain-text body for mail.

A notice holds only what the rulebook knew: the hierarchy, what happened,
from and to which node, the generation, the reason, the watcher and the
time. No channel setting is ever part of it, and ``redact`` removes any
secret a reason may have picked up.
"""

from __future__ import annotations

import datetime

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError

# event -> the words of a subject line
EVENTS = {
    "failover": "failed over",
    "recover": "recovered in place",
    "switchover": "switched over",
    "adopt": "owner follows its VMs",
    "refused": "action refused",
    "operator_needed": "OPERATOR NEEDED",
    "no_watcher": "no watcher holds the lease",
}
FIELDS = ("event", "hierarchy", "from_node", "to_node", "generation", "reason", "watcher", "command", "time")
REDACTED = "<redacted>"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def notice(event, hierarchy, from_node=None, to_node=None, generation=None, reason=None, watcher=None,
           command=None, time=None):
    """The notice as a dictionary (the webhook's JSON); bad input raises InputError naming the field."""
    if event not in EVENTS:
        raise InputError("event: must be one of %s, not %r" % (", ".join(sorted(EVENTS)), event), field="event")
    if not (hierarchy or "").strip():
        raise InputError("hierarchy: must not be empty", field="hierarchy")
    if isinstance(generation, str) and generation.strip().isdigit():
        generation = int(generation)
    if generation == "":  # a rulebook's notice without one (no_watcher)
        generation = None
    if generation is not None and (isinstance(generation, bool) or not isinstance(generation, int)
                                   or generation < 0):
        raise InputError("generation: must be a whole number >= 0, not %r" % (generation,), field="generation")
    out = {"source": "vigil.ha", "event": event, "hierarchy": hierarchy.strip(),
           "from_node": from_node or None, "to_node": to_node or None, "generation": generation,
           "reason": (reason or "").strip() or None, "watcher": watcher or None,
           "command": (command or "").strip() or None, "time": time or now()}
    out["summary"] = summary(out)
    return out


def summary(n):
    """One line: what happened to which hierarchy, where."""
    where = ""
    if n["from_node"] and n["to_node"] and n["from_node"] != n["to_node"]:
        where = " %s -> %s" % (n["from_node"], n["to_node"])
    elif n["to_node"] or n["from_node"]:
        where = " on %s" % (n["to_node"] or n["from_node"])
    gen = " (generation %d)" % n["generation"] if n["generation"] is not None else ""
    if n["event"] == "no_watcher":
        return "vigil.ha cluster %s: %s" % (n["hierarchy"], EVENTS["no_watcher"])
    return "vigil.ha %s: %s%s%s" % (n["hierarchy"], EVENTS[n["event"]], where, gen)


def mail(n):
    """(subject, body) of the notice ``n`` for e-mail: a short subject, then one field a line."""
    lines = [n["summary"], ""]
    labels = (("hierarchy", "Hierarchy"), ("event", "What"), ("from_node", "From"), ("to_node", "To"),
              ("generation", "Generation"), ("reason", "Reason"), ("command", "To confirm, run"),
              ("watcher", "Watcher"), ("time", "Time (UTC)"))
    for key, label in labels:
        if n.get(key) is not None:
            lines.append("%s: %s" % (label, n[key]))
    return n["summary"], "\n".join(lines) + "\n"


def redact(value, secrets):
    """``value`` (str, list, dict) with every occurrence of each secret replaced."""
    secrets = [s for s in secrets if s]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return dict((k, redact(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [redact(v, secrets) for v in value]
    return value
