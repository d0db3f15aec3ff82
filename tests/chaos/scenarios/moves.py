# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planned and unplanned moves that go wrong half way."""
from __future__ import annotations

import json
import os
import stat

from context import kill
from lab import nodes
from target import NODE_NAMES, PRIMARY, STANDBY
from scenario import scenario
from scenarios.common import generation, isolate, moved, refused, serves, steps_ran, unchanged


@scenario("standby_dies_during_switchover", budget=150, fast=True,
          fault="a switchover to node2 runs; node2's VM crashes as its first start begins",
          expect="the start fails, web is rolled back to node1 and the run says so; one node serves")
def standby_dies_during_switchover(ctx):
    """A target lost in the middle of a switchover does not leave the
    hierarchy nowhere: it goes back to the old node."""
    gen, dummy = generation(ctx)

    def crash(run, line, proc):  # pylint: disable=unused-argument
        if "TASK [Step 3: start web-vip on node2]" in line:
            ctx.lab.fault("vms/%s/crash" % STANDBY)
            ctx.start_clock()
    run = ctx.start_playbook("switchover", "-e", "target=" + STANDBY, on_line=crash)[1]()
    ctx.expect(run.rc != 0 and "rolled back to node1" in run.text, "no rollback: " + run.text[-400:])
    serves(ctx, PRIMARY)
    g, owner = generation(ctx)
    ctx.expect(owner == PRIMARY and g > gen, "vCenter holds %s" % ((g, owner),))


@scenario("unhealthy_standby_before_switchover", budget=60,
          fault="node2's VM is off when a switchover to it is asked",
          expect="refused (target_unhealthy) before anything runs; nothing changed")
