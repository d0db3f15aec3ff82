# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: status_table
short_description: Render the status of hierarchies as a table, in the manner of crm_mon
version_added: 0.1.0
description:
  - Turns a list of hierarchy statuses (as the vigil.ha.status playbook builds
    them with P(vigil.ha.hierarchy_status#filter)) into lines of text, one block per
    hierarchy, with its owner, generation, each resource's state on each
    node, unhealthy nodes and the last transition.
author:
  - vigil.ha developers (@vigil-ha)
options:
  _input:
    description: Hierarchy statuses.
    type: list
    elements: dict
    required: true
  lease:
    description:
      - The cluster's watcher lease as M(vigil.ha.watcher_lease) reads it; a first line says who holds it
        (holder, epoch, expiry), or since when no watcher does, and a second the standby watchers and when each
        was last seen.
    type: dict
"""

EXAMPLES = r"""
- name: Show the status
  ansible.builtin.debug:
    msg: "{{ statuses | vigil.ha.status_table }}"

- name: Show the status with the watcher lease
  ansible.builtin.debug:
    msg: "{{ statuses | vigil.ha.status_table(lease) }}"
"""

RETURN = r"""
_value:
  description: The table, one string per line.
  type: list
  elements: str
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.status import status_table


class FilterModule(object):
    def filters(self):
        return {"status_table": status_table}
