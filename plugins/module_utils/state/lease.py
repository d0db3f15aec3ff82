# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher lease of a cluster, kept in vCenter (plain Python).

Several watchers (ansible-rulebook with the source ``vigil.ha.health``) may
watch one cluster; the one that holds the lease acts. Custom attributes of
the root folder, next to the hierarchy state (state/store.py):

``vigil.ha.watcher.<cluster>``
    ``holder=W;epoch=N;expiry=TIME;renewed=TIME``: who holds it, until when.
``vigil.ha.watcher.<cluster>.from.<N>``
    the claim of a change of holder from epoch N, store.py's compare-and-set
    (one mechanism: ``claimed_write``, ``follow_claims``). Unlike a
    hierarchy's, the latest claim is kept while its epoch holds: a renewal
    that overwrote a takeover (a holder frozen between its read and its
    write) is then still read through it as the takeover's epoch.
``vigil.ha.watcher.<cluster>.orphaned``
    since when no watcher holds the lease, once that lasted ``orphan_after``
    seconds; empty when held again (for a vCenter alarm or a monitor).
``vigil.ha.watcher.<cluster>.seen.<W>``
    when standby watcher W last looked at the lease (written every ttl, one
    call): status lists the standbys and how long ago each was seen.

The epoch grows by one with every change of holder (acquire, takeover,
release, a restarted watcher acquiring again). It is the fencing token: a
playbook run carries the epoch its watcher held and ``require`` refuses it
(``StaleLeaseError``) when vCenter holds another epoch or the lease expired.
Expiry times are written by the holder's clock and compared with the
reader's: keep the watchers' clocks in sync (NTP).
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.vigil.ha.plugins.module_utils.state.store import (
    StaleGenerationError,
    StateCorruptError,
    StateInputError,
    TransitionPendingError,
    claimed_write,
    follow_claims,
)

PREFIX = "vigil.ha.watcher."
EVENT_PREFIX = "vigil.ha watcher lease "
# An inventory group name; no '.', which separates the lease's attribute from its claims and orphaned mark.
CLUSTER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$")
HOLDER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$")
MAX_TTL = 3600
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class StaleLeaseError(StaleGenerationError, kind="stale_lease"):
    """This watcher's epoch is not the one vCenter holds, or the lease expired: refused like a stale generation."""


class LeaseBusyError(StaleGenerationError, kind="lease_busy"):
    """Another watcher holds an unexpired lease (or is taking it): not acquired."""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def fmt(when):
    return when.strftime(TIME_FORMAT) if when else None


def parse_time(text):
    try:
        return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def check_cluster(cluster):
    if not isinstance(cluster, str) or not CLUSTER_RE.match(cluster):
        raise StateInputError("cluster: must be an inventory group name (letters, digits, '_', '-', not starting "
                              "with '-', at most 100 characters), not %r" % (cluster,), field="cluster")
    return cluster


def check_holder(holder):
    if not isinstance(holder, str) or not HOLDER_RE.match(holder):
        raise StateInputError("holder: must be a watcher id (letters, digits, '.', '_', ':', '@', '-', at most 100 "
                              "characters), not %r" % (holder,), field="holder")
    return holder


