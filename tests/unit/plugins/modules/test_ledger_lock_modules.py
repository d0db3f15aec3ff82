# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha.ledger and vigil.ha.hierarchy_lock: arguments in, files and results out."""
from __future__ import annotations

import json
import os

from ansible_collections.vigil.ha.plugins.modules import hierarchy_lock, ledger
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module

SECRET = "s3cret-canary"


def test_ledger_appends_redacted_line(capsys, tmp_path):
    path = str(tmp_path / "ledger.jsonl")
    args = dict(path=path, hierarchy="app1", action="failover", decision="skip_stale", generation=4,
                inputs={"vcenter_password": SECRET, "event": {"node": "node1", "token": SECRET},
                        "cmd": "login -p " + SECRET},
                result={"stale": True}, reason="duplicate", redact_values=[SECRET])
    rc, out = run_module(capsys, ledger.main, args)
    assert rc == 0 and out["changed"] and out["path"] == path
    text = open(path).read()
    assert SECRET not in text and SECRET not in json.dumps(out)
    line = json.loads(text)
    assert line["decision"] == "skip_stale" and line["generation"] == 4 and line["inputs"]["event"]["node"] == "node1"
    assert line["inputs"]["vcenter_password"] == "<redacted>"
    assert out["record"] == line


def test_ledger_check_mode_writes_nothing(capsys, tmp_path):
    path = str(tmp_path / "ledger.jsonl")
    rc, out = run_module(capsys, ledger.main, dict(path=path, hierarchy="a", action="x", decision="none",
                                                   _ansible_check_mode=True))
    assert rc == 0 and out["record"]["decision"] == "none" and not os.path.exists(path)


def test_ledger_path_from_environment_and_empty_field(capsys, tmp_path, monkeypatch):
    path = str(tmp_path / "env.jsonl")
    monkeypatch.setenv("VIGIL_HA_LEDGER", path)
    rc, out = run_module(capsys, ledger.main, dict(hierarchy="a", action=" ", decision="none"))
    assert rc == 1 and out["field"] == "action" and not os.path.exists(path)
    rc, out = run_module(capsys, ledger.main, dict(hierarchy="a", action="x", decision="none"))
    assert rc == 0 and out["path"] == path and os.path.exists(path)


def test_lock_acquire_contend_release(capsys, tmp_path):
    base = dict(hierarchy="app1", state_dir=str(tmp_path))
    rc, first = run_module(capsys, hierarchy_lock.main, dict(base, owner="run-a", _ansible_diff=True))
    assert rc == 0 and first["acquired"] and first["token"] and first["diff"]["before"]["holder"] is None
    rc, second = run_module(capsys, hierarchy_lock.main, dict(base, owner="run-b", wait=1))
    assert rc == 1 and second["acquired"] is False and second["holder"]["owner"] == "run-a"
    assert "locked by run-a" in second["msg"]
    rc, wrong = run_module(capsys, hierarchy_lock.main, dict(base, state="released", token="nope"))
    assert rc == 1 and wrong["released"] is False
    rc, released = run_module(capsys, hierarchy_lock.main, dict(base, state="released", token=first["token"]))
    assert rc == 0 and released["changed"] and released["released"]
    rc, again = run_module(capsys, hierarchy_lock.main, dict(base, state="released", token=first["token"]))
    assert rc == 0 and again["changed"] is False


def test_lock_bad_input(capsys, tmp_path):
    rc, out = run_module(capsys, hierarchy_lock.main, dict(hierarchy="a/b", state_dir=str(tmp_path)))
    assert rc == 1 and out["field"] == "hierarchy"
    rc, out = run_module(capsys, hierarchy_lock.main, dict(hierarchy="a", ttl=0, state_dir=str(tmp_path)))
    assert rc == 1 and out["field"] == "ttl" and os.listdir(str(tmp_path)) == []
