# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a playbook observed, turned into the planner's inputs."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.model.observations import host_probes, observations

HIERARCHY = {"name": "web", "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2},
                                      {"node": "node3", "priority": 3}]}
NODES = {"node1": {"vm": {"uuid": "U1"}}, "node2": {"vm": {"uuid": "u2"}}, "node3": {"vm": {"moref": "vm-3"}}}


def vm(uuid, moref, power="poweredOn", verdict="ok"):
    return {"uuid": uuid, "moref": moref, "host": "esx", "verdict": verdict, "raw": {"power_state": power}}


def test_states_unreachable_and_powered_off_nodes():
    checks = {"results": [
        {"item": "node1", "resources": [{"name": "vip", "state": "in_service"}]},
        {"item": "node2", "unreachable": True},
        {"item": "node3", "failed": True, "msg": "module failure"},
    ]}
    health = {"vms": [vm("u1", "vm-1"), vm("U2", "vm-2", power="poweredOff"), vm("u3", "vm-3", verdict="unknown")]}
    out = observations(HIERARCHY, NODES, checks, health)
    assert out["states"] == {"node1": {"vip": "in_service"}}
    assert out["node_health"] == {"node2": "powered_off", "node3": "unknown"}
    assert out["vcenter_reachable"] is True
    assert out["vms"]["node3"]["moref"] == "vm-3"


def test_vcenter_unreachable_means_no_fencing():
    out = observations(HIERARCHY, NODES, {"results": []}, {"failed": True, "msg": "cannot reach vCenter"})
    assert out["vcenter_reachable"] is False and out["vms"] == {}


def test_problems_say_what_is_wrong_where():
    checks = {"results": [
        {"item": "node1", "resources": [{"name": "vip", "state": "in_service", "reasons": ["up"]}]},
        {"item": "node2", "resources": [{"name": "vip", "state": "failed",
                                         "reasons": ["cannot start here: arping is not installed (not on PATH)"]}]},
        {"item": "node3", "unreachable": True},
    ]}
    out = observations(HIERARCHY, NODES, checks, {"vms": []})
    assert out["problems"] == ["node2 vip failed: cannot start here: arping is not installed (not on PATH)",
                               "node3: unreachable"]


ERP = {"name": "erp", "nodes": [{"node": "esx1", "priority": 1}, {"node": "esx2", "priority": 2}],
       "resources": [{"name": "db", "kind": "vm", "params": {"uuid": "U-DB"}},
                     {"name": "app", "kind": "vm", "params": {"moref": "vm-7"}, "depends_on": ["db"]}]}
HOSTS = {"esx1": {"mode": "host", "esxi": "esx1"}, "esx2": {"mode": "host", "esxi": "esx2"}}


def host(name, connection="connected", power="poweredOn", maintenance=False, reasons=()):
    return {"name": name, "reasons": list(reasons),
            "raw": {"connection_state": connection, "power_state": power, "in_maintenance_mode": maintenance}}


def test_host_mode_states_come_from_where_vcenter_runs_the_vms():
    app = dict(vm("u-app", "vm-7", verdict="failed"), host="esx1", reasons=["heartbeat red"])
    health = {"vms": [dict(vm("u-db", "vm-6"), host="esx1"), app],
              "hosts": [host("esx1"), host("esx2", maintenance=True, reasons=["host in maintenance mode"])]}
    out = observations(ERP, HOSTS, {"results": []}, health)
    assert out["states"] == {"esx1": {"db": "in_service", "app": "failed"},
                             "esx2": {"db": "out_of_service", "app": "out_of_service"}}
    assert out["node_health"] == {"esx1": "ok", "esx2": "maintenance"}
    assert out["vms"]["app"]["host"] == "esx1"
    assert "esx1 app failed: heartbeat red" in out["problems"]


def test_host_mode_a_powered_off_host_serves_nothing_a_silent_one_may():
    health = {"vms": [dict(vm("u-db", "vm-6", power="poweredOff"), host="esx1"), dict(vm("x", "vm-7"), host="esx2")],
              "hosts": [host("esx1", "notResponding", "poweredOff"), host("esx2", "notResponding")]}
    out = observations(ERP, HOSTS, {"results": []}, health)
    assert out["node_health"] == {"esx1": "powered_off", "esx2": "unknown"}
    assert out["states"]["esx2"] == {"db": "out_of_service", "app": "in_service"}


