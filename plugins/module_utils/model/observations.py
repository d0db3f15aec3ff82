# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn what a playbook observed into the planner's inputs.

Plain Python. Inputs are registered results: the looped app_health_info on
each node of a hierarchy (unreachable nodes included) and vm_health_info on
the nodes' VMs (or its failure, when vCenter cannot be reached).
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.kits.base import REPLICA, REPLICA_LAGGING


def host_mode(hierarchy, nodes):
    return any((nodes.get(m["node"]) or {}).get("mode") == "host" for m in hierarchy["nodes"])


def _find_vm(vms, params):
    uuid = (params.get("uuid") or "").lower()
    for vm in vms:
        if (uuid and (vm.get("uuid") or "").lower() == uuid) or (params.get("moref") and vm["moref"] == params["moref"]):
            return vm
    return None


def _host_health(host):
    """Node health of an ESXi host from its vm_health_info record."""
    raw = host["raw"]
    if raw.get("power_state") in ("poweredOff", "standBy"):
        return "powered_off"  # vCenter powered it off (BMC, DPM): it runs no VM
    if raw.get("connection_state") != "connected":
        return "unknown"  # not responding: its VMs may still run
    if raw.get("in_maintenance_mode"):
        return "maintenance"
    return "ok"


def host_probes(hierarchy, nodes):
    """The ``tcp`` resources (for app_health_info on the controller) that probe the management
    address (``check.address``) of each host mode node of ``hierarchy``, named by the node.
    ``nodes`` are validated: the port and timeout are filled in (validation.py)."""
    out = []
    for member in hierarchy["nodes"]:
        node = nodes.get(member["node"]) or {}
        check = node.get("check") or {}
        if node.get("mode") == "host" and check.get("address"):
            out.append({"name": member["node"], "kind": "tcp",
                        "params": {"host": check["address"], "port": check["port"], "timeout": check["timeout"]}})
    return out


def _endpoint_failures(endpoints):
    """``{resource: reasons}`` of the vm resources whose check.tcp/check.http did not answer
    (app_health_info run on the controller); a check that could not run says nothing."""
    return dict((r["name"], r.get("reasons") or []) for r in (endpoints or {}).get("resources") or []
                if r.get("state") == "failed")


def host_mode_observations(hierarchy, nodes, vm_health, endpoints=None, host_probes=None):
    """Host mode: nodes are ESXi hosts and resources whole VMs, all seen in
    one vm_health_info read (VMs and hosts). A VM is in service on the host
    vCenter places it on when it is on and not failed there, and its
    check.tcp/check.http (``endpoints``) answers; out of service everywhere else.

    ``host_probes``: app_health_info run on the controller on a ``tcp``
    resource per node with ``check.address`` (named by the node). A host
    vCenter still calls connected whose management address does not answer
    is ``unreachable`` (vCenter has not noticed yet: it must be fenced), and
    ``unanswered`` says why, so that the fence does not trust vCenter for it."""
    reachable = bool(vm_health) and not vm_health.get("failed") and "vms" in vm_health
    unanswered = _endpoint_failures(endpoints)
    silent = dict((node, "management address does not answer: %s" % ("; ".join(why) or "no answer"))
                  for node, why in _endpoint_failures(host_probes).items())
    states, health, problems, vms = {}, {}, [], {}
    if not reachable:
        return {"states": states, "node_health": health, "vcenter_reachable": False, "vms": vms, "problems": problems,
                "unanswered": silent}
    esxi = dict((m["node"], (nodes.get(m["node"]) or {}).get("esxi") or m["node"]) for m in hierarchy["nodes"])
    hosts = dict((h["name"], h) for h in vm_health.get("hosts", []))
    for node, name in esxi.items():
        host = hosts.get(name)
        health[node] = _host_health(host) if host else "unknown"
        if health[node] in ("ok", "maintenance") and node in silent:
            health[node] = "unreachable"  # vCenter has not noticed yet; its VMs may still run
            problems.append("%s: vCenter shows it connected, but the %s" % (node, silent[node]))
        elif health[node] != "ok":
            problems.append("%s: %s" % (node, "; ".join(host["reasons"]) if host else "not found in vCenter"))
        states[node] = {}
    for res in hierarchy["resources"]:
        if res["kind"] != "vm":
            continue
        vm = _find_vm(vm_health["vms"], res.get("params") or {})
        for node, name in esxi.items():
            if vm is None or vm["host"] != name or vm["raw"]["power_state"] != "poweredOn":
                state = "out_of_service"
            elif vm["verdict"] == "failed":
                state = "failed"
                problems.append("%s %s failed: %s" % (node, res["name"], "; ".join(vm["reasons"])))
            elif res["name"] in unanswered:
                state = "failed"  # the VM runs, what it serves does not answer: reset it in place
                problems.append("%s %s failed: %s" % (node, res["name"], "; ".join(unanswered[res["name"]])))
            else:
                state = "in_service"
            states[node][res["name"]] = state
        if vm is not None:
            vms[res["name"]] = {"power_state": vm["raw"]["power_state"], "verdict": vm["verdict"],
                                "host": vm["host"], "moref": vm["moref"], "uuid": vm["uuid"]}
        else:
            problems.append("%s: VM not found in vCenter" % res["name"])
    return {"states": states, "node_health": health, "vcenter_reachable": True, "vms": vms, "problems": problems,
            "unanswered": silent}


