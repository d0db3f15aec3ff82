# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: what to do, in which order, on which host, for one hierarchy.

Plain Python (no Ansible, no pyVmomi). ``make_plan`` is a pure function of
the model (a ``hierarchy.Hierarchy``) and of what was observed: the state of
each resource on each node, each node's health, who holds the hierarchy and
its generation. It returns a ``Plan``: either refused, with a code and a
reason that names the hierarchy, node or resource, or ordered steps that a
playbook runs one after the other. Nothing here acts; the same inputs always
give the same plan. docs/plans.md explains the rules, and the golden cases in
tests/unit/plugins/module_utils/model/plan_cases/ pin them down.

Order of a move: stop top-down (reverse start order) on the old node, fence
it when it cannot be trusted to have stopped, then start bottom-up (start
order) on the new node. A start on a new node is only ever planned after the
old node was stopped cleanly or fenced earlier in the same plan.

A replicated resource (docs/replication.md) is demoted rather than stopped on
the node it leaves, promoted rather than started on a replica, after that
replica caught up with a demoted primary, or, when the old primary was
fenced, only if it is not further behind than ``policy.max_lag``; the other
nodes then rejoin the new primary as replicas (or are rebuilt).
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError, VigilError
from ansible_collections.vigil.ha.plugins.module_utils.model.plan_inputs import PlanInputs
from ansible_collections.vigil.ha.plugins.module_utils.kits.base import (
    FAILED, IN_SERVICE, OUT_OF_SERVICE, PRIMARY, REPLICA, REPLICA_BROKEN, REPLICA_LAGGING, REPLICA_STATES, SERVING,
    STATES, UNKNOWN)

# -- vocabulary --------------------------------------------------------------

START = "start"
STOP = "stop"
SWITCHOVER = "switchover"
FAILOVER = "failover"
RECOVER = "recover"
ACTIONS = (START, STOP, SWITCHOVER, FAILOVER, RECOVER)

FENCE = "fence"
# A replicated resource's steps.
PROMOTE = "promote"  # a replica becomes the primary (a start)
DEMOTE = "demote"  # the primary becomes a replica (a stop that keeps the data)
CATCH_UP = "catch_up"  # wait until the replica has everything its (demoted) primary has
REJOIN = "rejoin"  # follow the new primary (rewind what diverged; the kit rebuilds when it cannot)
REBUILD = "rebuild"  # a broken replica: copy the primary's data afresh
STEP_ACTIONS = (START, STOP, RECOVER, FENCE, PROMOTE, DEMOTE, CATCH_UP, REJOIN, REBUILD)
STARTING = (START, PROMOTE)  # the first of them is the commit point
AFTER_COMMIT = STARTING + (REJOIN, REBUILD)
UNLIMITED = "unlimited"  # policy.max_lag

CONTROLLER = "controller"  # host of vm kit and fence steps
FENCE_KIT = "fence"  # kit of fence steps

# Node health, as the health checks (or an operator) report it.
NODE_OK = "ok"  # reachable and healthy: may take a hierarchy
NODE_MAINTENANCE = "maintenance"  # reachable, but takes nothing new
NODE_UNCLEAN = "unclean"  # reachable, but a stop failed there: it may still serve
NODE_UNREACHABLE = "unreachable"  # cannot be reached: may still serve
NODE_FAILED = "failed"  # reported failed (host down, VM crashed but on): may still serve
NODE_UNKNOWN = "unknown"  # its health could not be read: may still serve
NODE_POWERED_OFF = "powered_off"  # its VM (or ESXi host) is powered off: serves nothing
NODE_FENCED = "fenced"  # an operator made sure it serves nothing (manual fencing)
NODE_HEALTH = (NODE_OK, NODE_MAINTENANCE, NODE_UNCLEAN, NODE_UNREACHABLE, NODE_FAILED, NODE_UNKNOWN,
               NODE_POWERED_OFF, NODE_FENCED)
# How a reason says it: "node2 is <word>".
HEALTH_WORDS = {NODE_OK: "healthy", NODE_MAINTENANCE: "in maintenance", NODE_UNCLEAN: "unclean (a stop failed there)",
                NODE_UNREACHABLE: "unreachable", NODE_FAILED: "reported failed", NODE_UNKNOWN: "of unknown health",
                NODE_POWERED_OFF: "powered off", NODE_FENCED: "fenced by an operator"}
REACHABLE = (NODE_OK, NODE_MAINTENANCE, NODE_UNCLEAN)
GONE = (NODE_UNREACHABLE, NODE_FAILED, NODE_UNKNOWN)

