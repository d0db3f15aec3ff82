# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redundant watchers (issue 12, docs/eda.md "Redundant watchers"): two real
ansible-rulebook watchers with the watcher lease on, distinct watcher ids,
each its own ledger and locks (controllers "a" and "b", as on two
machines). Only the lease's holder acts; a watcher that lost its lease
(killed, frozen) acts on nothing, its runs refused by the epoch."""
from __future__ import annotations

import json
import os
import signal
import time

from lab.procs import process_groups
from proxy import Proxy
from target import PRIMARY, STANDBY
from scenario import WATCHER, scenario
from scenarios.common import generation, serves, unchanged
from scenarios.watcher import fences

# Short, so a takeover takes seconds: a dead holder is replaced within TTL + RENEW.
TTL, RENEW = 6, 2
# The first lease check of a run (playbooks/tasks/run_plan.yml): after the
# generation check, before the decision to act is recorded.
LEASE_CHECK = "still holds its lease]"


def two_watchers(ctx, proxies=None, **variables):
    """Start watcher-a (controller a) and watcher-b (controller b), lease on;
    wait until one holds the lease (one left by an earlier scenario expires
    within TTL). Returns (active, standby) as (name, rulebook) pairs.
    proxies: a dict filled with a Proxy (proxy.py) per watcher name, through
    which that watcher (its source and its playbooks) reaches vCenter."""
    watchers = {}
    for who in ("a", "b"):
        name = "watcher-" + who
        own = {}
        if proxies is not None:
            proxies[name] = Proxy(ctx.lab.vars["vcenter_hostname"], int(ctx.lab.vars["vcenter_port"]))
            own = {"vcenter_port": proxies[name].port}
        watchers[name] = ctx.watcher(controller=who, variables=dict(
            variables, vigil_ha_lease=True, vigil_ha_watcher_id=name,
            vigil_ha_lease_ttl=TTL, vigil_ha_lease_renew=RENEW, **own))
        if own:   # its playbooks too: the inventory's vCenter variables (read at each run)
            path = os.path.join(watchers[name].inventory, "group_vars", "all.json")
            with open(path, encoding="utf-8") as f:
                inventory_vars = json.load(f)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(dict(inventory_vars, **own), f)
            ctx.on_cleanup(proxies[name].close)   # after the watcher's stop (registered before): it logs out
    ctx.until(lambda: any(w.lease_epochs(n) for n, w in watchers.items()), TTL + 3 * RENEW + 10,
              "one of the two watchers holds the lease")
    ctx.sleep(RENEW + 1)   # a second holder would show by now
    active = [n for n, w in watchers.items() if w.lease_epochs(n)]
    ctx.expect(len(active) == 1, "watchers that hold the lease: %s" % active)
    standby = [n for n in watchers if n != active[0]][0]
    ctx.note("%s active (epoch %d), %s standby" % (active[0], watchers[active[0]].lease_epochs(active[0])[-1], standby))
    return (active[0], watchers[active[0]]), (standby, watchers[standby])


def decisions(watcher, start=0):
    return [(r["action"], r["decision"], r.get("generation")) for r in watcher.ledger()[start:]]


def one_failover(ctx, gen, watchers, by):
    """Across both watchers' ledgers: one failover act and one done, by `by`,
    at gen + 1; node1 fenced once (every watcher stopped before: their runs
    joined ctx.runs); web on node2 at gen + 1."""
    done = [(n, r) for n, w in watchers for r in w.ledger("failover", "done")]
    ctx.expect([n for n, dummy in done] == [by], "failovers done: %s" % [(n, r.get("generation")) for n, r in done])
    ctx.expect(done[0][1]["generation"] == gen + 1, "the failover's generation: %s" % done[0][1]["generation"])
    acts = [n for n, w in watchers for dummy in w.ledger("failover", "act")]
    ctx.expect(acts == [by], "failover acts: %s" % acts)
    ctx.expect(fences(ctx) == ["fence %s" % PRIMARY], "fences: %s" % fences(ctx))
    unchanged(ctx, gen + 1, STANDBY)
    serves(ctx, STANDBY)


def signal_all(watcher, sig):
    """Send sig to the watcher's process group and to each of its runs' (their own sessions)."""
    groups = process_groups(watcher.proc.pid)
    for pgid in groups:
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
    return groups


@scenario("active_watcher_killed", budget=240, driver=WATCHER,
          fault="two watchers with the lease; the active one is SIGKILLed (its whole process group), then "
                "node1's VM crashes",
          expect="the standby takes the lease within ttl + renew and fails web over to node2 exactly once: one "
                 "act and one done across both ledgers, generation+1, one fence")
def active_watcher_killed(ctx):
    """A dead watcher is no single point of failure: the standby, warm,
    takes the lease (a new epoch) and handles the crash as the active one
    would have, once."""
    gen, dummy = generation(ctx)
    (aname, active), (sname, standby) = two_watchers(ctx)
    epoch = active.lease_epochs(aname)[-1]
    active.kill()
    ctx.session_allowance, ctx.allowance_reason = 1, "the SIGKILLed watcher's source cannot log out"
    killed = time.monotonic()
    ctx.until(lambda: [e for e in standby.lease_epochs(sname) if e > epoch], TTL + 2 * RENEW + 10,
              "the standby takes the lease over")
    ctx.note("%s took the lease %.1f s after the kill (epoch %d)" % (
        sname, time.monotonic() - killed, standby.lease_epochs(sname)[-1]))
    ctx.fault("vms/%s/crash" % PRIMARY)
    serves(ctx, STANDBY, 150)
    ctx.until(lambda: standby.ledger("failover", "done"), 60, "the standby's failover is done in its ledger")
    ctx.sleep(10)   # nothing more may happen once it serves
    ctx.stop_watcher(active)
    ctx.stop_watcher(standby)
    ctx.expect(active.ledger() == [], "the killed watcher's ledger: %s" % decisions(active))
    one_failover(ctx, gen, [(aname, active), (sname, standby)], sname)


@scenario("active_watcher_frozen_past_its_lease", budget=300, driver=WATCHER,
          fault="two watchers with the lease; node1's VM crashes; the active watcher's failover run reaches its "
                "first lease check and the whole watcher (ansible-rulebook and the run) is frozen (SIGSTOP) "
                "for longer than lease_ttl; then it resumes (SIGCONT)",
          expect="the standby takes the lease, replays the crash it saw as standby and fails over once; the "
                 "resumed run is refused (stale_lease): it records no act and no done, fences nothing; one "
                 "failover in all")
def active_watcher_frozen_past_its_lease(ctx):
    """The epoch is a fencing token: a watcher frozen in the middle of a run
    cannot tell it lost its lease, but vCenter can. Resumed after the
    standby's takeover and failover, its run is refused at the lease check
    and does nothing (a failover that then waits for the compare-and-set
    would have recorded an act and fenced again)."""
    gen, dummy = generation(ctx)
    (aname, active), (sname, standby) = two_watchers(ctx)
    epoch = active.lease_epochs(aname)[-1]
    ctx.fault("vms/%s/crash" % PRIMARY)
    end = time.monotonic() + 120
    while LEASE_CHECK not in active.output():
        ctx.expect(time.monotonic() < end, "the active watcher's failover never reached its lease check: "
                   + active.output()[-2000:])
        time.sleep(0.02)
    groups = signal_all(active, signal.SIGSTOP)
    frozen = time.monotonic()
    ctx.cleanups.insert(0, lambda: signal_all(active, signal.SIGCONT))   # never leave it frozen (before its stop)
    ctx.expect(len(groups) > 1, "no run to freeze with the watcher: %s" % groups)
    before = len(active.ledger())
    ctx.note("%s frozen with its run; its ledger then: %s" % (aname, decisions(active)))
    ctx.until(lambda: [e for e in standby.lease_epochs(sname) if e > epoch], TTL + 2 * RENEW + 10,
              "the standby takes the lease over")
    serves(ctx, STANDBY, 150)
    ctx.until(lambda: standby.ledger("failover", "done"), 60, "the standby's failover is done in its ledger")
    ctx.expect(time.monotonic() - frozen > TTL, "frozen for less than the lease's ttl")
    ctx.note("frozen for %.1f s" % (time.monotonic() - frozen))
    signal_all(active, signal.SIGCONT)
    ctx.until(lambda: len(active.ledger()) > before, 60, "the resumed run records its decision")
    ctx.sleep(10)   # nothing more may happen once it resumed
    after = decisions(active, before)
    ctx.expect([d for dummy, d, dummy in after] == ["refused: stale_lease"],
               "the resumed watcher's decisions: %s" % after)
    ctx.expect(not [r for r in active.ledger() if r["decision"] in ("act", "done")],
               "the frozen watcher acted: %s" % decisions(active))
    ctx.stop_watcher(active)
    ctx.stop_watcher(standby)
    replayed = [(e["type"], e["name"], e["to"]) for e in standby.events() if e.get("replay")]
    ctx.note("replayed by %s: %s" % (sname, replayed))
    one_failover(ctx, gen, [(aname, active), (sname, standby)], sname)


@scenario("both_watchers_see_one_crash", budget=240, driver=WATCHER,
          fault="two watchers with the lease, both running; node1's VM crashes",
          expect="both see the crash; the active one fails over once (one fence, generation+1); the standby logs "
                 "its event as standby and records nothing")
def both_watchers_see_one_crash(ctx):
    """Two watchers see every failure twice; the lease makes it one action:
    the standby's rule prints that it does not act, and writes no ledger
    line."""
    gen, dummy = generation(ctx)
    (aname, active), (sname, standby) = two_watchers(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    serves(ctx, STANDBY, 150)
    ctx.until(lambda: active.ledger("failover", "done"), 60, "the active watcher's failover is done")
    ctx.sleep(10)
    # The standby first: the active one stopped first hands it the lease, and it would replay the
    # crash it saw as standby (a run refused as stale: active_watcher_frozen_past_its_lease).
    ctx.stop_watcher(standby)
    ctx.stop_watcher(active)
    for name, watcher in ((aname, active), (sname, standby)):
        crashed = [e for e in watcher.events() if e["type"] == "vm" and e["name"] == PRIMARY and e["to"] == "failed"]
        ctx.expect(len(crashed) == 1, "%s's node1 failure events: %s" % (name, crashed))
        ctx.expect(crashed[0]["lease"]["active"] is (watcher is active),
                   "%s's event carries lease %s" % (name, crashed[0]["lease"]))
    ctx.expect("standby watcher %s, no action for vm %s failed" % (sname, PRIMARY) in standby.output(),
               "the standby did not say it does not act")
    ctx.expect("PLAY [" not in standby.output(), "the standby ran a playbook")
    ctx.expect(standby.ledger() == [], "the standby's ledger: %s" % decisions(standby))
    one_failover(ctx, gen, [(aname, active), (sname, standby)], aname)


@scenario("active_watcher_cut_off", budget=300, driver=WATCHER,
          fault="two watchers with the lease, each reaching vCenter through a TCP proxy of its own; the active "
                "one's is cut (connections closed, new ones refused), then node1's VM crashes; after the "
                "failover its vCenter comes back",
          expect="the cut-off watcher stops acting when its lease runs out by its own count; the standby takes "
                 "the lease and fails over once; back, the cut-off one is standby and acts on nothing")
def active_watcher_cut_off(ctx):
    """A watcher that cannot reach vCenter cannot renew its lease: it counts
    it down by itself and goes standby, so the other one, which still
    reaches vCenter, acts. When it is back it finds another holder and stays
    standby: no act, no run."""
    gen, dummy = generation(ctx)
    proxies = {}
    (aname, active), (sname, standby) = two_watchers(ctx, proxies=proxies)
    epoch = active.lease_epochs(aname)[-1]
    seen = len(active.events())
    proxies[aname].cut()
    cut = time.monotonic()
    ctx.session_allowance, ctx.allowance_reason = 1, "the cut-off source's session, which it could not log out of"
    ctx.until(lambda: "watcher %s lost the lease" % aname in active.output(), TTL + 2 * RENEW + 10,
              "the cut-off watcher goes standby by its own count")
    ctx.note("%s went standby %.1f s after the cut" % (aname, time.monotonic() - cut))
    ctx.until(lambda: [e for e in standby.lease_epochs(sname) if e > epoch], TTL + 2 * RENEW + 10,
              "the standby takes the lease over")
    ctx.fault("vms/%s/crash" % PRIMARY)
    serves(ctx, STANDBY, 150)
    ctx.until(lambda: standby.ledger("failover", "done"), 60, "the standby's failover is done in its ledger")
    proxies[aname].restore()
    ctx.until(lambda: [e for e in active.events() if e["type"] == "vcenter" and e["to"] == "connected"
                       and e.get("resync")], 90, "the cut-off watcher reconnects")
    ctx.sleep(15)   # its resync and lease ticks: nothing may come of them
    ctx.expect("PLAY [" not in active.output(), "the cut-off watcher ran a playbook")
    ctx.expect(active.ledger() == [], "the cut-off watcher's ledger: %s" % decisions(active))
    late = [(e["type"], e["name"], e["to"], e["lease"]) for e in active.events()[seen:]
            if e["lease"]["active"] and e["type"] in ("vm", "node", "resource")]
    ctx.expect(not late, "the cut-off watcher's events as active: %s" % late)
    ctx.stop_watcher(active)
    ctx.stop_watcher(standby)
    one_failover(ctx, gen, [(aname, active), (sname, standby)], sname)
