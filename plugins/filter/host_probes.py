# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: host_probes
short_description: The probes of the ESXi hosts' management addresses of a host mode hierarchy
version_added: 0.2.0
description:
  - For each host mode node of the hierarchy whose C(check.address) is set, a C(tcp) resource
    (named by the node) for M(vigil.ha.app_health_info) run on the controller, so that a host that
    died is seen before vCenter marks it not responding. Empty for guest mode hierarchies.
extends_documentation_fragment:
  - vigil.ha.hierarchy.filter
  - vigil.ha.hierarchy.nodes
author:
  - vigil.ha developers (@vigil-ha)
"""

EXAMPLES = r"""
- name: Probe the hosts of erp
  vigil.ha.app_health_info:
    resources: "{{ hierarchy | vigil.ha.host_probes(config.nodes) }}"
"""

RETURN = r"""
_value:
  description: C(tcp) resources, each C(name) (the node), C(kind) and C(params) (C(host), C(port), C(timeout)).
  type: list
  elements: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.observations import host_probes


class FilterModule(object):
    def filters(self):
        return {"host_probes": host_probes}
