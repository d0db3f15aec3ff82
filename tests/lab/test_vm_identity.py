# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMs named in the configuration: a guest node whose VM is named only by
its MoRef (`vm: {moref: vm-54}`) is observed like one named by UUID."""
from __future__ import annotations

import json
import os

import pytest
from cluster_runs import LAB, playbook, until, vip_answer, where

pytestmark = pytest.mark.usefixtures("bare_nodes_after")


@pytest.fixture
def moref_only(tmp_path):
    """The lab's cluster, with node2 named only by MoRef (node1 by UUID and MoRef)."""
    with open(os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
        text = f.read()
    cluster = json.loads(text[text.index("{"):])
    cluster["vigil_ha_cluster"]["hosts"]["node2"]["vigil_ha_node"]["vm"].pop("uuid")
    path = tmp_path / "cluster.yml"
    path.write_text(json.dumps(cluster))
    return str(path)


def test_a_node_named_by_moref_only_is_seen_powered_off_and_failed_over(web, control, moref_only, tmp_path):
    control("vms/node2/crash")
    status = tmp_path / "status.json"
    rc, out = playbook("status", "-e", "status_json=%s" % status, inventory=moref_only)
    assert rc == 0, out
    seen = json.loads(status.read_text())["hierarchies"][0]
    assert seen["node_health"]["node2"] == "powered_off", seen  # was "unreachable": never asked vCenter
    assert "nodes: node2 powered_off" in out
    # web on node2 (named by MoRef), whose VM then crashes: seen off, fenced, moved back to node1.
    control("vms/node2/poweron")
    rc, out = playbook("switchover", "-e", "target=node2", inventory=moref_only)
    assert rc == 0 and where(out) == ("node2", web + 1), out
    control("vms/node2/crash")
    rc, out = playbook("failover", "-e", "failed_node=node2", "-e", "expected_generation=%d" % (web + 1),
                       inventory=moref_only)
    assert rc == 0, out
    assert where(out) == ("node1", web + 2)
    assert "node2 is powered off, the fence confirms it" in out, out  # seen off in vCenter, not unreachable
    assert until(lambda: vip_answer() == "node1", 30)
