# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fencing over a fake VmOperations: power off, verify, and never a success that is not seen."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.fencing.vcenter import FenceError, Fencer, fence_error_from
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import (
    VsphereConnectionError,
    VsphereNotFoundError,
    VsphereTaskError,
)


class FakeOps(object):
    def __init__(self, power="poweredOn", vm_conn="connected", host_conn="connected", off_after=0, task_error=None):
        self.vm = {"name": "node1-vm", "runtime.powerState": power, "runtime.connectionState": vm_conn,
                   "runtime.host": "host-1"}
        self.host = {"name": "esx-a", "runtime.connectionState": host_conn, "runtime.powerState": "poweredOn"}
        self.off_after = off_after  # reads after the task before vCenter shows poweredOff
        self.task_error = task_error
        self.calls = []

    def find_vm(self, uuid=None, moref=None):
        self.calls.append(("find_vm", uuid, moref))
        if moref not in (None, "vm-1") or uuid not in (None, "u-1"):
            raise VsphereNotFoundError("no VM with %s %s" % ("UUID" if uuid else "MoRef", uuid or moref),
                                       field="uuid" if uuid else "moref")
        return "vm-1"

    def vm_state(self, moref):
        self.calls.append(("vm_state", moref))
        if self.vm.get("pending_off") is not None:
            if self.vm["pending_off"] <= 0:
                self.vm["runtime.powerState"] = "poweredOff"
                del self.vm["pending_off"]
            else:
                self.vm["pending_off"] -= 1
        return dict(self.vm)

    def read(self, kind, morefs, paths):
        self.calls.append(("read", kind, tuple(morefs)))
        return {"host-1": dict(self.host)} if morefs == ["host-1"] else {}

    def power_off(self, moref, timeout=120):
        self.calls.append(("power_off", moref, timeout))
        if self.task_error:
            raise self.task_error
        self.vm["pending_off"] = self.off_after


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def fencer(ops):
    clock = Clock()
    return Fencer(ops, clock=clock, sleep=clock.sleep)


def test_powers_off_and_verifies_by_reading_again():
    ops = FakeOps()
    out = fencer(ops).fence(moref="vm-1", name="node1", timeout=30)
    assert out["fenced"] is True and out["changed"] is True
    assert (out["power_state"], out["host"], out["moref"], out["name"]) == ("poweredOff", "esx-a", "vm-1", "node1")
    assert out["diff"] == {"before": {"power_state": "poweredOn"}, "after": {"power_state": "poweredOff"}}
    kinds = [c[0] for c in ops.calls]
    assert kinds.index("power_off") < len(kinds) - 1 and kinds[-2:] == ["vm_state", "read"]  # verified after


def test_verification_waits_for_vcenter_to_show_it_off():
    ops = FakeOps(off_after=3)
    out = fencer(ops).fence(uuid="u-1", timeout=30)
    assert out["fenced"] is True and out["power_state"] == "poweredOff"


def test_not_seen_off_within_the_timeout_is_not_fenced():
    ops = FakeOps(off_after=10 ** 6)
    with pytest.raises(FenceError) as err:
        fencer(ops).fence(moref="vm-1", name="node1", timeout=2)
    assert err.value.result["fenced"] is False and err.value.result["power_state"] == "poweredOn"
    assert err.value.result["changed"] is True  # a power-off was sent
    assert "NOT fenced" in err.value.message


def test_already_off_is_fenced_without_change():
    ops = FakeOps(power="poweredOff")
    out = fencer(ops).fence(moref="vm-1", name="node1")
    assert out["fenced"] is True and out["changed"] is False
    assert "already powered off" in out["msg"]
    assert "power_off" not in [c[0] for c in ops.calls]


def test_suspended_is_powered_off():
    ops = FakeOps(power="suspended")
    out = fencer(ops).fence(moref="vm-1")
    assert out["fenced"] and out["changed"] and out["diff"]["before"]["power_state"] == "suspended"


@pytest.mark.parametrize("power", ["poweredOn", "poweredOff"])
def test_host_not_responding_cannot_be_fenced_whatever_it_shows(power):
    ops = FakeOps(power=power, vm_conn="disconnected", host_conn="notResponding")
    with pytest.raises(FenceError) as err:
        fencer(ops).fence(moref="vm-1", name="node1")
    result = err.value.to_dict()
    assert result["fenced"] is False and result["host"] == "esx-a"
    assert "cannot confirm" in result["msg"] and "host esx-a is not responding" in result["msg"]
    assert "fence it another way or confirm by hand" in result["msg"]
    assert "power_off" not in [c[0] for c in ops.calls]


