# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha.hierarchy_state with fake custom attributes: get, compare-and-set, stale, check mode."""
from __future__ import annotations

import json

import pytest

from ansible_collections.vigil.ha.plugins.modules import hierarchy_state
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import CONN, fake_root_annotations


@pytest.fixture
def vc(monkeypatch):
    return fake_root_annotations(monkeypatch, hierarchy_state)


def run(capsys, **args):
    return run_module(capsys, hierarchy_state.main, dict(CONN, **args))


def setting(owner, generation, expected, **extra):
    return dict(hierarchy="app1", action="set", owner=owner, generation=generation, expected_generation=expected,
                **extra)


def test_get_never_set(capsys, vc):
    rc, out = run(capsys, hierarchy="app1")
    assert rc == 0 and not out["changed"]
    assert (out["owner"], out["generation"], out["stale"], out["pending"]) == (None, 0, False, None)


def test_set_then_get_with_events_and_diff(capsys, vc):
    rc, out = run(capsys, _ansible_diff=True, events=5, **setting("node1", 1, 0, reason="first start"))
    assert rc == 0 and out["changed"] and out["owner"] == "node1" and out["generation"] == 1
    assert out["event"].startswith("vigil.ha hierarchy app1: owner none -> node1")
    assert out["diff"]["before"]["generation"] == 0 and out["diff"]["after"]["owner"] == "node1"
    assert out["events"][0]["message"] == out["event"]
    assert "s3cret-canary" not in json.dumps(out)
    rc, got = run(capsys, hierarchy="app1")
    assert (got["owner"], got["generation"]) == ("node1", 1)


def test_stale_fails_by_default_and_writes_nothing(capsys, vc):
    run(capsys, **setting("node1", 1, 0))
    run(capsys, **setting("node2", 2, 1))
    writes = len(vc.calls)
    rc, out = run(capsys, **setting("node3", 2, 1))
    assert rc == 1 and out["stale"] is True and out["changed"] is False
    assert (out["owner"], out["generation"]) == ("node2", 2)
    assert not [c for c in vc.calls[writes:] if c[0] != "read"]


def test_stale_can_end_quietly(capsys, vc):
    run(capsys, **setting("node1", 1, 0))
    rc, out = run(capsys, fail_on_stale=False, **setting("node2", 5, 4))
    assert rc == 0 and out["stale"] is True and out["changed"] is False and "nothing written" in out["msg"]


def test_repeat_is_unchanged(capsys, vc):
    run(capsys, **setting("node1", 1, 0))
    rc, out = run(capsys, **setting("node1", 1, 0))
    assert rc == 0 and out["changed"] is False and out["stale"] is False


def test_check_mode_writes_nothing(capsys, vc):
    rc, out = run(capsys, _ansible_check_mode=True, **setting("node1", 1, 0))
    assert rc == 0 and out["changed"] and out["generation"] == 1
    assert [c[0] for c in vc.calls] == ["read"]


@pytest.mark.parametrize("args, words", [
    (dict(hierarchy="app 1"), "hierarchy: must be letters"),
    (dict(hierarchy="app1", action="set", owner="n1"), "missing: generation, expected_generation"),
    (setting("n;1", 1, 0), "owner: must be a node name"),
    (setting("n1", 1, 1), "generation: must be greater than expected_generation (1)"),
    (dict(hierarchy="app1", events=5000), "events: must be 0 to 1000"),
])
def test_bad_input_names_the_field_and_writes_nothing(capsys, vc, args, words):
    rc, out = run(capsys, **args)
    assert rc == 1 and words in out["msg"]
    assert not [c for c in vc.calls if c[0] != "read"]


def test_empty_owner_is_accepted_for_set(capsys, vc):
    run(capsys, **setting("node1", 1, 0))
    rc, out = run(capsys, **setting("", 2, 1, reason="stopped"))
    assert rc == 0 and out["changed"] and out["owner"] is None and "owner node1 -> none" in out["event"]


def test_alert_posts_an_operator_event_and_leaves_the_state(capsys, vc):
    run(capsys, **setting("node1", 1, 0))
    rc, out = run(capsys, hierarchy="app1", action="alert", events=1,
                  reason="node1 must be fenced and cannot be: vCenter reports its host not responding")
    assert rc == 0 and out["changed"]
    assert out["event"] == ("vigil.ha hierarchy app1: OPERATOR NEEDED: node1 must be fenced and cannot be: "
                            "vCenter reports its host not responding")
    assert out["events"][0]["message"] == out["event"]
    rc, got = run(capsys, hierarchy="app1")
    assert (got["owner"], got["generation"]) == ("node1", 1)


def test_alert_needs_a_reason_and_check_mode_posts_nothing(capsys, vc):
    rc, out = run(capsys, hierarchy="app1", action="alert")
    assert rc == 1 and "missing: reason" in out["msg"]
    rc, out = run(capsys, _ansible_check_mode=True, hierarchy="app1", action="alert", reason="x")
    assert rc == 0 and out["changed"] is True and "OPERATOR NEEDED: x" in out["event"]
    assert not [c for c in vc.calls if c[0] != "read"]
