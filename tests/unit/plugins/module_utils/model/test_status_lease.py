# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha.status shows the watcher lease: who holds it, or since when nobody does."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.model.status import lease_line, status_table


def lease(**kw):
    out = {"cluster": "prod", "holder": "w1", "epoch": 3, "expiry": "2026-01-02T03:04:20Z", "held": True,
           "free_since": None, "orphaned": None, "pending": None}
    out.update(kw)
    return out


def test_held():
    assert lease_line(lease()) == "Watcher lease prod: held by w1, epoch 3, until 2026-01-02T03:04:20Z"


def test_nobody_holds_it_since_its_expiry_and_the_orphaned_mark_is_shown():
    line = lease_line(lease(held=False, free_since="2026-01-02T03:04:20Z", orphaned="2026-01-02T03:04:20Z"))
    assert line == ("Watcher lease prod: no watcher holds the lease since 2026-01-02T03:04:20Z (epoch 3, last holder "
                    "w1); marked orphaned since 2026-01-02T03:04:20Z")


def test_released_and_never_held():
    assert "last holder none, released" in lease_line(lease(held=False, holder=None, free_since="t"))
    assert lease_line(lease(held=False, holder=None, epoch=0)) == \
        "Watcher lease prod: never held (no watcher runs with the lease on)"


def test_the_table_leads_with_the_lease_only_when_given():
    assert status_table([], lease())[0].startswith("Watcher lease prod: held by w1")
    assert status_table([]) == status_table([], None) == ["ISP in service, OSU out of service; * marks the owner"]


def test_status_lists_the_standbys_and_when_each_was_last_seen():
    held = lease(standbys=[{"id": "w2", "seen": "2026-01-02T03:04:15Z", "seen_ago": 4},
                           {"id": "w3", "seen": None, "seen_ago": None}])
    lines = status_table([], held)
    assert lines[1] == "Standby watchers: w2 last seen 4s ago (2026-01-02T03:04:15Z), w3 last seen never"
    assert not any(line.startswith("Standby") for line in status_table([], lease()))  # none seen: no line
