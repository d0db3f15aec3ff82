# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: what_to_read
short_description: What C(playbooks/tasks/observe.yml) reads from vCenter for a hierarchy
version_added: 0.2.0
description:
  - Whether the hierarchy is in host mode, the VMs whose power M(vigil.ha.vm_health_info) reads (by UUID, or by
    MoRef for those named only so), the ESXi hosts it reads, and in host mode the C(vm) resources whose
    C(check.tcp) or C(check.http) M(vigil.ha.app_health_info) runs from the controller.
  - The VMs are the hierarchy's C(vm) resources in host mode, the nodes' own VMs in guest mode.
  - The rule is in C(plugins/module_utils/model/selection.py).
extends_documentation_fragment:
  - vigil.ha.hierarchy.filter
  - vigil.ha.hierarchy.nodes
author:
  - vigil.ha developers (@vigil-ha)
"""

EXAMPLES = r"""
- name: Read the power of erp's VMs
  vigil.ha.vm_health_info:
    uuids: "{{ (hierarchy | vigil.ha.what_to_read(config.nodes)).uuids }}"
"""

RETURN = r"""
_value:
  description: C(host_mode) (bool), C(uuids), C(morefs), C(host_names) (lists of strings) and C(vm_endpoints)
    (the C(vm) resources to check from the controller).
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.selection import what_to_read


class FilterModule(object):
    def filters(self):
        return {"what_to_read": what_to_read}
