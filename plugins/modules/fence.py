#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fence
short_description: Fence a node by powering its VM off through vCenter, and verify it
version_added: 0.1.0
description:
  - Makes sure a node stopped serving before its hierarchies start elsewhere
    (fencing method V(vcenter_poweroff)). The node's VM, named by O(uuid) or
    O(moref), is powered off through vCenter (a hard power-off, not a guest
    shutdown), then its power state is read again; only V(poweredOff)
    reported by vCenter for a VM on a connected host counts as fenced.
  - A VM that is already powered off is fenced without a change.
  - A VM whose ESXi host does not respond (or is disconnected), or which is
    itself disconnected, orphaned or inaccessible in vCenter, cannot be fenced
    through vCenter; the power state vCenter shows for it is only its last
    knowledge. The task then fails with RV(fenced=false) and a message that
    says so; fence the node another way (power off the host, IPMI, storage
    or network isolation) or confirm by hand. It never reports success.
  - When vCenter cannot be reached, or the power-off cannot be verified within
    O(fence_timeout), the task fails with RV(fenced=false).
author:
  - vigil.ha developers (@vigil-ha)
options:
  uuid:
    description:
      - BIOS UUID (C(config.uuid)) or instance UUID of the node's VM.
      - One of O(uuid) and O(moref) is required.
    type: str
  moref:
    description: Managed object reference of the node's VM, such as V(vm-42).
    type: str
  name:
    description: Name of the node, used in messages only (a VM is never looked up by name).
    type: str
  fence_timeout:
    description:
      - Seconds, from 1 to 900, for the power-off task and its verification together.
      - Each call to vCenter is bounded by O(timeout) in addition.
    type: int
    default: 60
  host_unanswered:
    description:
      - Why the VM's ESXi host is dead or hung although vCenter may still call it connected (in host mode,
        the host's management address, C(check.address), did not answer the controller's probe).
      - Given, the VM is never confirmed off through vCenter (vCenter's view of the host is stale) unless
        vCenter reports the host powered off; the task fails with RV(fenced=false).
    type: str
extends_documentation_fragment:
  - vigil.ha.hierarchy.generation
  - vigil.ha.vcenter
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the VM and its host and says whether it would power the VM off; changes nothing.
      - A VM that cannot be fenced fails in check mode too.
  diff_mode:
    support: full
    details: The VM's power state before and after.
notes:
  - Power-off is abrupt on purpose; stop the hierarchy cleanly first when the node still answers.
  - The lab's simulator lets a VM on a failed host be powered off; vCenter does not. This module
    never tries it, it refuses before acting.
seealso:
  - module: vigil.ha.hierarchy_state
"""

EXAMPLES = r"""
- name: Fence node1 before its hierarchies start on node2
  vigil.ha.fence:
    name: node1
    uuid: "{{ hostvars['node1'].vigil_ha_node.vm.uuid }}"
  register: fenced

- name: Ask for an operator when the node could not be fenced
  vigil.ha.fence:
    name: node1
    moref: vm-42
    fence_timeout: 120
  register: fence_result
  ignore_errors: true

- name: Stop here unless fenced
  ansible.builtin.fail:
    msg: "{{ fence_result.msg }}"
  when: not fence_result.fenced
"""

RETURN = r"""
fenced:
  description:
    - Whether the VM is powered off as verified by reading it again through vCenter.
    - V(false) in check mode when it would be powered off, and on every failure.
  returned: always
  type: bool
  sample: true
power_state:
  description: The VM's power state as vCenter last reported it (V(null) when it could not be read).
  returned: always
  type: str
  sample: poweredOff
host:
  description: Name of the ESXi host the VM is registered on.
  returned: always
  type: str
  sample: esxi-01.example.com
moref:
  description: Managed object reference of the VM.
  returned: always
  type: str
  sample: vm-42
name:
  description: O(name) as given.
  returned: always
  type: str
  sample: node1
diff:
  description: The power state before and after.
  returned: when diff mode is on and the VM was reached
  type: dict
  sample: {before: {power_state: poweredOn}, after: {power_state: poweredOff}}
"""

import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.fencing.vcenter import MAX_TIMEOUT, Fencer, FenceError, fence_error_from
from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import serve
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import failure
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import (
    call, require_step_generation, step_generation_spec, vcenter_argument_spec)
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.vm_operations import VmOperations


ARGUMENT_SPEC = dict(
    uuid=dict(type="str"),
    moref=dict(type="str"),
    name=dict(type="str"),
    fence_timeout=dict(type="int", default=60),
    host_unanswered=dict(type="str"),
    **dict(step_generation_spec(), **vcenter_argument_spec())
)
SPEC_RULES = dict(required_one_of=[("uuid", "moref")], mutually_exclusive=[("uuid", "moref")])


def run(p, check_mode=False, diff=False):
    base = dict(changed=False, fenced=False, power_state=None, host=None, moref=p["moref"], name=p["name"])
    if not 1 <= p["fence_timeout"] <= MAX_TIMEOUT:
        return dict(failure(InputError("fence_timeout: must be 1 to %d seconds, not %s" % (
            MAX_TIMEOUT, p["fence_timeout"]), field="fence_timeout"), base), failed=True)
    if p["timeout"] <= 0:
        return dict(failure(InputError("timeout: must be a positive number of seconds, not %s" % p["timeout"],
                                       field="timeout"), base), failed=True)

    def fence(client):
        require_step_generation(p, client)
        result = Fencer(VmOperations(client)).fence(
            uuid=p["uuid"], moref=p["moref"], name=p["name"], timeout=p["fence_timeout"],
            check_mode=check_mode, host_unanswered=p["host_unanswered"])
        if not diff:
            result.pop("diff", None)
        return result

    def translate(exc):
        error = fence_error_from(exc, name=p["name"], moref=p["moref"])
        if not isinstance(exc, FenceError) and not error.result.get("error"):
            error.add_fields(exception=traceback.format_exc())  # a bug, not vCenter: keep where it happened
        return error

    return call(p, fence, base=base, translate=translate)


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_RULES), run)


if __name__ == "__main__":
    main()
