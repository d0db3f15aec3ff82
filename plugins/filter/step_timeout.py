# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: step_timeout
short_description: How long one step of a plan may take
version_added: 0.1.0
description:
  - The time limit, in seconds, the playbooks put on the task that runs one
    step of a plan (Ansible's C(timeout) keyword), so that a step on a node
    that hangs ends and fails like any failed step.
  - The longest the resource's kit may take for one action (from its own
    timeouts, for example a script's C(timeout) or a VM's C(tools_timeout),
    recover counted as stop then start) plus its attached check's wait, plus
    60 seconds; or the override when one is given.
author:
  - vigil.ha developers (@vigil-ha)
options:
  _input:
    description:
      - The resource, as in C(vigil_ha_hierarchies) (C(kind), C(params), C(check)).
      - A dict with C(kind=fence) (and C(params.fence_timeout)) for a fence step.
    type: dict
    required: true
  override:
    description: Seconds (above 0) to use instead, for example C(vigil_ha_step_timeout).
    type: raw
"""

EXAMPLES = r"""
- name: A script resource whose scripts may take 60 s each
  ansible.builtin.debug:
    msg: "{{ {'kind': 'script', 'params': {'timeout': 60}} | vigil.ha.step_timeout }}"  # 180
"""

RETURN = r"""
_value:
  description: Seconds.
  type: int
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.vigil.ha.plugins.module_utils.model.step_limits import step_timeout


def _step_timeout(resource, override=None):
    try:
        return step_timeout(resource, override)
    except (TypeError, ValueError) as e:
        raise AnsibleFilterError(str(e))


class FilterModule(object):
    def filters(self):
        return {"step_timeout": _step_timeout}
