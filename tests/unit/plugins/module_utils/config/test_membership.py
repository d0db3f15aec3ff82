# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extending hierarchies to a node and taking it out, and finding them in a file."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.config.membership import (
    MembershipError, header, held_by, locate, with_node, without_node)


def hierarchies():
    return [
        {"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}], "resources": []},
        {"name": "db", "nodes": [{"node": "node2", "priority": 1}], "resources": []},
    ]


def test_held_by_gives_the_node_priority():
    assert [(h["name"], h["priority"]) for h in held_by(hierarchies(), "node2")] == [("web", 2), ("db", 1)]
    assert held_by(hierarchies(), "node3") == []
    assert held_by(None, "node1") == []


def test_with_node_adds_or_changes_priority_and_leaves_the_input_alone():
    before = hierarchies()
    after = with_node(before, "node3", [{"name": "web", "priority": 3}])
    assert after[0]["nodes"][-1] == {"node": "node3", "priority": 3}
    assert before == hierarchies()
    again = with_node(after, "node3", [{"name": "web", "priority": 3}])
    assert again == after
    moved = with_node(after, "node3", [{"name": "web", "priority": 5}])
    assert moved[0]["nodes"][-1] == {"node": "node3", "priority": 5} and len(moved[0]["nodes"]) == 3


@pytest.mark.parametrize("wanted, message", [
    ([], "hierarchies: name at least one hierarchy to extend to node3"),
    ([{"name": "nope", "priority": 3}], "hierarchies[0].name: no hierarchy named 'nope' (known: db, web)"),
    ([{"name": "web", "priority": "3"}], "hierarchies[0].priority: an integer, not '3'"),
    ([{"name": "web", "priority": True}], "hierarchies[0].priority: an integer, not True"),
    ([{"name": "web", "priority": 3, "weight": 1}], "hierarchies[0]: give name and priority only"),
])
def test_with_node_refuses_bad_requests_naming_the_field(wanted, message):
    with pytest.raises(MembershipError) as exc:
        with_node(hierarchies(), "node3", wanted)
    assert str(exc.value).startswith(message)


def test_without_node_from_all_or_some():
    assert [n["node"] for h in without_node(hierarchies(), "node2") for n in h["nodes"]] == ["node1"]
    some = without_node(hierarchies(), "node2", ["db"])
    assert some[0]["nodes"] == hierarchies()[0]["nodes"] and some[1]["nodes"] == []
    with pytest.raises(MembershipError, match=r"hierarchies\[0\]: no hierarchy named 'x'"):
        without_node(hierarchies(), "node2", ["x"])


def test_locate_a_vars_file_or_an_inventory_group():
    vars_file = {"vigil_ha_hierarchies": []}
    assert locate(vars_file, "vigil_ha_cluster") is vars_file
    inventory = {"vigil_ha_cluster": {"hosts": {}, "vars": {"vigil_ha_hierarchies": []}}}
    assert locate(inventory, "vigil_ha_cluster") is inventory["vigil_ha_cluster"]["vars"]
    for doc in (None, {}, {"vigil_ha_cluster": {"hosts": {}}}, {"other": {"vars": {"vigil_ha_hierarchies": []}}}):
        with pytest.raises(MembershipError, match="path: holds no vigil_ha_hierarchies"):
            locate(doc, "vigil_ha_cluster")


def test_header_keeps_leading_comments_only():
    assert header("# one\n# two\nkey: 1\n# later\n") == "# one\n# two\n"
    assert header("key: 1\n") == ""
