# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine of the event source ``vigil.ha.health`` (asyncio, plain Python).

Three kinds of observation feed one Tracker (health/events.py), and only its
transitions become events:

- vCenter by push: one WaitForUpdatesEx watch on VMs and hosts
  (health/vcenter_objects.py); owner and generation of each hierarchy are read
  again before every event about a hierarchy and every few seconds;
- the tcp/http checks of every resource, run here on their own intervals
  against the hierarchy's owner, and the probes of the host mode nodes'
  management addresses (``check.address``: a dead ESXi host is seen
  before vCenter marks it not responding);
- the node-side checks (``vigil.ha.app_health_info`` over SSH) of the
  resources each owner holds, each on its own ``check.interval`` too, those
  of one node due together in one run (health/schedule.py,
  health/node_checks.py).

A failed check counts only when ``check.confirm`` checks in a row failed
(a second one soon after the first by default): one lost packet is no failover.

Every blocking call runs in a thread (``asyncio.to_thread``) under a
deadline, so the event loop never waits on vCenter or a node. When the
watch breaks (vCenter restarted, a network blip) the source says so once,
reconnects with backoff, starts over from the watch's first (full) batch
and reports only what really changed meanwhile (``resync: true``).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import signal
import time

from ansible_collections.vigil.ha.plugins.module_utils.health import events

from ansible_collections.vigil.ha.plugins.module_utils.health import inventory_watch

from ansible_collections.vigil.ha.plugins.module_utils.health import node_checks

from ansible_collections.vigil.ha.plugins.module_utils.health import repeats

from ansible_collections.vigil.ha.plugins.module_utils.health import schedule

from ansible_collections.vigil.ha.plugins.module_utils.health import snapshot

from ansible_collections.vigil.ha.plugins.module_utils.state import store as state_store

from ansible_collections.vigil.ha.plugins.module_utils.state import lease as watcher_lease

from ansible_collections.vigil.ha.plugins.module_utils.health.lease_keeper import DEFAULTS as LEASE_DEFAULTS

from ansible_collections.vigil.ha.plugins.module_utils.model import switchback
from ansible_collections.vigil.ha.plugins.module_utils.health.cluster_view import ClusterView
from ansible_collections.vigil.ha.plugins.module_utils.kits.registry import node_kit
from ansible_collections.vigil.ha.plugins.module_utils.health.vcenter_objects import WATCHED, VcenterObjects
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError, VsphereTimeoutError

LOG = logging.getLogger(__name__)

DEFAULTS = {
    "timeout": 30,  # each vCenter call, seconds
    "max_wait": 10,  # WaitForUpdatesEx maxWaitSeconds
    "state_interval": 5,  # owner and generation read again, seconds
    "node_check_concurrency": 8,  # node-side runs at once (each node has one at a time)
    "node_check_overhead": 10,  # starting ansible and its SSH session, on top of the checks' timeouts, seconds
    "reconnect_max": 30,  # longest pause between reconnects, seconds
    "start_grace": 120,  # a moved hierarchy's resources may start on the new owner this long, seconds
    "placement_settle": 60,  # host mode: VMs split over hosts this long are reported (DRS moves one by one), seconds
    "inventory_interval": 5,  # the inventory's files looked at for a change, seconds (0: never)
    "switchback_settle": 60,  # the preferred node healthy this long before a switchback, seconds
    "recover_throttle": 20,  # a repeated local recovery within this is recorded, not run, seconds
    "failover_throttle": 120,  # a repeated failover (same generation) within this is recorded, not run, seconds
    "metrics_interval": 2,  # the metrics' snapshot and the ledger's new lines, seconds (with metrics only)
}
DEFAULTS.update(LEASE_DEFAULTS)  # the watcher lease (issue 12), used with a LeaseKeeper only
# Deprecated (issue 14): every node and resource has its own check.interval and check.timeout now.
DEPRECATED = ("node_check_interval", "node_check_timeout")
NODE_CHECK = {"interval": 5, "timeout": 2, "confirm": 2}  # config/validation.py's defaults
TICK = 0.1  # how often the node-side schedule is looked at, seconds
NO_LEASE = {"holder": None, "epoch": None, "active": True}  # a lone watcher: always acts
FAILED = ("failed", "unreachable")


