# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ships in extensions/monitoring (docs/monitoring.md): the Prometheus
alert rules pass promtool (Debian's prometheus package, tools/setup.sh) and
fire as their cases say; the rules and the Grafana dashboard only name
metrics the watcher exports."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.health import ledger_tail, metrics

HERE = os.path.dirname(os.path.abspath(__file__))
MONITORING = os.path.join(HERE, "..", "..", "..", "extensions", "monitoring")
RULES = os.path.join(MONITORING, "prometheus", "vigil_ha_alerts.yml")
DASHBOARD = os.path.join(MONITORING, "grafana", "vigil_ha_dashboard.json")
PROMTOOL = shutil.which("promtool")


def promtool(*args):
    assert PROMTOOL, "promtool is missing: make setup installs Debian's prometheus package"
    return subprocess.run([PROMTOOL] + list(args), capture_output=True, text=True, timeout=120, check=False)


def test_the_alert_rules_pass_promtool_check():
    proc = promtool("check", "rules", RULES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 8 rules found" in proc.stdout


def test_the_alert_rules_fire_as_their_cases_say():
    proc = promtool("test", "rules", os.path.join(HERE, "vigil_ha_alerts_test.yml"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def exported(tmp_path):
    """The metric names of a scrape of a watcher that saw every kind of thing."""
    tail = ledger_tail.LedgerTail(str(tmp_path / "ledger.jsonl"))
    m = metrics.Metrics(tail)
    m.snapshot({"time": 0, "watcher": "w", "source_id": "s", "vcenter_connected": True, "hierarchies": [
        {"name": "web", "owner": "n1", "generation": 1, "nodes": ["n1"], "maintenance": False,
         "resources": [{"name": "app", "kind": "service", "states": {"n1": "in_service"}}]}],
        "nodes": {"n1": {"vm": "ok"}}, "lease": {"enabled": True, "holder": "w", "epoch": 3, "active": True}})
    m.emitted(("vm", "n1"), {"type": "vm", "to": "failed", "hierarchy": "web", "on_owner": True})
    m.emitted(("hierarchy", "web"), {"type": "hierarchy", "from": "n1", "to": "n2", "hierarchy": "web"})
    m.recovery.labels("web", "failover").observe(1)
    tail.fences[("web", "n1")] += 1
    tail.decisions[("web", "failover", "act")] += 1
    text = m.exposition()[0].decode()
    return set(re.findall(r"^(vigil_ha_\w+)", text, re.M))


def named(text):
    return set(re.findall(r"\b(vigil_ha_[a-z_]+)", text)) - {"vigil_ha_alerts"}


@pytest.mark.parametrize("path", [RULES, DASHBOARD])
def test_every_metric_named_is_exported(path, tmp_path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names = named(text)
    assert names, path
    assert names - exported(tmp_path) == set()


def test_the_dashboard_is_grafana_json_with_a_prometheus_datasource_input():
    with open(DASHBOARD, encoding="utf-8") as f:
        dashboard = json.load(f)
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    titles = [p["title"] for p in dashboard["panels"]]
    assert len(titles) == len(set(titles))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
