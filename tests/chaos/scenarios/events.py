# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Events that come twice, at once, or late. Each event carries the
generation it saw (expected_generation), as the rulebook passes it."""
from __future__ import annotations

from lab import PRIMARY, STANDBY
from scenario import scenario
from scenarios.common import generation, moved, refused, serves, unchanged


@scenario("same_event_twice", budget=120, fast=True,
          fault="node1 crashes and its failover event is delivered twice at once, then once more later",
          expect="exactly one run moves web (to node2, generation+1); the others do nothing (stale or locked)")
def same_event_twice(ctx):
    """Duplicates of an event cannot move the hierarchy twice: the lock and
    the generation let exactly one act."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    args = ("-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    waits = [ctx.start_playbook("failover", *args)[1] for dummy in range(2)]
    runs = [w() for w in waits]
    winners = [r for r in runs if r.rc == 0]
    ctx.expect(len(winners) == 1, "%d of 2 duplicate runs succeeded" % len(winners))
    loser = [r for r in runs if r.rc != 0][0]
    ctx.expect("refused (stale)" in loser.text or "is locked" in loser.text, "the duplicate failed otherwise: "
               + loser.text[-300:])
    moved(ctx, winners[0], STANDBY, gen + 1)
    refused(ctx, ctx.playbook("failover", *args), "stale")
    serves(ctx, STANDBY)
    unchanged(ctx, gen + 1, STANDBY)


@scenario("stale_event_after_failover", budget=150,
          fault="after a failover to node2, late events about node1 arrive (failover, recover) with the old generation",
          expect="both refused (stale), nothing moves; node1 back on serves nothing")
def stale_event_after_failover(ctx):
    """An event from before a move is stale after it, whatever it asks."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    moved(ctx, ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen),
          STANDBY, gen + 1)
    serves(ctx, STANDBY)
    ctx.fault("vms/%s/poweron" % PRIMARY)
    refused(ctx, ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen),
            "stale")
    refused(ctx, ctx.playbook("recover", "-e", "resource=web-app", "-e", "expected_generation=%d" % gen), "stale")
    unchanged(ctx, gen + 1, STANDBY)
    ctx.expect(list(ctx.lab.serving()) == [STANDBY], "serving: %s" % ctx.lab.serving())
