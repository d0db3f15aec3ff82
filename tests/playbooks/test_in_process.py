# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan, validate_cluster, ledger and hierarchy_lock, and the vCenter modules
of a failover (hierarchy_state, vm_health_info, fence, fence_node,
watcher_lease), run inside ansible-playbook on the controller (their action
plugins), and as modules elsewhere: the same results, errors, check mode and
redaction either way (the lab's tests run them against vCenter). ``become`` (su, as
root) makes a task leave the controller's process and run the module."""
from __future__ import annotations

import json
import os
import re
import subprocess

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODES = {"node1": {"mode": "guest", "vm": {"moref": "vm-1"}}, "node2": {"mode": "guest", "vm": {"moref": "vm-2"}}}
HIERARCHIES = [{"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}],
                "resources": [{"name": "vip", "kind": "ip", "params": {"address": "10.99.0.100/24", "interface": "eth0"}}]}]

IN_PROCESS = ("plan", "validate_cluster", "ledger", "hierarchy_lock",
              "hierarchy_state", "vm_health_info", "fence", "fence_node", "watcher_lease")
# Nothing listens on port 1: a connection refused, before any login.
NO_VCENTER = {"hostname": "127.0.0.1", "port": 1, "username": "u", "password": "s3cret-canary", "timeout": 5}


