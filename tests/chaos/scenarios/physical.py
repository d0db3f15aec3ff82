# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A physical owner hangs, and the way back (physical-to-virtual, virtual-to-physical).

The cluster is lab/physical_cluster.py's: the lab's physical node phys1
(no VM, its own IPMI BMC, fenced with Debian's fence_ipmilan) and node3 (a
VM, fenced through vCenter), with the hierarchy pweb (virtual IP .101 and
the demo application, its data in one shared directory as web's) on phys1
first. The watcher (ansible-rulebook, vigil.ha.auto_failover) is the only
one that acts. `web` stays on node1 under the usual audits; pweb is watched
here as closely: never served by two nodes (a hung node counts as serving,
it may wake up), and its generation never goes down nor is acted on stale."""
from __future__ import annotations

import os
import threading

from audits import Generation
from target import CHAOS
from lab import nodes
from scenario import WATCHER, scenario
from scenarios.common import steps_ran

from lab import bmc as bmc_module
from lab import physical_cluster as physical_runs

PHYS, VM_NODE, H = physical_runs.PHYSICAL, "node3", physical_runs.HIERARCHY
SHARED = os.path.join(CHAOS, "shared", H)


class PwebAudits(object):
    """pweb's single owner and generation, sampled every second on a thread."""

    def __init__(self, ctx):
        self.ctx, self.lab = ctx, ctx.lab
        self.vip = physical_runs.vip(ctx.lab.vars)
        self.gen = Generation(ctx.lab, H)
        self.problems, self.stop = [], threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def serving(self):
        out = {}
        for name in (PHYS, VM_NODE):
            node = nodes.node_named(name)
            if not node.ns_exists() or node.power() == "poweredOff":
                continue
            addrs = nodes.ip("-n", node.ns, "-o", "-4", "addr", "show", "dev", "eth0", check=False).stdout
            apps = [p for p in node.pids() if SHARED in nodes.read_text("/proc/%d/cmdline" % p).replace("\0", " ")
                    and nodes.alive(p)]
            held = (["vip"] if " %s/" % self.vip in addrs else []) + (["app"] if apps else [])
            if held:
                out[name] = held
        return out

    def sample(self):
        serving = self.serving()
        if len(serving) > 1:
            return "%s served by %d nodes at once: %s" % (H, len(serving), serving)
        return self.gen.sample()

    def loop(self):
        while not self.stop.wait(1.0):
            problem = self.sample()
            if problem:
                self.problems.append(problem)

    def start(self):
        self.gen.start(self.ctx)
        self.thread.start()
        return self

    def finish(self):
        self.stop.set()
        self.thread.join(5)
        return self.problems + self.gen.finish(self.ctx)


def put_back(ctx, inventory):
    """phys1 on and its BMC answering, node3 on, pweb stopped: the nodes bare for what follows."""
    nodes.ip("link", "set", nodes.node_named(PHYS).veth, "up", check=False)
    ctx.lab.fault("vms/%s/poweron" % VM_NODE)
    if nodes.node_named(PHYS).power() != "poweredOn":
        physical_runs.power("poweredOff")   # hung or crashed: a reset
        physical_runs.power("poweredOn")
    run = ctx.playbook("stop", "-e", inventory[1], inventory=inventory[0], hierarchy=H)
    if run.rc != 0:
        raise RuntimeError("pweb did not stop: %s" % run.text[-300:])


def failovers(ctx):
    """The steps of each failover run the watcher made, in order."""
    return [steps_ran(r) for r in ctx.runs if r.name.startswith("watcher: Failover")]


def bmc_power_offs():
    """The power-offs phys1's BMC was asked for (its log, bmc.log)."""
    return nodes.read_text(bmc_module.path("default", "bmc.log")).count("%s: poweroff" % PHYS)


@scenario("physical_owner_hung", budget=420, driver=WATCHER,
          fault="phys1, a physical server holding pweb, hangs (on, silent); later, with phys1 powered on "
                "again through its BMC, node3's VM crashes",
          expect="the watcher fences phys1 through its BMC (fence_ipmilan, confirmed off) and starts pweb on "
                 "node3; then fences node3 through vCenter and starts pweb on phys1; never two owners")
def physical_owner_hung(ctx):
    """Physical-to-virtual and back with nobody typing: a physical node has
    no VM, so only its management controller can make sure it serves
    nothing; a hung one would wake up holding the address and the disk."""
    bmc = physical_runs.bmc(ctx.lab.vars)
    ctx.canaries.append(bmc["password"])
    os.makedirs(SHARED, exist_ok=True)
    inventory = physical_runs.write(ctx.lab.vars, ctx.dir, VM_NODE, data_dir=SHARED, secret_in_inventory=True)
    ctx.on_cleanup(lambda: put_back(ctx, inventory))
    put_back(ctx, inventory)
    run = ctx.playbook("start", "-e", inventory[1], "-e", "target=" + PHYS, inventory=inventory[0], hierarchy=H)
    ctx.expect(run.rc == 0 and run.where()[0] == PHYS, "pweb did not start on phys1: %s" % run.text[-300:])
    gen = run.where()[1]

    def answer():
        return physical_runs.vip_answer(ctx.lab.vars)
    ctx.until(lambda: answer() == PHYS, 15, "phys1 answers on pweb's address")
    audits = PwebAudits(ctx).start()
    offs = bmc_power_offs()
    try:
        watcher = ctx.watcher(cluster=inventory[0])
        ctx.start_clock()
        physical_runs.power("suspended")   # the hang: link down, every process stopped, power on
        ctx.until(lambda: answer() == VM_NODE, 180, "node3 answers on pweb's address after phys1 hung")
        ctx.recovered()
        ctx.expect(nodes.node_named(PHYS).power() == "poweredOff", "phys1 was not powered off by its BMC")
        ctx.expect("Chassis Power is off" in physical_runs.ipmitool(bmc, "power", "status"),
                   "phys1's BMC does not say off")
        ctx.until(lambda: [r for r in watcher.ledger("failover", "done") if r.get("generation") == gen + 1],
                  30, "the watcher's failover done at generation gen+1 in the ledger")
        # The way back: phys1 powered on through its BMC (a fresh boot, serving nothing), node3 crashes.
        physical_runs.ipmitool(bmc, "power", "on")
        ctx.until(lambda: nodes.node_status(nodes.node_named(PHYS))["ssh"], 15, "phys1 boots")
        ctx.expect(answer() == VM_NODE, "pweb moved when phys1 came back (switchback is manual)")
        ctx.fault("vms/%s/crash" % VM_NODE)
        ctx.until(lambda: answer() == PHYS, 180, "phys1 answers on pweb's address after node3 crashed")
        ctx.until(lambda: [r for r in watcher.ledger("failover", "done") if r.get("generation") == gen + 2],
                  30, "the watcher's failover done at generation gen+2 in the ledger")
        ctx.stop_watcher(watcher)
        ctx.expect(bmc_power_offs() - offs == 1, "phys1's BMC powered it off %d times" % (bmc_power_offs() - offs))
        done = [steps for steps in failovers(ctx) if steps and "start" in steps[-1]]
        ctx.expect([steps[0] for steps in done] == ["fence %s (its fencing levels, in order)" % PHYS,
                                                    "fence %s" % VM_NODE],
                   "the failovers' first steps (a fence before any start): %s" % done)
        ctx.note("failovers: " + "; ".join(r["reason"] for r in watcher.ledger("failover", "act")))
    finally:
        problems = audits.finish()
    ctx.expect(not problems, "pweb audits: %s" % "; ".join(problems[:3]))
