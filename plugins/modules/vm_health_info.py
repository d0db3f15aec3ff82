#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_health_info
short_description: Health verdicts of VMs and ESXi hosts from one bulk read
version_added: 0.1.0
description:
  - Reads the VMs and ESXi hosts of a vCenter in one PropertyCollector read,
    however many there are, and gives each a verdict with its reasons.
  - A verdict is V(ok), V(degraded), V(failed) or V(unknown). Host rules look
    at the connection state, power state, maintenance mode and overall status;
    VM rules at the power state, connection state, VMware Tools, the guest
    heartbeat and the overall status. A VM on a host that does not respond is
    V(unknown), with the host's reasons.
  - With no selection, every VM and host is reported. O(names), O(uuids) and
    O(morefs) pick VMs (a VM matching any of them is reported); O(folder) and
    O(cluster) narrow what is reported. A requested VM that does not exist is
    an error naming it.
  - By default each record is compact (who, where, the verdict, and the
    reasons only when the verdict is not V(ok)), so that thousands of VMs
    make a small result; O(details=full) adds the folder, datacenter,
    instance UUID and the vSphere properties the verdict was made from.
author:
  - vigil.ha developers (@vigil-ha)
options:
  names:
    description: VM names to report.
    type: list
    elements: str
    default: []
  uuids:
    description: VM BIOS UUIDs (C(config.uuid)) or instance UUIDs to report.
    type: list
    elements: str
    default: []
  morefs:
    description: VM managed object references to report, such as V(vm-42).
    type: list
    elements: str
    default: []
  folder:
    description:
      - Report only VMs in this VM folder or below it, as an inventory path
        such as V(/dc1/vm/databases).
    type: str
  cluster:
    description: Report only VMs and hosts of this cluster.
    type: str
  include_hosts:
    description:
      - Also report ESXi hosts. With a VM selection, the hosts those VMs run on;
        otherwise every host (of O(cluster) when given).
    type: bool
    default: true
  host_names:
    description:
      - With a VM selection and O(include_hosts), also report these ESXi hosts
        (by their name in vCenter), whether a selected VM runs there or not.
      - A name that vCenter does not know fails the task, naming this field.
    type: list
    elements: str
    default: []
  details:
    description:
      - How much to return about each VM and host.
      - V(compact) returns for a VM RV(vms[].name), RV(vms[].moref), RV(vms[].uuid),
        RV(vms[].host), RV(vms[].power_state) and RV(vms[].verdict); for a host
        RV(hosts[].name), RV(hosts[].moref), RV(hosts[].cluster) and
        RV(hosts[].verdict); with RV(vms[].reasons) and RV(hosts[].reasons) only
        when the verdict is not V(ok).
      - V(full) returns every field of RV(vms) and RV(hosts), RV(vms[].raw) and
        RV(hosts[].raw) included.
      - RV(summary) is the same either way.
    type: str
    choices: [compact, full]
    default: compact
    version_added: 0.3.0
extends_documentation_fragment:
  - vigil.ha.vcenter
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
  - vigil.ha.attributes.read_only
seealso:
  - module: community.vmware.vmware_vm_info
"""

EXAMPLES = r"""
- name: Health of every VM and host
  vigil.ha.vm_health_info:
    hostname: vcenter.example.com
    username: monitor@vsphere.local
    password: "{{ vault_vcenter_password }}"
    ca_path: /etc/pki/vcenter-ca.pem
  register: health

- name: Fail when any protected VM is not healthy, saying why
  ansible.builtin.assert:
    that: health.vms | rejectattr('verdict', 'eq', 'ok') | list | length == 0
    fail_msg: "{{ health.vms | rejectattr('verdict', 'eq', 'ok') | items2dict(key_name='name', value_name='reasons') }}"

- name: Two VMs by name and one by UUID, connection options shared through module_defaults
  module_defaults:
    group/vigil.ha.vcenter:
      hostname: "{{ vcenter_hostname }}"
      username: "{{ vcenter_username }}"
      password: "{{ vcenter_password }}"
  vigil.ha.vm_health_info:
    names: [db1, db2]
    uuids: [4213a1c5-7d1e-8f1a-2b3c-4d5e6f708192]

- name: Everything in one cluster, hosts included, with every detail (folder, raw vSphere properties)
  vigil.ha.vm_health_info:
    cluster: production
    details: full
  register: prod

