# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.health import verdicts as health

HOST_OK = {
    "runtime.connectionState": "connected",
    "runtime.powerState": "poweredOn",
    "runtime.inMaintenanceMode": False,
    "overallStatus": "green",
}
VM_OK = {
    "runtime.connectionState": "connected",
    "runtime.powerState": "poweredOn",
    "guest.toolsRunningStatus": "guestToolsRunning",
    "guestHeartbeatStatus": "green",
    "overallStatus": "green",
    "config.template": False,
}


@pytest.mark.parametrize("change, verdict, reason", [
    ({}, "ok", None),
    ({"runtime.connectionState": "notResponding"}, "failed", "host not responding to vCenter"),
    ({"runtime.connectionState": "disconnected"}, "unknown", "host disconnected from vCenter (not monitored)"),
    ({"runtime.connectionState": None}, "unknown", "connection state not reported"),
    ({"runtime.powerState": "poweredOff"}, "failed", "host powered off"),
    ({"runtime.powerState": "standBy"}, "degraded", "host in standby"),
    ({"runtime.powerState": "unknown"}, "unknown", "power state unknown"),
    ({"runtime.inMaintenanceMode": True}, "degraded", "host in maintenance mode"),
    ({"overallStatus": "red"}, "degraded", "overall status red (alarms raised)"),
    ({"overallStatus": "yellow"}, "degraded", "overall status yellow (alarms raised)"),
    ({"overallStatus": "gray"}, "ok", None),
])
def test_host_verdict(change, verdict, reason):
    v = health.host_verdict(dict(HOST_OK, **change))
    assert v.status == verdict
    assert v.reasons == ([reason] if reason else [])


@pytest.mark.parametrize("change, verdict, reason", [
    ({}, "ok", None),
    ({"runtime.powerState": "poweredOff"}, "failed", "powered off"),
    ({"runtime.powerState": "suspended"}, "failed", "suspended"),
    ({"runtime.powerState": None}, "unknown", "power state not reported"),
    ({"runtime.connectionState": "disconnected"}, "unknown", "VM disconnected"),
    ({"runtime.connectionState": "orphaned"}, "failed", "VM orphaned"),
    ({"runtime.connectionState": "inaccessible"}, "failed", "VM inaccessible"),
    ({"guestHeartbeatStatus": "red"}, "failed", "guest heartbeat red (guest OS not responding)"),
    ({"guestHeartbeatStatus": "yellow"}, "degraded", "guest heartbeat yellow (intermittent)"),
    ({"guestHeartbeatStatus": "gray"}, "degraded", "guest heartbeat not reported"),
    ({"guest.toolsRunningStatus": "guestToolsNotRunning", "guestHeartbeatStatus": "gray"},
     "degraded", "VMware Tools not running"),
    ({"guest.toolsRunningStatus": None, "guestHeartbeatStatus": None}, "ok", None),
    ({"overallStatus": "red"}, "degraded", "overall status red (alarms raised)"),
    ({"config.template": True, "runtime.powerState": "poweredOff"}, "ok", "template"),
])
def test_vm_verdict(change, verdict, reason):
    v = health.vm_verdict(dict(VM_OK, **change))
    assert v.status == verdict
    assert v.reasons == ([reason] if reason else [])


def test_worst_reason_comes_first():
    v = health.vm_verdict(dict(VM_OK, **{
        "guest.toolsRunningStatus": "guestToolsNotRunning", "guestHeartbeatStatus": "red", "overallStatus": "yellow"}))
    assert v.status == "failed"
    assert v.reasons == ["guest heartbeat red (guest OS not responding)", "VMware Tools not running",
                         "overall status yellow (alarms raised)"]


def test_vm_on_failed_host_names_the_host():
    host = ("esxi-02", health.host_verdict(dict(HOST_OK, **{"runtime.connectionState": "notResponding"})))
    v = health.vm_verdict(dict(VM_OK, **{"runtime.connectionState": "disconnected"}), host)
    assert v.status == "unknown"
    assert v.reasons == ["VM disconnected", "host esxi-02: host not responding to vCenter"]


def test_worst():
    assert health.worst([]) == "ok"
    assert health.worst(["ok", "unknown", "degraded"]) == "unknown"
    assert health.worst(["unknown", "failed"]) == "failed"
