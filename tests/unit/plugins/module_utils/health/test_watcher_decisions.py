# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's own decisions (issue 16): repeats marked instead of dropped,
when to switch back, and noticing an edited inventory."""
from __future__ import annotations

import copy
import os

from ansible_collections.vigil.ha.plugins.module_utils.health import events

from ansible_collections.vigil.ha.plugins.module_utils.health import inventory_watch

from ansible_collections.vigil.ha.plugins.module_utils.health import repeats

from ansible_collections.vigil.ha.plugins.module_utils.model import switchback

from ansible_collections.vigil.ha.plugins.module_utils.config import validation

U1, U2 = ("4213a1c5-7d1e-8f1a-2b3c-4d5e6f70810%d" % i for i in (1, 2))
NODES = {"node1": {"mode": "guest", "vm": {"uuid": U1}}, "node2": {"mode": "guest", "vm": {"uuid": U2}}}
WEB = {"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}],
       "resources": [{"name": "app", "kind": "service", "params": {"command": "app"}}]}


def cluster(maintenance=False, switch="manual", node_maintenance=False):
    web = dict(copy.deepcopy(WEB), maintenance=maintenance, policy={"switchback": switch})
    nodes = copy.deepcopy(NODES)
    nodes["node2"]["maintenance"] = node_maintenance
    return validation.load(nodes, [web])


def event(**kw):
    e = events.EventFactory().make(kw.pop("type", "vm"), "node1", "ok", kw.pop("to", "failed"), hierarchy="web",
                                   node="node1", owner="node1", generation=kw.pop("generation", 4),
                                   fencing={"possible": kw.pop("fence", True), "reason": ""},
                                   maintenance=kw.pop("maintenance", []), **kw)[events.KEY]
    return e


class Clock(object):
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_repeat_within_the_window_is_marked_with_its_reason_not_dropped():
    clock = Clock()
    marks = repeats.Repeats({"failover": 120}, clock=clock)
    first = marks.mark(dict(event(), seq=1))
    assert first["suppressed"] is False and first["suppressed_reason"] is None
    clock.now += 30
    again = marks.mark(dict(event(type="node", to="unreachable"), seq=2))
    assert again["suppressed"] is True
    assert again["suppressed_reason"] == ("repeat of event 1 within 120s: the failover of web from node1 at "
                                          "generation 4 was already started for it")
    assert marks.mark(dict(event(generation=5), seq=3))["suppressed"] is False  # a new generation is news
    clock.now += 121
    assert marks.mark(dict(event(), seq=4))["suppressed"] is False  # the window passed


def test_only_what_the_rulebook_acts_on_is_ever_suppressed():
    marks = repeats.Repeats(clock=Clock())
    for kwargs in ({"maintenance": ["node1 in maintenance"]}, {"fence": False}, {"to": "ok"}):
        assert [marks.mark(event(**kwargs))["suppressed"] for dummy in range(3)] == [False] * 3, kwargs
    app = [marks.mark(event(type="resource", resource="app"))["suppressed"] for dummy in range(2)]
    assert app == [False, True]
    assert repeats.action_of(event(type="resource", resource="app"))[0] == "recover"


def test_switchback_waits_for_the_settling_time_and_starts_over_when_the_node_is_unfit():
    clock = Clock()
    sb = switchback.Switchback(settle=60, clock=clock)
    web = cluster(switch="automatic").hierarchy("web")
    assert switchback.candidate(web, "node2") == "node1"
    assert switchback.candidate(web, "node1") is None and switchback.candidate(web, None) is None
    assert switchback.candidate(cluster().hierarchy("web"), "node2") is None  # switchback manual
    assert switchback.candidate(cluster(True, "automatic").hierarchy("web"), "node2") is None  # maintenance
    assert sb.due("web", "node1", "node2", 5, True) is False
    clock.now += 50
    assert sb.due("web", "node1", "node2", 5, False) is False  # unfit: start over
    clock.now += 30
    assert sb.due("web", "node1", "node2", 5, True) is False
    clock.now += 59
    assert sb.due("web", "node1", "node2", 5, True) is False
    clock.now += 1
    assert sb.healthy_for("web") == 60
    assert sb.due("web", "node1", "node2", 5, True) is True
    assert sb.due("web", "node1", "node2", 5, True) is False  # asked once
    clock.now += 60
    assert sb.due("web", "node1", "node2", 5, True) is True  # still not back (refused?): asked again
    clock.now += 60
    assert sb.due("web", "node1", "node2", 5, True) is False  # then after a longer pause
    clock.now += 60
    assert sb.due("web", "node1", "node2", 5, True) is True


def test_a_new_generation_settles_again():
    clock = Clock()
    sb = switchback.Switchback(settle=10, clock=clock)
    sb.due("web", "node1", "node2", 5, True)
    clock.now += 10
    assert sb.due("web", "node1", "node2", 5, True) is True
    assert sb.due("web", "node1", "node3", 6, True) is False
    clock.now += 10
    assert sb.due("web", "node1", "node3", 6, True) is True


def test_the_fingerprint_changes_with_any_file_of_the_inventory(tmp_path):
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text("all: {}\n")
    (inv / "group_vars" / "prod.yml").write_text("a: 1\n")
    before = inventory_watch.fingerprint(str(inv))
    assert inventory_watch.fingerprint(str(inv)) == before
    (inv / "group_vars" / "prod.yml").write_text("a: 2\n")
    os.utime(inv / "group_vars" / "prod.yml", ns=(1, 1))
    assert inventory_watch.fingerprint(str(inv)) != before
    # An inventory file: its group_vars next to it count too.
    single = inventory_watch.fingerprint(str(inv / "hosts.yml"))
    (inv / "group_vars" / "other.yml").write_text("b: 1\n")
    assert inventory_watch.fingerprint(str(inv / "hosts.yml")) != single
    assert inventory_watch.fingerprint(str(tmp_path / "gone")) == ((str(tmp_path / "gone"), None),)


def test_changes_say_what_a_reload_changed():
    assert inventory_watch.changes(cluster(), cluster()) == []
    assert inventory_watch.changes(cluster(), cluster(maintenance=True, node_maintenance=True)) == [
        "node node2 in maintenance", "hierarchy web in maintenance"]
    assert inventory_watch.changes(cluster(True), cluster(switch="automatic")) == [
        "hierarchy web out of maintenance", "hierarchy web policy changed"]


def test_a_node_is_ready_to_take_a_hierarchy_back_when_vcenter_shows_it_healthy():
    from ansible_collections.vigil.ha.plugins.module_utils.health.cluster_view import ClusterView
    from ansible_collections.vigil.ha.plugins.module_utils.health.vcenter_objects import VcenterObjects
    nodes = dict(copy.deepcopy(NODES), db1={"mode": "guest", "physical": True})
    view = ClusterView(validation.load(nodes, [copy.deepcopy(WEB)]), VcenterObjects())
    host = {"moref": "host-1", "type": "HostSystem", "kind": "enter", "changes": {
        "name": "esxi-01", "runtime.connectionState": "connected", "runtime.powerState": "poweredOn",
        "runtime.inMaintenanceMode": False, "overallStatus": "green"}}
    vm = {"moref": "vm-1", "type": "VirtualMachine", "kind": "enter", "changes": {
        "name": "node1", "config.uuid": U1, "config.template": False, "runtime.powerState": "poweredOff",
        "runtime.connectionState": "connected", "runtime.host": "host-1", "overallStatus": "green"}}
    view.objects.replace([host, vm])
    assert view.ready("node1") is False  # vCenter not watched yet
    view.vcenter_up = True
    assert view.ready("node1") is False  # powered off
    assert view.ready("node2") is False  # not in vCenter
    assert view.ready("db1") is None  # physical: its SSH check decides
    view.objects.apply([{"moref": "vm-1", "type": "VirtualMachine", "kind": "modify", "changes": {
        "runtime.powerState": "poweredOn", "guest.toolsRunningStatus": "guestToolsRunning",
        "guestHeartbeatStatus": "green"}}])
    assert view.ready("node1") is True
