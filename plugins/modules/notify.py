#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: notify
short_description: Tell people what vigil.ha did, by webhook and e-mail
version_added: 0.4.0
description:
  - Sends one notice (a failover, a recovery, a refusal, an operator needed, no watcher holding the lease) to the
    channels switched on, a webhook (a JSON POST, with an optional bearer token, retried with exponential
    back-off) and e-mail (SMTP, over STARTTLS by default).
  - The rulebooks C(vigil.ha.auto_failover) and C(vigil.ha.auto_failover_controller) call it when the variables
    C(vigil_ha_notify_webhook_url) or C(vigil_ha_notify_smtp_host) are set (see the collection's
    docs/notifications.md). A channel whose URL or host is not set is off; with both off nothing is sent.
  - The notice holds the hierarchy, what happened, from and to which node, the generation, the reason, the
    command an operator may run, the watcher and the time. No secret is part of it; the token, the password and
    the webhook's URL (an incoming-webhook URL holds its secret in its path) are scrubbed from the notice and
    from the result, which names the receiver by scheme and host only.
  - Bad settings fail the task naming the option, before anything is sent. A channel that cannot be reached
    fails the task after the other channel was tried; the result says what each did.
author:
  - vigil.ha developers (@vigil-ha)
options:
  event:
    description:
      - What happened. V(failover), V(recover), V(switchover), V(adopt) are moves done; V(refused) a decision not
        to act; V(operator_needed) a case nothing automatic may solve; V(no_watcher) a watcher lease nobody holds
        (O(hierarchy) then names the cluster).
    type: str
    required: true
    choices: [failover, recover, switchover, adopt, refused, operator_needed, no_watcher]
  hierarchy:
    description: The hierarchy (for V(no_watcher), the cluster group).
    type: str
    required: true
  from_node:
    description: The node the hierarchy was on (the owner before).
    type: str
  to_node:
    description: The node it is on now (the owner after).
    type: str
  generation:
    description: The hierarchy's generation after what happened (a whole number; empty for none).
    type: raw
  reason:
    description: Why, in words.
    type: str
  command:
    description: What an operator may run (the confirmation of a failover).
    type: str
  watcher:
    description: The watcher that acted (its lease holder id).
    type: str
  time:
    description: When it happened (UTC); now if not set.
    type: str
  webhook_url:
    description:
      - The webhook's URL (V(https://...) or V(http://...)); the webhook is off when it is not set.
      - Treated as a secret (Slack's and Teams' incoming-webhook URLs hold theirs in the path).
    type: str
  webhook_token:
    description: A bearer token, sent as C(Authorization) (never logged, never in the notice or the result).
    type: str
  webhook_timeout:
    description: Seconds an attempt may take.
    type: float
    default: 10
  webhook_retries:
    description:
      - Attempts after the first when the receiver cannot be reached, times out or answers 408, 429 or 5xx (other
        answers are not retried).
    type: int
    default: 3
  webhook_backoff:
    description: Seconds before the first retry; doubled before each next one.
    type: float
    default: 2
  webhook_validate_certs:
    description: Verify the receiver's TLS certificate.
    type: bool
    default: true
  webhook_ca_path:
    description: A CA bundle to verify the receiver's certificate with (the system's if not set).
    type: path
  smtp_host:
    description: The mail server; e-mail is off when it is not set.
    type: str
  smtp_port:
    description: Its port (587 for STARTTLS, 465 for V(tls)).
    type: int
    default: 587
  smtp_security:
    description:
      - V(starttls) upgrades the connection before anything is sent, and sends nothing to a server that does not
        offer it; V(tls) connects over TLS; V(none) sends in clear (not allowed with O(smtp_password)).
    type: str
    choices: [starttls, tls, none]
    default: starttls
  smtp_username:
    description: The user to log in as (no login if not set).
    type: str
  smtp_password:
    description: Its password (never logged, never in the result).
    type: str
  smtp_from:
    description: The sender's address. Required with O(smtp_host).
    type: str
  smtp_to:
    description: The recipients. Required with O(smtp_host).
    type: list
    elements: str
    default: []
  smtp_timeout:
    description: Seconds the exchange with the server may take.
    type: float
    default: 10
  smtp_validate_certs:
    description: Verify the mail server's TLS certificate.
    type: bool
    default: true
  smtp_ca_path:
    description: A CA bundle to verify the mail server's certificate with (the system's if not set).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
attributes:
  check_mode:
    support: full
    details: Checks the settings and builds the notice; sends nothing.
  diff_mode:
    support: none
