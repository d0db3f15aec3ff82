# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster as the event source sees it (plain Python).

Joins the cluster model (model/hierarchy.py) with what vCenter shows
(health/vcenter_objects.py) and the owner and generation of each hierarchy: which
vSphere objects concern which nodes and resources, which hierarchies an
event is about, whether they are in maintenance, whether the node could be
fenced right now, and which checks to run where.
"""

from __future__ import annotations

import time

from ansible_collections.vigil.ha.plugins.module_utils.health import events

from ansible_collections.vigil.ha.plugins.module_utils.model import follow

from ansible_collections.vigil.ha.plugins.module_utils.health import verdicts as health
from ansible_collections.vigil.ha.plugins.module_utils.fencing.vcenter import HOST_OFF
from ansible_collections.vigil.ha.plugins.module_utils.model.hierarchy import GUEST
from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import CHECK_KINDS
from ansible_collections.vigil.ha.plugins.module_utils.config.validation import ConfigError, hierarchies_of_hosts

DEFAULT_GROUP = "vigil_ha_cluster"

# Verdict of a VM -> state of a host mode ``vm`` resource.
VM_RESOURCE_STATE = {health.OK: "in_service", health.DEGRADED: "in_service",
                     health.FAILED: "failed", health.UNKNOWN: "unknown"}


def config_from_inventory(listing, group=DEFAULT_GROUP):
    """``(nodes, hierarchies)`` for ``validation.load`` from ``ansible-inventory --list`` output.

    Variables are taken as the inventory gives them (not templated).
    Raises ConfigError when the group has no hosts.
    """
    hosts, seen = [], set()

    def walk(name):
        if name in seen:
            return
        seen.add(name)
        entry = listing.get(name) or {}
        for host in entry.get("hosts") or []:
            if host not in hosts:
                hosts.append(host)
        for child in entry.get("children") or []:
            walk(child)

    walk(group)
    if not hosts:
        raise ConfigError(["inventory group %s has no hosts; set cluster_group to the group of the cluster's nodes"
                           % group])
    hostvars = (listing.get("_meta") or {}).get("hostvars") or {}
    nodes = dict((h, (hostvars.get(h) or {}).get("vigil_ha_node")) for h in hosts)
    # Wherever it is defined (group, child group, host vars), as the playbooks read it.
    hierarchies, dummy = hierarchies_of_hosts(dict((h, (hostvars.get(h) or {}).get("vigil_ha_hierarchies"))
                                                   for h in hosts))
    return nodes, hierarchies


class Subject(object):
    """Something vCenter shows that concerns the cluster, with its state now."""

    __slots__ = ("key", "type", "name", "moref", "state", "reasons", "nodes", "hierarchy", "resource")

    def __init__(self, key, subject_type, name, moref, state, reasons, nodes, hierarchy=None, resource=None):
        self.key = key
        self.type = subject_type
        self.name = name
        self.moref = moref
        self.state = state
        self.reasons = list(reasons)
        self.nodes = list(nodes)
        self.hierarchy = hierarchy
        self.resource = resource


class ClusterView(object):
    def __init__(self, cluster, objects):
        self.cluster = cluster
        self.objects = objects  # vcenter_view.VcenterObjects
        self.states = {}  # hierarchy -> {"owner": node or None, "generation": n}
        self.vcenter_up = False
        # VMs split over hosts are normal while DRS migrates them one by one:
        # a split is reported once it lasted this long (seconds).
        self.placement_settle = 0
        self._split_since = {}  # hierarchy -> monotonic time it was first seen split
        # Host mode nodes whose management address (check.address) stopped answering, confirmed
        # by the source's probes: dead or hung, whatever vCenter still shows. node -> reason.
        self.unanswered = {}

    # -- where things are ------------------------------------------------

    def node_vm(self, name):
        node = self.cluster.node(name)
        if node.mode != GUEST or not node.vm:
            return None
        return self.objects.find_vm(node.vm.get("uuid"), node.vm.get("moref"))

    def node_host(self, name):
        """The MoRef of the ESXi host under a node: its VM's host, or the host itself in host mode."""
        node = self.cluster.node(name)
        if node.mode == GUEST:
            vm = self.node_vm(name)
            return self.objects.host_of(vm) if vm else None
        return self.objects.find_host(node.esxi)

    def node_of_host(self, host_moref):
        name = self.objects.name(host_moref) if host_moref else None
        for node in self.cluster.nodes.values():
            if node.mode != GUEST and node.esxi == name:
                return node.name
        return None

    def owner(self, hierarchy):
        return (self.states.get(hierarchy) or {}).get("owner")

    def generation(self, hierarchy):
        return (self.states.get(hierarchy) or {}).get("generation")

    def owned(self, node):
        """Hierarchies that ``node`` holds now."""
        return [h for h in self.cluster.hierarchies.values() if self.owner(h.name) == node]

    # -- what vCenter shows ---------------------------------------------

    def subjects(self):
        """Every VM, host and ``vm`` resource vCenter shows that concerns the cluster, with its state."""
        out, hosts = [], {}
        for node in self.cluster.nodes.values():
            if node.mode == GUEST:
                if node.physical or not node.vm:
                    continue
                vm = self.node_vm(node.name)
                verdict = self.objects.vm_verdict(vm)
                out.append(Subject((events.VM, node.name), events.VM, self.objects.name(vm) if vm else node.name, vm,
                                   verdict.status, verdict.reasons, [node.name]))
                host = self.objects.host_of(vm) if vm else None
            else:
                host = self.objects.find_host(node.esxi)
                if host is None:
                    out.append(Subject((events.HOST, node.esxi), events.HOST, node.esxi, None, health.UNKNOWN,
                                       ["host not found in vCenter"], [node.name]))
            if host:
                hosts.setdefault(host, []).append(node.name)
        for hierarchy in self.cluster.hierarchies.values():
            for resource in hierarchy.resources:
                if resource.kind != "vm":
                    continue
                vm = self.objects.find_vm(resource.params.get("uuid"), resource.params.get("moref"))
                verdict = self.objects.vm_verdict(vm)
                node = self.node_of_host(self.objects.host_of(vm)) if vm else None
                out.append(Subject((events.RESOURCE, hierarchy.name, resource.name), events.RESOURCE, resource.name,
                                   vm, VM_RESOURCE_STATE[verdict.status], verdict.reasons, [node] if node else [],
                                   hierarchy.name, resource.name))
        for host, nodes in sorted(hosts.items()):
            verdict = self.objects.host_verdict(host)
            out.append(Subject((events.HOST, host), events.HOST, self.objects.name(host), host, verdict.status,
                               verdict.reasons, nodes))
        return out + self.placements()

    def placements(self):
        """Host mode: where each held hierarchy's running VMs are against its owner (model/follow.py), as
        ``placement`` subjects: ``on_owner``, ``moved`` (node: where they run now) or ``split``."""
        out = []
        for hierarchy in self.cluster.hierarchies.values():
            owner = self.owner(hierarchy.name)
            if hierarchy.mode == GUEST or not owner:
                continue
            running = {}
            for resource in hierarchy.resources:
                vm = self.objects.find_vm(resource.params.get("uuid"), resource.params.get("moref"))
                if vm and self.objects.props(vm).get("runtime.powerState") == "poweredOn" and self.objects.host_of(vm):
                    running[resource.name] = self.objects.name(self.objects.host_of(vm))
            members = [(n.name, n.esxi) for n in hierarchy.nodes]
            found = follow.decide(hierarchy.name, members, owner, running)
            if found["decision"] != follow.REFUSE:
                self._split_since.pop(hierarchy.name, None)
            elif time.monotonic() - self._split_since.setdefault(hierarchy.name, time.monotonic()) < self.placement_settle:
                continue  # maybe a migration under way: not reported yet
            node = found["owner"] if found["decision"] == follow.FOLLOW else owner
            out.append(Subject((events.PLACEMENT, hierarchy.name), events.PLACEMENT, hierarchy.name, None,
                               follow.PLACEMENT[found["decision"]], [found["reason"]], [node], hierarchy.name))
        return out

    def node_down(self, name):
        """Why vCenter says ``name`` cannot serve (its VM off, failed or unseen), or None."""
        node = self.cluster.node(name)
        if node.mode != GUEST or node.physical or not node.vm:
            return None
        verdict = self.objects.vm_verdict(self.node_vm(name))
        if verdict.status in (health.FAILED, health.UNKNOWN):
            return "; ".join(verdict.reasons)
        return None

    # -- what an event carries -------------------------------------------

    def targets(self, nodes, hierarchy=None):
        """``(hierarchy, node)`` pairs an event is about: each hierarchy of each node, or ``(None, node)``."""
        if hierarchy is not None:
            return [(hierarchy, node) for node in nodes or [None]]
        out = []
        for node in nodes:
            mine = [h.name for h in self.cluster.hierarchies_of(node)] or [None]
            out.extend((h, node) for h in mine)
        return out

    def maintenance(self, hierarchy, node):
        """Why no automatic action may touch ``hierarchy`` on ``node`` (empty: none)."""
        reasons = []
        if hierarchy and self.cluster.hierarchy(hierarchy).maintenance:
            reasons.append("hierarchy %s is in maintenance (inventory)" % hierarchy)
        if node:
            if self.cluster.node(node).maintenance:
                reasons.append("node %s is in maintenance (inventory)" % node)
            host = self.node_host(node)
            if host and self.objects.in_maintenance(host):
                reasons.append("ESXi host %s of node %s is in maintenance mode (vCenter)" % (self.objects.name(host), node))
        return reasons

    def ready(self, name):
        """Is node ``name`` fit to take a hierarchy back (switchback)? True, False, or None
        when vCenter knows nothing of it (a physical node: its SSH check decides)."""
        node = self.cluster.node(name)
        if not self.vcenter_up:
            return False
        if node.mode == GUEST:
            if node.physical or not node.vm:
                return None
            # Degraded (VMware Tools not reporting yet) still runs; the switchover checks it over SSH.
            return self.objects.vm_verdict(self.node_vm(name)).status in (health.OK, health.DEGRADED)
        host = self.objects.find_host(node.esxi)
        return host is not None and name not in self.unanswered \
            and self.objects.host_verdict(host).status in (health.OK, health.DEGRADED)

    def fencing(self, name):
        """``{"possible", "reason"}``: could ``name`` be fenced right now, through vCenter or a fence agent?"""
        node = self.cluster.node(name)
        if not node.fenceable:
            return {"possible": False, "reason": "fencing.method is none on node %s" % name}
        through_vcenter = self._vcenter_fencing(node)
        agents = [lv for lv in node.fence_levels if lv["method"] == "fence_agent"]
        if through_vcenter["possible"] or not agents:
            return through_vcenter
        # Its management controller (BMC) answers for it; whether it confirms is known only by trying.
        return {"possible": True, "reason": "%s through its management controller (%s)" % (
            agents[0]["agent"], through_vcenter["reason"])}

    def _vcenter_fencing(self, node):
        name = node.name
        if not any(lv["method"] == "vcenter_poweroff" for lv in node.fence_levels):
            return {"possible": False, "reason": "no vcenter_poweroff level on node %s" % name}
        if not self.vcenter_up:
            return {"possible": False, "reason": "vCenter is unreachable"}
        vm = self.node_vm(name) if node.mode == GUEST else None
        if node.mode == GUEST and vm is None:
            return {"possible": False, "reason": "the VM of node %s is not in vCenter" % name}
        host = self.objects.host_of(vm) if vm else self.objects.find_host(node.esxi)
        # The rule of the fence itself (fencing/vcenter.py): what a powered-off host ran is off.
        if host is not None and self.objects.props(host).get("runtime.powerState") in HOST_OFF:
            return {"possible": True, "reason": "ESXi host %s of node %s is powered off: what it ran is off"
                    % (self.objects.name(host), name)}
        if node.name in self.unanswered:
            return {"possible": False, "reason": "vCenter cannot confirm anything on ESXi host %s: its %s"
                    % (node.esxi, self.unanswered[node.name])}
        if vm and not self.objects.connected(vm):
            return {"possible": False, "reason": "the VM of node %s is %s in vCenter" % (
                name, self.objects.props(vm).get("runtime.connectionState") or "not connected")}
        what = ("power off VM %s through vCenter" % self.objects.name(vm) if vm else
                "power off the hierarchy's VMs on %s through vCenter" % node.esxi)
        if host is None or not self.objects.connected(host):
            return {"possible": False, "reason": "ESXi host %s of node %s is %s: nothing it runs can be confirmed off"
                    % (self.objects.name(host) if host else node.esxi, name,
                       self.objects.props(host).get("runtime.connectionState") or "not found")}
        return {"possible": True, "reason": what}

    # -- which checks to run ---------------------------------------------

    def endpoint_checks(self):
        """``(hierarchy, resource, kind, params, interval, timeout, confirm)`` of every tcp/http check: of guest
        hierarchies, and the check.tcp/check.http of host mode ``vm`` resources (what the VM serves)."""
        out = []
        for hierarchy in self.cluster.hierarchies.values():
            for resource in hierarchy.resources:
                timing = (resource.check["interval"], resource.check["timeout"], resource.check.get("confirm", 2))
                if resource.kind in CHECK_KINDS:
                    out.append((hierarchy.name, resource.name, resource.kind, resource.params) + timing)
                elif resource.endpoint:
                    kind, params = resource.endpoint
                    out.append((hierarchy.name, resource.name, kind, params) + timing)
        return out

    def host_probes(self):
        """``(node, esxi, address, port, interval, timeout, confirm)`` of every host mode node with a
        ``check.address``: its management endpoint, probed so that a dead host is seen before
        vCenter notices (about a minute on a real vCenter)."""
        return [(n.name, n.esxi, n.check["address"], n.check["port"], n.check["interval"],
                 n.check["timeout"], n.check.get("confirm", 2)) for n in sorted(self.cluster.nodes.values(), key=lambda n: n.name)
                if n.mode != GUEST and n.check.get("address")]

    def vm_down(self, hierarchy, resource):
        """Why a host mode ``vm`` resource's VM cannot answer (off, failed, unseen), or None:
        its own event says it, its endpoint check has nothing to add."""
        found = self.cluster.hierarchies.get(hierarchy)
        res = next((r for r in found.resources if r.name == resource), None) if found else None
        if res is None or res.kind != "vm":
            return None  # not a vm resource (or gone with an inventory edit)
        vm = self.objects.find_vm(res.params.get("uuid"), res.params.get("moref"))
        verdict = self.objects.vm_verdict(vm)
        if vm is None or self.objects.props(vm).get("runtime.powerState") != "poweredOn" \
                or verdict.status in (health.FAILED, health.UNKNOWN):
            return "; ".join(verdict.reasons) or "not running"
        return None

    def node_resources(self, name):
        """What ``vigil.ha.app_health_info`` checks on ``name``: the resources of the guest hierarchies it holds."""
        return [dict(r.to_dict(), hierarchy=h.name) for h in self.owned(name) if h.mode == GUEST for r in h.resources]