# Why a plan is refused: code -> what it means (docs/plans.md has the same table).
REFUSALS = {
    "maintenance": "the hierarchy is in maintenance: nothing is planned",
    "stale": "the caller's expected generation is older than the hierarchy's",
    "generation_mismatch": "the caller's expected generation is newer than the hierarchy's",
    "unknown_target": "the target is not one of the hierarchy's nodes",
    "unknown_resource": "the resource to recover is not in the hierarchy",
    "not_in_service": "switchover, failover or recover of a hierarchy no node holds",
    "not_owner": "failover of a node that does not hold the hierarchy (stale event)",
    "already_owner": "failover onto the node that is failing",
    "owner_unhealthy": "a planned action while the node holding the hierarchy is not reachable "
                       "(or a recover on an unclean node): fail over instead",
    "target_unhealthy": "the target is not healthy (not ok, or one of the hierarchy's resources is failed there)",
    "no_healthy_node": "no other node is healthy",
    "operator_needed": "a node must be fenced and cannot be (fencing.method none or vCenter unreachable)",
    "needs_confirmation": "policy.confirm_failover is set and the failover was not confirmed",
    "failover_budget_exhausted": "policy.failover.max failovers already happened within policy.failover.window",
    "recovery_budget_exhausted": "policy.local_recovery.attempts used within the window: escalate to failover",
    "replica_behind": "the replica a failover would promote is further behind than policy.max_lag (or its lag "
                      "is unknown): promoting it would lose what it lacks",
}


class Refused(VigilError, kind="refused"):
    """Raised inside the planner; ``make_plan`` turns it into a refused Plan."""

    def __init__(self, code, reason, escalate=None):
        super(Refused, self).__init__(reason, code=code)
        self.code = code
        self.reason = reason
        self.escalate = escalate


# -- results -----------------------------------------------------------------

class Step(object):
    """One thing to do on one host.

    ``host`` is where the task runs: the inventory node for node kits,
    ``controller`` for the vm kit and for fencing. ``node`` is the cluster
    node the step is about (the same as ``host`` for node kits; the ESXi host
    node of a vm step; the node to fence). ``target`` is set on vm starts: the
    ESXi host name (as vCenter knows it) to start the VM on; and on
    ``catch_up``, ``rejoin`` and ``rebuild``: the node of the primary the
    replica follows. ``best_effort`` steps may fail without stopping the run:
    a fence of the same node follows (a stop), or the hierarchy is in service
    already (a rejoin).
    """

    __slots__ = ("host", "node", "kit", "resource", "action", "generation", "reason", "target", "best_effort")

    def __init__(self, host, node, kit, resource, action, generation, reason, target=None, best_effort=False):
        self.host = host
        self.node = node
        self.kit = kit
        self.resource = resource
        self.action = action
        self.generation = generation
        self.reason = reason
        self.target = target
        self.best_effort = best_effort

    def to_dict(self):
        return {"host": self.host, "node": self.node, "kit": self.kit, "resource": self.resource,
                "action": self.action, "generation": self.generation, "reason": self.reason,
                "target": self.target, "best_effort": self.best_effort}

    def line(self, reasons=False):
        """``node1: stop web-app (service) [gen 4]``, and `` -- reason`` when asked."""
        if self.action == FENCE:
            what = self.node
        else:
            what = "%s (%s)" % (self.resource, self.kit)
            if self.host == CONTROLLER:
                what += " on %s" % self.node
            elif self.target is not None:
                what += " following %s" % self.target
        text = "%s: %s %s [gen %d]" % (self.host, self.action, what, self.generation)
        if self.best_effort:
            text += " (best effort)"
        if reasons:
            text += " -- " + self.reason
        return text

    def __repr__(self):
        return "Step(%r)" % self.line()