class VcenterLink(object):
    """The blocking vCenter calls of the source, over one session (run in threads)."""

    def __init__(self, connect):
        self._connect = connect  # () -> a connected VsphereClient
        self.client = None
        self.pending_seen = {}  # the lease's memory of a valueless claim, across reconnections

    def open(self):
        self.close()
        self.client = self._connect()

    def watch(self, max_wait):
        return self.client.watch(WATCHED, max_wait=max_wait)

    def read_states(self, names):
        # Imported here: vsphere_state needs pyVmomi, the rest of the engine does not.
        from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
        snapshot = RootAnnotations(self.client).read()
        out = {}
        for name in names:
            try:
                state = state_store.effective(snapshot, name)
            except state_store.StateError as exc:
                LOG.warning("hierarchy %s: %s", name, exc)
                continue
            out[name] = {"owner": state["owner"], "generation": state["generation"]}
        return out

    def lease_tick(self, keeper, cluster):
        """One lease operation (health/lease_keeper.py) over this session."""
        from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
        if self.client is None:
            raise VsphereError("not connected to vCenter")
        lease = watcher_lease.Lease(RootAnnotations(self.client), cluster)
        lease.pending_seen = self.pending_seen
        return keeper.tick(lease)

    def lease_release(self, keeper, cluster):
        """Give the lease up (the watcher stops): a standby takes it at its next tick."""
        from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
        if self.client is not None:
            keeper.release(watcher_lease.Lease(RootAnnotations(self.client), cluster))

    def close(self):
        client, self.client = self.client, None
        if client is not None:
            client.close()


