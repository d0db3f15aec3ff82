# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The way out of a switchover whose step failed (model/rollback.py), and the plan it leads to."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.config.validation import load
from ansible_collections.vigil.ha.plugins.module_utils.model.plan import make_plan
from ansible_collections.vigil.ha.plugins.module_utils.model.rollback import way_out
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import example_config

FIRST = {"action": "switchover", "owner_before": "node1", "owner": "node2", "generation_before": 4, "generation": 5}
OUT = {"web-vip": "out_of_service", "web-app": "out_of_service"}


@pytest.mark.parametrize("on_old,stop_failed", [
    (OUT, False),                                              # the stops worked: a start failed on node2
    ({"web-vip": "out_of_service", "web-app": "in_service"}, True),   # web-app did not stop
    ({"web-vip": "out_of_service", "web-app": "failed"}, True),       # nor is it known stopped
    ({"web-vip": "unknown", "web-app": "out_of_service"}, True),      # node1 did not answer for web-vip
])
def test_a_stop_that_did_not_happen_fences_the_old_node_else_it_goes_back(on_old, stop_failed):
    out = way_out(FIRST, {"node1": on_old, "node2": OUT})
    assert out["stop_failed"] is stop_failed and out["confirmed"] is True
    if stop_failed:
        assert (out["action"], out["target"], out["failed_node"], out["extra_health"]) == (
            "failover", "node2", "node1", {"node1": "unclean"})
    else:
        assert (out["action"], out["target"], out["failed_node"], out["extra_health"]) == (
            "start", "node1", None, {})


def test_the_way_out_after_a_failed_stop_fences_node1_before_any_start_on_node2():
    nodes, hierarchies = example_config()
    web = load(nodes, hierarchies).hierarchy("web")
    states = {"node1": {"web-vip": "out_of_service", "web-app": "in_service"}, "node2": OUT}
    out = way_out(FIRST, states)
    plan = make_plan(web, out["action"], owner="node1", generation=4, states=states, target=out["target"],
                     failed_node=out["failed_node"], node_health=dict({"node2": "ok"}, **out["extra_health"]),
                     confirmed=out["confirmed"])
    assert not plan.refused, plan.reason
    taken, started = plan.steps[:plan.commit_at], plan.steps[plan.commit_at:]
    assert [(s.action, s.node) for s in taken][-1] == ("fence", "node1")  # after a best-effort stop, if any
    assert [(s.action, s.node, s.resource) for s in started] == [
        ("start", "node2", "web-vip"), ("start", "node2", "web-app")]
    assert plan.to_dict()["commit_at"] == len(taken)


def test_a_replicated_switchover_whose_catch_up_failed_goes_back_to_the_demoted_primary():
    """The demote worked (node1's copy is a replica), node2 did not catch up: nothing was committed,
    so the way out is a start on node1, which promotes its copy again; no fence of node1."""
    from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.model.test_plan import build
    states = {"node1": {"db-data": "replica", "db-vip": "out_of_service"},
              "node2": {"db-data": "replica_lagging", "db-vip": "out_of_service"},
              "node3": {"db-data": "replica", "db-vip": "out_of_service"}}
    out = way_out(dict(FIRST, generation=4), states)
    assert (out["stop_failed"], out["action"], out["target"]) == (False, "start", "node1")
    h = build({"cluster": "db3", "action": "start"})[0]
    plan = make_plan(h, "start", owner="node1", generation=4, target="node1", states=states)
    assert [s.line() for s in plan.steps] == [
        "node1: promote db-data (script) [gen 4]", "node1: start db-vip (ip) [gen 4]"]
