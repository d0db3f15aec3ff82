# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vm_health_info with a fake vSphere client: arguments in, result out."""
from __future__ import annotations

import json

import pytest


from ansible_collections.vigil.ha.plugins.module_utils.glue import vcenter_module
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereAuthenticationError
from ansible_collections.vigil.ha.plugins.modules import vm_health_info
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module as run_modules
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.inventory_fixture import inventory

CONN = {"hostname": "vc.example", "username": "monitor", "password": "s3cret-canary"}


class FakeClient(object):
    instances = []
    errors = []  # raised on connect when not empty

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.reads = 0
        self.closed = False
        FakeClient.instances.append(self)

    def __enter__(self):
        for error in FakeClient.errors:
            raise error
        return self

    def __exit__(self, *exc):
        self.closed = True

    def read_inventory(self, vm_properties, host_properties):
        self.reads += 1
        return inventory()


@pytest.fixture(autouse=True)
def fake_client(monkeypatch):
    FakeClient.instances = []
    FakeClient.errors = []
    monkeypatch.setattr(vcenter_module, "VsphereClient", FakeClient)
    monkeypatch.setattr(vcenter_module, "HAS_PYVMOMI", True)
    return FakeClient


def run_module(capsys, args):
    return run_modules(capsys, vm_health_info.main, args)


def test_reports_selection_in_one_read_and_one_session(capsys):
    rc, out = run_module(capsys, dict(CONN, names=["db1"], _ansible_check_mode=True))
    assert rc == 0
    assert out["changed"] is False
    assert [vm["name"] for vm in out["vms"]] == ["db1"]
    assert out["vms"][0]["verdict"] == "unknown"
    assert [h["name"] for h in out["hosts"]] == ["esx-b"]
    assert len(FakeClient.instances) == 1
    client = FakeClient.instances[0]
    assert client.reads == 1 and client.closed
    assert client.kwargs["validate_certs"] is True
    assert "s3cret-canary" not in json.dumps(out)


def test_compact_by_default_full_on_request(capsys):
    rc, compact = run_module(capsys, dict(CONN, names=["db2", "web"]))
    assert rc == 0
    assert compact["vms"] == [
        {"name": "db2", "moref": "vm-3", "uuid": "4213A1C5-AAAA", "host": "esx-a", "power_state": "poweredOff",
         "verdict": "failed", "reasons": ["powered off"]},
        {"name": "web", "moref": "vm-1", "uuid": "uuid-web", "host": "esx-a", "power_state": "poweredOn",
         "verdict": "ok"},
    ]
    assert compact["hosts"] == [{"name": "esx-a", "moref": "host-1", "cluster": "prod", "verdict": "ok"}]
    rc, full = run_module(capsys, dict(CONN, names=["db2", "web"], details="full", _ansible_check_mode=True))
    assert rc == 0
    assert full["summary"] == compact["summary"] == {"ok": 2, "degraded": 0, "failed": 1, "unknown": 0}
    db2 = full["vms"][0]
    assert (db2["folder"], db2["datacenter"], db2["instance_uuid"]) == ("/dc1/vm/db", "dc1", "inst-db2")
    assert db2["raw"]["power_state"] == db2["power_state"] == "poweredOff"
    assert full["vms"][1]["reasons"] == []
    assert full["hosts"][0]["raw"]["connection_state"] == "connected"


def test_unknown_details_value_names_the_field(capsys):
    rc, out = run_module(capsys, dict(CONN, details="everything"))
    assert rc == 1
    assert "details" in out["msg"] and "compact, full" in out["msg"]
    assert FakeClient.instances == []


def test_connection_options_from_environment(capsys, monkeypatch):
    monkeypatch.setenv("VMWARE_HOST", "env-vc")
    monkeypatch.setenv("VMWARE_USER", "env-user")
    monkeypatch.setenv("VMWARE_PASSWORD", "env-pass")
    monkeypatch.setenv("VMWARE_PORT", "8443")
    monkeypatch.setenv("VMWARE_CA_PATH", "/etc/ca.pem")
    rc, out = run_module(capsys, {})
    assert rc == 0
    kwargs = FakeClient.instances[0].kwargs
    assert (kwargs["hostname"], kwargs["username"], kwargs["port"], kwargs["ca_path"]) == (
        "env-vc", "env-user", 8443, "/etc/ca.pem")


def test_missing_vm_fails_naming_it(capsys):
    rc, out = run_module(capsys, dict(CONN, names=["web", "ghost"]))
    assert rc == 1
    assert out["failed"] is True
    assert out["msg"] == "VM not found: names=ghost"
    assert out["error"] == "not_found"


def test_client_errors_become_clear_failures(capsys):
    FakeClient.errors = [VsphereAuthenticationError("vCenter vc.example:443 refused the login of user monitor")]
    rc, out = run_module(capsys, CONN)
    assert rc == 1
    assert out["error"] == "authentication"
    assert "refused the login" in out["msg"]
    assert "s3cret-canary" not in json.dumps(out)


def test_missing_hostname_names_the_field(capsys, monkeypatch):
    monkeypatch.delenv("VMWARE_HOST", raising=False)
    rc, out = run_module(capsys, {"username": "u", "password": "p"})
    assert rc == 1
    assert "hostname" in out["msg"]
    assert FakeClient.instances == []


def test_bad_timeout_is_refused_before_connecting(capsys):
    rc, out = run_module(capsys, dict(CONN, timeout=0))
    assert rc == 1
    assert "timeout" in out["msg"]
    assert FakeClient.instances == []
