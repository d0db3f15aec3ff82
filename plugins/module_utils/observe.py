# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn what a playbook observed into the planner's inputs.

Plain Python. Inputs are registered results: the looped app_health_info on
each node of a hierarchy (unreachable nodes included) and vm_health_info on
the nodes' VMs (or its failure, when vCenter cannot be reached).
"""

from __future__ import annotations


def observations(hierarchy, nodes, node_checks, vm_health):
    """``{"states", "node_health", "vcenter_reachable", "vms"}`` for make_plan.

    - ``hierarchy``: the hierarchy as validate_cluster returns it;
    - ``nodes``: the validated nodes (``{name: vigil_ha_node}``);
    - ``node_checks``: the registered loop of app_health_info, one result per
      node (``item`` is the node name);
    - ``vm_health``: the registered vm_health_info result on the nodes' VMs.
    """
    states, health = {}, {}
    for result in (node_checks or {}).get("results", []):
        node = result.get("item")
        if result.get("unreachable"):
            health[node] = "unreachable"
        elif result.get("failed"):
            health[node] = "unknown"
        else:
            states[node] = dict((r["name"], r["state"]) for r in result.get("resources", []))
    reachable = bool(vm_health) and not vm_health.get("failed") and "vms" in vm_health
    vms = {}
    if reachable:
        by_uuid = dict(((vm.get("uuid") or "").lower(), vm) for vm in vm_health["vms"])
        for member in hierarchy["nodes"]:
            name = member["node"]
            vm = (nodes.get(name) or {}).get("vm") or {}
            found = by_uuid.get((vm.get("uuid") or "").lower())
            if found is None and vm.get("moref"):
                found = next((v for v in vm_health["vms"] if v["moref"] == vm["moref"]), None)
            if found is None:
                continue
            vms[name] = {"power_state": found["raw"]["power_state"], "verdict": found["verdict"],
                         "host": found["host"], "moref": found["moref"], "uuid": found["uuid"]}
            if found["raw"]["power_state"] == "poweredOff":
                health[name] = "powered_off"
            elif found["verdict"] == "unknown" and health.get(name) is None:
                health[name] = "unknown"  # its host stopped responding
    return {"states": states, "node_health": health, "vcenter_reachable": reachable, "vms": vms}
