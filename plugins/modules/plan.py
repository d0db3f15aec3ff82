#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: plan
short_description: Compute the ordered steps of a start, stop, switchover, failover or local recovery
version_added: 0.1.0
description:
  - Validates the cluster configuration, then computes the plan for one
    hierarchy from the state of its resources on each node, the health of the
    nodes, its owner and generation. The plan is computed once, here; the
    playbooks only run its steps in order, each on the host it names.
  - A refused plan is not a failure of this module; it returns
    C(plan.refused=true) with a C(code) and a C(reason) naming the hierarchy,
    node or resource, and the playbook decides what to do (usually stop and
    say why). See the collection's docs/plans.md for the rules and codes.
author:
  - vigil.ha developers (@vigil-ha)
options:
  nodes:
    description: Each node's C(vigil_ha_node), keyed by inventory host name, as for M(vigil.ha.validate_cluster).
    type: raw
    required: true
  hierarchies:
    description: The cluster's C(vigil_ha_hierarchies), as for M(vigil.ha.validate_cluster).
    type: raw
    required: true
  action:
    description: What to plan.
    type: str
    required: true
    choices: [start, stop, switchover, failover, recover]
  owner:
    description: The node holding the hierarchy now, if any.
    type: str
  generation:
    description: The hierarchy's generation now.
    type: int
    default: 0
  expected_generation:
    description: The generation the caller acts on (from an event); a different one is refused as stale.
    type: int
  states:
    description: State of each resource on each node, a dict of dicts (node, then resource, to state).
    type: dict
    default: {}
  node_health:
    description:
      - Health of each node, a dict of node to health, one of V(ok), V(maintenance), V(unclean),
        V(unreachable), V(failed), V(unknown), V(powered_off) or V(fenced). A node not given is V(ok).
    type: dict
    default: {}
  vcenter_reachable:
    description: Whether fencing through vCenter can be done now.
    type: bool
    default: true
  target:
    description: Node to start on or move to; chosen by priority when not given.
    type: str
  resource:
    description: The resource to recover (O(action=recover) only).
    type: str
  failed_node:
    description: The node a failover moves away from (default the owner).
    type: str
  failovers_used:
    description:
      - Failovers already made within the policy's failover window.
      - If not set, counted as O(budgets_from) says, as every playbook of the collection does.
    type: int
  recoveries_used:
    description:
      - Local recoveries per resource within the policy's window, a dict of resource to count.
      - If not set, counted as O(budgets_from) says.
    type: dict
  budgets_from:
    description:
      - Where the uses of the budgets are counted, for O(action=failover) and O(action=recover).
      - V(auto) reads the budget events every controller posts in vCenter (M(vigil.ha.ledger)) when vCenter is
        given (O(hostname), or E(VMWARE_HOST), as the collection's playbooks give it through C(module_defaults)),
        adding this controller's ledger lines that are not there; without vCenter it reads the ledger alone.
      - V(vcenter) requires vCenter. V(ledger) counts this controller's ledger alone (a budget per controller).
      - When vCenter cannot be read, a failover fails here (nothing is planned; its move needs vCenter anyway)
        and a recovery is counted from this controller's ledger, with a warning.
    type: str
    choices: [auto, vcenter, ledger]
    default: auto
    version_added: 0.3.0
  ledger:
    description:
      - The ledger whose decisions to act count against the hierarchy's budgets (the file M(vigil.ha.ledger) writes).
      - If not set, the environment variable E(VIGIL_HA_LEDGER) is used, then the default.
      - A ledger that does not exist yet counts nothing.
    type: path
    default: ~/.local/state/vigil-ha/ledger.jsonl
    version_added: 0.2.0
  confirmed:
    description: An operator confirmed the failover.
    type: bool
    default: false
  confirm:
    description:
      - What an operator typed to confirm a failover, C(-e confirm=<node>),
        the name of the node the failover moves away from (O(failed_node),
        else the owner), which the operator vouches no longer serves; the
        same spelling as the C(vigil.ha.fence) playbook's.
      - Another value (C(true), another node) is refused, naming the node to
        give; nothing is planned.
    type: str
    version_added: 0.2.0
  maintenance:
    description:
      - The hierarchy is in maintenance; every action is refused.
      - The hierarchy's own C(maintenance) flag refuses too, unless O(force).
    type: bool
    default: false
  force:
    description:
      - Plan although the hierarchy's C(maintenance) flag is set (an
        operator's hand run, C(-e force=true)).
      - A node whose C(maintenance) flag is set is never chosen, forced or not.
    type: bool
    default: false
    version_added: 0.2.0
  replication:
    description:
      - Where the hierarchy has a replicated resource, how much data each
        node's copy has, a dict of node, then resource, to a dict with
        C(position) (an integer, in the kit's units) and C(lag) (how far
        behind its primary, or null when the kit cannot tell), as
        M(vigil.ha.app_health_info) returns them.
      - A failover promotes the replica with the largest position, and refuses
        one that lags by more than the hierarchy's C(policy.max_lag) unless O(accept_lag).
    type: dict
    default: {}
    version_added: 0.3.0
  accept_lag:
    description:
      - An operator accepts that a failover promotes a replica further behind
        than C(policy.max_lag) (or whose lag is unknown), losing what it lacks.
    type: bool
    default: false
    version_added: 0.3.0
extends_documentation_fragment:
  - vigil.ha.hierarchy
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
  - vigil.ha.attributes.read_only
  - ansible.builtin.action_common_attributes.flow
  - vigil.ha.controller_module
  - vigil.ha.vcenter.optional
  - vigil.ha.vcenter
"""

EXAMPLES = r"""
- name: Plan a switchover of web to node2
  vigil.ha.plan:
    nodes: "{{ vigil_ha_nodes }}"
    hierarchies: "{{ vigil_ha_hierarchies }}"
    hierarchy: web
    action: switchover
    target: node2
    owner: node1
    generation: 4
    states:
      node1: {web-vip: in_service, web-app: in_service}
      node2: {web-vip: out_of_service, web-app: out_of_service}
  register: web_plan

- name: Show it
  ansible.builtin.debug:
    msg: "{{ web_plan.lines }}"
"""

RETURN = r"""
plan:
  description:
    - The plan (see docs/plans.md); C(steps) in the order to run them.
    - C(commit_at) is the index of the first start; the steps before it take the hierarchy away from the old node,
      and the move is recorded in vCenter between them and the starts.
  returned: always
  type: dict
  sample:
    hierarchy: web
    action: switchover
    refused: false
    code: null
    reason: switchover to node2
    owner_before: node1
    owner: node2
    generation_before: 4
    generation: 5
    steps:
      - {host: node1, node: node1, kit: service, resource: web-app, action: stop, generation: 5}
    commit_at: 1
budgets_used:
  description:
    - The budgets counted against the plan, C(failovers) and C(recoveries) (per resource), and where from
      (C(source) V(vcenter), V(ledger) or V(given), the C(ledger) read); C(complete) is false when vCenter held
      more events in the window than one query returns (the oldest were not counted).
  returned: always
  type: dict
  sample: {failovers: 1, recoveries: {web-app: 2}, ledger: /root/.local/state/vigil-ha/ledger.jsonl,
           source: vcenter, complete: true}
  version_added: 0.2.0
lines:
  description: The plan as numbered lines for people.
  returned: always
  type: list
  elements: str
  sample: ["1. node1: stop web-app (service) [gen 5]"]
"""

import datetime

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import ModuleFailure, serve
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import (
    client_from_params, optional_vcenter_argument_spec, vcenter_given)
from ansible_collections.vigil.ha.plugins.module_utils.model.plan import confirmation, make_plan
from ansible_collections.vigil.ha.plugins.module_utils.model.plan_inputs import PlanInputs
from ansible_collections.vigil.ha.plugins.module_utils.config.validation import load
from ansible_collections.vigil.ha.plugins.module_utils.model.budget import shared, used
from ansible_collections.vigil.ha.plugins.module_utils.state.budget_events import BudgetLog
from ansible_collections.vigil.ha.plugins.module_utils.state.ledger import DEFAULT_PATH, read
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError

# Events are asked for this much before the window starts: vCenter's clock and the
# controller's may differ a little; model/budget.py then counts by the window exactly.
CLOCK_SLACK = 300

ARGUMENT_SPEC = dict(
    nodes=dict(type="raw", required=True),
    hierarchies=dict(type="raw", required=True),
    hierarchy=dict(type="str", required=True),
    action=dict(type="str", required=True, choices=["start", "stop", "switchover", "failover", "recover"]),
    owner=dict(type="str"),
    generation=dict(type="int", default=0),
    expected_generation=dict(type="int"),
    states=dict(type="dict", default={}),
    node_health=dict(type="dict", default={}),
    vcenter_reachable=dict(type="bool", default=True),
    target=dict(type="str"),
    resource=dict(type="str"),
    failed_node=dict(type="str"),
    failovers_used=dict(type="int"),
    recoveries_used=dict(type="dict"),
    ledger=dict(type="path", default=DEFAULT_PATH, fallback=(env_fallback, ["VIGIL_HA_LEDGER"])),
    confirmed=dict(type="bool", default=False),
    confirm=dict(type="str"),
    maintenance=dict(type="bool", default=False),
    force=dict(type="bool", default=False),
    replication=dict(type="dict", default={}),
    accept_lag=dict(type="bool", default=False),
    budgets_from=dict(type="str", choices=["auto", "vcenter", "ledger"], default="auto"),
    **optional_vcenter_argument_spec()
)


def run(p, check_mode=False, diff=False):  # pylint: disable=unused-argument
    cluster = load(p["nodes"], p["hierarchies"])  # a ConfigError fails the module (glue/failures.py)
    if p["hierarchy"] not in cluster.hierarchies:
        raise ModuleFailure("hierarchy: no hierarchy named %r (known: %s)" % (
            p["hierarchy"], ", ".join(sorted(cluster.hierarchies))))
    hierarchy = cluster.hierarchy(p["hierarchy"])
    budgets = budgets_used(p, hierarchy.policy)
    warnings = budgets.pop("warnings", [])
    confirmed = p["confirmed"] or confirmation(p["confirm"], p["action"], p["owner"], p["failed_node"])
    inputs = PlanInputs.from_params(p, failovers_used=budgets["failovers"], recoveries_used=budgets["recoveries"],
                                    confirmed=confirmed)
    plan = make_plan(hierarchy, inputs)  # bad input raises InputError, which fails the module
    out = dict(changed=False, plan=plan.to_dict(), budgets_used=budgets,
               lines=plan.describe(reasons=True).splitlines())
    if warnings:
        out["warnings"] = warnings
    return out


def budgets_used(p, policy, log=None):
    """What was given, else the decisions to act within the policy's windows: every controller's, from vCenter's
    budget events, and this controller's ledger lines not there; the ledger alone without vCenter.

    ``log`` is a state/budget_events.py ``BudgetLog`` (unit tests give one over a fake vCenter).
    """
    if p["failovers_used"] is not None and p["recoveries_used"] is not None:
        return {"failovers": p["failovers_used"], "recoveries": p["recoveries_used"], "ledger": None,
                "source": "given", "complete": True}
    lines = read(p["ledger"], p["hierarchy"])
    records, source, complete, warnings = lines, "ledger", True, []
    if wants_vcenter(p):
        window = policy["failover" if p["action"] == "failover" else "local_recovery"]["window"]
        since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=window + CLOCK_SLACK)
        try:
            if log is not None:
                events, complete = log.records(p["hierarchy"], since)
            else:
                with client_from_params(p) as client:
                    events, complete = BudgetLog(RootAnnotations(client)).records(p["hierarchy"], since)
        except VsphereError as exc:
            if p["action"] == "failover":
                # Fail closed: the other controllers' failovers cannot be counted, and the move needs vCenter.
                raise VsphereError("failovers_used: cannot count the failover budget of %s from vCenter's events "
                                   "(%s); nothing was planned" % (p["hierarchy"], exc), field="failovers_used")
            warnings.append("recoveries of %s counted from this controller's ledger only: vCenter's budget events "
                            "cannot be read (%s)" % (p["hierarchy"], exc))
        else:
            records, source = shared(events, lines), "vcenter"
            if not complete:
                warnings.append("budgets of %s: vCenter returned as many events as one query can; older uses "
                                "within the window were not counted" % p["hierarchy"])
    counted = used(records, policy)
    out = {"failovers": counted["failovers"] if p["failovers_used"] is None else p["failovers_used"],
           "recoveries": counted["recoveries"] if p["recoveries_used"] is None else p["recoveries_used"],
           "ledger": p["ledger"], "source": source, "complete": complete}
    if warnings:
        out["warnings"] = warnings
    return out


def wants_vcenter(p):
    """Only a failover and a recovery are limited by budgets: the other plans do not read vCenter's events."""
    if p["budgets_from"] == "ledger" or p["action"] not in ("failover", "recover"):
        return False
    if p["budgets_from"] == "vcenter" and not vcenter_given(p):
        raise InputError("hostname: budgets_from=vcenter needs vCenter (hostname, or VMWARE_HOST)", field="hostname")
    return vcenter_given(p)


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
