# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""start, switchover, failover and stop of the lab's hierarchy `web`, run as
an operator runs them: ansible-playbook vigil.ha.<name> with the cluster
inventory. What is asserted is what a user checks: who answers on the
virtual IP, the generation, and what the run said."""
from __future__ import annotations

import json
import os

import pytest
from cluster_runs import LAB, kill_app, playbook, until, vip_answer, vm_power, where

pytestmark = pytest.mark.usefixtures("bare_nodes_after")


def test_switchover_there_and_back(web):
    rc, out = playbook("switchover", "-e", "target=node2")
    assert rc == 0, out
    assert where(out) == ("node2", web + 1)
    assert vip_answer() == "node2"
    rc, out = playbook("switchover", "-e", "target=node1")
    assert rc == 0, out
    assert where(out) == ("node1", web + 2)
    assert vip_answer() == "node1"


def test_check_mode_prints_the_plan_and_changes_nothing(web):
    rc, out = playbook("switchover", "-e", "target=node2", "--check")
    assert rc == 0, out
    assert "1. node1: stop web-app (service) [gen %d]" % (web + 1) in out
    assert "4. node2: start web-app (service) [gen %d]" % (web + 1) in out
    assert vip_answer() == "node1"
    rc, out = playbook("start", "--check")
    assert "nothing to do" in out and vip_answer() == "node1"
    rc, out = playbook("failover", "-e", "failed_node=node1", "--check")
    assert rc == 0 and "3. node2: start web-vip (ip) [gen %d]" % (web + 1) in out, out
    rc, out = playbook("recover", "-e", "resource=web-app", "--check")
    assert rc == 0 and "recover: nothing to do: web-app is in service on node1" in out, out
    rc, out = playbook("stop", "--check")
    assert rc == 0 and "node1: stop web-vip (ip)" in out, out
    assert vip_answer() == "node1"
    assert "Hierarchy web: in service on node1, generation %d" % web in playbook("status")[1]


def test_switchover_to_an_unhealthy_target_is_refused(web, control):
    control("vms/node2/crash")
    rc, out = playbook("switchover", "-e", "target=node2")
    assert rc != 0
    assert "switchover of web refused (target_unhealthy)" in out and "nothing was changed" in out
    assert vip_answer() == "node1"


def test_failover_after_a_vm_crash_fences_and_moves_once(web, control):
    control("vms/node1/crash")
    assert until(lambda: vip_answer() is None, 5)  # node1 is off the network
    rc, out = playbook("failover", "-e", "expected_generation=%d" % web)
    assert rc == 0, out
    assert "controller: fence node1" in out and "already off" in out
    assert where(out) == ("node2", web + 1)
    assert vip_answer() == "node2"
    # The same event again (its generation is now stale) changes nothing.
    rc, out = playbook("failover", "-e", "expected_generation=%d" % web)
    assert rc != 0 and "refused (stale)" in out
    assert vip_answer() == "node2"


def test_no_vcenter_no_failover(web, control):
    control("vms/node1/crash")
    control("vcenter/stop")
    rc, out = playbook("failover")
    assert rc != 0
    assert "refused (operator_needed)" in out
    assert vip_answer() is None  # nothing was started elsewhere


def test_status_shows_owner_generation_and_states(web, tmp_path):
    path = tmp_path / "status.json"
    rc, out = playbook("status", "-e", "status_json=%s" % path)
    assert rc == 0, out
    assert "Hierarchy web: in service on node1, generation %d" % web in out
    status = json.loads(path.read_text())["hierarchies"][0]
    assert (status["owner"], status["generation"]) == ("node1", web)
    states = dict((r["name"], r["states"]) for r in status["resources"])
    assert states["web-app"] == {"node1": "in_service", "node2": "out_of_service"}
    assert "owner" in status["last_transition"]["message"]


def test_fence_needs_the_name_twice_then_powers_off_and_verifies(lab, control):
    try:
        rc, out = playbook("fence", "-e", "node=node3")
        assert rc != 0 and "Nothing was done" in out
        assert vm_power(lab, "node3") == "poweredOn"
        rc, out = playbook("fence", "-e", "node=node3", "-e", "confirm=node3", "--check")
        assert rc == 0 and "would power off" in out, out
        assert vm_power(lab, "node3") == "poweredOn"
        rc, out = playbook("fence", "-e", "node=node3", "-e", "confirm=node3")
        assert rc == 0, out
        assert vm_power(lab, "node3") == "poweredOff"
        rc, out = playbook("fence", "-e", "node=node3", "-e", "confirm=node3")
        assert rc == 0 and "already" in out  # an already-off VM counts as fenced
    finally:
        control("vms/node3/poweron")


def test_a_start_failing_on_the_target_rolls_back(web, lab):
    # node2 cannot run the application: its data directory is a file.
    blocker = os.path.join(LAB, "..", "nodes", "node2", "data", "web")
    moved = None
    if os.path.isdir(blocker):
        moved = blocker + ".moved"
        os.rename(blocker, moved)
    with open(blocker, "w") as f:
        f.write("not a directory\n")
    try:
        rc, out = playbook("switchover", "-e", "target=node2")
        assert rc != 0
        assert "switchover of web to node2 failed" in out and "rolled back to node1" in out, out
        assert until(lambda: vip_answer() == "node1")
    finally:
        os.remove(blocker)
        if moved:
            os.rename(moved, blocker)


def test_local_recovery_within_its_budget_then_escalation(web):
    for attempt in (1, 2):  # the lab's policy allows 2 local recoveries in 300 s
        kill_app("node1")
        rc, out = playbook("recover", "-e", "resource=web-app")
        assert rc == 0, out
        assert "node1: recover web-app (service)" in out
        assert where(out) == ("node1", web)  # in place: no new generation
        assert until(lambda: vip_answer() == "node1")
    kill_app("node1")
    rc, out = playbook("recover", "-e", "resource=web-app")
    assert rc != 0 and "refused (recovery_budget_exhausted)" in out, out
    assert vip_answer() is None
