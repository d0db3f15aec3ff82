# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor of bench/health_read.py: not part of the collection.

The least a module can do for vm_health_info's answer: the same connection
options and session (glue/vcenter_module.py), the same single bulk read
(VsphereClient.read_inventory with the same VM and host properties), and a
result of one number. What vm_health_info costs above this is its verdicts,
its records and moving its result to the controller.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: health_read_floor
short_description: Benchmark floor, the bulk read of vm_health_info returning only a count
description:
  - Used by C(bench/health_read.py) only; found through the C(library/) folder next to the bench playbooks.
author:
  - vigil.ha developers (@vigil-ha)
extends_documentation_fragment:
  - vigil.ha.vcenter
"""

RETURN = r"""
count:
  description: How many VMs the read returned.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.health import verdicts as health
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import run, vcenter_argument_spec


def main():
    module = AnsibleModule(argument_spec=vcenter_argument_spec(), supports_check_mode=True)

    def count(client):
        objects = client.read_inventory(health.VM_PROPERTIES, health.HOST_PROPERTIES)
        return dict(changed=False, count=sum(1 for o in objects.values() if o["type"] == "VirtualMachine"))

    run(module, count)


if __name__ == "__main__":
    main()
