# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hierarchy state in vCenter custom attributes: read, compare-and-set, races, events."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.state import store as ss
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.state_fakes import FakeAnnotations, FakeVcenter
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereConnectionError


def store(vc=None):
    ann = FakeAnnotations(vc)
    return ss.StateStore(ann, clock=lambda: "2026-01-02T03:04:05Z"), ann


def test_never_set_is_generation_zero_without_owner():
    st, ann = store()
    state = st.read("app1")
    assert (state["owner"], state["generation"], state["since"], state["pending"]) == (None, 0, None, None)
    assert [c[0] for c in ann.vc.calls] == ["read"]  # one call


def test_set_writes_one_value_posts_an_event_and_leaves_no_claim():
    st, ann = store()
    done = st.set("app1", "node1", 1, 0, reason="first start")
    assert done["changed"] and done["after"]["owner"] == "node1" and done["before"]["generation"] == 0
    assert ann.vc.fields == {"vigil.ha.hierarchy.app1": ann.vc.fields["vigil.ha.hierarchy.app1"]}
    assert ann.vc.values[ann.vc.fields["vigil.ha.hierarchy.app1"]] == \
        "owner=node1;generation=1;since=2026-01-02T03:04:05Z"
    assert ann.vc.events[-1]["message"] == \
        "vigil.ha hierarchy app1: owner none -> node1, generation 0 -> 1; reason: first start"
    assert done["event"] == ann.vc.events[-1]["message"] and done["warnings"] == []
    state = st.read("app1")
    assert (state["owner"], state["generation"], state["source"]) == ("node1", 1, "attribute")


def test_stale_generation_writes_nothing():
    st, ann = store()
    st.set("app1", "node1", 1, 0)
    st.set("app1", "node2", 2, 1)
    before = len(ann.writes())
    with pytest.raises(ss.StaleGenerationError) as err:
        st.set("app1", "node3", 2, 1)  # planned from generation 1, but vCenter is at 2 (owner node2)
    assert err.value.details["current"]["generation"] == 2
    assert err.value.details["current"]["owner"] == "node2"
    assert err.value.details["stale"] is True
    assert "not the expected 1" in err.value.message
    assert len(ann.writes()) == before
    assert st.read("app1")["owner"] == "node2"


def test_repeating_a_done_write_is_unchanged_not_stale():
    st, ann = store()
    st.set("app1", "node1", 1, 0)
    before = len(ann.writes())
    again = st.set("app1", "node1", 1, 0)
    assert again["changed"] is False and again["after"]["generation"] == 1
    assert len(ann.writes()) == before


def test_a_move_named_by_its_run_is_made_by_that_run_only():
    st, ann = store()
    st.set("app1", "node1", 1, 0)
    st.set("app1", "node2", 2, 1, run="a1b2")
    assert ann.vc.values[ann.vc.fields["vigil.ha.hierarchy.app1"]] == \
        "owner=node2;generation=2;since=2026-01-02T03:04:05Z;run=a1b2"
    assert st.read("app1")["run"] == "a1b2"
    before = len(ann.writes())
    assert st.set("app1", "node2", 2, 1, run="a1b2")["changed"] is False   # the same run retries: unchanged
    with pytest.raises(ss.StaleGenerationError) as err:   # another controller planned the same move: stale
        st.set("app1", "node2", 2, 1, run="c3d4")
    assert "another run (a1b2) already moved it to node2 at generation 2" in err.value.message
    with pytest.raises(ss.StateInputError) as bad:
        st.set("app1", "node3", 3, 2, run="no;way")
    assert bad.value.message.startswith("run_id: ")
    assert len(ann.writes()) == before
    assert st.read("app1")["owner"] == "node2"


def test_check_mode_writes_nothing_and_still_refuses_stale():
    st, ann = store()
    planned = st.set("app1", "node1", 1, 0, check_mode=True)
    assert planned["changed"] and planned["after"]["owner"] == "node1"
    assert ann.writes() == []
    with pytest.raises(ss.StaleGenerationError):
        st.set("app1", "node1", 2, 1, check_mode=True)


@pytest.mark.parametrize("args, field", [
    (("bad name", "node1", 1, 0), "hierarchy"),
    (("", "node1", 1, 0), "hierarchy"),
    (("app1", "node;1", 1, 0), "owner"),
    (("app1", "owner=x", 1, 0), "owner"),
    (("app1", "node1", 0, 0), "generation"),
    (("app1", "node1", 3, 3), "generation"),
    (("app1", "node1", 2, -1), "expected_generation"),
    (("app1", "node1", True, 0), "generation"),
])
def test_bad_input_names_the_field_and_touches_nothing(args, field):
    st, ann = store()
    with pytest.raises(ss.StateInputError) as err:
        st.set(*args)
    assert err.value.details["field"] == field and field in err.value.message
    assert ann.vc.calls == []