@pytest.mark.parametrize("host_power", ["poweredOff", "standBy"])
def test_a_vm_on_a_host_vcenter_reports_off_is_fenced_without_a_power_off(host_power):
    ops = FakeOps(power="poweredOn", vm_conn="disconnected", host_conn="notResponding")
    ops.host["runtime.powerState"] = host_power
    out = fencer(ops).fence(moref="vm-1", name="erp-db")
    assert out["fenced"] is True and out["changed"] is False
    assert "which vCenter reports %s: it runs no VM" % host_power in out["msg"]
    assert "power_off" not in [c[0] for c in ops.calls]


def test_disconnected_vm_on_a_connected_host_cannot_be_fenced():
    ops = FakeOps(vm_conn="orphaned")
    with pytest.raises(FenceError) as err:
        fencer(ops).fence(moref="vm-1")
    assert "the VM is orphaned" in err.value.message
    assert "power_off" not in [c[0] for c in ops.calls]


def test_host_lost_during_the_power_off_is_not_fenced():
    ops = FakeOps()

    def lose_host(moref, timeout=120):
        ops.host["runtime.connectionState"] = "notResponding"
        ops.vm["runtime.powerState"] = "poweredOff"  # stale knowledge that must not count
    ops.power_off = lose_host
    with pytest.raises(FenceError) as err:
        fencer(ops).fence(moref="vm-1", timeout=1)
    assert err.value.result["fenced"] is False and "not responding" in err.value.message


def test_task_error_but_off_anyway_is_fenced():
    ops = FakeOps(task_error=VsphereTaskError("task PowerOff failed: InvalidPowerState"))
    ops.vm["pending_off"] = 0  # it crashed meanwhile
    out = fencer(ops).fence(moref="vm-1", timeout=5)
    assert out["fenced"] is True


def test_check_mode_changes_nothing():
    ops = FakeOps()
    out = fencer(ops).fence(moref="vm-1", name="node1", check_mode=True)
    assert out["changed"] is True and out["fenced"] is False and out["msg"].startswith("would power off node1")
    assert "power_off" not in [c[0] for c in ops.calls]


def test_check_mode_still_fails_when_fencing_is_impossible():
    ops = FakeOps(host_conn="notResponding")
    with pytest.raises(FenceError):
        fencer(ops).fence(moref="vm-1", check_mode=True)


def test_unknown_vm_is_not_fenced():
    with pytest.raises(FenceError) as err:
        fencer(FakeOps()).fence(uuid="nope", name="node9")
    assert err.value.result["fenced"] is False and "no VM with UUID nope" in err.value.message


@pytest.mark.parametrize("kwargs, field", [
    ({}, "uuid"),
    ({"moref": "vm-1", "timeout": 0}, "fence_timeout"),
    ({"moref": "vm-1", "timeout": 10000}, "fence_timeout"),
])
def test_bad_input_touches_nothing(kwargs, field):
    ops = FakeOps()
    with pytest.raises(FenceError) as err:
        fencer(ops).fence(**kwargs)
    assert err.value.result["field"] == field and ops.calls == []


def test_vcenter_errors_become_not_fenced():
    error = fence_error_from(VsphereConnectionError("cannot reach vCenter vc:443: refused"), name="node1")
    assert error.to_dict()["fenced"] is False and error.to_dict()["error"] == "connection"
    assert "cannot fence node1 through vCenter" in error.message


def test_a_host_whose_management_address_is_silent_is_not_trusted_though_vcenter_calls_it_connected():
    # Crashed a moment ago: vCenter has not noticed, its power-off would hang or lie. Another level decides.
    ops = FakeOps(power="poweredOn")
    with pytest.raises(FenceError) as info:
        fencer(ops).fence(moref="vm-1", name="erp-db", host_unanswered="management address does not answer: refused")
    assert "vCenter has not noticed yet" in info.value.message and "does not answer: refused" in info.value.message
    assert info.value.result["fenced"] is False
    assert "power_off" not in [c[0] for c in ops.calls]


def test_a_silent_host_that_vcenter_reports_off_is_fenced():
    ops = FakeOps(power="poweredOn", vm_conn="disconnected", host_conn="notResponding")
    ops.host["runtime.powerState"] = "poweredOff"  # powered off through its BMC meanwhile
    out = fencer(ops).fence(moref="vm-1", name="erp-db", host_unanswered="management address does not answer")
    assert out["fenced"] is True and out["changed"] is False
