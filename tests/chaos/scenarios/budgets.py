# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Budgets are the cluster's: controllers on two machines (each its own lock
and ledger) share them through vCenter's event log."""
from __future__ import annotations

import re

from scenario import scenario
from scenarios.common import generation, kill_app, refused, serves

MAX = 3  # the lab's policy.failover.max within its hour (lab/inventories.py)


@scenario("budget_across_two_controllers", budget=150, fast=True,
          fault="web-app crashes again wherever it runs; two controllers (each its own lock and ledger) take the "
                "failovers in turn",
          expect="at most failover.max (3) moves in all, not per controller; then the controller whose own ledger "
                 "holds fewer than 3 failovers refuses (failover_budget_exhausted)")
def budget_across_two_controllers(ctx):
    """Two watchers must not allow twice the failovers: each decision to
    fail over is an event in vCenter that every controller counts."""
    gen0, owner = generation(ctx)
    moves, refusal, controllers = 0, None, ("a", "b")
    for turn in range(2 * MAX):
        controller = controllers[turn % 2]
        kill_app(ctx, owner)
        run = ctx.playbook("failover", "-e", "failed_node=" + owner, controller=controller)
        if run.rc != 0:
            refusal = (controller, run)
            break
        moves += 1
        owner = run.where()[0]
    ctx.note("%d moves, then %s" % (moves, "refused by controller %s" % refusal[0] if refusal else "no refusal"))
    ctx.expect(refusal is not None, "%d moves by two controllers and no refusal (failover.max is %d)" % (moves, MAX))
    ctx.expect(moves == MAX, "%d moves in all for failover.max %d" % (moves, MAX))
    controller, run = refusal
    refused(ctx, run, "failover_budget_exhausted")
    acts = [line for line in ctx.ledger_lines(run.ledger) if line["action"] == "failover" and line["decision"] == "act"]
    ctx.expect(len(acts) < MAX, "controller %s's own ledger holds %d failovers: it proves nothing" % (
        controller, len(acts)))
    ctx.expect(all(line.get("budget", {}).get("recorded") for line in acts),
               "a failover of controller %s is not recorded in vCenter: %s" % (controller, acts))
    gen, owner_now = generation(ctx)
    ctx.expect(gen == gen0 + moves, "generation %d after %d moves from %d" % (gen, moves, gen0))
    # The application is fixed; the operator starts it where it is.
    run = ctx.playbook("start")
    ctx.expect(run.rc == 0, "start after the fix failed: " + run.text[-300:])
    ctx.expect(not re.search(r"refused \(\w+\)", run.text), "the start was refused: " + run.text[-300:])
    serves(ctx, owner_now)