def check_number(value, field, minimum, maximum=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or \
            (maximum is not None and value > maximum):
        raise StateInputError("%s: must be an integer from %d%s, not %r"
                              % (field, minimum, " to %d" % maximum if maximum is not None else " up", value),
                              field=field)
    return value


def lease_field(cluster):
    return PREFIX + cluster


def claim_field(cluster, epoch):
    return "%s%s.from.%d" % (PREFIX, cluster, epoch)


def orphan_field(cluster):
    return "%s%s.orphaned" % (PREFIX, cluster)


def seen_field(cluster, holder):
    return "%s%s.seen.%s" % (PREFIX, cluster, holder)


def watchers_seen(snapshot, cluster):
    """``[{"id", "seen"}]``: the watchers that recorded themselves (``Lease.note_seen``), by id."""
    head = seen_field(cluster, "")
    out = []
    for field, key in snapshot["fields"].items():
        if field.startswith(head) and HOLDER_RE.match(field[len(head):]):
            out.append({"id": field[len(head):], "seen": parse_time(snapshot["values"].get(key))})
    return sorted(out, key=lambda w: w["id"])


def format_value(holder, epoch, expiry, renewed):
    return "holder=%s;epoch=%d;expiry=%s;renewed=%s" % (holder or "", epoch, fmt(expiry) or "", fmt(renewed) or "")


def parse_value(text, where):
    items = dict(part.split("=", 1) for part in (text or "").split(";") if "=" in part)
    epoch = items.get("epoch", "")
    if not re.match(r"^\d+$", epoch):
        raise StateCorruptError("custom attribute %s holds %r, not holder=W;epoch=N;expiry=TIME;renewed=TIME: fix or "
                                "remove it in vCenter" % (where, text), field=where)
    return {"holder": items.get("holder") or None, "epoch": int(epoch),
            "expiry": parse_time(items.get("expiry")), "renewed": parse_time(items.get("renewed"))}


def effective(snapshot, cluster):
    """The lease of ``cluster`` in a snapshot of the root folder's attributes (pure)."""
    name = lease_field(cluster)
    value = snapshot["values"].get(snapshot["fields"].get(name))
    lease = parse_value(value, name) if value else {"holder": None, "epoch": 0, "expiry": None, "renewed": None}
    lease.update(cluster=cluster, field=name, key=snapshot["fields"].get(name))
    follow_claims(snapshot, lease, lambda epoch: claim_field(cluster, epoch), parse_value, number="epoch")
    orphaned = snapshot["values"].get(snapshot["fields"].get(orphan_field(cluster)))
    lease["orphaned"] = parse_time(orphaned)
    lease["seen"] = watchers_seen(snapshot, cluster)
    return lease


def held(lease, now):
    """Whether a watcher holds ``lease`` at ``now`` (a holder, unexpired, no change under way)."""
    return bool(lease["holder"] and lease["expiry"] and now < lease["expiry"] and not lease["pending"])


def free_since(lease):
    """Since when nobody holds an unheld lease: its expiry, or its release (None: never held)."""
    return lease["expiry"] if lease["holder"] else lease["renewed"]


def public(lease, now):
    out = dict((k, lease[k]) for k in ("cluster", "holder", "epoch"))
    out.update(expiry=fmt(lease["expiry"]), renewed=fmt(lease["renewed"]), held=held(lease, now),
               pending=lease["pending"] and dict((k, lease["pending"][k]) for k in ("field", "from")),
               free_since=None if held(lease, now) else fmt(free_since(lease)),
               orphaned=fmt(lease["orphaned"]),
               standbys=[{"id": w["id"], "seen": fmt(w["seen"]),
                          "seen_ago": int((now - w["seen"]).total_seconds()) if w["seen"] else None}
                         for w in lease.get("seen", []) if not (held(lease, now) and w["id"] == lease["holder"])])
    return out


class Lease(object):
    """The lease of one cluster over ``RootAnnotations`` (vsphere/annotations.py) or a fake of it."""

    def __init__(self, annotations, cluster, clock=utc_now):
        self.ann = annotations
        self.cluster = check_cluster(cluster)
        self.clock = clock
        self.pending_seen = {}  # claim key -> when first seen without a value (a long-lived watcher's memory)

    def read(self, snapshot=None):
        return effective(snapshot or self.ann.read(), self.cluster)

    def get(self):
        return public(self.read(), self.clock())

    def require(self, epoch):
        """The fencing token: vCenter must hold ``epoch``, unexpired; else ``StaleLeaseError``."""
        check_number(epoch, "epoch", 1)
        now = self.clock()
        lease = self.read()
        if lease["epoch"] != epoch or not held(lease, now):
            if lease["epoch"] != epoch:
                why = "vCenter holds epoch %d (holder %s)" % (lease["epoch"], lease["holder"] or "none")
            elif lease["pending"]:
                why = "another watcher is taking it over"
            else:
                why = "it expired at %s" % (fmt(lease["expiry"]) or "release")
            raise StaleLeaseError(
                "watcher lease %s: this run belongs to epoch %d, but %s: this watcher lost the lease; nothing done"
                % (self.cluster, epoch, why), current=public(lease, now), stale=True, field="epoch")
        return public(lease, now)

    def acquire(self, holder, ttl, epoch=None, check_mode=False):
        """Take the lease for ``ttl`` seconds: when free, expired, or held by ``holder``.

        ``holder`` holding ``epoch`` renews it (same epoch); any other acquire is a
        change of holder and bumps the epoch (a restarted watcher too: runs of its
        former process must not pass ``require``). Raises ``LeaseBusyError``.
        """
        check_holder(holder)
        check_number(ttl, "ttl", 1, MAX_TTL)
        now = self.clock()
        lease = self.read()
        if lease["holder"] == holder and epoch is not None and lease["epoch"] == epoch and not lease["pending"]:
            return self._renew(lease, ttl, now, check_mode)
        if lease["pending"] and self._dead_claim(lease, ttl, now):
            self.ann.remove_field(lease["pending"]["key"])
            lease = self.read()
        if lease["pending"]:
            raise LeaseBusyError("watcher lease %s: a change of holder from epoch %d is under way (%s has no value)"
                                 % (self.cluster, lease["epoch"], lease["pending"]["field"]),
                                 current=public(lease, now), stale=True, field=lease["pending"]["field"])
        if held(lease, now) and lease["holder"] != holder:
            raise LeaseBusyError("watcher lease %s: held by %s (epoch %d) until %s"
                                 % (self.cluster, lease["holder"], lease["epoch"], fmt(lease["expiry"])),
                                 current=public(lease, now), stale=True, field="holder")
        return self._change(lease, holder, now + datetime.timedelta(seconds=ttl), now, check_mode)

    def _dead_claim(self, lease, ttl, now):
        """A claim without a value seen for 2 x ttl: its writer died between two calls (a live one
        values it one call later). Removed as repair_state would; a writer that resumes then fails."""
        key = lease["pending"]["key"]
        first = self.pending_seen.get(key, now)
        self.pending_seen.clear()  # in place: the source shares it across its reconnections
        self.pending_seen[key] = first
        return (now - self.pending_seen[key]).total_seconds() >= 2 * ttl

    def renew(self, holder, epoch, ttl, check_mode=False):
        """Extend the lease ``holder`` holds at ``epoch``; ``StaleLeaseError`` when it does not (lost)."""
        check_holder(holder)
        check_number(epoch, "epoch", 1)
        check_number(ttl, "ttl", 1, MAX_TTL)
        now = self.clock()
        lease = self.read()
        if lease["holder"] != holder or lease["epoch"] != epoch or lease["pending"]:
            raise StaleLeaseError("watcher lease %s: %s does not hold epoch %d: vCenter holds epoch %d (holder %s)%s"
                                  % (self.cluster, holder, epoch, lease["epoch"], lease["holder"] or "none",
                                     ", a change of holder under way" if lease["pending"] else ""),
                                  current=public(lease, now), stale=True, field="epoch")
        return self._renew(lease, ttl, now, check_mode)

    def release(self, holder, epoch, check_mode=False):
        """Give the lease up (a change of holder: the epoch grows); unchanged when ``holder`` does not hold it."""
        check_holder(holder)
        check_number(epoch, "epoch", 1)
        now = self.clock()
        lease = self.read()
        if lease["holder"] != holder or lease["epoch"] != epoch or lease["pending"]:
            return {"changed": False, "before": public(lease, now), "after": public(lease, now), "event": None,
                    "msg": "watcher lease %s: %s does not hold epoch %d; nothing to release"
                    % (self.cluster, holder, epoch)}
        return self._change(lease, None, None, now, check_mode)

    def _renew(self, lease, ttl, now, check_mode):
        after = dict(lease, expiry=now + datetime.timedelta(seconds=ttl), renewed=now)
        if not check_mode:  # one call: the key came with the read
            self.ann.set_field(lease["key"] or self._key(lease["field"]),
                               format_value(lease["holder"], lease["epoch"], after["expiry"], now))
        return {"changed": True, "before": public(lease, now), "after": public(after, now), "event": None,
                "msg": "watcher lease %s: %s holds epoch %d until %s"
                % (self.cluster, lease["holder"], lease["epoch"], fmt(after["expiry"]))}

    def _key(self, field):
        key = self.ann.read()["fields"].get(field)
        if key is None:
            key = self.ann.add_field(field) or self.ann.read()["fields"][field]
        return key

    def _change(self, lease, holder, expiry, now, check_mode):
        """A change of holder from ``lease["epoch"]``: store.py's claim, then the event."""
        epoch = lease["epoch"] + 1
        after = dict(lease, holder=holder, epoch=epoch, expiry=expiry, renewed=now, pending=None, orphaned=None)
        message = self.event_message(lease, after, now)
        result = {"changed": True, "before": public(lease, now), "after": public(after, now), "event": message,
                  "msg": message[len(EVENT_PREFIX):]}
        if check_mode:
            return result
        claim = claim_field(self.cluster, lease["epoch"])
        this = self

        def recheck(snapshot, claim_key):
            again = effective(snapshot, this.cluster)
            if again["epoch"] != lease["epoch"] or (again["pending"] or {}).get("key") != claim_key:
                return LeaseBusyError("watcher lease %s: another watcher changed it first (epoch %d)"
                                      % (this.cluster, again["epoch"]), current=public(again, now), stale=True,
                                      field="epoch")
            if holder is not None and again["holder"] not in (None, holder) and held(again, this.clock()):
                return LeaseBusyError("watcher lease %s: renewed by %s meanwhile" % (this.cluster, again["holder"]),
                                      current=public(again, now), stale=True, field="holder")
            return None

        if claimed_write(self.ann, claim, lease["field"], format_value(holder, epoch, expiry, now), recheck) is None:
            raise LeaseBusyError("watcher lease %s: another watcher is changing it from epoch %d (%s exists)"
                                 % (self.cluster, lease["epoch"], claim), current=public(lease, now), stale=True,
                                 field=claim)
        warnings = []
        prefix = "%s%s.from." % (PREFIX, self.cluster)
        for field, key in self.ann.read()["fields"].items():
            rest = field[len(prefix):] if field.startswith(prefix) else ""
            # Older claims go; the one just made stays while its epoch holds (module docstring).
            if rest.isdigit() and int(rest) < lease["epoch"]:
                try:
                    self.ann.remove_field(key)
                except Exception as exc:  # pylint: disable=broad-except
                    warnings.append("lease written; claim %s not removed: %s" % (field, exc))
        if holder is not None and lease["orphaned"]:
            warnings += self.set_orphaned(None)
        try:
            self.ann.post_event(message)
        except Exception as exc:  # pylint: disable=broad-except
            warnings.append("lease written; event not posted in vCenter: %s" % exc)
            result["event"] = None
        result["warnings"] = warnings
        return result

    def event_message(self, before, after, now):
        head = "%s%s: " % (EVENT_PREFIX, self.cluster)
        if after["holder"] is None:
            return head + "%s released it (epoch %d)" % (before["holder"], after["epoch"])
        if before["holder"] in (None, after["holder"]):
            return head + "%s acquired it (epoch %d)" % (after["holder"], after["epoch"])
        state = "expired %s" % fmt(before["expiry"]) if before["expiry"] and before["expiry"] <= now else "released"
        return head + "%s took over from %s (epoch %d; %s)" % (after["holder"], before["holder"], after["epoch"], state)

    def set_orphaned(self, since):
        """Write (``since``) or clear (None) the orphaned attribute; returns warnings."""
        try:
            self.ann.set_field(self._key(orphan_field(self.cluster)), fmt(since) or "")
            if since is not None:
                self.ann.post_event("%s%s: no watcher holds the lease since %s" % (EVENT_PREFIX, self.cluster, fmt(since)))
        except Exception as exc:  # pylint: disable=broad-except
            return ["orphaned mark of watcher lease %s not written: %s" % (self.cluster, exc)]
        return []

    def note_seen(self, holder):
        """Record that standby ``holder`` is alive (its time, one call once the attribute exists); returns warnings."""
        check_holder(holder)
        try:
            self.ann.set_field(self._key(seen_field(self.cluster, holder)), fmt(self.clock()))
        except Exception as exc:  # pylint: disable=broad-except
            return ["watcher %s not recorded as seen in lease %s: %s" % (holder, self.cluster, exc)]
        return []

    def events(self, limit=20):
        return self.ann.query_events("%s%s:" % (EVENT_PREFIX, self.cluster), limit)


__all__ = ["Lease", "StaleLeaseError", "LeaseBusyError", "TransitionPendingError", "effective", "held", "public"]
