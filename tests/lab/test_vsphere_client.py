# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vSphere client against the lab: watch, tasks, session lifetime."""
from __future__ import annotations

import time

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import VsphereClient
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereTaskError

WATCHED = {"VirtualMachine": ["name", "runtime.powerState", "guestHeartbeatStatus"]}


def next_change(watch, moref, prop, deadline=10):
    """Batches until ``prop`` of ``moref`` changes; returns its new value."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for change in next(watch):
            if change["moref"] == moref and prop in change["changes"]:
                return change["kind"], change["changes"][prop]
    raise AssertionError("no change of %s.%s within %ss" % (moref, prop, deadline))


def test_watch_sees_initial_state_then_each_fault(client, control):
    watch = client.watch(WATCHED, max_wait=2)
    try:
        first = next(watch)
        names = dict((c["changes"]["name"], c["moref"]) for c in first)
        assert {"node1", "node2", "node3"} <= set(names)
        assert all(c["kind"] == "enter" for c in first)

        control("vms/node2/crash")
        assert next_change(watch, names["node2"], "runtime.powerState") == ("modify", "poweredOff")
        control("vms/node2/poweron")
        assert next_change(watch, names["node2"], "runtime.powerState") == ("modify", "poweredOn")
        control("vms/node3/heartbeat?status=red")
        assert next_change(watch, names["node3"], "guestHeartbeatStatus") == ("modify", "red")
    finally:
        control("vms/node3/heartbeat?status=green")
        watch.close()


def test_watch_times_out_quietly_when_nothing_changes(client):
    watch = client.watch({"HostSystem": ["name"]}, max_wait=1)
    try:
        assert len(next(watch)) == 3
        start = time.monotonic()
        assert next(watch) == []
        assert time.monotonic() - start < 5
    finally:
        watch.close()


def test_wait_for_task_returns_and_raises(client, lab, control):
    vms = client.retrieve({"VirtualMachine": ["name", "config.uuid"]})
    uuid = next(v["props"]["config.uuid"] for v in vms.values() if v["props"]["name"] == "filler-00003")
    vm = client.content.searchIndex.FindByUuid(None, uuid, True)
    try:
        assert client.wait_for_task(vm.PowerOffVM_Task(), timeout=10) is None
        with pytest.raises(VsphereTaskError) as err:
            client.wait_for_task(vm.PowerOffVM_Task(), timeout=10)
        assert "failed" in str(err.value)
    finally:
        control("vms/filler-00003/poweron")


def test_close_logs_the_session_out(lab, client):
    other = VsphereClient(lab["vcenter_hostname"], lab["vcenter_username"], lab["vcenter_password"],
                          port=lab["vcenter_port"], ca_path=lab["vcenter_ca_path"], timeout=10)
    with other:
        key = other.content.sessionManager.currentSession.key
        live = [s.key for s in client.content.sessionManager.sessionList]
        assert key in live
    assert other.si is None
    live = [s.key for s in client.content.sessionManager.sessionList]
    assert key not in live
