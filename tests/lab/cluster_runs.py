# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the collection's playbooks against the lab's cluster as an
operator runs them (ansible-playbook vigil.ha.<name> with the cluster
inventory), and reading what a user reads: the run's output, who answers
on the virtual IP, a VM's power."""
from __future__ import annotations

import asyncio

import functools
import json
import os
import re
import subprocess
import urllib.request

from lab.control import Control
from lab.nodes import APP_PORT, NODES_DIR
from lab.paths import REPO, lab_dir
from lab.runs import ansible_env, playbook_argv, state_dir
from lab.wait import until

LAB = lab_dir()


@functools.lru_cache(maxsize=None)
def vip_url():
    # Read when first asked, not on import: the chaos unit tests import this without a lab.
    with open(os.path.join(LAB, "vcenter.json"), encoding="utf-8") as f:
        return "http://%s:%d/" % (json.load(f)["lab_vip"].split("/")[0], APP_PORT)


def ledger_lines():
    path = os.path.join(state_dir(), "ledger.jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def playbook(name, *extra, inventory=None, hierarchy="web"):
    cmd = playbook_argv(name, inventory or os.path.join(LAB, "cluster.yml"), os.path.join(LAB, "vcenter.json"),
                        hierarchy, *extra)
    env = ansible_env(state_dir())
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).replace("''", "'").split())


def where(out, hierarchy="web"):
    found = re.findall(r"%s is in service on (\S+) \(generation (\d+)\)" % hierarchy, out)
    assert found, out
    return found[-1][0], int(found[-1][1])


def vip_answer():
    try:
        with urllib.request.urlopen(vip_url(), timeout=3) as resp:
            return resp.read().decode().strip()
    except OSError:
        return None


def vm_power(lab, name):
    return Control(lab["lab_control_url"]).vm(name)["power_state"]


def kill_app(node):
    run = os.path.join(NODES_DIR, node, "run", "web-app.pid")
    with open(run) as f:
        pid = int(f.read())
    os.kill(pid, 9)
    assert until(lambda: vip_answer() is None, 5)


async def queued_events(queue, seconds, types, wanted=None):
    """The events of the source's ``queue`` whose type is in ``types``, within ``seconds`` (or once ``wanted`` came)."""
    out = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end and (wanted is None or len(out) < wanted):
        try:
            event = await asyncio.wait_for(queue.get(), end - loop.time())
        except asyncio.TimeoutError:
            break
        if event["vigil_ha"]["type"] in types:
            out.append(event["vigil_ha"])
    return out
