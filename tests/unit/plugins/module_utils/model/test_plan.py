# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden plans, in the style of Pacemaker's scheduler tests.

Every ``plan_cases/*.yml`` (but ``_clusters.yml``) is one case: ``state in``
(a cluster, the owner, generation, states, node health and the action) and
``plan out`` (the exact steps, or the refusal). docs/plans.md says how to add
one. With ``VIGIL_PLAN_REGENERATE=1`` the ``plan out`` of every case is
rewritten from what the planner computes now: review the diff before
committing it. Every computed plan is also checked against the safety rules,
whatever its case expects.
"""
from __future__ import annotations

import copy
import glob
import os
import re

import pytest
import yaml

from ansible_collections.vigil.ha.plugins.module_utils.model import plan as planmod
from ansible_collections.vigil.ha.plugins.module_utils.kits.base import (
    FAILED, IN_SERVICE, OUT_OF_SERVICE, PRIMARY, REPLICA_STATES, STATES, UNKNOWN)
from ansible_collections.vigil.ha.plugins.module_utils.model.plan import make_plan
from ansible_collections.vigil.ha.plugins.module_utils.config.validation import load

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "plan_cases")
DOCS = os.path.join(HERE, "..", "..", "..", "..", "..", "docs", "plans.md")
REGENERATE = os.environ.get("VIGIL_PLAN_REGENERATE") == "1"

with open(os.path.join(CASES, "_clusters.yml")) as fixture:
    CLUSTERS = yaml.safe_load(fixture)

PASSED = ("action", "owner", "generation", "node_health", "vcenter_reachable", "target", "resource", "failed_node",
          "expected_generation", "failovers_used", "recoveries_used", "confirmed", "maintenance", "force",
          "replication", "accept_lag")
STATE_IN_KEYS = PASSED + ("cluster", "hierarchy", "policy", "states")
PLAN_OUT_KEYS = ("refused", "reason", "escalate", "owner", "generation", "steps")


def case_files():
    return sorted(p for p in glob.glob(os.path.join(CASES, "*.yml")) if not os.path.basename(p).startswith("_"))


def merge(base, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value


def build(state_in):
    """(hierarchy, make_plan keyword arguments) from a case's ``state in``."""
    unknown = set(state_in) - set(STATE_IN_KEYS)
    assert not unknown, "unknown keys in state in: %s" % sorted(unknown)
    cluster = state_in["cluster"]
    cluster = copy.deepcopy(CLUSTERS[cluster] if isinstance(cluster, str) else cluster)
    hname = state_in.get("hierarchy", cluster["hierarchies"][0]["name"])
    raw = next(h for h in cluster["hierarchies"] if h["name"] == hname)
    if state_in.get("policy"):
        raw.setdefault("policy", {})
        merge(raw["policy"], state_in["policy"])
    hierarchy = load(cluster["nodes"], cluster["hierarchies"]).hierarchy(hname)
    kwargs = dict((k, state_in[k]) for k in PASSED if k in state_in and k != "action")
    states = {}
    for node, given in (state_in.get("states") or {}).items():
        # shorthand: one state for every resource of the hierarchy
        states[node] = dict((r.name, given) for r in hierarchy.resources) if isinstance(given, str) else given
    kwargs["states"] = states
    return hierarchy, state_in["action"], kwargs


def summary(plan):
    """The comparable form of a plan, as ``plan out`` writes it."""
    if plan.refused:
        out = {"refused": plan.code, "reason": plan.reason}
        if plan.escalate:
            out["escalate"] = plan.escalate
        return out
    return {"reason": plan.reason, "owner": plan.owner, "generation": plan.generation,
            "steps": [s.line(reasons=True) for s in plan.steps]}


def expected(plan_out):
    unknown = set(plan_out) - set(PLAN_OUT_KEYS)
    assert not unknown, "unknown keys in plan out: %s" % sorted(unknown)
    out = dict(plan_out)
    if not out.get("refused"):
        out.pop("refused", None)
        out["steps"] = out.get("steps") or []
    return out


def regenerate(path, plan):
    with open(path) as f:
        text = f.read()
    head = text[:text.index("plan out:")]
    body = yaml.safe_dump({"plan out": summary(plan)}, default_flow_style=False, sort_keys=False, width=1000)
    with open(path, "w") as f:
        f.write(head + body)


# -- safety rules every plan must keep ----------------------------------------

def check_rules(plan, hierarchy, kwargs):
    """What must hold for every plan, whatever a case expects."""
    if plan.refused:
        assert plan.code in planmod.REFUSALS
        assert not plan.steps and plan.owner == plan.owner_before and plan.generation == plan.generation_before
        assert hierarchy.name in plan.reason
        return
    # the generation grows by exactly one when, and only when, the owner changes
    assert plan.generation == plan.generation_before + (1 if plan.owner != plan.owner_before else 0)
    # the commit point: what takes the hierarchy away comes before it, only starts (and promotes, and
    # replicas following the new primary) after it
    assert all(s.action not in planmod.STARTING for s in plan.steps[:plan.commit_at])
    assert all(s.action in planmod.AFTER_COMMIT for s in plan.steps[plan.commit_at:])
    for step in plan.steps:
        assert step.generation == plan.generation
        assert step.action in planmod.STEP_ACTIONS
        if step.action == planmod.FENCE:
            assert step.host == planmod.CONTROLLER and step.kit == planmod.FENCE_KIT and step.resource is None
        else:
            r = hierarchy.resource(step.resource)
            assert step.kit == r.kind
            assert step.host == (planmod.CONTROLLER if r.where == "controller" else step.node)
    states = kwargs["states"]
    health = kwargs.get("node_health") or {}
    order = [r.name for r in hierarchy.start_order()]
    seen = {}
    # a demote is the stop of a replicated resource, a promote its start: the same order
    same = {planmod.DEMOTE: planmod.STOP, planmod.PROMOTE: planmod.START}
    for i, step in enumerate(plan.steps):
        seen.setdefault((step.node, same.get(step.action, step.action)), []).append((i, step))
    # stops top-down and starts bottom-up on each node; a fence after the stops of its node
    for (node, action), items in seen.items():
        names = [s.resource for dummy, s in items]
        if action == planmod.STOP:
            assert names == [n for n in reversed(order) if n in names]
        if action in (planmod.START, planmod.RECOVER):
            assert names == [n for n in order if n in names]
        if action == planmod.FENCE:
            assert len(items) == 1
            assert all(j < items[0][0] for j, dummy in seen.get((node, planmod.STOP), []))
    # never a start on a node unless every other node that may hold the hierarchy
    # was stopped cleanly (every resource not out of service stopped, nothing in
    # doubt) or fenced earlier in the plan
    check_replication(plan, hierarchy, kwargs)
    starts = [(i, s) for i, s in enumerate(plan.steps) if s.action in planmod.STARTING]
    if not starts:
        return
    first = starts[0][0]
    dest = starts[0][1].node
    assert all(s.node == dest for dummy, s in starts)
    for node in hierarchy.node_names:
        if node == dest:
            continue
        node_states = states.get(node, {})
        holds = node == plan.owner_before or any(node_states.get(r) in (IN_SERVICE, FAILED, PRIMARY) for r in order)
        if not holds:
            continue
        fenced = any(s.action == planmod.FENCE and s.node == node for s in plan.steps[:first])
        if fenced or health.get(node) == planmod.NODE_FENCED:
            continue
        assert health.get(node, planmod.NODE_OK) in (planmod.NODE_OK, planmod.NODE_MAINTENANCE), \
            "start on %s while %s (%s) is neither stopped cleanly nor fenced" % (dest, node, health.get(node))
        stopped = set(s.resource for s in plan.steps[:first]
                      if s.action in (planmod.STOP, planmod.DEMOTE) and s.node == node)
        for r in order:
            st = node_states.get(r, UNKNOWN)
            assert st != UNKNOWN, "start on %s while %s of %s is unknown and %s not fenced" % (dest, r, node, node)
            assert st == OUT_OF_SERVICE or st in REPLICA_STATES or r in stopped


def check_replication(plan, hierarchy, kwargs):
    """Never two primaries, and no promote that may lose more than policy.max_lag allows."""
    rep = hierarchy.replicated
    if rep is None:
        return
    promotes = [(i, s) for i, s in enumerate(plan.steps) if s.resource == rep.name and s.action in planmod.STARTING]
    assert len(promotes) <= 1, "two primaries of %s in one plan" % rep.name
    for i, step in enumerate(plan.steps):
        if step.action in (planmod.REJOIN, planmod.REBUILD, planmod.CATCH_UP):
            assert step.resource == rep.name and step.target is not None and step.target != step.node
        if step.action in (planmod.REJOIN, planmod.REBUILD):
            # a replica follows the new primary once it is in service; it failing does not undo that
            assert step.best_effort
            assert all(j < i for j, dummy in promotes)
    if not promotes or promotes[0][1].action != planmod.PROMOTE:
        return
    at, promote = promotes[0]
    caught_up = [s for s in plan.steps[:at] if s.action == planmod.CATCH_UP and s.node == promote.node]
    if caught_up:
        # the primary it caught up with was demoted before (and not fenced: it could not be waited for)
        primary = caught_up[0].target
        assert any(s.action == planmod.DEMOTE and s.node == primary for s in plan.steps[:at])
        assert not any(s.action == planmod.FENCE and s.node == primary for s in plan.steps)
        return
    limit = hierarchy.policy["max_lag"]
    if kwargs.get("accept_lag") or limit == planmod.UNLIMITED:
        return
    lag = ((kwargs.get("replication") or {}).get(promote.node, {}).get(rep.name) or {}).get("lag")
    assert lag is not None and lag <= limit, "promoted %s lagging by %s (max_lag %s)" % (promote.node, lag, limit)


# -- the golden cases ------------------------------------------------------------

@pytest.mark.parametrize("path", case_files(), ids=lambda p: os.path.basename(p)[:-4])
def test_golden(path):
    with open(path) as f:
        case = yaml.safe_load(f)
    assert set(case) <= {"description", "state in", "plan out"}, sorted(case)
    assert case.get("description"), "every case says what it shows"
    hierarchy, action, kwargs = build(case["state in"])
    plan = make_plan(hierarchy, action, **copy.deepcopy(kwargs))
    check_rules(plan, hierarchy, kwargs)
    if REGENERATE:
        regenerate(path, plan)
        return
    got = summary(plan)
    want = expected(case["plan out"])
    assert got == want, "%s\ncomputed plan out:\n%s" % (plan.describe(reasons=True), yaml.safe_dump(
        {"plan out": got}, default_flow_style=False, sort_keys=False, width=1000))


def test_enough_cases():
    assert len(case_files()) >= 30


def test_every_refusal_code_has_a_case_and_a_line_in_the_docs():
    codes = set()
    for path in case_files():
        with open(path) as f:
            codes.add((yaml.safe_load(f)["plan out"] or {}).get("refused"))
    assert set(planmod.REFUSALS) <= codes, sorted(set(planmod.REFUSALS) - codes)
    with open(DOCS) as f:
        section = f.read().split("\n## Refusals\n")[1].split("\n## ")[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M))
    assert documented == set(planmod.REFUSALS)


# -- the API beyond the golden cases -------------------------------------------

def web():
    return build({"cluster": "web3", "action": "start"})[0]


def test_to_dict_and_describe():
    h = web()
    plan = make_plan(h, "switchover", owner="node1", generation=4, target="node2",
                     states={"node1": {"web-vip": "in_service", "web-app": "in_service"},
                             "node2": {"web-vip": "out_of_service", "web-app": "out_of_service"}})
    d = plan.to_dict()
    assert d["hierarchy"] == "web" and d["action"] == "switchover" and not d["refused"] and not d["noop"]
    assert (d["owner_before"], d["owner"], d["generation_before"], d["generation"]) == ("node1", "node2", 4, 5)
    assert d["code"] is None and d["escalate"] is None
    assert d["steps"][0] == {"host": "node1", "node": "node1", "kit": "service", "resource": "web-app",
                             "action": "stop", "generation": 5, "reason": "in_service on node1", "target": None,
                             "best_effort": False}
    assert yaml.safe_load(yaml.safe_dump(d)) == d  # plain data only
    assert plan.describe().splitlines() == [
        "web: switchover: switchover from node1 to node2 [gen 4 -> 5]",
        "1. node1: stop web-app (service) [gen 5]",
        "2. node1: stop web-vip (ip) [gen 5]",
        "3. node2: start web-vip (ip) [gen 5]",
        "4. node2: start web-app (service) [gen 5]",
    ]


def test_noop_and_refused_descriptions():
    h = web()
    noop = make_plan(h, "start", owner="node1", generation=4,
                     states={"node1": {"web-vip": "in_service", "web-app": "in_service"}})
    assert noop.noop and not noop.refused and noop.steps == []
    assert noop.describe() == "web: start: nothing to do: already in service on node1 [gen 4]"
    refused = make_plan(h, "switchover", owner="node1", generation=4, target="node9")
    assert refused.refused and not refused.noop
    assert refused.to_dict()["code"] == "unknown_target"
    assert refused.describe().startswith("web: switchover refused (unknown_target): hierarchy 'web': target node9")


def test_vm_steps_target_the_esxi_host():
    h = build({"cluster": "erp", "action": "start"})[0]
    plan = make_plan(h, "start", states={n: dict((r.name, "out_of_service") for r in h.resources) for n in h.node_names})
    assert [(s.host, s.node, s.target, s.resource) for s in plan.steps] == [
        ("controller", "esxi-01.lab", "esxi-01.lab", "erp-db"), ("controller", "esxi-01.lab", "esxi-01.lab", "erp-app")]


def test_the_plan_does_not_change_its_inputs():
    h = web()
    states = {"node1": {"web-vip": "in_service", "web-app": "failed"}}
    health = {"node2": "ok"}
    before = copy.deepcopy((states, health))
    make_plan(h, "failover", owner="node1", generation=1, states=states, node_health=health)
    assert (states, health) == before


@pytest.mark.parametrize("kwargs, message", [
    (dict(action="dance"), "action must be one of start, stop, switchover, failover, recover, not 'dance'"),
    (dict(action="start", owner="node9"), "owner 'node9' is not one of its nodes (node1, node2, node3)"),
    (dict(action="start", generation=-1), "generation must be an integer >= 0"),
    (dict(action="start", states={"node9": {}}), "states given for 'node9'"),
    (dict(action="start", states={"node1": {"nope": "in_service"}}), "name 'nope', not one of its resources"),
    (dict(action="start", states={"node1": {"web-vip": "up"}}),
     "node 'node1', resource 'web-vip': state must be one of %s, not 'up'" % ", ".join(STATES)),
    (dict(action="start", node_health={"node1": "sad"}), "health of node 'node1' must be one of"),
    (dict(action="start", resource="web-app"), "resource is only for recover, not start"),
    (dict(action="recover", owner="node1"), "recover needs a resource"),
    (dict(action="stop", target="node2"), "target is not for stop"),
    (dict(action="switchover", failed_node="node1"), "failed_node is only for failover"),
    (dict(action="start", states={"node1": {"web-app": "primary"}}),
     "node 'node1', resource 'web-app': state primary is for a replicated resource only"),
    (dict(action="start", replication={"node1": {"web-app": {"position": 3}}}),
     "replication of node 'node1' names 'web-app', not its replicated resource"),
    (dict(action="start", replication={"node9": {}}), "replication given for 'node9'"),
])
def test_bad_input_raises(kwargs, message):
    h = web()
    action = kwargs.pop("action")
    with pytest.raises(ValueError) as err:
        make_plan(h, action, **kwargs)
    assert message in str(err.value)
    assert "hierarchy 'web'" in str(err.value)


# -- how an operator confirms a failover (-e confirm=<node>) ------------------

def test_confirm_names_the_node_the_failover_moves_away_from():
    assert planmod.confirmation("node1", "failover", "node1") is True
    assert planmod.confirmation("node2", "failover", "node1", failed_node="node2") is True
    assert planmod.confirmation(None, "failover", "node1") is False
    assert planmod.confirmation("node1", "failover", None) is False  # not in service: the plan refuses


@pytest.mark.parametrize("confirm, action, message", [
    ("true", "failover", "confirm: give the name of the node the failover moves away from, which you vouch no longer "
                         "serves (-e confirm=node1), not 'true'; nothing was done"),
    ("node2", "failover", "(-e confirm=node1), not 'node2'"),
    ("node1", "switchover", "confirm: only a failover is confirmed, not switchover"),
])
def test_confirm_refuses_anything_but_that_node(confirm, action, message):
    with pytest.raises(ValueError) as err:
        planmod.confirmation(confirm, action, "node1")
    assert message in str(err.value)


def test_one_object_holds_the_planners_inputs():
    from ansible_collections.vigil.ha.plugins.module_utils.model.plan_inputs import PlanInputs
    h = web()
    kwargs = dict(owner="node1", generation=4, target="node2",
                  states={"node1": {"web-vip": "in_service", "web-app": "in_service"},
                          "node2": {"web-vip": "out_of_service", "web-app": "out_of_service"}})
    by_words = make_plan(h, "switchover", **copy.deepcopy(kwargs))
    by_object = make_plan(h, PlanInputs("switchover", **copy.deepcopy(kwargs)))
    assert by_object.to_dict() == by_words.to_dict()


def test_replication_positions_must_be_counts():
    h = build({"cluster": "db3", "action": "start"})[0]
    with pytest.raises(ValueError) as err:
        make_plan(h, "failover", owner="node1", replication={"node2": {"db-data": {"position": -5}}})
    assert "hierarchy 'db', node 'node2', replication of 'db-data': position must be an integer >= 0, not -5" \
        in str(err.value)


def test_replication_steps_carry_the_primary_they_follow():
    h = build({"cluster": "db3", "action": "start"})[0]
    plan = make_plan(h, "switchover", owner="node1", generation=2, target="node2",
                     states={"node1": {"db-data": "primary", "db-vip": "in_service"},
                             "node2": {"db-data": "replica", "db-vip": "out_of_service"},
                             "node3": {"db-data": "replica", "db-vip": "out_of_service"}})
    steps = [(s["node"], s["action"], s["target"]) for s in plan.to_dict()["steps"]]
    assert steps == [("node1", "stop", None), ("node1", "demote", None), ("node2", "catch_up", "node1"),
                     ("node2", "promote", None), ("node2", "start", None), ("node1", "rejoin", "node2"),
                     ("node3", "rejoin", "node2")]
    assert plan.commit_at == 3  # the move is recorded after the catch-up, before the promote
