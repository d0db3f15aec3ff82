# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's metrics for Prometheus, with the ``prometheus_client`` library (docs/monitoring.md).

Three sources, each counted where it is reliable:

- the snapshot (health/snapshot.py) the event source hands over: owners,
  generations, the state of every resource and node, the lease (gauges);
- the events the source emits: owner changes it saw, failure detection time
  (per watcher: counted since this watcher started);
- the ledger the playbooks write (health/ledger_tail.py): recoveries,
  failovers, refusals, fences, and the time from a failure this watcher saw
  to the run's ``done`` line (per ledger file: every watcher that writes it).
"""

from __future__ import annotations

import datetime
import threading
import time

try:
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.exposition import CONTENT_TYPE_LATEST
    HAS_PROMETHEUS = True
    PROMETHEUS_IMPORT_ERROR = None
except ImportError as exc:  # the watcher's virtualenv has it (roles/watcher/files/requirements.txt)
    HAS_PROMETHEUS = False
    PROMETHEUS_IMPORT_ERROR = str(exc)
    CONTENT_TYPE_LATEST = "text/plain; version=0.0.4; charset=utf-8"

from ansible_collections.vigil.ha.plugins.module_utils.health import events
from ansible_collections.vigil.ha.plugins.module_utils.health import ledger_tail

PREFIX = "vigil_ha_"
FAILED = ("failed", "unreachable")
HEALTHY = events.QUIET_FIRST
# Seconds: detection is a check's confirmation (a second or a few), recovery a playbook run (tens of seconds).
DETECTION_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)
RECOVERY_BUCKETS = (5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600)
RECOVERY_ACTIONS = ("recover", "failover")


def parse_time(text):
    """Seconds since the epoch of a ledger time (``2026-12-03T17:40:00.753Z``), or None."""
    try:
        return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class Metrics(object):
    """One watcher's registry. The event loop calls ``snapshot``, ``failing``, ``emitted`` and
    ``ledger_lines``; the HTTP thread calls ``exposition`` and ``status``."""

    def __init__(self, tail=None, clock=time.time):
        if not HAS_PROMETHEUS:
            raise ValueError("vigil.ha.health: metrics need the prometheus_client library (pip install "
                             "prometheus-client): %s" % PROMETHEUS_IMPORT_ERROR)
        self.clock = clock
        self.tail = tail
        self._lock = threading.Lock()
        self._snapshot = None
        self.first_failure = {}  # tracker key -> wall time of its first failed check (not yet confirmed)
        self.pending = {}  # hierarchy -> wall time of the first failure event about its owner
        self.registry = CollectorRegistry(auto_describe=True)
        self.owner_changes = Counter(PREFIX + "owner_changes", "Owner changes of a hierarchy this watcher saw in "
                                     "vCenter since it started", ["hierarchy"], registry=self.registry)
        self.events = Counter(PREFIX + "events", "Events this watcher emitted since it started, by subject type "
                              "and new state", ["type", "to"], registry=self.registry)
        self.detection = Histogram(PREFIX + "detection_seconds", "From the first failed check of a subject to its "
                                   "failure event (0 for what vCenter reports)", ["type"],
                                   buckets=DETECTION_BUCKETS, registry=self.registry)
        self.recovery = Histogram(PREFIX + "recovery_seconds", "From the first failure event about a hierarchy's "
                                  "owner to the ledger's done line of the recovery or failover that followed",
                                  ["hierarchy", "action"], buckets=RECOVERY_BUCKETS, registry=self.registry)
        self.registry.register(_Collector(self))

    # -- fed by the event loop ------------------------------------------

    def snapshot(self, data):
        with self._lock:
            self._snapshot = data

    def current(self):
        with self._lock:
            return self._snapshot

    def failing(self, key, state):
        """A check's report on a tracker key: the time of the first failure of a run of them is kept."""
        if state in FAILED:
            self.first_failure.setdefault(key, self.clock())
        elif state != "unknown":
            self.first_failure.pop(key, None)

    def emitted(self, key, event):
        """An event the source put on the queue (``event`` the inside of ``{"vigil_ha": ...}``)."""
        now = self.clock()
        self.events.labels(event["type"], str(event["to"])).inc()
        if event["to"] in FAILED:
            started = self.first_failure.pop(key, now)
            self.detection.labels(event["type"]).observe(max(0.0, now - started))
            if event.get("on_owner") and event.get("hierarchy") and not event.get("suppressed") \
                    and (event.get("lease") or {}).get("active", True):
                self.pending.setdefault(event["hierarchy"], now)
        if event["type"] == events.HIERARCHY and event.get("from") not in (None, "none"):
            self.owner_changes.labels(event["hierarchy"]).inc()

    def ledger_lines(self, lines):
        """New ledger lines: a ``done`` recovery or failover ends the wait started by a failure event."""
        for line in lines:
            hierarchy = line.get("hierarchy")
            if line.get("decision") != "done" or line.get("action") not in RECOVERY_ACTIONS \
                    or hierarchy not in self.pending:
                continue
            done = parse_time(line.get("time"))
            if done is None or done < self.pending[hierarchy]:
                continue  # a run older than the failure
            self.recovery.labels(hierarchy, line["action"]).observe(done - self.pending.pop(hierarchy))

    # -- read by the HTTP thread ------------------------------------------

    def exposition(self):
        """``(body, content type)`` of a scrape."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _Collector(object):
    """The gauges of the last snapshot and the ledger's counts, computed at each scrape."""

    def __init__(self, metrics):
        self.metrics = metrics

    def describe(self):
        return []  # computed at scrape time: nothing to check at registration

    def collect(self):
        data = self.metrics.current()
        if data is not None:
            yield from _snapshot_families(data)
        tail = self.metrics.tail
        if tail is not None:
            yield from _ledger_families(tail, [h["name"] for h in (data or {}).get("hierarchies", [])])