- name: VMs with VMware Tools not running (a raw property, hence details full)
  ansible.builtin.debug:
    msg: "{{ prod.vms | rejectattr('raw.tools_running_status', 'eq', 'guestToolsRunning') | map(attribute='name') | list }}"
"""

RETURN = r"""
vms:
  description:
    - One record per reported VM, sorted by name.
    - Compact by default; O(details=full) gives every field below.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: VM name., type: str, returned: always, sample: node1}
    moref: {description: Managed object reference., type: str, returned: always, sample: vm-42}
    uuid:
      description: BIOS UUID (C(config.uuid)).
      type: str
      returned: always
      sample: 4213a1c5-7d1e-8f1a-2b3c-4d5e6f708192
    host:
      description: Name of the ESXi host the VM is registered on.
      type: str
      returned: always
      sample: esxi-01.example.com
    power_state:
      description: The VM's power state (C(runtime.powerState)).
      type: str
      returned: always
      sample: poweredOn
    verdict:
      description: V(ok), V(degraded), V(failed) or V(unknown).
      type: str
      returned: always
      sample: failed
    reasons:
      description:
        - Why, worst first.
        - With O(details=compact), only when the verdict is not V(ok).
        - With O(details=full), always (empty when V(ok), except for a template).
      type: list
      elements: str
      returned: when O(details=full) or the verdict is not V(ok)
      sample: [powered off]
    type: {description: Always V(vm)., type: str, returned: when O(details=full), sample: vm}
    instance_uuid: {description: vCenter instance UUID., type: str, returned: when O(details=full)}
    cluster:
      description: Name of that host's cluster, if any.
      type: str
      returned: when O(details=full)
    datacenter: {description: Name of the datacenter., type: str, returned: when O(details=full)}
    folder:
      description: Inventory path of the VM's folder.
      type: str
      returned: when O(details=full)
      sample: /dc1/vm
    raw:
      description: The vSphere properties the verdict was made from.
      type: dict
      returned: when O(details=full)
      sample:
        power_state: poweredOn
        connection_state: connected
        tools_running_status: guestToolsRunning
        guest_heartbeat_status: green
        overall_status: green
        template: false
hosts:
  description:
    - One record per reported ESXi host, sorted by name.
    - Compact by default; O(details=full) gives every field below.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: Host name., type: str, returned: always, sample: esxi-01.example.com}
    moref: {description: Managed object reference., type: str, returned: always, sample: host-17}
    cluster:
      description: Cluster name, if any.
      type: str
      returned: always
    verdict:
      description: V(ok), V(degraded), V(failed) or V(unknown).
      type: str
      returned: always
    reasons:
      description:
        - Why, worst first.
        - With O(details=compact), only when the verdict is not V(ok).
      type: list
      elements: str
      returned: when O(details=full) or the verdict is not V(ok)
      sample: [host not responding to vCenter]
    type: {description: Always V(host)., type: str, returned: when O(details=full), sample: host}
    datacenter: {description: Datacenter name., type: str, returned: when O(details=full)}
    raw:
      description: The vSphere properties the verdict was made from.
      type: dict
      returned: when O(details=full)
      sample:
        connection_state: notResponding
        power_state: poweredOn
        in_maintenance_mode: false
        overall_status: gray
summary:
  description: How many of the reported VMs and hosts (together) have each verdict.
  returned: always
  type: dict
  sample: {ok: 12, degraded: 1, failed: 1, unknown: 2}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.health import verdicts as health
from ansible_collections.vigil.ha.plugins.module_utils.health.records import DETAILS, Selection, health_report
from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import serve
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import call, vcenter_argument_spec

ARGUMENT_SPEC = dict(
    names=dict(type="list", elements="str", default=[]),
    uuids=dict(type="list", elements="str", default=[]),
    morefs=dict(type="list", elements="str", default=[]),
    folder=dict(type="str"),
    cluster=dict(type="str"),
    include_hosts=dict(type="bool", default=True),
    host_names=dict(type="list", elements="str", default=[]),
    details=dict(type="str", choices=list(DETAILS), default="compact"),
    **vcenter_argument_spec()
)


def run(p, check_mode=False, diff=False):  # pylint: disable=unused-argument
    selection = Selection(p["names"], p["uuids"], p["morefs"], p["folder"], p["cluster"])

    def report(client):
        objects = client.read_inventory(health.VM_PROPERTIES, health.HOST_PROPERTIES)
        found = health_report(objects, selection, p["include_hosts"], p["host_names"], p["details"])
        return dict(changed=False, **found)

    return call(p, report)


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
