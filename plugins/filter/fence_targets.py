# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fence_targets
short_description: What a fence step of a plan acts on
version_added: 0.2.0
description:
  - For a plan's fence step, the VMs a fence powers off through vCenter, and whether the node has a fence agent
    (a BMC) among its fencing levels.
  - In guest mode the VMs are the node's own VM. In host mode, where the node is an ESXi host, they are the
    hierarchy's C(vm) resources that vCenter placed on that host when the hierarchy was observed.
  - Any other step acts on nothing.
extends_documentation_fragment:
  - vigil.ha.hierarchy.step
  - vigil.ha.hierarchy.nodes
author:
  - vigil.ha developers (@vigil-ha)
options:
  observed:
    description: The observation of the hierarchy (P(vigil.ha.observations#filter)); its C(vms) say where each VM runs.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: What step 1 fences
  ansible.builtin.set_fact:
    targets: "{{ plan.steps[0] | vigil.ha.fence_targets(config.nodes, hierarchy, observed) }}"
"""

RETURN = r"""
_value:
  description: C(vms) (each with C(name), and C(uuid) or C(moref), or a C(vm) resource with C(params)), and
    C(agent_levels) (true when the node has a C(fence_agent) level).
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.fence_targets import fence_targets


class FilterModule(object):
    def filters(self):
        return {"fence_targets": fence_targets}
