# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cluster_membership: the cluster file changed only when it must, and only outside check mode."""
from __future__ import annotations

import yaml

from ansible_collections.vigil.ha.plugins.modules import cluster_membership
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module as run_modules

TEXT = """# the cluster's hierarchies
vigil_ha_hierarchies:
  - name: web
    nodes:
      - {node: node1, priority: 1}
    resources: []
"""


def run_module(capsys, args):
    return run_modules(capsys, cluster_membership.main, args)


def test_extend_writes_the_file_once_and_keeps_a_backup(capsys, tmp_path):
    path = tmp_path / "vigil_ha_cluster.yml"
    path.write_text(TEXT)
    args = dict(path=str(path), node="node3", hierarchies=[{"name": "web", "priority": 3}])
    rc, out = run_module(capsys, dict(args, _ansible_check_mode=True, _ansible_diff=True))
    assert rc == 0 and out["changed"] is True
    assert out["hierarchies"][0]["nodes"][-1] == {"node": "node3", "priority": 3}
    assert "node3" in out["diff"]["after"] and "node3" not in out["diff"]["before"]
    assert path.read_text() == TEXT
    rc, out = run_module(capsys, args)
    assert rc == 0 and out["changed"] is True
    text = path.read_text()
    assert text.startswith("# the cluster's hierarchies\n")
    assert yaml.safe_load(text)["vigil_ha_hierarchies"][0]["nodes"] == [
        {"node": "node1", "priority": 1}, {"node": "node3", "priority": 3}]
    assert open(out["backup_file"]).read() == TEXT
    rc, out = run_module(capsys, args)
    assert rc == 0 and out["changed"] is False


def test_absent_takes_the_node_out(capsys, tmp_path):
    path = tmp_path / "cluster.yml"
    path.write_text(yaml.safe_dump({"vigil_ha_cluster": {"hosts": {"node1": None}, "vars": yaml.safe_load(TEXT)}}))
    rc, out = run_module(capsys, dict(path=str(path), node="node1", state="absent", backup=False))
    assert rc == 0 and out["changed"] is True and "backup_file" not in out
    assert yaml.safe_load(path.read_text())["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]["nodes"] == []


def test_bad_input_names_the_field_and_changes_nothing(capsys, tmp_path):
    path = tmp_path / "vigil_ha_cluster.yml"
    path.write_text(TEXT)
    rc, out = run_module(capsys, dict(path=str(path), node="node3", hierarchies=[{"name": "db", "priority": 3}]))
    assert rc == 1 and out["msg"] == "hierarchies[0].name: no hierarchy named 'db' (known: web)"
    rc, out = run_module(capsys, dict(path=str(tmp_path / "missing.yml"), node="node3",
                                      hierarchies=[{"name": "web", "priority": 3}]))
    assert rc == 1 and out["msg"].startswith("path: cannot read")
    assert path.read_text() == TEXT
