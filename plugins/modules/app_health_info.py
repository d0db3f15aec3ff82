#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_health_info
short_description: Check every resource a node holds, in one call
version_added: 0.1.0
description:
  - Runs the C(check) action of each given resource's kit on the node, with
    its attached tcp/http check, and returns one state per resource. Nothing
    is started, stopped or changed.
  - Meant to be given the resources of the hierarchies the node may hold, as
    the watcher and the status playbook do. Resources of kind C(vm) are
    checked on the controller by M(vigil.ha.vm_resource) and are reported here as V(unknown),
    unless they carry a C(check.tcp) or C(check.http); then that endpoint alone is checked
    from where this module runs (host mode playbooks run it on the controller).
author:
  - vigil.ha developers (@vigil-ha)
options:
  resources:
    description:
      - The resources to check, each a dict with C(name), C(kind), C(params),
        optionally C(check) (an attached C(tcp) or C(http) check),
        C(replicated) (true for a replicated resource, whose states are then its role) and
        C(hierarchy) (returned as given).
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes.posix
  - vigil.ha.attributes.read_only
"""

EXAMPLES = r"""
- name: State of everything this node may serve
  vigil.ha.app_health_info:
    resources:
      - {hierarchy: web, name: web-vip, kind: ip, params: {address: 10.99.0.100/24, interface: eth0}}
      - hierarchy: web
        name: web-app
        kind: service
        params: {command: /usr/bin/python3 /opt/demo/app.py}
        check: {http: {url: "http://10.99.0.100:8080/"}}
  register: node_health
"""

RETURN = r"""
resources:
  description: One entry per resource, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    hierarchy: {description: The hierarchy given with the resource., type: str, returned: when given}
    name: {description: Resource name., type: str, returned: always}
    kind: {description: Resource kind., type: str, returned: always}
    state:
      description:
        - V(in_service), V(out_of_service), V(failed) or V(unknown).
        - A replicated resource is V(primary), V(replica), V(replica_lagging) or V(replica_broken) where it runs.
      type: str
      returned: always
    reasons:
      description: Why.
      type: list
      elements: str
      returned: always
    position:
      description: How much data this copy of a replicated resource has, in its kit's units.
      type: int
      returned: when the kit tells it (a replicated resource with a position script)
    lag:
      description: How far behind its primary this replica is, in its kit's units (null when the kit cannot tell).
      type: int
      returned: when the kit tells the position
summary:
  description: How many resources are in each state.
  returned: always
  type: dict
  sample: {in_service: 3, out_of_service: 0, failed: 0, unknown: 0}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.kits.attached import attached_check, run_action
from ansible_collections.vigil.ha.plugins.module_utils.kits.base import STATES, UNKNOWN, KitError
from ansible_collections.vigil.ha.plugins.module_utils.config.resource_args import resource_errors


def check_one(resource):
    entry = dict((k, resource[k]) for k in ("hierarchy", "name", "kind") if k in resource)
    if resource.get("kind") == "vm":
        endpoint = attached_check(resource)
        if endpoint is None:
            return dict(entry, state=UNKNOWN, reasons=["vm resources are checked on the controller (vigil.ha.vm_resource)"])
        # Only what the VM serves (its check.tcp/check.http); vCenter says how the VM itself is.
        resource = dict(entry, kind=endpoint[0], params=endpoint[1])
    errors = resource_errors(resource)
    if errors:
        return dict(entry, state=UNKNOWN, reasons=errors)
    try:
        result = run_action(resource, "check", check_mode=True)
    except (KitError, OSError) as exc:
        return dict(entry, state=UNKNOWN, reasons=["check failed to run: %s" % exc])
    out = dict(entry, state=result.state, reasons=result.reasons)
    if "position" in result.facts:
        out.update(position=result.facts["position"], lag=result.facts.get("lag"))
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(resources=dict(type="list", elements="dict", required=True)),
        supports_check_mode=True,
    )
    results = [check_one(r) for r in module.params["resources"]]
    summary = dict((s, sum(1 for r in results if r["state"] == s)) for s in STATES)
    module.exit_json(changed=False, resources=results, summary=summary)


if __name__ == "__main__":
    main()
