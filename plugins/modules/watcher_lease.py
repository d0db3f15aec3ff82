#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: watcher_lease
short_description: Read, take, renew, release or check the watcher lease of a cluster, kept in vCenter
version_added: 0.1.0
description:
  - Several watchers (ansible-rulebook with the event source C(vigil.ha.health)) may watch one cluster; the
    one that holds the cluster's watcher lease acts, the others stand by. The lease lives in vCenter as the
    custom attribute C(vigil.ha.watcher.<cluster>) of the root folder, next to the hierarchy state, holding
    C(holder=W;epoch=N;expiry=TIME;renewed=TIME).
  - The epoch grows by one with every change of holder. It is the fencing token - a playbook run by a
    watcher carries the epoch the watcher held, and O(action=require) refuses the run
    (C(error=stale_lease)) when vCenter holds another epoch or the lease expired.
  - "A change of holder is a compare-and-set through vCenter, with the same claim attributes as
    M(vigil.ha.hierarchy_state), and is posted to vCenter's event log
    (for example C(vigil.ha watcher lease prod: w2 took over from w1 ...))."
  - See C(docs/state.md) and C(docs/eda.md).
author:
  - vigil.ha developers (@vigil-ha)
options:
  cluster:
    description: The cluster, named as its inventory group (C(vigil_ha_cluster_group)).
    type: str
    required: true
  action:
    description:
      - V(get) reads the lease (one call).
      - V(acquire) takes it for O(holder) when it is free, expired or held by O(holder). With O(epoch) equal
        to the epoch O(holder) holds it renews it; else it is a change of holder and the epoch grows. Fails
        with C(error=lease_busy) when another watcher holds it.
      - V(renew) extends the lease O(holder) holds at O(epoch); fails with C(error=stale_lease) when it was lost.
      - V(release) gives it up (the epoch grows); unchanged when O(holder) does not hold O(epoch).
      - V(require) checks, changing nothing, that vCenter holds O(epoch) and the lease has not expired; fails
        with C(error=stale_lease) otherwise.
    type: str
    choices: [get, acquire, renew, release, require]
    default: get
  holder:
    description: The watcher's id, with O(action=acquire), V(renew) and V(release).
    type: str
  ttl:
    description: With O(action=acquire) or V(renew), seconds the lease holds from now (1 to 3600).
    type: int
    default: 15
  epoch:
    description:
      - With O(action=renew), V(release) and V(require), the epoch held; with O(action=acquire), the epoch
        O(holder) believes it holds (renewed if so).
    type: int
extends_documentation_fragment:
  - vigil.ha.vcenter
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
attributes:
  check_mode:
    support: full
    details: Reads and says what would be written; writes nothing, posts no event.
  diff_mode:
    support: full
    details: Holder, epoch and expiry before and after a change.
notes:
  - Needs vCenter and the privileges Global.Manage custom attributes, Global.Set custom attribute and
    Global.Log event.
  - Expiry times are written by the holder's clock; keep the watchers' and controllers' clocks in sync.
seealso:
  - module: vigil.ha.hierarchy_state
"""

EXAMPLES = r"""
- name: Who watches cluster prod
  vigil.ha.watcher_lease:
    cluster: prod
  register: lease

- name: Take the lease for watcher ctl1
  vigil.ha.watcher_lease:
    cluster: prod
    action: acquire
    holder: ctl1
    ttl: 15
  register: taken

- name: Renew it
  vigil.ha.watcher_lease:
    cluster: prod
    action: renew
    holder: ctl1
    epoch: "{{ taken.epoch }}"

- name: Refuse to act unless this run's watcher still holds the lease
  vigil.ha.watcher_lease:
    cluster: "{{ vigil_ha_cluster_group }}"
    action: require
    epoch: "{{ lease_epoch }}"
"""

RETURN = r"""
cluster:
  description: The cluster.
  returned: always
  type: str
  sample: prod
holder:
  description: The watcher holding the lease after the task (V(null) for none); when refused, the one vCenter names.
  returned: success, or refused as stale or busy
  type: str
  sample: ctl1
epoch:
  description: The epoch after the task (V(0) when never held).
  returned: success, or refused as stale or busy
  type: int
  sample: 5
expiry:
  description: Until when the lease holds, UTC (V(null) when released).
  returned: success, or refused as stale or busy
  type: str
  sample: "2026-01-02T03:04:20Z"
renewed:
  description: When it was last taken, renewed or released, UTC.
  returned: success, or refused as stale or busy
  type: str
