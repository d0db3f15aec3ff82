# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher lease in vCenter custom attributes: acquire, renew, takeover, release, the fencing token."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
from ansible_collections.vigil.ha.plugins.module_utils.state import lease as wl
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateInputError
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import FakeAnnotations, FakeVcenter

T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


class Clock(object):
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


def lease(vc=None, clock=None, cluster="prod"):
    ann = FakeAnnotations(vc)
    return wl.Lease(ann, cluster, clock=clock or Clock()), ann


def test_free_lease_reads_epoch_zero_in_one_call():
    ls, ann = lease()
    got = ls.get()
    assert (got["holder"], got["epoch"], got["held"], got["free_since"]) == (None, 0, False, None)
    assert [c[0] for c in ann.vc.calls] == ["read"]


def test_acquire_writes_one_value_and_posts_an_event():
    ls, ann = lease()
    done = ls.acquire("w1", 15)
    assert done["changed"] and done["after"]["epoch"] == 1 and done["after"]["holder"] == "w1"
    key = ann.vc.fields["vigil.ha.watcher.prod"]
    assert ann.vc.values[key] == "holder=w1;epoch=1;expiry=2026-01-02T03:04:20Z;renewed=2026-01-02T03:04:05Z"
    assert ann.vc.events[-1]["message"] == "vigil.ha watcher lease prod: w1 acquired it (epoch 1)"
    assert ls.require(1)["holder"] == "w1"


def test_second_watcher_is_refused_while_held_and_takes_over_when_expired():
    clock = Clock()
    vc = FakeVcenter()
    one, ann = lease(vc, clock)
    two = wl.Lease(FakeAnnotations(vc), "prod", clock=clock)
    one.acquire("w1", 15)
    with pytest.raises(wl.LeaseBusyError) as err:
        two.acquire("w2", 15)
    assert "held by w1 (epoch 1)" in err.value.message and err.value.kind == "lease_busy"
    clock.advance(16)
    done = two.acquire("w2", 15)
    assert done["after"]["epoch"] == 2
    assert ann.vc.events[-1]["message"] == \
        "vigil.ha watcher lease prod: w2 took over from w1 (epoch 2; expired 2026-01-02T03:04:20Z)"
    with pytest.raises(wl.StaleLeaseError) as err:
        one.renew("w1", 1, 15)  # the old holder finds it lost
    assert err.value.kind == "stale_lease" and isinstance(err.value, VigilError)
    with pytest.raises(wl.StaleLeaseError):
        one.require(1)
    assert two.require(2)["holder"] == "w2"


def test_renew_keeps_the_epoch_and_is_one_read_one_write():
    clock = Clock()
    ls, ann = lease(clock=clock)
    ls.acquire("w1", 15)
    clock.advance(10)
    before = len(ann.vc.calls)
    done = ls.renew("w1", 1, 15)
    assert [c[0] for c in ann.vc.calls[before:]] == ["read", "set_field"]
    assert done["after"]["epoch"] == 1 and done["after"]["expiry"] == "2026-01-02T03:04:30Z" and not done["event"]
    clock.advance(10)
    assert ls.require(1)["held"]  # 20 s after the first acquire, renewed at 10
    assert ls.acquire("w1", 15, epoch=1)["after"]["epoch"] == 1  # acquire with the epoch held = renew


def test_require_refuses_an_expired_lease():
    clock = Clock()
    ls, dummy = lease(clock=clock)
    ls.acquire("w1", 15)
    clock.advance(15)
    with pytest.raises(wl.StaleLeaseError) as err:
        ls.require(1)
    assert "expired at 2026-01-02T03:04:20Z" in err.value.message and err.value.details["field"] == "epoch"


def test_a_restarted_watcher_acquiring_again_bumps_the_epoch():
    ls, dummy = lease()
    ls.acquire("w1", 15)
    assert ls.acquire("w1", 15)["after"]["epoch"] == 2  # no epoch given: runs of the former process go stale
    with pytest.raises(wl.StaleLeaseError):
        ls.require(1)