class Plan(object):
    """What ``make_plan`` decided for one hierarchy and one action.

    Refused plans have ``refused`` True, a ``code`` (one of ``REFUSALS``), a
    ``reason`` and no steps; ``escalate`` names the action to try instead
    (``failover`` when local recovery is exhausted or impossible). Other plans
    have steps to run in order (none when there is nothing to do) and say who
    holds the hierarchy afterwards (``owner``, None after a stop) and its
    generation afterwards (``generation``; ``generation_before`` + 1 when the
    owner changes).
    """

    __slots__ = ("hierarchy", "action", "steps", "refused", "code", "reason", "escalate", "owner_before",
                 "owner", "generation_before", "generation")

    def __init__(self, hierarchy, action, owner_before, generation_before, steps=(), owner=None, generation=None,
                 reason="", refused=False, code=None, escalate=None):
        self.hierarchy = hierarchy
        self.action = action
        self.owner_before = owner_before
        self.generation_before = generation_before
        self.steps = list(steps)
        self.owner = owner
        self.generation = generation_before if generation is None else generation
        self.reason = reason
        self.refused = refused
        self.code = code
        self.escalate = escalate

    @property
    def noop(self):
        """Nothing to do and nothing to record (not refused)."""
        return (not self.refused and not self.steps and self.owner == self.owner_before
                and self.generation == self.generation_before)

    @property
    def moves(self):
        """Whether the owner changes (the generation then grows by one)."""
        return not self.refused and self.generation != self.generation_before

    def to_dict(self):
        return {
            "hierarchy": self.hierarchy, "action": self.action, "refused": self.refused, "code": self.code,
            "reason": self.reason, "escalate": self.escalate, "noop": self.noop,
            "owner_before": self.owner_before, "owner": self.owner,
            "generation_before": self.generation_before, "generation": self.generation,
            "steps": [s.to_dict() for s in self.steps],
            "commit_at": self.commit_at,
        }

    @property
    def commit_at(self):
        """Index of the first start (or promote): the steps before it take the hierarchy away from the
        old node (stops, demote, fence, catch up); the move is recorded in vCenter between them and the starts."""
        for i, step in enumerate(self.steps):
            if step.action in STARTING:
                return i
        return len(self.steps)

    def header(self):
        if self.refused:
            return "%s: %s refused (%s): %s" % (self.hierarchy, self.action, self.code, self.reason)
        if self.generation != self.generation_before:
            gen = "gen %d -> %d" % (self.generation_before, self.generation)
        else:
            gen = "gen %d" % self.generation
        if self.noop:
            return "%s: %s: nothing to do: %s [%s]" % (self.hierarchy, self.action, self.reason, gen)
        return "%s: %s: %s [%s]" % (self.hierarchy, self.action, self.reason, gen)

    def describe(self, reasons=False):
        """A short human text: a header line, then ``1. node1: stop web-app (service) [gen 4]``..."""
        lines = [self.header()]
        for i, step in enumerate(self.steps, 1):
            lines.append("%d. %s" % (i, step.line(reasons)))
        return "\n".join(lines)

    def __repr__(self):
        return "Plan(%r)" % self.header()


# -- the planner -------------------------------------------------------------

def make_plan(hierarchy, inputs, **given):
    """The Plan for ``inputs`` (a PlanInputs, model/plan_inputs.py) on
    ``hierarchy`` (a hierarchy.Hierarchy). ``make_plan(hierarchy, action,
    owner=..., ...)`` builds the PlanInputs from ``action`` and ``given``.

    - ``action``: ``start``, ``stop``, ``switchover``, ``failover`` or ``recover``.
    - ``owner``: the node holding the hierarchy, or None; ``generation``: its
      generation now (int).
    - ``states``: ``{node: {resource: state}}`` with the states of
      kits/base.py. A resource missing there is ``unknown``.
    - ``node_health``: ``{node: health}``, one of ``NODE_HEALTH``; a node
      missing there is ``ok``.
    - ``vcenter_reachable``: False when no fencing can be done now.
    - ``target``: the node to start on or move to (start, switchover,
      failover); otherwise chosen by priority.
    - ``resource``: the resource to recover (recover only).
    - ``failed_node``: the node a failover moves away from (default: the
      owner; another node is refused as a stale event).
    - ``expected_generation``: the generation the caller saw; a different one
      is refused.
    - ``failovers_used``: automatic failovers within ``policy.failover.window``;
      ``recoveries_used``: ``{resource: local recoveries within
      policy.local_recovery.window}``.
    - ``confirmed``: an operator confirmed the failover (needed with
      ``policy.confirm_failover``; also lifts the failover budget).
    - ``maintenance``: the hierarchy is in maintenance: everything is refused.
      The hierarchy's own ``maintenance`` flag (inventory) counts too, unless
      ``force`` (an operator acts anyway). A node whose ``maintenance`` flag
      is set is seen as ``maintenance`` (never a target) when observed ``ok``.

    Bad input (unknown action, state or health, an owner that is not a node of
    the hierarchy, ``resource`` without recover) raises ValueError.
    """
    if not isinstance(inputs, PlanInputs):
        inputs = PlanInputs(inputs, **given)
    planner = _Planner(hierarchy, inputs)
    try:
        return planner.plan()
    except Refused as exc:
        return Plan(hierarchy.name, inputs.action, inputs.owner, inputs.generation, owner=inputs.owner,
                    reason=exc.reason, refused=True, code=exc.code, escalate=exc.escalate)


