# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redundant watchers (issue 12): two real ansible-rulebook watchers with the
watcher lease on, each with a ledger of its own (two controllers). One is
active; SIGKILLed, the other takes the lease within ttl + renew and, when
the owner's VM crashes, fails the hierarchy over exactly once. A run that
carries an epoch vCenter no longer holds is refused and recorded."""
from __future__ import annotations

import re
import time

import pytest

from cluster_runs import ledger_lines, playbook, until, vip_answer

from ansible_collections.vigil.ha.plugins.module_utils.state.lease import Lease
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations

pytestmark = pytest.mark.usefixtures("bare_nodes_after")

TTL, RENEW = 15, 5
LEASE = {"vigil_ha_lease": True, "vigil_ha_lease_ttl": TTL, "vigil_ha_lease_renew": RENEW}


# tests/lab/test_watchers_from_role.py covers the same (deployed by the role, the machine killed) in make test.
@pytest.mark.slow
def test_the_standby_takes_over_a_killed_watcher_and_fails_over_once(web, rulebooks, control, client):
    a = rulebooks(variables=dict(LEASE, vigil_ha_watcher_id="watcher-a"))
    b = rulebooks(variables=dict(LEASE, vigil_ha_watcher_id="watcher-b"))
    watchers = {"watcher-a": a, "watcher-b": b}
    # A lease left by an earlier run expires within TTL; then exactly one of the two holds it.
    assert until(lambda: any(w.lease_epochs(n) for n, w in watchers.items()), TTL + 2 * RENEW + 5), \
        a.output()[-3000:] + b.output()[-3000:]
    time.sleep(RENEW + 1)
    active_name = [n for n, w in watchers.items() if w.lease_epochs(n)]
    assert len(active_name) == 1, active_name
    active_name = active_name[0]
    standby_name = [n for n in watchers if n != active_name][0]
    active, standby = watchers[active_name], watchers[standby_name]
    epoch = active.lease_epochs(active_name)[-1]

    active.kill()
    killed = time.monotonic()
    assert until(lambda: standby.lease_epochs(standby_name), TTL + RENEW + 5), standby.output()[-6000:]
    took = time.monotonic() - killed
    assert took <= TTL + RENEW + 2, took  # the tick itself takes a moment
    assert standby.lease_epochs(standby_name)[-1] > epoch

    control("vms/node1/crash")
    assert until(lambda: vip_answer() == "node2", 150), standby.output()[-6000:]
    standby.wait_for("PLAY RECAP", 120)
    time.sleep(10)
    acts = active.ledger("failover", "act") + standby.ledger("failover", "act")
    assert len(acts) == 1, (active.ledger(), standby.ledger())
    assert acts[0]["generation"] == web + 1
    assert standby.output().count("PLAY [Failover a hierarchy]") == 1
    # The run was checked against the lease (not skipped): the epoch reached the playbook.
    assert re.search(r"TASK \[vigil.ha.move : Check that the watcher that started this run still holds its lease\]"
                     r"|TASK \[Check that the watcher that started this run still holds its lease\]",
                     standby.output())
    assert "skipping: [localhost]" not in standby.output().split("still holds its lease]")[1][:300]
    assert vip_answer() == "node2"
    # Stopped (SIGTERM), the watcher hands the lease on at once.
    epoch = standby.lease_epochs(standby_name)[-1]
    standby.stop()
    lease = Lease(RootAnnotations(client), "vigil_ha_cluster").get()
    assert (lease["holder"], lease["epoch"], lease["held"]) == (None, epoch + 1, False), lease


def test_a_run_carrying_an_epoch_vcenter_no_longer_holds_does_nothing(web):
    before = len(ledger_lines())
    rc, out = playbook("switchover", "-e", "target=node2", "-e", "lease_epoch=999999",
                       "-e", "vigil_ha_cluster_group=vigil_ha_cluster")
    assert rc != 0, out
    assert "refused (stale lease)" in out, out
    lines = ledger_lines()[before:]
    assert [line["decision"] for line in lines] == ["refused: stale_lease"], lines
    assert vip_answer() == "node1"


def test_a_crash_seen_by_the_standby_before_it_takes_over_is_failed_over_once(web, rulebooks, control):
    # The active watcher dies and the owner's VM crashes at once: the standby sees the
    # failure while standby (no action), takes the lease, emits it again and fails over.
    a = rulebooks(variables=dict(LEASE, vigil_ha_watcher_id="watcher-a"))
    b = rulebooks(variables=dict(LEASE, vigil_ha_watcher_id="watcher-b"))
    watchers = {"watcher-a": a, "watcher-b": b}
    assert until(lambda: any(w.lease_epochs(n) for n, w in watchers.items()), TTL + 2 * RENEW + 5)
    active_name = [n for n, w in watchers.items() if w.lease_epochs(n)][0]
    standby_name = [n for n in watchers if n != active_name][0]
    active, standby = watchers[active_name], watchers[standby_name]
    active.kill()
    control("vms/node1/crash")
    standby.wait_for("standby watcher %s, no action for vm node1 failed" % standby_name, 30)
    assert until(lambda: vip_answer() == "node2", TTL + RENEW + 150), standby.output()[-6000:]
    standby.wait_for("PLAY RECAP", 120)
    time.sleep(10)
    replayed = [e for e in standby.events() if e.get("replay")]
    assert [(e["type"], e["to"], e["lease"]["active"]) for e in replayed] == [("vm", "failed", True)], replayed
    acts = active.ledger("failover", "act") + standby.ledger("failover", "act")
    assert len(acts) == 1, (active.ledger(), standby.ledger())
    assert acts[0]["generation"] == web + 1
