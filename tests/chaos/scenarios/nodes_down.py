# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The active node's VM or guest fails, or its ESXi host stops answering."""
from __future__ import annotations

from lab import nodes
from target import PRIMARY, STANDBY
from scenario import scenario
from scenarios.common import generation, healthy_on, isolate, moved, serves, steps_ran


@scenario("node_vm_crash", budget=90, fast=True,
          fault="the active node's VM powers off (vms/node1/crash)",
          expect="failover: the fence only confirms node1 is off, web starts on node2 at generation+1")
def node_vm_crash(ctx):
    """A node whose VM is off is fenced by confirmation (no second power
    operation) and the hierarchy moves to the next node, one generation up."""
    gen, dummy = generation(ctx)
    ctx.fault("vms/%s/crash" % PRIMARY)
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    ctx.expect(steps_ran(run)[0] == "fence node1" and "already off" in run.text, "no fence confirmation first")
    serves(ctx, STANDBY)


@scenario("guest_hang", budget=120,
          fault="node1's guest hangs: every process SIGSTOPped, links down, the VM still on in vCenter",
          expect="fenced (powered off through vCenter), then taken over by node2; when node1 powers on "
                 "again it serves nothing")
def guest_hang(ctx):
    """A hung guest may wake up at any time with the virtual IP and the
    service: it must be powered off before node2 starts, and after it comes
    back it holds nothing (the single-owner audit counts a hung node as
    serving, so a start before the fence breaks it). The failover is run as
    the watcher runs it for an unreachable node (failed_node_gone: node1 is
    fenced without being asked over SSH first); active_isolated runs it as
    an operator would, asking node1 first."""
    gen, dummy = generation(ctx)
    ctx.start_clock()
    ctx.lab.power_hook(PRIMARY, "suspended")
    ctx.until(lambda: ctx.lab.who_serves() is None, 10, "the hung node stops answering")
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "failed_node_gone=true",
                       "-e", "expected_generation=%d" % gen)
    moved(ctx, run, STANDBY, gen + 1)
    ctx.expect(steps_ran(run)[0] == "fence node1", "node1 was not fenced first: %s" % steps_ran(run))
    ctx.expect(ctx.lab.vm(PRIMARY)["power_state"] == "poweredOff", "node1's VM is not off after the fence")
    serves(ctx, STANDBY)
    ctx.fault("vms/%s/poweron" % PRIMARY)   # node1 comes back (a boot)
    ctx.sleep(3)
    ctx.expect(PRIMARY not in ctx.lab.serving(), "node1 serves again after it resumed: %s" % ctx.lab.serving())
    ctx.expect(ctx.lab.who_serves() == STANDBY, "node2 no longer answers on the virtual IP")


@scenario("host_not_responding", budget=120, fast=True,
          fault="the ESXi host under node1 stops responding (node1 may still run; vCenter cannot power it off)",
          expect="failover refused with OPERATOR NEEDED; nothing starts on node2; node1 keeps serving")
def host_not_responding(ctx):
    """No confirmed fence, no start elsewhere: when vCenter cannot fence the
    failed node, the failover stops and asks for an operator."""
    gen, dummy = generation(ctx)
    host = ctx.lab.vm(PRIMARY)["host"]
    ctx.fault("hosts/%s/fail" % host)
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    ctx.expect(run.rc != 0 and "OPERATOR NEEDED" in run.text, "failover did not stop for an operator")
    ctx.expect(not [s for s in steps_ran(run) if s.startswith("start")], "something started: %s" % steps_ran(run))
    ctx.expect(ctx.lab.serving().keys() == {PRIMARY}, "not node1 alone serving: %s" % ctx.lab.serving())
    ctx.expect(generation(ctx) == (gen, PRIMARY), "vCenter's record changed: %s" % (generation(ctx),))
    ctx.fault("hosts/%s/recover" % host)
    healthy_on(ctx, PRIMARY)
    serves(ctx, PRIMARY)


@scenario("esxi_host_isolated", budget=120,
          fault="node1's ESXi host is cut off: vCenter sees it not responding and node1's network is gone, "
                "but node1 still runs (it holds the IP and the service where nobody can see them)",
          expect="OPERATOR NEEDED, nothing starts on node2 (the IP's duplicate check cannot help: node1 is "
                 "out of sight); once the host is back, node1 serves again")
def esxi_host_isolated(ctx):
    """Only a confirmed fence allows a start elsewhere: an isolated host's VMs
    may run on unseen, and two nodes would then serve one address and one
    disk (the single-owner audit watches both namespaces)."""
    gen, dummy = generation(ctx)
    host = ctx.lab.vm(PRIMARY)["host"]
    ctx.fault("hosts/%s/fail" % host)
    isolate(ctx, PRIMARY)
    run = ctx.playbook("failover", "-e", "failed_node=" + PRIMARY, "-e", "expected_generation=%d" % gen)
    ctx.expect(run.rc != 0 and "OPERATOR NEEDED" in run.text, "failover did not stop for an operator")
    ctx.expect(not [s for s in steps_ran(run) if s.startswith("start")], "something started: %s" % steps_ran(run))
    ctx.expect(list(ctx.lab.serving()) == [PRIMARY], "serving: %s" % ctx.lab.serving())
    ctx.fault("hosts/%s/recover" % host)
    nodes.ip("link", "set", nodes.node_named(PRIMARY).veth, "up")
    healthy_on(ctx, PRIMARY)
    serves(ctx, PRIMARY)
