# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scenarios driven by the watcher: the event source vigil.ha.health and the
rulebook vigil.ha.auto_failover under ansible-rulebook. Defined with their
expectations; the runner reports them "needs watcher: not run" until the
rulebook is in the collection and each gets its body (a function taking a
Context, replacing its define() with @scenario(..., driver=WATCHER))."""
from __future__ import annotations

from scenario import define

define("watched_service_crash", budget=120,
       fault="web-app is killed on node1 while the watcher runs",
       expect="one event (in_service -> failed), the rulebook runs recover once; same node, same generation",
       steps=["Start ansible-rulebook with vigil.ha.auto_failover against the lab's cluster.",
              "Kill web-app on node1.",
              "Wait for the ledger to show recover act and done for web-app.",
              "Expect exactly one recover, no failover, the owner and generation unchanged."])

define("watcher_killed_between_fence_and_start", budget=180,
       fault="node1's VM crashes; the watcher (ansible-rulebook and its playbook run) is SIGKILLed after "
             "the fence step and before the first start",
       expect="the restarted watcher resyncs, sees web recorded on node2 but not in service, finishes the "
              "start without a second fence; one generation bump in all",
       steps=["Start the watcher; crash node1.",
              "Follow the failover run's output; SIGKILL the watcher's process group at 'Step 2: start'.",
              "Restart the watcher; wait for web to answer on node2.",
              "Expect one fence in the ledger and vCenter's event log, generation +1 exactly."])

define("vcenter_restarted_while_watching", budget=180,
       fault="vCenter goes down for 20 s and comes back while the watcher runs; node1's VM crashes during "
             "the outage",
       expect="the event source reconnects, resyncs and emits the crash once (no lost, no duplicate event); "
              "one failover after vCenter is back",
       steps=["Start the watcher; vcenter/stop; crash node1; wait 20 s; vcenter/start.",
              "Expect one node1 powered_off event after the resync, one failover act in the ledger.",
              "Expect no failover attempt while vCenter was down other than a recorded operator_needed refusal."])

define("event_storm", budget=300,
       fault="many resources and VMs change at once: 50 filler VMs crash and come back, heartbeats flap, "
             "and node1 crashes in the middle",
       expect="the event source emits one event per transition (no flood); the rulebook acts once for node1 "
              "and not at all for resources outside hierarchies; runs stay within their budgets",
       steps=["Start a lab with fillers; start the watcher.",
              "Flap 50 fillers and their heartbeats for 30 s; crash node1 at 15 s.",
              "Expect exactly one failover of web and events counted per transition."])
