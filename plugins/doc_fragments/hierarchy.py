# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The option that names the one hierarchy a module works on.
    DOCUMENTATION = r"""
options:
  hierarchy:
    description:
      - Name of the hierarchy, its C(name) in C(vigil_ha_hierarchies) (letters, digits, V(.), V(_) or V(-),
        starting with a letter or digit).
    type: str
    required: true
"""

    # The validated nodes, for the filters (with .filter or .step).
    NODES = r"""
options:
  nodes:
    description: The validated nodes, keyed by name (M(vigil.ha.validate_cluster)).
    type: dict
    required: true
"""

    # The filters whose input is one step of a plan, with the validated hierarchy.
    STEP = r"""
options:
  _input:
    description: One step of a plan (the C(steps) of RV(vigil.ha.plan#module:plan)).
    type: dict
    required: true
  hierarchy:
    description: The hierarchy as M(vigil.ha.validate_cluster) returns it.
    type: dict
    required: true
"""

    # The filters whose input is one validated hierarchy.
    FILTER = r"""
options:
  _input:
    description: The hierarchy as M(vigil.ha.validate_cluster) returns it.
    type: dict
    required: true
"""

    # A plan's step run through vCenter (vm_resource, fence): the generation it belongs to.
    GENERATION = r"""
options:
  hierarchy:
    description:
      - With O(expected_generation), the hierarchy whose plan this step belongs to.
    type: str
  expected_generation:
    description:
      - The generation vCenter must hold for this step to act (the plan's generation before
        its commit point, its new generation after). When vCenter holds another (a run frozen
        while another run moved the hierarchy), the module fails with C(error=stale) and does
        nothing. The playbooks pass it for every step of a plan (for a kit's action on a node,
        through M(vigil.ha.hierarchy_state) with O(vigil.ha.hierarchy_state#module:action=require)
        just before it).
    type: int
"""
