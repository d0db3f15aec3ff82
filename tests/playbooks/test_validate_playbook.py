# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`ansible-playbook vigil.ha.validate` as a user runs it, on the shipped example and broken copies."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "docs", "examples", "cluster")


def validate(inventory):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "vigil.ha.validate",
                           "-i", os.path.join(inventory, "hosts.yml")],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_documented_example_is_valid():
    rc, out = validate(EXAMPLE)
    assert rc == 0, out
    assert "cluster vigil_ha_cluster is valid: 6 nodes (3 guest, 3 ESXi host), 2 hierarchies" in out
    assert "web: starts web-vip, web-app on node1 > node2 > node3" in out


def broken(tmp_path, change):
    copy = tmp_path / "cluster"
    shutil.copytree(EXAMPLE, copy)
    path = copy / "group_vars" / "vigil_ha_cluster.yml"
    data = yaml.safe_load(path.read_text())
    change(data["vigil_ha_hierarchies"])
    path.write_text(yaml.safe_dump(data))
    return str(copy)


def set_kind(hierarchies):
    hierarchies[0]["resources"][0]["kind"] = "vip"


def same_priority(hierarchies):
    hierarchies[0]["nodes"][1]["priority"] = 10


def cycle(hierarchies):
    hierarchies[0]["resources"][0]["depends_on"] = ["web-app"]


def stranger(hierarchies):
    hierarchies[0]["nodes"].append({"node": "node9", "priority": 40})


def same_vip(hierarchies):
    hierarchies.append({"name": "web2", "nodes": [{"node": "node2", "priority": 1}],
                        "policy": {"failover": {"max": 0, "window": 3600}},
                        "resources": [{"name": "vip2", "kind": "ip",
                                       "params": {"address": "10.99.0.100/24", "interface": "eth0"}}]})


@pytest.mark.parametrize("change, message", [
    (set_kind, "hierarchy 'web', resource 'web-vip', kind: unknown kind 'vip'"),
    (same_priority, "hierarchy 'web', node 'node2', priority: 10 is also the priority of node 'node1'"),
    (cycle, "hierarchy 'web', resource 'web-vip', depends_on: dependency cycle web-vip -> web-app -> web-vip"),
    (stranger, "hierarchy 'web', node 'node9': not a host of the cluster group"),
    (same_vip, "hierarchy 'web2', resource 'vip2', params.address: 10.99.0.100 is also claimed by hierarchy 'web', resource 'web-vip'"),
])
def test_a_broken_copy_is_refused_with_its_message(tmp_path, change, message):
    rc, out = validate(broken(tmp_path, change))
    assert rc != 0
    # The YAML callback doubles single quotes and folds long lines.
    assert message in " ".join(out.replace("''", "'").split()), out
