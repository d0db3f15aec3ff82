# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The event source with the watcher lease (issue 12): a standby's events say so, the
failures it saw are emitted again when it takes over, a lost lease makes it standby at once."""
from __future__ import annotations

import asyncio
import copy

import pytest

from test_cluster_view import HIERARCHIES, NODES, FakeLink, drive, first_batch, modify  # pylint: disable=import-error

from ansible_collections.vigil.ha.plugins.module_utils.config import validation
from ansible_collections.vigil.ha.plugins.module_utils.health import lease_keeper
from ansible_collections.vigil.ha.plugins.module_utils.health import source as health_source
from ansible_collections.vigil.ha.plugins.module_utils.state import lease as wl
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import FakeAnnotations, FakeVcenter


class LeaseLink(FakeLink):
    """The fake watch plus a lease in a fake vCenter shared with 'other watchers'."""

    def __init__(self, batches, states, vc):
        super(LeaseLink, self).__init__(batches, states)
        self.vc = vc
        self.client = object()
        self.ticks = 0

    def lease_tick(self, keeper, cluster):
        self.ticks += 1
        return keeper.tick(wl.Lease(FakeAnnotations(self.vc), cluster))

    def lease_release(self, keeper, cluster):
        keeper.release(wl.Lease(FakeAnnotations(self.vc), cluster))


def engine(link, steps, holder="w2", ttl=1):
    async def main():
        queue = asyncio.Queue()
        source = health_source.HealthSource(
            validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), queue, link,
            {"state_interval": 0.2, "node_check_interval": 3600, "reconnect_max": 0.1, "lease_renew": 0.2},
            ansible="/nonexistent/ansible", inventory="/nonexistent", name="vc",
            prober=lambda kind, name, params: ("in_service", ["ok"]),
            keeper=lease_keeper.LeaseKeeper(holder, ttl, 60), cluster_group="prod")
        return await drive(source, queue, steps)
    return asyncio.run(main())


def test_a_standby_marks_its_events_and_emits_the_pending_failure_again_when_it_takes_over():
    vc = FakeVcenter()
    other = wl.Lease(FakeAnnotations(vc), "prod")
    other.acquire("w1", 2)  # the active watcher, which then dies (stops renewing)
    crash = [modify("vm-1", **{"runtime.powerState": "poweredOff"})]
    link = LeaseLink([first_batch()], {"web": {"owner": "node1", "generation": 4}}, vc)
    evs = engine(link, [(0.5, lambda: link.batches.append(crash)), (2.5, None)])
    failed = [e for e in evs if e["type"] == "vm" and e["to"] == "failed"]
    assert [(e["lease"]["active"], e.get("replay", False)) for e in failed] == [(False, False), (True, True)]
    assert failed[1]["lease"] == {"holder": "w2", "epoch": 2, "active": True}
    assert failed[1]["generation"] == 4 and failed[0]["seq"] == failed[1]["seq"]
    assert "w2 took over from w1 (epoch 2; expired" in vc.events[-2]["message"]
    assert vc.events[-1]["message"] == "vigil.ha watcher lease prod: w2 released it (epoch 3)"  # stopped


def test_a_watcher_that_loses_the_lease_stands_by_at_once(caplog):
    vc = FakeVcenter()
    crash = [modify("vm-1", **{"runtime.powerState": "poweredOff"})]
    link = LeaseLink([first_batch()], {"web": {"owner": "node1", "generation": 4}}, vc)

    def stolen():  # another watcher took it (as after this one froze past its ttl)
        lease = wl.Lease(FakeAnnotations(vc), "prod")
        current = lease.read()
        lease._change(current, "w9", current["expiry"], lease.clock(), False)  # pylint: disable=protected-access
    evs = engine(link, [(0.5, stolen), (0.5, lambda: link.batches.append(crash)), (0.5, None)], ttl=5)
    failed = [e for e in evs if e["type"] == "vm" and e["to"] == "failed"]
    assert [e["lease"]["active"] for e in failed] == [False]
    assert "watcher w2 holds the lease of prod (epoch 1): active" in caplog.text
    assert "watcher w2 lost the lease of prod (held by w9): standby" in caplog.text


def test_without_a_keeper_every_event_is_active():
    link = FakeLink([first_batch(), [modify("vm-1", **{"runtime.powerState": "poweredOff"})]],
                    {"web": {"owner": "node1", "generation": 4}})

    async def main():
        queue = asyncio.Queue()
        source = health_source.HealthSource(
            validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), queue, link,
            {"state_interval": 0.2, "node_check_interval": 3600}, ansible="/nonexistent/ansible",
            inventory="/nonexistent", name="vc", prober=lambda kind, name, params: ("in_service", ["ok"]))
        return await drive(source, queue, [(0.8, None)])
    evs = asyncio.run(main())
    assert evs and all(e["lease"] == {"holder": None, "epoch": None, "active": True} for e in evs)


class Clock(object):
    now = 100.0

    def __call__(self):
        return self.now


def test_keeper_runs_out_by_its_own_count_when_vcenter_cannot_be_reached():
    clock = Clock()
    keeper = lease_keeper.LeaseKeeper("w1", 15, 60, clock=clock)
    lease = wl.Lease(FakeAnnotations(), "prod")
    assert keeper.tick(lease) == "acquired" and keeper.mark() == {"holder": "w1", "epoch": 1, "active": True}
    assert keeper.tick(lease) == "renewed"
    clock.now += 15  # no renewal got through since
    assert keeper.mark() == {"holder": "w1", "epoch": None, "active": False}


def test_a_standby_that_cannot_take_an_abandoned_lease_marks_it_orphaned():
    vc = FakeVcenter()
    lease = wl.Lease(FakeAnnotations(vc), "prod")
    lease.acquire("w1", 15)
    lease.ann.add_field("vigil.ha.watcher.prod.from.1")  # w1 died while taking it again: a claim without value
    later = lease.clock() + __import__("datetime").timedelta(seconds=90)
    lease.clock = lambda: later
    keeper = lease_keeper.LeaseKeeper("w2", 15, 60)
    assert keeper.tick(lease) == "standby"
    assert lease.get()["orphaned"] is not None
    assert "no watcher holds the lease since" in vc.events[-1]["message"]
    # The watcher that marked it tells once (the source's vigil_ha_watcher event, notifications): not again.
    assert wl.fmt(keeper.take_orphan_mark()) == lease.get()["orphaned"] and keeper.take_orphan_mark() is None
    assert keeper.tick(lease) == "standby" and keeper.take_orphan_mark() is None


@pytest.mark.parametrize("options, field", [
    ({"lease_ttl": 15, "lease_renew": 10, "lease_orphan_after": 60}, "lease_renew"),
    ({"lease_ttl": 0, "lease_renew": 1, "lease_orphan_after": 60}, "lease_ttl"),
])
def test_lease_options_are_checked(options, field):
    with pytest.raises(wl.StateInputError) as err:
        lease_keeper.check_options(options)
    assert err.value.details["field"] == field


def test_a_watcher_that_stops_releases_its_lease():
    vc = FakeVcenter()
    link = LeaseLink([first_batch()], {"web": {"owner": "node1", "generation": 4}}, vc)
    engine(link, [(0.5, None)], ttl=5)
    lease = wl.Lease(FakeAnnotations(vc), "prod").get()
    assert (lease["holder"], lease["epoch"], lease["held"]) == (None, 2, False)
    assert vc.events[-1]["message"] == "vigil.ha watcher lease prod: w2 released it (epoch 2)"


def test_a_standby_records_itself_once_per_ttl_and_status_lists_it():
    vc = FakeVcenter()
    ticks = iter([0.0, 0.0, 5.0, 5.0, 16.0, 16.0])
    lease = wl.Lease(FakeAnnotations(vc), "prod")
    lease.acquire("w1", 15)
    keeper = lease_keeper.LeaseKeeper("w2", 15, 60, clock=lambda: next(ticks))
    writes = []
    set_field = lease.ann.set_field

    def counted(key, value):
        writes.append(value)
        return set_field(key, value)
    lease.ann.set_field = counted
    assert keeper.tick(lease) == "standby"
    assert keeper.tick(lease) == "standby"  # 5 s later: not written again
    assert len(writes) == 1
    assert keeper.tick(lease) == "standby"  # a ttl later: written again
    assert len(writes) == 2
    got = lease.get()
    assert [w["id"] for w in got["standbys"]] == ["w2"] and got["standbys"][0]["seen_ago"] == 0
    assert got["holder"] == "w1"  # the holder is not listed among the standbys
