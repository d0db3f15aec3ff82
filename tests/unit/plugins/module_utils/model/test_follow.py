# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host mode: the owner follows VMs that DRS or an operator migrated (model/follow.py)."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.model.follow import FOLLOW, REFUSE, STAY, decide, from_observed, with_plan

MEMBERS = [("esx1", "esxi-01"), ("esx2", "esxi-02"), ("esx3", "esxi-03")]


@pytest.mark.parametrize("owner, running, decision, new_owner, words", [
    ("esx1", {"db": "esxi-01", "app": "esxi-01"}, STAY, "esx1", "run on its owner esx1"),
    ("esx1", {"db": "esxi-02", "app": "esxi-02"}, FOLLOW, "esx2", "migrated from esx1 to esx2 (app, db on esxi-02)"),
    # A VM that is off (a failure, handled as one) does not hold the owner back.
    ("esx1", {"db": "esxi-03"}, FOLLOW, "esx3", "migrated from esx1 to esx3"),
    ("esx1", {"db": "esxi-01", "app": "esxi-02"}, REFUSE, "esx1", "split over several hosts (db on esxi-01; app on esxi-02)"),
    ("esx1", {"db": "esxi-02", "app": "esxi-03"}, REFUSE, "esx1", "split over several hosts"),
    ("esx1", {"db": "esxi-09", "app": "esxi-09"}, REFUSE, "esx1", "run on esxi-09, not a node of erp"),
    ("esx1", {}, STAY, "esx1", "no VM of erp runs: a failure, not a move"),
    (None, {"db": "esxi-02"}, STAY, None, "in service on no node"),
])
def test_decide(owner, running, decision, new_owner, words):
    found = decide("erp", MEMBERS, owner, running)
    assert (found["decision"], found["owner"]) == (decision, new_owner), found
    assert words in found["reason"]


def test_from_what_a_playbook_observed():
    hierarchy = {"name": "erp", "nodes": [{"node": "esx1", "priority": 1}, {"node": "esx2", "priority": 2}]}
    nodes = {"esx1": {"mode": "host", "esxi": "esxi-01"}, "esx2": {"mode": "host", "esxi": "esxi-02"}}
    observed = {"vms": {"db": {"power_state": "poweredOn", "host": "esxi-02"},
                        "app": {"power_state": "poweredOff", "host": "esxi-01"}}}
    assert from_observed(hierarchy, nodes, "esx1", observed)["owner"] == "esx2"
    assert from_observed(hierarchy, nodes, "", observed)["decision"] == STAY
    assert from_observed(hierarchy, nodes, "esx1", {"vms": {}})["decision"] == STAY


def test_a_guest_mode_hierarchy_never_follows():
    hierarchy = {"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}]}
    nodes = {"node1": {"mode": "guest", "vm": {"uuid": "u1"}}, "node2": {"mode": "guest", "vm": {"uuid": "u2"}}}
    observed = {"vms": {"node1": {"power_state": "poweredOn", "host": "esxi-01"},
                        "node2": {"power_state": "poweredOn", "host": "esxi-02"}}}
    found = from_observed(hierarchy, nodes, "node1", observed)
    assert (found["decision"], found["owner"]) == (STAY, "node1") and "not a host mode hierarchy" in found["reason"]


def test_a_follow_comes_with_its_plan_without_steps():
    """vigil.ha.adopt runs the move through run_plan.yml: a plan from vCenter's generation to the next."""
    found = with_plan(decide("erp", MEMBERS, "esx1", {"db": "esxi-02"}), "4")
    assert found["plan"] == {"action": "adopt", "steps": [], "commit_at": 0, "owner": "esx2",
                             "generation_before": 4, "generation": 5, "reason": found["reason"]}
    assert "plan" not in with_plan(decide("erp", MEMBERS, "esx1", {"db": "esxi-01"}), 4)
    assert "plan" not in with_plan(decide("erp", MEMBERS, "esx1", {"db": "esxi-02"}), None)
