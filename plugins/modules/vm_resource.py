#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_resource
short_description: Start, stop, check or recover a whole VM protected in host mode
version_added: 0.1.0
description:
  - The C(vm) kit of vigil.ha. The VM is a resource; the nodes of its
    hierarchy are ESXi hosts, given in priority order in O(hosts).
  - V(start) places the VM on the first healthy host of O(hosts) (or on
    O(target)). If the host it is registered on stopped responding, the VM is
    registered again from its files on the new host, as vSphere HA does; if it
    runs on another host it is relocated. Then it is powered on and the task
    waits for VMware Tools.
  - V(stop) shuts the guest down within C(shutdown_timeout) seconds, then
    powers the VM off. V(recover) resets it. V(check) only reports.
  - Returns the VM's state V(in_service), V(out_of_service), V(failed) or
    V(unknown), with reasons; its MoRef can change when it is registered again.
author:
  - vigil.ha developers (@vigil-ha)
options:
  name:
    description: Name of the resource in its hierarchy.
    type: str
    required: true
  params:
    description:
      - The C(vm) kind's parameters, C(uuid) or C(moref) to name the VM, and
        optionally C(shutdown_timeout) (default 120) and C(tools_timeout) (default 300), in seconds.
    type: dict
    required: true
  action:
    description: What to do.
    type: str
    required: true
    choices: [start, stop, check, recover]
  hosts:
    description: ESXi host names the VM may run on, most preferred first. Empty means any host.
    type: list
    elements: str
    default: []
  target:
    description: Start on this ESXi host (a switchover); it must be healthy.
    type: str
extends_documentation_fragment:
  - vigil.ha.hierarchy.generation
  - vigil.ha.vcenter
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
attributes:
  check_mode:
    support: full
    details: Reads the VM and says where it would start or what it would stop; changes nothing.
  diff_mode:
    support: full
    details: State and host of the VM before and after.
"""

EXAMPLES = r"""
- name: Start the database VM on the best healthy host of its node list
  vigil.ha.vm_resource:
    name: db-vm
    params:
      uuid: 4213a1c5-7d1e-8f1a-2b3c-4d5e6f708192
    hosts: [esxi-01.example.com, esxi-02.example.com]
    action: start

- name: Move it to esxi-02 on purpose (relocate)
  vigil.ha.vm_resource:
    name: db-vm
    params: {moref: vm-42}
    target: esxi-02.example.com
    action: start
"""

RETURN = r"""
state:
  description: State of the VM after the action.
  returned: always
  type: str
  sample: in_service
reasons:
  description: Why, most important first.
  returned: always
  type: list
  elements: str
facts:
  description: The VM's MoRef, host and power state after the action.
  returned: always
  type: dict
  sample: {moref: vm-42, host: esxi-02.example.com, power_state: poweredOn}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.glue.kit_module import kit_result, refuse_bad_resource
from ansible_collections.vigil.ha.plugins.module_utils.kits.vm import VmKit
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import (
    require_step_generation, run, step_generation_spec, vcenter_argument_spec)
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.vm_operations import VmOperations


def main():
    spec = vcenter_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        params=dict(type="dict", required=True),
        action=dict(type="str", required=True, choices=["start", "stop", "check", "recover"]),
        hosts=dict(type="list", elements="str", default=[]),
        target=dict(type="str"),
        **step_generation_spec()
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    refuse_bad_resource(module, dict(name=p["name"], kind="vm", params=p["params"]))

    def act(client):
        require_step_generation(module.params, client)

        def action():
            kit = VmKit(p["name"], p["params"], VmOperations(client), hosts=p["hosts"], target=p["target"],
                        check_mode=module.check_mode)
            return kit.act(p["action"])
        return kit_result(module, p["name"], p["action"], action)

    run(module, act)


if __name__ == "__main__":
    main()
