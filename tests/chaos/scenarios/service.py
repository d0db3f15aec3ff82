# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service fails on the active node: crash, hang, flapping."""
from __future__ import annotations

import re
import signal

from target import PRIMARY
from scenario import scenario
from scenarios.common import app_pid, generation, kill_app, moved, serves, signal_app, steps_ran


@scenario("service_crash", budget=90, fast=True,
          fault="web-app's process is killed (SIGKILL) on the active node",
          expect="local recovery in place (vigil.ha.recover): same node, same generation, no fence")
def service_crash(ctx):
    """A crashed service is restarted where it was: recovery in place comes
    before any move, and it does not change the owner or the generation."""
    gen, owner = generation(ctx)
    kill_app(ctx, PRIMARY)
    run = ctx.playbook("recover", "-e", "resource=web-app")
    moved(ctx, run, PRIMARY, gen)
    ctx.expect(steps_ran(run) == ["recover web-app on node1"],
               "recover did not restart web-app in place: " + run.text[-300:])
    serves(ctx, owner)


@scenario("service_hang", budget=120,
          fault="web-app is frozen (SIGSTOP) on the active node: its pid lives, it answers nothing",
          expect="the check times out, recover stops the hung process (SIGKILL after stop_timeout) and starts it in place")
def service_hang(ctx):
    """A hung service is found by its bounded check (not by its pid) and
    restarted in place; the hung process is gone afterwards."""
    gen, dummy = generation(ctx)
    hung = signal_app(ctx, PRIMARY, signal.SIGSTOP)
    ctx.until(lambda: ctx.lab.who_serves() is None, 10, "the hung service stops answering")
    run = ctx.playbook("recover", "-e", "resource=web-app")
    moved(ctx, run, PRIMARY, gen)
    serves(ctx, PRIMARY)
    ctx.expect(app_pid(PRIMARY) != hung and hung not in ctx.lab.app_pids(PRIMARY),
               "the hung process %d still runs" % hung)


@scenario("flapping_service", budget=420,
          fault="web-app crashes again every time it is started, on whichever node runs it",
          expect="local recoveries within the budget, then at most failover.max (3) moves in the window, "
                 "then refusals: bounded, no endless ping-pong")
def flapping_service(ctx):
    """A service that keeps crashing cannot make the cluster move without
    end: local recovery is bounded by local_recovery, moves by failover.max,
    and each refusal is recorded (the ledger audit)."""
    gen0, owner = generation(ctx)
    moves, refusals = 0, []
    for dummy in range(10):
        kill_app(ctx, owner)
        run = ctx.playbook("recover", "-e", "resource=web-app")
        if run.rc == 0:
            continue
        ctx.expect("refused (recovery_budget_exhausted)" in run.text, "recover failed: " + run.text[-300:])
        run = ctx.playbook("failover", "-e", "failed_node=" + owner)
        if run.rc != 0:
            refusals += re.findall(r"refused \((\w+)\)", run.text)
            break
        moves += 1
        owner = run.where()[0]
    ctx.note("%d moves, then refused: %s" % (moves, refusals))
    ctx.expect(1 <= moves <= 3, "%d moves for a flapping service (policy failover.max is 3)" % moves)
    ctx.expect(refusals, "the flapping never ended in a refusal")
    gen, owner_now = generation(ctx)
    ctx.expect(gen == gen0 + moves, "generation %d after %d moves from %d" % (gen, moves, gen0))
    # The application is fixed; the operator starts it where it is.
    run = ctx.playbook("start")
    ctx.expect(run.rc == 0, "start after the fix failed: " + run.text[-300:])
    serves(ctx, owner_now)
