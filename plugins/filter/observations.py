# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: observations
short_description: Turn node checks and VM health into the inputs of vigil.ha.plan
version_added: 0.1.0
description:
  - Takes the validated hierarchy, the registered loop of
    M(vigil.ha.app_health_info) over its nodes (unreachable nodes included)
    and the result of M(vigil.ha.vm_health_info) on the nodes' VMs, and
    returns C(states), C(node_health), C(vcenter_reachable) and C(vms) for M(vigil.ha.plan).
  - A node that could not be reached is V(unreachable); a node whose VM is
    powered off is V(powered_off); a node whose VM vCenter cannot see is V(unknown).
extends_documentation_fragment:
  - vigil.ha.hierarchy.filter
  - vigil.ha.hierarchy.nodes
author:
  - vigil.ha developers (@vigil-ha)
options:
  node_checks:
    description:
      - The registered loop of app_health_info, one result per node.
      - In host mode, app_health_info run once on the controller on the C(check.tcp) / C(check.http) of the
        hierarchy's C(vm) resources (a VM that runs but whose endpoint does not answer is V(failed) on its host).
    type: dict
    required: true
  vm_health:
    description: The registered vm_health_info result (may be failed).
    type: dict
    required: true
  host_probes:
    description:
      - Host mode. The registered app_health_info on P(vigil.ha.host_probes#filter), run on the controller.
        A host vCenter still calls connected whose management address does not answer is V(unreachable),
        and the result's C(unanswered) says why (the fence then does not trust vCenter for it).
    type: dict
    required: false
  gone:
    description:
      - Nodes not asked because the watcher found them failed (O(gone) of P(vigil.ha.nodes_to_ask#filter)).
        Each is V(unreachable), so the plan fences it, unless vCenter reports its VM powered off.
    type: list
    elements: str
    required: false
    version_added: 0.3.0
"""

EXAMPLES = r"""
- name: Planner inputs
  ansible.builtin.set_fact:
    observed: "{{ hierarchy | vigil.ha.observations(config.nodes, node_checks, vm_health) }}"
"""

RETURN = r"""
_value:
  description: C(states), C(node_health), C(vcenter_reachable) and C(vms) (power state, host, MoRef per node).
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.observations import observations


class FilterModule(object):
    def filters(self):
        return {"observations": observations}
