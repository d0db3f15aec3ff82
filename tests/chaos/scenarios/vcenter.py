# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vCenter fails: down before or during a failover, slow."""
from __future__ import annotations

import time

from target import PRIMARY, STANDBY
from scenario import scenario
from scenarios.common import generation, isolate, moved, refused, serves, steps_ran


@scenario("vcenter_down_during_failover", budget=150, fast=True,
          fault="node1's VM crashes and vCenter is down when the failover runs",
          expect="refused (operator_needed): nothing starts anywhere; once vCenter is back the failover completes")
def vcenter_down_during_failover(ctx):
    """Without vCenter nothing can be fenced or recorded, so nothing is
    started: the run asks for an operator and the ledger says so."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    ctx.fault("vcenter/stop")
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY)
    refused(ctx, run, "operator_needed")
    ctx.expect(ctx.lab.serving() == {}, "something serves without vCenter: %s" % ctx.lab.serving())
    ctx.fault("vcenter/start")
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    serves(ctx, STANDBY)


@scenario("vcenter_down_mid_failover", budget=180,
          fault="node1 is isolated (on, unreachable); vCenter goes down the moment the fence step starts",
          expect="the fence fails, OPERATOR NEEDED, nothing starts on node2 while node1 may serve; "
                 "rerun after vCenter is back: fenced, then node2")
def vcenter_down_mid_failover(ctx):
    """The fence is the gate: a fence that cannot be confirmed stops the
    run before any start, and vCenter still names the old owner."""
    gen, dummy = generation(ctx)
    isolate(ctx, PRIMARY)

    def cut(run, line, proc):  # pylint: disable=unused-argument
        if "TASK [Step 1: fence node1]" in line:
            ctx.lab.fault("vcenter/stop")
    run = ctx.start_playbook("failover", "-e", "failed_node=" + PRIMARY, on_line=cut)[1]()
    ctx.expect(run.rc != 0 and "OPERATOR NEEDED" in run.text, "the run did not stop for an operator: "
               + run.text[-300:])
    ctx.expect(not [s for s in steps_ran(run) if s.startswith("start")], "started: %s" % steps_ran(run))
    ctx.expect(ctx.lab.vm(PRIMARY)["power_state"] == "poweredOn", "node1 went off although vCenter was down")
    ctx.fault("vcenter/start")
    ctx.expect(generation(ctx) == (gen, PRIMARY), "vCenter's record moved: %s" % (generation(ctx),))
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    serves(ctx, STANDBY)


SLOW = {"RetrievePropertiesEx": 700, "PowerOffVM_Task": 2000, "Login": 500, "SetField": 700}


@scenario("vcenter_slow", budget=420,
          fault="vCenter answers slowly (0.5-2 s a call), then one method hangs for longer than every timeout",
          expect="slow: the failover completes; hung: the run ends within its bounds (timeout 30 s a call), "
                 "refused, nothing started; then it completes")
def vcenter_slow(ctx):
    """Every call to vCenter is time-bounded: slowness costs time, a hang
    costs a refusal, never a start without a fence or a run that never ends."""
    gen, dummy = generation(ctx)
    isolate(ctx, PRIMARY)
    for method, ms in SLOW.items():
        ctx.fault("delay", method=method, ms=ms)
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    serves(ctx, STANDBY)
    ctx.note("failover with a slow vCenter took %.0fs" % (run.ended - run.started))
    # Now node2 is isolated and reads hang for 45 s (> timeout: 30).
    isolate(ctx, STANDBY)
    ctx.fault("delay", method="RetrievePropertiesEx", ms=45000)
    began = time.monotonic()
    run = ctx.playbook("failover", "-e", "failed_node=" + STANDBY)
    took = time.monotonic() - began
    ctx.note("failover with a hung vCenter ended after %.0fs" % took)
    ctx.expect(run.rc != 0 and took < 240, "rc=%s after %.0fs" % (run.rc, took))
    ctx.expect(not [s for s in steps_ran(run) if s.startswith("start")], "started: %s" % steps_ran(run))
    for method in list(SLOW) + ["RetrievePropertiesEx"]:
        ctx.fault("delay", method=method, ms=0)
    ctx.expect(generation(ctx)[1] == STANDBY, "the hung run moved the record: %s" % (generation(ctx),))
    ctx.lab.fault("vms/%s/poweron" % PRIMARY)   # node1 was fenced: a boot, it serves nothing
    run = ctx.playbook("failover", "-e", "failed_node=" + STANDBY)
    moved(ctx, run, PRIMARY, gen + 2)
    serves(ctx, PRIMARY)
