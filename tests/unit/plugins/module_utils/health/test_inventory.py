# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.health.records import Selection, health_report
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereNotFoundError

from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.inventory_fixture import inventory


def names(records):
    return [r["name"] for r in records]


def test_everything_is_reported_with_place_and_verdict():
    report = health_report(inventory())
    assert names(report["vms"]) == ["db1", "db2", "solo", "web"]
    assert names(report["hosts"]) == ["esx-a", "esx-b", "esx-solo"]
    db1 = report["vms"][0]
    assert (db1["host"], db1["cluster"], db1["datacenter"], db1["folder"]) == ("esx-b", "prod", "dc1", "/dc1/vm/db")
    assert db1["verdict"] == "unknown"
    assert db1["reasons"] == ["VM disconnected", "host esx-b: host not responding to vCenter"]
    assert report["vms"][2]["cluster"] is None  # standalone host
    assert report["summary"] == {"ok": 4, "degraded": 0, "failed": 2, "unknown": 1}


def test_names_uuids_and_morefs_add_up():
    report = health_report(inventory(), Selection(names=["web"], uuids=["4213a1c5-aaaa"], morefs=["vm-4"]))
    assert names(report["vms"]) == ["db2", "solo", "web"]
    assert names(report["hosts"]) == ["esx-a", "esx-solo"]


def test_instance_uuid_selects():
    assert names(health_report(inventory(), Selection(uuids=["INST-WEB"]))["vms"]) == ["web"]


def test_folder_includes_subfolders_and_narrows():
    assert names(health_report(inventory(), Selection(folder="/dc1/vm/db"))["vms"]) == ["db1", "db2"]
    assert names(health_report(inventory(), Selection(folder="dc1/vm/"))["vms"]) == ["db1", "db2", "solo", "web"]
    assert names(health_report(inventory(), Selection(names=["web", "db1"], folder="/dc1/vm/db"))["vms"]) == ["db1"]


def test_cluster_narrows_vms_and_hosts():
    report = health_report(inventory(), Selection(cluster="prod"))
    assert names(report["vms"]) == ["db1", "db2", "web"]
    assert names(report["hosts"]) == ["esx-a", "esx-b"]


def test_named_hosts_join_a_vm_selection():
    report = health_report(inventory(), Selection(names=["web"]), host_names=["esx-b"])
    assert names(report["hosts"]) == ["esx-a", "esx-b"]
    with pytest.raises(VsphereNotFoundError, match="host not found: esx-z") as err:
        health_report(inventory(), Selection(names=["web"]), host_names=["esx-z"])
    assert err.value.to_dict()["field"] == "host_names"


def test_hosts_can_be_left_out():
    report = health_report(inventory(), include_hosts=False)
    assert report["hosts"] == []
    assert sum(report["summary"].values()) == 4


@pytest.mark.parametrize("selection, message", [
    (Selection(names=["web", "nope"]), "VM not found: names=nope"),
    (Selection(morefs=["vm-99"]), "VM not found: morefs=vm-99"),
    (Selection(uuids=["0000"]), "VM not found: uuids=0000"),
    (Selection(folder="/dc1/vm/missing"), "folder not found: /dc1/vm/missing"),
    (Selection(cluster="test"), "cluster not found: test"),
])
def test_missing_objects_are_named(selection, message):
    with pytest.raises(VsphereNotFoundError) as err:
        health_report(inventory(), selection)
    assert str(err.value) == message


def test_compact_keeps_who_where_verdict_and_reasons_only_when_not_ok():
    full = health_report(inventory())
    report = health_report(inventory(), details="compact")
    assert report["summary"] == full["summary"]
    by_name = dict((vm["name"], vm) for vm in report["vms"])
    assert list(by_name) == ["db1", "db2", "solo", "web"]
    assert by_name["web"] == {"name": "web", "moref": "vm-1", "uuid": "uuid-web", "host": "esx-a",
                              "power_state": "poweredOn", "verdict": "ok"}
    assert by_name["db2"]["power_state"] == "poweredOff"
    assert (by_name["db2"]["verdict"], by_name["db2"]["reasons"]) == ("failed", ["powered off"])
    assert by_name["db1"]["reasons"] == ["VM disconnected", "host esx-b: host not responding to vCenter"]
    hosts = dict((h["name"], h) for h in report["hosts"])
    assert hosts["esx-a"] == {"name": "esx-a", "moref": "host-1", "cluster": "prod", "verdict": "ok"}
    assert hosts["esx-b"]["reasons"] == ["host not responding to vCenter"]
    assert not any("raw" in r or "folder" in r for r in report["vms"] + report["hosts"])


def test_compact_selects_by_what_it_does_not_return():
    # instance UUID and folder are not in a compact record, yet they still select
    assert names(health_report(inventory(), Selection(uuids=["INST-WEB"]), details="compact")["vms"]) == ["web"]
    report = health_report(inventory(), Selection(folder="/dc1/vm/db"), details="compact")
    assert names(report["vms"]) == ["db1", "db2"]
