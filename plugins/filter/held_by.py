# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: held_by
short_description: The hierarchies a node may hold
version_added: 0.1.0
description:
  - Selects, from a list of hierarchies (the cluster's C(vigil_ha_hierarchies)),
    those whose C(nodes) list the given node, each with that node's C(priority) added.
author:
  - vigil.ha developers (@vigil-ha)
options:
  _input:
    description: The hierarchies.
    type: list
    elements: dict
    required: true
  node:
    description: The node's inventory host name.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: What node3 may hold
  ansible.builtin.debug:
    msg: "{{ vigil_ha_hierarchies | vigil.ha.held_by('node3') | map(attribute='name') }}"
"""

RETURN = r"""
_value:
  description: The hierarchies that list the node, each with the key C(priority) of that node.
  type: list
  elements: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.config.membership import held_by


class FilterModule(object):
    def filters(self):
        return {"held_by": held_by}
