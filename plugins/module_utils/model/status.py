# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status of a cluster, as data and as a table in the manner of crm_mon.

Plain Python. Input: per hierarchy, its validated config, its state from
vCenter (owner, generation, latest events) and what observe saw.
"""

from __future__ import annotations

_MARK = {"in_service": "ISP", "out_of_service": "OSU", "failed": "FAILED", "unknown": "?"}


def hierarchy_status(hierarchy, state, observed):
    nodes = [m["node"] for m in hierarchy["nodes"]]
    events = state.get("events") or []
    resources = []
    for res in hierarchy["resources"]:
        on = {}
        for node in nodes:
            if node in observed["node_health"] and observed["node_health"][node] != "ok":
                on[node] = observed["node_health"][node]
            else:
                on[node] = observed["states"].get(node, {}).get(res["name"], "unknown")
        resources.append({"name": res["name"], "kind": res["kind"], "states": on})
    return {
        "hierarchy": hierarchy["name"],
        "owner": state.get("owner") or None,
        "generation": state.get("generation") or 0,
        "since": state.get("since"),
        "nodes": nodes,
        "node_health": dict((n, observed["node_health"].get(n, "ok")) for n in nodes),
        "resources": resources,
        "last_transition": events[0] if events else None,
        "vcenter_reachable": observed["vcenter_reachable"],
    }


def lease_line(lease):
    """One line on the cluster's watcher lease (vigil.ha.watcher_lease's get), or None without one."""
    if not lease or lease.get("epoch") is None:
        return None
    name = "Watcher lease %s" % lease.get("cluster")
    if lease.get("held"):
        return "%s: held by %s, epoch %s, until %s" % (name, lease["holder"], lease["epoch"], lease["expiry"])
    if not lease["epoch"]:
        return "%s: never held (no watcher runs with the lease on)" % name
    line = "%s: no watcher holds the lease since %s (epoch %s, last holder %s)" % (
        name, lease.get("free_since") or "?", lease["epoch"], lease.get("holder") or "none, released")
    if lease.get("pending"):
        line += "; a change of holder is under way or died (%s)" % lease["pending"].get("field")
    if lease.get("orphaned"):
        line += "; marked orphaned since %s" % lease["orphaned"]
    return line


def standbys_line(lease):
    """The standby watchers and when each last recorded itself, or None (no lease, or none seen)."""
    if not lease or not lease.get("standbys"):
        return None
    return "Standby watchers: " + ", ".join(
        "%s last seen %s" % (w["id"], "%ss ago (%s)" % (w["seen_ago"], w["seen"]) if w.get("seen") else "never")
        for w in lease["standbys"])


def status_table(statuses, lease=None):
    """Lines of text: the watcher lease and its standbys (when given), then one block per hierarchy."""
    lines = [line for line in (lease_line(lease), standbys_line(lease)) if line]
    for st in statuses:
        owner = st["owner"] or "no node"
        lines.append("Hierarchy %s: in service on %s, generation %s%s" % (
            st["hierarchy"], owner, st["generation"], " since %s" % st["since"] if st["since"] else ""))
        nodes = st["nodes"]
        header = ["RESOURCE", "KIND"] + ["%s%s" % (n, "*" if n == st["owner"] else "") for n in nodes]
        rows = [header] + [[r["name"], r["kind"]] + [_MARK.get(r["states"][n], r["states"][n]) for n in nodes]
                           for r in st["resources"]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        unhealthy = ["%s %s" % (n, h) for n, h in st["node_health"].items() if h != "ok"]
        if unhealthy:
            lines.append("  nodes: " + ", ".join(unhealthy))
        if not st["vcenter_reachable"]:
            lines.append("  vCenter: unreachable (no fencing possible)")
        last = st["last_transition"]
        text = "%s %s" % (last.get("time", ""), last.get("message", "")) if last else "none recorded"
        lines.append("  last transition: " + text)
        lines.append("")
    lines.append("ISP in service, OSU out of service; * marks the owner")
    return lines
