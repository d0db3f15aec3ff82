# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the event source knows of its watcher lease (plain Python; the lease itself is state/lease.py).

The source ticks every ``lease_renew`` seconds with one lease operation: an
acquire that renews when this watcher holds its epoch, takes the lease when
it is free or expired, and is refused (standby) when another watcher holds
it. Active means: the last tick held the lease, and by this watcher's own
count (monotonic, from before that tick's call) it has not run out since;
so a watcher that cannot reach vCenter stands by once its lease is over,
without waiting for another tick. A standby that finds nobody has held the
lease for ``orphan_after`` seconds (and cannot take it) marks it orphaned,
and its source emits one ``vigil_ha_watcher`` event saying so (notifications).
A standby also records itself as seen once every ``ttl`` (status lists the
standbys and when each was last seen): one more call per ttl, not per tick.
"""

from __future__ import annotations

import time

from ansible_collections.vigil.ha.plugins.module_utils.state import lease as wl

DEFAULTS = {"lease_ttl": 15, "lease_renew": 5, "lease_orphan_after": 60}


def check_options(options):
    """The lease options, checked together: a renewal must come well within the ttl."""
    ttl, renew, orphan = (options[k] for k in ("lease_ttl", "lease_renew", "lease_orphan_after"))
    for key in ("lease_ttl", "lease_renew", "lease_orphan_after"):
        wl.check_number(options[key], key, 1, wl.MAX_TTL)
    if renew * 2 > ttl:
        raise wl.StateInputError("lease_renew: must be at most half of lease_ttl (%d), not %d" % (ttl, renew),
                                 field="lease_renew")
    return ttl, renew, orphan


class LeaseKeeper(object):
    def __init__(self, holder, ttl, orphan_after, clock=time.monotonic):
        self.holder = wl.check_holder(holder)
        self.ttl = ttl
        self.orphan_after = orphan_after
        self.clock = clock
        self.epoch = None
        self.held = False
        self.until = 0.0
        self.last = None  # the lease as the last tick saw it (public form)
        self.seen_at = None  # when this standby last recorded itself as seen (monotonic)
        self.orphan_marked = None  # since when nobody holds the lease, once this watcher marked it (not yet told)

    @property
    def active(self):
        return self.held and self.clock() < self.until

    def mark(self):
        """What every event carries: ``{"holder", "epoch", "active"}``."""
        return {"holder": self.holder, "epoch": self.epoch if self.active else None, "active": self.active}

    def tick(self, lease):
        """One lease operation against ``lease`` (a state/lease.py Lease; blocking).

        Returns ``"acquired"`` (became active, or a new epoch), ``"renewed"``,
        ``"lost"`` (was active, now standby) or ``"standby"``. vCenter errors pass
        through: the lease then runs out by the watcher's own count.
        """
        was, started = self.active, self.clock()
        try:
            done = lease.acquire(self.holder, self.ttl, epoch=self.epoch if self.held else None)
        except wl.StaleGenerationError as exc:  # busy, or lost to another watcher
            self.held, self.epoch = False, None
            self.last = exc.details.get("current")
            self._orphan(lease)
            self._seen(lease)
            return "lost" if was else "standby"
        epoch = done["after"]["epoch"]
        new = not was or epoch != self.epoch
        self.held, self.epoch, self.until, self.last = True, epoch, started + self.ttl, done["after"]
        return "acquired" if new else "renewed"

    def release(self, lease):
        """Give the lease up (the watcher stops); standby from now on."""
        epoch, self.held, self.epoch = self.epoch, False, None
        if epoch is not None:
            lease.release(self.holder, epoch)

    def _seen(self, lease):
        now = self.clock()
        if self.seen_at is not None and now - self.seen_at < self.ttl:
            return []
        self.seen_at = now
        return lease.note_seen(self.holder)

    def _orphan(self, lease):
        """Mark the lease orphaned once nobody has held it for ``orphan_after`` (a standby that cannot take it)."""
        last = self.last or {}
        since = wl.parse_time(last.get("free_since"))
        if last.get("held") or since is None or last.get("orphaned"):
            return []
        if (lease.clock() - since).total_seconds() < self.orphan_after:
            return []
        warnings = lease.set_orphaned(since)
        if not warnings:  # this watcher wrote the mark: it alone tells (the others read it marked)
            self.orphan_marked = since
        return warnings

    def take_orphan_mark(self):
        """Since when nobody holds the lease, if this watcher marked it since the last call (else None)."""
        since, self.orphan_marked = self.orphan_marked, None
        return since