notes:
  - Run it on the controller (the watcher's host), in a play on C(localhost) or as the rulebooks' C(run_module).
seealso:
  - module: vigil.ha.ledger
"""

EXAMPLES = r"""
- name: Tell the on-call channel about a failover
  vigil.ha.notify:
    event: failover
    hierarchy: web
    from_node: node1
    to_node: node2
    generation: 8
    reason: vm node1 failed
    watcher: watcher-a
    webhook_url: "{{ vigil_ha_notify_webhook_url }}"
    webhook_token: "{{ vigil_ha_notify_webhook_token }}"

- name: And by mail, over STARTTLS
  vigil.ha.notify:
    event: operator_needed
    hierarchy: web
    from_node: node1
    reason: node1 cannot be fenced
    smtp_host: smtp.example.com
    smtp_username: vigil
    smtp_password: "{{ vault_smtp_password }}"
    smtp_from: vigil@example.com
    smtp_to: [oncall@example.com]
"""

RETURN = r"""
notice:
  description: The notice, as the webhook receives it (JSON) and as the mail's body says it.
  returned: always
  type: dict
  sample:
    source: vigil.ha
    event: failover
    hierarchy: web
    from_node: node1
    to_node: node2
    generation: 8
    reason: vm node1 failed
    command: null
    watcher: watcher-a
    time: "2026-12-03T20:41:07Z"
    summary: "vigil.ha web: failed over node1 -> node2 (generation 8)"
subject:
  description: The mail's subject.
  returned: always
  type: str
  sample: "vigil.ha web: failed over node1 -> node2 (generation 8)"
webhook:
  description:
    - What the webhook did (null when off); C(receiver) is the URL's scheme and host only.
  returned: always
  type: dict
  sample: {sent: true, attempts: 1, status: 200, error: null, receiver: "https://hooks.example.com"}
smtp:
  description: What the mail did (null when off).
  returned: always
  type: dict
  sample: {sent: true, error: null, server: "smtp.example.com:587", tls: true}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import ModuleFailure, serve
from ansible_collections.vigil.ha.plugins.module_utils.notify.deliver import deliver
from ansible_collections.vigil.ha.plugins.module_utils.notify.message import EVENTS, mail, notice

ARGUMENT_SPEC = dict(
    event=dict(type="str", required=True, choices=sorted(EVENTS)),
    hierarchy=dict(type="str", required=True),
    from_node=dict(type="str"),
    to_node=dict(type="str"),
    generation=dict(type="raw"),
    reason=dict(type="str"),
    command=dict(type="str"),
    watcher=dict(type="str"),
    time=dict(type="str"),
    webhook_url=dict(type="str", no_log=True),
    webhook_token=dict(type="str", no_log=True),
    webhook_timeout=dict(type="float", default=10),
    webhook_retries=dict(type="int", default=3),
    webhook_backoff=dict(type="float", default=2),
    webhook_validate_certs=dict(type="bool", default=True),
    webhook_ca_path=dict(type="path"),
    smtp_host=dict(type="str"),
    smtp_port=dict(type="int", default=587),
    smtp_security=dict(type="str", choices=["starttls", "tls", "none"], default="starttls"),
    smtp_username=dict(type="str"),
    smtp_password=dict(type="str", no_log=True),
    smtp_from=dict(type="str"),
    smtp_to=dict(type="list", elements="str", default=[]),
    smtp_timeout=dict(type="float", default=10),
    smtp_validate_certs=dict(type="bool", default=True),
    smtp_ca_path=dict(type="path"),
)


def run(p, check_mode=False, diff=False):  # pylint: disable=unused-argument
    text = notice(p["event"], p["hierarchy"], from_node=p["from_node"], to_node=p["to_node"],
                  generation=p["generation"], reason=p["reason"], watcher=p["watcher"], command=p["command"],
                  time=p["time"])
    sent = deliver(text, p, check_mode)
    channels = dict((name, sent[name]) for name in ("webhook", "smtp"))
    out = dict(changed=any(r and r["sent"] for r in channels.values()), notice=sent["notice"],
               subject=mail(sent["notice"])[0], **channels)
    failed = [name for name, r in channels.items() if r is not None and not r["sent"] and not check_mode]
    if failed:
        raise ModuleFailure("notice not delivered by %s: %s" % (
            " and ".join(failed), "; ".join(channels[n]["error"] or "failed" for n in failed)),
            error="not_delivered", **out)
    return out


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
