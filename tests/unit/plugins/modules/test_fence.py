# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha.fence with a fake client and fake VM operations: arguments in, result out."""
from __future__ import annotations

import json

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.glue import vcenter_module
from ansible_collections.vigil.ha.plugins.modules import fence
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereConnectionError
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.fencing.test_fencing import FakeOps

CONN = {"hostname": "vc.example", "username": "admin", "password": "s3cret-canary"}


class FakeClient(object):
    errors = []

    def __enter__(self):
        for error in FakeClient.errors:
            raise error
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def ops(monkeypatch):
    state = {"ops": FakeOps()}
    FakeClient.errors = []
    monkeypatch.setattr(vcenter_module, "HAS_PYVMOMI", True)
    monkeypatch.setattr(vcenter_module, "client_from_params", lambda p: FakeClient())
    monkeypatch.setattr(fence, "VmOperations", lambda client: state["ops"])
    return state


def run(capsys, **args):
    return run_module(capsys, fence.main, dict(CONN, **args))


def test_fences_and_reports(capsys, ops):
    rc, out = run(capsys, moref="vm-1", name="node1", _ansible_diff=True)
    assert rc == 0 and out["changed"] and out["fenced"] is True
    assert (out["power_state"], out["host"], out["moref"]) == ("poweredOff", "esx-a", "vm-1")
    assert out["diff"]["before"] == {"power_state": "poweredOn"}
    assert "s3cret-canary" not in json.dumps(out)


def test_already_off(capsys, ops):
    ops["ops"] = FakeOps(power="poweredOff")
    rc, out = run(capsys, uuid="u-1")
    assert rc == 0 and out["changed"] is False and out["fenced"] is True and "diff" not in out


def test_check_mode(capsys, ops):
    rc, out = run(capsys, moref="vm-1", _ansible_check_mode=True)
    assert rc == 0 and out["changed"] and out["fenced"] is False and "would power off" in out["msg"]
    assert "power_off" not in [c[0] for c in ops["ops"].calls]


def test_host_not_responding_fails_not_fenced(capsys, ops):
    ops["ops"] = FakeOps(vm_conn="disconnected", host_conn="notResponding")
    rc, out = run(capsys, moref="vm-1", name="node1")
    assert rc == 1 and out["failed"] and out["fenced"] is False and out["changed"] is False
    assert "host esx-a is not responding" in out["msg"] and "confirm by hand" in out["msg"]


def test_vcenter_unreachable_fails_not_fenced(capsys, ops):
    FakeClient.errors = [VsphereConnectionError("cannot reach vCenter vc.example:443: refused")]
    rc, out = run(capsys, moref="vm-1", name="node1")
    assert rc == 1 and out["fenced"] is False and out["error"] == "connection"
    assert out["msg"].startswith("cannot fence node1 through vCenter: cannot reach vCenter")


@pytest.mark.parametrize("args, words", [
    ({}, "one of the following is required: uuid, moref"),
    ({"uuid": "u-1", "moref": "vm-1"}, "mutually exclusive"),
    ({"moref": "vm-1", "fence_timeout": 0}, "fence_timeout: must be 1 to 900"),
    ({"moref": "vm-1", "timeout": 0}, "timeout: must be a positive"),
])
def test_bad_input_changes_nothing(capsys, ops, args, words):
    rc, out = run(capsys, **args)
    assert rc == 1 and words in out["msg"] and out.get("fenced") in (False, None)
    assert ops["ops"].calls == []