def test_empty_owner_means_in_service_nowhere():
    st, dummy = store()
    st.set("app1", "node1", 1, 0)
    done = st.set("app1", "", 2, 1, reason="stopped by operator")
    assert done["after"]["owner"] is None
    assert "owner node1 -> none" in done["event"]
    assert st.read("app1")["owner"] is None


def test_race_from_the_same_generation_has_one_winner():
    vc = FakeVcenter()
    a, ann_a = store(vc)
    b, dummy = store(vc)
    a.set("app1", "node1", 1, 0)
    # b claims right after a has read generation 1: a's claim then finds b's.
    ann_a.hooks["add_field"] = lambda: b.set("app1", "node3", 2, 1, reason="b")
    with pytest.raises(ss.StaleGenerationError) as err:
        a.set("app1", "node2", 2, 1, reason="a")
    assert "another run moved it first" in err.value.message
    state = a.read("app1")
    assert (state["owner"], state["generation"]) == ("node3", 2)
    assert [e["message"].split(";")[-1] for e in vc.events][-1] == " reason: b"
    assert not [n for n in vc.fields if n.startswith("vigil.ha.transition.")]


def test_loser_sees_a_claim_of_the_same_generation_in_progress():
    vc = FakeVcenter()
    a, ann_a = store(vc)
    b, ann_b = store(vc)
    a.set("app1", "node1", 1, 0)
    # b is between its claim and its value when a tries.
    ann_b.hooks["set_field"] = lambda: pytest.raises(ss.TransitionPendingError, a.set, "app1", "node2", 2, 1)
    b.set("app1", "node3", 2, 1)
    assert a.read("app1")["owner"] == "node3"


def test_claim_taken_between_read_and_claim_is_refused():
    vc = FakeVcenter()
    a, ann_a = store(vc)
    dummy, ann_b = store(vc)
    a.set("app1", "node1", 1, 0)
    ann_a.hooks["add_field"] = lambda: ann_b.add_field("vigil.ha.transition.app1.from.1")  # b's claim lands first
    before = len(ann_a.writes())
    with pytest.raises(ss.TransitionPendingError) as err:
        a.set("app1", "node2", 2, 1)
    assert "another run is moving it from generation 1" in err.value.message
    assert [w[0] for w in ann_a.writes()[before:]] == ["add_field", "add_field"]  # b's claim, a's refused one
    assert a.read("app1")["owner"] == "node1"


def test_a_run_that_read_long_ago_cannot_reuse_a_cleaned_up_claim():
    vc = FakeVcenter()
    slow, ann_slow = store(vc)
    fast, dummy = store(vc)
    slow.set("app1", "node1", 1, 0)

    def meanwhile():  # after slow read generation 1: two whole transitions happen
        fast.set("app1", "node2", 2, 1)
        fast.set("app1", "node3", 3, 2)
    ann_slow.hooks["add_field"] = meanwhile  # slow's claim of "from.1" succeeds (that claim was removed)
    with pytest.raises(ss.StaleGenerationError) as err:
        slow.set("app1", "node1", 2, 1)
    assert err.value.details["current"]["generation"] == 3
    state = slow.read("app1")
    assert (state["owner"], state["generation"], state["pending"]) == ("node3", 3, None)
    assert not [n for n in vc.fields if n.startswith("vigil.ha.transition.")]


def test_interrupted_after_the_claim_value_rolls_forward():
    st, ann = store()
    st.set("app1", "node1", 1, 0)
    calls = {"n": 0}

    def die_on_second_set_field():
        calls["n"] += 1
        if calls["n"] == 1:  # the claim's value is written, then vCenter goes away
            ann.hooks["set_field"] = lambda: setattr(ann.vc, "down", True)
    ann.hooks["set_field"] = die_on_second_set_field
    with pytest.raises(VsphereConnectionError):
        st.set("app1", "node2", 2, 1)
    ann.vc.down = False
    state = st.read("app1")
    assert (state["owner"], state["generation"], state["source"]) == ("node2", 2, "transition")
    # the retry of the same step is then a no-op, the next step works and cleans up
    assert st.set("app1", "node2", 2, 1)["changed"] is False
    st.set("app1", "node3", 3, 2)
    assert not [n for n in ann.vc.fields if n.startswith("vigil.ha.transition.")]
    assert st.read("app1")["source"] == "attribute"


