# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The safety rules, tried in the lab: a stop that fails on the old node
gets that node fenced before the new one starts; a target whose kit is not
ready is refused; a node that must be fenced and cannot be gets an operator
event in vCenter and nothing starts; two runs at once cannot both act.

The lab's `web` gets a third resource here, `web-guard`, a script resource
on top of web-app whose stop can be made to fail on a node (as an
application's stop script does when it hangs or errors)."""
from __future__ import annotations

import json
import os
import re
import stat
import threading

import pytest
import yaml
from cluster_runs import LAB, ledger_lines, playbook, vip_answer, vm_power, where
from lab.control import Control

pytestmark = pytest.mark.usefixtures("bare_nodes_after")

NODES = os.path.join(LAB, "..", "nodes")
SCRIPTS = {
    "check": '[ -e "$VIGIL_LAB_NODE_RUN/guard.up" ] && exit 0; exit 1\n',
    "start": 'mkdir -p "$VIGIL_LAB_NODE_RUN" && touch "$VIGIL_LAB_NODE_RUN/guard.up"\n',
    "stop": ('if [ -e "$VIGIL_LAB_NODE_DIR/guard.stop-fails" ]; then echo "guard: will not stop" >&2; exit 1; fi\n'
             'rm -f "$VIGIL_LAB_NODE_RUN/guard.up"\n'),
}


def guard_dir(node):
    return os.path.join(NODES, node, "data", "guard")


def install_guard(node):
    os.makedirs(guard_dir(node), exist_ok=True)
    for name, body in SCRIPTS.items():
        path = os.path.join(guard_dir(node), name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, stat.S_IRWXU)


def fail_stop_on(node, failing=True):
    marker = os.path.join(NODES, node, "data", "guard.stop-fails")
    if failing:
        open(marker, "w").close()
    elif os.path.exists(marker):
        os.remove(marker)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    """The lab's cluster with web-guard on top of web-app."""
    with open(os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
        cluster = yaml.safe_load(f)
    web = cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]
    web["policy"]["failover"]["max"] = 1  # one automatic failover per window: a rollback must not use it up
    web["resources"].append({"name": "web-guard", "kind": "script", "depends_on": ["web-app"], "params": {
        "quick_check": "${VIGIL_LAB_NODE_DIR}/guard/check", "restore": "${VIGIL_LAB_NODE_DIR}/guard/start",
        "remove": "${VIGIL_LAB_NODE_DIR}/guard/stop", "timeout": 10}})
    path = tmp_path_factory.mktemp("guarded") / "cluster.json"
    path.write_text(json.dumps(cluster))
    return str(path)


@pytest.fixture
def guarded(web, inventory):
    """`web` with its guard in service on node1; stops succeed again afterwards."""
    for node in ("node1", "node2"):
        install_guard(node)
        fail_stop_on(node, False)
    rc, out = playbook("switchover", "-e", "target=node1", inventory=inventory)
    if rc != 0:  # already on node1: start the guard there
        rc, out = playbook("start", inventory=inventory)
    assert rc == 0, out
    yield where(out)[1]
    for node in ("node1", "node2"):
        fail_stop_on(node, False)
        install_guard(node)


def test_a_stop_failing_on_the_old_node_fences_it_before_the_target_starts(guarded, lab, inventory, control):
    fail_stop_on("node1")
    rc, out = playbook("switchover", "-e", "target=node2", inventory=inventory)
    assert "stop failed on node1: it was fenced and web started on node2" in out, out
    assert rc == 0, out
    assert vm_power(lab, "node1") == "poweredOff"
    assert vip_answer() == "node2"
    # In the run, the fence of node1 came before the first start on node2.
    fence = re.search(r"TASK \[Step \d+: fence node1\] \**\s*changed", out)
    start = re.search(r"TASK \[Step \d+: start web-vip on node2\] \**\s*changed", out)
    assert fence and start and fence.start() < start.start(), out
    fenced = [e for e in ledger_lines() if e["action"] == "failover" and e["decision"] == "act"]
    kits = [step["kit"] for step in fenced[-1]["result"]["steps"]] if fenced else []
    assert "fence" in kits and kits.index("fence") < [s["action"] for s in fenced[-1]["result"]["steps"]].index("start")
    # That failover was the way out of an operator's switchover, not an
    # automatic failover: with policy.failover.max 1, a failover of web is
    # still allowed (planned under --check, nothing moves).
    control("vms/node1/poweron")
    rc, out = playbook("failover", "--check", "-e", "failed_node=node2", inventory=inventory)
    assert "failover_budget_exhausted" not in out, out
    assert rc == 0 and "failover from node2 to node1" in out, out
    assert fenced[-1]["inputs"]["cause"] == "rollback", fenced[-1]["inputs"]  # why it was not counted


def test_a_target_whose_kit_is_not_ready_is_refused(guarded, inventory):
    os.remove(os.path.join(guard_dir("node2"), "stop"))
    rc, out = playbook("switchover", "-e", "target=node2", inventory=inventory)
    assert rc != 0
    assert "switchover of web refused (target_unhealthy)" in out and "nothing was changed" in out, out
    assert "node2 web-guard failed: cannot start here: %s is not an executable file" % os.path.join(
        os.path.realpath(guard_dir("node2")), "stop") in out or "guard/stop is not an executable file" in out, out
    assert vip_answer() == "node1"


def host_of(lab, vm):
    return Control(lab["lab_control_url"]).vm(vm)["host"]


def test_a_node_that_cannot_be_fenced_gets_an_operator_event_and_nothing_starts(web, lab, control):
    # node1's ESXi host stops responding: node1 may still be serving, and
    # vCenter cannot power it off. No confirmed fence, no start elsewhere.
    control("hosts/%s/fail" % host_of(lab, "node1"))
    seen = len(ledger_lines())
    rc, out = playbook("failover", "-e", "failed_node=node1", "-e", "expected_generation=%d" % web)
    assert rc != 0
    assert "fence node1" in out and "OPERATOR NEEDED" in out, out
    assert vip_answer() == "node1"  # nothing started on node2
    # vCenter still names node1 at the same generation, and its event log,
    # which status shows as the last word, asks for an operator.
    path = os.path.join(LAB, "status-safety.json")
    rc, out = playbook("status", "-e", "status_json=%s" % path)
    with open(path, encoding="utf-8") as f:
        status = json.load(f)["hierarchies"][0]
    assert (status["owner"], status["generation"]) == ("node1", web), status
    assert "OPERATOR NEEDED" in status["last_transition"]["message"], status
    decisions = [e["decision"] for e in ledger_lines()[seen:] if e["action"] == "failover"]
    assert decisions == ["act"], decisions  # it acted (the fence), and never got to done


def test_two_runs_at_once_cannot_both_act(web):
    results = []

    def switchover():
        results.append(playbook("switchover", "-e", "target=node2", "-e", "expected_generation=%d" % web))
    threads = [threading.Thread(target=switchover) for dummy in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(rc != 0 for rc, out in results) == [False, True], results
    loser = [out for rc, out in results if rc != 0][0]
    assert "refused (stale)" in loser or "is locked" in loser, loser
    rc, out = playbook("status")
    assert "in service on node2, generation %d" % (web + 1) in out, out
    assert vip_answer() == "node2"
