#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hierarchy_state
short_description: Read or compare-and-set the owner and generation of a hierarchy, kept in vCenter
version_added: 0.1.0
description:
  - The node that owns a hierarchy and the hierarchy's generation live in
    vCenter, as the custom attribute C(vigil.ha.hierarchy.<hierarchy>) of the
    root folder, holding C(owner=NODE;generation=N;since=TIME), so that every
    controller sees the same state and administrators can read it.
  - V(get) reads it with one call. A hierarchy never set has generation V(0)
    and no owner.
  - V(set) is a compare-and-set. It writes O(owner) and O(generation) only if
    vCenter still holds O(expected_generation); otherwise nothing is written and
    the result says RV(stale=true) (a stale or duplicate step, or another run
    that moved the hierarchy first). Two controllers racing from the same
    generation cannot both win; the loser is refused the same way. Repeating
    a write that already happened changes nothing and is not stale; with
    O(run_id), only when the same run repeats it (another run's identical
    move is stale, so a move is made, and its starts run, once).
  - Every change is posted to vCenter's event log as a user event on the root
    folder, naming the hierarchy, the owners, the generations and O(reason).
  - See C(docs/state.md) for the protocol, and for the custom attribute
    C(vigil.ha.transition.<hierarchy>.from.<N>) that exists while a write is
    under way.
  - V(require) is the check a step makes before it acts where the step
    itself cannot read vCenter (a kit's action on a node, over SSH). It fails
    with RV(stale=true) unless vCenter holds O(expected_generation) and no
    transition from it is under way. It writes nothing.
  - V(repair) inspects and repairs a state that a run left half written (the
    playbook C(vigil.ha.repair_state) runs it under the hierarchy's lock with
    what the nodes run); see O(action).
author:
  - vigil.ha developers (@vigil-ha)
options:
  action:
    description:
      - V(get) reads the state, V(set) compare-and-sets it, V(require) checks
        that vCenter still holds O(expected_generation) (a step's fencing token).
      - V(alert) posts an event in vCenter that asks for an operator (for
        example when a node must be fenced and cannot be), with O(reason);
        the state is not touched.
      - V(repair) inspects the state a dead run may have left half written and
        repairs it. A claim without a value that stays so for O(claim_min_age)
        seconds is removed; a claim holding a newer state than the attribute is
        rolled forward (under a claim of its own, like a write); claims left over
        from older generations are removed. It refuses, changing nothing, when
        the claim changes while watched (a run is writing), when O(states) shows
        the hierarchy in service on two nodes or on another node than the state
        names (an operator settles that first), and without O(confirm). Every
        repair is posted to vCenter's event log. Run it under
        M(vigil.ha.hierarchy_lock), so that no run of this controller is writing.
    type: str
    choices: [get, set, require, alert, repair]
    default: get
  owner:
    description:
      - With O(action=set), the node that owns the hierarchy from now on; an
        empty string means in service on no node.
    type: str
  generation:
    description:
      - With O(action=set), the new generation; greater than O(expected_generation).
    type: int
  expected_generation:
    description:
      - With O(action=set), the generation this step was planned from (V(0) for a
        hierarchy never set). Nothing is written unless vCenter holds it.
      - With O(action=require), the generation the step belongs to; required.
    type: int
  run_id:
    description:
      - With O(action=set), an identifier of the run making the move (1 to 64 of
        letters, digits, C(.), C(_), C(-)), recorded with the state. A repeat
        of the same move is then unchanged only for the same O(run_id); the
        playbooks pass one derived from the run's lock token.
    type: str
  reason:
    description:
      - With O(action=set), why, for the event posted in vCenter (at most 400 characters kept).
      - With O(action=alert), what the operator must do; required.
      - With O(action=repair), why, for the event posted in vCenter.
    type: str
  confirm:
    description:
      - With O(action=repair), the name of the hierarchy, vouching that it is
        to be repaired. Without it nothing is changed and the task fails saying
        what would be done (check mode needs no confirmation).
    type: str
  claim_min_age:
    description:
      - With O(action=repair), how long (seconds, 0 to 3600) a claim without a
        value is watched before it is taken for the claim of a dead run. A live
        run gives its claim a value one call to vCenter after making it.
    type: int
    default: 30
  states:
    description:
      - With O(action=repair), what each node runs (node to resource to state),
        as C(vigil_ha_observed.states) of the playbooks' C(tasks/observe.yml).
    type: dict
    default: {}
  node_health:
    description:
      - With O(action=repair), each node's health, as C(vigil_ha_observed.node_health);
        nodes whose state is not known are reported.
    type: dict
    default: {}
  fail_on_stale:
    description:
      - Fail the task when the write (or, with O(action=require), the step) is
        refused as stale. With V(false) the
        task succeeds with RV(stale=true) and C(changed=false), for playbooks
        that end quietly on a duplicate event.
    type: bool
    default: true
  events:
    description: Also return the latest this many events of this hierarchy from vCenter's event log (0 to 1000).
    type: int
    default: 0
extends_documentation_fragment:
  - vigil.ha.hierarchy
  - vigil.ha.vcenter
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes
attributes:
  check_mode:
    support: full
    details: >-
      Reads and says whether the write would happen or be refused as stale, or what a repair
      would do; writes nothing, posts no event.
  diff_mode:
    support: full
    details: Owner and generation before and after a write; the custom attributes before and after a repair.
notes:
  - Needs vCenter (custom attributes and the event log do not exist on a lone ESXi host), and the
    privileges Global.Manage custom attributes, Global.Set custom attribute and Global.Log event.
seealso:
  - module: vigil.ha.hierarchy_lock
  - module: vigil.ha.ledger
"""

EXAMPLES = r"""
- name: Read the state of hierarchy app1
  vigil.ha.hierarchy_state:
    hierarchy: app1
  register: app1

- name: Move app1 to node2, unless another run moved it meanwhile
  vigil.ha.hierarchy_state:
    hierarchy: app1
    action: set
    owner: node2
    generation: "{{ app1.generation + 1 }}"
    expected_generation: "{{ app1.generation }}"
    reason: "failover: node1 heartbeat lost"

- name: A duplicate event ends quietly
  vigil.ha.hierarchy_state:
    hierarchy: app1
    action: set
    owner: node2
    generation: 7
    expected_generation: 6
    fail_on_stale: false
  register: moved

- name: Stop when stale
  ansible.builtin.meta: end_play
  when: moved.stale

- name: Before acting on a node, check that no other run moved app1 meanwhile
  vigil.ha.hierarchy_state:
    hierarchy: app1
    action: require
    expected_generation: 7

- name: Repair the state a dead run left half written (see the playbook vigil.ha.repair_state)
  vigil.ha.hierarchy_state:
    hierarchy: app1
    action: repair
    confirm: app1
    states: "{{ vigil_ha_observed.states }}"
    node_health: "{{ vigil_ha_observed.node_health }}"
    reason: "run killed while recording a move"

- name: Ask for an operator in vCenter's event log
  vigil.ha.hierarchy_state:
    hierarchy: app1
    action: alert
    reason: "node1 must be fenced and its ESXi host does not respond: power it off by hand, then run vigil.ha.fence"
"""

RETURN = r"""
hierarchy:
  description: The hierarchy.
  returned: always
  type: str
  sample: app1
owner:
  description:
    - Owner in vCenter after the task (V(null) for none). When stale, the owner vCenter holds.
  returned: with O(action=get), O(action=set) or O(action=require), success or stale
  type: str
  sample: node2
generation:
  description: Generation in vCenter after the task (V(0) when never set). When stale, the one vCenter holds.
  returned: with O(action=get), O(action=set) or O(action=require), success or stale
  type: int
  sample: 7
since:
  description: When the owner was set, UTC, as written by the controller that set it.
  returned: with O(action=get), O(action=set) or O(action=require), success or stale
  type: str
  sample: "2026-01-02T03:04:05Z"
stale:
  description:
    - Whether a write was refused because vCenter holds another generation (nothing written), or, with
      O(action=require), whether the step is refused.
  returned: always
  type: bool
  sample: false
pending:
  description:
    - A write under way or interrupted (its custom attribute holds no value yet), or V(null).
  returned: with O(action=get)
  type: dict
  sample: {field: vigil.ha.transition.app1.from.6, from: 6}
event:
  description: The message posted to vCenter's event log (the would-be message in check mode).
  returned: with O(action=set) when changed, and with O(action=alert)
  type: str
  sample: "vigil.ha hierarchy app1: owner node1 -> node2, generation 6 -> 7; reason: failover"
events:
  description: With O(events), the latest events of this hierarchy, newest first.
  returned: when O(events) > 0
  type: list
  elements: dict
  sample: [{key: 52, time: "2026-01-02T03:04:05+00:00", user: admin, message: "vigil.ha hierarchy app1: ..."}]
found:
  description:
    - With O(action=repair), what vCenter holds - C(attribute) (field, key, value), C(claims)
      (field, key, from, value), C(state) (owner, generation, since, source, pending) and C(corrupt).
  returned: with O(action=repair)
  type: dict
todo:
  description: With O(action=repair), what is done (or would be), in order - C(op) (V(remove) or V(roll_forward)), C(field), C(why).
  returned: with O(action=repair)
  type: list
  elements: dict
  sample: [{op: remove, field: vigil.ha.transition.app1.from.6, key: 612, why: "no value for at least 30s: ..."}]
refused:
  description: With O(action=repair), whether the repair was refused (nothing changed); RV(code) says why.
  returned: with O(action=repair)
  type: bool
code:
  description:
    - With O(action=repair) when refused - V(corrupt), V(busy), V(in_service_twice), V(owner_mismatch) or
      V(needs_confirmation).
  returned: with O(action=repair)
  type: str
holders:
  description: With O(action=repair), the nodes where a resource of the hierarchy is in service, per O(states).
  returned: with O(action=repair)
  type: list
  elements: str
lines:
  description: With O(action=repair), what was found and what is done, for people.
  returned: with O(action=repair)
  type: list
  elements: str
diff:
  description: Owner and generation before and after; with O(action=repair) the hierarchy's custom attributes.
  returned: with O(action=set) or O(action=repair) in diff mode
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vigil.ha.plugins.module_utils.state.repair import MAX_MIN_AGE, lines, repair
from ansible_collections.vigil.ha.plugins.module_utils.state.store import (
    StaleGenerationError,
    StateError,
    StateInputError,
    StateStore,
    check_hierarchy,
    check_owner,
)
from ansible_collections.vigil.ha.plugins.module_utils.glue.controller_module import serve
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import failure
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import call, vcenter_argument_spec
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import MAX_EVENTS, RootAnnotations


def _state(state):
    return dict((k, state.get(k)) for k in ("owner", "generation", "since"))


def _attributes(found):
    values = dict((c["field"], c["value"]) for c in found["claims"])
    if found["attribute"]:
        values[found["attribute"]["field"]] = found["attribute"]["value"]
    return values


def _repair(p, ann, check_mode, diff):
    done = repair(ann, p["hierarchy"], p["claim_min_age"], states=p["states"], node_health=p["node_health"],
                  confirm=p["confirm"], reason=p["reason"], check_mode=check_mode)
    result = dict((k, done[k]) for k in ("found", "todo", "refused", "code", "holders", "problems", "event"))
    if done["warnings"]:
        result["warnings"] = list(done["warnings"])
    result.update(changed=done["changed"], lines=lines(done), msg=done["reason"], failed=done["refused"])
    result.update(dict((k, (done["found"]["state"] or {}).get(k)) for k in ("owner", "generation", "since")))
    if diff and done["changed"]:
        after = _attributes(done["found"])
        for todo in done["todo"]:
            if todo["op"] == "remove":
                after.pop(todo["field"], None)
            else:
                after[todo["field"]] = todo["value"]
        result["diff"] = {"before": _attributes(done["found"]), "after": after}
    return result


ARGUMENT_SPEC = dict(
    hierarchy=dict(type="str", required=True),
    action=dict(type="str", choices=["get", "set", "require", "alert", "repair"], default="get"),
    owner=dict(type="str"),
    generation=dict(type="int"),
    expected_generation=dict(type="int"),
    run_id=dict(type="str"),
    reason=dict(type="str"),
    fail_on_stale=dict(type="bool", default=True),
    events=dict(type="int", default=0),
    confirm=dict(type="str"),
    claim_min_age=dict(type="int", default=30),
    states=dict(type="dict", default={}),
    node_health=dict(type="dict", default={}),
    **vcenter_argument_spec()
)
SPEC_RULES = dict(required_if=[("action", "set", ("owner", "generation", "expected_generation")),
                               ("action", "require", ("expected_generation",)),
                               ("action", "alert", ("reason",))])


def run(p, check_mode=False, diff=False):
    out = dict(changed=False, hierarchy=p["hierarchy"], stale=False)
    try:
        check_hierarchy(p["hierarchy"])
        if p["action"] == "set":
            check_owner(p["owner"])
        if not 0 <= p["events"] <= MAX_EVENTS:
            raise StateInputError("events: must be 0 to %d, not %d" % (MAX_EVENTS, p["events"]), field="events")
        if not 0 <= p["claim_min_age"] <= MAX_MIN_AGE:
            raise StateInputError("claim_min_age: must be 0 to %d seconds, not %d" % (MAX_MIN_AGE, p["claim_min_age"]),
                                  field="claim_min_age")
    except StateError as exc:
        return dict(failure(exc, out), failed=True)

    def act(client):
        result = dict(out)
        store = StateStore(RootAnnotations(client))
        if p["action"] == "alert":
            done = store.alert(p["hierarchy"], p["reason"], check_mode=check_mode)
            result.update(changed=done["changed"], event=done["event"], msg=done["msg"])
        elif p["action"] == "repair":
            result.update(_repair(p, store.ann, check_mode, diff))
        elif p["action"] == "get":
            state = store.read(p["hierarchy"])
            result.update(_state(state), pending=state["pending"] and dict(
                (k, state["pending"][k]) for k in ("field", "from")))
        elif p["action"] == "require":
            try:
                result.update(_state(store.require(p["hierarchy"], p["expected_generation"])))
            except StaleGenerationError as exc:
                result.update(_state(exc.details.get("current") or {}), stale=True, error=exc.kind,
                              msg=exc.message, failed=p["fail_on_stale"])
        else:
            try:
                done = store.set(p["hierarchy"], p["owner"], p["generation"], p["expected_generation"],
                                 reason=p["reason"], check_mode=check_mode, run=p["run_id"])
            except StaleGenerationError as exc:
                result.update(_state(exc.details.get("current") or {}), stale=True, error=exc.kind,
                              msg=exc.message, failed=p["fail_on_stale"])
            else:
                result.update(_state(done["after"]), changed=done["changed"], msg=done["msg"])
                if done["changed"]:
                    result["event"] = done["event"]
                if done["warnings"]:
                    result["warnings"] = list(done["warnings"])
                if diff:
                    result["diff"] = {"before": _state(done["before"]), "after": _state(done["after"])}
        if p["events"]:
            result["events"] = store.events(p["hierarchy"], p["events"])
        return result

    return call(p, act, base=out)  # StateError is a VsphereError: its fields join out


def main():
    serve(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, **SPEC_RULES), run)


if __name__ == "__main__":
    main()