def _snapshot_families(data):
    owner = GaugeMetricFamily(PREFIX + "hierarchy_owner", "1 for the node that holds the hierarchy, 0 for its "
                              "other nodes", labels=["hierarchy", "node"])
    generation = GaugeMetricFamily(PREFIX + "hierarchy_generation", "The hierarchy's generation in vCenter",
                                   labels=["hierarchy"])
    maintenance = GaugeMetricFamily(PREFIX + "hierarchy_maintenance", "1 when the hierarchy is in maintenance",
                                    labels=["hierarchy"])
    resource = GaugeMetricFamily(PREFIX + "resource_state", "1 for the state of a resource on a node (standby: "
                                 "not checked there, the hierarchy is elsewhere)",
                                 labels=["hierarchy", "resource", "node", "state"])
    for h in data["hierarchies"]:
        for node in h["nodes"]:
            owner.add_metric([h["name"], node], 1 if node == h["owner"] else 0)
        if h["generation"] is not None:
            generation.add_metric([h["name"]], h["generation"])
        maintenance.add_metric([h["name"]], 1 if h["maintenance"] else 0)
        for r in h["resources"]:
            for node, state in sorted(r["states"].items()):
                resource.add_metric([h["name"], r["name"], node, state], 1)
    node = GaugeMetricFamily(PREFIX + "node_state", "1 for a node's state by check (vm, host: vCenter; ssh: "
                             "its reachability)", labels=["node", "check", "state"])
    for name, checks in sorted(data["nodes"].items()):
        for check, state in sorted(checks.items()):
            node.add_metric([name, check, state], 1)
    lease = data["lease"]
    active = GaugeMetricFamily(PREFIX + "lease_active", "1 when this watcher may act (holds the lease, or runs "
                               "without one)", labels=["watcher"])
    active.add_metric([data["watcher"] or ""], 1 if lease["active"] else 0)
    enabled = GaugeMetricFamily(PREFIX + "lease_enabled", "1 when this watcher takes part in the watcher lease")
    enabled.add_metric([], 1 if lease["enabled"] else 0)
    holder = GaugeMetricFamily(PREFIX + "lease_holder", "1 for the holder of the lease as this watcher last saw "
                               "it", labels=["holder"])
    if lease["holder"]:
        holder.add_metric([lease["holder"]], 1)
    epoch = GaugeMetricFamily(PREFIX + "lease_epoch", "The lease's epoch as this watcher last saw it")
    if lease["epoch"] is not None:
        epoch.add_metric([], lease["epoch"])
    vcenter = GaugeMetricFamily(PREFIX + "vcenter_connected", "1 while the watcher's vCenter watch runs")
    vcenter.add_metric([], 1 if data["vcenter_connected"] else 0)
    return [owner, generation, maintenance, resource, node, active, enabled, holder, epoch, vcenter]


def _ledger_families(tail, hierarchies):
    """The ledger's counts; every configured hierarchy's from 0, so that the first one counts in increase()."""
    helps = {
        "recoveries": ("recover", "act", "Local recoveries the ledger records a decision to run"),
        "failovers": ("failover", "act", "Failovers the ledger records a decision to run"),
        "switchovers": ("switchover", "act", "Switchovers the ledger records a decision to run"),
        "refusals": (None, ledger_tail.REFUSED, "Decisions not to act the ledger records (stale, throttled, "
                     "maintenance, locked, ...)"),
    }
    decision_counts, fence_counts, dummy = tail.counts()
    out = []
    for name, (action, decision, text) in sorted(helps.items()):
        family = CounterMetricFamily(PREFIX + name, text, labels=["hierarchy"])
        counts = dict((h, 0) for h in hierarchies)
        counts.update(tail.count(action, decision))
        for hierarchy, n in sorted(counts.items()):
            family.add_metric([hierarchy], n)
        out.append(family)
    fences = CounterMetricFamily(PREFIX + "fences", "Fences the ledger records (a run's fence steps, an operator's "
                                 "vigil.ha.fence)", labels=["hierarchy", "node"])
    for (hierarchy, node), n in sorted(fence_counts.items()):
        fences.add_metric([hierarchy, node], n)
    decisions = CounterMetricFamily(PREFIX + "ledger_decisions", "Every decision line of the ledger",
                                    labels=["hierarchy", "action", "decision"])
    for (hierarchy, action, decision), n in sorted(decision_counts.items()):
        decisions.add_metric([hierarchy, action, decision], n)
    readable = GaugeMetricFamily(PREFIX + "ledger_readable", "0 when the ledger exists but cannot be read",
                                 labels=["path"])
    readable.add_metric([tail.path], 0 if tail.error else 1)
    return out + [fences, decisions, readable]
