# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edge-triggering and the event schema (health/events.py), the node-side check's
command and output (health/node_checks.py)."""
from __future__ import annotations

import json

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.health import events

from ansible_collections.vigil.ha.plugins.module_utils.health import node_checks


def states(transitions):
    return [(t.before, t.after) if t else None for t in transitions]


def test_a_state_that_stays_yields_one_transition():
    tracker = events.Tracker()
    seen = [tracker.observe("app", s, ["why %d" % i]) for i, s in enumerate(
        ["in_service", "failed", "failed", "failed", "in_service", "in_service", "failed"])]
    assert states(seen) == [None, ("in_service", "failed"), None, None, ("failed", "in_service"), None,
                            ("in_service", "failed")]
    assert seen[1].reasons == ["why 1"]


def test_first_sight_is_news_only_when_not_healthy():
    tracker = events.Tracker()
    assert tracker.observe("a", "ok") is None
    first = tracker.observe("b", "failed", ["powered off"])
    assert (first.before, first.after) == (None, "failed")
    assert tracker.state("a") == "ok" and tracker.state("never") is None


def test_the_worst_observer_counts_and_agreeing_observers_add_nothing():
    tracker = events.Tracker()
    assert tracker.observe("app", "in_service", observer="http") is None
    assert tracker.observe("app", "in_service", observer="node") is None
    t = tracker.observe("app", "failed", ["pid gone"], observer="node")
    assert (t.before, t.after, t.observer) == ("in_service", "failed", "node")
    # The endpoint still answers: the resource stays failed, no flapping event.
    assert tracker.observe("app", "in_service", observer="http") is None
    assert tracker.observe("app", "failed", observer="http") is None
    assert states([tracker.observe("app", "in_service", observer="node")]) == [None]  # http still failed
    assert states([tracker.observe("app", "in_service", observer="http")]) == [("failed", "in_service")]


def test_dropping_an_observer_settles_on_the_others():
    tracker = events.Tracker()
    tracker.observe("app", "in_service", observer="http")
    tracker.observe("app", "failed", observer="node")
    t = tracker.drop("app", "node")
    assert (t.before, t.after) == ("failed", "in_service")
    assert tracker.drop("app", "node") is None
    assert tracker.drop("app", "http") is None  # nothing known any more: no news
    assert tracker.state("app") == "in_service"


def test_event_schema_sequence_and_time():
    times = iter(["2026-01-02T03:04:05.000Z", "2026-01-02T03:04:06.000Z"])
    factory = events.EventFactory(clock=lambda: next(times), source_id="abc", watcher="ctl1")
    one = factory.make("vm", "node1", "ok", "failed", ["powered off"], "vcenter", hierarchy="web", node="node1",
                       moref="vm-1", owner="node1", generation=4, maintenance=[],
                       fencing={"possible": True, "reason": "power off"})
    two = factory.make("resource", "app", "in_service", "failed", [], "http", hierarchy="web", node="node2",
                       resource="app", owner="node1", generation=4, maintenance=["hierarchy web is in maintenance"])
    assert one == {"vigil_ha": {
        "schema": 1, "seq": 1, "source_id": "abc", "watcher": "ctl1", "time": "2026-01-02T03:04:05.000Z",
        "type": "vm", "name": "node1", "moref": "vm-1", "hierarchy": "web", "node": "node1", "resource": None, "from": "ok", "to": "failed",
        "reasons": ["powered off"], "observer": "vcenter", "owner": "node1", "generation": 4, "on_owner": True,
        "maintenance": False, "maintenance_reasons": [], "fencing": {"possible": True, "reason": "power off"},
        "resync": False, "suppressed": False, "suppressed_reason": None}}
    assert two["vigil_ha"]["seq"] == 2 and two["vigil_ha"]["on_owner"] is False
    assert two["vigil_ha"]["maintenance"] is True
    with pytest.raises(ValueError, match="subject type must be one of"):
        factory.make("datastore", "ds1", "ok", "failed")


def test_every_source_run_has_its_own_id():
    assert events.EventFactory().source_id != events.EventFactory().source_id


RESOURCES = [{"hierarchy": "web", "name": "app", "kind": "service", "params": {"command": "x"}}]


def test_node_check_command_passes_resources_as_json_and_bounds_ssh():
    argv, env = node_checks.command("/venv/bin/ansible", "/inv", "node1", RESOURCES, 25)
    assert argv[:6] == ["/venv/bin/ansible", "node1", "-i", "/inv", "-m", "vigil.ha.app_health_info"]
    assert json.loads(argv[argv.index("-a") + 1]) == {"resources": RESOURCES}
    assert argv[argv.index("-T") + 1] == "25"
    assert env["ANSIBLE_STDOUT_CALLBACK"] == "ansible.builtin.minimal"
    assert env["ANSIBLE_CALLBACK_RESULT_FORMAT"] == "json"


def test_node_check_brings_keepalives_and_pipelining_unless_the_caller_set_them(monkeypatch):
    monkeypatch.delenv("ANSIBLE_SSH_EXTRA_ARGS", raising=False)
    monkeypatch.delenv("ANSIBLE_PIPELINING", raising=False)
    env = node_checks.command("ansible", "/inv", "node1", RESOURCES, 25)[1]
    assert "ServerAliveInterval=5" in env["ANSIBLE_SSH_EXTRA_ARGS"] and env["ANSIBLE_PIPELINING"] == "True"
    monkeypatch.setenv("ANSIBLE_PIPELINING", "False")
    assert node_checks.command("ansible", "/inv", "node1", RESOURCES, 25)[1]["ANSIBLE_PIPELINING"] == "False"


def test_node_check_output_success_unreachable_failed_and_garbage():
    ok = 'node1 | SUCCESS => {\n    "changed": false,\n    "resources": [{"name": "app", "state": "failed"}]\n}\n'
    assert node_checks.parse("node1", ok, 0) == {
        "reachable": True, "resources": [{"name": "app", "state": "failed"}], "error": None}
    down = 'node1 | UNREACHABLE! => {\n    "changed": false,\n    "msg": "ssh: connect to host 10.99.0.11: No route",' \
           '\n    "unreachable": true\n}\n'
    assert node_checks.parse("node1", down, 4) == {
        "reachable": False, "resources": [], "error": "ssh: connect to host 10.99.0.11: No route"}
    failed = '[WARNING]: something\nnode1 | FAILED! => {"changed": false, "msg": "resources: required"}\n'
    assert node_checks.parse("node1", failed, 2) == {"reachable": True, "resources": [], "error": "resources: required"}
    other = 'node2 | SUCCESS => {"resources": []}\n'
    assert node_checks.parse("node1", other, 0)["reachable"] is None
    assert "no result from node1" in node_checks.parse("node1", "ERROR! the inventory", 1)["error"]