def play(tmp_path, tasks, *args):
    """Run ``tasks`` on localhost, each twice (in-process, then as a module
    under become); return the results by task name as JSON."""
    both = []
    for task in tasks:
        both.append(dict(task, name=task["name"] + " here", register="here", ignore_errors=True))
        both.append(dict(task, name=task["name"] + " module", register="module", ignore_errors=True,
                         become=True, become_method="ansible.builtin.su", become_user="root"))
        both.append({"name": "Keep " + task["name"], "ansible.builtin.copy": {
            "content": "{{ {'here': here, 'module': module} | to_json }}", "dest": str(tmp_path / (task["name"] + ".json"))},
            "check_mode": False})
    book = tmp_path / "play.yml"
    book.write_text(yaml.safe_dump([{"name": "In process", "hosts": "localhost", "gather_facts": False,
                                     "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                                     "tasks": both}]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               VIGIL_HA_STATE_DIR=str(tmp_path / "state"))
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-vvv", str(book)] + list(args),
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Only the module runs build a module: the others ran in ansible-playbook.
    shipped = re.findall(r"Using module file \S+/plugins/modules/(%s)\.py" % "|".join(IN_PROCESS), proc.stdout)
    # A task with an environment runs the module both times: the environment is its process's.
    assert len(shipped) == len(tasks) + sum(1 for t in tasks if "environment" in t), shipped
    return dict((t["name"], json.loads((tmp_path / (t["name"] + ".json")).read_text())) for t in tasks)


def same(pair, *keys):
    here, module = pair["here"], pair["module"]
    for key in keys:
        assert here.get(key) == module.get(key), (key, here, module)
    return here


def test_results_and_errors_are_the_module_s(tmp_path):
    ledger = str(tmp_path / "ledger.jsonl")
    out = play(tmp_path, [
        {"name": "plan", "vigil.ha.plan": {"nodes": NODES, "hierarchies": HIERARCHIES, "hierarchy": "web",
                                           "action": "start", "states": {"node1": {"vip": "out_of_service"}}}},
        {"name": "bad action", "vigil.ha.plan": {"nodes": NODES, "hierarchies": HIERARCHIES, "hierarchy": "web",
                                                 "action": "jump"}},
        {"name": "unknown hierarchy", "vigil.ha.plan": {"nodes": NODES, "hierarchies": HIERARCHIES,
                                                        "hierarchy": "db", "action": "start"}},
        {"name": "validate", "vigil.ha.validate_cluster": {"nodes": NODES, "hierarchies": HIERARCHIES}},
        {"name": "invalid", "vigil.ha.validate_cluster": {"nodes": NODES, "hierarchies": [dict(HIERARCHIES[0], nodes=[])]}},
        {"name": "ledger", "vigil.ha.ledger": {"hierarchy": "web", "action": "start", "decision": "act", "path": ledger,
                                               "inputs": {"note": "s3cret-canary"}, "redact_values": ["s3cret-canary"]}},
        {"name": "lock", "vigil.ha.hierarchy_lock": {"hierarchy": "web", "ttl": 60}},
        {"name": "ledger by environment", "vigil.ha.ledger": {"hierarchy": "web", "action": "stop", "decision": "act"},
         "environment": {"VIGIL_HA_LEDGER": str(tmp_path / "env-ledger.jsonl")}},
    ])
    plan = same(out["plan"], "failed", "plan", "lines")
    assert not plan.get("failed") and plan["plan"]["owner"] == "node1"
    assert [s["action"] for s in plan["plan"]["steps"]] == ["start"]
    bad = same(out["bad action"], "failed", "msg")
    assert bad["failed"] and "action" in bad["msg"] and "jump" in bad["msg"]
    assert "hierarchy: no hierarchy named 'db'" in same(out["unknown hierarchy"], "failed", "msg")["msg"]
    assert same(out["validate"], "failed", "nodes", "hierarchies", "start_order")["start_order"] == {"web": ["vip"]}
    invalid = same(out["invalid"], "failed", "msg", "errors")
    assert invalid["failed"] and "cluster configuration refused" in invalid["msg"]
    assert same(out["ledger"], "failed", "changed", "path")["changed"]
    assert "s3cret-canary" not in json.dumps(out["ledger"])
    with open(ledger, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    assert len(lines) == 2 and "s3cret-canary" not in json.dumps(lines)
    assert same(out["ledger by environment"], "path")["path"] == str(tmp_path / "env-ledger.jsonl")
    with open(tmp_path / "env-ledger.jsonl", encoding="utf-8") as f:
        assert len(f.readlines()) == 2
    # One run holds the lock; the module run is the same ansible-playbook, so it renews nothing
    # and is refused without the token: the lock names this run's process either way.
    lock = out["lock"]
    assert lock["here"]["acquired"] and lock["module"]["failed"] and "is locked by" in lock["module"]["msg"]
    assert lock["here"]["holder"]["pid"] == lock["module"]["holder"]["pid"]


def test_check_mode_writes_nothing(tmp_path):
    ledger = tmp_path / "ledger.jsonl"
    out = play(tmp_path, [
        {"name": "ledger", "vigil.ha.ledger": {"hierarchy": "web", "action": "start", "decision": "act",
                                               "path": str(ledger)}},
        {"name": "lock", "vigil.ha.hierarchy_lock": {"hierarchy": "web"}},
    ], "--check")
    assert same(out["ledger"], "changed")["changed"] and not ledger.exists()
    assert same(out["lock"], "changed", "acquired")["changed"]
    assert not (tmp_path / "state" / "web.lock").exists()


def test_vcenter_modules_fail_the_same_way(tmp_path):
    out = play(tmp_path, [
        {"name": "state", "vigil.ha.hierarchy_state": dict(NO_VCENTER, hierarchy="web")},
        {"name": "state bad name", "vigil.ha.hierarchy_state": dict(NO_VCENTER, hierarchy="we b")},
        {"name": "state set without owner", "vigil.ha.hierarchy_state": dict(
            NO_VCENTER, hierarchy="web", action="set", generation=2, expected_generation=1)},
        {"name": "health", "vigil.ha.vm_health_info": dict(NO_VCENTER, names=["node1"])},
        {"name": "fence both ids", "vigil.ha.fence": dict(NO_VCENTER, uuid="u-1", moref="vm-1")},
        {"name": "fence", "vigil.ha.fence": dict(NO_VCENTER, moref="vm-1", name="node1")},
        {"name": "fence_node delay", "vigil.ha.fence_node": dict(
            NO_VCENTER, name="node1", delay=3600, levels=[{"method": "vcenter_poweroff"}])},
        {"name": "lease", "vigil.ha.watcher_lease": dict(NO_VCENTER, cluster="c1", action="renew", holder="w1")},
        {"name": "lease get", "vigil.ha.watcher_lease": dict(NO_VCENTER, cluster="c1")},
    ])
    for name, pair in out.items():
        failed = same(pair, "failed", "msg", "error")
        assert failed["failed"], name
        assert "s3cret-canary" not in json.dumps(pair), name
    assert same(out["state"], "stale", "hierarchy")["error"] == "connection"
    assert same(out["state bad name"], "field")["field"] == "hierarchy"
    assert "owner" in out["state set without owner"]["here"]["msg"]
    assert out["health"]["here"]["error"] == "connection"
    assert "mutually exclusive" in out["fence both ids"]["here"]["msg"]
    assert same(out["fence"], "fenced", "name")["fenced"] is False
    assert same(out["fence_node delay"], "field", "fenced", "attempts")["field"] == "delay"
    assert "epoch" in out["lease"]["here"]["msg"]
    assert out["lease get"]["here"]["error"] == "connection"
