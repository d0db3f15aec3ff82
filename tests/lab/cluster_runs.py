# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the collection's playbooks against the lab's cluster as an
operator runs them (ansible-playbook vigil.ha.<name> with the cluster
inventory), and reading what a user reads: the run's output, who answers
on the virtual IP, a VM's power."""
from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, ".lab", "default")
# Each test module keeps its own ledger and locks (budgets count from the
# ledger); conftest's fixture names the directory in VIGIL_LAB_TEST_STATE.
STATE_DIR = os.path.join(LAB, "orchestration-state-%d" % os.getpid())


@functools.lru_cache(maxsize=None)
def vip_url():
    # Read when first asked, not on import: the chaos unit tests import this without a lab.
    with open(os.path.join(LAB, "vcenter.json"), encoding="utf-8") as f:
        return "http://%s:8080/" % json.load(f)["lab_vip"].split("/")[0]


def state_dir():
    return os.environ.get("VIGIL_LAB_TEST_STATE", STATE_DIR)


def ledger_lines():
    path = os.path.join(state_dir(), "ledger.jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def playbook(name, *extra, inventory=None, hierarchy="web"):
    cmd = [os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "vigil.ha." + name,
           "-i", inventory or os.path.join(LAB, "cluster.yml"), "-e", "@" + os.path.join(LAB, "vcenter.json"),
           "-e", "hierarchy=" + hierarchy] + list(extra)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               VIGIL_HA_STATE_DIR=state_dir(), VIGIL_HA_LEDGER=os.path.join(state_dir(), "ledger.jsonl"))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).replace("''", "'").split())


def where(out, hierarchy="web"):
    found = re.findall(r"%s is in service on (\S+) \(generation (\d+)\)" % hierarchy, out)
    assert found, out
    return found[-1][0], int(found[-1][1])


def vip_answer():
    try:
        with urllib.request.urlopen(vip_url(), timeout=3) as resp:
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


def vm_power(lab, name):
    with urllib.request.urlopen("%s/vms?name=%s" % (lab["lab_control_url"], name), timeout=10) as resp:
        return json.load(resp)[0]["power_state"]


def kill_app(node):
    run = os.path.join(LAB, "..", "nodes", node, "run", "web-app.pid")
    with open(run) as f:
        pid = int(f.read())
    os.kill(pid, 9)
    assert until(lambda: vip_answer() is None, 5)