def _kill_run(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass  # gone already


async def run_node_check(ansible, inventory, node, resources, timeout, limit):
    """One ``vigil.ha.app_health_info`` run on ``node`` over SSH: node_checks.parse's result, or
    None when it gave no result within ``limit`` seconds (killed)."""
    argv, env = node_checks.command(ansible, inventory, node, resources, timeout)
    try:
        # A session of its own: on timeout the whole run goes (ansible's workers, ssh), not only ansible.
        proc = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        return {"reachable": None, "resources": [], "error": "cannot run %s: %s" % (argv[0], exc)}
    try:
        out = (await asyncio.wait_for(proc.communicate(), limit))[0]
    except asyncio.TimeoutError:
        _kill_run(proc.pid)
        await proc.wait()
        return None
    except asyncio.CancelledError:  # the watcher stops: its runs with it
        _kill_run(proc.pid)
        raise
    return node_checks.parse(node, out.decode("utf-8", "replace"), proc.returncode)


def probe(kind, name, params):
    """One tcp/http check from here: ``(state, reasons)`` (blocking, bounded by the check's timeout)."""
    result = node_kit(kind, name, params).check()
    return result.state, result.reasons


class HealthSource(object):
    def __init__(self, cluster, queue, link, options=None, ansible="ansible", inventory=None,
                 factory=None, prober=probe, name="vcenter", reload=None, keeper=None, cluster_group=None,
                 node_runner=None, clock=time.monotonic, metrics=None):
        self.name = name  # vCenter's host name, for its own events
        self.view = ClusterView(cluster, VcenterObjects())
        self.queue = queue
        self.link = link
        self.options = dict(DEFAULTS, **(options or {}))
        self.view.placement_settle = self.options["placement_settle"]
        self.ansible = ansible
        self.inventory = inventory
        self.factory = factory or events.EventFactory()
        self.prober = prober
        self.tracker = events.Tracker()
        self.recheck = asyncio.Event()  # wakes the node-side schedule (a check is wanted now)
        # Issue 14: every check on its own interval; a failure counts once confirmed.
        self.schedule = schedule.Schedule(clock)
        self.confirmations = schedule.Confirmations()
        self.node_runner = node_runner or (lambda node, resources, timeout, limit: run_node_check(
            self.ansible, self.inventory, node, resources, timeout, limit))
        self._node_slots = asyncio.Semaphore(max(1, int(self.options["node_check_concurrency"])))
        for key in DEPRECATED:
            if self.options.get(key) is not None:
                LOG.warning("vigil.ha.health: option %s is deprecated and ignored: the checks of each node and "
                            "resource run on their own check.interval and check.timeout (see docs/events.md)", key)
        # Resources of a hierarchy that just moved are judged on the new owner
        # once seen in service there: failing while they start is the move's
        # business (the playbook reports it), not a new failure. But only for
        # start_grace seconds: a move whose run died after recording the new
        # owner leaves them down, and then they are failed like any other.
        self.unarmed = {}  # (hierarchy, resource) -> monotonic deadline
        self._states_lock = asyncio.Lock()
        # Issue 16: inventory edits (maintenance) live; repeats recorded, not dropped; switchback.
        self.reload = reload  # async () -> a validated Cluster of the inventory, or raises ValueError
        self.reloaded = asyncio.Event()
        self.repeats = repeats.Repeats({"recover": self.options["recover_throttle"],
                                        "failover": self.options["failover_throttle"]})
        self.switchback = switchback.Switchback(self.options["switchback_settle"])
        self.probe_nodes = set()  # physical nodes awaiting a switchback: only their SSH check says they are up
        # Issue 12: with a LeaseKeeper, only the lease's holder acts; a standby's events say active: false,
        # and its failures are kept to be emitted again when it takes over (the generation in them
        # keeps a failure the old holder handled from being handled twice).
        self.keeper = keeper
        self.cluster_group = cluster_group
        self.unacted = {}  # subject -> the last event emitted while standby
        # Issue 17: the metrics and the status page (health/metrics.py, health/web.py), when configured.
        self.metrics = metrics

    # -- plumbing --------------------------------------------------------

    async def _thread(self, what, func, *args):
        """Run a blocking vCenter call in a thread, never longer than its deadline."""
        deadline = self.options["timeout"] + self.options["max_wait"] + 5
        try:
            return await asyncio.wait_for(asyncio.to_thread(func, *args), deadline)
        except asyncio.TimeoutError:
            raise VsphereTimeoutError("%s: no answer within %ss" % (what, deadline))

    async def _emit(self, subject_type, name, transition, hierarchy=None, node=None, resource=None, moref=None,
                    resync=False):
        view = self.view
        event = self.factory.make(
            subject_type, name, transition.before, transition.after, transition.reasons, transition.observer,
            hierarchy=hierarchy, node=node, resource=resource, moref=moref,
            owner=view.owner(hierarchy) if hierarchy else None,
            generation=view.generation(hierarchy) if hierarchy else None,
            maintenance=view.maintenance(hierarchy, node), fencing=view.fencing(node) if node else None,
            resync=resync)
        self.repeats.mark(event[events.KEY])
        event[events.KEY]["lease"] = self.keeper.mark() if self.keeper else dict(NO_LEASE)
        subject = (subject_type, name, hierarchy, node)
        if event[events.KEY]["lease"]["active"]:
            self.unacted.pop(subject, None)
        else:
            self.unacted[subject] = event
        LOG.info("event %s", event[events.KEY])
        if self.metrics is not None:
            self.metrics.emitted(transition.key, event[events.KEY])
            self._snapshot()
        await self.queue.put(event)

    # -- metrics and status page (issue 17) ---------------------------------

    def _snapshot(self):
        self.metrics.snapshot(snapshot.take(self.view, self.tracker, self.keeper, self.factory.watcher,
                                            self.factory.source_id))

    async def _metrics_loop(self):
        """Hand the metrics a fresh snapshot and the ledger's new lines every ``metrics_interval`` seconds."""
        while True:
            self._snapshot()
            if self.metrics.tail is not None:
                try:
                    lines = await asyncio.to_thread(self.metrics.tail.read)
                except Exception as exc:  # pylint: disable=broad-except
                    LOG.warning("vigil.ha.health: cannot read the ledger %s: %s", self.metrics.tail.path, exc)
                    lines = []
                self.metrics.ledger_lines(lines)
            await asyncio.sleep(self.options["metrics_interval"])

    # -- the watcher lease (issue 12) --------------------------------------

    async def _lease_loop(self):
        """Acquire or renew every ``lease_renew`` seconds: one lease operation each time."""
        active = False
        while True:
            try:
                result = None
                if self.link.client is not None:  # else (re)connecting: the lease runs out by its own count
                    result = await self._thread("watcher lease", self.link.lease_tick, self.keeper, self.cluster_group)
            except Exception as exc:  # pylint: disable=broad-except
                LOG.warning("vigil.ha.health: watcher lease %s not renewed: %s", self.cluster_group, exc)
                result = None
            if result == "acquired":
                LOG.warning("vigil.ha.health: watcher %s holds the lease of %s (epoch %s): active",
                            self.keeper.holder, self.cluster_group, self.keeper.epoch)
                await self._replay()
            elif active and not self.keeper.active:
                LOG.warning("vigil.ha.health: watcher %s lost the lease of %s (%s): standby", self.keeper.holder,
                            self.cluster_group, "held by %s" % (self.keeper.last or {}).get("holder")
                            if result == "lost" else "not renewed in time")
            active = self.keeper.active
            await self._orphan_event()
            # Not connected yet (starting, reconnecting): try again as soon as the watch is back.
            await asyncio.sleep(self.options["lease_renew"] if self.link.client is not None else 0.5)

    async def _orphan_event(self):
        """One event when this watcher marked the lease orphaned: nobody acts (the rulebooks notify)."""
        since = self.keeper.take_orphan_mark()
        if since is None:
            return
        event = {"vigil_ha_watcher": {"cluster": self.cluster_group, "orphaned_since": watcher_lease.fmt(since),
                                      "watcher": self.keeper.holder}}
        LOG.warning("vigil.ha.health: no watcher has held the lease of %s since %s", self.cluster_group,
                    event["vigil_ha_watcher"]["orphaned_since"])
        await self.queue.put(event)

    async def _replay(self):
        """Emit again, as active, the failures seen while standby (a failure pending when the old holder died)."""
        kept, self.unacted = self.unacted, {}
        for event in kept.values():
            if event[events.KEY]["to"] not in FAILED:
                continue
            again = copy.deepcopy(event)
            again[events.KEY].update(lease=self.keeper.mark(), replay=True)
            LOG.info("event %s", again[events.KEY])  # the replay flag says it; lab/rulebook.py parses these lines
            await self.queue.put(again)

    async def run(self):
        """Watch and check until cancelled; never returns in normal use."""
        loops = [self._vcenter_loop(), self._state_loop(), self._node_loop(), self._inventory_loop(),
                 self._endpoints()]
        if self.keeper is not None:
            loops.append(self._lease_loop())
        if self.metrics is not None:
            loops.append(self._metrics_loop())
        try:
            await asyncio.gather(*loops)
        finally:
            # Cancelled (the rulebook stops): hand the lease on now rather than after its ttl,
            # and log out rather than leave vCenter a session per restart until it expires.
            if self.keeper is not None and self.keeper.active:
                try:
                    self.link.lease_release(self.keeper, self.cluster_group)
                except Exception as exc:  # pylint: disable=broad-except
                    LOG.warning("vigil.ha.health: watcher lease %s not released: %s", self.cluster_group, exc)
            self.link.close()

    # -- vCenter ---------------------------------------------------------

    async def _vcenter_loop(self):
        backoff, resync = 1, False
        while True:
            watch = None
            try:
                await self._thread("connect to vCenter", self.link.open)
                watch = self.link.watch(self.options["max_wait"])
                first = await self._thread("first watch batch", next, watch, None)
                if first is None:
                    raise VsphereError("the watch ended")
                self.view.objects.replace(first)
                self.view.vcenter_up = True
                await self._refresh_states()
                LOG.info("vigil.ha.health: watching %d VMs and hosts of vCenter %s", len(first), self.name)
                await self._vcenter_state("connected", ["watching %d VMs and hosts" % len(first)], resync)
                await self._evaluate(resync, states_read=True)
                backoff, resync = 1, False
                while True:
                    batch = await self._thread("wait for updates", next, watch, None)
                    if batch is None:
                        raise VsphereError("the watch ended")
                    if batch:
                        self.view.objects.apply(batch)
                        await self._evaluate(False)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                # Any failure of the watch is a lost vCenter: say it once, reconnect, resync.
                self.view.vcenter_up = False
                resync = True
                await self._vcenter_state("disconnected", [str(exc)], False)
                LOG.warning("vCenter watch lost (%s); reconnecting in %ss", exc, backoff)
                await self._close(watch)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.options["reconnect_max"])

    async def _close(self, watch):
        def close():
            try:
                if watch is not None:
                    watch.close()
            finally:
                self.link.close()
        try:
            await self._thread("close the vCenter session", close)
        except Exception as exc:  # pylint: disable=broad-except
            LOG.debug("closing the vCenter session: %s", exc)

    async def _vcenter_state(self, state, reasons, resync):
        transition = self.tracker.observe((events.VCENTER,), state, reasons, "vcenter")
        if transition:
            await self._emit(events.VCENTER, self.name, transition, resync=resync)

    async def _evaluate(self, resync, states_read=False):
        """Observe every subject vCenter shows; emit its transitions. Owner and
        generation are read again first, only when there is one to emit: most
        batches of a large vCenter are about VMs outside the cluster."""
        subjects = self.view.subjects()
        # Owners first when something changed: a host mode VM seen off on a new owner is the
        # move starting it (start_grace), which only a fresh read of the owner tells.
        if not states_read and any(self.tracker.changes(s.key, s.state, "vcenter") for s in subjects):
            await self._refresh_states()
        found = []
        for subject in subjects:
            reasons = self._moved_reasons(subject)
            if reasons is None:
                continue
            transition = self.tracker.observe(subject.key, subject.state, reasons, "vcenter")
            if transition:
                found.append((subject, transition))
        for subject, transition in found:
            if subject.hierarchy is not None:  # a resource, a placement: about its own hierarchy
                pairs = [(subject.hierarchy, subject.nodes[0] if subject.nodes else None)]
            else:
                pairs = self.view.targets(subject.nodes)
            for hierarchy, node in pairs:
                await self._emit(subject.type, subject.name, transition, hierarchy, node, subject.resource,
                                 subject.moref, resync)

    def _moved_reasons(self, subject):
        """The reasons to observe for ``subject``, or None while it is a resource of a hierarchy
        that just moved, not yet in service on the new owner, within start_grace (not observed,
        so that it fails once the grace is over if it never came up)."""
        key = (subject.hierarchy, subject.resource)
        deadline = self.unarmed.get(key) if subject.type == events.RESOURCE else None
        if deadline is None:
            return subject.reasons
        if time.monotonic() >= deadline:
            del self.unarmed[key]  # the grace is over for the node-side checks too
            if subject.state != "in_service":
                return ["not in service %ss after %s moved" % (self.options["start_grace"], subject.hierarchy)] \
                    + list(subject.reasons)
            return subject.reasons
        return subject.reasons if subject.state == "in_service" else None

    async def _state_loop(self):
        while True:
            await asyncio.sleep(self.options["state_interval"])
            if self.view.vcenter_up:
                await self._refresh_states()
                # Placements depend on the owner too (host mode: its VMs on it or moved): judge them again.
                await self._evaluate(False, states_read=True)
                await self._switchbacks()

    async def _refresh_states(self):
        """Read owner and generation of every hierarchy; an event when one moved."""
        async with self._states_lock:
            try:
                states = await self._thread("read hierarchy states", self.link.read_states,
                                            list(self.view.cluster.hierarchies))
            except Exception as exc:  # pylint: disable=broad-except
                LOG.warning("cannot read hierarchy states: %s", exc)  # the watch notices a lost vCenter
                return
            for name, state in states.items():
                before = self.view.states.get(name)
                self.view.states[name] = state
                if before is None or before == state:
                    continue
                if before["owner"] != state["owner"]:
                    # The old owner's node-side reports say nothing about the new one.
                    for resource in self.view.cluster.hierarchy(name).resources:
                        self.tracker.drop((events.RESOURCE, name, resource.name), "node")
                        self.confirmations.forget_subject((events.RESOURCE, name, resource.name))
                        self.unarmed[(name, resource.name)] = time.monotonic() + self.options["start_grace"]
                transition = events.Transition((events.HIERARCHY, name), before["owner"] or "none",
                                               state["owner"] or "none",
                                               ["generation %s -> %s" % (before["generation"], state["generation"])],
                                               "vcenter")
                await self._emit(events.HIERARCHY, name, transition, name, state["owner"])

    # -- checks ----------------------------------------------------------

    def _confirmed(self, key, state, observer, confirm, what):
        """True when this report may be told; a failure only at the ``confirm``-th in a row."""
        if self.metrics is not None:
            self.metrics.failing(key, state)  # the first failed check: where detection time starts
        if self.confirmations.judge((key, observer), state, confirm):
            return True
        LOG.info("vigil.ha.health: %s %s (%s check %d of %d in a row before it counts)", what, state, observer,
                 self.confirmations.pending((key, observer)), confirm)
        return False

    async def _resource_report(self, hierarchy, resource, state, reasons, observer, node, confirm=1):
        """Observe one check's result; True when it is a failure awaiting confirmation (check again soon)."""
        deadline = self.unarmed.get((hierarchy, resource))
        if deadline is not None:
            if state != "in_service":
                if time.monotonic() < deadline:
                    return False
                reasons = ["not in service %ss after %s moved" % (self.options["start_grace"], hierarchy)] + list(reasons)
        if state == "out_of_service":
            # On the node that holds the hierarchy, a resource not running is a failure.
            state, reasons = "failed", ["out of service on %s, which holds %s" % (node, hierarchy)] + list(reasons)
        key = (events.RESOURCE, hierarchy, resource)
        if not self._confirmed(key, state, observer, confirm, "resource %s of %s on %s" % (resource, hierarchy, node)):
            return True
        if deadline is not None:
            del self.unarmed[(hierarchy, resource)]  # in service, or failed for good after the grace
        transition = self.tracker.observe(key, state, reasons, observer)
        if not transition:
            return False
        await self._refresh_states()
        if self.view.owner(hierarchy) != node:
            return  # it moved meanwhile: what was seen is about the old owner
        await self._emit(events.RESOURCE, resource, transition, hierarchy, node, resource)
        if transition.after == "in_service":
            # Let the node-side check confirm it now, not at its next interval.
            self.schedule.soon((node, hierarchy, resource), 0)
            self.recheck.set()
        return False

    async def _endpoint_loop(self, hierarchy, resource, kind, params, interval, timeout, confirm=1):
        while True:
            started = time.monotonic()
            owner = self.view.owner(hierarchy)
            pending = False
            # A node vCenter reports down is covered by its own event; its resources say nothing new.
            # A host mode VM that is off or failed: the vm resource's own event says it.
            if owner and not self.view.node_down(owner) and not self.view.vm_down(hierarchy, resource):
                try:
                    state, reasons = await asyncio.wait_for(
                        asyncio.to_thread(self.prober, kind, resource, params), timeout + 1)
                except asyncio.TimeoutError:
                    state, reasons = "failed", ["%s check of %s: no answer within %ss" % (kind, resource, timeout)]
                except Exception as exc:  # pylint: disable=broad-except
                    state, reasons = "unknown", ["%s check of %s: %s" % (kind, resource, exc)]
                pending = await self._resource_report(hierarchy, resource, state, reasons, kind, owner, confirm)
            # Every interval from start to start; a first failure is checked again soon: it counts
            # only if that one fails too.
            if pending:
                await asyncio.sleep(schedule.recheck_delay(interval))
            else:
                await asyncio.sleep(max(0, started + interval - time.monotonic()))

    async def _probe_loop(self, node, esxi, address, port, interval, timeout, confirm=2):
        """Probe a host mode node's management address (its hostd) every ``interval``. A failure is
        confirmed by ``confirm`` probes in a row, a second apart; then the host is ``failed`` (observer ``probe``)
        whatever vCenter still shows, so that the failover starts before vCenter notices."""
        params = {"host": address, "port": port, "timeout": timeout}
        failures = 0
        try:
            while True:
                try:
                    state, reasons = await asyncio.wait_for(
                        asyncio.to_thread(self.prober, "tcp", node, params), timeout + 1)
                except asyncio.TimeoutError:
                    state, reasons = "failed", ["no answer within %ss" % timeout]
                except Exception as exc:  # pylint: disable=broad-except
                    state, reasons = "unknown", [str(exc)]
                if state == "unknown":
                    await asyncio.sleep(interval)  # the probe could not run: it says nothing about the host
                    continue
                failures = failures + 1 if state != "in_service" else 0
                if 0 < failures < confirm:
                    await asyncio.sleep(min(1, interval))  # one lost answer is no crash: ask again soon
                    continue
                why = "management address does not answer: %s" % ("; ".join(reasons) or "%s:%s" % (address, port))
                await self._probe_report(node, esxi, why if failures else None)
                await asyncio.sleep(interval)
        finally:
            self.view.unanswered.pop(node, None)

    async def _probe_report(self, node, esxi, why):
        """The probe's verdict on a host, on the same subject as vCenter's (the host's MoRef)."""
        if why:
            self.view.unanswered[node] = why
        else:
            self.view.unanswered.pop(node, None)
        host = self.view.objects.find_host(esxi) if self.view.vcenter_up else None
        if host is None:
            return  # vCenter's own events speak for it meanwhile; the next probe reports again
        transition = self.tracker.observe((events.HOST, host), "failed" if why else "ok", [why] if why else [],
                                          "probe")
        if not transition:
            return
        await self._refresh_states()
        for hierarchy, who in self.view.targets([node]):
            await self._emit(events.HOST, esxi, transition, hierarchy, who, moref=host)

    def _node_work(self):
        """``{node: (its check, [resources it holds])}`` of every node to check over SSH: the owners of
        guest hierarchies that vCenter does not report down, and physical nodes awaiting a switchback."""
        owners = sorted(set(self.view.owner(h) for h in self.view.cluster.hierarchies) - set([None]))
        work = {}
        for node in owners:
            resources = self.view.node_resources(node)
            if resources and not self.view.node_down(node):
                work[node] = (self._node_check(node), resources)
        for node in sorted(self.probe_nodes - set(owners)):
            work[node] = (self._node_check(node), [])
        return work

    def _node_check(self, name):
        try:
            return dict(NODE_CHECK, **(self.view.cluster.node(name).check or {}))
        except (KeyError, ValueError, AttributeError):
            return dict(NODE_CHECK)

    async def _node_loop(self):
        """Start each node's run when one of its checks is due (its own, or a resource's on its
        ``check.interval``); one run per node at a time, ``node_check_concurrency`` at once, so a
        slow node delays no other."""
        running = {}
        try:
            while True:
                self.recheck.clear()
                for node in [n for n, task in running.items() if task.done()]:
                    task = running.pop(node)
                    if not task.cancelled() and task.exception() is not None:
                        LOG.error("node-side check of %s: %r", node, task.exception())
                work = self._node_work()
                keys = []
                for node, (check, resources) in work.items():
                    keys.append((node,))
                    keys.extend((node, r["hierarchy"], r["name"]) for r in resources)
                    if node in running:
                        continue
                    node_due, batch = self.schedule.batch(node, check["interval"], resources)
                    if node_due or batch:
                        running[node] = asyncio.ensure_future(self._check_node(node, check, batch))
                self.schedule.keep(keys)
                try:
                    await asyncio.wait_for(self.recheck.wait(), TICK)
                except asyncio.TimeoutError:
                    pass
        finally:
            for task in running.values():
                task.cancel()

    async def _check_node(self, node, check, batch):
        """One run on ``node``: its reachability and the resources of ``batch``."""
        try:
            await self._run_node(node, check, batch)
        finally:
            self.recheck.set()  # the loop may start this node's next run (a confirmation) at once

    def _again(self, key, started, interval):
        """A first failure: check again ``recheck_delay`` after the failed check started (an SSH run
        takes about a second already: then at once)."""
        self.schedule.soon(key, max(0, started + schedule.recheck_delay(interval) - self.schedule.clock()))

    async def _run_node(self, node, check, batch):
        async with self._node_slots:
            started = self.schedule.clock()
            # Due again one interval after this run started, whatever its result; a failure awaiting
            # its confirmation is made due sooner below.
            self.schedule.done((node,), started, check["interval"])
            for entry in batch:
                self.schedule.done((node, entry["hierarchy"], entry["name"]), started, entry["check"]["interval"])
            limit = check["timeout"] + max([r["check"]["timeout"] for r in batch] or [0]) \
                + self.options["node_check_overhead"]
            result = await self.node_runner(node, batch, check["timeout"], limit)
        if result is None:
            # The checks did not answer within their timeouts: that is a failure of each (confirmed as any).
            LOG.warning("node-side check of %s: no result within %ss", node, limit)
            result = {"reachable": None, "error": None, "resources": [
                dict(hierarchy=r["hierarchy"], name=r["name"], state="failed",
                     reasons=["no result from %s within %ss (check.timeout %ss)" % (node, limit, r["check"]["timeout"])])
                for r in batch]}
        elif result["reachable"] is None:
            LOG.warning("node-side check of %s: %s", node, result["error"])
            return
        if self.view.node_down(node):
            return  # it went down meanwhile: vCenter's event says so
        if result["reachable"] is not None:
            await self._node_report(node, check, result, started)
        by_name = dict(((r["hierarchy"], r["name"]), r) for r in batch)
        for entry in result["resources"]:
            resource = by_name.get((entry.get("hierarchy"), entry.get("name")))
            if resource is None:
                continue
            if await self._resource_report(entry["hierarchy"], entry["name"], entry["state"], entry["reasons"], "node",
                                           node, resource["check"].get("confirm", 2)):
                self._again((node, entry["hierarchy"], entry["name"]), started, resource["check"]["interval"])

    async def _node_report(self, node, check, result, started):
        state = "reachable" if result["reachable"] else "unreachable"
        key = (events.NODE, node)
        if not self._confirmed(key, state, "ssh", check.get("confirm", 2), "node %s" % node):
            self._again((node,), started, check["interval"])
            return
        transition = self.tracker.observe(key, state, [result["error"]] if result["error"] else [], "ssh")
        if transition:
            await self._refresh_states()
            for hierarchy, who in self.view.targets([node]):
                await self._emit(events.NODE, node, transition, hierarchy, who)

    # -- inventory edits, switchback (issue 16) ----------------------------

    async def _endpoints(self):
        """Run the tcp/http checks; after an inventory reload, start again the ones that changed."""
        tasks = {}

        def died(task):
            if not task.cancelled() and task.exception() is not None:
                LOG.error("endpoint check stopped: %r", task.exception())
        try:
            while True:
                self.reloaded.clear()
                wanted = dict((repr(check), (self._endpoint_loop, check)) for check in self.view.endpoint_checks())
                wanted.update((repr(("host probe",) + probe), (self._probe_loop, probe))
                              for probe in self.view.host_probes())
                for key in [k for k in tasks if k not in wanted]:
                    tasks.pop(key).cancel()
                for key, (loop, check) in wanted.items():
                    if key not in tasks or tasks[key].done():
                        tasks[key] = asyncio.ensure_future(loop(*check))
                        tasks[key].add_done_callback(died)
                await self.reloaded.wait()
        finally:
            for task in tasks.values():
                task.cancel()

    async def _inventory_loop(self):
        """Read the inventory again when one of its files changed; a refused edit keeps the last good one."""
        interval = self.options["inventory_interval"]
        if self.reload is None or not self.inventory or interval <= 0:
            return
        seen = await asyncio.to_thread(inventory_watch.fingerprint, self.inventory)
        while True:
            await asyncio.sleep(interval)
            now = await asyncio.to_thread(inventory_watch.fingerprint, self.inventory)
            if now == seen:
                continue
            seen = now
            try:
                cluster = await self.reload()
            except Exception as exc:  # pylint: disable=broad-except
                LOG.error("vigil.ha.health: the edited inventory is refused; the watcher keeps its last good "
                          "configuration: %s", exc)
                continue
            what = inventory_watch.changes(self.view.cluster, cluster)
            self.view.cluster = cluster
            LOG.info("vigil.ha.health: inventory reloaded: %s", "; ".join(what) or "nothing the watcher uses changed")
            self.reloaded.set()

    async def _switchbacks(self):
        """A ``switchback`` event for each hierarchy whose preferred node has been fit for the settling time."""
        probe = set()
        for hierarchy in list(self.view.cluster.hierarchies.values()):
            owner = self.view.owner(hierarchy.name)
            preferred = switchback.candidate(hierarchy, owner)
            fit = False
            if preferred is not None and not self.view.maintenance(hierarchy.name, preferred):
                fit = self.view.ready(preferred)
                if fit is None:
                    probe.add(preferred)
                    fit = self.tracker.state((events.NODE, preferred)) == "reachable"
            if self.switchback.due(hierarchy.name, preferred, owner, self.view.generation(hierarchy.name), fit):
                transition = events.Transition(
                    (events.SWITCHBACK, hierarchy.name), owner, preferred,
                    ["%s is fit again (for %ss); policy.switchback is automatic"
                     % (preferred, int(self.switchback.healthy_for(hierarchy.name)))], "vcenter")
                await self._emit(events.SWITCHBACK, hierarchy.name, transition, hierarchy.name, preferred)
        self.probe_nodes = probe
