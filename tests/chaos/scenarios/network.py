# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network faults: partitions, isolation, slow and lossy links.

The lab's kernel may lack sch_netem (tc netem); then a slow, lossy link is
a token bucket (tbf) with a small queue: a low rate (delay under load) and
tail drops (loss under load). netem is used when the kernel has it."""
from __future__ import annotations

import subprocess

from lab import nodes
from target import PRIMARY, STANDBY
from scenario import scenario
from scenarios.common import generation, healthy_on, isolate, moved, refused, serves, steps_ran, unchanged


@scenario("active_isolated", budget=120,
          fault="node1 is cut off every network (its VM stays on, it still holds the IP and the service)",
          expect="failover fences node1 (a real power-off, it cannot be asked), then node2 takes over")
def active_isolated(ctx):
    """An unreachable node may still serve: it is powered off through vCenter
    before node2 starts (the single-owner audit sees node1 holding the IP
    until then)."""
    gen, dummy = generation(ctx)
    isolate(ctx, PRIMARY)
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    ctx.expect(steps_ran(run)[0] == "fence node1" and ctx.lab.vm(PRIMARY)["power_state"] == "poweredOff",
               "node1 was not powered off first: %s" % steps_ran(run))
    serves(ctx, STANDBY)


@scenario("standby_isolated", budget=90,
          fault="node2 (standby) is cut off every network",
          expect="no action: a failover naming node2 is refused (not_owner), node2 is not fenced, web stays on node1")
def standby_isolated(ctx):
    """Losing the standby is not a reason to touch the active node or to
    fence the standby."""
    gen, dummy = generation(ctx)
    isolate(ctx, STANDBY)
    run = ctx.playbook("failover", "-e", "failed_node=" + STANDBY, "-e", "expected_generation=%d" % gen)
    refused(ctx, run, "not_owner")
    ctx.expect(ctx.lab.vm(STANDBY)["power_state"] == "poweredOn", "node2 was powered off")
    unchanged(ctx, gen)
    healthy_on(ctx, PRIMARY)
    serves(ctx, PRIMARY)


def partition(ctx, a, b):
    """a and b cannot reach each other; both reach the controller."""
    ctx.start_clock()
    for x, y in ((a, b), (b, a)):
        ctx.lab.ns_run(x, "ip", "route", "add", "blackhole", nodes.node_named(y).address)
        ctx.on_cleanup(lambda x=x, y=y: ctx.lab.ns_run(x, "ip", "route", "del", "blackhole",
                                                       nodes.node_named(y).address, check=False))
    probe = ctx.lab.ns_run(a, "ping", "-c", "1", "-W", "1", nodes.node_named(b).address, check=False)
    ctx.expect(probe.returncode != 0, "the partition did not cut %s from %s" % (a, b))


@scenario("partition_between_nodes", budget=90,
          fault="node1 and node2 cannot reach each other; both are alive and reach the controller",
          expect="no false failover: the controller still observes web in service on node1; a failover "
                 "event naming the standby is refused; nothing moves")
def partition_between_nodes(ctx):
    """A split between the nodes is not a failure of either: the controller
    (which decides) sees both, so nothing is fenced and nothing moves."""
    gen, dummy = generation(ctx)
    partition(ctx, PRIMARY, STANDBY)
    healthy_on(ctx, PRIMARY)
    refused(ctx, ctx.playbook("failover", "-e", "failed_node=" + STANDBY), "not_owner")
    unchanged(ctx, gen)
    ctx.expect([n for n in (PRIMARY, STANDBY) if ctx.lab.vm(n)["power_state"] != "poweredOn"] == [],
               "a node was powered off")
    serves(ctx, PRIMARY)


def degrade(ctx, node):
    """A slow, lossy link on both ends of node's veth: netem if the kernel
    has it, else a token bucket with a small queue."""
    n = nodes.node_named(node)
    netem = ["netem", "delay", "150ms", "50ms", "loss", "5%"]
    tbf = ["tbf", "rate", "512kbit", "burst", "4kb", "limit", "12kb"]
    kind = "netem"
    for ns, dev in ((n.ns, "eth0"), (None, n.veth)):
        pre = ["ip", "netns", "exec", ns] if ns else []
        for qdisc in (netem, tbf):
            shaped = subprocess.run(pre + ["tc", "qdisc", "replace", "dev", dev, "root"] + qdisc,
                                    capture_output=True, check=False)
            if shaped.returncode == 0:
                kind = qdisc[0]
                break
        else:
            raise RuntimeError("tc cannot shape %s (iproute2 missing?)" % dev)
    ends = ((["ip", "netns", "exec", n.ns], "eth0"), ([], n.veth))
    ctx.on_cleanup(lambda: [subprocess.run(pre + ["tc", "qdisc", "del", "dev", dev, "root"],
                                           capture_output=True, check=False) for pre, dev in ends])
    return kind


@scenario("lossy_slow_links", budget=240,
          fault="the links of node1 and node2 become slow and lossy (tc netem, or tbf when the kernel lacks netem)",
          expect="no false failover: checks still find web in service on node1, writes go on, a switchover "
                 "over the bad links still completes")
def lossy_slow_links(ctx):
    """Slow links make every call slower but are not failures: the bounded
    checks still see the service, and a move still completes correctly."""
    gen, dummy = generation(ctx)
    ctx.start_clock()
    kinds = sorted(set(degrade(ctx, n) for n in (PRIMARY, STANDBY)))
    ctx.note("links shaped with %s" % ",".join(kinds))
    healthy_on(ctx, PRIMARY)
    unchanged(ctx, gen)
    run = ctx.playbook("switchover", "-e", "target=" + STANDBY)
    moved(ctx, run, STANDBY, gen + 1)
    serves(ctx, STANDBY, 60)
