# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repair of a state a dead run left half written: what is removed, rolled forward, refused."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.state import repair as sr
from ansible_collections.vigil.ha.plugins.module_utils.state import store as ss
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import FakeAnnotations

SINCE = "2026-01-02T03:04:05Z"
ON_NODE1 = {"node1": {"vip": "in_service", "app": "in_service"}, "node2": {"vip": "out_of_service"}}
NOWHERE = {"node1": {"vip": "out_of_service"}, "node2": {"vip": "out_of_service"}}


def at_generation(gen=5, owner="node1"):
    """app1 at ``gen`` owned by ``owner``, written by the store."""
    ann = FakeAnnotations()
    st = ss.StateStore(ann, clock=lambda: SINCE)
    st.set("app1", owner, gen, 0)
    return st, ann


def claim(ann, gen, value=None):
    key = ann.add_field(ss.claim_field("app1", gen))
    if value is not None:
        ann.set_field(key, value)
    return key


def run(ann, states=None, confirm="app1", check_mode=False, sleep=None, **kwargs):
    slept = []
    result = sr.repair(ann, "app1", 30, states=NOWHERE if states is None else states, confirm=confirm, check_mode=check_mode,
                       sleep=sleep or slept.append, **kwargs)
    result["slept"] = slept
    return result


def test_a_claim_left_without_value_is_removed_after_being_watched_and_writes_work_again():
    st, ann = at_generation()
    claim(ann, 5)  # a run killed between steps 2 and 4
    with pytest.raises(ss.TransitionPendingError):
        st.set("app1", "node2", 6, 5)
    done = run(ann, reason="run killed")
    assert done["slept"] == [30] and done["changed"] and not done["refused"]
    assert [t["op"] for t in done["todo"]] == ["remove"] and done["todo"][0]["field"] == "vigil.ha.transition.app1.from.5"
    assert list(ann.vc.fields) == ["vigil.ha.hierarchy.app1"]
    assert ann.vc.events[-1]["message"].startswith("vigil.ha hierarchy app1: repaired: remove vigil.ha.transition.app1")
    assert ann.vc.events[-1]["message"].endswith("owner node1, generation 5; reason: run killed")
    assert st.set("app1", "node2", 6, 5)["changed"]  # unwedged


def test_check_mode_and_no_confirmation_change_nothing():
    st, ann = at_generation()
    claim(ann, 5)
    before = len(ann.writes())
    would = run(ann, confirm=None, check_mode=True)
    assert would["changed"] and not would["refused"] and len(ann.writes()) == before
    assert any(x.startswith("would remove vigil.ha.transition.app1.from.5") for x in sr.lines(would))
    refused = run(ann, confirm="other")
    assert refused["refused"] and refused["code"] == "needs_confirmation" and "confirm=app1" in refused["reason"]
    assert len(ann.writes()) == before and st.read("app1")["pending"]


def test_a_claim_that_gets_a_value_while_watched_is_a_live_run_and_refused():
    st, ann = at_generation()
    key = claim(ann, 5)
    done = run(ann, sleep=lambda s: ann.set_field(key, "owner=node2;generation=6;since=x"))
    assert done["refused"] and done["code"] == "busy" and not done["changed"]
    assert st.read("app1")["generation"] == 6  # the live writer's transition stands


def test_a_claim_that_holds_a_value_is_rolled_forward_under_a_claim_of_its_own():
    st, ann = at_generation()
    claim(ann, 5, "owner=node2;generation=6;since=%s" % SINCE)  # died between steps 4 and 5
    claim(ann, 3, "owner=node1;generation=4;since=x")  # left over from step 6 long ago
    done = run(ann, states={"node2": {"vip": "in_service"}})
    assert done["slept"] == [] and done["changed"], done
    assert [t["op"] for t in done["todo"]] == ["roll_forward", "remove", "remove"]
    assert list(ann.vc.fields) == ["vigil.ha.hierarchy.app1"]
    assert ann.vc.values[ann.vc.fields["vigil.ha.hierarchy.app1"]] == "owner=node2;generation=6;since=%s" % SINCE
    assert "add_field" in [c[0] for c in ann.writes()]  # it claimed from.6 while catching up
    assert st.read("app1")["source"] == "attribute"


def test_a_dead_claim_on_top_of_a_rolled_forward_one():
    st, ann = at_generation()
    claim(ann, 5, "owner=node2;generation=6;since=%s" % SINCE)
    claim(ann, 6)
    done = run(ann)
    assert [t["op"] for t in done["todo"]] == ["remove", "roll_forward", "remove"]
    state = st.read("app1")
    assert (state["owner"], state["generation"], state["pending"], state["source"]) == ("node2", 6, None, "attribute")


@pytest.mark.parametrize("states,code", [
    ({"node1": {"vip": "in_service"}, "node2": {"app": "in_service"}}, "in_service_twice"),
    ({"node1": {"vip": "out_of_service"}, "node2": {"vip": "in_service"}}, "owner_mismatch"),
])
def test_what_the_nodes_run_contradicting_the_state_is_for_an_operator(states, code):
    st, ann = at_generation()
    claim(ann, 5)
    before = len(ann.writes())
    done = run(ann, states=states)
    assert done["refused"] and done["code"] == code and not done["changed"]
    assert len(ann.writes()) == before and st.read("app1")["pending"]


def test_nothing_to_repair_changes_nothing_and_says_so():
    st, ann = at_generation()
    done = run(ann, states=ON_NODE1, confirm=None)
    assert not done["changed"] and not done["refused"] and done["todo"] == []
    assert "nothing to repair (owner node1, generation 5)" in done["reason"]
    assert "in service on node1" in sr.lines(done)
    assert st.read("app1")["owner"] == "node1"


def test_unknown_nodes_are_reported_and_corrupt_state_refused():
    st, ann = at_generation()
    done = run(ann, node_health={"node1": "ok", "node2": "unreachable"})
    assert done["problems"] == ["node2 is unreachable: what it runs is not known"]
    ann.set_field(ann.vc.fields["vigil.ha.hierarchy.app1"], "garbage")
    done = run(ann)
    assert done["refused"] and done["code"] == "corrupt"


def test_a_change_between_inspection_and_repair_stops_it():
    st, ann = at_generation()
    claim(ann, 5)
    first = sr.inspect(ann.read(), "app1")
    decided = sr.decide("app1", first, first, 30, NOWHERE, confirm="app1")
    claim(ann, 2)  # something changed meanwhile
    with pytest.raises(sr.RepairBusyError):
        sr._apply(ann, "app1", first, decided["todo"])  # pylint: disable=protected-access
    assert st.read("app1")["pending"]
