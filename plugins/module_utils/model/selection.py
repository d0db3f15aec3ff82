# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which VMs, hosts and nodes a playbook reads or acts on (plain Python).

playbooks/tasks/observe.yml asks ``what_to_read`` what to read from vCenter
and ``nodes_to_ask`` which nodes to check over SSH; step_vm.yml asks
``vm_step`` what a VM step acts on. The playbooks run what these say; the
filters of the same names expose them. Inputs are validated (validate_cluster).
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.model.observations import host_mode, observations
from ansible_collections.vigil.ha.plugins.module_utils.model.plan import NODE_POWERED_OFF


def _members(hierarchy, nodes):
    """The validated nodes of ``hierarchy``, in its order."""
    return [nodes[member["node"]] for member in hierarchy["nodes"]]


def _vm_resources(hierarchy):
    return [r for r in hierarchy["resources"] if r["kind"] == "vm"]


def what_to_read(hierarchy, nodes):
    """What observe.yml reads for ``hierarchy``.

    - ``host_mode``: its nodes are ESXi hosts and its resources whole VMs;
    - ``uuids`` and ``morefs``: the VMs whose power vCenter is asked for: in
      host mode the hierarchy's ``vm`` resources, else the nodes' own VMs; a
      VM named by UUID is asked by UUID, one named only by MoRef by MoRef (else
      it is never seen, off or failed);
    - ``host_names``: the ESXi hosts of the nodes (host mode, else none);
    - ``vm_endpoints``: in host mode the ``vm`` resources with a ``check.tcp``,
      then those with a ``check.http``, checked from the controller (a VM with
      both is in both, once each).
    """
    members = _members(hierarchy, nodes)
    if host_mode(hierarchy, nodes):
        params = [r["params"] for r in _vm_resources(hierarchy)]
        checks = [r for r in _vm_resources(hierarchy) if isinstance(r.get("check"), dict)]
        return {"host_mode": True,
                "uuids": [p["uuid"] for p in params if p.get("uuid")],
                "morefs": [p.get("moref") for p in params if not p.get("uuid")],
                "host_names": [node.get("esxi") for node in members],
                "vm_endpoints": ([r for r in checks if "tcp" in r["check"]]
                                 + [r for r in checks if "http" in r["check"]])}
    vms = [node["vm"] for node in members if node.get("vm")]
    return {"host_mode": False,
            "uuids": [vm["uuid"] for vm in vms if vm.get("uuid")],
            "morefs": [vm["moref"] for vm in vms if not vm.get("uuid") and vm.get("moref")],
            "host_names": [],
            "vm_endpoints": []}


def nodes_to_ask(hierarchy, nodes, vm_health, gone=None):
    """The nodes whose resources are checked over SSH: none in host mode (nothing runs on an
    ESXi host: vCenter says it all), else every node but those whose VM vCenter reports off
    (they cannot answer) and those in ``gone``: the failed node of a failover that the watcher
    found unreachable or failed, which is fenced (its fence is the proof that it serves
    nothing; asking it would wait for SSH to time out on a hung node). ``vm_health`` is the
    registered vm_health_info (may be failed)."""
    if host_mode(hierarchy, nodes):
        return []
    health = observations(hierarchy, nodes, {}, vm_health)["node_health"]
    return [member["node"] for member in hierarchy["nodes"]
            if health.get(member["node"]) != NODE_POWERED_OFF and member["node"] not in (gone or ())]


def vm_step(step, nodes, hierarchy):
    """What a VM step of a plan acts on: ``resource`` (the hierarchy's ``vm`` resource the step
    names), ``hosts`` (the ESXi hosts of the hierarchy's nodes, where the VM may be) and
    ``target`` (the ESXi host of the step's target node, None without one)."""
    resource = [r for r in hierarchy["resources"] if r["name"] == step["resource"]][0]
    return {"resource": resource,
            "hosts": [node.get("esxi") for node in _members(hierarchy, nodes)],
            "target": nodes[step["target"]]["esxi"] if step.get("target") else None}
