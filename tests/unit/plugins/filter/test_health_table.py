# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""health_table renders vm_health_info's compact and full results alike."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.filter.health_table import health_table
from ansible_collections.vigil.ha.plugins.module_utils.health.records import health_report
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.inventory_fixture import inventory


def row(table, name):
    return next(line.split() for line in table.splitlines() if line.startswith(name + " "))


def test_full_result_shows_raw_states():
    table = health_table(health_report(inventory(), details="full"))
    assert row(table, "web")[:7] == ["web", "OK", "esx-a", "poweredOn", "connected", "Running", "green"]
    assert row(table, "esx-b")[:4] == ["esx-b", "FAILED", "prod", "notResponding"]


def test_compact_result_shows_power_and_reasons_and_dashes_for_the_rest():
    table = health_table(health_report(inventory(), details="compact"))
    assert row(table, "web") == ["web", "OK", "esx-a", "poweredOn", "-", "-", "-", "-"]
    assert row(table, "db2") == ["db2", "FAILED", "esx-a", "poweredOff", "-", "-", "-", "powered", "off"]
    assert row(table, "esx-a") == ["esx-a", "OK", "prod", "-", "-", "-", "-"]
    assert table.endswith("3 hosts, 4 VMs: 4 ok, 0 degraded, 2 failed, 1 unknown")
