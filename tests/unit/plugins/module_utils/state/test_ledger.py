# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision ledger: one redacted JSON line per decision, appended under flock and fsync'd."""
from __future__ import annotations

import json
import multiprocessing
import os
import stat

from ansible_collections.vigil.ha.plugins.module_utils.state import ledger

SECRET = "s3cret-canary"


def test_redacts_credential_keys_at_any_depth_and_known_values():
    value = {
        "vcenter_password": SECRET, "password": SECRET, "PWD": SECRET, "api_key": SECRET, "token": SECRET,
        "vault_db": SECRET, "ssh_pass": SECRET,
        "nested": [{"db": {"secret": SECRET, "user": "app"}}, "cmd -p" + SECRET],
        "node": "node1", "key": 3, "passes": 2,
    }
    out = ledger.redact(value, secrets=[SECRET])
    assert SECRET not in json.dumps(out)
    assert out["node"] == "node1" and out["key"] == 3 and out["passes"] == 2
    assert out["vcenter_password"] == ledger.REDACTED and out["nested"][0]["db"]["user"] == "app"
    assert out["nested"][1] == "cmd -p" + ledger.REDACTED


def test_record_has_the_decision_fields():
    line = ledger.record("app1", "failover", "skip_stale", inputs={"expected": 4}, generation=5,
                         result={"stale": True}, reason="duplicate event", clock=lambda: "T")
    assert line["time"] == "T" and line["hierarchy"] == "app1" and line["decision"] == "skip_stale"
    assert line["inputs"] == {"expected": 4} and line["generation"] == 5 and line["result"] == {"stale": True}
    assert line["reason"] == "duplicate event" and line["controller"]["pid"] == os.getpid()
    assert "watcher" not in line["controller"]  # a run started by hand
    assert ledger.record("app1", "failover", "act", watcher="w2")["controller"]["watcher"] == "w2"


def test_append_writes_one_line_private_and_fsyncd(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(ledger.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    path = str(tmp_path / "state" / "ledger.jsonl")
    ledger.append(path, ledger.record("app1", "fence", "act", inputs={"password": SECRET}))
    ledger.append(path, ledger.record("app1", "fence", "none"))
    lines = open(path).read().splitlines()
    assert len(lines) == 2 and SECRET not in "".join(lines)
    assert [json.loads(x)["decision"] for x in lines] == ["act", "none"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert len(synced) >= 3  # each line, and the directory when the file was created
    assert [x["decision"] for x in ledger.read(path, "app1")] == ["act", "none"]
    assert ledger.read(path, "other") == []


def _writer(path, n):
    for i in range(n):
        ledger.append(path, ledger.record("app1", "check", "none", inputs={"i": i, "pad": "x" * 5000}))


def test_concurrent_appends_never_interleave(tmp_path):
    path = str(tmp_path / "ledger.jsonl")
    procs = [multiprocessing.Process(target=_writer, args=(path, 25)) for dummy in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    lines = open(path).read().splitlines()
    assert len(lines) == 100
    assert all(json.loads(x)["hierarchy"] == "app1" for x in lines)
