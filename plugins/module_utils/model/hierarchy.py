# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster model: nodes, hierarchies and their resources.

Plain Python (no Ansible, no pyVmomi). Built from the configuration that
``validation.validate`` returned (every default filled in, nothing left to
check), it answers what plans and modules ask: which nodes may hold a
hierarchy and in which order, in which order its resources start (their
dependencies first) and stop (the reverse), what depends on what.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import CHECK_KINDS, KINDS

GUEST = "guest"
HOST = "host"


def find_cycles(deps):
    """Dependency cycles in ``deps`` (name -> names it depends on).

    Each cycle is a list of names that starts and ends with the same name,
    such as ``["app", "vip", "app"]``, starting at its member that comes first
    in ``deps``. Names that are not keys of ``deps`` are ignored.
    """
    order = dict((name, i) for i, name in enumerate(deps))
    state = {}  # name -> 1 while on the path, 2 when done
    cycles = []

    def visit(name, path):
        state[name] = 1
        path.append(name)
        for dep in deps[name]:
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                cycle = path[path.index(dep):]
                first = min(range(len(cycle)), key=lambda i: order[cycle[i]])
                cycle = cycle[first:] + cycle[:first]
                cycles.append(cycle + [cycle[0]])
            elif dep not in state:
                visit(dep, path)
        path.pop()
        state[name] = 2

    for name in deps:
        if name not in state:
            visit(name, [])
    return cycles


def start_order(deps):
    """Names of ``deps`` with every name after the names it depends on.

    Among names that could go next, the one listed first in ``deps`` goes
    first, so the order is stable and follows the configuration. Raises
    ValueError when there is a cycle.
    """
    placed = []
    done = set()
    pending = list(deps)
    while pending:
        for name in pending:
            if all(dep in done or dep not in deps for dep in deps[name]):
                break
        else:
            raise InputError("dependency cycle among %s" % ", ".join(pending))
        pending.remove(name)
        placed.append(name)
        done.add(name)
    return placed


class Node(object):
    """A cluster member: a VM or physical server (guest mode) or an ESXi host (host mode)."""

    __slots__ = ("name", "mode", "vm", "physical", "esxi", "fencing", "check", "maintenance", "fence_levels")

    def __init__(self, name, mode, vm=None, physical=False, esxi=None, fencing="none", check=None, maintenance=False,
                 fence_levels=None):
        self.name = name
        self.mode = mode
        self.vm = dict(vm) if vm else None  # {"uuid": ..., "moref": ...}
        self.physical = physical
        self.esxi = esxi
        self.fencing = fencing  # fencing method (of the first level)
        # Every level, tried in order: [{"method": ..., "agent": ...}, ...]
        self.fence_levels = list(fence_levels or [{"method": fencing}])
        self.check = dict(check or {})  # {"interval": s, "timeout": s}
        self.maintenance = maintenance  # an operator's flag: no automatic action for this node

    @classmethod
    def from_config(cls, name, cfg):
        return cls(name, cfg["mode"], cfg.get("vm"), cfg.get("physical", False), cfg.get("esxi"),
                   cfg["fencing"]["method"], cfg["check"], cfg.get("maintenance", False),
                   cfg["fencing"].get("levels"))

    @property
    def fenceable(self):
        return any(level["method"] != "none" for level in self.fence_levels)

    @property
    def fence_needs_vcenter(self):
        """Whether every fencing level goes through vCenter."""
        return all(level["method"] == "vcenter_poweroff" for level in self.fence_levels if level["method"] != "none")

    def __repr__(self):
        return "Node(%r, %r)" % (self.name, self.mode)


class Resource(object):
    """One protected thing of a hierarchy."""

    __slots__ = ("name", "kind", "params", "depends_on", "check", "replicated")

    def __init__(self, name, kind, params=None, depends_on=(), check=None, replicated=False):
        self.name = name
        self.kind = kind
        self.params = dict(params or {})
        self.depends_on = tuple(depends_on)
        self.check = dict(check or {})  # interval, timeout and maybe one of CHECK_KINDS
        # Runs on every node of the hierarchy: primary on the owner, replica on the others.
        self.replicated = replicated

    @classmethod
    def from_config(cls, cfg):
        return cls(cfg["name"], cfg["kind"], cfg["params"], cfg["depends_on"], cfg["check"],
                   cfg.get("replicated", False))

    @property
    def where(self):
        """``node`` for kits that run on the node, ``controller`` for the vm kit."""
        return KINDS[self.kind]["where"]

    @property
    def endpoint(self):
        """(kind, params) of the attached tcp/http check, or None."""
        for kind in CHECK_KINDS:
            if self.check.get(kind):
                return kind, self.check[kind]
        return None

    def to_dict(self):
        return {"name": self.name, "kind": self.kind, "params": dict(self.params),
                "depends_on": list(self.depends_on), "check": dict(self.check), "replicated": self.replicated}

    def __repr__(self):
        return "Resource(%r, %r)" % (self.name, self.kind)


