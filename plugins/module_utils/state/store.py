# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owner and generation of each hierarchy, kept in vCenter (plain Python).

Where: custom attributes of vCenter's root folder (Folder type), so that
they exist once per vCenter whatever its datacenters, need no extra option to
locate, and are visible to administrators (vSphere Client, ``govc fields.ls``,
PowerCLI ``Get-Annotation``):

``vigil.ha.hierarchy.<name>``
    ``owner=node2;generation=5;since=2026-01-02T03:04:05Z;run=RUN``, the
    whole state in one value so that owner and generation can never be seen
    half written, and read with one call. ``run`` (optional) names the run
    that made the move: a move is made by one run only (below).
``vigil.ha.transition.<name>.from.<N>``
    exists only while generation N is being replaced: the claim that makes a
    write a compare-and-set across controllers (below).

A write carries the generation it expects to replace. It is refused,
nothing written, when vCenter holds another generation (a stale or
duplicate step). vCenter has no compare-and-set on a value, but it refuses
a second custom attribute definition of the same name atomically; so:

1. read; refuse when the generation is not the expected one;
2. claim: define ``vigil.ha.transition.<name>.from.<expected>``; a second
   writer racing from the same generation gets DuplicateName and is refused;
3. read again: a writer that read long ago (before an earlier transition
   cleaned its claim up) sees the newer generation, drops its claim and is
   refused;
4. record the new state as the claim's value (a roll-forward point: from
   now on readers see the new state even if step 5 never happens);
5. write ``vigil.ha.hierarchy.<name>``;
6. remove the claims of older generations, then post an event on the root
   folder naming hierarchy, owners, generations and reason.

Repeating a write that already happened changes nothing, so a run that
retries its own write is not refused. With a ``run`` identifier the repeat
must be the same run's: another controller that planned the very same move
from the same generation (a duplicate event on a second watcher, a run
frozen past its lock) is refused as stale, so it never runs the move's
starts a second time.

A claim without a value means a write is under way or died between steps 2
and 4; every write is refused until it is gone (a write never guesses it
away). state/repair.py, run by an operator (vigil.ha.repair_state), removes
it once it has stayed without a value long enough, and rolls forward a
claim whose value never reached step 5.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.vigil.ha.plugins.module_utils.config.validation import NAME_RE
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError

STATE_PREFIX = "vigil.ha.hierarchy."
CLAIM_PREFIX = "vigil.ha.transition."
EVENT_PREFIX = "vigil.ha hierarchy "
MAX_NAME = 100
MAX_REASON = 400
MAX_CHAIN = 1000


class StateError(VsphereError, kind="state"):
    """Base of the errors of the state store; ``to_dict`` gives module results."""


class StateInputError(StateError, kind="invalid"):
    """A bad argument; ``field`` names it. Nothing was read or written."""


class StateCorruptError(StateError, kind="corrupt"):
    """A custom attribute holds something that is not a state."""


class StaleGenerationError(StateError, kind="stale"):
    """vCenter holds another generation than the one expected: nothing written."""


class TransitionPendingError(StaleGenerationError, kind="pending"):
    """A transition from the current generation is under way or was interrupted."""


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_hierarchy(name):
    if not isinstance(name, str) or not name:
        raise StateInputError("hierarchy: required", field="hierarchy")
    if len(name) > MAX_NAME or not NAME_RE.match(name):
        raise StateInputError(
            "hierarchy: must be letters, digits, '.', '_' or '-', starting with a letter or digit, "
            "at most %d characters, not %r" % (MAX_NAME, name), field="hierarchy")
    return name


def check_owner(owner):
    """A node name, or None/'' for "in service nowhere"."""
    if owner is None or owner == "":
        return None
    if not isinstance(owner, str) or len(owner) > 255 or not NAME_RE.match(owner):
        raise StateInputError(
            "owner: must be a node name (letters, digits, '.', '_' or '-', starting with a letter or digit) "
            "or empty for none, not %r" % (owner,), field="owner")
    return owner


