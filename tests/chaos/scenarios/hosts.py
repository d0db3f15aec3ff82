# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host mode: the ESXi host that runs erp's VMs (esxi-03.lab, lab.py HOST_*)
dies or hangs. Its fencing levels are vCenter, then its BMC through Debian's
fence_ipmilan (the lab's IPMI BMC). web keeps serving on node1 (esxi-01.lab)
throughout, under its audits; erp runs under two more (audits.py:
erp_generation, erp_vms: a VM on two hosts at once, a start before its host
was seen off, a start before what it depends on)."""
from __future__ import annotations

import os
import time

from ansible_collections.vigil.ha.plugins.module_utils.state.store import EVENT_PREFIX
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
from audits import client
from target import BMC_TIMEOUT, HOST_HIERARCHY, HOST_OWNER, HOST_STANDBY, LAB
from scenario import PLAYBOOKS, WATCHER, scenario
from scenarios.common import steps_ran
from scenarios.watcher import events_about

# How the host dies: dark at once (its management address silent, its VMs
# gone), while vCenter calls it connected for a minute, as a real one does.
NOTICE = 60


def erp_generation(ctx):
    """(generation, owner) of erp in vCenter now."""
    return [a for a in ctx.audits.all if a.name == "erp_generation"][0].read()


def erp_runs_on(ctx, host):
    """Every VM of erp runs on `host`, once, and nowhere else."""
    return all([(c["host"], c["power_state"], c["connection"]) for c in copies if c["power_state"] == "poweredOn"]
               == [(host, "poweredOn", "connected")] for copies in ctx.lab.host_vms().values())


def nothing_elsewhere(ctx):
    """No VM of erp is powered on on a host other than HOST_OWNER."""
    return [(r, c["host"]) for r, copies in ctx.lab.host_vms().items() for c in copies
            if c["power_state"] == "poweredOn" and c["host"] != HOST_OWNER]


def erp_run(ctx, name, *extra):
    return ctx.playbook(name, *extra, inventory=ctx.lab.host_inventory, hierarchy=HOST_HIERARCHY)


def operator_events(ctx):
    with client(ctx.lab) as c:
        return RootAnnotations(c).query_events(EVENT_PREFIX + HOST_HIERARCHY + ": OPERATOR NEEDED", 20)


BMC_LOG = os.path.join(LAB, "bmc.log")


def bmc_log_size():
    return os.path.getsize(BMC_LOG) if os.path.exists(BMC_LOG) else 0


def bmc_asked(since):
    """What the lab's BMCs were asked since offset `since` of their log (no password in it)."""
    with open(BMC_LOG, encoding="utf-8", errors="replace") as f:
        f.seek(since)
        return [line.split(" ", 1)[1].strip() for line in f if " " in line]


def fences(runs):
    return [s for run in runs for s in steps_ran(run) if s.startswith("fence")]


def vm_starts(act):
    """[(resource, host)] of a ledger act's VM starts, in plan order."""
    return [(s["resource"], s.get("node")) for s in (act.get("result") or {}).get("steps") or []
            if s.get("action") == "start"]


def moved_by_watcher(ctx, watcher, gen, bmc_since=None):
    """The watcher alone moved erp: one failover act at gen + 1, its VMs
    started on HOST_STANDBY in dependency order after one fence of
    HOST_OWNER (with bmc_since: through its BMC, powered off once)."""
    ctx.until(lambda: watcher.ledger("failover", "done"), 150, "the watcher's failover of erp is done in the ledger")
    ctx.until(lambda: erp_runs_on(ctx, HOST_STANDBY), 30, "erp's VMs run on %s" % HOST_STANDBY)
    ctx.recovered()
    ctx.sleep(10)   # nothing more may happen once they run
    ctx.stop_watcher(watcher)   # its runs join ctx.runs
    acts = watcher.ledger("failover", "act")
    ctx.expect(len(acts) == 1 and acts[0]["generation"] == gen + 1,
               "failover acts: %s" % [(a["decision"], a.get("generation")) for a in acts])
    ctx.expect(vm_starts(acts[0]) == [("erp-db", HOST_STANDBY), ("erp-app", HOST_STANDBY)],
               "the VMs' starts, in order: %s" % vm_starts(acts[0]))
    ctx.expect(watcher.ledger("recover", "act") == [], "a recover ran: %s" % watcher.ledger("recover"))
    ctx.expect(erp_generation(ctx) == (gen + 1, HOST_STANDBY), "vCenter holds %s" % (erp_generation(ctx),))
    ctx.expect(len(fences(ctx.runs)) == 1 and fences(ctx.runs)[0].startswith("fence " + HOST_OWNER),
               "fences: %s" % fences(ctx.runs))
    if bmc_since is not None:
        offs = [line for line in bmc_asked(bmc_since) if line == HOST_OWNER + ": poweroff"]
        ctx.expect(len(offs) == 1, "what %s's BMC was asked to power off: %s" % (HOST_OWNER, bmc_asked(bmc_since)))
    failed = events_about(watcher, "host", HOST_OWNER, "failed")
    ctx.expect(len(failed) == 1, "%s failure events: %s" % (HOST_OWNER, events_about(watcher, "host", HOST_OWNER)))
    ctx.note("erp's VMs ran on %s %.1fs after the fault" % (HOST_STANDBY, ctx.time_to_recover() or -1))


@scenario("host_crash_watched", budget=240, driver=WATCHER, host=True, fast=True,
          fault="esxi-03.lab, the host that runs erp's VMs, dies (hosts/esxi-03.lab/crash notice=%d: vCenter "
                "calls it connected for %d s) while the watcher runs on the host-mode cluster" % (NOTICE, NOTICE),
          expect="the watcher's probe of the host's management address sees it first; the watcher alone fails "
                 "erp over: the host fenced through its BMC (vCenter cannot vouch for a silent host) once, "
                 "erp-db then erp-app powered on on esxi-02.lab, generation + 1, each VM on one host at a time")
def host_crash_watched(ctx):
    """A host-mode hierarchy survives its host dying with the watcher
    running and nobody typing: one host event, one fence, one failover, the
    VMs started elsewhere in dependency order and never twice (the erp_vms
    audit samples every VM's copies each second), web untouched."""
    gen, owner = erp_generation(ctx)
    ctx.expect(owner == HOST_OWNER, "erp starts on %s, not %s" % (owner, HOST_OWNER))
    watcher = ctx.watcher(cluster=ctx.lab.host_inventory)
    since = bmc_log_size()
    ctx.fault("hosts/%s/crash" % HOST_OWNER, notice=NOTICE)
    moved_by_watcher(ctx, watcher, gen, bmc_since=since)
    failed = events_about(watcher, "host", HOST_OWNER, "failed")
    ctx.expect(failed and failed[0].get("observer") == "probe",
               "the first failure event came from %s, not the watcher's probe" % [e.get("observer") for e in failed])


@scenario("host_hang_bmc_fenced", budget=240, driver=WATCHER, host=True,
          fault="esxi-03.lab hangs (hosts/esxi-03.lab/fail: not responding in vCenter, its VMs still running) "
                "while the watcher runs; its BMC works",
          expect="vCenter's level cannot confirm, the BMC (fence_ipmilan, level 2) powers the host off and "
                 "confirms it; then erp-db and erp-app start on esxi-02.lab, never while the hung copies may run")
def host_hang_bmc_fenced(ctx):
    """A hung host's VMs may run on unseen: the erp_vms audit counts them as
    running until the host is seen powered off, so a start on esxi-02.lab
    before the BMC fenced the host breaks it. The fence goes through the
    second level, the BMC, and its password appears nowhere."""
    gen, dummy = erp_generation(ctx)
    watcher = ctx.watcher(cluster=ctx.lab.host_inventory)
    since = bmc_log_size()
    ctx.fault("hosts/%s/fail" % HOST_OWNER)
    moved_by_watcher(ctx, watcher, gen, bmc_since=since)
    ctx.expect(ctx.lab.hosts()[HOST_OWNER][1] == "poweredOff", "%s is not powered off after the fence: %s"
               % (HOST_OWNER, ctx.lab.hosts()[HOST_OWNER]))


@scenario("host_crash_bmc_unreachable", budget=180, driver=WATCHER, host=True,
          fault="esxi-03.lab stops responding (hosts/esxi-03.lab/fail) and its BMC is unreachable "
                "(bmc/esxi-03.lab/unreachable) while the watcher runs",
          expect="the watcher's failover acts once and stops at the fence: no level confirms, the rulebook prints "
                 "OPERATOR NEEDED and records wait_for_operator, an operator event in vCenter's log; nothing "
                 "starts on any other host; generation unchanged; no second attempt")
def host_crash_bmc_unreachable(ctx):
    """A host nobody can confirm off may still run its VMs: without a
    confirmed fence nothing starts anywhere (the erp_vms audit counts the
    hung copies as running), the operator is asked in vCenter's event log,
    and the watcher does not try again and again."""
    gen, dummy = erp_generation(ctx)
    alerts = len(operator_events(ctx))
    watcher = ctx.watcher(cluster=ctx.lab.host_inventory)
    ctx.fault("bmc/%s/unreachable" % HOST_OWNER)
    ctx.fault("hosts/%s/fail" % HOST_OWNER)
    ctx.until(lambda: watcher.ledger("failover", "wait_for_operator"), 150,
              "the watcher's failover stops for an operator (wait_for_operator in the ledger)")
    ctx.sleep(20)   # a start elsewhere, or a second attempt, would show by now
    ctx.stop_watcher(watcher)   # its runs join ctx.runs
    ctx.expect("vigil.ha: OPERATOR NEEDED for hierarchy %s on node %s" % (HOST_HIERARCHY, HOST_OWNER)
               in watcher.output(), "the rulebook did not print OPERATOR NEEDED")
    failovers = [r for r in ctx.runs if r.name == "watcher: Failover a hierarchy"]
    ctx.expect(len(failovers) == 1, "the watcher's failover runs: %s" % failovers)
    ctx.expect("no fencing level confirmed it off" in failovers[0].text,
               "not stopped for want of a fence: " + failovers[0].text[-600:])
    decisions = [(r["action"], r["decision"]) for r in watcher.ledger()]
    ctx.expect(decisions == [("failover", "act"), ("failover", "wait_for_operator")], "decisions: %s" % decisions)
    ctx.expect(len(operator_events(ctx)) == alerts + 1, "operator events in vCenter: %s, %d before"
               % (operator_events(ctx)[:2], alerts))
    ctx.expect(not nothing_elsewhere(ctx), "started elsewhere: %s" % nothing_elsewhere(ctx))
    ctx.expect(not [s for run in ctx.runs for s in steps_ran(run) if s.startswith("start")],
               "a start step ran: %s" % [steps_ran(r) for r in ctx.runs])
    ctx.expect(erp_generation(ctx) == (gen, HOST_OWNER), "vCenter's record moved: %s" % (erp_generation(ctx),))
    ctx.note(operator_events(ctx)[0]["message"][:160])


@scenario("host_fencing_levels_all_fail", budget=180, driver=PLAYBOOKS, host=True,
          fault="esxi-03.lab hangs (hosts/esxi-03.lab/fail) and its BMC answers every command %ds late, beyond "
                "the fence agent's timeout (%d s); the failover is run" % (BMC_TIMEOUT + 20, BMC_TIMEOUT),
          expect="level 1 (vCenter) cannot confirm, level 2 (the BMC) times out: OPERATOR NEEDED, an operator "
                 "event in vCenter, nothing started anywhere, the run bounded; once the BMC answers, the "
                 "failover completes")
def host_fencing_levels_all_fail(ctx):
    """Every fencing level failing is no confirmation: a slow BMC costs a
    bounded wait and a refusal, never a start beside VMs that may run; the
    same failover succeeds once the BMC answers again."""
    gen, dummy = erp_generation(ctx)
    alerts = len(operator_events(ctx))
    ctx.fault("bmc/%s/slow" % HOST_OWNER, seconds=BMC_TIMEOUT + 20)
    ctx.fault("hosts/%s/fail" % HOST_OWNER)
    began = time.monotonic()
    run = erp_run(ctx, "failover", "-e", "failed_node=" + HOST_OWNER, "-e", "expected_generation=%d" % gen)
    took = time.monotonic() - began
    ctx.note("the failover with no level confirming ended after %.0fs" % took)
    ctx.expect(run.rc != 0 and "OPERATOR NEEDED" in run.text and "no fencing level confirmed it off" in run.text,
               "the failover did not stop for an operator: " + run.text[-600:])
    ctx.expect(took < 150, "the failover took %.0fs" % took)
    ctx.expect(not [s for s in steps_ran(run) if s.startswith("start")], "started: %s" % steps_ran(run))
    ctx.expect(not nothing_elsewhere(ctx), "started elsewhere: %s" % nothing_elsewhere(ctx))
    ctx.expect(len(operator_events(ctx)) > alerts, "no operator event in vCenter")
    ctx.expect(erp_generation(ctx) == (gen, HOST_OWNER), "vCenter's record moved: %s" % (erp_generation(ctx),))
    ctx.fault("bmc/%s/recover" % HOST_OWNER)
    run = erp_run(ctx, "failover", "-e", "failed_node=" + HOST_OWNER, "-e", "expected_generation=%d" % gen)
    ctx.expect(run.rc == 0 and run.where() == (HOST_STANDBY, gen + 1), "the failover after the BMC came back: %s"
               % run.text[-600:])
    ctx.until(lambda: erp_runs_on(ctx, HOST_STANDBY), 30, "erp's VMs run on %s" % HOST_STANDBY)
    ctx.recovered()
