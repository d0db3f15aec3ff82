#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hierarchy_lock
short_description: Acquire or release a hierarchy's lock on the controller
version_added: 0.1.0
description:
  - So that two runs for the same hierarchy on one controller cannot both act
    (two events handled at once, an operator's switchover during a failover),
    a run acquires the hierarchy's lock before deciding and releases it at the end.
  - The lock is the file C(<state_dir>/<hierarchy>.lock), naming its holder,
    that is a token, the owner, the pid of the C(ansible-playbook) process of the run,
    the host, and an expiry O(ttl) seconds ahead. Every check and change of the
    file happens under an exclusive C(flock), so only one run can acquire.
  - A lock is free again when released, when its O(ttl) has passed, or when the
    run that holds it is gone (its controller process no longer exists).
  - V(acquired) takes a free lock, or waits up to O(wait) seconds for it, then
    fails with RV(acquired=false) naming the holder. Given the RV(token) of
    the holder, it renews the lock's expiry instead.
  - V(released) gives the lock up; it needs the RV(token) returned by the
    acquisition, unless O(force=true). Releasing a free lock changes nothing.
  - The lock covers one controller. Across controllers the generation kept in
    vCenter (M(vigil.ha.hierarchy_state)) refuses the second writer.
  - Run it on the controller, in a play on C(localhost) or with C(delegate_to=localhost).
author:
  - vigil.ha developers (@vigil-ha)
options:
  state:
    description: Whether the lock should be held by this run or given up.
    type: str
    choices: [acquired, released]
    default: acquired
  owner:
    description: Who holds the lock, for messages (default C(<host>:<pid>) of the run).
    type: str
  token:
    description:
      - The RV(token) of an earlier acquisition; needed to release, renews when acquiring.
    type: str
  wait:
    description: Seconds to wait for a busy lock before failing (0 to 3600).
    type: int
    default: 0
  ttl:
    description: Seconds the lock is held before it expires unless renewed (1 to 86400).
    type: int
    default: 900
  force:
    description: Release the lock whoever holds it (for an operator clearing a lock by hand).
    type: bool
    default: false
  state_dir:
    description:
      - Directory of the lock files (mode 0700, created if missing), usually the ledger's.
      - If not set, the environment variable E(VIGIL_HA_STATE_DIR) is used, then the default.
    type: path
    default: ~/.local/state/vigil-ha
attributes:
  check_mode:
    support: full
    details: Says whether the lock would be acquired or released; changes nothing.
  diff_mode:
    support: full
    details: The holder before and after.
extends_documentation_fragment:
  - vigil.ha.hierarchy
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes.posix
  - ansible.builtin.action_common_attributes.flow
  - vigil.ha.controller_module
seealso:
  - module: vigil.ha.hierarchy_state
  - module: vigil.ha.ledger
"""

EXAMPLES = r"""
- name: Fail over app1 under its lock
  block:
    - name: Lock app1 (wait up to a minute for another run)
      vigil.ha.hierarchy_lock:
        hierarchy: app1
        wait: 60
        ttl: 600
      delegate_to: localhost
      register: app1_lock

    - name: The failover steps
      ansible.builtin.debug:
        msg: fence, set the state, start...
  always:
    - name: Unlock app1
      vigil.ha.hierarchy_lock:
        hierarchy: app1
        state: released
        token: "{{ app1_lock.token }}"
      delegate_to: localhost
      when: app1_lock.token is defined
"""

RETURN = r"""
acquired:
  description: Whether this run holds the lock now.
  returned: with O(state=acquired)
  type: bool
  sample: true
released:
  description: Whether the lock is free now.
  returned: with O(state=released)
  type: bool
  sample: true
token:
  description: The lock's token, to release or renew it.
  returned: when acquired
  type: str
  sample: 3f1e0c8e9a4b4d7c9a1f2b3c4d5e6f70
holder:
  description: The holder (owner, pid, host, acquired and expires as epoch seconds); V(null) when free.
  returned: always
  type: dict
  sample: {owner: "ctl1:4242", pid: 4242, host: ctl1, acquired: 1767322800.0, expires: 1767323400.0}
path:
  description: The lock file.
  returned: always
  type: str
  sample: /root/.local/state/vigil-ha/app1.lock
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import ModuleFailure, serve
from ansible_collections.vigil.ha.plugins.module_utils.state.lock import HierarchyLock, LockBusy
from ansible_collections.vigil.ha.plugins.module_utils.state.ledger import DEFAULT_DIR
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateError


def _public(holder):
    if not holder:
        return None
    return dict((k, holder.get(k)) for k in ("owner", "pid", "host", "acquired", "expires"))


ARGUMENT_SPEC = dict(
    hierarchy=dict(type="str", required=True),
    state=dict(type="str", choices=["acquired", "released"], default="acquired"),
    owner=dict(type="str"),
    token=dict(type="str", no_log=False),
    wait=dict(type="int", default=0),
    ttl=dict(type="int", default=900),
    force=dict(type="bool", default=False),
    state_dir=dict(type="path", default=DEFAULT_DIR, fallback=(env_fallback, ["VIGIL_HA_STATE_DIR"])),
)


def run(p, check_mode=False, diff=False):
    base = dict(changed=False, hierarchy=p["hierarchy"])
    try:
        lock = HierarchyLock(p["state_dir"], p["hierarchy"])
        base["path"] = lock.path
        if p["state"] == "acquired":
            out = lock.acquire(p["owner"], p["ttl"], wait=p["wait"], token=p["token"], check_mode=check_mode)
            result = dict(base, changed=out["changed"], acquired=out["acquired"], holder=_public(out["holder"]),
                          msg=out["msg"])
            if out["token"]:
                result["token"] = out["token"]
            after = out.get("would") if check_mode else out["holder"]
        else:
            out = lock.release(token=p["token"], force=p["force"], check_mode=check_mode)
            result = dict(base, changed=out["changed"], released=out["released"], holder=_public(out["holder"]),
                          msg=out["msg"])
            after = None
    except LockBusy as exc:
        flag = "acquired" if p["state"] == "acquired" else "released"
        raise exc.add_fields(holder=_public(exc.holder), **dict(base, **{flag: False}))
    except StateError as exc:
        raise exc.add_fields(**base)
    except OSError as exc:
        raise ModuleFailure("lock of hierarchy %s: %s" % (p["hierarchy"], exc), field="state_dir", **base)
    if diff and out["changed"]:
        result["diff"] = {"before": {"holder": _public(out.get("before", out["holder"]))},
                          "after": {"holder": _public(after)}}
    return result


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
