# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover budget is the cluster's, not a controller's: two controllers
with ledgers and locks of their own (two watchers on two machines) share
policy.failover.max, because each decision to fail over is also an event in
vCenter's log, which every controller counts."""
from __future__ import annotations

import datetime
import json
import os
import subprocess

import pytest
import yaml
from cluster_runs import LAB, until, vip_answer, where

from lab.paths import REPO
from lab.runs import ansible_env, playbook_argv

from ansible_collections.vigil.ha.plugins.module_utils.state.budget_events import BudgetLog
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations

pytestmark = pytest.mark.usefixtures("bare_nodes_after")


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    """The lab's cluster with one automatic failover of web per hour."""
    with open(os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
        cluster = yaml.safe_load(f)
    cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]["policy"]["failover"]["max"] = 1
    path = tmp_path_factory.mktemp("budget") / "cluster.json"
    path.write_text(json.dumps(cluster))
    return str(path)


def as_controller(state, name, *extra, inventory):
    """A run by the controller whose lock and ledger are in ``state`` (another machine's)."""
    cmd = playbook_argv(name, inventory, os.path.join(LAB, "vcenter.json"), "web", *extra)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(str(state)), cwd=REPO, timeout=600,
                          check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).replace("''", "'").split())


def lines(state):
    path = state / "ledger.jsonl"
    return [json.loads(t) for t in path.read_text().splitlines()] if path.exists() else []


def test_a_failover_by_one_controller_spends_the_budget_of_the_other(web, control, client, inventory, tmp_path):
    a, b = tmp_path / "controller-a", tmp_path / "controller-b"
    control("vms/node1/crash")
    assert until(lambda: vip_answer() is None, 5)
    rc, out = as_controller(a, "failover", "-e", "expected_generation=%d" % web, inventory=inventory)
    assert rc == 0, out
    assert where(out) == ("node2", web + 1) and until(lambda: vip_answer() == "node2")
    acts = [line for line in lines(a) if line["decision"] == "act"]
    assert len(acts) == 1 and acts[0]["budget"]["recorded"] is True, acts
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    shared, complete = BudgetLog(RootAnnotations(client)).records("web", since)
    assert complete and [(r["action"], r["generation"]) for r in shared][:1] == [("failover", web + 1)], shared

    # node1 is back; now node2 fails, and controller B (its own ledger, empty) is asked to fail over.
    control("vms/node1/poweron")
    control("vms/node2/crash")
    rc, out = as_controller(b, "failover", "-e", "expected_generation=%d" % (web + 1), inventory=inventory)
    assert rc != 0 and "failover of web refused (failover_budget_exhausted)" in out, out
    assert vip_answer() is None  # nothing was started on node1
    assert [(line["action"], line["decision"]) for line in lines(b)] == [
        ("failover", "refused: failover_budget_exhausted")]
    # The operator's way past the spent budget is unchanged: confirm the failed node.
    rc, out = as_controller(b, "failover", "-e", "expected_generation=%d" % (web + 1), "-e", "confirm=node2",
                            inventory=inventory)
    assert rc == 0 and where(out) == ("node1", web + 2), out
    assert until(lambda: vip_answer() == "node1")