def test_interrupted_before_the_claim_value_is_pending_and_blocks_writes():
    st, ann = store()
    st.set("app1", "node1", 1, 0)
    ann.hooks["set_field"] = lambda: setattr(ann.vc, "down", True)
    ann.hooks["remove_field"] = lambda: None  # vCenter is down: the clean-up fails too
    with pytest.raises(VsphereConnectionError):
        st.set("app1", "node2", 2, 1)
    ann.vc.down = False
    state = st.read("app1")
    assert state["generation"] == 1 and state["pending"]["field"] == "vigil.ha.transition.app1.from.1"
    with pytest.raises(ss.TransitionPendingError) as err:
        st.set("app1", "node2", 2, 1)
    assert "repair it: vigil.ha.repair_state -e hierarchy=app1" in err.value.message
    # the repair (or an administrator) removes it: writes work again
    ann.remove_field(state["pending"]["key"])
    assert st.set("app1", "node2", 2, 1)["changed"]


def test_failure_before_the_claim_value_removes_the_claim():
    st, ann = store()
    st.set("app1", "node1", 1, 0)

    def fail_once():
        raise VsphereConnectionError("set_field: lost vCenter")
    ann.hooks["set_field"] = fail_once
    with pytest.raises(VsphereConnectionError):
        st.set("app1", "node2", 2, 1)
    assert st.read("app1")["pending"] is None
    assert st.set("app1", "node2", 2, 1)["changed"]


def test_event_failure_is_a_warning_after_the_write():
    st, ann = store()

    def fail():
        raise VsphereConnectionError("post event: lost vCenter")
    ann.hooks["post_event"] = fail
    done = st.set("app1", "node1", 1, 0)
    assert done["changed"] and done["event"] is None
    assert "event not posted" in done["warnings"][0]
    assert st.read("app1")["generation"] == 1


def test_hand_edited_value_is_reported_not_guessed():
    st, ann = store()
    ann.vc.fields["vigil.ha.hierarchy.app1"] = 7
    ann.vc.values[7] = "node2 since yesterday"
    with pytest.raises(ss.StateCorruptError) as err:
        st.read("app1")
    assert "vigil.ha.hierarchy.app1" in err.value.message


def test_hierarchies_do_not_see_each_others_claims():
    fields = {"vigil.ha.transition.app1.from.3": 1, "vigil.ha.transition.app1.from.3.from.4": 2,
              "vigil.ha.transition.app1.x.from.5": 3}
    assert ss.claims(fields, "app1") == {3: 1}
    assert ss.claims(fields, "app1.from.3") == {4: 2}


def test_parse_and_format_round_trip():
    text = ss.format_value("node2", 5, "2026-01-02T03:04:05Z")
    assert text == "owner=node2;generation=5;since=2026-01-02T03:04:05Z"
    assert ss.parse_value(text, "f") == {"owner": "node2", "generation": 5, "since": "2026-01-02T03:04:05Z", "run": None}
    assert ss.parse_value(ss.format_value("node2", 5, "T", "r1"), "f")["run"] == "r1"
    assert ss.parse_value("generation=3;owner=", "f")["owner"] is None


def test_events_of_one_hierarchy_newest_first():
    st, dummy = store()
    st.set("app1", "node1", 1, 0)
    st.set("app10", "node1", 1, 0)
    st.set("app1", "node2", 2, 1)
    events = st.events("app1", 10)
    assert [e["message"].split(",")[0] for e in events] == [
        "vigil.ha hierarchy app1: owner node1 -> node2", "vigil.ha hierarchy app1: owner none -> node1"]


def test_long_reasons_are_cut_and_flattened():
    message = ss.event_message("a", {"owner": None, "generation": 0}, {"owner": "n", "generation": 1},
                               "line1\nline2 " + "x" * 1000)
    assert "\n" not in message and message.endswith("...") and len(message) < 520


def test_a_step_acts_only_while_vcenter_holds_its_generation():
    st, ann = store()
    st.set("app1", "node1", 1, 0)
    assert st.require("app1", 1)["owner"] == "node1"
    st.set("app1", "node2", 2, 1)
    with pytest.raises(ss.StaleGenerationError) as err:   # a step of the plan from generation 1, run late
        st.require("app1", 1)
    assert "belongs to generation 1, but vCenter holds generation 2 (owner node2)" in err.value.message
    assert [c[0] for c in ann.vc.calls[-1:]] == ["read"]   # it only reads
