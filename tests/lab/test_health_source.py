# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event source vigil.ha.health on its own, driven with asyncio as
ansible-rulebook drives it (main(queue, args)), against the lab: one event
per transition, none while nothing changes, and after a vCenter outage only
what really changed meanwhile."""
from __future__ import annotations

import asyncio
import json
import os

from cluster_runs import queued_events

from ansible_collections.vigil.ha.extensions.eda.plugins.event_source import health

LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".lab", "default")


def source_args(lab):
    return {"inventory": os.path.join(LAB, "cluster.yml"), "hostname": lab["vcenter_hostname"],
            "username": lab["vcenter_username"], "password": lab["vcenter_password"],
            "port": lab["vcenter_port"], "ca_path": lab["vcenter_ca_path"], "max_wait": 2, "timeout": 10}


def next_events(queue, seconds, wanted=None):
    """Events of the VMs and of vCenter (not the hierarchies' checks) within ``seconds``."""
    return queued_events(queue, seconds, ("vm", "vcenter"), wanted)


def run(lab, scenario):
    async def main():
        queue = asyncio.Queue()
        task = asyncio.create_task(health.main(queue, source_args(lab)))
        try:
            await asyncio.sleep(3)  # connected, first batch seen, nothing to report on a healthy lab
            return await scenario(queue)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            assert not task.done() or task.cancelled()  # main never returned on its own
    return asyncio.run(main())


def test_one_event_per_transition(lab, control):
    async def scenario(queue):
        assert await next_events(queue, 2) == []
        await asyncio.to_thread(control, "vms/node3/heartbeat?status=red")
        failed = await next_events(queue, 10, wanted=1)
        await asyncio.to_thread(control, "vms/node3/heartbeat?status=red")  # the same again: no news
        quiet = await next_events(queue, 3)
        await asyncio.to_thread(control, "vms/node3/heartbeat?status=green")
        back = await next_events(queue, 10, wanted=1)
        return failed, quiet, back
    try:
        failed, quiet, back = run(lab, scenario)
    finally:
        control("vms/node3/heartbeat?status=green")
    assert [(e["name"], e["node"], e["from"], e["to"]) for e in failed] == [("node3", "node3", "ok", "failed")]
    assert "guest heartbeat red" in failed[0]["reasons"][0]
    assert quiet == []
    assert [(e["from"], e["to"]) for e in back] == [("failed", "ok")]
    assert back[0]["seq"] == failed[0]["seq"] + 1 and back[0]["time"] > failed[0]["time"]
    assert lab["vcenter_password"] not in json.dumps(failed + back)


def test_after_an_outage_only_real_changes_are_reported(lab, control):
    async def scenario(queue):
        await asyncio.to_thread(control, "vcenter/stop")
        lost = await next_events(queue, 15, wanted=1)
        await asyncio.to_thread(control, "vms/node3/crash")  # happens while vCenter is away
        await asyncio.sleep(3)
        await asyncio.to_thread(control, "vcenter/start")
        resumed = await next_events(queue, 40, wanted=2)
        later = await next_events(queue, 5)
        return lost, resumed, later
    try:
        lost, resumed, later = run(lab, scenario)
    finally:
        control("vcenter/start")
        control("vms/node3/poweron")
    assert [(e["type"], e["from"], e["to"]) for e in lost] == [("vcenter", "connected", "disconnected")]
    assert [(e["type"], e["name"], e["from"], e["to"], e["resync"]) for e in resumed] == [
        ("vcenter", lab["vcenter_hostname"], "disconnected", "connected", True),
        ("vm", "node3", "ok", "failed", True)]
    assert later == []  # node1 and node2 did not change: nothing about them
