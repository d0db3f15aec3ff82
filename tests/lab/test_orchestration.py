# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""start, switchover, failover and stop of the lab's hierarchy `web`, run as
an operator runs them: ansible-playbook vigil.ha.<name> with the cluster
inventory. What is asserted is what a user checks: who answers on the
virtual IP, the generation, and what the run said."""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, ".lab", "default")
with open(os.path.join(LAB, "vcenter.json"), encoding="utf-8") as _f:
    VIP_URL = "http://%s:8080/" % json.load(_f)["lab_vip"].split("/")[0]
# Each run of this module keeps its own ledger and locks (budgets count from the ledger).
STATE_DIR = os.path.join(LAB, "orchestration-state-%d" % os.getpid())


def playbook(name, *extra):
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "vigil.ha." + name,
           "-i", os.path.join(LAB, "cluster.yml"), "-e", "@" + os.path.join(LAB, "vcenter.json"),
           "-e", "hierarchy=web"] + list(extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               VIGIL_HA_STATE_DIR=STATE_DIR, VIGIL_HA_LEDGER=os.path.join(STATE_DIR, "ledger.jsonl"))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).replace("''", "'").split())


def where(out):
    found = re.findall(r"web is in service on (\S+) \(generation (\d+)\)", out)
    assert found, out
    return found[-1][0], int(found[-1][1])


def vip_answer():
    try:
        with urllib.request.urlopen(VIP_URL, timeout=3) as resp:
            return resp.read().decode().strip()
    except OSError:
        return None


def until(predicate, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


@pytest.fixture(scope="module", autouse=True)
def leave_nothing_running(lab):
    """The lab's nodes serve nothing after these tests (other lab tests expect bare nodes)."""
    yield
    for node in ("node1", "node2"):
        req = urllib.request.Request("%s/vms/%s/poweron" % (lab["lab_control_url"], node), data=b"", method="POST")
        urllib.request.urlopen(req, timeout=10).close()
    req = urllib.request.Request(lab["lab_control_url"] + "/vcenter/start", data=b"", method="POST")
    urllib.request.urlopen(req, timeout=10).close()
    rc, out = playbook("stop")
    assert rc == 0, out


@pytest.fixture
def web(control):
    """`web` in service on node1, every VM on; all of it put back afterwards."""
    for node in ("node1", "node2"):
        control("vms/%s/poweron" % node)
    control("vcenter/start")
    rc, out = playbook("start", "-e", "target=node1")
    if rc != 0 or where(out)[0] != "node1":
        rc, out = playbook("switchover", "-e", "target=node1")
    assert rc == 0, out
    assert until(lambda: vip_answer() == "node1")
    yield where(out)[1]
    control("vcenter/start")
    for node in ("node1", "node2"):
        control("vms/%s/poweron" % node)


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


def vm_power(lab, name):
    with urllib.request.urlopen("%s/vms?name=%s" % (lab["lab_control_url"], name), timeout=10) as resp:
        return json.load(resp)[0]["power_state"]


def test_fence_needs_the_name_twice_then_powers_off_and_verifies(lab, control):
    try:
        rc, out = playbook("fence", "-e", "node=node3")
        assert rc != 0 and "Nothing was done" in out
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


def kill_app(node):
    run = os.path.join(LAB, "..", "nodes", node, "run", "web-app.pid")
    with open(run) as f:
        pid = int(f.read())
    os.kill(pid, 9)
    assert until(lambda: vip_answer() is None, 5)


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
