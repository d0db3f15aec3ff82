# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: budget_used
short_description: How many local recoveries and failovers a hierarchy used within its policy's windows
version_added: 0.1.0
description:
  - Counts, in ledger records (as M(vigil.ha.ledger) writes them, read with
    P(ansible.builtin.file#lookup) or C(ansible.builtin.slurp)), the decisions to act of
    action C(recover) per resource and of action C(failover), within the
    windows of the hierarchy's policy.
  - A failover recorded with C(inputs.cause=rollback) (the way out of a
    switchover whose stop failed) is part of that planned move and is not
    counted; records without a cause are counted.
author:
  - vigil.ha developers (@vigil-ha)
options:
  _input:
    description: Ledger records of the hierarchy (a list of dicts).
    type: list
    elements: dict
    required: true
  policy:
    description: The hierarchy's policy as M(vigil.ha.validate_cluster) returns it.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Budget used
  ansible.builtin.set_fact:
    used: "{{ records | vigil.ha.budget_used(hierarchy.policy) }}"
"""

RETURN = r"""
_value:
  description: C(recoveries) (a dict of resource to count) and C(failovers) (a count).
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.budget import used


class FilterModule(object):
    def filters(self):
        return {"budget_used": used}
