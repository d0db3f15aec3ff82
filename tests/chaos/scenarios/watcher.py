# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scenarios driven by the watcher: the event source vigil.ha.health and the
rulebook vigil.ha.auto_failover in the real ansible-rulebook (ctx.watcher()).
The scenario only injects the fault; the watcher reacts by itself, and the
scenario reads what a user reads: the events the source logged, the
decisions in the ledger, owner and generation in vCenter, who answers on
the virtual IP."""
from __future__ import annotations

import time

from target import PRIMARY, STANDBY
from scenario import WATCHER, scenario
from scenarios.common import generation, kill_app, serves, steps_ran, unchanged

# Printed after the fence and the compare-and-set in vCenter, before the
# first start is sent to node2 (playbooks/tasks/run_plan.yml).
STARTS = "TASK [Start it on the new node]"
# The source's start_grace for the watchers here: a run killed after the
# compare-and-set is taken over this long after the move (120 s by default).
GRACE = 20


def events_about(watcher, kind, name, to=None):
    return [e for e in watcher.events() if e["type"] == kind and e["name"] == name and to in (None, e["to"])]


def fences(ctx):
    """Every fence step any run of the scenario executed (a watcher's runs
    count once it was stopped: ctx.stop_watcher)."""
    return [s for run in ctx.runs for s in steps_ran(run) if s.startswith("fence")]


def failed_over_once(ctx, watcher, gen):
    """One failover act, web on node2 at gen + 1, node1 fenced once."""
    acts = watcher.ledger("failover", "act")
    ctx.expect(len(acts) == 1, "failover acts: %s" % [(a["decision"], a.get("generation")) for a in acts])
    ctx.expect(acts[0]["generation"] == gen + 1, "the failover planned generation %s" % acts[0]["generation"])
    ctx.expect(watcher.ledger("recover", "act") == [], "a recover ran: %s" % watcher.ledger("recover"))
    unchanged(ctx, gen + 1, STANDBY)


@scenario("watched_service_crash", budget=120, driver=WATCHER,
          fault="web-app is killed on node1 while the watcher runs",
          expect="one event (in_service -> failed), the rulebook runs recover once; same node, same generation")
def watched_service_crash(ctx):
    """The watcher alone turns one crash into one local recovery: one
    failure event, one recover, no failover, the owner and generation
    unchanged, and the recovered service is not recovered again."""
    gen, dummy = generation(ctx)
    watcher = ctx.watcher()
    kill_app(ctx, PRIMARY)
    ctx.until(lambda: watcher.ledger("recover", "done"), 90, "the watcher's recover is done in the ledger")
    serves(ctx, PRIMARY)
    ctx.sleep(15)   # later checks of the recovered service must not recover it again
    ctx.expect(len(events_about(watcher, "resource", "web-app", "failed")) == 1,
               "web-app failure events: %s" % events_about(watcher, "resource", "web-app"))
    ctx.expect(len(watcher.ledger("recover", "act")) == 1, "recover acts: %s" % watcher.ledger())
    ctx.expect(watcher.ledger("failover") == [], "a failover: %s" % watcher.ledger("failover"))
    unchanged(ctx, gen)
    serves(ctx, PRIMARY)


def killed_after_the_fence(ctx, whole_watcher):
    """node1 crashes; the watcher's failover run dies once it printed STARTS
    (after the fence and the compare-and-set). Either the whole watcher is
    killed and started again, or only the run, and the watcher runs on (its
    source gives the moved resources `start_grace` seconds). Either way web
    ends in service on node2, with one fence and one generation bump: the
    watcher finishes the move by a recovery on the owner vCenter names."""
    gen, dummy = generation(ctx)
    watcher = ctx.watcher(variables={"vigil_ha_start_grace": GRACE})
    ctx.fault("vms/%s/crash" % PRIMARY)
    end = time.monotonic() + 120
    while STARTS not in watcher.output():
        ctx.expect(time.monotonic() < end, "the watcher's failover never reached its first start: "
                   + watcher.output()[-2000:])
        time.sleep(0.05)
    if whole_watcher:
        watcher.kill()
        ctx.session_allowance, ctx.allowance_reason = 1, "the SIGKILLed watcher's source cannot log out"
        ctx.stop_watcher(watcher)   # its run joins ctx.runs (killed)
    else:
        watcher.kill_runs()
    ctx.sleep(3)   # a start already sent to node2 would show by now
    ctx.expect(generation(ctx) == (gen + 1, STANDBY), "after the kill vCenter holds %s" % (generation(ctx),))
    ctx.expect(not ctx.lab.vip_on(STANDBY) and ctx.lab.serving() == {},
               "something started before the kill: %s" % ctx.lab.serving())
    if whole_watcher:   # (a run killed alone joins ctx.runs when its watcher stops)
        ctx.expect(fences(ctx) == ["fence %s" % PRIMARY], "fences before the kill: %s" % fences(ctx))
    resumed = ctx.watcher(variables={"vigil_ha_start_grace": GRACE}) if whole_watcher else watcher
    serves(ctx, STANDBY, 150)
    ctx.sleep(10)   # nothing more may happen once it serves
    ctx.stop_watcher(resumed)
    ctx.expect(fences(ctx) == ["fence %s" % PRIMARY], "fenced again: %s" % fences(ctx))
    ctx.expect(len(watcher.ledger("failover", "act")) == 1, "failover acts: %s" % watcher.ledger("failover"))
    # The watcher sees web's resources failed on node2, the owner vCenter
    # names, and recovers them there: same generation, no fence.
    resumed_by = [(r["action"], r["decision"], r.get("generation")) for r in watcher.ledger()[1:]]
    ctx.expect(resumed_by and set(resumed_by) <= {("recover", "act", gen + 1), ("recover", "done", gen + 1)},
               "the watcher's decisions after the kill: %s" % resumed_by)
    ctx.note("the watcher resumed: " + "; ".join(r["reason"] for r in watcher.ledger("recover", "act")))
    unchanged(ctx, gen + 1, STANDBY)
    serves(ctx, STANDBY)


@scenario("watcher_killed_between_fence_and_start", budget=180, driver=WATCHER,
          fault="node1's VM crashes; the watcher (ansible-rulebook and its playbook run) is SIGKILLed after "
                "the fence step and before the first start",
          expect="the restarted watcher resyncs, sees web recorded on node2 but not in service, finishes the "
                 "start without a second fence; one generation bump in all")
def watcher_killed_between_fence_and_start(ctx):
    """A watcher that dies half way through a failover leaves vCenter naming
    node2 (the move was recorded after the fence) while nothing runs there.
    The restarted watcher finishes the move by itself: web answers on node2,
    no second fence, no second generation."""
    killed_after_the_fence(ctx, whole_watcher=True)


@scenario("failover_run_killed_under_watcher", budget=180, driver=WATCHER,
          fault="node1's VM crashes; the failover run the watcher started is SIGKILLed after the fence step "
                "and before the first start, while ansible-rulebook runs on",
          expect="once start_grace has passed the source reports web's resources failed on node2, the owner "
                 "vCenter names; the rulebook recovers them there: no second fence, one generation bump")
def failover_run_killed_under_watcher(ctx):
    """The same half-done failover with the watcher still running: its
    source saw the owner change and waits `start_grace` for the starts, then
    reports the resources failed on node2 and the rulebook recovers them."""
    killed_after_the_fence(ctx, whole_watcher=False)


@scenario("vcenter_restarted_while_watching", budget=180, driver=WATCHER,
          fault="vCenter goes down for 20 s and comes back while the watcher runs; node1's VM crashes during "
                "the outage",
          expect="the event source reconnects, resyncs and emits the crash once (no lost, no duplicate event); "
                 "one failover after vCenter is back")
def vcenter_restarted_while_watching(ctx):
    """A crash vCenter could not report is found by the resync after the
    restart, once, and failed over once; while vCenter is away nothing is
    fenced or started (at most a recorded call for an operator)."""
    gen, dummy = generation(ctx)
    watcher = ctx.watcher()
    ctx.fault("vcenter/stop")
    ctx.until(lambda: events_about(watcher, "vcenter", ctx.lab.vars["vcenter_hostname"], "disconnected"), 60,
              "the source reports vCenter disconnected")
    # The source could not log out of its session when the watch broke: a
    # real vCenter forgets it on restart, the simulator keeps it.
    ctx.session_allowance, ctx.allowance_reason = 1, "the source's session from before vCenter's restart"
    ctx.fault("vms/%s/crash" % PRIMARY)
    ctx.sleep(20)
    ctx.expect(watcher.ledger("failover", "act") == [] and ctx.lab.serving() == {},
               "acted without vCenter: %s, serving %s" % (watcher.ledger(), ctx.lab.serving()))
    ctx.fault("vcenter/start")
    serves(ctx, STANDBY, 150)
    ctx.sleep(10)
    ctx.stop_watcher(watcher)   # its runs join ctx.runs
    crashed = events_about(watcher, "vm", PRIMARY)
    ctx.expect([(e["from"], e["to"], e["resync"]) for e in crashed] == [("ok", "failed", True)],
               "node1's VM events: %s" % crashed)
    back = [(e["from"], e["to"], e["resync"]) for e in events_about(watcher, "vcenter", ctx.lab.vars["vcenter_hostname"])]
    ctx.expect(back == [("connected", "disconnected", False), ("disconnected", "connected", True)],
               "vCenter events: %s" % back)
    failed_over_once(ctx, watcher, gen)
    # While vCenter was away the http check saw web-app fail: at most a
    # refusal that asks for an operator, recorded.
    others = [(r["action"], r["decision"]) for r in watcher.ledger() if r["decision"] not in ("act", "done")]
    ctx.expect(set(d for a, d in others) <= {"wait_for_operator", "refused: operator_needed"},
               "other decisions: %s" % others)
    ctx.expect(fences(ctx) == ["fence %s" % PRIMARY], "fences: %s" % fences(ctx))
    serves(ctx, STANDBY)


def storm(ctx, fillers, seconds, crash_at):
    """Flap every filler VM (off/on) and its heartbeat, and node3's heartbeat
    (a cluster node outside web), for `seconds`; crash node1 at `crash_at`.
    Returns how many times node3's heartbeat went yellow."""
    began, rounds, crashed = time.monotonic(), 0, False
    while time.monotonic() - began < seconds:
        ctx.check()
        rounds += 1
        for name in fillers:
            ctx.lab.fault("vms/%s/%s" % (name, "crash" if rounds % 2 else "poweron"))
            ctx.lab.fault("vms/%s/heartbeat" % name, status="yellow" if rounds % 2 else "green")
        ctx.lab.fault("vms/node3/heartbeat", status="yellow" if rounds % 2 else "green")
        if not crashed and time.monotonic() - began >= crash_at:
            ctx.fault("vms/%s/crash" % PRIMARY)
            crashed = True
        time.sleep(1.5)   # held long enough to be seen: vcsim batches its updates on a 250 ms timer
    for name in fillers:
        ctx.lab.fault("vms/%s/poweron" % name)
        ctx.lab.fault("vms/%s/heartbeat" % name, status="green")
    ctx.lab.fault("vms/node3/heartbeat", status="green")
    ctx.expect(crashed, "the storm ended before node1 crashed")
    return (rounds + 1) // 2