def unhealthy_standby_before_switchover(ctx):
    """A switchover checks its target first and changes nothing when it is unfit."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % STANDBY)
    refused(ctx, ctx.playbook("switchover", "-e", "target=" + STANDBY), "target_unhealthy")
    unchanged(ctx, gen)
    serves(ctx, PRIMARY)


GUARD = {
    "check": '[ -e "$VIGIL_LAB_NODE_RUN/guard.up" ] && exit 0; exit 1\n',
    "start": 'mkdir -p "$VIGIL_LAB_NODE_RUN" && touch "$VIGIL_LAB_NODE_RUN/guard.up"\n',
    "stop": ('if [ -e "$VIGIL_LAB_NODE_DIR/guard.stop-fails" ]; then echo "guard: will not stop" >&2; exit 1; fi\n'
             'rm -f "$VIGIL_LAB_NODE_RUN/guard.up"\n'),
}


def guarded_inventory(ctx):
    """web with a script resource on top whose stop fails where a marker says."""
    for name in NODE_NAMES:
        d = os.path.join(nodes.node_named(name).data, "guard")
        os.makedirs(d, exist_ok=True)
        for action, body in GUARD.items():
            path = os.path.join(d, action)
            with open(path, "w", encoding="utf-8") as f:
                f.write("#!/bin/sh\n" + body)
            os.chmod(path, stat.S_IRWXU)
    return ctx.lab.write_inventory([{"name": "web-guard", "kind": "script", "depends_on": ["web-app"], "params": {
        "quick_check": "${VIGIL_LAB_NODE_DIR}/guard/check", "restore": "${VIGIL_LAB_NODE_DIR}/guard/start",
        "remove": "${VIGIL_LAB_NODE_DIR}/guard/stop", "timeout": 10}}], name="cluster-guarded.json")


@scenario("failing_stop_on_active", budget=150, lab_cluster=True,
          fault="a switchover to node2 runs; a resource's stop fails on node1 (its script exits 1)",
          expect="node1 cannot be trusted to have stopped: it is fenced, then web starts on node2")
def failing_stop_on_active(ctx):
    """A failed stop is treated as a node that may still serve: fence first."""
    inventory = guarded_inventory(ctx)
    marker = os.path.join(nodes.node_named(PRIMARY).data, "guard.stop-fails")
    ctx.on_cleanup(lambda: os.path.exists(marker) and os.remove(marker))
    run = ctx.playbook("start", inventory=inventory)
    ctx.expect(run.rc == 0, "the guard did not start: " + run.text[-300:])
    gen, dummy = generation(ctx)
    open(marker, "w").close()
    ctx.start_clock()
    run = ctx.playbook("switchover", "-e", "target=" + STANDBY, inventory=inventory)
    ctx.expect(run.rc == 0 and "stop failed on node1: it was fenced and web started on node2" in run.text,
               "not fenced and moved: " + run.text[-400:])
    ran = steps_ran(run)
    ctx.expect("fence node1" in ran and ran.index("fence node1") < ran.index("start web-vip on node2"),
               "the fence did not come before the start: %s" % ran)
    ctx.expect(ctx.lab.vm(PRIMARY)["power_state"] == "poweredOff", "node1 is not off")
    ctx.expect(generation(ctx)[1] == STANDBY and generation(ctx)[0] > gen, "vCenter: %s" % (generation(ctx),))
    serves(ctx, STANDBY)


@scenario("target_already_powered_off", budget=90,
          fault="node1 (to be fenced) was already powered off by an admin before the failover",
          expect="the fence counts an already-off VM as fenced (no power operation, no error); only node1 is off")
def target_already_powered_off(ctx):
    """Fencing is idempotent: a VM already off is a confirmed fence, and no
    other VM is touched."""
    gen, dummy = generation(ctx)
    run = ctx.playbook("fence", "-e", "node=" + PRIMARY, "-e", "confirm=" + PRIMARY)
    ctx.start_clock()
    ctx.expect(run.rc == 0, "the manual fence failed: " + run.text[-300:])
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    ctx.expect("already off" in run.text, "the fence did not see node1 already off")
    ctx.expect([n for n in NODE_NAMES if ctx.lab.vm(n)["power_state"] != "poweredOn"] == [PRIMARY],
               "powered off: %s" % [n for n in NODE_NAMES if ctx.lab.vm(n)["power_state"] != "poweredOn"])
    serves(ctx, STANDBY)


@scenario("two_vms_same_name", budget=120,
          fault="another VM is renamed node1 (vCenter allows it); then node1 is isolated",
          expect="the fence powers off node1 by its UUID; the other VM called node1 stays on")
def two_vms_same_name(ctx):
    """Nodes are named by UUID and MoRef, never by VM name: a namesake is
    never fenced."""
    gen, dummy = generation(ctx)
    real = ctx.lab.vm(PRIMARY)["moref"]
    twin = ctx.lab.fault("vms/filler-00003/rename", to=PRIMARY)["moref"]
    ctx.on_cleanup(lambda: ctx.lab.fault("vms/%s/rename" % twin, to="filler-00003"))
    isolate(ctx, PRIMARY)
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    power = dict((vm["moref"], vm["power_state"]) for vm in ctx.lab.vms(PRIMARY))
    ctx.expect(power == {real: "poweredOff", twin: "poweredOn"}, "by MoRef: %s" % json.dumps(power))
    serves(ctx, STANDBY)


@scenario("failover_killed_mid_step", budget=150,
          fault="the failover run is SIGKILLed while it starts web-vip on node2 (after the fence and the record)",
          expect="vCenter already names node2: a rerun of the same failover changes nothing (refused not_owner, "
                 "recorded) and vigil.ha.start finishes on node2: no second fence, no second generation")
def failover_killed_mid_step(ctx):
    """A controller that dies half way leaves a state the same command
    finishes: the lock of a dead run is free, the record says node2."""
    gen, dummy = generation(ctx)
    isolate(ctx, PRIMARY)

    def die(run, line, proc):  # pylint: disable=unused-argument
        if "TASK [Step 2: start web-vip on node2]" in line:
            kill(proc)
    run = ctx.start_playbook("failover", "-e", "failed_node=" + PRIMARY, on_line=die)[1]()
    ctx.expect(run.rc != 0, "the run was not killed")
    ctx.expect(generation(ctx) == (gen + 1, STANDBY), "after the kill vCenter holds %s" % (generation(ctx),))
    refused(ctx, ctx.playbook("failover", "-e", "failed_node=" + PRIMARY), "not_owner")
    run = ctx.playbook("start")
    ctx.expect(run.rc == 0 and run.where() == (STANDBY, gen + 1), "rerun: %s %s" % (run.where(), run.text[-300:]))
    ctx.expect(not [s for s in steps_ran(run) if s.startswith("fence")], "fenced again: %s" % steps_ran(run))
    serves(ctx, STANDBY)
    unchanged(ctx, gen + 1, STANDBY)
