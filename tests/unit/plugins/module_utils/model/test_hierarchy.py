# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster model: order of resources and nodes, lookups."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.model.hierarchy import Cluster, find_cycles, start_order
from ansible_collections.vigil.ha.plugins.module_utils.config.validation import load, validate

from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import example_config

NODES = {
    "a": {"mode": "guest", "vm": {"moref": "vm-1"}},
    "b": {"mode": "guest", "vm": {"moref": "vm-2"}},
    "c": {"mode": "guest", "physical": True},
}


def resource(name, kind="script", deps=()):
    params = {"restore": "/bin/true", "remove": "/bin/true", "quick_check": "/bin/true"}
    return {"name": name, "kind": kind, "params": params, "depends_on": list(deps)}


# app needs fs and vip; fs needs disk; web needs app; mon needs nothing.
STACK = [
    resource("web", deps=["app"]),
    resource("app", deps=["fs", "vip"]),
    resource("vip"),
    resource("fs", deps=["disk"]),
    resource("disk"),
    resource("mon"),
]


def cluster():
    return load(NODES, [
        {"name": "stack", "nodes": [{"node": "b", "priority": 5}, {"node": "c", "priority": 9}, {"node": "a", "priority": 1}],
         "policy": {"confirm_failover": True}, "resources": STACK},
        {"name": "small", "nodes": [{"node": "b", "priority": 1}], "resources": [resource("only")]},
    ], name="lab")


def names(resources):
    return [r.name for r in resources]


def test_start_order_puts_dependencies_first_and_keeps_configured_order_otherwise():
    h = cluster().hierarchy("stack")
    assert names(h.start_order()) == ["vip", "disk", "fs", "app", "web", "mon"]
    order = names(h.start_order())
    for r in h.resources:
        for dep in r.depends_on:
            assert order.index(dep) < order.index(r.name)


def test_stop_order_is_the_reverse():
    h = cluster().hierarchy("stack")
    assert names(h.stop_order()) == ["mon", "web", "app", "fs", "disk", "vip"]


def test_dependencies_and_dependents_are_transitive_in_start_order():
    h = cluster().hierarchy("stack")
    assert h.dependencies("web") == ["vip", "disk", "fs", "app"]
    assert h.dependencies("disk") == []
    assert h.dependents("disk") == ["fs", "app", "web"]
    assert h.dependents("mon") == []


def test_nodes_by_priority():
    c = cluster()
    h = c.hierarchy("stack")
    assert h.node_names == ["a", "b", "c"]
    assert h.priorities == {"a": 1, "b": 5, "c": 9}
    assert h.mode == "guest"
    assert [n.fenceable for n in h.nodes] == [True, True, False]


def test_lookups():
    c = cluster()
    assert c.name == "lab"
    assert list(c.hierarchies) == ["stack", "small"]
    assert [h.name for h in c.hierarchies_of("b")] == ["stack", "small"]
    assert [h.name for h in c.hierarchies_of("a")] == ["stack"]
    assert c.node("c").physical and c.node("c").vm is None and c.node("c").fencing == "none"
    assert c.node("a").vm == {"uuid": None, "moref": "vm-1"}
    app = c.hierarchy("stack").resource("app")
    assert (app.kind, app.depends_on, app.where) == ("script", ("fs", "vip"), "node")
    assert app.params["timeout"] == 60
    assert app.check == {"interval": 10, "timeout": 5, "confirm": 2}
    assert app.endpoint is None
    with pytest.raises(KeyError):
        c.hierarchy("nope")


def test_the_documented_example_as_a_model():
    c = load(*example_config())
    web = c.hierarchy("web")
    assert web.node_names == ["node1", "node2", "node3"]
    assert names(web.start_order()) == ["web-vip", "web-app"]
    assert web.resource("web-app").endpoint == (
        "http", {"url": "http://10.99.0.100:8080/", "expect_status": 200, "expect_body": None, "timeout": 2.0})
    erp = c.hierarchy("erp")
    assert erp.mode == "host"
    assert [n.esxi for n in erp.nodes] == ["esxi-01.lab", "esxi-02.lab", "esxi-03.lab"]
    assert names(erp.stop_order()) == ["erp-app", "erp-db"]
    assert erp.resource("erp-db").where == "controller"
    assert erp.policy["switchback"] == "automatic"


def test_from_config_is_the_same_as_load():
    config = validate(*example_config())
    c = Cluster.from_config(config, "x")
    assert sorted(c.nodes) == sorted(config["nodes"])
    assert c.hierarchy("erp").resource("erp-app").to_dict() == config["hierarchies"][1]["resources"][1]


def test_find_cycles_names_each_cycle_from_its_first_member():
    deps = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["d"], "e": ["a", "x"]}
    assert find_cycles(deps) == [["a", "b", "c", "a"], ["d", "d"]]
    assert find_cycles({"x": ["y"], "y": []}) == []
    assert find_cycles({"b": ["a"], "a": ["b"]}) == [["b", "a", "b"]]


def test_start_order_refuses_a_cycle():
    assert start_order({"b": ["a"], "a": []}) == ["a", "b"]
    with pytest.raises(ValueError, match="dependency cycle among a, b"):
        start_order({"a": ["b"], "b": ["a"], "c": []})
