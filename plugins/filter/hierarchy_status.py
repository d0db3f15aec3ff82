# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: hierarchy_status
short_description: The status of one hierarchy as data
version_added: 0.1.0
description:
  - Combines a validated hierarchy, its state in vCenter (from
    M(vigil.ha.hierarchy_state) with O(vigil.ha.hierarchy_state#module:events)) and the
    planner inputs from P(vigil.ha.observations#filter) into one record
    with owner, generation, each resource's state on each node, node health
    and the last transition.
author:
  - vigil.ha developers (@vigil-ha)
options:
  _input:
    description: The hierarchy as M(vigil.ha.validate_cluster) returns it.
    type: dict
    required: true
  state:
    description: The registered result of M(vigil.ha.hierarchy_state) (get).
    type: dict
    required: true
  observed:
    description: The result of P(vigil.ha.observations#filter).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Status of web
  ansible.builtin.set_fact:
    web_status: "{{ hierarchy | vigil.ha.hierarchy_status(state, observed) }}"
"""

RETURN = r"""
_value:
  description: hierarchy, owner, generation, since, nodes, node_health, resources (name, kind, states per node), last_transition, vcenter_reachable.
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.status import hierarchy_status


class FilterModule(object):
    def filters(self):
        return {"hierarchy_status": hierarchy_status}