held:
  description: Whether a watcher holds it now (a holder, not expired, no change under way).
  returned: success, or refused as stale or busy
  type: bool
free_since:
  description: When it is not held, since when (its expiry or release), else V(null).
  returned: success, or refused as stale or busy
  type: str
orphaned:
  description: The time in C(vigil.ha.watcher.<cluster>.orphaned), set by a watcher that saw nobody hold it for long.
  returned: success, or refused as stale or busy
  type: str
pending:
  description: A change of holder under way or interrupted (its claim has no value yet), or V(null).
  returned: success, or refused as stale or busy
  type: dict
standbys:
  description:
    - The other watchers of the cluster as they last recorded themselves (a standby does every lease ttl, in
      C(vigil.ha.watcher.<cluster>.seen.<id>)), by id; a watcher that stopped keeps its last time.
  returned: success, or refused as stale or busy
  type: list
  elements: dict
  contains:
    id:
      description: The watcher's id.
      type: str
    seen:
      description: When it last recorded itself, UTC.
      type: str
    seen_ago:
      description: Seconds since then, by the clock of the machine that ran the task.
      type: int
  sample: [{id: ctl2, seen: "2026-01-02T03:04:15Z", seen_ago: 4}]
  version_added: 0.3.0
event:
  description: The message posted to vCenter's event log on a change of holder (the would-be one in check mode).
  returned: when the holder changed
  type: str
  sample: "vigil.ha watcher lease prod: ctl2 took over from ctl1 (epoch 5; expired 2026-01-02T03:04:20Z)"
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import serve
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import failure
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import call, vcenter_argument_spec
from ansible_collections.vigil.ha.plugins.module_utils.state import lease as wl
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateError
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations

FIELDS = ("holder", "epoch", "expiry", "renewed", "held", "free_since", "orphaned", "pending", "standbys")


def _lease(lease):
    return dict((k, lease.get(k)) for k in FIELDS)


ARGUMENT_SPEC = dict(
    cluster=dict(type="str", required=True),
    action=dict(type="str", choices=["get", "acquire", "renew", "release", "require"], default="get"),
    holder=dict(type="str"),
    ttl=dict(type="int", default=15),
    epoch=dict(type="int"),
    **vcenter_argument_spec()
)
SPEC_RULES = dict(required_if=[("action", "acquire", ("holder",)), ("action", "renew", ("holder", "epoch")),
                               ("action", "release", ("holder", "epoch")), ("action", "require", ("epoch",))])


def run(p, check_mode=False, diff=False):
    out = dict(changed=False, cluster=p["cluster"])
    try:
        wl.check_cluster(p["cluster"])
        if p["holder"] is not None:
            wl.check_holder(p["holder"])
        wl.check_number(p["ttl"], "ttl", 1, wl.MAX_TTL)
        if p["epoch"] is not None:
            wl.check_number(p["epoch"], "epoch", 0 if p["action"] == "acquire" else 1)
    except StateError as exc:
        return dict(failure(exc, out), failed=True)

    def change(lease):
        if p["action"] == "acquire":
            return lease.acquire(p["holder"], p["ttl"], epoch=p["epoch"], check_mode=check_mode)
        if p["action"] == "renew":
            return lease.renew(p["holder"], p["epoch"], p["ttl"], check_mode=check_mode)
        return lease.release(p["holder"], p["epoch"], check_mode=check_mode)

    def act(client):
        lease = wl.Lease(RootAnnotations(client), p["cluster"])
        result = dict(out)
        if p["action"] == "get":
            result.update(_lease(lease.get()))
            return result
        try:
            if p["action"] == "require":
                result.update(_lease(lease.require(p["epoch"])), msg="watcher lease %s: epoch %d holds"
                              % (p["cluster"], p["epoch"]))
                return result
            done = change(lease)
        except wl.StaleGenerationError as exc:  # busy or lost: say what vCenter holds
            raise exc.add_fields(**_lease(exc.details.get("current") or {}))
        result.update(_lease(done["after"]), changed=done["changed"], msg=done["msg"])
        if done.get("event"):
            result["event"] = done["event"]
        if done.get("warnings"):
            result["warnings"] = list(done["warnings"])
        if diff and done["changed"]:
            keys = ("holder", "epoch", "expiry")
            result["diff"] = {"before": dict((k, done["before"][k]) for k in keys),
                              "after": dict((k, done["after"][k]) for k in keys)}
        return result

    return call(p, act, base=out)


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_RULES), run)


if __name__ == "__main__":
    main()