def confirmation(confirm, action, owner, failed_node=None):
    """Whether ``confirm`` (what an operator typed: ``-e confirm=<node>``)
    confirms this failover: it must name the node the failover moves away
    from (``failed_node``, else the owner), the node the operator vouches is
    off, as ``vigil.ha.fence`` wants the fenced node's name. None: not
    confirmed. Anything else raises ValueError naming the field."""
    if confirm is None or confirm == "":
        return False
    if action != FAILOVER:
        raise InputError("confirm: only a failover is confirmed, not %s" % action)
    failed = failed_node or owner
    if failed is None:
        return False  # nobody holds it: the plan refuses (not_in_service)
    if str(confirm) != failed:
        raise InputError("confirm: give the name of the node the failover moves away from, which you vouch no "
                         "longer serves (-e confirm=%s), not %r; nothing was done" % (failed, confirm))
    return True


def _names(items):
    return ", ".join(items)


class _Planner(object):

    def __init__(self, hierarchy, inputs):
        self.h = hierarchy
        self.name = hierarchy.name
        self.action = inputs.action
        self.owner = inputs.owner
        self.generation = inputs.generation
        self.states = inputs.states or {}
        self.health_of = inputs.node_health or {}
        self.vcenter = inputs.vcenter_reachable
        self.target = inputs.target
        self.resource = inputs.resource
        self.failed_node = inputs.failed_node
        self.expected = inputs.expected_generation
        self.failovers_used = inputs.failovers_used
        self.recoveries_used = inputs.recoveries_used or {}
        self.confirmed = inputs.confirmed
        self.maintenance = inputs.maintenance
        self.force = inputs.force
        self.replication = inputs.replication or {}
        self.accept_lag = inputs.accept_lag
        self.rep = hierarchy.replicated  # the replicated resource, or None
        self.nodes = dict((n.name, n) for n in hierarchy.nodes)
        self.resources = set(r.name for r in hierarchy.resources)
        self._check_input()

    # -- input ---------------------------------------------------------------

    def _check_input(self):
        where = "hierarchy '%s'" % self.name
        if self.action not in ACTIONS:
            raise InputError("%s: action must be one of %s, not %r" % (where, _names(ACTIONS), self.action))
        if not isinstance(self.generation, int) or isinstance(self.generation, bool) or self.generation < 0:
            raise InputError("%s: generation must be an integer >= 0, not %r" % (where, self.generation))
        if self.owner is not None and self.owner not in self.nodes:
            raise InputError("%s: owner %r is not one of its nodes (%s)" % (where, self.owner, _names(self.h.node_names)))
        for node, states in self.states.items():
            if node not in self.nodes:
                raise InputError("%s: states given for %r, not one of its nodes" % (where, node))
            for res, state in states.items():
                if res not in self.resources:
                    raise InputError("%s: states of node '%s' name %r, not one of its resources" % (where, node, res))
                if state not in STATES:
                    raise InputError("%s, node '%s', resource '%s': state must be one of %s, not %r"
                                     % (where, node, res, _names(STATES), state))
                if state in (PRIMARY,) + REPLICA_STATES and not self.h.resource(res).replicated:
                    raise InputError("%s, node '%s', resource '%s': state %s is for a replicated resource only"
                                     % (where, node, res, state))
        for node, copies in self.replication.items():
            if node not in self.nodes:
                raise InputError("%s: replication given for %r, not one of its nodes" % (where, node))
            for res, seen in copies.items():
                if self.rep is None or res != self.rep.name:
                    raise InputError("%s: replication of node '%s' names %r, not its replicated resource"
                                     % (where, node, res))
                for key in ("position", "lag"):
                    value = (seen or {}).get(key)
                    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                        raise InputError("%s, node '%s', replication of '%s': %s must be an integer >= 0, not %r"
                                         % (where, node, res, key, value))
        for node, health in self.health_of.items():
            if health not in NODE_HEALTH:
                raise InputError("%s: health of node '%s' must be one of %s, not %r"
                                 % (where, node, _names(NODE_HEALTH), health))
        if self.resource is not None and self.action != RECOVER:
            raise InputError("%s: resource is only for recover, not %s" % (where, self.action))
        if self.action == RECOVER and self.resource is None:
            raise InputError("%s: recover needs a resource" % where)
        if self.target is not None and self.action in (STOP, RECOVER):
            raise InputError("%s: target is not for %s" % (where, self.action))
        if self.failed_node is not None and self.action != FAILOVER:
            raise InputError("%s: failed_node is only for failover, not %s" % (where, self.action))

    # -- observations --------------------------------------------------------

    def health(self, node):
        health = self.health_of.get(node, NODE_OK)
        if health == NODE_OK and self.nodes[node].maintenance:
            return NODE_MAINTENANCE  # the node's flag (inventory): it takes nothing new
        return health

    def state(self, node, res):
        return self.states.get(node, {}).get(res, UNKNOWN)

    def fence_problem(self, node, needs_method=True):
        """Why ``node`` cannot be fenced now, or None."""
        if needs_method and not self.nodes[node].fenceable:
            return "fencing.method is none"
        # A fence agent (BMC) needs no vCenter; a power-off through vCenter does.
        if not self.vcenter and (not needs_method or self.nodes[node].fence_needs_vcenter):
            return "vCenter is unreachable"
        return None

    def unfit(self, node):
        """Why ``node`` cannot take the hierarchy, or None when it can."""
        health = self.health(node)
        if health != NODE_OK:
            return "%s is %s" % (node, HEALTH_WORDS[health])
        failed = [r.name for r in self.h.start_order() if self.state(node, r.name) == FAILED]
        if failed:
            return "%s has %s failed" % (node, _names(failed))
        if self.rep is not None:
            state = self.state(node, self.rep.name)
            if state == REPLICA_BROKEN:
                return "%s has %s replica_broken (it must be rebuilt)" % (node, self.rep.name)
            if self.owner is not None and node != self.owner and state not in (PRIMARY, REPLICA, REPLICA_LAGGING):
                return "%s has no replica of %s to promote (%s there)" % (node, self.rep.name, state)
        return None

    # -- replication ---------------------------------------------------------

    def position(self, node):
        """The replicated resource's position on ``node``, or None."""
        return (self.replication.get(node, {}).get(self.rep.name) or {}).get("position")

    def lag_problem(self, node):
        """Why promoting ``node``'s replica without a catch-up may lose data beyond policy.max_lag, or None."""
        limit = self.h.policy.get("max_lag", 0)
        if limit == UNLIMITED or self.accept_lag:
            return None
        seen = self.replication.get(node, {}).get(self.rep.name) or {}
        lag = seen.get("lag")
        at = "" if seen.get("position") is None else " at position %d" % seen["position"]
        if lag is None and self.state(node, self.rep.name) == REPLICA_LAGGING:
            return "%s of %s%s is lagging (replica_lagging)" % (self.rep.name, node, at)
        if lag is None:
            return "the lag of %s on %s%s is unknown" % (self.rep.name, node, at)
        if lag > limit:
            return "%s of %s%s lags by %d, more than policy.max_lag %d" % (self.rep.name, node, at, lag, limit)
        return None

    def most_advanced(self, candidates):
        """``candidates`` ordered by the replicated resource's position, most data first, then by priority."""
        if self.rep is None:
            return list(candidates)
        ranked = sorted(enumerate(candidates), key=lambda item: (
            self.position(item[1]) is None, -(self.position(item[1]) or 0), item[0]))
        return [node for dummy, node in ranked]

    def holders(self, keep):
        """Nodes to take the hierarchy away from before it starts on ``keep``:
        the owner, then any other node where a resource is in service or
        failed, by priority."""
        out = []
        if self.owner is not None and self.owner != keep:
            out.append(self.owner)
        for node in self.h.node_names:
            if node in (keep, self.owner):
                continue
            if any(self.state(node, r.name) in (IN_SERVICE, FAILED, PRIMARY) for r in self.h.resources):
                out.append(node)
        return out

    # -- steps ---------------------------------------------------------------

    def step(self, node, res, action, generation, reason, best_effort=False, primary=None):
        r = self.h.resource(res)
        if r.where == CONTROLLER:
            target = self.nodes[node].esxi if action == START else None
            return Step(CONTROLLER, node, r.kind, res, action, generation, reason, target, best_effort)
        return Step(node, node, r.kind, res, action, generation, reason, primary, best_effort=best_effort)

    def fence(self, node, generation, reason):
        return Step(CONTROLLER, node, FENCE_KIT, None, FENCE, generation, reason)

    def vacate(self, node, generation, planned, dest=None):
        """Steps that make sure ``node`` no longer serves the hierarchy.

        Reachable: stop what is not out of service, top-down; then fence when
        the node cannot be trusted to have stopped (health unclean, or a
        resource whose state is unknown). Powered off: a fence step that
        only confirms it. Gone (unreachable, failed, unknown): fence, which a
        planned action (start, stop, switchover) refuses to do.
        """
        health = self.health(node)
        if health == NODE_FENCED:
            return []
        if health == NODE_POWERED_OFF:
            problem = self.fence_problem(node, needs_method=False)
            if problem:
                raise Refused("operator_needed", "hierarchy '%s': cannot confirm that %s is powered off: %s"
                              % (self.name, node, problem))
            return [self.fence(node, generation, "already off: %s is powered off, the fence confirms it" % node)]
        if health in GONE:
            if planned:
                raise Refused("owner_unhealthy", "hierarchy '%s': %s is %s and may still hold it: fail it over"
                              % (self.name, node, HEALTH_WORDS[health]))
            problem = self.fence_problem(node)
            if problem:
                raise Refused("operator_needed", "hierarchy '%s': %s is %s and cannot be fenced (%s): "
                              "an operator must make sure it is off" % (self.name, node, HEALTH_WORDS[health], problem))
            return [self.fence(node, generation, "%s is %s" % (node, HEALTH_WORDS[health]))]
        unknown = [r.name for r in self.h.stop_order() if self.state(node, r.name) == UNKNOWN]
        if health == NODE_UNCLEAN:
            doubt = "%s is %s" % (node, HEALTH_WORDS[health])
        elif unknown:
            doubt = "state of %s unknown on %s" % (_names(unknown), node)
        else:
            doubt = None
        if doubt:
            problem = self.fence_problem(node)
            if problem:
                raise Refused("operator_needed", "hierarchy '%s': %s, and %s cannot be fenced (%s): "
                              "an operator must make sure it is off" % (self.name, doubt, node, problem))
        steps = []
        for r in self.h.stop_order():
            state = self.state(node, r.name)
            if state == OUT_OF_SERVICE or state in REPLICA_STATES:
                continue  # a replica serves nothing: it stays, to follow the new primary
            reason = "%s on %s" % (state, node)
            action = STOP
            if state == PRIMARY and dest is not None:
                action = DEMOTE  # keep its data: it comes back as a replica of the new primary
                reason += ", to become a replica of %s" % dest
            if doubt:
                reason += "; %s is fenced next" % node
            steps.append(self.step(node, r.name, action, generation, reason, best_effort=bool(doubt)))
        if doubt:
            steps.append(self.fence(node, generation, "did not stop cleanly: %s" % doubt))
        return steps

    def starts(self, node, generation):
        steps = []
        for r in self.h.start_order():
            state = self.state(node, r.name)
            if state in SERVING:
                continue
            reason = "%s on %s" % (state, node)
            if r.replicated and state in (REPLICA, REPLICA_LAGGING):
                at = self.position(node)
                steps.append(self.step(node, r.name, PROMOTE, generation,
                                       reason + ("" if at is None else " at position %d" % at)))
            else:
                steps.append(self.step(node, r.name, START, generation, reason))
        return steps

    def follow(self, dest, generation, steps, moved):
        """After the starts on ``dest``: every other healthy node's replicated resource follows it
        (rejoin; rebuild when broken). Best effort: the hierarchy is in service already."""
        if self.rep is None:
            return []
        name = self.rep.name
        fenced = set(s.node for s in steps if s.action == FENCE)
        left = dict((s.node, "demoted" if s.action == DEMOTE else "stopped") for s in steps
                    if s.action in (STOP, DEMOTE) and s.resource == name)
        out = []
        for node in self.h.node_names:
            if node == dest or node in fenced or self.health(node) != NODE_OK:
                continue
            state = self.state(node, name)
            if state == REPLICA_BROKEN:
                out.append(self.step(node, name, REBUILD, generation, "replica_broken on %s" % node,
                                     best_effort=True, primary=dest))
            elif node in left or state == OUT_OF_SERVICE or (moved and state in (REPLICA, REPLICA_LAGGING)):
                why = "%s on %s" % (left.get(node, state), node)
                if moved and node not in left and state != OUT_OF_SERVICE:
                    why += ", following the old primary"
                out.append(self.step(node, name, REJOIN, generation, why, best_effort=True, primary=dest))
        return out

    # -- choosing a node -----------------------------------------------------

    def check_target(self, node):
        problem = self.unfit(node)
        if problem:
            raise Refused("target_unhealthy", "hierarchy '%s': target %s is not healthy: %s"
                          % (self.name, node, problem))
        return node

    def first_fit(self, candidates, why):
        """The first node of ``candidates`` that can take the hierarchy."""
        problems = []
        for node in candidates:
            problem = self.unfit(node)
            if problem is None:
                return node
            problems.append(problem)
        detail = "; ".join(why + problems) or "it has no other node"
        raise Refused("no_healthy_node", "hierarchy '%s': no healthy node to start on: %s" % (self.name, detail))

    def switchback_node(self):
        """The preferred node when policy.switchback is automatic and it can
        take the hierarchy back from another owner; else None."""
        preferred = self.h.node_names[0]
        if (self.h.policy["switchback"] == "automatic" and self.owner not in (None, preferred)
                and self.unfit(preferred) is None):
            return preferred
        return None

    # -- plans ---------------------------------------------------------------

    def plan(self):
        if self.maintenance:
            raise Refused("maintenance", "hierarchy '%s' is in maintenance: nothing is planned" % self.name)
        if self.h.maintenance and not self.force:
            raise Refused("maintenance", "hierarchy '%s' is in maintenance (its maintenance flag is set): nothing is "
                          "planned; to act anyway, run again with -e force=true" % self.name)
        if self.expected is not None and self.expected != self.generation:
            code = "stale" if self.expected < self.generation else "generation_mismatch"
            raise Refused(code, "hierarchy '%s': expected generation %d, but it is at %d"
                          % (self.name, self.expected, self.generation))
        if self.target is not None and self.target not in self.nodes:
            raise Refused("unknown_target", "hierarchy '%s': target %s is not one of its nodes (%s)"
                          % (self.name, self.target, _names(self.h.node_names)))
        return getattr(self, "plan_" + self.action)()

    def result(self, steps, owner, generation, reason):
        return Plan(self.name, self.action, self.owner, self.generation, steps, owner, generation, reason)

    def move(self, dest, reason, planned):
        """Take the hierarchy off its owner (and any other holder), then start it on ``dest``.

        A replicated resource's primary left by a demote (not fenced) is waited for: ``dest``
        catches up with it before the commit point. Otherwise a promote may lose what ``dest``
        lacks, which policy.max_lag bounds (refused beyond it unless accept_lag)."""
        new = self.generation + 1
        steps = []
        for node in self.holders(dest):
            steps.extend(self.vacate(node, new, planned, dest))
        starts = self.starts(dest, new)
        promote = next((s for s in starts if s.action == PROMOTE), None)
        if promote is not None:
            fenced = set(s.node for s in steps if s.action == FENCE)
            demoted = [s.node for s in steps if s.action == DEMOTE and s.node not in fenced]
            if demoted:
                steps.append(self.step(dest, promote.resource, CATCH_UP, new, "replica on %s: wait until it has "
                                       "everything %s has" % (dest, demoted[0]), primary=demoted[0]))
            else:
                problem = self.lag_problem(dest)
                if problem:
                    raise Refused("replica_behind", "hierarchy '%s': promoting %s on %s may lose data: %s; an "
                                  "operator may accept that (-e accept_lag=true), or bring the old primary back"
                                  % (self.name, self.rep.name, dest, problem))
        steps.extend(starts)
        steps.extend(self.follow(dest, new, steps, moved=True))
        return self.result(steps, dest, new, reason)

    def in_place(self):
        """Start what is not in service on the owner (no move)."""
        health = self.health(self.owner)
        if health != NODE_OK:
            raise Refused("owner_unhealthy", "hierarchy '%s': %s holds it and is %s: fail it over or move it"
                          % (self.name, self.owner, HEALTH_WORDS[health]))
        steps = []
        for node in self.holders(self.owner):
            steps.extend(self.vacate(node, self.generation, planned=True, dest=self.owner))
        starts = self.starts(self.owner, self.generation)
        follow = self.follow(self.owner, self.generation, steps, moved=False)
        if not steps and not starts and not follow:
            return self.result([], self.owner, self.generation, "already in service on %s" % self.owner)
        if starts:
            reason = "complete on %s (start %s)" % (self.owner, _names(s.resource for s in starts))
        else:
            reason = "in service on %s" % self.owner
        if follow:
            reason += "; replicas follow it: %s" % _names(s.node for s in follow)
        return self.result(steps + starts + follow, self.owner, self.generation, reason)

    def plan_start(self):
        if self.owner is None:
            if self.target is not None:
                dest = self.check_target(self.target)
                reason = "start on %s (target)" % dest
            else:
                dest = self.first_fit(self.h.node_names, [])
                reason = "start on %s" % dest
                skipped = [self.unfit(n) for n in self.h.node_names[:self.h.node_names.index(dest)]]
                reason += " (preferred)" if not skipped else " (%s)" % "; ".join(skipped)
            return self.move(dest, reason, planned=True)
        if self.target is not None and self.target != self.owner:
            dest = self.check_target(self.target)
            return self.move(dest, "move from %s to %s (target)" % (self.owner, dest), planned=True)
        if self.target is None:
            back = self.switchback_node()
            if back:
                return self.move(back, "switchback from %s to preferred %s" % (self.owner, back), planned=True)
        return self.in_place()

    def plan_stop(self):
        steps = []
        new = self.generation + 1 if self.owner is not None else self.generation
        for node in self.holders(None):
            steps.extend(self.vacate(node, new, planned=True))
        if self.owner is None and not steps:
            return self.result([], None, self.generation, "already out of service")
        if self.owner is None:
            return self.result(steps, None, new, "stop where it still runs")
        return self.result(steps, None, new, "stop on %s" % self.owner)

    def plan_switchover(self):
        if self.owner is None:
            raise Refused("not_in_service", "hierarchy '%s' is not in service on any node: start it" % self.name)
        if self.target == self.owner:
            return self.in_place()
        if self.target is not None:
            dest = self.check_target(self.target)
            return self.move(dest, "switchover from %s to %s" % (self.owner, dest), planned=True)
        back = self.switchback_node()
        if back:
            return self.move(back, "switchover from %s to preferred %s (switchback automatic)" % (self.owner, back),
                             planned=True)
        names = self.h.node_names
        at = names.index(self.owner)
        dest = self.first_fit(names[at + 1:] + names[:at], [])
        return self.move(dest, "switchover from %s to %s (next by priority)" % (self.owner, dest), planned=True)

    def plan_failover(self):
        if self.owner is None:
            raise Refused("not_in_service", "hierarchy '%s' is not in service on any node: nothing to fail over"
                          % self.name)
        failed = self.failed_node if self.failed_node is not None else self.owner
        if failed != self.owner:
            raise Refused("not_owner", "hierarchy '%s': %s does not hold it (%s does): nothing to fail over"
                          % (self.name, failed, self.owner))
        if self.target == failed:
            raise Refused("already_owner", "hierarchy '%s': target %s is the node failing over" % (self.name, failed))
        if self.target is not None:
            dest = self.check_target(self.target)
        else:
            # a replicated resource: the replica with the most data first, by priority among equals
            dest = self.first_fit(self.most_advanced([n for n in self.h.node_names if n != failed]),
                                  ["%s is the failed node" % failed])
        plan = self.move(dest, "failover from %s to %s" % (failed, dest), planned=False)
        policy = self.h.policy
        if policy["confirm_failover"] and not self.confirmed:
            raise Refused("needs_confirmation", "hierarchy '%s': policy.confirm_failover is set: confirm the "
                          "failover from %s to %s (-e confirm=%s, once %s is known to serve nothing)"
                          % (self.name, failed, dest, failed, failed))
        limit = policy["failover"]
        if not self.confirmed and self.failovers_used >= limit["max"]:
            if limit["max"] == 0:
                used = "policy.failover.max is 0 (no automatic failover)"
            else:
                used = "%d of %d automatic failovers used within %ss" % (
                    self.failovers_used, limit["max"], limit["window"])
            raise Refused("failover_budget_exhausted", "hierarchy '%s': %s: an operator must confirm the failover "
                          "from %s to %s (-e confirm=%s)" % (self.name, used, failed, dest, failed))
        return plan

    def plan_recover(self):
        if self.resource not in self.resources:
            raise Refused("unknown_resource", "hierarchy '%s': no resource %s to recover" % (self.name, self.resource))
        if self.owner is None:
            raise Refused("not_in_service", "hierarchy '%s' is not in service on any node: nothing to recover"
                          % self.name)
        health = self.health(self.owner)
        if health not in (NODE_OK, NODE_MAINTENANCE):
            raise Refused("owner_unhealthy", "hierarchy '%s', resource '%s': %s is %s: fail over instead"
                          % (self.name, self.resource, self.owner, HEALTH_WORDS[health]), escalate=FAILOVER)
        if self.state(self.owner, self.resource) in SERVING:
            return self.result([], self.owner, self.generation, "%s is in service on %s" % (self.resource, self.owner))
        todo = [d for d in self.h.dependencies(self.resource) if self.state(self.owner, d) not in SERVING]
        limit = self.h.policy["local_recovery"]
        for res in todo + [self.resource]:
            used = self.recoveries_used.get(res, 0)
            if used >= limit["attempts"]:
                if limit["attempts"] == 0:
                    spent = "policy.local_recovery.attempts is 0"
                else:
                    spent = "%d of %d local recoveries used within %ss" % (used, limit["attempts"], limit["window"])
                raise Refused("recovery_budget_exhausted", "hierarchy '%s', resource '%s': %s on %s: fail over"
                              % (self.name, res, spent, self.owner), escalate=FAILOVER)
        steps = [self.step(self.owner, d, RECOVER, self.generation, "%s on %s, needed by %s"
                           % (self.state(self.owner, d), self.owner, self.resource)) for d in todo]
        steps.append(self.step(self.owner, self.resource, RECOVER, self.generation,
                               "%s on %s" % (self.state(self.owner, self.resource), self.owner)))
        reason = "recover %s on %s" % (self.resource, self.owner)
        if todo:
            reason += " after %s" % _names(todo)
        return self.result(steps, self.owner, self.generation, reason)
