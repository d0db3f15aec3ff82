# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the lab back to the starting point of every scenario: vCenter up and
fast, every host and node VM on, no link faults, and `web` in service on
node1 with the shared data directory, nothing of it anywhere else. A
host-mode scenario starts, in addition, from every BMC answering and erp in
service on esxi-03.lab (restore_host), and leaves erp stopped with its VMs
on (put_back_host), as the lab tests expect."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess

from audits import client
from context import Context
from lab import nodes
from lab.budgets import reset_budgets
from target import CHAOS, HIERARCHY, HOST_HIERARCHY, HOST_OWNER, HOST_VMS, NODE_NAMES, PRIMARY
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateStore
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations


class NoAudits(object):
    @staticmethod
    def broken():
        return ""


def clear_links(lab):
    for name in NODE_NAMES:
        node = nodes.node_named(name)
        if not node.ns_exists():
            continue
        lab.ns_run(name, "tc", "qdisc", "del", "dev", "eth0", "root", check=False)
        nodes.ip("link", "set", node.veth, "up", check=False)
        for other in NODE_NAMES:
            lab.ns_run(name, "ip", "route", "del", "blackhole", nodes.node_named(other).address, check=False)
        if node.power() == "poweredOn":
            nodes.ip("-n", node.ns, "link", "set", "eth0", "up", check=False)
    for name in NODE_NAMES:
        subprocess.run(["tc", "qdisc", "del", "dev", nodes.node_named(name).veth, "root"],
                       capture_output=True, check=False)


def power_all_on(lab):
    for name in NODE_NAMES:
        node = nodes.node_named(name)
        if node.power() == "suspended":
            # A hung node that was never fenced: reset it (off, then on).
            lab.fault("vms/%s/crash" % name)
        lab.fault("vms/%s/poweron" % name)


def owner_now(lab, hierarchy=HIERARCHY):
    with client(lab, timeout=10) as c:
        cluster = lab.cluster
        name = cluster.hierarchy if hierarchy == cluster.lab_hierarchy else hierarchy
        owner = StateStore(RootAnnotations(c)).read(name)["owner"]
        return cluster.to_lab(owner) if owner else owner


def sweep(lab, keep):
    """Nothing of `web` on the nodes other than `keep` (strays of a failed scenario)."""
    for name in NODE_NAMES:
        if name == keep:
            continue
        for pid in lab.app_pids(name):
            os.kill(pid, signal.SIGKILL)
        if lab.vip_on(name):
            lab.ns_run(name, "ip", "addr", "del", lab.vars["lab_vip"], "dev", "eth0", check=False)


def restore(lab, log=print):
    lab.fault("vcenter/start")
    for method in list(lab.control("GET", "status").get("method_delay") or {}):
        lab.fault("delay", method=method, ms=0)
    for host in lab.vars["lab_hosts"]:
        lab.fault("hosts/%s/recover" % host)
    clear_links(lab)
    power_all_on(lab)
    # Each scenario starts with unused budgets, as it starts with a ledger of its own.
    cluster = lab.cluster
    reset_budgets(lab.vars, "chaos: a new scenario", [cluster.hierarchy if h == cluster.lab_hierarchy else h
                                                      for h in (HIERARCHY, HOST_HIERARCHY)])
    owner = owner_now(lab)
    sweep(lab, owner)
    if owner == PRIMARY and lab.serving() == {PRIMARY: ["vip", "app"]} and lab.who_serves() == PRIMARY:
        return
    log("  (restoring %s on %s: owner was %s, serving %s)" % (HIERARCHY, PRIMARY, owner, lab.serving()))
    setup = os.path.join(CHAOS, "setup")
    shutil.rmtree(setup, ignore_errors=True)
    ctx = Context(lab, "setup", setup, NoAudits())
    ctx.canaries = []
    if owner and owner != PRIMARY and lab.serving() == {owner: ["vip", "app"]}:
        run = ctx.playbook("switchover", "-e", "target=" + PRIMARY)   # one run instead of two
        if run.rc == 0 and run.where()[0] == PRIMARY:
            return
    run = ctx.playbook("stop")
    if run.rc != 0:
        raise RuntimeError("restore: stop failed; see %s" % setup)
    sweep(lab, None)
    run = ctx.playbook("start", "-e", "target=" + PRIMARY)
    if run.rc != 0 or run.where()[0] != PRIMARY:
        raise RuntimeError("restore: start on %s failed; see %s" % (PRIMARY, setup))


def hosts_back(lab):
    """Every BMC answering, every host up, every node VM on."""
    for host in lab.vars["lab_hosts"]:
        lab.fault("bmc/%s/recover" % host)
        lab.fault("hosts/%s/recover" % host)
    power_all_on(lab)


def erp_on_owner(lab):
    """Each of erp's VMs runs exactly once, on HOST_OWNER."""
    return all([(c["host"], c["power_state"]) for c in copies if c["power_state"] == "poweredOn"]
               == [(HOST_OWNER, "poweredOn")] for copies in lab.host_vms().values())


def host_ctx(lab, name):
    directory = os.path.join(CHAOS, name)
    shutil.rmtree(directory, ignore_errors=True)
    ctx = Context(lab, name, directory, NoAudits())
    ctx.canaries = []

    def run(playbook, *extra):
        return ctx.playbook(playbook, *extra, inventory=lab.host_inventory, hierarchy=HOST_HIERARCHY)
    return ctx, run


def restore_host(lab, log=print):
    """After restore(): BMCs and hosts back, erp in service on HOST_OWNER."""
    if not lab.host_inventory:
        raise RuntimeError("the lab has no BMCs (lab_bmcs): python3 -m lab stop, then start")
    hosts_back(lab)
    if owner_now(lab, HOST_HIERARCHY) == HOST_OWNER and erp_on_owner(lab):
        return
    log("  (starting %s on %s)" % (HOST_HIERARCHY, HOST_OWNER))
    ctx, run = host_ctx(lab, "setup-host")
    if owner_now(lab, HOST_HIERARCHY):
        if run("stop").rc != 0:
            raise RuntimeError("restore: stopping %s failed; see %s" % (HOST_HIERARCHY, ctx.dir))
    started = run("start", "-e", "target=" + HOST_OWNER)
    if started.rc != 0 or started.where()[0] != HOST_OWNER or not erp_on_owner(lab):
        raise RuntimeError("restore: start of %s on %s failed; see %s" % (HOST_HIERARCHY, HOST_OWNER, ctx.dir))


def put_back_host(lab, log=print):
    """After a host-mode scenario: BMCs and hosts back, node VMs on, erp
    stopped and its VMs powered on (where the lab tests find them)."""
    hosts_back(lab)
    ctx, run = host_ctx(lab, "teardown-host")
    if owner_now(lab, HOST_HIERARCHY) and run("stop").rc != 0:
        log("  (stopping %s failed; see %s)" % (HOST_HIERARCHY, ctx.dir))
    for name in HOST_VMS.values():
        for copy in lab.vms(name):
            lab.fault("vms/%s/poweron" % copy["moref"])


def leave_bare(lab):
    """After the suite: everything on, `web` stopped (the lab tests expect bare nodes)."""
    restore(lab, log=lambda *a: None)
    ctx = Context(lab, "teardown", os.path.join(CHAOS, "teardown"), NoAudits())
    if ctx.playbook("stop").rc != 0:
        raise RuntimeError("teardown: stop failed; see %s" % ctx.dir)