def _check_int(value, field, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise StateInputError("%s: must be an integer of at least %d, not %r" % (field, minimum, value), field=field)
    return value


RUN_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def format_value(owner, generation, since, run=None):
    return "owner=%s;generation=%d;since=%s%s" % (owner or "", generation, since, ";run=%s" % run if run else "")


def check_run(run):
    if run is not None and not RUN_RE.match(str(run)):
        raise StateInputError("run_id: 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-', not %r" % (run,), field="run_id")
    return run


def parse_value(text, where):
    """``{"owner", "generation", "since"}`` from a custom attribute's value."""
    items = {}
    for part in (text or "").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            items[k.strip()] = v.strip()
    generation = items.get("generation", "")
    if not re.match(r"^\d+$", generation):
        raise StateCorruptError(
            "custom attribute %s holds %r, not owner=NODE;generation=N;since=TIME: fix or remove it in vCenter"
            % (where, text), field=where)
    return {"owner": items.get("owner") or None, "generation": int(generation), "since": items.get("since") or None,
            "run": items.get("run") or None}


def state_field(hierarchy):
    return STATE_PREFIX + hierarchy


def claim_field(hierarchy, generation):
    return "%s%s.from.%d" % (CLAIM_PREFIX, hierarchy, generation)


def claims(fields, hierarchy):
    """``{generation: key}`` of the claims of this hierarchy among the field definitions."""
    prefix = "%s%s.from." % (CLAIM_PREFIX, hierarchy)
    out = {}
    for name, key in fields.items():
        rest = name[len(prefix):] if name.startswith(prefix) else ""
        if rest.isdigit():
            out[int(rest)] = key
    return out


def follow_claims(snapshot, state, claim_of, parse, number="generation"):
    """Follow the claims from ``state[number]`` on: a claim with a value is the newer state (a
    write that reached step 4); one without sets ``state["pending"]`` (a write under way or dead).
    Shared by the hierarchy state and the watcher lease (state/lease.py): one mechanism."""
    fields, values = snapshot["fields"], snapshot["values"]
    state["pending"] = None
    for dummy in range(MAX_CHAIN):
        claim = claim_of(state[number])
        key = fields.get(claim)
        if key is None:
            break
        value = values.get(key)
        if not value:
            state["pending"] = {"field": claim, "key": key, "from": state[number]}
            break
        nxt = parse(value, claim)
        if nxt[number] <= state[number]:
            raise StateCorruptError("custom attribute %s holds %s %d, not more than %d: remove it in vCenter"
                                    % (claim, number, nxt[number], state[number]), field=claim)
        state.update(nxt, source="transition")
    return state


def effective(snapshot, hierarchy):
    """The state of ``hierarchy`` in a snapshot of the root folder's attributes (pure)."""
    fields, values = snapshot["fields"], snapshot["values"]
    name = state_field(hierarchy)
    value = values.get(fields.get(name))
    state = parse_value(value, name) if value else {"owner": None, "generation": 0, "since": None, "run": None}
    state.update(hierarchy=hierarchy, field=name, source="attribute" if value else "none")
    return follow_claims(snapshot, state, lambda generation: claim_field(hierarchy, generation), parse_value)


def claimed_write(ann, claim, field, value, recheck):
    """Steps 2 to 5 of a compare-and-set (module docstring), for any value kept this way.

    Defines ``claim`` (None when it exists: another writer got there first);
    reads again and calls ``recheck(snapshot, claim_key)``, which returns an
    error to refuse with (the claim is removed first) or None; gives the claim
    ``value`` (the roll-forward point) and writes ``value`` to ``field``.
    Returns the claim's key. A failure before the claim holds its value
    removes it, so it is not left pending.
    """
    claim_key = ann.add_field(claim)
    if claim_key is None:
        return None
    valued = False
    try:
        snapshot = ann.read()
        refusal = recheck(snapshot, claim_key)
        if refusal is None:
            ann.set_field(claim_key, value)
            valued = True
            key = snapshot["fields"].get(field)
            if key is None:
                key = ann.add_field(field)
                if key is None:  # defined meanwhile by another writer of another generation
                    key = ann.read()["fields"][field]
            ann.set_field(key, value)
    except Exception:
        if not valued:
            try:
                ann.remove_field(claim_key)
            except Exception:  # pylint: disable=broad-except
                pass  # vCenter gone: the claim stays and is reported as pending
        raise
    if refusal is not None:
        ann.remove_field(claim_key)
        raise refusal
    return claim_key


def public(state):
    return dict((k, state[k]) for k in ("hierarchy", "owner", "generation", "since"))


def _short(reason):
    reason = " ".join(str(reason).split())
    return reason[:MAX_REASON] + ("..." if len(reason) > MAX_REASON else "")


def event_message(hierarchy, before, after, reason):
    message = "%s%s: owner %s -> %s, generation %d -> %d" % (
        EVENT_PREFIX, hierarchy, before["owner"] or "none", after["owner"] or "none",
        before["generation"], after["generation"])
    if reason:
        message += "; reason: %s" % _short(reason)
    return message


def alert_message(hierarchy, reason):
    """The event that asks for an operator: it leads with what is needed."""
    return "%s%s: OPERATOR NEEDED: %s" % (EVENT_PREFIX, hierarchy, _short(reason or "no reason given"))


class StateStore(object):
    """Hierarchy state over ``RootAnnotations`` (vsphere/annotations.py) or a fake of it."""

    def __init__(self, annotations, clock=utc_now):
        self.ann = annotations
        self.clock = clock

    def read(self, hierarchy):
        check_hierarchy(hierarchy)
        return effective(self.ann.read(), hierarchy)

    def require(self, hierarchy, generation):
        """A step's check before it acts: vCenter must hold ``generation`` (the plan's
        generation before its commit point, its new one after). Raises
        ``StaleGenerationError`` otherwise: a run frozen past another run's move
        must not stop, fence or start anything (a fencing token)."""
        _check_int(generation, "expected_generation", 0)
        current = self.read(hierarchy)
        if current["generation"] != generation or current["pending"]:
            pending = " and a transition from it" if current["pending"] else ""
            raise StaleGenerationError(
                "hierarchy %s: this step belongs to generation %d, but vCenter holds generation %d%s (owner %s): "
                "another run moved it; nothing done"
                % (hierarchy, generation, current["generation"], pending, current["owner"] or "none"),
                current=public(current), stale=True, field="expected_generation")
        return current

    def events(self, hierarchy, limit=20):
        check_hierarchy(hierarchy)
        return self.ann.query_events("%s%s:" % (EVENT_PREFIX, hierarchy), limit)

    def alert(self, hierarchy, reason, check_mode=False):
        """Post an event asking for an operator; the state is not touched."""
        check_hierarchy(hierarchy)
        message = alert_message(hierarchy, reason)
        if not check_mode:
            self.ann.post_event(message)
        return {"changed": True, "event": message, "msg": message[len(EVENT_PREFIX):]}

    def set(self, hierarchy, owner, generation, expected_generation, reason=None, check_mode=False, run=None):
        """Compare-and-set; returns ``{"changed", "before", "after", "event", "warnings"}``.

        Raises ``StaleGenerationError`` (nothing written) when vCenter's
        generation is not ``expected_generation``; a repeat of the write that
        already happened is not stale but unchanged, unless ``run`` names a
        run and another run made it.
        """
        check_hierarchy(hierarchy)
        owner = check_owner(owner)
        check_run(run)
        _check_int(expected_generation, "expected_generation", 0)
        _check_int(generation, "generation", 1)
        if generation <= expected_generation:
            raise StateInputError("generation: must be greater than expected_generation (%d), not %d"
                                  % (expected_generation, generation), field="generation")
        current = effective(self.ann.read(), hierarchy)
        wanted = {"hierarchy": hierarchy, "owner": owner, "generation": generation}
        if current["generation"] == generation and current["owner"] == owner and not current["pending"]:
            if run is not None and current.get("run") != run:
                raise StaleGenerationError(
                    "hierarchy %s: another run (%s) already moved it to %s at generation %d; this run's move from "
                    "generation %d is stale; nothing written"
                    % (hierarchy, current.get("run") or "unnamed", owner or "none", generation, expected_generation),
                    current=public(current), stale=True, field="expected_generation")
            return {"changed": False, "before": public(current), "after": public(current), "event": None,
                    "warnings": [], "msg": "hierarchy %s is already owned by %s at generation %d"
                    % (hierarchy, owner or "none", generation)}
        self._refuse_unless(current, hierarchy, expected_generation)
        after = dict(wanted, since=self.clock())
        message = event_message(hierarchy, current, after, reason)
        if check_mode:
            return {"changed": True, "before": public(current), "after": after, "event": message, "warnings": [],
                    "msg": "would set hierarchy %s: %s" % (hierarchy, message[len(EVENT_PREFIX) + len(hierarchy) + 2:])}
        value = format_value(owner, generation, after["since"], run)
        claim = claim_field(hierarchy, expected_generation)

        def recheck(snapshot, claim_key):
            now = effective(snapshot, hierarchy)
            if now["generation"] != expected_generation or (now["pending"] or {}).get("key") != claim_key:
                try:
                    self._refuse_unless(now, hierarchy, expected_generation, raced=True)
                except StaleGenerationError as exc:
                    return exc
                return TransitionPendingError(
                    "hierarchy %s: the claim %s changed under this run; nothing written" % (hierarchy, claim),
                    current=public(now), stale=True, field=claim)
            return None

        if claimed_write(self.ann, claim, state_field(hierarchy), value, recheck) is None:
            self._refuse_unless(effective(self.ann.read(), hierarchy), hierarchy, expected_generation, raced=True)
            raise TransitionPendingError(
                "hierarchy %s: another run is moving it from generation %d (custom attribute %s exists); nothing written"
                % (hierarchy, expected_generation, claim), current=public(current), stale=True, field=claim)
        warnings = []
        fields = self.ann.read()["fields"]
        for gen, key in sorted(claims(fields, hierarchy).items()):
            if gen < generation:
                try:
                    self.ann.remove_field(key)
                except Exception as exc:  # pylint: disable=broad-except
                    warnings.append("state written; claim %s not removed: %s" % (claim_field(hierarchy, gen), exc))
        try:
            self.ann.post_event(message)
        except Exception as exc:  # pylint: disable=broad-except
            warnings.append("state written; event not posted in vCenter: %s" % exc)
            message = None
        return {"changed": True, "before": public(current), "after": after, "event": message, "warnings": warnings,
                "msg": "hierarchy %s: owner %s, generation %d" % (hierarchy, owner or "none", generation)}

    @staticmethod
    def _refuse_unless(current, hierarchy, expected, raced=False):
        if current["pending"] and current["generation"] == expected and not raced:
            raise TransitionPendingError(
                "hierarchy %s: a transition from generation %d is under way or was interrupted (custom attribute %s "
                "has no value); nothing written. If no run is active, repair it: vigil.ha.repair_state -e hierarchy=%s"
                % (hierarchy, current["generation"], current["pending"]["field"], hierarchy),
                current=public(current), stale=True, field=current["pending"]["field"])
        if current["generation"] != expected:
            raise StaleGenerationError(
                "hierarchy %s: vCenter holds generation %d (owner %s), not the expected %d%s; nothing written"
                % (hierarchy, current["generation"], current["owner"] or "none", expected,
                   ": another run moved it first" if raced else ""),
                current=public(current), stale=True, field="expected_generation")
