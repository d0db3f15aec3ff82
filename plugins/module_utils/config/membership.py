# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which hierarchies a node may hold, and extending or shrinking them
(LifeKeeper's "extend hierarchy" / "unextend"). Plain Python: no Ansible."""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
import copy


class MembershipError(InputError):
    """Bad input; the message names the field."""


def held_by(hierarchies, node):
    """The hierarchies that list `node`, each with that node's `priority`."""
    out = []
    for h in hierarchies or []:
        for entry in h.get("nodes") or []:
            if isinstance(entry, dict) and entry.get("node") == node:
                out.append(dict(h, priority=entry.get("priority")))
                break
    return out


def _by_name(hierarchies):
    return dict((h.get("name"), h) for h in hierarchies if isinstance(h, dict))


def with_node(hierarchies, node, wanted):
    """A copy of `hierarchies` in which each hierarchy of `wanted`
    ([{name, priority}]) lists `node` with that priority (added or changed)."""
    out = copy.deepcopy(list(hierarchies or []))
    known = _by_name(out)
    if not wanted:
        raise MembershipError("hierarchies: name at least one hierarchy to extend to %s" % node)
    for i, want in enumerate(wanted):
        where = "hierarchies[%d]" % i
        if not isinstance(want, dict) or set(want) - {"name", "priority"}:
            raise MembershipError("%s: give name and priority only, not %r" % (where, want))
        name, priority = want.get("name"), want.get("priority")
        if name not in known:
            raise MembershipError("%s.name: no hierarchy named %r (known: %s)"
                                  % (where, name, ", ".join(sorted(str(n) for n in known)) or "none"))
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise MembershipError("%s.priority: an integer, not %r" % (where, priority))
        nodes = known[name].setdefault("nodes", [])
        entry = next((e for e in nodes if isinstance(e, dict) and e.get("node") == node), None)
        if entry is None:
            nodes.append({"node": node, "priority": priority})
        else:
            entry["priority"] = priority
    return out


def without_node(hierarchies, node, names=None):
    """A copy of `hierarchies` in which `node` is in no hierarchy (or none of `names`)."""
    out = copy.deepcopy(list(hierarchies or []))
    known = _by_name(out)
    for i, name in enumerate(names or []):
        if name not in known:
            raise MembershipError("hierarchies[%d]: no hierarchy named %r" % (i, name))
    for h in out:
        if isinstance(h, dict) and (names is None or h.get("name") in names):
            h["nodes"] = [e for e in h.get("nodes") or [] if not (isinstance(e, dict) and e.get("node") == node)]
    return out


def locate(doc, group):
    """The mapping of a vars or inventory document that holds
    `vigil_ha_hierarchies`: the document itself (group_vars/host_vars file) or
    the `vars` of inventory group `group` (an inventory file)."""
    if isinstance(doc, dict) and "vigil_ha_hierarchies" in doc:
        return doc
    group_vars = (doc or {}).get(group, {}) if isinstance(doc, dict) else {}
    group_vars = (group_vars or {}).get("vars") if isinstance(group_vars, dict) else None
    if isinstance(group_vars, dict) and "vigil_ha_hierarchies" in group_vars:
        return group_vars
    raise MembershipError("path: holds no vigil_ha_hierarchies, neither at the top (a group_vars file) "
                          "nor in the vars of inventory group %s" % group)


def header(text):
    """The leading comment lines of a file, kept when it is written again."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""
