# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an operator sets in the inventory and types on the command line,
as the hand-run playbooks take it: maintenance flags (the hierarchy's asks
for -e force=true, a node's keeps it from being chosen) and the one way to
confirm a failover (-e confirm=<node>, as vigil.ha.fence)."""
from __future__ import annotations

import os

import yaml
from cluster_runs import LAB, ledger_lines, playbook, until, vip_answer, where


def inventory(tmp_path, name, hierarchy=None, nodes=None):
    """The lab's cluster with ``hierarchy`` merged into web's settings and
    ``nodes`` ({node: {key: value}}) into the nodes' vigil_ha_node."""
    with open(os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
        data = yaml.safe_load(f)
    group = data["vigil_ha_cluster"]
    group["vars"]["vigil_ha_hierarchies"][0].update(hierarchy or {})
    for node, extra in (nodes or {}).items():
        group["hosts"][node]["vigil_ha_node"].update(extra)
    path = tmp_path / ("%s.yml" % name)
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_maintenance_flags_in_hand_runs(web, tmp_path):
    in_maintenance = inventory(tmp_path, "web-resting", hierarchy={"maintenance": True})
    rc, out = playbook("switchover", "-e", "target=node2", inventory=in_maintenance)
    assert rc != 0
    assert "switchover of web refused (maintenance)" in out and "run again with -e force=true" in out, out
    assert vip_answer() == "node1"
    assert ledger_lines()[-1]["decision"] == "refused: maintenance"

    # node2's flag: never a target, even when asked for by name.
    node2_resting = inventory(tmp_path, "node2-resting", nodes={"node2": {"maintenance": True}})
    rc, out = playbook("switchover", inventory=node2_resting)
    assert rc != 0 and "refused (no_healthy_node)" in out and "node2 is in maintenance" in out, out
    rc, out = playbook("switchover", "-e", "target=node2", inventory=node2_resting)
    assert rc != 0 and "refused (target_unhealthy)" in out and "node2 is in maintenance" in out, out
    assert vip_answer() == "node1"

    rc, out = playbook("switchover", "-e", "target=node2", "-e", "force=true", inventory=in_maintenance)
    assert rc == 0, out
    assert where(out) == ("node2", web + 1)
    assert until(lambda: vip_answer() == "node2")


def test_a_failover_waiting_for_confirmation_takes_the_failed_nodes_name(web, control, tmp_path):
    policy = {"confirm_failover": True, "failover": {"max": 3, "window": 3600}}
    confirmed = inventory(tmp_path, "confirmed", hierarchy={"policy": policy})
    control("vms/node1/crash")
    assert until(lambda: vip_answer() is None)
    rc, out = playbook("failover", inventory=confirmed)
    assert rc != 0 and "refused (needs_confirmation)" in out and "-e confirm=node1" in out, out

    # The spelling of vigil.ha.fence: the node's name, not a boolean; nothing is done.
    rc, out = playbook("failover", "-e", "confirm=true", inventory=confirmed)
    assert rc != 0
    assert "confirm: give the name of the node the failover moves away from" in out and "not 'true'" in out, out
    rc, out = playbook("failover", "-e", "confirm=node2", inventory=confirmed)
    assert rc != 0 and "(-e confirm=node1), not 'node2'" in out, out
    assert vip_answer() is None

    rc, out = playbook("failover", "-e", "confirm=node1", inventory=confirmed)
    assert rc == 0, out
    assert where(out) == ("node2", web + 1)
    assert until(lambda: vip_answer() == "node2")
