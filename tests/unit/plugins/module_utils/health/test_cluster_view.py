# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the event source makes of vCenter and the cluster (health/cluster_view.py,
health/vcenter_objects.py), and the engine's edge-triggering and resync
(health/source.py) with a fake vCenter and fake checks."""
from __future__ import annotations

import asyncio
import copy
import time

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.health import cluster_view

from ansible_collections.vigil.ha.plugins.module_utils.health import source as health_source

from ansible_collections.vigil.ha.plugins.module_utils.config import validation
from ansible_collections.vigil.ha.plugins.module_utils.health.vcenter_objects import VcenterObjects
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereConnectionError

U1, U2, U3 = ("4213a1c5-7d1e-8f1a-2b3c-4d5e6f70810%d" % i for i in (1, 2, 3))
NODES = {
    "node1": {"mode": "guest", "vm": {"uuid": U1}},
    "node2": {"mode": "guest", "vm": {"uuid": U2}},
    "esx1": {"mode": "host", "esxi": "esxi-01", "fencing": {"method": "vcenter_poweroff"}},
    "esx2": {"mode": "host", "esxi": "esxi-02", "fencing": {"method": "vcenter_poweroff"}},
}
HIERARCHIES = [
    {"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}],
     "resources": [
         {"name": "vip", "kind": "ip", "params": {"address": "10.99.0.100/24", "interface": "eth0"}},
         {"name": "app", "kind": "service", "params": {"command": "app"}, "depends_on": ["vip"],
          "check": {"interval": 3, "timeout": 2, "http": {"url": "http://10.99.0.100:8080/"}}},
         {"name": "port", "kind": "tcp", "params": {"host": "10.99.0.100", "port": 22}}]},
    {"name": "erp", "nodes": [{"node": "esx1", "priority": 1}, {"node": "esx2", "priority": 2}],
     "resources": [{"name": "erp-db", "kind": "vm", "params": {"uuid": U3}}]},
]


def vm(moref, name, uuid, host, **props):
    p = {"name": name, "config.uuid": uuid, "config.template": False, "runtime.powerState": "poweredOn",
         "runtime.connectionState": "connected", "runtime.host": host, "guest.toolsRunningStatus": "guestToolsRunning",
         "guestHeartbeatStatus": "green", "overallStatus": "green"}
    p.update(props)
    return {"moref": moref, "type": "VirtualMachine", "kind": "enter", "changes": p}


def host(moref, name, **props):
    p = {"name": name, "runtime.connectionState": "connected", "runtime.powerState": "poweredOn",
         "runtime.inMaintenanceMode": False, "overallStatus": "green"}
    p.update(props)
    return {"moref": moref, "type": "HostSystem", "kind": "enter", "changes": p}


def first_batch():
    return [host("host-1", "esxi-01"), host("host-2", "esxi-02"),
            vm("vm-1", "node1", U1.upper(), "host-1"), vm("vm-2", "node2", U2, "host-2"),
            vm("vm-3", "erp-db", U3, "host-1"), vm("vm-9", "other", "x", "host-2")]


def modify(moref, **changes):
    return {"moref": moref, "type": "VirtualMachine" if moref.startswith("vm") else "HostSystem", "kind": "modify",
            "changes": changes}


@pytest.fixture
def view():
    objects = VcenterObjects()
    objects.replace(first_batch())
    v = cluster_view.ClusterView(validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), objects)
    v.vcenter_up = True
    v.states = {"web": {"owner": "node1", "generation": 4}, "erp": {"owner": "esx1", "generation": 2}}
    return v


def by_key(view):
    return dict((s.key, s) for s in view.subjects())


def test_subjects_are_the_cluster_s_vms_hosts_and_vm_resources(view):
    subjects = by_key(view)
    assert set(subjects) == {("vm", "node1"), ("vm", "node2"), ("host", "host-1"), ("host", "host-2"),
                             ("resource", "erp", "erp-db"), ("placement", "erp")}  # not the VM "other"
    assert subjects[("vm", "node1")].moref == "vm-1"  # found by UUID, whatever its case
    assert subjects[("host", "host-1")].nodes == ["node1", "esx1"]
    db = subjects[("resource", "erp", "erp-db")]
    assert (db.state, db.nodes, db.hierarchy) == ("in_service", ["esx1"], "erp")


def test_verdicts_follow_the_changes(view):
    view.objects.apply([modify("vm-1", **{"runtime.powerState": "poweredOff"}),
                        modify("host-2", **{"runtime.connectionState": "notResponding"})])
    subjects = by_key(view)
    assert (subjects[("vm", "node1")].state, subjects[("vm", "node1")].reasons) == ("failed", ["powered off"])
    assert subjects[("host", "host-2")].state == "failed"
    assert subjects[("vm", "node2")].state == "ok"  # vCenter still says connected
    view.objects.apply([{"moref": "vm-2", "type": "VirtualMachine", "kind": "leave", "changes": {}}])
    assert by_key(view)[("vm", "node2")].reasons == ["VM not found in vCenter"]


def test_targets_are_each_hierarchy_of_each_node(view):
    assert view.targets(["node1", "esx1"]) == [("web", "node1"), ("erp", "esx1")]
    assert view.targets([]) == []
    assert view.targets(["esx1"], hierarchy="erp") == [("erp", "esx1")]


def test_maintenance_from_the_inventory_and_from_vcenter():
    nodes, hierarchies = copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)
    nodes["node2"]["maintenance"] = True
    hierarchies[1]["maintenance"] = True
    objects = VcenterObjects()
    objects.replace(first_batch())
    objects.apply([modify("host-1", **{"runtime.inMaintenanceMode": True})])
    v = cluster_view.ClusterView(validation.load(nodes, hierarchies), objects)
    assert v.maintenance("web", "node1") == ["ESXi host esxi-01 of node node1 is in maintenance mode (vCenter)"]
    assert v.maintenance("web", "node2") == ["node node2 is in maintenance (inventory)"]
    assert v.maintenance("erp", "esx2") == ["hierarchy erp is in maintenance (inventory)"]
    assert v.maintenance(None, None) == []


def test_fencing_is_possible_only_when_vcenter_can_confirm_it(view):
    assert view.fencing("node1") == {"possible": True, "reason": "power off VM node1 through vCenter"}
    view.objects.apply([modify("host-1", **{"runtime.connectionState": "notResponding"})])
    assert view.fencing("node1")["possible"] is False
    assert "ESXi host esxi-01 of node node1 is notResponding" in view.fencing("node1")["reason"]
    assert view.fencing("esx1")["possible"] is False
    assert view.fencing("esx2")["possible"] is True
    view.vcenter_up = False
    assert view.fencing("node2") == {"possible": False, "reason": "vCenter is unreachable"}


def test_a_host_that_does_not_respond_can_still_be_fenced_through_its_bmc():
    nodes = copy.deepcopy(NODES)
    nodes["esx1"]["fencing"] = {"levels": [
        {"method": "vcenter_poweroff"},
        {"method": "fence_agent", "agent": "fence_ipmilan", "options": {"ip": "127.0.0.1"}, "password": "pw"}]}
    objects = VcenterObjects()
    objects.replace(first_batch())
    v = cluster_view.ClusterView(validation.load(nodes, copy.deepcopy(HIERARCHIES)), objects)
    v.vcenter_up = True
    assert v.fencing("esx1") == {"possible": True, "reason": "power off the hierarchy's VMs on esxi-01 through vCenter"}
    v.objects.apply([modify("host-1", **{"runtime.connectionState": "notResponding"})])
    assert v.fencing("esx1") == {"possible": True, "reason": "fence_ipmilan through its management controller (ESXi "
                                 "host esxi-01 of node esx1 is notResponding: nothing it runs can be confirmed off)"}
    v.vcenter_up = False
    assert v.fencing("esx1")["possible"] is True
    assert v.fencing("esx2") == {"possible": False, "reason": "vCenter is unreachable"}


def test_what_a_powered_off_host_ran_counts_as_fenced_as_the_fence_says(view):
    # As fencing/vcenter.py: a host vCenter reports powered off (or in standby) runs nothing,
    # even though it no longer answers and its VMs show disconnected.
    view.objects.apply([modify("host-1", **{"runtime.connectionState": "notResponding", "runtime.powerState": "poweredOff"}),
                        modify("vm-1", **{"runtime.connectionState": "disconnected"})])
    for node in ("node1", "esx1"):
        assert view.fencing(node) == {"possible": True,
                                      "reason": "ESXi host esxi-01 of node %s is powered off: what it ran is off" % node}
    view.objects.apply([modify("host-1", **{"runtime.powerState": "poweredOn"})])
    assert view.fencing("node1") == {"possible": False, "reason": "the VM of node node1 is disconnected in vCenter"}
    assert view.fencing("esx1")["possible"] is False


def test_a_node_without_fencing_cannot_be_fenced():
    nodes = copy.deepcopy(NODES)
    nodes["phys"] = {"mode": "guest", "physical": True}
    hierarchies = copy.deepcopy(HIERARCHIES)
    hierarchies[0]["nodes"].append({"node": "phys", "priority": 3})
    hierarchies[0]["policy"] = {"confirm_failover": True}
    v = cluster_view.ClusterView(validation.load(nodes, hierarchies), VcenterObjects())
    assert v.fencing("phys") == {"possible": False, "reason": "fencing.method is none on node phys"}


def test_checks_to_run(view):
    assert [c[:3] + c[4:] for c in view.endpoint_checks()] == [
        ("web", "app", "http", 3, 2, 2), ("web", "port", "tcp", 10, 5, 2)]
    assert [r["name"] for r in view.node_resources("node1")] == ["vip", "app", "port"]
    assert all(r["hierarchy"] == "web" for r in view.node_resources("node1"))
    assert view.node_resources("node2") == [] and view.node_resources("esx1") == []


def test_cluster_from_ansible_inventory_listing():
    listing = {
        "_meta": {"hostvars": {
            "node1": {"vigil_ha_node": NODES["node1"], "vigil_ha_hierarchies": HIERARCHIES[:1]},
            "node2": {"vigil_ha_node": NODES["node2"], "vigil_ha_hierarchies": HIERARCHIES[:1]}}},
        "all": {"children": ["ungrouped", "vigil_ha_cluster"]},
        "vigil_ha_cluster": {"children": ["guests"]},
        "guests": {"hosts": ["node1", "node2"]},
    }
    nodes, hierarchies = cluster_view.config_from_inventory(listing)
    assert nodes == {"node1": NODES["node1"], "node2": NODES["node2"]}
    assert hierarchies == HIERARCHIES[:1]
    with pytest.raises(validation.ConfigError, match="inventory group nope has no hosts"):
        cluster_view.config_from_inventory(listing, "nope")


def test_the_source_reads_hierarchies_from_every_host_as_the_playbooks_do():
    """Defined for node2 only (a child group node1 is not in): found, not zero."""
    listing = {
        "_meta": {"hostvars": {
            "node1": {"vigil_ha_node": NODES["node1"]},
            "node2": {"vigil_ha_node": NODES["node2"], "vigil_ha_hierarchies": HIERARCHIES[:1]}}},
        "vigil_ha_cluster": {"hosts": ["node1", "node2"]},
    }
    assert cluster_view.config_from_inventory(listing)[1] == HIERARCHIES[:1]
    listing["_meta"]["hostvars"]["node1"]["vigil_ha_hierarchies"] = []
    with pytest.raises(validation.ConfigError, match="see 2 different definitions"):
        cluster_view.config_from_inventory(listing)


# -- the engine, with a fake vCenter ------------------------------------------

class FakeLink(object):
    """Batches to hand out, one per next(); an exception in the list breaks the watch."""

    def __init__(self, batches, states):
        self.batches = batches
        self.states = states
        self.opened = self.closed = 0

    def open(self):
        self.opened += 1
        if isinstance(self.batches[0], Exception):
            raise self.batches.pop(0)

    def watch(self, max_wait):
        def gen():
            while True:
                if not self.batches:
                    time.sleep(0.05)  # as WaitForUpdatesEx waits when nothing changes
                item = self.batches.pop(0) if self.batches else []
                if isinstance(item, Exception):
                    raise item
                yield item
        return gen()

    def read_states(self, names):
        return copy.deepcopy(self.states)

    def close(self):
        self.closed += 1


def run_engine(batches, seconds=1.5, states=None, prober=None, link=None, **options):
    async def main():
        queue = asyncio.Queue()
        link_ = link or FakeLink(batches, states or {"web": {"owner": "node1", "generation": 4}})
        source = health_source.HealthSource(
            validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), queue, link_,
            dict({"state_interval": 0.2, "node_check_interval": 3600, "reconnect_max": 0.1}, **options),
            ansible="/nonexistent/ansible", inventory="/nonexistent", name="vc",
            prober=prober or (lambda kind, name, params: ("in_service", ["ok"])))
        return await drive(source, queue, [(seconds, None)])
    return asyncio.run(main())


async def drive(source, queue, steps):
    """Run ``source`` through ``steps`` (seconds to wait, callable), then stop it; the events."""
    task = asyncio.create_task(source.run())
    for seconds, step in steps:
        await asyncio.sleep(seconds)
        if step:
            step()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    out = []
    while not queue.empty():
        out.append(queue.get_nowait()["vigil_ha"])
    return out


def summary(evs):
    return [(e["type"], e["name"], e["hierarchy"], e["from"], e["to"], e["resync"]) for e in evs]


def test_engine_reports_each_transition_once():
    crash = modify("vm-1", **{"runtime.powerState": "poweredOff"})
    evs = run_engine([first_batch(), [crash], [crash], [], [modify("vm-1", **{"guestHeartbeatStatus": "green"})]])
    assert summary(evs) == [("vm", "node1", "web", "ok", "failed", False)]
    assert evs[0]["on_owner"] is True and evs[0]["generation"] == 4
    assert evs[0]["fencing"] == {"possible": True, "reason": "power off VM node1 through vCenter"}


def test_engine_logs_out_of_vcenter_when_cancelled():
    # ansible-rulebook cancels its sources when it stops: the session must not linger.
    link = FakeLink([first_batch()], {"web": {"owner": "node1", "generation": 4}})
    run_engine(None, seconds=0.5, link=link)
    assert link.opened == 1 and link.closed == 1


def test_engine_resyncs_after_a_lost_watch_and_reports_only_real_changes():
    after = first_batch()
    after[3]["changes"]["runtime.powerState"] = "poweredOff"  # node2 went off while vCenter was away
    evs = run_engine([first_batch(), VsphereConnectionError("lost vCenter"), VsphereConnectionError("refused"),
                      after], seconds=2)
    assert summary(evs) == [
        ("vcenter", "vc", None, "connected", "disconnected", False),
        ("vcenter", "vc", None, "disconnected", "connected", True),
        ("vm", "node2", "web", "ok", "failed", True),
    ]
    assert evs[0]["reasons"] == ["lost vCenter"]
    assert [e["seq"] for e in evs] == [1, 2, 3]


def test_engine_endpoint_failures_are_one_event_and_skipped_on_a_node_vcenter_reports_down():
    calls = []

    def prober(kind, name, params):
        calls.append(name)
        return ("failed", ["refused"]) if name == "app" else ("in_service", ["ok"])
    evs = run_engine([first_batch()], seconds=7, prober=prober)
    assert summary(evs) == [("resource", "app", "web", None, "failed", False)]  # failed from the first check
    assert evs[0]["node"] == "node1" and evs[0]["on_owner"] is True and evs[0]["observer"] == "http"
    assert calls.count("app") >= 2  # checked again and again, reported once
    calls.clear()
    down = first_batch()
    down[2]["changes"]["runtime.powerState"] = "poweredOff"
    evs = run_engine([down], seconds=1.5, prober=prober)
    assert calls == [] and summary(evs) == [("vm", "node1", "web", None, "failed", False)]


class MovingLink(FakeLink):
    """web moves from node1 to node2 at the third read of the states."""

    reads = 0

    def read_states(self, names):
        self.reads += 1
        return {"web": {"owner": "node2", "generation": 5} if self.reads >= 3 else {"owner": "node1", "generation": 4}}


def test_a_moved_hierarchy_not_started_on_its_new_owner_fails_after_the_start_grace():
    # The move's run recorded node2 and died before starting app there: app stays down.
    def prober(kind, name, params):
        return ("failed", ["refused"]) if name == "app" else ("in_service", ["ok"])

    def app_events(grace):
        evs = run_engine(None, seconds=8, prober=prober, link=MovingLink([first_batch()], {}), start_grace=grace)
        return [e for e in evs if e["type"] == "resource"], [e for e in evs if e["type"] == "hierarchy"]
    resources, moves = app_events(3600)
    assert [(e["from"], e["to"]) for e in moves] == [("node1", "node2")]
    assert [e for e in resources if e["node"] == "node2"] == []  # the move may still be starting it
    resources, moves = app_events(2)
    assert [(e["name"], e["node"], e["to"]) for e in resources][-1] == ("app", "node2", "failed")
    assert resources[-1]["reasons"][0] == "not in service 2s after web moved"


class HostMoveLink(FakeLink):
    """Host mode: erp's VM shows up off on esxi-02 (the move registered it there) at the
    second read of the states, and the record names esx2 only from the third: the batch
    comes first, as it does when a failover records the owner before it starts the VM."""

    reads = 0

    def read_states(self, names):
        self.reads += 1
        if self.reads == 2:
            self.batches.append([modify("vm-3", **{"runtime.host": "host-2", "runtime.powerState": "poweredOff"})])
        moved = self.reads >= 3
        return {"web": {"owner": "node1", "generation": 4},
                "erp": {"owner": "esx2", "generation": 3} if moved else {"owner": "esx1", "generation": 2}}


def test_a_host_mode_vm_the_move_has_not_started_yet_is_not_failed_within_the_start_grace():
    def erp_db(grace, seconds):
        evs = run_engine(None, seconds=seconds, link=HostMoveLink([first_batch()], {}), start_grace=grace)
        return [e for e in evs if e["type"] == "hierarchy"], [e for e in evs if e["name"] == "erp-db"]
    moves, events = erp_db(3600, 1.5)
    assert [(e["name"], e["from"], e["to"]) for e in moves] == [("erp", "esx1", "esx2")]
    assert [e for e in events if e["to"] == "failed"] == []  # the move is starting it: no recover asked for
    moves, events = erp_db(1, 3)  # it never comes up: failed once the grace is over
    assert [(e["node"], e["to"]) for e in events][-1] == ("esx2", "failed")
    assert events[-1]["reasons"][:2] == ["not in service 1s after erp moved", "powered off"]


class CountingLink(FakeLink):
    reads = 0

    def read_states(self, names):
        self.reads += 1
        return super(CountingLink, self).read_states(names)


def test_owner_and_generation_are_read_again_only_for_a_batch_that_concerns_the_cluster():
    other = modify("vm-9", **{"runtime.powerState": "poweredOff"})
    link = CountingLink([first_batch(), [other], [modify("vm-9", **{"runtime.powerState": "poweredOn"})], [other]],
                        {"web": {"owner": "node1", "generation": 4}})
    assert run_engine(None, seconds=1, link=link, state_interval=3600) == []
    assert link.reads == 1  # at connect only: three batches about a VM outside the cluster read nothing
    crash = CountingLink([first_batch(), [other], [modify("vm-1", **{"runtime.powerState": "poweredOff"})]],
                         {"web": {"owner": "node1", "generation": 4}})
    evs = run_engine(None, seconds=1, link=crash, state_interval=3600)
    assert summary(evs) == [("vm", "node1", "web", "ok", "failed", False)] and crash.reads == 2


def with_erp_endpoint(monkeypatch):
    """erp-db (a host mode vm resource) carries a check.tcp: what the VM serves."""
    hierarchies = copy.deepcopy(HIERARCHIES)
    hierarchies[1]["resources"][0]["check"] = {"interval": 1, "timeout": 0.5, "tcp": {"host": "127.0.0.1", "port": 5432,
                                                                                      "timeout": 0.5}}
    monkeypatch.setitem(globals(), "HIERARCHIES", hierarchies)  # run_engine reads it; restored after the test
    return hierarchies


def test_the_endpoint_check_of_a_vm_resource_is_run_unless_its_vm_is_down(monkeypatch):
    hierarchies = with_erp_endpoint(monkeypatch)
    objects = VcenterObjects()
    objects.replace(first_batch())
    v = cluster_view.ClusterView(validation.load(copy.deepcopy(NODES), hierarchies), objects)
    assert ("erp", "erp-db", "tcp", 1, 0.5, 2) in [c[:3] + c[4:] for c in v.endpoint_checks()]
    assert v.vm_down("erp", "erp-db") is None and v.vm_down("web", "app") is None
    objects.apply([modify("vm-3", **{"runtime.powerState": "poweredOff"})])
    assert v.vm_down("erp", "erp-db") == "powered off"


def test_engine_a_vm_resource_whose_endpoint_stops_answering_fails_on_its_owner(monkeypatch):
    with_erp_endpoint(monkeypatch)
    calls = []

    def prober(kind, name, params):
        calls.append(name)
        return ("failed", ["127.0.0.1:5432: Connection refused"]) if name == "erp-db" else ("in_service", ["ok"])
    states = {"web": {"owner": "node1", "generation": 4}, "erp": {"owner": "esx1", "generation": 2}}
    evs = run_engine([first_batch()], seconds=3, prober=prober, states=states)
    assert [(e["type"], e["name"], e["node"], e["to"], e["on_owner"], e["observer"]) for e in evs
            if e["hierarchy"] == "erp"] == [("resource", "erp-db", "esx1", "failed", True, "tcp")]
    assert calls.count("erp-db") >= 2
    calls.clear()
    off = first_batch()
    off[4]["changes"]["runtime.powerState"] = "poweredOff"
    evs = run_engine([off], seconds=1.5, prober=prober, states=states)
    assert "erp-db" not in calls  # the VM is off: its own event says it
    assert [(e["name"], e["to"], e["observer"]) for e in evs if e["hierarchy"] == "erp"] == [
        ("erp-db", "failed", "vcenter")]


def test_placement_of_a_host_mode_hierarchy_follows_its_vms(view):
    # erp-db (on esxi-01, the owner's host) migrated to esxi-02: moved, to esx2.
    assert [(s.key, s.state, s.nodes) for s in view.placements()] == [(("placement", "erp"), "on_owner", ["esx1"])]
    view.objects.apply([modify("vm-3", **{"runtime.host": "host-2"})])
    moved = view.placements()[0]
    assert (moved.state, moved.nodes, moved.hierarchy) == ("moved", ["esx2"], "erp")
    assert "migrated from esx1 to esx2" in moved.reasons[0]
    view.states["erp"] = {"owner": "esx2", "generation": 3}
    assert view.placements()[0].state == "on_owner"


def test_engine_a_migration_is_one_placement_event_not_a_failure():
    states = {"web": {"owner": "node1", "generation": 4}, "erp": {"owner": "esx1", "generation": 2}}
    evs = run_engine([first_batch(), [modify("vm-3", **{"runtime.host": "host-2"})]], seconds=1.5, states=states)
    assert [(e["type"], e["name"], e["node"], e["from"], e["to"], e["generation"]) for e in evs] == [
        ("placement", "erp", "esx2", "on_owner", "moved", 2)]


def test_a_split_placement_is_reported_only_once_it_lasted(view):
    # DRS migrates one VM at a time: VMs split (or off the hierarchy's hosts) may be a move under way.
    view.objects.apply([host("host-9", "esxi-09"), modify("vm-3", **{"runtime.host": "host-9"})])
    view.placement_settle = 3600
    assert view.placements() == []
    view.placement_settle = 0
    split = view.placements()[0]
    assert (split.state, split.nodes) == ("split", ["esx1"]) and "esxi-09, not a node of erp" in split.reasons[0]
