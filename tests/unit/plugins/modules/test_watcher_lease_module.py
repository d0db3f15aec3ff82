# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha.watcher_lease with fake custom attributes: acquire, busy, require, release, check mode, bad input."""
from __future__ import annotations

import json

import pytest

from ansible_collections.vigil.ha.plugins.modules import watcher_lease
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import CONN, fake_root_annotations


@pytest.fixture
def vc(monkeypatch):
    return fake_root_annotations(monkeypatch, watcher_lease)


def run(capsys, **args):
    return run_module(capsys, watcher_lease.main, dict(CONN, cluster="prod", **args))


def test_acquire_busy_require_release(capsys, vc):
    rc, out = run(capsys, action="acquire", holder="ctl1", _ansible_diff=True)
    assert rc == 0 and out["changed"] and (out["holder"], out["epoch"], out["held"]) == ("ctl1", 1, True)
    assert out["event"] == "vigil.ha watcher lease prod: ctl1 acquired it (epoch 1)"
    assert out["diff"]["before"]["epoch"] == 0 and out["diff"]["after"]["holder"] == "ctl1"
    assert "s3cret-canary" not in json.dumps(out)
    rc, out = run(capsys, action="acquire", holder="ctl2")
    assert rc == 1 and out["error"] == "lease_busy" and out["holder"] == "ctl1" and "held by ctl1" in out["msg"]
    rc, out = run(capsys, action="require", epoch=1)
    assert rc == 0 and not out["changed"] and out["holder"] == "ctl1"
    rc, out = run(capsys, action="release", holder="ctl1", epoch=1)
    assert rc == 0 and out["changed"] and out["epoch"] == 2 and out["holder"] is None
    rc, out = run(capsys, action="require", epoch=1)
    assert rc == 1 and out["error"] == "stale_lease" and out["field"] == "epoch" and out["epoch"] == 2


def test_check_mode_writes_nothing(capsys, vc):
    rc, out = run(capsys, action="acquire", holder="ctl1", _ansible_check_mode=True)
    assert rc == 0 and out["changed"] and out["epoch"] == 1
    assert [c[0] for c in vc.calls] == ["read"]


@pytest.mark.parametrize("args, field", [
    ({"action": "acquire", "holder": "bad holder"}, "holder"),
    ({"action": "acquire", "holder": "ctl1", "ttl": 0}, "ttl"),
    ({"action": "require", "epoch": 0}, "epoch"),
    ({"cluster": "a.b"}, "cluster"),
])
def test_bad_input_names_the_field_and_reaches_no_vcenter(capsys, vc, args, field):
    base = dict(CONN, cluster="prod")
    base.update(args)
    rc, out = run_module(capsys, watcher_lease.main, base)
    assert rc == 1 and out["field"] == field and vc.calls == []
