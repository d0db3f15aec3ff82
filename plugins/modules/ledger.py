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

from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import ModuleFailure, serve
from ansible_collections.vigil.ha.plugins.module_utils.state.ledger import DEFAULT_PATH, append, record, redact

ARGUMENT_SPEC = dict(
    hierarchy=dict(type="str", required=True),
    action=dict(type="str", required=True),
    decision=dict(type="str", required=True),
    inputs=dict(type="dict", default={}),
    generation=dict(type="int"),
    result=dict(type="raw"),
    reason=dict(type="str"),
    redact_values=dict(type="list", elements="str", default=[], no_log=True),
    path=dict(type="path", default=DEFAULT_PATH, fallback=(env_fallback, ["VIGIL_HA_LEDGER"])),
)


def run(p, check_mode=False, diff=False):  # pylint: disable=unused-argument
    secrets = p["redact_values"]
    path = os.path.abspath(p["path"])
    invocation = {"module_args": redact(dict((k, v) for k, v in p.items() if k != "redact_values"), secrets)}
    for field in ("hierarchy", "action", "decision"):
        if not p[field].strip():
            raise ModuleFailure("%s: must not be empty" % field, field=field, path=path, invocation=invocation)
    line = record(p["hierarchy"], p["action"], p["decision"], inputs=p["inputs"], generation=p["generation"],
                  result=p["result"], reason=p["reason"], secrets=secrets)
    if not check_mode:
        try:
            append(path, line)
        except OSError as exc:
            raise ModuleFailure("cannot append to ledger %s: %s" % (path, exc), field="path", path=path,
                                record=line, invocation=invocation)
    return dict(changed=True, path=path, record=line, invocation=invocation)


def main():
    # no_log: the raw inputs may hold secrets: never logged to syslog; the result is redacted by run().
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, no_log=True), run)


if __name__ == "__main__":
    main()
