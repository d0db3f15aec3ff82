# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: health_table
short_description: Render a vm_health_info result as a readable table
version_added: 0.1.0
description:
  - Turns the result of M(vigil.ha.vm_health_info) into a plain-text table,
    hosts first, then VMs, each with its verdict, state and reasons, followed
    by a one-line summary. Meant for C(ansible.builtin.debug) and reports.
  - The connection, maintenance, VMware Tools and heartbeat columns need the
    raw states of O(vigil.ha.vm_health_info#module:details=full); with its
    compact result (the default) they show C(-).
author:
  - vigil.ha developers (@vigil-ha)
options:
  _input:
    description: The registered result of M(vigil.ha.vm_health_info).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read health, raw states included for the table
  vigil.ha.vm_health_info:
    details: full
  register: health

- name: Show it
  ansible.builtin.debug:
    msg: "{{ health | vigil.ha.health_table }}"
"""

RETURN = r"""
_value:
  description: The table, lines separated by newlines.
  type: str
"""

from ansible.errors import AnsibleFilterError


def _raw(record):
    # A compact result (details: compact) has no raw states: their columns show "-".
    return record.get("raw") or {}


HOST_COLUMNS = (
    ("HOST", lambda r: r["name"]),
    ("VERDICT", lambda r: r["verdict"].upper()),
    ("CLUSTER", lambda r: r.get("cluster")),
    ("CONNECTION", lambda r: _raw(r).get("connection_state")),
    ("POWER", lambda r: _raw(r).get("power_state")),
    ("MAINT", lambda r: ("yes" if _raw(r).get("in_maintenance_mode") else "no") if "raw" in r else None),
    ("REASONS", lambda r: "; ".join(r.get("reasons") or [])),
)
VM_COLUMNS = (
    ("VM", lambda r: r["name"]),
    ("VERDICT", lambda r: r["verdict"].upper()),
    ("HOST", lambda r: r.get("host")),
    ("POWER", lambda r: _raw(r).get("power_state") or r.get("power_state")),
    ("CONNECTION", lambda r: _raw(r).get("connection_state")),
    ("TOOLS", lambda r: (_raw(r).get("tools_running_status") or "").replace("guestTools", "")),
    ("HEARTBEAT", lambda r: _raw(r).get("guest_heartbeat_status")),
    ("REASONS", lambda r: "; ".join(r.get("reasons") or [])),
)


def _cell(value):
    return "-" if value in (None, "") else str(value)


def _table(columns, records):
    rows = [[c[0] for c in columns]]
    rows += [[_cell(get(r)) for dummy, get in columns] for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def health_table(result):
    if not isinstance(result, dict) or "vms" not in result:
        raise AnsibleFilterError("health_table expects the registered result of vigil.ha.vm_health_info")
    lines = []
    if result.get("hosts"):
        lines += _table(HOST_COLUMNS, result["hosts"]) + [""]
    lines += _table(VM_COLUMNS, result["vms"])
    summary = result.get("summary") or {}
    lines += ["", "%d hosts, %d VMs: %s" % (
        len(result.get("hosts") or []), len(result["vms"]),
        ", ".join("%d %s" % (summary.get(k, 0), k) for k in ("ok", "degraded", "failed", "unknown")))]
    return "\n".join(lines)


class FilterModule(object):
    def filters(self):
        return {"health_table": health_table}
