# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host mode end to end, as vSphere HA does it: the nodes are ESXi hosts and
the hierarchy `erp` is two whole VMs (erp-db, then erp-app which needs it).
A host that goes down has its protected VMs registered and powered on on
the next host of the node list, in dependency order; a switchover moves
them with RelocateVM (the same VMs, same MoRefs); a host that only stops
answering cannot be fenced, so nothing starts elsewhere."""
from __future__ import annotations

import json
import os
import re
import socket
import time

import pytest
import yaml

from lab.budgets import reset_budgets
from cluster_runs import LAB, ledger_lines, playbook, until, where

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.vm_operations import VmOperations
from lab.control import Control

pytestmark = pytest.mark.usefixtures("bare_nodes_after")

HOSTS = ("esxi-01.lab", "esxi-02.lab", "esxi-03.lab")
VMS = {"erp-db": "filler-00001", "erp-app": "filler-00002"}


def run(name, *extra):
    return playbook(name, *extra, inventory=os.path.join(LAB, "cluster-host.yml"), hierarchy="erp")


def vm(lab, resource):
    return Control(lab["lab_control_url"]).vm(VMS[resource])


def steps_done(out):
    """The VM steps that ran, in the order they ran: [(action, resource, host)]."""
    return re.findall(r"TASK \[Step \d+: (start|stop) VM (\S+?)(?: on (\S+))?\] \**\s*changed", out)


@pytest.fixture
def erp(lab, control):
    """erp in service on esxi-01.lab, every host up, its budgets unused (they are counted from vCenter's
    events, the watchers' failovers too); hosts put back afterwards."""
    reset_budgets(lab, "lab tests: test_host_mode", hierarchies=("erp",))
    for host in HOSTS:
        control("hosts/%s/recover" % host)
    rc, out = run("start", "-e", "target=esxi-01.lab")
    if rc != 0 or where(out, "erp")[0] != "esxi-01.lab":
        rc, out = run("switchover", "-e", "target=esxi-01.lab")
    assert rc == 0, out
    assert all(vm(lab, r)["host"] == "esxi-01.lab" and vm(lab, r)["power_state"] == "poweredOn" for r in VMS)
    yield where(out, "erp")[1]
    for host in HOSTS:
        control("hosts/%s/recover" % host)
    for node in ("node1", "node2", "node3"):  # the guest nodes live on these hosts too
        control("vms/%s/poweron" % node)
    for name in VMS.values():  # the lab's fillers run, as other tests expect
        control("vms/%s/poweron" % name)


def test_a_host_down_restarts_its_vms_on_the_next_host_in_order(erp, lab, control):
    control("hosts/esxi-01.lab/poweroff")
    rc, out = run("failover", "-e", "failed_node=esxi-01.lab", "-e", "expected_generation=%d" % erp)
    assert rc == 0, out
    assert where(out, "erp") == ("esxi-02.lab", erp + 1)
    assert steps_done(out) == [("start", "erp-db", "esxi-02.lab"), ("start", "erp-app", "esxi-02.lab")], out
    for resource in VMS:
        seen = vm(lab, resource)
        assert (seen["host"], seen["power_state"], seen["connection"]) == ("esxi-02.lab", "poweredOn", "connected")
    # Seen twice, the same event changes nothing.
    rc, out = run("failover", "-e", "failed_node=esxi-01.lab", "-e", "expected_generation=%d" % erp)
    assert rc != 0 and "refused (stale)" in out, out


def test_switchover_relocates_the_same_vms(erp, lab):
    before = dict((r, vm(lab, r)["moref"]) for r in VMS)
    rc, out = run("switchover", "-e", "target=esxi-02.lab")
    assert rc == 0, out
    assert steps_done(out) == [("stop", "erp-app", ""), ("stop", "erp-db", ""),
                               ("start", "erp-db", "esxi-02.lab"), ("start", "erp-app", "esxi-02.lab")], out
    for resource in VMS:
        seen = vm(lab, resource)
        assert (seen["host"], seen["power_state"]) == ("esxi-02.lab", "poweredOn")
        assert seen["moref"] == before[resource]  # relocated, not registered anew


def test_a_host_that_only_stops_answering_is_not_failed_over(erp, lab, control):
    control("hosts/esxi-01.lab/fail")  # not responding: its VMs may still run
    rc, out = run("failover", "-e", "failed_node=esxi-01.lab")
    assert rc != 0 and "OPERATOR NEEDED" in out, out
    assert [r for r in VMS if vm(lab, r)["host"] != "esxi-01.lab"] == []


def erp_nodes(path):
    with open(path, encoding="utf-8") as f:
        hierarchies = yaml.safe_load(f)["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"]  # JSON, then YAML once written
    return dict((n["node"], n["priority"]) for n in [h for h in hierarchies if h["name"] == "erp"][0]["nodes"])


# slow (make lab-slow): provision_node/remove_node are in make test with a guest node (test_provision.py).
@pytest.mark.slow
def test_an_esxi_host_joins_erp_serves_it_and_leaves(erp, lab, tmp_path):
    """provision_node and remove_node with an ESXi host: nothing is installed
    on it (Ansible never logs in to it), a switchover to it relocates the
    VMs, and it cannot leave while it serves."""
    cluster = str(tmp_path / "cluster-host.yml")
    with open(os.path.join(LAB, "cluster-host.yml"), encoding="utf-8") as src, open(cluster, "w", encoding="utf-8") as dst:
        dst.write(src.read())

    def on_copy(name, *extra):
        return playbook(name, "-e", "node=esxi-03.lab", "-e", "cluster_file=" + cluster, *extra,
                        inventory=cluster, hierarchy="erp")

    rc, out = on_copy("provision_node", "-e", json.dumps({"extend": [{"name": "erp", "priority": 3}]}))
    assert rc == 0, out
    assert "esxi-03.lab can take over erp" in out and "esxi-03.lab is a node of erp" in out
    assert "esxi-03.lab :" not in out  # no play ran on the ESXi host itself
    assert erp_nodes(cluster) == {"esxi-01.lab": 1, "esxi-02.lab": 2, "esxi-03.lab": 3}

    rc, out = playbook("switchover", "-e", "target=esxi-03.lab", inventory=cluster, hierarchy="erp")
    assert rc == 0, out
    assert where(out, "erp")[0] == "esxi-03.lab"
    assert all(vm(lab, r)["host"] == "esxi-03.lab" and vm(lab, r)["power_state"] == "poweredOn" for r in VMS)

    rc, out = on_copy("remove_node")
    assert rc != 0 and "remove_node refused: esxi-03.lab serves erp" in out
    assert "esxi-03.lab" in erp_nodes(cluster)

    rc, out = playbook("switchover", "-e", "target=esxi-01.lab", inventory=cluster, hierarchy="erp")
    assert rc == 0 and where(out, "erp")[0] == "esxi-01.lab", out
    rc, out = on_copy("remove_node")
    assert rc == 0, out
    assert erp_nodes(cluster) == {"esxi-01.lab": 1, "esxi-02.lab": 2}


def test_a_second_failover_finds_the_vms_registered_anew_by_their_uuid(erp, lab, control, monkeypatch, tmp_path):
    """Each failover registers the VMs again (new MoRefs); the inventory names
    them by UUID, so the next failover of the same VMs still finds them."""
    # A ledger of its own: the module's earlier failovers count against policy.failover.max.
    monkeypatch.setenv("VIGIL_LAB_TEST_STATE", str(tmp_path / "state"))
    first = dict((r, vm(lab, r)["moref"]) for r in VMS)
    control("hosts/esxi-01.lab/poweroff")
    rc, out = run("failover", "-e", "failed_node=esxi-01.lab", "-e", "expected_generation=%d" % erp)
    assert rc == 0 and where(out, "erp") == ("esxi-02.lab", erp + 1), out
    second = dict((r, vm(lab, r)["moref"]) for r in VMS)
    assert all(second[r] != first[r] for r in VMS), (first, second)
    control("hosts/esxi-01.lab/recover")
    control("hosts/esxi-02.lab/poweroff")
    rc, out = run("failover", "-e", "failed_node=esxi-02.lab", "-e", "expected_generation=%d" % (erp + 1))
    assert rc == 0, out
    assert where(out, "erp") == ("esxi-01.lab", erp + 2)
    assert steps_done(out) == [("start", "erp-db", "esxi-01.lab"), ("start", "erp-app", "esxi-01.lab")], out
    for resource in VMS:
        seen = vm(lab, resource)
        assert (seen["host"], seen["power_state"]) == ("esxi-01.lab", "poweredOn")
        assert seen["moref"] not in (first[resource], second[resource])


def host_cluster_copy(tmp_path, change):
    """A copy of the lab's host-mode inventory (JSON) with ``change(erp)`` applied to hierarchy erp."""
    with open(os.path.join(LAB, "cluster-host.yml"), encoding="utf-8") as f:
        text = f.read()
    cluster = json.loads(text[text.index("{"):])
    change(cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0])
    path = tmp_path / "cluster-host.yml"
    path.write_text(json.dumps(cluster))
    return str(path)