@scenario("event_storm", budget=300, driver=WATCHER,
          fault="many resources and VMs change at once: 50 filler VMs crash and come back, heartbeats flap, "
                "and node1 crashes in the middle",
          expect="the event source emits one event per transition (no flood); the rulebook acts once for node1 "
                 "and not at all for resources outside hierarchies; runs stay within their budgets")
def event_storm(ctx):
    """Hundreds of changes outside the cluster's hierarchies make no event
    about fillers and no action; node3 (no hierarchy) yields exactly one
    event per transition of its heartbeat; node1's crash in the middle is
    one event and one failover."""
    fillers = ["filler-%05d" % i for i in range(1, int(ctx.lab.vars["lab_fillers"]) + 1)]
    ctx.expect(len(fillers) >= 50, "the lab has %d fillers, the storm needs 50 (make lab-start)" % len(fillers))
    ctx.on_cleanup(lambda: [ctx.lab.fault("vms/%s/poweron" % name) for name in fillers])
    gen, dummy = generation(ctx)
    watcher = ctx.watcher()
    flaps = storm(ctx, fillers[:50], 30, 15)
    serves(ctx, STANDBY, 150)
    ctx.sleep(10)
    ctx.stop_watcher(watcher)   # its runs join ctx.runs
    evs = watcher.events()
    ctx.note("%d events in all for %d heartbeat flaps of node3 and 50 flapping fillers" % (len(evs), flaps))
    ctx.expect(not [e for e in evs if e["name"].startswith("filler-")],
               "events about fillers: %s" % [e for e in evs if e["name"].startswith("filler-")][:3])
    node3 = [(e["from"], e["to"]) for e in events_about(watcher, "vm", "node3")]
    expected = [("ok", "degraded"), ("degraded", "ok")] * flaps
    ctx.expect(node3 == expected, "node3's events %s, expected one per transition %s" % (node3, expected))
    crashed = events_about(watcher, "vm", PRIMARY, "failed")
    ctx.expect(len(crashed) == 1, "node1's failure events: %s" % crashed)
    ctx.expect(set(r["action"] for r in watcher.ledger()) == {"failover"}, "decisions: %s" % watcher.ledger())
    failed_over_once(ctx, watcher, gen)
    ctx.expect(fences(ctx) == ["fence %s" % PRIMARY], "fences: %s" % fences(ctx))
