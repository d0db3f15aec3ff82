# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: follow
short_description: Whether the owner of a host mode hierarchy follows its migrated VMs
version_added: 0.1.0
description:
  - Takes a validated host mode hierarchy, the validated nodes, its owner now and what
    C(playbooks/tasks/observe.yml) saw (C(vigil_ha_observed)), and says whether the
    owner follows its VMs (DRS or an operator migrated them to another node), stays,
    or is refused because the running VMs are split or run outside the hierarchy's nodes.
  - The rule is in C(plugins/module_utils/model/follow.py); the playbook C(vigil.ha.adopt) uses it.
extends_documentation_fragment:
  - vigil.ha.hierarchy.filter
  - vigil.ha.hierarchy.nodes
author:
  - vigil.ha developers (@vigil-ha)
options:
  owner:
    description: The node that holds the hierarchy now (empty or null for none).
    type: str
    required: true
  observed:
    description: The observation of the hierarchy (filter C(vigil.ha.observations)).
    type: dict
    required: true
  generation:
    description:
      - The generation vCenter holds now. Given, a decision to follow comes with
        C(plan), the move as a plan without steps (generation + 1, the new owner),
        for C(playbooks/tasks/run_plan.yml).
    type: int
"""

EXAMPLES = r"""
- name: Does the owner follow the VMs?
  ansible.builtin.set_fact:
    decision: "{{ hierarchy | vigil.ha.follow(config.nodes, state.owner, observed) }}"
"""

RETURN = r"""
_value:
  description:
    - C(decision) (V(stay), V(follow) or V(refuse)), C(owner) (the owner after it) and C(reason);
      with O(generation) and V(follow), C(plan).
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.follow import from_observed


class FilterModule(object):
    def filters(self):
        return {"follow": from_observed}