def test_release_bumps_the_epoch_and_frees_it():
    clock = Clock()
    ls, ann = lease(clock=clock)
    ls.acquire("w1", 15)
    done = ls.release("w1", 1)
    assert done["after"]["holder"] is None and done["after"]["epoch"] == 2
    assert ann.vc.events[-1]["message"] == "vigil.ha watcher lease prod: w1 released it (epoch 2)"
    got = ls.get()
    assert not got["held"] and got["free_since"] == "2026-01-02T03:04:05Z"
    assert ls.release("w1", 1)["changed"] is False
    assert ls.acquire("w2", 15)["after"]["epoch"] == 3


def test_two_watchers_racing_for_a_free_lease_one_wins():
    clock = Clock()
    vc = FakeVcenter()
    one, ann = lease(vc, clock)
    two = wl.Lease(FakeAnnotations(vc), "prod", clock=clock)
    ann.hooks["add_field"] = lambda: two.acquire("w2", 15)  # w2 completes between w1's read and its claim
    with pytest.raises(wl.LeaseBusyError):
        one.acquire("w1", 15)
    assert one.get()["holder"] == "w2" and one.get()["epoch"] == 1


def test_a_renewal_that_overwrote_a_takeover_is_read_through_the_claim():
    clock = Clock()
    vc = FakeVcenter()
    one, ann = lease(vc, clock)
    two = wl.Lease(FakeAnnotations(vc), "prod", clock=clock)
    one.acquire("w1", 15)
    clock.advance(16)
    stale_value = "holder=w1;epoch=1;expiry=2026-01-02T03:04:50Z;renewed=2026-01-02T03:04:21Z"
    two.acquire("w2", 15)
    ann.set_field(vc.fields["vigil.ha.watcher.prod"], stale_value)  # w1 frozen between its read and its write
    got = two.get()
    assert (got["holder"], got["epoch"]) == ("w2", 2)
    with pytest.raises(wl.StaleLeaseError):
        one.require(1)
    two.renew("w2", 2, 15)  # and the holder's renewal writes it back
    assert vc.values[vc.fields["vigil.ha.watcher.prod"]].startswith("holder=w2;epoch=2;")


def test_a_dead_claim_is_removed_after_twice_the_ttl():
    clock = Clock()
    ls, ann = lease(clock=clock)
    ann.add_field("vigil.ha.watcher.prod.from.0")  # a writer died between its claim and the claim's value
    with pytest.raises(wl.LeaseBusyError):
        ls.acquire("w1", 15)
    clock.advance(30)
    assert ls.acquire("w1", 15)["after"]["epoch"] == 1


def test_orphaned_mark_set_and_cleared_by_the_next_holder():
    clock = Clock()
    ls, ann = lease(clock=clock)
    ls.set_orphaned(T0)
    assert ls.get()["orphaned"] == "2026-01-02T03:04:05Z"
    assert ann.vc.events[-1]["message"] == "vigil.ha watcher lease prod: no watcher holds the lease since " \
        "2026-01-02T03:04:05Z"
    ls.acquire("w1", 15)
    assert ls.get()["orphaned"] is None


def test_check_mode_writes_nothing():
    ls, ann = lease()
    done = ls.acquire("w1", 15, check_mode=True)
    assert done["changed"] and done["after"]["epoch"] == 1 and ann.writes() == []


@pytest.mark.parametrize("call, field", [
    (lambda ls: ls.acquire("", 15), "holder"),
    (lambda ls: ls.acquire("w 1", 15), "holder"),
    (lambda ls: ls.acquire("w1", 0), "ttl"),
    (lambda ls: ls.renew("w1", 0, 15), "epoch"),
    (lambda ls: ls.require(True), "epoch"),
])
def test_bad_input_names_the_field_and_changes_nothing(call, field):
    ls, ann = lease()
    with pytest.raises(StateInputError) as err:
        call(ls)
    assert err.value.details["field"] == field and ann.vc.calls == []


def test_bad_cluster_names_the_field():
    with pytest.raises(StateInputError) as err:
        wl.Lease(FakeAnnotations(), "a.b")
    assert err.value.details["field"] == "cluster"


def test_corrupt_value_is_reported():
    ls, ann = lease()
    key = ann.add_field("vigil.ha.watcher.prod")
    ann.set_field(key, "garbage")
    with pytest.raises(wl.StateCorruptError):
        ls.get()
