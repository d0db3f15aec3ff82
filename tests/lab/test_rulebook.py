# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rulebook vigil.ha.auto_failover in the real ansible-rulebook (Java 17),
with the event source vigil.ha.health, against the lab's hierarchy `web`.

What is asserted is what a user checks: who answers on the virtual IP, the
decisions in the ledger (one line per recovery, failover, refusal), the fence
steps of the failover that acted, and what the rulebook printed."""
from __future__ import annotations

import time

import pytest

from cluster_runs import kill_app, until, vip_answer
from lab.control import Control

pytestmark = pytest.mark.usefixtures("bare_nodes_after")


def fences(records):
    return [s for r in records for s in (r.get("result") or {}).get("steps") or [] if s.get("kit") == "fence"]


def test_a_service_crash_is_recovered_in_place_once(web, rulebooks):
    rulebook = rulebooks()
    kill_app("node1")
    assert until(lambda: vip_answer() == "node1", 90), rulebook.output()[-6000:]
    time.sleep(15)  # later checks of the recovered service must not recover it again
    assert len(rulebook.ledger("recover", "act")) == 1, rulebook.ledger()
    assert rulebook.ledger("recover", "done")[0]["reason"] == "in service on node1"
    assert rulebook.ledger("failover") == []
    assert vip_answer() == "node1"


def test_a_vm_crash_fails_over_once_with_one_fence(web, rulebooks, control):
    rulebook = rulebooks()
    control("vms/node1/crash")
    assert until(lambda: vip_answer() == "node2", 120), rulebook.output()[-6000:]
    time.sleep(15)
    acts = rulebook.ledger("failover", "act")
    assert len(acts) == 1, rulebook.ledger()
    assert acts[0]["generation"] == web + 1
    assert [f["node"] for f in fences(acts)] == ["node1"]
    assert rulebook.ledger("recover", "act") == []
    assert rulebook.output().count("PLAY [Failover a hierarchy]") == 1  # one run, no refused second one


def test_the_same_crash_seen_by_two_rulebooks_fails_over_once(web, rulebooks, control, tmp_path):
    # Two controllers watching one cluster each see the crash: the lock and
    # the generation in vCenter let exactly one of them act.
    shared = tmp_path / "shared-state"
    first, second = rulebooks(state_dir=shared), rulebooks(state_dir=shared)
    control("vms/node1/crash")
    assert until(lambda: vip_answer() == "node2", 120), first.output()[-6000:]
    first.wait_for("PLAY RECAP", 120)
    second.wait_for("PLAY RECAP", 120)
    time.sleep(10)
    acts = first.ledger("failover", "act")
    assert len(acts) == 1, first.ledger()
    assert len(fences(acts)) == 1
    assert vip_answer() == "node2"


def test_in_maintenance_nothing_is_done(web, rulebooks):
    rulebook = rulebooks(maintenance=True)
    kill_app("node1")
    rulebook.wait_for("vigil.ha: no action for resource web-app failed (hierarchy web)", 60)
    # The decision not to act is a ledger line with its reason (issue 16 #9).
    assert until(lambda: rulebook.ledger("recover", "refused: maintenance"), 60), rulebook.output()[-6000:]
    time.sleep(10)
    assert [(r["action"], r["decision"]) for r in rulebook.ledger()] == [("recover", "refused: maintenance")]
    assert rulebook.ledger()[0]["reason"] == "hierarchy web is in maintenance (inventory)"
    assert vip_answer() is None  # nobody restarted it


def test_no_fencing_possible_means_an_operator_event_and_nothing_else(web, rulebooks, control, lab):
    rulebook = rulebooks()
    host = Control(lab["lab_control_url"]).vm("node1")["host"]
    control("hosts/%s/fail" % host)
    try:
        rulebook.wait_for("vigil.ha: OPERATOR NEEDED for hierarchy web on node node1", 60)
        assert until(lambda: rulebook.ledger("failover", "wait_for_operator"), 30), rulebook.output()[-6000:]
        time.sleep(5)
        assert rulebook.ledger("failover", "act") == []
        assert vip_answer() == "node1"  # nothing was moved
    finally:
        control("hosts/%s/recover" % host)


def test_events_resume_after_the_simulator_restarts(web, rulebooks, control):
    rulebook = rulebooks()
    control("vcenter/stop")
    rulebook.wait_for("'from': 'connected', 'to': 'disconnected'", 30)
    time.sleep(3)
    control("vcenter/start")
    rulebook.wait_for("vigil.ha.health: watching", 60, count=2)
    control("vms/node1/crash")
    assert until(lambda: vip_answer() == "node2", 120), rulebook.output()[-6000:]
    time.sleep(5)
    assert len(rulebook.ledger("failover", "act")) == 1, rulebook.ledger()
