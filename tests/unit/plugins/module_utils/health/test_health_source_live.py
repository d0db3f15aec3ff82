# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine of vigil.ha.health with a fake vCenter (issue 16): an edited
inventory is used without a restart (a refused edit keeps the last good
one), repeats are marked, and a switchback is asked for once the preferred
node has settled."""
from __future__ import annotations

import asyncio
import copy
import logging

from test_cluster_view import HIERARCHIES, NODES, FakeLink, drive, first_batch, modify  # pylint: disable=import-error

from ansible_collections.vigil.ha.plugins.module_utils.health import source as health_source

from ansible_collections.vigil.ha.plugins.module_utils.config import validation


def engine(link, steps, config=None, reload=None, **options):
    """Run the source; ``steps``: (seconds to wait, callable) done in turn. Returns the events."""
    async def main():
        queue = asyncio.Queue()
        nodes, hierarchies = config or (copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES))
        source = health_source.HealthSource(
            validation.load(nodes, hierarchies), queue, link,
            dict({"state_interval": 0.2, "node_check_interval": 3600, "reconnect_max": 0.1,
                  "inventory_interval": 0.1}, **options),
            ansible="/nonexistent/ansible", inventory="/nonexistent", name="vc", reload=reload,
            prober=lambda kind, name, params: ("in_service", ["ok"]))
        return await drive(source, queue, steps)
    return asyncio.run(main())


def test_a_maintenance_flag_set_in_the_inventory_is_used_without_a_restart(monkeypatch, caplog):
    edited = {"hierarchies": copy.deepcopy(HIERARCHIES), "n": 0}
    edited["hierarchies"][0]["maintenance"] = True

    async def reload():
        if edited.get("broken"):
            raise ValueError("vigil.ha.health: the cluster of inv is refused: hierarchy 'web', maintenance: "
                             "must be true or false")
        return validation.load(copy.deepcopy(NODES), copy.deepcopy(edited["hierarchies"]))
    prints = iter(range(100))
    monkeypatch.setattr(health_source.inventory_watch, "fingerprint", lambda inventory: next(prints) // 3)
    crash = [modify("vm-1", **{"runtime.powerState": "poweredOff"})]
    back = [modify("vm-1", **{"runtime.powerState": "poweredOn"})]
    link = FakeLink([first_batch()], {"web": {"owner": "node1", "generation": 4}})

    def broken():
        edited["broken"] = True
    caplog.set_level(logging.INFO)
    evs = engine(link, [(1, lambda: link.batches.append(crash)), (0.5, lambda: link.batches.append(back)),
                        (0.5, broken), (1, lambda: link.batches.append(crash)), (0.5, None)], reload=reload)
    failed = [e for e in evs if e["type"] == "vm" and e["to"] == "failed"]
    assert len(failed) == 2
    assert [e["maintenance"] for e in failed] == [True, True]  # the bad edit kept the last good configuration
    assert failed[0]["maintenance_reasons"] == ["hierarchy web is in maintenance (inventory)"]
    assert "vigil.ha.health: inventory reloaded: hierarchy web in maintenance" in caplog.text
    assert ("the edited inventory is refused; the watcher keeps its last good configuration: vigil.ha.health: "
            "the cluster of inv is refused: hierarchy 'web', maintenance: must be true or false") in caplog.text


def test_a_repeat_is_marked_suppressed_not_dropped():
    crash = [modify("vm-1", **{"runtime.powerState": "poweredOff"})]
    back = [modify("vm-1", **{"runtime.powerState": "poweredOn"})]
    link = FakeLink([first_batch()], {"web": {"owner": "node1", "generation": 4}})
    evs = engine(link, [(0.5, lambda: link.batches.extend([crash, back, crash])), (1, None)])
    failed = [e for e in evs if e["type"] == "vm" and e["to"] == "failed"]
    assert [e["suppressed"] for e in failed] == [False, True]
    assert failed[1]["suppressed_reason"].startswith("repeat of event %d within 120s" % failed[0]["seq"])


def test_switchback_is_asked_for_once_the_preferred_node_has_settled():
    hierarchies = copy.deepcopy(HIERARCHIES)
    hierarchies[0]["policy"] = {"switchback": "automatic"}
    link = FakeLink([first_batch()], {"web": {"owner": "node2", "generation": 7}})
    off = [modify("vm-1", **{"runtime.powerState": "poweredOff"})]
    on = [modify("vm-1", **{"runtime.powerState": "poweredOn"})]
    # node1 is off at first, back on after 1 s; settle 1 s: one switchback event some 1 s later.
    evs = engine(link, [(0.1, lambda: link.batches.append(off)), (1, lambda: link.batches.append(on)),
                        (0.6, None), (1.5, None)],
                 config=(copy.deepcopy(NODES), hierarchies), switchback_settle=1)
    backs = [e for e in evs if e["type"] == "switchback"]
    assert len(backs) == 1, evs
    assert (backs[0]["hierarchy"], backs[0]["node"], backs[0]["from"], backs[0]["to"], backs[0]["generation"]) == (
        "web", "node1", "node2", "node1", 7)
    assert backs[0]["on_owner"] is False and backs[0]["suppressed"] is False
    # Switchback manual (the default): never.
    link = FakeLink([first_batch()], {"web": {"owner": "node2", "generation": 7}})
    assert [e for e in engine(link, [(1.5, None)], switchback_settle=0) if e["type"] == "switchback"] == []


def test_a_check_added_in_the_inventory_runs_without_a_restart(monkeypatch):
    hierarchies = copy.deepcopy(HIERARCHIES)
    hierarchies[0]["resources"].append({"name": "port2", "kind": "tcp", "params": {"host": "10.99.0.100", "port": 2},
                                        "check": {"interval": 2, "timeout": 1}})
    calls = []

    async def reload():
        return validation.load(copy.deepcopy(NODES), copy.deepcopy(hierarchies))
    prints = iter(range(1000))
    monkeypatch.setattr(health_source.inventory_watch, "fingerprint", lambda inventory: min(next(prints), 3))

    async def main():
        source = health_source.HealthSource(
            validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), asyncio.Queue(),
            FakeLink([first_batch()], {"web": {"owner": "node1", "generation": 4}}),
            {"state_interval": 0.2, "node_check_interval": 3600, "inventory_interval": 0.1},
            ansible="/nonexistent/ansible", inventory="/nonexistent", reload=reload,
            prober=lambda kind, name, params: calls.append(name) or ("in_service", ["ok"]))
        task = asyncio.create_task(source.run())
        await asyncio.sleep(1.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    asyncio.run(main())
    assert "port2" in calls  # started by the reload (the others wait for their interval)


def probed(nodes, prober, steps):
    """Run the source with ``prober``; ``steps`` as for ``engine``. Returns the events."""
    async def main():
        queue = asyncio.Queue()
        source = health_source.HealthSource(
            validation.load(nodes, copy.deepcopy(HIERARCHIES)), queue,
            FakeLink([first_batch()], {"web": {"owner": "node1", "generation": 4},
                                       "erp": {"owner": "esx1", "generation": 2}}),
            {"state_interval": 0.2, "node_check_interval": 3600, "inventory_interval": 0},
            ansible="/nonexistent/ansible", inventory="/nonexistent", prober=prober)
        return await drive(source, queue, steps)
    return asyncio.run(main())


def probed_nodes():
    nodes = copy.deepcopy(NODES)
    nodes["esx1"]["check"] = {"address": "10.0.0.21", "interval": 0.3, "timeout": 0.2}
    nodes["esx1"]["fencing"] = {"levels": [
        {"method": "vcenter_poweroff"},
        {"method": "fence_agent", "agent": "fence_ipmilan", "options": {"ip": "10.0.0.31", "username": "admin"},
         "password_env": "BMC_PASSWORD"}]}
    return nodes


def test_a_host_whose_management_address_stops_answering_fails_before_vcenter_notices():
    # esxi-01 crashed: vCenter still shows it connected, its hostd no longer answers the source's probe.
    dead = {"now": False, "probes": 0}

    def prober(kind, name, params):
        if name != "esx1":
            return "in_service", ["ok"]
        assert (kind, params["host"], params["port"]) == ("tcp", "10.0.0.21", 443)
        dead["probes"] += 1
        return ("failed", ["10.0.0.21:443: Connection refused"]) if dead["now"] else ("in_service", ["up"])

    def crash():
        dead["alive_probes"] = dead["probes"]
        dead["now"] = True
    evs = probed(probed_nodes(), prober, [(1, crash), (2, None)])
    assert dead["alive_probes"] >= 2  # probed on its interval while alive, and nothing said
    hosts = [e for e in evs if e["type"] == "host"]
    assert [(e["name"], e["to"], e["hierarchy"], e["node"], e["on_owner"]) for e in hosts] == [
        ("esxi-01", "failed", "erp", "esx1", True)], evs
    assert hosts[0]["reasons"] == ["management address does not answer: 10.0.0.21:443: Connection refused"]
    # vCenter cannot vouch for it any more: its BMC can (the rulebook then fails over).
    assert hosts[0]["fencing"]["possible"] is True and "fence_ipmilan" in hosts[0]["fencing"]["reason"]
    assert "vCenter cannot confirm anything on ESXi host esxi-01" in hosts[0]["fencing"]["reason"]


def test_a_silent_host_without_another_fencing_level_cannot_be_fenced():
    nodes = probed_nodes()
    nodes["esx1"]["fencing"] = {"method": "vcenter_poweroff"}
    evs = probed(nodes, lambda kind, name, params: ("failed", ["refused"]) if name == "esx1" else ("in_service", []),
                 [(1.5, None)])
    hosts = [e for e in evs if e["type"] == "host"]
    assert [(e["to"], e["fencing"]["possible"]) for e in hosts] == [("failed", False)], evs  # an operator is asked
    assert "its management address does not answer" in hosts[0]["fencing"]["reason"]


def test_a_single_lost_probe_is_no_crash():
    answers = {"esx1": [("in_service", ["up"]), ("failed", ["timed out"])]}

    def prober(kind, name, params):
        left = answers.get(name) or []
        return left.pop(0) if left else ("in_service", ["up"])
    evs = probed(probed_nodes(), prober, [(2, None)])
    assert [e for e in evs if e["type"] == "host"] == []