def test_host_mode_without_vcenter_sees_nothing():
    out = observations(ERP, HOSTS, {"results": []}, {"failed": True, "msg": "cannot reach vCenter"})
    assert out["vcenter_reachable"] is False and out["states"] == {}


def test_host_mode_a_running_vm_whose_endpoint_does_not_answer_is_failed_where_it_runs():
    health = {"vms": [dict(vm("u-db", "vm-6"), host="esx1"), dict(vm("u-app", "vm-7"), host="esx1")],
              "hosts": [host("esx1"), host("esx2")]}
    # app_health_info on the controller, on the vm resources' check.tcp (one result, no loop).
    endpoints = {"resources": [{"name": "app", "kind": "vm", "state": "failed",
                                "reasons": ["127.0.0.1:8443: Connection refused"]},
                               {"name": "db", "kind": "vm", "state": "in_service", "reasons": ["answers"]}]}
    out = observations(ERP, HOSTS, endpoints, health)
    assert out["states"] == {"esx1": {"db": "in_service", "app": "failed"},
                             "esx2": {"db": "out_of_service", "app": "out_of_service"}}
    assert "esx1 app failed: 127.0.0.1:8443: Connection refused" in out["problems"]
    # Skipped (no endpoint) or failed to run: no observation, vCenter alone decides.
    assert observations(ERP, HOSTS, {"skipped": True}, health)["states"]["esx1"]["app"] == "in_service"


def test_host_mode_a_connected_host_whose_management_address_is_silent_is_unreachable():
    # vCenter has not noticed the crash yet (about a minute on a real one); the host's own hostd says it.
    health = {"vms": [dict(vm("u-db", "vm-6"), host="esx1"), dict(vm("u-app", "vm-7"), host="esx1")],
              "hosts": [host("esx1"), host("esx2")]}
    probes = {"resources": [{"name": "esx1", "state": "failed", "reasons": ["10.0.0.21:443: Connection refused"]},
                            {"name": "esx2", "state": "in_service", "reasons": ["10.0.0.22:443 accepts connections"]}]}
    out = observations(ERP, HOSTS, {"skipped": True}, health, probes)
    assert out["node_health"] == {"esx1": "unreachable", "esx2": "ok"}
    assert out["unanswered"] == {"esx1": "management address does not answer: 10.0.0.21:443: Connection refused"}
    assert out["problems"][0].startswith("esx1: vCenter shows it connected, but the management address")
    # Without probes (or when they could not run) vCenter alone decides, as before.
    assert observations(ERP, HOSTS, {"skipped": True}, health)["node_health"] == {"esx1": "ok", "esx2": "ok"}
    assert observations(ERP, HOSTS, {"skipped": True}, health, {"failed": True})["unanswered"] == {}


def test_host_mode_probes_are_the_nodes_with_a_management_address():
    check = {"interval": 5, "timeout": 2, "address": "10.0.0.21", "port": 443}
    nodes = dict(HOSTS, esx1=dict(HOSTS["esx1"], check=check))
    assert host_probes(ERP, nodes) == [{"name": "esx1", "kind": "tcp",
                                        "params": {"host": "10.0.0.21", "port": 443, "timeout": 2}}]
    assert host_probes(ERP, HOSTS) == []


def test_a_replicated_resource_reports_its_position_and_lagging_replicas():
    db = dict(HIERARCHY, name="db", policy={"max_lag": 1000})
    checks = {"results": [
        {"item": "node1", "resources": [{"name": "db", "state": "primary", "position": 9800, "lag": 0}]},
        {"item": "node2", "resources": [{"name": "db", "state": "replica", "position": 9700, "lag": 100}]},
        {"item": "node3", "resources": [{"name": "db", "state": "replica", "position": 5000, "lag": 4800}]},
    ]}
    out = observations(db, NODES, checks, {"vms": []})
    assert out["states"] == {"node1": {"db": "primary"}, "node2": {"db": "replica"}, "node3": {"db": "replica_lagging"}}
    assert out["replication"] == {"node1": {"db": {"position": 9800, "lag": 0}},
                                  "node2": {"db": {"position": 9700, "lag": 100}},
                                  "node3": {"db": {"position": 5000, "lag": 4800}}}
    # unlimited: nobody lags; no position (a kit that cannot tell): the state as the kit said
    db["policy"] = {"max_lag": "unlimited"}
    checks["results"][1]["resources"] = [{"name": "db", "state": "replica"}]
    out = observations(db, NODES, checks, {"vms": []})
    assert out["states"]["node3"] == {"db": "replica"}
    assert "node2" not in out["replication"]
