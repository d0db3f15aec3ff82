# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: way_out
short_description: How to recover from a switchover whose step failed
version_added: 0.2.0
description:
  - Given the plan of a switchover that failed and the states observed again after the failure, says what to
    plan next.
  - A resource still not out of service on the old node means a stop failed there. The old node cannot be trusted
    to have stopped, so it is failed over (fenced, its health V(unclean)) to the switchover's target.
  - Otherwise a start failed on the target, and the hierarchy starts again on the old node.
author:
  - vigil.ha developers (@vigil-ha)
options:
  _input:
    description: The failed switchover's plan (RV(vigil.ha.plan#module:plan)).
    type: dict
    required: true
  states:
    description: The resources' states per node, observed after the failure (P(vigil.ha.observations#filter) C(states)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Decide how to recover
  ansible.builtin.set_fact:
    way_out: "{{ first_plan | vigil.ha.way_out(observed.states) }}"
"""

RETURN = r"""
_value:
  description:
    - C(stop_failed), and the next plan's C(action) (V(failover) or V(start)), C(target), C(failed_node),
      C(extra_health) (health to add to the observation) and C(confirmed) (always true, the operator asked).
  type: dict
"""

from ansible_collections.vigil.ha.plugins.module_utils.model.rollback import way_out


class FilterModule(object):
    def filters(self):
        return {"way_out": way_out}
