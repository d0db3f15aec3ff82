# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Events that come twice, at once, or late. Each event carries the
generation it saw (expected_generation), as the rulebook passes it."""
from __future__ import annotations

from lab import nodes
from lab.wait import ssh_open
from target import PRIMARY, STANDBY
from scenario import scenario
from scenarios.common import frozen_run, generation, moved, refused, serves, steps_ran, unchanged


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


@scenario("two_controllers_one_failure", budget=240, fast=True,
          fault="node1 crashes; two controllers (each its own lock and ledger) take the same failover event; "
                "the first is frozen (SIGSTOP) after its fence, just before it records the move in vCenter; the "
                "second fails web over to node2, node1 comes back, the second switches web back to node1; then "
                "the first resumes",
          expect="the second's moves hold (generation+2, node1 serves); the first is refused at the "
                 "compare-and-set (stale), writes nothing, starts nothing")
def two_controllers_one_failure(ctx):
    """Two controllers share no lock: only vCenter's compare-and-set of the
    generation stands between them. A controller frozen between its fence
    and its write cannot commit a move over the moves made meanwhile."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    args = ("-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    # Its steps before the commit are done: the write is next.
    resume = frozen_run(ctx, "failover", args, "TASK [Record the move in vCenter", "its write")
    moved(ctx, ctx.playbook("failover", *args, controller="b"), STANDBY, gen + 1)
    serves(ctx, STANDBY)
    ctx.fault("vms/%s/poweron" % PRIMARY)
    ctx.until(lambda: ssh_open(nodes.node_named(PRIMARY).address), 60, "node1 boots")
    moved(ctx, ctx.playbook("switchover", "-e", "target=" + PRIMARY, controller="b"), PRIMARY, gen + 2)
    serves(ctx, PRIMARY)
    first = resume()
    ctx.expect(first.rc != 0 and "stale" in first.text,
               "the frozen controller was not refused at the compare-and-set: rc=%s %s" % (first.rc, first.text[-500:]))
    ctx.expect(not [s for s in steps_ran(first) if s.startswith("start ")],
               "the frozen controller started something: %s" % steps_ran(first))
    ctx.expect("done" not in [line["decision"] for line in ctx.ledger_lines(first.ledger)],
               "the frozen controller recorded its failover as done")
    serves(ctx, PRIMARY)
    unchanged(ctx, gen + 2, PRIMARY)


@scenario("frozen_controller_after_a_move", budget=240,
          fault="node1 crashes; a first controller is frozen (SIGSTOP) right after its generation check; a second "
                "fails web over to node2; then the first resumes",
          expect="the first's fence step finds generation+1 in vCenter and is refused (stale): it fences, stops and "
                 "starts nothing, records refused: stale, asks for no operator; node2 keeps serving")
def frozen_controller_after_a_move(ctx):
    """A step belongs to its plan's generation: a run frozen past another
    run's move finds vCenter at a newer generation at its first step and
    stops there, before it fences, stops or starts anything."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    args = ("-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    resume = frozen_run(ctx, "failover", args, "TASK [Record the decision to act]", "its decision to act")
    moved(ctx, ctx.playbook("failover", *args, controller="b"), STANDBY, gen + 1)
    serves(ctx, STANDBY)
    first = resume()
    refused(ctx, first, "stale")
    ctx.expect(not steps_ran(first), "the frozen controller ran steps: %s" % steps_ran(first))
    ctx.expect("OPERATOR NEEDED" not in first.text, "a stale run asked for an operator")
    serves(ctx, STANDBY)
    unchanged(ctx, gen + 1, STANDBY)


@scenario("frozen_controller_after_its_commit", budget=300,
          fault="node1 crashes; a first controller fails web over to node2 and is frozen (SIGSTOP) right after it "
                "recorded the move, before its starts; node1 comes back and a second controller switches web to "
                "node1; then the first resumes",
          expect="the first's starts on node2 find generation+2 in vCenter and are refused (stale): it starts "
                 "nothing, records refused: stale; node1 alone serves")
def frozen_controller_after_its_commit(ctx):
    """The starts belong to the plan's new generation: a run frozen after
    its commit and resumed after another run's move starts nothing on its
    node, although the node itself cannot read vCenter (the controller checks
    before each node step)."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    args = ("-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    resume = frozen_run(ctx, "failover", args, "TASK [Start it on the new node]", "its starts")
    ctx.until(lambda: generation(ctx) == (gen + 1, STANDBY), 30, "the first controller's move is recorded")
    ctx.fault("vms/%s/poweron" % PRIMARY)
    ctx.until(lambda: ssh_open(nodes.node_named(PRIMARY).address), 60, "node1 boots")
    moved(ctx, ctx.playbook("switchover", "-e", "target=" + PRIMARY, controller="b"), PRIMARY, gen + 2)
    serves(ctx, PRIMARY)
    first = resume()
    refused(ctx, first, "stale")
    ctx.expect(not [s for s in steps_ran(first) if s.startswith("start ")],
               "the frozen controller started something: %s" % steps_ran(first))
    ctx.expect("OPERATOR NEEDED" not in first.text, "a stale run asked for an operator")
    serves(ctx, PRIMARY)
    unchanged(ctx, gen + 2, PRIMARY)
