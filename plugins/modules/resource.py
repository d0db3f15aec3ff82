#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource
short_description: Start, stop, check or recover one protected resource on a node
version_added: 0.1.0
description:
  - Runs one action of a resource's kit on the node it is executed on, the way
    a hierarchy's playbooks do it step by step.
  - Kits are V(ip) (a virtual IP with gratuitous ARP), V(service) (a systemd
    unit or a supervised command with a pid file), V(filesystem),
    V(tcp) and V(http) (endpoint checks) and V(script) (the user's own
    restore/remove/quick_check/recover scripts). Whole VMs (kind V(vm)) are
    handled on the controller by M(vigil.ha.vm_resource).
  - Every action is idempotent and returns the resource's state afterwards,
    V(in_service), V(out_of_service), V(failed) or V(unknown), with reasons.
author:
  - vigil.ha developers (@vigil-ha)
options:
  name:
    description: Name of the resource in its hierarchy.
    type: str
    required: true
  kind:
    description: Kind of resource; see the parameters of each kind in the collection's docs/configuration.md.
    type: str
    required: true
    choices: [ip, service, filesystem, tcp, http, script]
  params:
    description: The kind's parameters, as in the hierarchy's configuration.
    type: dict
    default: {}
  check:
    description:
      - An endpoint check attached to the resource, a C(tcp) key with the
        parameters of the tcp kind (host, port), or an C(http) key with those of
        the http kind (url, expect_status, expect_body). After V(start),
        V(recover) and V(check) it must answer too, or the resource is V(failed).
      - C(interval), C(timeout) and C(confirm) keys are accepted and ignored here (they pace the watcher).
    type: dict
  action:
    description:
      - V(start) brings the resource into service, V(stop) takes it out,
        V(check) only reports, V(recover) restarts it in place.
      - For a replicated resource (O(replicated)) also V(promote) (this replica
        becomes the primary), V(demote) (this primary becomes a replica),
        V(catch_up) (wait until this replica lags O(primary) by nothing),
        V(rejoin) (follow O(primary) again, rewinding what diverged, or
        rebuilding when the kit cannot rewind) and V(rebuild) (copy
        O(primary)'s data afresh). See the collection's docs/replication.md.
    type: str
    required: true
    choices: [start, stop, check, recover, promote, demote, catch_up, rejoin, rebuild]
  replicated:
    description:
      - The resource is replicated, primary on one node and replica on the
        others; its states are then V(primary), V(replica),
        V(replica_lagging) or V(replica_broken) where it runs.
    type: bool
    default: false
    version_added: 0.3.0
  primary:
    description:
      - The node of the primary that this replica follows, as the plan's step
        names it; required by V(catch_up), V(rejoin) and V(rebuild).
      - Given to the kit's scripts as E(VIGIL_HA_PRIMARY).
    type: str
    version_added: 0.3.0
  fail_on_failed:
    description: Fail the task when the resource ends in state V(failed) (after V(start) or V(recover) only).
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes.posix
attributes:
  check_mode:
    support: full
    details: Probes the resource and says what it would do; changes nothing.
  diff_mode:
    support: full
    details: Before and after state of the resource.
"""

EXAMPLES = r"""
- name: Bring the virtual IP up on this node
  vigil.ha.resource:
    name: web-vip
    kind: ip
    params:
      address: 10.99.0.100/24
      interface: eth0
    action: start

- name: Restart the web service in place, then check that it answers
  vigil.ha.resource:
    name: web
    kind: service
    params:
      command: /usr/bin/python3 /opt/demo/app.py
      pidfile: /run/vigil-ha/web.pid
    check:
      http:
        url: http://10.99.0.100:8080/
    action: recover

- name: State of a scripted application
  vigil.ha.resource:
    name: erp
    kind: script
    params:
      restore: /etc/vigil-ha/scripts/erp/restore
      remove: /etc/vigil-ha/scripts/erp/remove
      quick_check: /etc/vigil-ha/scripts/erp/quickCheck
    action: check
  register: erp
"""

RETURN = r"""
state:
  description: State of the resource after the action.
  returned: always
  type: str
  sample: in_service
reasons:
  description: Why the resource is in that state, most important first.
  returned: always
  type: list
  elements: str
  sample: ["10.99.0.100 on eth0"]
facts:
  description: What the kit learnt, such as the pid of a supervised command.
  returned: when the kit has any
  type: dict
  sample: {pid: 4242}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.kits.attached import run_action
from ansible_collections.vigil.ha.plugins.module_utils.glue.kit_module import kit_result, refuse_bad_resource
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import fail
from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.kits.base import ALL_ACTIONS, FAILED, REPLICA_ACTIONS, KitError
from ansible_collections.vigil.ha.plugins.module_utils.kits.registry import NODE_KITS


# The actions that follow a primary: they need to know which node it is on.
FOLLOWING = ("catch_up", "rejoin", "rebuild")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            kind=dict(type="str", required=True, choices=sorted(NODE_KITS)),
            params=dict(type="dict", default={}),
            check=dict(type="dict"),
            action=dict(type="str", required=True, choices=list(ALL_ACTIONS)),
            replicated=dict(type="bool", default=False),
            primary=dict(type="str"),
            fail_on_failed=dict(type="bool", default=True),
        ),
        required_if=[("action", name, ("primary",)) for name in FOLLOWING],
        supports_check_mode=True,
    )
    p = module.params
    resource = dict(name=p["name"], kind=p["kind"], params=p["params"], check=p["check"], replicated=p["replicated"])
    refuse_bad_resource(module, resource)
    if p["action"] in REPLICA_ACTIONS and not p["replicated"]:
        fail(module, InputError("action: %s is for a replicated resource only (replicated: true)" % p["action"],
                                field="action"))
    result = kit_result(module, p["name"], p["action"],
                        lambda: run_action(resource, p["action"], check_mode=module.check_mode, primary=p["primary"]))
    if p["fail_on_failed"] and p["action"] in ("start", "recover", "promote") and result["state"] == FAILED:
        fail(module, KitError("resource %s is failed after %s: %s" % (
            p["name"], p["action"], "; ".join(result["reasons"]))), result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
