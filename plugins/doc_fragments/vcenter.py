# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # Paired with vcenter_argument_spec() in plugins/module_utils/glue/vcenter_module.py.
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - Name or address of the vCenter Server (or ESXi host).
      - If not set, the environment variable E(VMWARE_HOST) is used.
    type: str
    required: true
  username:
    description:
      - User to log in as.
      - If not set, the environment variable E(VMWARE_USER) is used.
    type: str
    required: true
    aliases: [user]
  password:
    description:
      - Password of O(username). Never logged or returned.
      - If not set, the environment variable E(VMWARE_PASSWORD) is used.
    type: str
    required: true
    aliases: [pass, pwd]
  port:
    description:
      - HTTPS port of the vSphere API.
      - If not set, the environment variable E(VMWARE_PORT) is used, then 443.
    type: int
    default: 443
  validate_certs:
    description:
      - Verify vCenter's TLS certificate and name.
      - Turn off only in a throw-away lab; give O(ca_path) instead.
      - If not set, the environment variable E(VMWARE_VALIDATE_CERTS) is used, then V(true).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file or directory of CA certificates to trust for vCenter, in addition to the system's.
      - If not set, the environment variable E(VMWARE_CA_PATH) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for vCenter when connecting and for every call after.
    type: int
    default: 30
requirements:
  - pyVmomi >= 8.0
notes:
  - One session per task, logged out when the task ends.
  - These options can be set once for all modules of the collection with
    C(module_defaults) and the action group C(group/vigil.ha.vcenter).
"""

    # The same options, none required: a controller module (vigil.ha.plan,
    # vigil.ha.ledger) that uses vCenter only when given one. List it before
    # vigil.ha.vcenter: the first fragment's entries win where both define one
    # (ansible-core merges a later fragment under what the doc already holds).
    OPTIONAL = r"""
options:
  hostname:
    description:
      - Name or address of the vCenter Server (or ESXi host).
      - If not set, the environment variable E(VMWARE_HOST) is used.
      - Without it (and without E(VMWARE_HOST)), this module does not use vCenter.
    type: str
    required: false
  username:
    description:
      - User to log in as.
      - If not set, the environment variable E(VMWARE_USER) is used.
    type: str
    required: false
  password:
    description:
      - Password of O(username). Never logged or returned.
      - If not set, the environment variable E(VMWARE_PASSWORD) is used.
    type: str
    required: false
"""
