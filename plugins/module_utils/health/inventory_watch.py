# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Noticing that the cluster's inventory was edited while the watcher runs (plain Python).

An operator sets ``maintenance: true`` in the inventory and expects the
running watcher to honour it. The source compares a fingerprint of the
inventory's files (path, size, mtime) every few seconds and, when it
changed, reads and validates the inventory again; a refused edit keeps the
last good configuration. ``changes`` says what a reload changed, for the log.
"""

from __future__ import annotations

import os

# Ansible reads these next to an inventory file, and inside an inventory directory.
_VAR_DIRS = ("group_vars", "host_vars")


def _files(path):
    if os.path.isdir(path):
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                if not name.startswith("."):
                    yield os.path.join(root, name)
        return
    yield path
    here = os.path.dirname(os.path.abspath(path))
    for sub in _VAR_DIRS:
        if os.path.isdir(os.path.join(here, sub)):
            yield from _files(os.path.join(here, sub))


def fingerprint(inventory):
    """A value that changes when any file of ``inventory`` (comma-separated sources allowed) changes."""
    out = []
    for source in str(inventory).split(","):
        source = source.strip()
        if not source:
            continue
        if not os.path.exists(source):
            out.append((source, None))
            continue
        for path in _files(source):
            try:
                st = os.stat(path)
            except OSError:
                out.append((path, None))
                continue
            out.append((path, st.st_size, st.st_mtime_ns))
    return tuple(out)


def changes(old, new):
    """What a reload changed, in words: maintenance flags, nodes and hierarchies added or removed, policies."""
    out = []
    for kind, before, after in (("node", old.nodes, new.nodes), ("hierarchy", old.hierarchies, new.hierarchies)):
        for name in sorted(set(after) - set(before)):
            out.append("%s %s added" % (kind, name))
        for name in sorted(set(before) - set(after)):
            out.append("%s %s removed" % (kind, name))
        for name in sorted(set(before) & set(after)):
            was, now = before[name].maintenance, after[name].maintenance
            if was != now:
                out.append("%s %s %s maintenance" % (kind, name, "in" if now else "out of"))
            if kind == "hierarchy" and before[name].policy != after[name].policy:
                out.append("hierarchy %s policy changed" % name)
    return out