def test_a_vm_whose_endpoint_stops_answering_is_reset_in_place_by_the_watcher(erp, lab, rulebooks, tmp_path):
    """erp-app's check.tcp (what the VM serves: here a loopback port the test
    opens and closes, the lab's VMs serve nothing) stops answering while vCenter
    still sees the VM run: the watcher's check fails, the rulebook runs
    vigil.ha.recover, which resets the VM in place. Once, not a failover."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]

    def endpoint(hierarchy):
        app = [r for r in hierarchy["resources"] if r["name"] == "erp-app"][0]
        app["check"] = {"interval": 2, "timeout": 1, "tcp": {"host": "127.0.0.1", "port": port, "timeout": 1}}
    try:
        rulebook = rulebooks(cluster=host_cluster_copy(tmp_path, endpoint))
        time.sleep(5)  # the check answers: nothing happens
        assert rulebook.ledger("recover") == [], rulebook.output()[-4000:]
        server.close()
        assert until(lambda: rulebook.ledger("recover", "done"), 120), rulebook.output()[-6000:]
        acts = rulebook.ledger("recover", "act")
        assert len(acts) == 1 and acts[0]["generation"] == erp, acts
        assert [(s["action"], s["resource"]) for s in acts[0]["result"]["steps"]] == [("recover", "erp-app")]
        assert "127.0.0.1:%d" % port in json.dumps(acts[0]["inputs"])  # why: the endpoint, not vCenter
        assert rulebook.ledger("failover") == []
        assert all(vm(lab, r)["host"] == "esxi-01.lab" for r in VMS)
    finally:
        server.close()


def test_vms_migrated_by_drs_are_followed_then_restarted_when_their_new_host_dies(erp, lab, client, control, rulebooks):
    """An operator (or DRS) migrates erp's running VMs to esxi-02.lab: not a
    failure, the owner follows them (vigil.ha.adopt: a new generation, the
    ledger, vCenter's event log). When esxi-02.lab then dies, the watcher
    fails erp over from there: its VMs run again on esxi-01.lab."""
    rulebook = rulebooks(cluster=os.path.join(LAB, "cluster-host.yml"))
    ops = VmOperations(client)
    target = ops.hosts()["esxi-02.lab"]
    before = dict((r, vm(lab, r)["moref"]) for r in VMS)
    for resource in ("erp-db", "erp-app"):  # one at a time, as DRS does: split for a moment
        ops.relocate(before[resource], target["moref"], target["pool"])
    assert all(vm(lab, r)["host"] == "esxi-02.lab" and vm(lab, r)["power_state"] == "poweredOn" for r in VMS)

    assert until(lambda: rulebook.ledger("adopt", "done"), 90), rulebook.output()[-6000:]
    done = rulebook.ledger("adopt", "done")
    assert [(d["generation"], d["reason"]) for d in done] == [(erp + 1, "in service on esxi-02.lab")], done
    assert rulebook.ledger("adopt", "refused: operator_needed") == []  # the moment it was split is no refusal
    rc, out = run("status")
    assert rc == 0 and "Hierarchy erp: in service on esxi-02.lab, generation %d" % (erp + 1) in out, out
    assert "adopt: the running VMs of erp were migrated from esxi-01.lab to esxi-02.lab" in out  # vCenter's event
    assert rulebook.ledger("failover") == [] and rulebook.ledger("recover") == []  # a migration is no failure
    assert dict((r, vm(lab, r)["moref"]) for r in VMS) == before  # nothing was restarted

    control("hosts/esxi-02.lab/poweroff")
    assert until(lambda: rulebook.ledger("failover", "done"), 120), rulebook.output()[-6000:]
    acts = rulebook.ledger("failover", "act")
    assert len(acts) == 1 and acts[0]["generation"] == erp + 2, acts
    for resource in VMS:
        seen = vm(lab, resource)
        assert (seen["host"], seen["power_state"]) == ("esxi-01.lab", "poweredOn")


# slow (make lab-slow): a lost lease's epoch refused is also the chaos suite's active_watcher_frozen_past_its_lease.
@pytest.mark.slow
def test_an_adopt_carrying_a_lost_watcher_lease_changes_nothing(erp, lab, client):
    # Issue 12: the adopt a watcher started after it lost its lease (its epoch is not vCenter's) is refused.
    ops = VmOperations(client)
    target = ops.hosts()["esxi-02.lab"]
    for resource in ("erp-db", "erp-app"):
        ops.relocate(vm(lab, resource)["moref"], target["moref"], target["pool"])
    before = len(ledger_lines())
    rc, out = run("adopt", "-e", "lease_epoch=999999")
    assert rc != 0 and "adopt of erp refused (stale_lease)" in out, out
    assert [(r["action"], r["decision"]) for r in ledger_lines()[before:]] == [("adopt", "refused: stale_lease")]
    rc, out = run("status")
    assert rc == 0 and "Hierarchy erp: in service on esxi-01.lab, generation %d" % erp in out, out
    rc, out = run("adopt")  # without a lease (by hand) it follows the VMs
    assert rc == 0 and where(out, "erp") == ("esxi-02.lab", erp + 1), out
