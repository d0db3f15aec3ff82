# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 14: the node-side checks (service, script ...) run on their own check.interval, over SSH
on the lab's real nodes, and a failure counts once confirmed: a service killed is reported within
its interval + 1 s + the confirming check, a script that fails once is not reported at all."""
from __future__ import annotations

import asyncio
import json
import os
import time

import yaml
from cluster_runs import LAB, kill_app, queued_events
from test_health_source import source_args

from lab.wait import parse_time
from ansible_collections.vigil.ha.extensions.eda.plugins.event_source import health

INTERVAL = 2
CONFIRMING = 3  # the confirming check: at most a second later, plus one SSH round trip (about 1.3 s here)


def inventory_without_endpoint_checks(tmp_path):
    """The lab's cluster, web's service without its http check (only the node-side check sees it die),
    and a script resource whose quick_check fails once when the file ``once`` exists."""
    once = tmp_path / "once"
    script = tmp_path / "quick_check.sh"
    script.write_text("#!/bin/sh\nif [ -e %s ]; then rm -f %s; echo 'failed this once'; exit 2; fi\nexit 0\n"
                      % (once, once))
    script.chmod(0o755)
    with open(os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
        inventory = yaml.safe_load(f)
    web = inventory["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]
    app = next(r for r in web["resources"] if r["name"] == "web-app")
    app["check"] = {"interval": INTERVAL, "timeout": 1}
    web["resources"].append({"name": "web-flag", "kind": "script", "depends_on": ["web-vip"],
                             "params": {"quick_check": str(script), "restore": "/bin/true", "remove": "/bin/true"},
                             "check": {"interval": INTERVAL, "timeout": 1}})
    path = tmp_path / "cluster.yml"
    path.write_text(json.dumps(inventory))
    return str(path), once


def resource_events(queue, seconds, wanted=None):
    return queued_events(queue, seconds, ("resource",), wanted)


def test_node_side_checks_run_on_their_interval_and_confirm_a_failure(lab, web, bare_nodes_after, tmp_path):
    inventory, once = inventory_without_endpoint_checks(tmp_path)

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.create_task(health.main(queue, dict(source_args(lab), inventory=inventory)))
        try:
            quiet = await resource_events(queue, 6)  # loaded, connected, checked at least twice: all in service
            once.write_text("")
            transient = await resource_events(queue, 3 * INTERVAL)
            consumed = not once.exists()  # the script did run and fail once
            killed_at = time.time()
            await asyncio.to_thread(kill_app, "node1")
            failed = await resource_events(queue, INTERVAL + 1 + CONFIRMING + 5, wanted=1)
            return quiet, transient, consumed, killed_at, failed
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    quiet, transient, consumed, killed_at, failed = asyncio.run(scenario())
    assert quiet == []
    assert consumed, "the script's check did not run within %ss" % (3 * INTERVAL)
    assert transient == []  # one failed check is not a failure
    assert [(e["name"], e["node"], e["to"], e["observer"]) for e in failed] == [("web-app", "node1", "failed", "node")]
    detected = parse_time(failed[0]["time"]) - killed_at
    assert detected < INTERVAL + 1 + CONFIRMING, "killed -> failed event took %.1fs" % detected
