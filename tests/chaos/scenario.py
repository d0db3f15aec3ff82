# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scenario interface.

A scenario is a function of a Context (context.py), registered with
@scenario: it starts from `web` in service on node1 (the runner puts the
lab back before each one), injects its fault, drives the cluster as an
operator or automation would, and checks what it expects with
ctx.expect / ctx.until. The audits run around it.

    @scenario("service_crash", budget=120, fast=True, driver=PLAYBOOKS,
              fault="...", expect="...")
    def service_crash(ctx): ...

host=True marks a host-mode scenario (scenarios/hosts.py): it starts, in
addition, from the host-mode hierarchy `erp` in service on esxi-03.lab
(lab.py HOST_*), runs under two more audits (erp's generation, erp's VMs),
and the runner puts the hosts, their BMCs and erp's VMs back after it.

lab_cluster=True marks a scenario whose fault is a change to the lab's own
cluster definition (an extra resource, a broken inventory): it does not run
against a user's inventory (runner.py --cluster), and the runner says so.

driver says who reacts to the fault:
  PLAYBOOKS  the scenario runs the playbooks itself, as an operator or a
             scheduler would (vigil.ha.failover with the event's data...);
  WATCHER    the scenario starts the event source and rulebook
             (ctx.watcher(): ansible-rulebook with vigil.ha.auto_failover)
             and waits for them to act.
"""
from __future__ import annotations

import collections

PLAYBOOKS = "playbooks"
WATCHER = "watcher"

Scenario = collections.namedtuple("Scenario", "name func budget fast driver fault expect host lab_cluster")
REGISTRY = collections.OrderedDict()


def scenario(name, budget, fault, expect, fast=False, driver=PLAYBOOKS, host=False, lab_cluster=False):
    def register(func):
        if name in REGISTRY:
            raise ValueError("two scenarios named %s" % name)
        REGISTRY[name] = Scenario(name, func, budget, fast, driver, fault, expect, host, lab_cluster)
        return func
    return register


def proves(s):
    """What the scenario proves: its docstring."""
    return " ".join((s.func.__doc__ or "").split())