def replica_state(state, lag, max_lag):
    """A replica further behind than ``max_lag`` (policy.max_lag: a count, or ``unlimited``) is lagging."""
    if state == REPLICA and lag is not None and isinstance(max_lag, int) and lag > max_lag:
        return REPLICA_LAGGING
    return state


def _replicated_copy(hierarchy, node, entry, replication):
    """The state of a replicated resource's copy, its position and lag kept in ``replication``."""
    if "position" not in entry:
        return entry["state"]
    replication.setdefault(node, {})[entry["name"]] = {"position": entry["position"], "lag": entry.get("lag")}
    return replica_state(entry["state"], entry.get("lag"), (hierarchy.get("policy") or {}).get("max_lag", 0))


def observations(hierarchy, nodes, node_checks, vm_health, host_probes=None, gone=None):
    """``{"states", "node_health", "vcenter_reachable", "vms", "problems", "replication"}``
    (and ``unanswered`` in host mode) for make_plan; ``replication`` holds the position and lag of
    a replicated resource's copies (``{node: {resource: {"position", "lag"}}}``), and a replica
    further behind than policy.max_lag is ``replica_lagging``; ``problems`` says in words what is failed or unknown on
    which node, so that a refusal can say why.

    - ``hierarchy``: the hierarchy as validate_cluster returns it;
    - ``nodes``: the validated nodes (``{name: vigil_ha_node}``);
    - ``node_checks``: the registered loop of app_health_info, one result per
      node (``item`` is the node name);
    - ``vm_health``: the registered vm_health_info result on the nodes' VMs.

    In host mode ``node_checks`` is app_health_info run once on the
    controller on the vm resources' check.tcp/check.http (no loop), and
    ``host_probes`` the probes of the hosts' management addresses
    (host_mode_observations).

    ``gone`` names the nodes not asked because the watcher found them
    failed (a failover's ``failed_node``, selection.nodes_to_ask): each is
    ``unreachable`` (so the plan fences it) unless vCenter reports its VM off.
    """
    if host_mode(hierarchy, nodes):
        return host_mode_observations(hierarchy, nodes, vm_health, node_checks, host_probes)
    states, health, problems, replication = {}, {}, [], {}
    for node in gone or ():
        health[node] = "unreachable"
        problems.append("%s: not asked, the watcher found it failed: it is fenced" % node)
    for result in (node_checks or {}).get("results", []):
        node = result.get("item")
        if result.get("unreachable"):
            health[node] = "unreachable"
            problems.append("%s: unreachable" % node)
        elif result.get("failed"):
            health[node] = "unknown"
            problems.append("%s: its check failed: %s" % (node, result.get("msg", "no reason given")))
        else:
            states[node] = dict((r["name"], _replicated_copy(hierarchy, node, r, replication))
                                for r in result.get("resources", []))
            problems.extend("%s %s %s: %s" % (node, r["name"], r["state"], "; ".join(r.get("reasons") or []))
                            for r in result.get("resources", []) if r["state"] in ("failed", "unknown"))
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
    return {"states": states, "node_health": health, "vcenter_reachable": reachable, "vms": vms,
            "problems": problems, "replication": replication}
