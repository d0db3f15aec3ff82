#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ledger
short_description: Append one decision to the controller's vigil.ha ledger
version_added: 0.1.0
description:
  - Writes one JSON line per decision to a local JSON-lines file, the
    ledger, with the time (UTC), hierarchy, action, decision, inputs,
    generation, result and reason, and the controller's host and pid.
  - Record every decision, including the decisions not to act (a stale
    event, a node that cannot be fenced, a hierarchy locked by another run),
    so that the ledger explains what happened and why.
  - Lines are appended under an exclusive lock and flushed to disk (fsync)
    before the task returns; the file is created with mode 0600 in a
    directory of mode 0700.
  - Secrets are never written. Values under keys that look like credentials
    (C(password), C(passwd), C(pass), C(pwd), C(secret), C(token), C(api_key),
    C(private_key), C(credential), C(authorization), C(cookie), C(vault...)), at any depth
    of O(inputs) and O(result), are replaced by C(<redacted>), and so is every
    occurrence of O(redact_values).
  - Run it on the controller, in a play on C(localhost) or with C(delegate_to=localhost).
author:
  - vigil.ha developers (@vigil-ha)
options:
  action:
    description: What was considered, such as V(failover), V(switchover), V(fence) or V(local_recovery).
    type: str
    required: true
  decision:
    description: What was decided, such as V(act), V(skip_stale), V(wait_for_operator).
    type: str
    required: true
  inputs:
    description: What the decision was based on (event, verdicts, nodes); redacted as described.
    type: dict
    default: {}
  generation:
    description: The generation of the hierarchy the decision was made at.
    type: int
  result:
    description: The outcome, if known (any value); redacted as described.
    type: raw
  reason:
    description: Why, in words.
    type: str
  watcher:
    description:
      - The id of the watcher whose event started this run (C(event.vigil_ha.watcher), the id it holds the watcher
        lease under); recorded as C(controller.watcher) in the line and in the budget event, so that with
        redundant watchers the ledger and vCenter say which one acted.
      - The collection's playbooks pass the extra variable C(watcher_id) the rulebooks set; unset for a run
        started by hand.
    type: str
    version_added: 0.3.0
  redact_values:
    description: Strings that must never be written (they are replaced wherever they appear).
    type: list
    elements: str
    default: []
  path:
    description:
      - The ledger file.
      - If not set, the environment variable E(VIGIL_HA_LEDGER) is used, then the default.
    type: path
    default: ~/.local/state/vigil-ha/ledger.jsonl
  budget_event:
    description:
      - Where a decision that uses a budget (O(decision=act) of O(action=recover) or O(action=failover)) is also
        recorded, so that every controller counts it (see the collection's docs/state.md, "Budgets").
      - O(action=reset_budget) with O(decision=act) is an operator giving the hierarchy its budgets back; the uses
        before it are no longer counted, by any controller.
      - V(auto) posts a vCenter event on the root folder when vCenter is given (O(hostname), or E(VMWARE_HOST),
        as the collection's playbooks give it through C(module_defaults)); without vCenter the use is counted
        only by this controller's ledger.
      - V(vcenter) requires vCenter. V(none) never posts; only this controller's ledger counts the use.
      - The event holds only the hierarchy, action, resources recovered, cause, generation, controller host and
        watcher id.
      - When the event cannot be posted, the line is still written (with C(budget.recorded=false)); a failover
        (or a reset) then fails (it would use the budget unseen by the other controllers, and its move needs
        vCenter anyway), a recovery succeeds with a warning and is counted by this controller's ledger.
    type: str
    choices: [auto, vcenter, none]
    default: auto
    version_added: 0.3.0
attributes:
  check_mode:
    support: full
    details: Returns the line it would write; writes nothing.
  diff_mode:
    support: none
extends_documentation_fragment:
  - vigil.ha.hierarchy
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes.posix
  - ansible.builtin.action_common_attributes.flow
  - vigil.ha.controller_module
  - vigil.ha.vcenter.optional
  - vigil.ha.vcenter
notes:
  - Appending is never idempotent; every run of the task adds a line and reports a change.
seealso:
  - module: vigil.ha.hierarchy_lock
  - module: vigil.ha.hierarchy_state
"""

EXAMPLES = r"""
- name: Record that a stale failover event was ignored
  vigil.ha.ledger:
    hierarchy: app1
    action: failover
    decision: skip_stale
    generation: "{{ state.generation }}"
    inputs:
      event: "{{ ansible_eda.event | default({}) }}"
      expected_generation: 6
    reason: "{{ moved.msg }}"
  delegate_to: localhost

- name: Record a fencing result in a ledger of one's own
  vigil.ha.ledger:
    path: /var/lib/vigil-ha/ledger.jsonl
    hierarchy: app1
    action: fence
    decision: act
    result: "{{ fence_result }}"
"""

RETURN = r"""
path:
  description: The ledger file written (or that would be written).
  returned: always
  type: str
  sample: /root/.local/state/vigil-ha/ledger.jsonl
budget_event:
  description:
    - For a decision that uses a budget, whether it is recorded in vCenter (C(recorded)), the event's
      C(message) and the C(error) when it is not; null for other decisions or with O(budget_event=none).
  returned: always
  type: dict
  sample: {recorded: true, message: "vigil.ha.budget:app1: action=failover;resources=;cause=;generation=5;controller=ctl1;watcher="}
  version_added: 0.3.0
record:
  description: The line written, as a dictionary, after redaction.
  returned: always
  type: dict
  sample: {time: "2026-01-02T03:04:05.678Z", hierarchy: app1, action: failover, decision: skip_stale,
           generation: 6, inputs: {vcenter_password: <redacted>}, result: null,
           controller: {host: ctl1, pid: 4242}}
"""

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import ModuleFailure, serve
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import (
    client_from_params, optional_vcenter_argument_spec, vcenter_given)
from ansible_collections.vigil.ha.plugins.module_utils.state.budget_events import BudgetLog, counts, message
from ansible_collections.vigil.ha.plugins.module_utils.state.ledger import DEFAULT_PATH, append, record, redact
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError

VCENTER_SPEC = optional_vcenter_argument_spec()

ARGUMENT_SPEC = dict(
    hierarchy=dict(type="str", required=True),
    action=dict(type="str", required=True),
    decision=dict(type="str", required=True),
    inputs=dict(type="dict", default={}),
    generation=dict(type="int"),
    result=dict(type="raw"),
    reason=dict(type="str"),
    watcher=dict(type="str"),
    redact_values=dict(type="list", elements="str", default=[], no_log=True),
    path=dict(type="path", default=DEFAULT_PATH, fallback=(env_fallback, ["VIGIL_HA_LEDGER"])),
    budget_event=dict(type="str", choices=["auto", "vcenter", "none"], default="auto"),
    **VCENTER_SPEC
)


def run(p, check_mode=False, diff=False):  # pylint: disable=unused-argument
    secrets = p["redact_values"]
    path = os.path.abspath(p["path"])
    # The connection options are no part of the decision: not in the result.
    invocation = {"module_args": redact(dict((k, v) for k, v in p.items()
                                             if k != "redact_values" and k not in VCENTER_SPEC), secrets)}
    for field in ("hierarchy", "action", "decision"):
        if not p[field].strip():
            raise ModuleFailure("%s: must not be empty" % field, field=field, path=path, invocation=invocation)
    line = record(p["hierarchy"], p["action"], p["decision"], inputs=p["inputs"], generation=p["generation"],
                  result=p["result"], reason=p["reason"], secrets=secrets, watcher=p["watcher"])
    # Posted before the line is written, so that the line says whether other controllers see the use.
    budget = budget_use(p, line, check_mode)
    if budget is not None:
        line["budget"] = redact(budget, secrets)
    if not check_mode:
        try:
            append(path, line)
        except OSError as exc:
            raise ModuleFailure("cannot append to ledger %s: %s" % (path, exc), field="path", path=path,
                                record=line, invocation=invocation)
    out = dict(changed=True, path=path, record=line, invocation=invocation, budget_event=line.get("budget"))
    if budget and not budget["recorded"] and budget.get("posting_failed"):
        if line["action"] != "recover":
            # Fail closed: a failover whose budget use the other controllers cannot see could let them
            # exceed the budget together, and its move needs vCenter (compare-and-set) anyway; a reset
            # they cannot see resets nothing.
            raise ModuleFailure("%s of %s not done: it could not be recorded in vCenter, where every controller "
                                "counts the budgets (%s); the decision is in the ledger %s" % (
                                    line["action"], line["hierarchy"], budget["error"], path),
                                error="budget_not_recorded", **out)
        out["warnings"] = ["recovery of %s counted by this controller's ledger only: %s" % (
            line["hierarchy"], budget["error"])]
    return out


def budget_use(p, line, check_mode):
    """Post a decision's use of a budget in vCenter; what happened (None: uses no budget)."""
    if p["budget_event"] == "none" or not counts(line["action"], line["decision"]):
        return None
    if not vcenter_given(p):
        if p["budget_event"] == "vcenter":
            raise InputError("hostname: budget_event=vcenter needs vCenter (hostname, or VMWARE_HOST)",
                             field="hostname")
        return {"recorded": False, "message": None, "error": "no vCenter given: counted by this ledger only"}
    text = message(line)
    if check_mode:
        return {"recorded": False, "message": text, "error": "check mode: not posted"}
    client = client_from_params(p)  # bad connection options fail here, naming the option
    try:
        with client:
            BudgetLog(RootAnnotations(client)).post(line)
    except VsphereError as exc:
        return {"recorded": False, "message": text, "error": str(exc), "posting_failed": True}
    return {"recorded": True, "message": text}


def main():
    # no_log: the raw inputs may hold secrets: never logged to syslog; the result is redacted by run().
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, no_log=True), run)


if __name__ == "__main__":
    main()
