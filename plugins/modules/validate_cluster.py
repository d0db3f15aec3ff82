#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: validate_cluster
short_description: Check a cluster's nodes and hierarchies before anything runs
version_added: 0.1.0
description:
  - Validates the configuration of a vigil.ha cluster, as kept in inventory
    (each node's C(vigil_ha_node) host var, the group's
    C(vigil_ha_hierarchies)), and returns it with every default filled in.
  - Refuses unknown keys and kinds, wrong types, missing parameters, missing or
    cyclic dependencies, fence agents not installed on the controller, duplicate names, nodes and priorities, nodes outside
    the group, a virtual IP or VM claimed twice, automatic failover onto a
    node that cannot be fenced, contradictory timing and resources on nodes
    of the wrong mode. Every error is reported at once, each naming the
    hierarchy, resource or node and the field.
  - Needs no vCenter and changes nothing. The C(vigil.ha.validate) playbook
    runs it for an inventory group. The schema is in the collection's
    C(docs/configuration.md).
author:
  - vigil.ha developers (@vigil-ha)
options:
  nodes:
    description:
      - Every inventory host of the cluster group, mapped to its
        C(vigil_ha_node) host var (null for a host that has none, which is an
        error).
    type: dict
    required: true
  hierarchies:
    description:
      - The group's C(vigil_ha_hierarchies).
      - Mutually exclusive with O(hierarchies_by_host).
    type: list
    elements: raw
  hierarchies_by_host:
    description:
      - Each host of the cluster group mapped to the C(vigil_ha_hierarchies)
        it sees (null where it is not defined), so that a definition on the
        group, a child group or host vars is found wherever it is.
      - The hosts that define it must see the same list; different lists are
        refused, naming the hosts.
      - Mutually exclusive with O(hierarchies).
    type: dict
    version_added: 0.2.0
  rto_check:
    description:
      - Check each hierarchy's C(policy.rto) against its worst-case recovery
        time (detection, watcher lease takeover, fence, starts, playbook
        overhead) and return the breakdown in RV(rto).
      - A hierarchy whose worst case exceeds its C(policy.rto) is refused
        (C(policy.rto_enforce=refuse), naming the field and the dominant
        terms), or reported as a warning (C(policy.rto_enforce=warn)).
      - Off in the playbooks that act (a failover is never refused for being
        slow); the C(vigil.ha.validate) playbook turns it on.
    type: bool
    default: false
    version_added: 0.3.0
  lease:
    description:
      - Whether the watchers run with the watcher lease (redundant watchers;
        the rulebook's C(vigil_ha_lease)). Then the worst case counts a
        takeover, O(lease_ttl) + O(lease_renew), for a failure that kills the
        active watcher too.
      - Unset, the lease counts as on when O(lease_ttl) or O(lease_renew) is
        given, and off (one watcher, no takeover) otherwise.
    type: bool
    version_added: 0.3.0
  lease_ttl:
    description:
      - The watchers' C(vigil_ha_lease_ttl), seconds (the watcher's default, 15, when the lease is on and this is unset).
    type: int
    version_added: 0.3.0
  lease_renew:
    description:
      - The watchers' C(vigil_ha_lease_renew), seconds (the watcher's default, 5, when the lease is on and this is unset).
    type: int
    version_added: 0.3.0
  rto_overhead:
    description:
      - Seconds a failover or recovery playbook takes beyond its fence and
        steps (default 12, the failover playbook measured in the lab, the
        collection's C(docs/performance.md) "Recovery time"). Give your own
        figure where runs are slower (AAP job start) or faster.
    type: int
    version_added: 0.3.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
  - vigil.ha.attributes.read_only
  - ansible.builtin.action_common_attributes.flow
  - vigil.ha.controller_module
seealso:
  - module: vigil.ha.resource
"""

EXAMPLES = r"""
- name: Validate the cluster of group vigil_ha_cluster
  vigil.ha.validate_cluster:
    nodes: "{{ dict(groups['vigil_ha_cluster'] | zip(groups['vigil_ha_cluster'] | map('extract', hostvars)
               | map(attribute='vigil_ha_node', default=None))) }}"
    hierarchies: "{{ hostvars[groups['vigil_ha_cluster'][0]]['vigil_ha_hierarchies'] | default([]) }}"
  delegate_to: localhost
  run_once: true
  register: vigil_ha_config

- name: A configuration given inline
  vigil.ha.validate_cluster:
    nodes:
      node1: {mode: guest, vm: {uuid: 4213a1c5-7d1e-8f1a-2b3c-4d5e6f708101}}
      node2: {mode: guest, vm: {moref: vm-102}}
    hierarchies:
      - name: web
        nodes: [{node: node1, priority: 1}, {node: node2, priority: 2}]
        resources:
          - {name: vip, kind: ip, params: {address: 10.99.0.100/24, interface: eth0}}
          - name: app
            kind: service
            params: {unit: demo.service}
            depends_on: [vip]
            check: {http: {url: "http://10.99.0.100:8080/"}}

- name: Check every policy.rto, with two watchers holding the lease
  vigil.ha.validate_cluster:
    nodes: "{{ vigil_ha_nodes }}"
    hierarchies: "{{ vigil_ha_hierarchies }}"
    rto_check: true
    lease: true
    lease_ttl: 15
    lease_renew: 5
  register: vigil_ha_config
