# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repair of a hierarchy's state that a run left half written (plain Python).

A run that dies while recording a move (state/store.py, steps 2 to 6) leaves:

- a claim ``vigil.ha.transition.<h>.from.<G>`` without a value (died between
  steps 2 and 4): every write is refused until it is gone;
- a claim that holds the new state while ``vigil.ha.hierarchy.<h>`` still
  holds the old one (died between 4 and 5): readers already see the new
  state; the attribute is behind;
- claims of older generations (died in step 6): harmless, left over.

``decide`` says what to do from two reads ``min_age`` seconds apart (a live
writer gives its claim a value one API call after making it, so a claim that
stayed without a value that long belongs to a dead run) and from what the
nodes run. It refuses what only an operator can settle: the hierarchy in
service on two nodes, or on another node than the state names; a claim that
changed while watched (a run is writing). ``repair`` applies it with the same
compare-and-set rules as a write: the roll-forward holds a claim of its own.
Run it under the hierarchy's lock (vigil.ha.hierarchy_lock), so that no run
of this controller is writing.
"""

from __future__ import annotations

import time

from ansible_collections.vigil.ha.plugins.module_utils.kits.base import FAILED, IN_SERVICE
from ansible_collections.vigil.ha.plugins.module_utils.state.store import (
    EVENT_PREFIX,
    StateCorruptError,
    StateError,
    _short,
    check_hierarchy,
    claim_field,
    claims,
    effective,
    format_value,
    parse_value,
    public,
    state_field,
)

MAX_MIN_AGE = 3600
REFUSALS = {
    "corrupt": "a custom attribute holds something that is not a state: fix or remove it in vCenter",
    "busy": "the state changed while it was inspected: a run is writing it",
    "in_service_twice": "in service on more than one node: an operator must stop it on all but one",
    "owner_mismatch": "in service on another node than the state names: an operator must settle which",
    "needs_confirmation": "a repair changes vCenter only when confirmed with the hierarchy's name",
}


class RepairBusyError(StateError, kind="busy"):
    """The state changed under the repair: nothing more written."""


def inspect(snapshot, hierarchy):
    """What vCenter holds for ``hierarchy``: its attribute, every claim, and the state readers see."""
    fields, values = snapshot["fields"], snapshot["values"]
    name = state_field(hierarchy)
    found = {"hierarchy": hierarchy, "attribute": None, "claims": [], "state": None, "corrupt": None}
    raw = values.get(fields.get(name)) or None
    if fields.get(name) is not None:
        found["attribute"] = {"field": name, "key": fields[name], "value": raw}
    for gen, key in sorted(claims(fields, hierarchy).items()):
        found["claims"].append({"field": claim_field(hierarchy, gen), "key": key, "from": gen,
                                "value": values.get(key) or None})
    try:
        if raw:
            parse_value(raw, name)
        state = effective(snapshot, hierarchy)
    except StateCorruptError as exc:
        found["corrupt"] = exc.message
        return found
    found["state"] = dict(public(state), source=state["source"],
                          pending=state["pending"] and state["pending"]["field"])
    return found


def holders(states):
    """Nodes where a resource of the hierarchy is in service or failed (it may still hold it), sorted."""
    return sorted(node for node, res in (states or {}).items()
                  if any(v in (IN_SERVICE, FAILED) for v in (res or {}).values()))


def _pending(found):
    field = (found.get("state") or {}).get("pending")
    return next((c for c in found["claims"] if c["field"] == field), None) if field else None


def decide(hierarchy, first, second, min_age, states=None, node_health=None, confirm=None, check_mode=False):
    """What to repair, from two inspections ``min_age`` seconds apart (pure).

    Returns ``{"todo", "refused", "code", "reason", "problems", "holders", "found"}``;
    ``todo`` lists ``{"op": "remove" | "roll_forward", ...}`` in the order to apply.
    """
    out = {"todo": [], "refused": False, "code": None, "reason": None, "problems": [], "found": second,
           "holders": holders(states)}
    for node, health in sorted((node_health or {}).items()):
        if health not in ("ok", "maintenance", "powered_off", "fenced"):
            out["problems"].append("%s is %s: what it runs is not known" % (node, health))

    def refuse(code, detail):
        out.update(refused=True, code=code, reason="%s: %s (%s); nothing changed" % (hierarchy, REFUSALS[code], detail))
        return out

    if second["corrupt"]:
        return refuse("corrupt", second["corrupt"])
    before, now = _pending(first), _pending(second)
    if (first["state"] or {}).get("generation") != second["state"]["generation"] or (
            before and (not now or now["key"] != before["key"])):
        return refuse("busy", "seen as %s, then as %s" % (_said(first), _said(second)))
    state = second["state"]
    gen = state["generation"]
    if now:
        out["todo"].append({"op": "remove", "field": now["field"], "key": now["key"],
                            "why": "no value for at least %ss: the run that made it is gone" % min_age})
    if state["source"] == "transition":
        out["todo"].append({"op": "roll_forward", "field": state_field(hierarchy), "owner": state["owner"],
                            "generation": gen, "value": format_value(state["owner"], gen, state["since"], state.get("run")),
                            "why": "a claim holds generation %d, the attribute %s" % (
                                gen, (second["attribute"] or {}).get("value") or "nothing")})
    for claim in second["claims"]:
        if now and claim["key"] == now["key"]:
            continue
        why = "left over: the state is at generation %d" % gen
        if claim["from"] < gen and claim["value"]:
            why = "its state is rolled forward" if state["source"] == "transition" else why
        out["todo"].append({"op": "remove", "field": claim["field"], "key": claim["key"], "why": why})
    if not out["todo"]:
        out["reason"] = "%s: nothing to repair (owner %s, generation %d)" % (hierarchy, state["owner"] or "none", gen)
        return out
    running = out["holders"]
    if len(running) > 1:
        return refuse("in_service_twice", "in service on %s" % " and ".join(running))
    if running and running[0] != state["owner"]:
        return refuse("owner_mismatch", "in service on %s, the state names %s at generation %d"
                      % (running[0], state["owner"] or "no node", gen))
    if confirm != hierarchy and not check_mode:
        return refuse("needs_confirmation", "run again with confirm=%s to do it" % hierarchy)
    out["reason"] = "%s: %s; owner %s, generation %d" % (
        hierarchy, "; ".join(line(t) for t in out["todo"]), state["owner"] or "none", gen)
    return out


def _said(found):
    if found["corrupt"]:
        return "corrupt"
    st = found["state"]
    return "generation %d%s" % (st["generation"], " with %s pending" % st["pending"] if st["pending"] else "")


def line(todo):
    if todo["op"] == "roll_forward":
        return "roll forward %s to %s (%s)" % (todo["field"], todo["value"], todo["why"])
    return "remove %s (%s)" % (todo["field"], todo["why"])


def repair(ann, hierarchy, min_age, states=None, node_health=None, confirm=None, reason=None,
           check_mode=False, sleep=time.sleep):
    """Inspect, decide and (unless refused or in check mode) apply; returns the decision plus ``changed``/``event``."""
    check_hierarchy(hierarchy)
    first = inspect(ann.read(), hierarchy)
    if _pending(first) and min_age:
        sleep(min_age)  # watch the claim: a live writer gives it a value within one call
        second = inspect(ann.read(), hierarchy)
    else:
        second = first
    result = decide(hierarchy, first, second, min_age, states, node_health, confirm, check_mode)
    result.update(changed=bool(result["todo"]) and not result["refused"], event=None, warnings=[],
                  check_mode=check_mode)
    if not result["changed"] or check_mode:
        return result
    _apply(ann, hierarchy, second, result["todo"])
    message = "%s%s: repaired: %s%s" % (EVENT_PREFIX, hierarchy, result["reason"][len(hierarchy) + 2:],
                                        "; reason: %s" % _short(reason) if reason else "")
    try:
        ann.post_event(message)
        result["event"] = message
    except Exception as exc:  # pylint: disable=broad-except
        result["warnings"].append("state repaired; event not posted in vCenter: %s" % exc)
    return result


def _apply(ann, hierarchy, decided, todo):
    if inspect(ann.read(), hierarchy) != decided:
        raise RepairBusyError("%s: the state changed since it was inspected: a run is writing it; nothing changed"
                              % hierarchy, field="hierarchy")
    done = set()
    for item in todo:
        if item["op"] == "remove" and item["field"] == (decided["state"] or {}).get("pending"):
            ann.remove_field(item["key"])
            done.add(item["key"])
    forward = next((t for t in todo if t["op"] == "roll_forward"), None)
    if forward:
        _roll_forward(ann, hierarchy, forward)
    for item in todo:
        if item["op"] == "remove" and item["key"] not in done:
            ann.remove_field(item["key"])


def _roll_forward(ann, hierarchy, todo):
    # Hold the claim from the rolled-forward generation, as a writer does: no
    # run can move the hierarchy on while the attribute is being caught up.
    gen = todo["generation"]
    key = ann.add_field(claim_field(hierarchy, gen))
    if key is None:
        raise RepairBusyError("%s: another run is moving it from generation %d; nothing more changed"
                              % (hierarchy, gen), field=claim_field(hierarchy, gen))
    try:
        snapshot = ann.read()
        now = effective(snapshot, hierarchy)
        if now["generation"] != gen or (now["pending"] or {}).get("key") != key:
            raise RepairBusyError("%s: the state changed under the repair; nothing more changed" % hierarchy,
                                  field=claim_field(hierarchy, gen))
        attr = snapshot["fields"].get(todo["field"])
        if attr is None:
            attr = ann.add_field(todo["field"])
            if attr is None:
                attr = ann.read()["fields"][todo["field"]]
        ann.set_field(attr, todo["value"])
    finally:
        ann.remove_field(key)


def lines(result):
    """What an operator reads: what vCenter holds, what the nodes run, what is (or would be) done."""
    found = result["found"]
    out = []
    attr = found["attribute"]
    out.append("%s: %s" % (state_field(found["hierarchy"]), (attr or {}).get("value") or "not set"))
    for claim in found["claims"]:
        out.append("%s: %s" % (claim["field"], claim["value"] or "NO VALUE (a write under way or interrupted)"))
    st = found["state"]
    if st:
        out.append("state: owner %s, generation %d%s" % (st["owner"] or "none", st["generation"],
                                                         ", write refused while %s has no value" % st["pending"]
                                                         if st["pending"] else ""))
    out.append("in service on %s" % (", ".join(result["holders"]) or "no node"))
    out.extend(result["problems"])
    verb = "would " if result.get("check_mode") else ""
    if result["refused"]:
        out.append("refused (%s): %s" % (result["code"], result["reason"]))
    elif result["todo"]:
        out.extend("%s%s" % (verb, line(t)) for t in result["todo"])
    else:
        out.append(result["reason"])
    return out
