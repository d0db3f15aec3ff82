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
import urllib.request

import pytest
import yaml
from cluster_runs import LAB, playbook, where

pytestmark = pytest.mark.usefixtures("bare_nodes_after")

HOSTS = ("esxi-01.lab", "esxi-02.lab", "esxi-03.lab")
VMS = {"erp-db": "filler-00001", "erp-app": "filler-00002"}


def run(name, *extra):
    return playbook(name, *extra, inventory=os.path.join(LAB, "cluster-host.yml"), hierarchy="erp")


def vm(lab, resource):
    with urllib.request.urlopen("%s/vms?name=%s" % (lab["lab_control_url"], VMS[resource]), timeout=10) as resp:
        return json.load(resp)[0]


def steps_done(out):
    """The VM steps that ran, in the order they ran: [(action, resource, host)]."""
    return re.findall(r"TASK \[Step \d+: (start|stop) VM (\S+?)(?: on (\S+))?\] \**\s*changed", out)


@pytest.fixture
def erp(lab, control):
    """erp in service on esxi-01.lab, every host up; hosts put back afterwards."""
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
    control("vms/node1/poweron")  # node1 lives on esxi-01.lab too
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
