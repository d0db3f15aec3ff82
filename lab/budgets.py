# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fresh start for the budgets of the lab's hierarchies.

The budgets are counted from vCenter's event log (docs/state.md, "Budgets,
shared by every controller"), which outlives a test module, a chaos
scenario or a benchmark: a new ledger no longer gives unused budgets. Each
of them posts an operator's reset instead, as vigil.ha.ledger does with
action reset_budget (the same message, through the collection's own code).
"""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.state.budget_events import BudgetLog
from ansible_collections.vigil.ha.plugins.module_utils.state.ledger import record
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import VsphereClient

HIERARCHIES = ("web", "erp")  # the lab's guest-mode and host-mode hierarchies (lab/inventories.py)


def reset_budgets(lab_vars, why, hierarchies=HIERARCHIES):
    """Post a reset_budget of each hierarchy in the lab's vCenter (``lab_vars``: its vcenter.json)."""
    client = VsphereClient(lab_vars["vcenter_hostname"], lab_vars["vcenter_username"], lab_vars["vcenter_password"],
                           port=lab_vars["vcenter_port"], ca_path=lab_vars["vcenter_ca_path"], timeout=10)
    with client:
        log = BudgetLog(RootAnnotations(client))
        for hierarchy in hierarchies:
            log.post(record(hierarchy, "reset_budget", "act", reason=why))
