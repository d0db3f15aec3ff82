# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: nodes_to_ask
short_description: The nodes of a hierarchy whose resources are checked over SSH
version_added: 0.2.0
description:
  - In guest mode every node of the hierarchy, but those whose VM vCenter reports powered off (they cannot
    answer) and those in O(gone); in host mode none (nothing runs on an ESXi host, vCenter says it all).
  - The rule is in C(plugins/module_utils/model/selection.py); C(playbooks/tasks/observe.yml) loops over it.
extends_documentation_fragment:
  - vigil.ha.hierarchy.filter
  - vigil.ha.hierarchy.nodes
options:
  vm_health:
    description: The registered M(vigil.ha.vm_health_info) result (may be failed).
    type: dict
    required: true
  gone:
    description:
      - Nodes not to ask - the failed node of a failover that the watcher found unreachable or failed
        (C(failed_node_gone)); it is fenced, and asking a hung node would wait for SSH to time out.
    type: list
    elements: str
    required: false
    version_added: 0.3.0
author:
  - vigil.ha developers (@vigil-ha)
"""

EXAMPLES = r"""
- name: Check the resources on each node that can answer
  vigil.ha.app_health_info:
    resources: "{{ hierarchy.resources }}"
  delegate_to: "{{ item }}"
  loop: "{{ hierarchy | vigil.ha.nodes_to_ask(config.nodes, vm_health) }}"
"""

RETURN = r"""
_value:
  description: Node names, in the hierarchy's order.
  type: list
  elements: str
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.selection import nodes_to_ask


class FilterModule(object):
    def filters(self):
        return {"nodes_to_ask": nodes_to_ask}
