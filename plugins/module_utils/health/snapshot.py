# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the watcher knows now, as plain data: the metrics and the status page read it (plain Python).

The event source builds it in its event loop (``take``) and hands the whole
dict over; the HTTP thread only reads the last one, so a scrape never walks
structures the loop is changing.
"""

from __future__ import annotations

import time

from ansible_collections.vigil.ha.plugins.module_utils.health import events


def _node_states(view, tracker, name):
    """``{check: state}`` of one node: its VM or host as vCenter shows it, and its SSH reachability."""
    out = {}
    vm = tracker.state((events.VM, name))
    if vm is not None:
        out["vm"] = vm
    try:
        host = view.node_host(name)
    except (KeyError, ValueError, AttributeError):
        host = None
    state = tracker.state((events.HOST, host)) if host else None
    if state is not None:
        out["host"] = state
    ssh = tracker.state((events.NODE, name))
    if ssh is not None:
        out["ssh"] = ssh
    return out


def take(view, tracker, keeper=None, watcher=None, source_id=None, clock=time.time):
    """The snapshot of a source's ``view`` (health/cluster_view.py) and ``tracker`` (health/events.py).

    A resource is checked on its hierarchy's owner only: its state is given for that node, the
    other nodes of the hierarchy show ``standby`` (not checked there).
    """
    hierarchies = []
    for hierarchy in view.cluster.hierarchies.values():
        owner = view.owner(hierarchy.name)
        nodes = [n.name for n in hierarchy.nodes]
        resources = []
        for resource in hierarchy.resources:
            state = tracker.state((events.RESOURCE, hierarchy.name, resource.name))
            resources.append({"name": resource.name, "kind": resource.kind, "states": dict(
                (node, (state or "unknown") if node == owner else "standby") for node in nodes)})
        hierarchies.append({"name": hierarchy.name, "owner": owner, "generation": view.generation(hierarchy.name),
                            "nodes": nodes, "maintenance": bool(hierarchy.maintenance), "resources": resources})
    nodes = dict((name, _node_states(view, tracker, name)) for name in sorted(view.cluster.nodes))
    if keeper is None:
        lease = {"enabled": False, "holder": None, "epoch": None, "active": True}
    else:
        # The holder as this watcher last saw the lease: itself when active, else whoever the last tick found.
        last = keeper.last or {}
        held = keeper.active or last.get("held", bool(last.get("holder")))
        lease = {"enabled": True, "holder": keeper.holder if keeper.active else (last.get("holder") if held else None),
                 "epoch": keeper.epoch if keeper.active else (last.get("epoch") if held else None),
                 "active": bool(keeper.active)}
    return {"time": clock(), "watcher": watcher, "source_id": source_id, "vcenter_connected": bool(view.vcenter_up),
            "hierarchies": hierarchies, "nodes": nodes, "lease": lease}