class Hierarchy(object):
    """Resources in service together on one node at a time, and the nodes that may hold them."""

    def __init__(self, name, nodes, priorities, resources, policy, maintenance=False):
        self.name = name
        self.maintenance = maintenance  # an operator's flag: no automatic action for this hierarchy
        self.priorities = dict(priorities)  # node name -> priority (lower preferred)
        self.nodes = sorted(nodes, key=lambda n: self.priorities[n.name])
        self.resources = list(resources)  # as configured
        self.policy = policy
        self._by_name = dict((r.name, r) for r in self.resources)
        self._start = [self._by_name[n] for n in start_order(self._deps())]

    @classmethod
    def from_config(cls, cfg, nodes):
        """``nodes`` maps node names to Node objects."""
        members = [nodes[entry["node"]] for entry in cfg["nodes"]]
        priorities = dict((entry["node"], entry["priority"]) for entry in cfg["nodes"])
        return cls(cfg["name"], members, priorities, [Resource.from_config(r) for r in cfg["resources"]], cfg["policy"],
                   cfg.get("maintenance", False))

    def _deps(self):
        return dict((r.name, r.depends_on) for r in self.resources)

    @property
    def mode(self):
        """``guest`` or ``host``: the mode of the hierarchy's nodes."""
        return self.nodes[0].mode

    @property
    def node_names(self):
        """Node names, most preferred first."""
        return [n.name for n in self.nodes]

    def resource(self, name):
        return self._by_name[name]

    @property
    def replicated(self):
        """The replicated resource (validation allows one a hierarchy), or None."""
        return next((r for r in self.resources if r.replicated), None)

    def start_order(self):
        """Resources bottom-up: every resource after those it depends on."""
        return list(self._start)

    def stop_order(self):
        """Resources top-down: the reverse of the start order."""
        return list(reversed(self._start))

    def dependencies(self, name):
        """Names of the resources ``name`` needs, directly or not, in start order."""
        wanted = self._closure(name, lambda r: r.depends_on)
        return [r.name for r in self._start if r.name in wanted]

    def dependents(self, name):
        """Names of the resources that need ``name``, directly or not, in start order."""
        above = {}
        for r in self.resources:
            for dep in r.depends_on:
                above.setdefault(dep, []).append(r.name)
        wanted = self._closure(name, lambda r: above.get(r.name, ()))
        return [r.name for r in self._start if r.name in wanted]

    def _closure(self, name, edges):
        seen, todo = set(), list(edges(self._by_name[name]))
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(edges(self._by_name[current]))
        return seen

    def __repr__(self):
        return "Hierarchy(%r, %r)" % (self.name, self.node_names)


class Cluster(object):
    """The nodes of an inventory group and the hierarchies they hold."""

    def __init__(self, name, nodes, hierarchies):
        self.name = name
        self.nodes = dict((n.name, n) for n in nodes)
        self.hierarchies = dict((h.name, h) for h in hierarchies)  # in configured order

    @classmethod
    def from_config(cls, config, name=None):
        """From the result of ``validation.validate``."""
        nodes = dict((n, Node.from_config(n, cfg)) for n, cfg in config["nodes"].items())
        return cls(name, nodes.values(), [Hierarchy.from_config(h, nodes) for h in config["hierarchies"]])

    def node(self, name):
        return self.nodes[name]

    def hierarchy(self, name):
        return self.hierarchies[name]

    def hierarchies_of(self, node_name):
        """The hierarchies that list ``node_name`` among their nodes."""
        return [h for h in self.hierarchies.values() if node_name in h.priorities]

    def __repr__(self):
        return "Cluster(%r, nodes=%r, hierarchies=%r)" % (self.name, sorted(self.nodes), list(self.hierarchies))
