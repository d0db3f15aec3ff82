# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run killed while recording a move leaves `web` wedged (a claim without
a value in vCenter): every move is refused until an operator runs
vigil.ha.repair_state, which shows what it finds, wants -e confirm=web, and
refuses when the nodes contradict the state (web in service on two nodes)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml
from cluster_runs import LAB, REPO, ledger_lines, playbook, until, vip_answer, where

from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateStore, claim_field
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations

pytestmark = pytest.mark.usefixtures("bare_nodes_after")
FAST = ("-e", "claim_min_age=1")  # the lab's runs are not hung between two calls


@pytest.fixture
def wedged(web, client):
    """`web` on node1 with the claim a run killed between claiming and recording leaves; removed afterwards."""
    ann = RootAnnotations(client)
    key = ann.add_field(claim_field("web", web))
    yield web
    ann.remove_field(key)


def web_app_on(node, action):
    """Run web-app's kit by hand on ``node``, as an operator would start a copy."""
    with open(os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
        web = yaml.safe_load(f)["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]
    app = next(r for r in web["resources"] if r["name"] == "web-app")
    args = json.dumps({"name": "web-app", "kind": "service", "params": app["params"], "action": action})
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible"), node, "-i", os.path.join(LAB, "cluster.yml"),
                           "-m", "vigil.ha.resource", "-a", args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg")), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_wedged_hierarchy_is_repaired_and_moves_again(wedged, client):
    rc, out = playbook("switchover", "-e", "target=node2")
    assert rc != 0 and "refused (stale)" in out and "repair it: vigil.ha.repair_state -e hierarchy=web" in out, out
    assert "TASK [Plan the way out]" not in out, out  # refused before acting: nothing to roll back
    assert vip_answer() == "node1"

    rc, out = playbook("repair_state", "--check", *FAST)
    claim = "vigil.ha.transition.web.from.%d" % wedged
    assert rc == 0 and "would remove %s" % claim in out and "in service on node1" in out, out
    assert "NO VALUE" in out and "owner node1, generation %d" % wedged in out, out
    rc, out = playbook("repair_state", *FAST)
    assert rc != 0 and "refused (needs_confirmation)" in out and "confirm=web" in out, out
    assert StateStore(RootAnnotations(client)).read("web")["pending"], "changed without confirmation"

    rc, out = playbook("repair_state", "-e", "confirm=web", *FAST)
    assert rc == 0 and "web: owner node1, generation %d; repaired" % wedged in out, out
    assert [e["decision"] for e in ledger_lines() if e["action"] == "repair"][-1] == "done"
    event = StateStore(RootAnnotations(client)).events("web", 1)[0]["message"]
    assert event.startswith("vigil.ha hierarchy web: repaired: remove %s" % claim), event

    rc, out = playbook("switchover", "-e", "target=node2")
    assert rc == 0 and where(out) == ("node2", wedged + 1), out
    assert until(lambda: vip_answer() == "node2")


def test_a_repair_is_refused_while_web_is_in_service_on_two_nodes(wedged, client):
    web_app_on("node2", "start")
    try:
        rc, out = playbook("repair_state", "-e", "confirm=web", *FAST)
    finally:
        web_app_on("node2", "stop")
    assert rc != 0 and "refused (in_service_twice)" in out and "in service on node1 and node2" in out, out
    assert StateStore(RootAnnotations(client)).read("web")["pending"], "repaired although web ran twice"
    assert [e["decision"] for e in ledger_lines() if e["action"] == "repair"][-1] == "refused: in_service_twice"
