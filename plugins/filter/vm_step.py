# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vm_step
short_description: What a VM step of a plan acts on
version_added: 0.2.0
description:
  - For a plan's step of the C(vm) kit (host mode), the hierarchy's C(vm) resource it names, the ESXi hosts of the
    hierarchy's nodes (where the VM may be) and the ESXi host of the step's target node.
  - The rule is in C(plugins/module_utils/model/selection.py); C(playbooks/tasks/step_vm.yml) runs it.
extends_documentation_fragment:
  - vigil.ha.hierarchy.step
  - vigil.ha.hierarchy.nodes
author:
  - vigil.ha developers (@vigil-ha)
"""

EXAMPLES = r"""
- name: Start the VM of step 3
  vigil.ha.vm_resource:
    name: "{{ step.resource }}"
    params: "{{ (step | vigil.ha.vm_step(config.nodes, hierarchy)).resource.params }}"
    hosts: "{{ (step | vigil.ha.vm_step(config.nodes, hierarchy)).hosts }}"
    action: start
"""

RETURN = r"""
_value:
  description: C(resource) (the C(vm) resource), C(hosts) (ESXi host names) and C(target) (an ESXi host name, or
    null when the step has no target).
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.selection import vm_step


class FilterModule(object):
    def filters(self):
        return {"vm_step": vm_step}
