# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hierarchy state against the lab's vCenter: controllers racing from one generation, one wins."""
from __future__ import annotations

import threading
import uuid

from ansible_collections.vigil.ha.plugins.module_utils.state.store import (
    CLAIM_PREFIX,
    StaleGenerationError,
    StateStore,
)
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import VsphereClient
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations

RACERS = 6


def connect(lab):
    return VsphereClient(lab["vcenter_hostname"], lab["vcenter_username"], lab["vcenter_password"],
                         port=lab["vcenter_port"], ca_path=lab["vcenter_ca_path"], timeout=20)


def remove_hierarchy(client, hierarchy):
    ann = RootAnnotations(client)
    for name, key in ann.read()["fields"].items():
        if name == "vigil.ha.hierarchy." + hierarchy or name.startswith(CLAIM_PREFIX + hierarchy + ".from."):
            ann.remove_field(key)


def test_controllers_racing_from_one_generation_have_one_winner(lab, client):
    hierarchy = "lab-race-%s" % uuid.uuid4().hex[:8]
    store = StateStore(RootAnnotations(client))
    try:
        store.set(hierarchy, "node1", 1, 0, reason="lab race set-up")
        clients = [connect(lab).connect() for dummy in range(RACERS)]
        barrier = threading.Barrier(RACERS)
        outcome = {}

        def race(i):
            mine = StateStore(RootAnnotations(clients[i]))
            barrier.wait()
            try:
                mine.set(hierarchy, "node%d" % (i + 2), 2, 1, reason="racer %d" % i)
                outcome[i] = "won"
            except StaleGenerationError as exc:
                outcome[i] = exc.kind
        threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for c in clients:
            c.close()

        winners = [i for i, result in outcome.items() if result == "won"]
        assert len(outcome) == RACERS and len(winners) == 1, outcome
        state = store.read(hierarchy)
        assert (state["owner"], state["generation"], state["pending"]) == ("node%d" % (winners[0] + 2), 2, None)
        fields = RootAnnotations(client).read()["fields"]
        assert not [n for n in fields if n.startswith(CLAIM_PREFIX + hierarchy + ".")]
        events = store.events(hierarchy, 10)
        assert [e["message"].split("; reason: ")[1] for e in events] == ["racer %d" % winners[0], "lab race set-up"]
    finally:
        remove_hierarchy(client, hierarchy)
