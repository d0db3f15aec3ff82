#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fence_node
short_description: Fence a node through its fencing levels, in order, and confirm it off
version_added: 0.2.0
description:
  - Makes sure a node stopped serving before its hierarchies start elsewhere,
    trying the node's fencing levels in order (as Pacemaker's fencing
    topology) until one confirms it off; the first that confirms wins.
  - Level V(vcenter_poweroff) powers off the VMs given in O(vms) through
    vCenter and verifies them, with the rules of M(vigil.ha.fence) (a VM on
    a host that does not respond is never confirmed off).
  - Level V(fence_agent) runs a ClusterLabs fence agent (package
    C(fence-agents), such as C(fence_ipmilan), C(fence_redfish), C(fence_ilo4),
    C(fence_idrac)) on the controller as Pacemaker runs it, with its options on
    standard input (never on a command line), C(off) then C(status) until it
    reports the machine off within the level's timeout. The password reaches
    the agent on standard input, or for the agents built on C(ipmitool) in its
    environment, so that no command line shows it.
  - When no level confirms the node off the task fails with RV(fenced=false)
    and what each level saw; nothing may start elsewhere.
author:
  - vigil.ha developers (@vigil-ha)
options:
  name:
    description: The node's name (messages only).
    type: str
    required: true
  levels:
    description:
      - The node's fencing levels in order, as C(vigil_ha_node.fencing.levels)
        gives them (see the collection's C(docs/fencing.md)).
    type: list
    elements: dict
    required: true
    suboptions:
      method:
        description: The fencing method of this level.
        type: str
        required: true
        choices: [vcenter_poweroff, fence_agent, none]
      agent:
        description: The fence agent's name (O(levels[].method=fence_agent)), such as V(fence_ipmilan).
        type: str
      options:
        description: The agent's options (C(ip), C(ipport), C(username), C(lanplus), C(ssl_insecure), ...).
        type: dict
        default: {}
      password:
        description: The management controller's password (from a vault).
        type: str
      password_env:
        description: The name of an environment variable of the controller holding the password.
        type: str
      password_set:
        description: Set by validation when a password was given; ignored here.
        type: bool
      timeout:
        description: Seconds, 1 to 300, for the agent's off and its confirmation together.
        type: int
        default: 30
  vms:
    description:
      - The VMs a V(vcenter_poweroff) level powers off (the node's VM in
        guest mode; the hierarchy's VMs on the host in host mode), each with
        C(uuid) or C(moref) (or a C(vm) resource with them in C(params)), and
        C(name) for messages.
    type: list
    elements: dict
    default: []
  delay:
    description: Seconds to wait before the first level (a tie-breaker between two sides).
    type: int
    default: 0
  fence_timeout:
    description: Seconds, 1 to 900, for a V(vcenter_poweroff) level's power-off and verification, per VM.
    type: int
    default: 60
  host_unanswered:
    description:
      - Host mode. Why the node's ESXi host is dead or hung although vCenter may still call it connected
        (its management address, C(check.address), did not answer the controller's probe).
      - Given, a V(vcenter_poweroff) level confirms nothing (vCenter's view of the host is stale) unless
        vCenter reports the host powered off; the next level (its BMC) decides.
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
      - Reads what each level would act on (the VMs, the agent's C(status)) and
        says what it would do; changes nothing.
  diff_mode:
    support: none
seealso:
  - module: vigil.ha.fence
"""

EXAMPLES = r"""
- name: Fence esxi-01.lab, vCenter first, then its BMC
  vigil.ha.fence_node:
    name: esxi-01.lab
    vms: [{uuid: 4213a1c5-7d1e-8f1a-2b3c-4d5e6f708101, name: erp-db}]
    levels:
      - method: vcenter_poweroff
      - method: fence_agent
        agent: fence_ipmilan
        options: {ip: 10.0.0.21, username: admin, lanplus: 1}
        password: "{{ vault_bmc_password }}"
"""

RETURN = r"""
fenced:
  description: Whether a level confirmed the node off.
  returned: always
  type: bool
  sample: true
level:
  description: The level (1-based) that confirmed it.
  returned: success
  type: int
  sample: 2
method:
  description: That level's method (and agent).
  returned: success
  type: str
  sample: fence_agent fence_ipmilan
attempts:
  description: What each level tried, in order, with C(fenced) and C(msg).
  returned: always
  type: list
  elements: dict
  sample: [{level: 1, method: vcenter_poweroff, fenced: false, msg: "cannot confirm ..."}]
name:
  description: O(name) as given.
  returned: always
  type: str
  sample: esxi-01.lab
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError, VigilError
from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import AgentError, AgentRunner
from ansible_collections.vigil.ha.plugins.module_utils.fencing.levels import (
    AGENT, MAX_DELAY, LevelFailed, fence_in_order)
from ansible_collections.vigil.ha.plugins.module_utils.fencing.vcenter import MAX_TIMEOUT, Fencer, fence_error_from
from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import serve
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import failure
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import (
    client_from_params, require_step_generation, step_generation_spec, vcenter_argument_spec)
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.vm_operations import VmOperations

LEVEL_SPEC = dict(
    method=dict(type="str", required=True, choices=["vcenter_poweroff", "fence_agent", "none"]),
    agent=dict(type="str"),
    options=dict(type="dict", default={}),
    password=dict(type="str", no_log=True),
    password_env=dict(type="str", no_log=False),
    password_set=dict(type="bool"),
    timeout=dict(type="int", default=30),
)


class NodeFencer(object):
    """The two kinds of level, for one node; vCenter is reached only when a level needs it."""

    def __init__(self, params):
        self.params = params
        self.client = None

    def close(self):
        if self.client is not None:
            self.client.close()

    def __call__(self, level, check_mode):
        if level["method"] == AGENT:
            return self.agent(level, check_mode)
        return self.vcenter(check_mode)

    def connected(self):
        if self.client is None:
            self.client = client_from_params(self.params).connect()
        return self.client

    def vcenter(self, check_mode):
        p = self.params
        if not p["vms"]:
            return {"fenced": True, "changed": False, "msg": "no VM of it to power off"}
        results = []
        try:
            self.connected()
            fencer = Fencer(VmOperations(self.client))
            for vm in p["vms"]:
                ident = vm.get("params") or vm  # a vm resource of the hierarchy, or a node's vm
                results.append(fencer.fence(uuid=ident.get("uuid"), moref=ident.get("moref"), name=vm.get("name"),
                                            timeout=p["fence_timeout"], check_mode=check_mode,
                                            host_unanswered=p["host_unanswered"]))
        except Exception as exc:  # pylint: disable=broad-except
            error = fence_error_from(exc)
            # What was powered off before the failure is said, not lost.
            raise LevelFailed(error.message, done=[r["msg"] for r in results],
                              changed=any(r.get("changed") for r in results))
        return {"fenced": all(r.get("fenced") for r in results), "changed": any(r.get("changed") for r in results),
                "msg": "; ".join(r["msg"] for r in results)}

    @staticmethod
    def agent(level, check_mode):
        password = level.get("password")
        if not password and level.get("password_env"):
            password = os.environ.get(level["password_env"])
            if password is None:
                raise LevelFailed("the environment variable %s (password_env) is not set on the controller"
                                  % level["password_env"])
        runner = AgentRunner(level["agent"], level.get("options"), password, timeout=level.get("timeout") or 30)
        try:
            result = runner.off(check_mode=check_mode)
        except AgentError as exc:
            raise LevelFailed(exc.message)
        return dict(result, fenced=result["power_state"] == "off")


ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    levels=dict(type="list", elements="dict", required=True, options=LEVEL_SPEC),
    vms=dict(type="list", elements="dict", default=[]),
    delay=dict(type="int", default=0),
    fence_timeout=dict(type="int", default=60),
    host_unanswered=dict(type="str"),
    **dict(step_generation_spec(), **vcenter_argument_spec())
)


def _input_error(p):
    if not 0 <= p["delay"] <= MAX_DELAY:
        return InputError("delay: must be 0 to %d seconds, not %s" % (MAX_DELAY, p["delay"]), field="delay")
    if not 1 <= p["fence_timeout"] <= MAX_TIMEOUT:
        return InputError("fence_timeout: must be 1 to %d seconds, not %s" % (MAX_TIMEOUT, p["fence_timeout"]),
                          field="fence_timeout")
    for i, level in enumerate(p["levels"]):
        if level["method"] == AGENT and not level.get("agent"):
            return InputError("levels[%d].agent: required for fence_agent" % i, field="levels")
    return None


def run(p, check_mode=False, diff=False):  # pylint: disable=unused-argument
    base = dict(changed=False, fenced=False, attempts=[], name=p["name"])
    error = _input_error(p)
    if error is not None:
        return dict(failure(error, base), failed=True)
    fencer = NodeFencer(p)
    try:
        if p["expected_generation"] is not None:
            # Before any level acts: a run frozen past another run's move must fence nothing.
            require_step_generation(p, fencer.connected())
        result = fence_in_order(p["name"], p["levels"], fencer, delay=p["delay"], check_mode=check_mode)
    except VigilError as exc:
        return dict(failure(exc, base), failed=True)  # with the attempts, each level's own words; a stale step says so
    finally:
        fencer.close()
    result.update(name=p["name"])
    result.setdefault("changed", False)
    if check_mode and not result.get("fenced"):
        result["msg"] = "%s: %s" % (result["method"], result.get("msg", ""))
    return result


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