"""

RETURN = r"""
nodes:
  description: The nodes with every default filled in, by inventory host name.
  returned: success
  type: dict
  sample:
    node1:
      mode: guest
      vm: {uuid: 4213a1c5-7d1e-8f1a-2b3c-4d5e6f708101, moref: null}
      physical: false
      esxi: null
      fencing: {method: vcenter_poweroff}
      check: {interval: 5, timeout: 2, confirm: 2}
hierarchies:
  description:
    - The hierarchies with every default filled in, their nodes sorted by
      priority (most preferred first).
  returned: success
  type: list
  elements: dict
  sample:
    - name: web
      nodes: [{node: node1, priority: 1}, {node: node2, priority: 2}]
      policy:
        local_recovery: {attempts: 3, window: 300}
        failover: {max: 2, window: 3600}
        switchback: manual
        confirm_failover: false
      resources:
        - name: vip
          kind: ip
          params: {address: 10.99.0.100/24, interface: eth0, arp_count: 3}
          depends_on: []
          check: {interval: 10, timeout: 5}
hierarchies_from:
  description: Where the hierarchies were found (which hosts define C(vigil_ha_hierarchies)).
  returned: success
  type: str
  sample: vigil_ha_hierarchies of every host of the cluster group
start_order:
  description:
    - Resource names of each hierarchy in start order (every resource after
      those it depends on); stop order is the reverse.
  returned: success
  type: dict
  sample: {web: [vip, app]}
rto:
  description:
    - With O(rto_check), each hierarchy that states C(policy.rto), its worst
      case and the failure that gives it, term by term (C(worst_case) null
      when a failure has no bound, such as one waiting for an operator).
  returned: success
  type: list
  elements: dict
  version_added: 0.3.0
  sample:
    - hierarchy: web
      rto: 300
      enforce: refuse
      meets: true
      worst_case: 204.7
      scenario: node1 unreachable
      why: null
      terms:
        - {term: "detect node1 unreachable (SSH check every 5s, 2 in a row)", seconds: 11.7}
        - {term: "fence node1 level 1 (vcenter_poweroff)", seconds: 60}
        - {term: start web-vip, seconds: 26}
        - {term: start web-app, seconds: 95.0}
        - {term: playbook overhead, seconds: 12}
      dominant:
        - {term: start web-app, seconds: 95.0}
        - {term: "fence node1 level 1 (vcenter_poweroff)", seconds: 60}
      assumed: ["watcher lease: off (one watcher): no takeover counted", "playbook overhead: 12s"]
      scenarios:
        - {scenario: node1 VM powered off, total: 194.0}
        - {scenario: node1 unreachable, total: 204.7}
errors:
  description: Every error found, each naming where and the field.
  returned: failure
  type: list
  elements: str
  sample: ["hierarchy 'web', resource 'vip', params.address: required for kind ip"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import ModuleFailure, serve
from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import installed_agents
from ansible_collections.vigil.ha.plugins.module_utils.model.hierarchy import Cluster
from ansible_collections.vigil.ha.plugins.module_utils.config.validation import hierarchies_of_hosts, rto_budgets, rto_options, validate
from ansible_collections.vigil.ha.plugins.module_utils.model import rto as rto_budget

ARGUMENT_SPEC = dict(
    nodes=dict(type="dict", required=True),
    hierarchies=dict(type="list", elements="raw"),
    hierarchies_by_host=dict(type="dict"),
    rto_check=dict(type="bool", default=False),
    lease=dict(type="bool"),
    lease_ttl=dict(type="int"),
    lease_renew=dict(type="int"),
    rto_overhead=dict(type="int"),
)


def run(p, check_mode=False, diff=False):  # pylint: disable=unused-argument
    if p.get("hierarchies") is not None and p.get("hierarchies_by_host") is not None:
        # Checked here, not by the spec, so that the in-process action refuses it too.
        raise ModuleFailure("parameters are mutually exclusive: hierarchies|hierarchies_by_host")
    # A ConfigError fails the module (glue/failures.py).
    if p.get("hierarchies_by_host") is not None:
        hierarchies, where = hierarchies_of_hosts(p["hierarchies_by_host"])
    else:
        hierarchies, where = p.get("hierarchies") or [], "the hierarchies given"
    # Fencing runs here, on the controller: its fence agents are the ones that count.
    rto = rto_options(p.get("lease"), p.get("lease_ttl"), p.get("lease_renew"), p.get("rto_overhead")) \
        if p.get("rto_check") else None
    config = validate(p["nodes"], hierarchies, agents=installed_agents(), rto=rto)
    cluster = Cluster.from_config(config)
    start_order = dict((h.name, [r.name for r in h.start_order()]) for h in cluster.hierarchies.values())
    result = dict(changed=False, nodes=config["nodes"], hierarchies=config["hierarchies"], start_order=start_order,
                  hierarchies_from=where)
    if rto:
        result["rto"] = rto_budgets(config, *rto)
        warnings = ["hierarchy '%s', policy.rto: %s" % (b["hierarchy"], rto_budget.message(b))
                    for b in result["rto"] if not b["meets"]]  # refused ones failed in validate
        if warnings:
            result["warnings"] = warnings
    return result


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
