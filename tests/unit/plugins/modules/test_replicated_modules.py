# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A replicated resource through the modules a plan's steps run: vigil.ha.plan (replication,
accept_lag) and vigil.ha.resource (promote, demote, catch_up, rejoin, rebuild)."""
from __future__ import annotations

import copy
import os

import yaml

from ansible_collections.vigil.ha.plugins.modules import plan, resource
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.kits.test_script_replication import app, role
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.model.test_plan import CLUSTERS

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..")


def db3():
    cluster = copy.deepcopy(CLUSTERS["db3"])
    return cluster["nodes"], cluster["hierarchies"]


def failover(capsys, **extra):
    nodes, hierarchies = db3()
    args = dict(nodes=nodes, hierarchies=hierarchies, hierarchy="db", action="failover", owner="node1",
                generation=3, node_health={"node1": "unreachable"}, budgets_from="ledger", ledger="/nonexistent",
                states={"node1": {"db-data": "unknown", "db-vip": "unknown"},
                        "node2": {"db-data": "replica_lagging", "db-vip": "out_of_service"},
                        "node3": {"db-data": "replica_lagging", "db-vip": "out_of_service"}},
                replication={"node2": {"db-data": {"position": 500, "lag": 9000}},
                             "node3": {"db-data": {"position": 800, "lag": 8700}}})
    args.update(extra)
    return run_module(capsys, plan.main, args)


def test_the_plan_module_refuses_a_replica_too_far_behind_unless_accepted(capsys):
    rc, out = failover(capsys)
    assert rc == 0 and out["plan"]["refused"] and out["plan"]["code"] == "replica_behind"
    assert "db-data of node3 at position 800 lags by 8700, more than policy.max_lag 1000" in out["plan"]["reason"]
    rc, out = failover(capsys, accept_lag=True)
    steps = [(s["host"], s["action"], s["resource"], s["target"]) for s in out["plan"]["steps"]]
    assert steps == [("controller", "fence", None, None), ("node3", "promote", "db-data", None),
                     ("node3", "start", "db-vip", None), ("node2", "rejoin", "db-data", "node3")]
    assert out["plan"]["commit_at"] == 1


def run_resource(capsys, params, action, **extra):
    args = dict(name="db", kind="script", params=params, replicated=True, action=action)
    args.update(extra)
    return run_module(capsys, resource.main, args)


def test_the_resource_module_promotes_and_demotes(capsys, tmp_path):
    params, data = app(tmp_path, "replica")
    rc, out = run_resource(capsys, params, "promote")
    assert rc == 0 and out["changed"] and out["state"] == "primary" and role(data) == "primary"
    rc, out = run_resource(capsys, params, "demote", _ansible_check_mode=True)
    assert rc == 0 and out["changed"] and role(data) == "primary"  # check mode: nothing done
    rc, out = run_resource(capsys, params, "demote")
    assert rc == 0 and out["state"] == "replica" and role(data) == "replica"


def test_the_resource_module_needs_the_primary_to_follow(capsys, tmp_path):
    params, data = app(tmp_path, "replica")
    rc, out = run_resource(capsys, params, "rejoin")
    assert rc == 1 and out["msg"] == "action is rejoin but all of the following are missing: primary"
    rc, out = run_resource(capsys, params, "catch_up", primary="node1")
    assert rc == 0 and out["state"] == "replica" and out["facts"] == {"position": 9800, "lag": 0}


def test_the_resource_module_refuses_replica_actions_on_a_plain_resource(capsys, tmp_path):
    params, data = app(tmp_path, "replica")
    rc, out = run_resource(capsys, params, "promote", replicated=False)
    assert rc == 1 and "action: promote is for a replicated resource only (replicated: true)" in out["msg"]
    assert role(data) == "replica"


def test_the_resource_module_refuses_a_replicated_script_without_promote(capsys, tmp_path):
    params, data = app(tmp_path, "replica", without=("promote",))
    rc, out = run_resource(capsys, params, "check")
    assert rc == 1 and "params.promote: required for kind script when replicated is true" in out["msg"]


def test_the_step_task_passes_what_the_resource_module_needs():
    """step_node.yml gives vigil.ha.resource the resource's replicated flag and the step's primary."""
    with open(os.path.join(ROOT, "playbooks", "tasks", "step_node.yml")) as f:
        tasks = yaml.safe_load(f)
    call = next(t["vigil.ha.resource"] for t in tasks if "vigil.ha.resource" in t)
    assert call["replicated"] == "{{ vigil_ha_resource.replicated | default(false) }}"
    assert call["primary"] == "{{ vigil_ha_step.target | default(none) }}"
