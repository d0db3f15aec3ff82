# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's BMCs (lab/bmc.py, one process for all): started and stopped with
the simulator; their faults, and the physical nodes' hang and crash."""
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from lab import bmc, nodes
from lab.paths import VENV_PYTHON, lab_dir, lab_env, module_argv
from lab.procs import alive
from lab.simulator import running


def bmc_state(name):
    """bmc.json of the lab's running BMC process, or None."""
    data = bmc.read_json(bmc.path(name, "bmc.json"), {})
    return data if data.get("pid") and alive(data["pid"]) else None


def stop_bmcs(name):
    data = bmc_state(name)
    if data:
        os.kill(data["pid"], signal.SIGTERM)
        for dummy in range(50):
            if not alive(data["pid"]):
                break
            time.sleep(0.1)


def start_bmcs(name, state, physical=(), timeout=30):
    """The lab's BMCs (lab/bmc.py), restarted when the simulator or the physical nodes are new."""
    data = bmc_state(name)
    if data and data.get("control") == state["control"] and set(physical) <= set(data["bmcs"]):
        return 0
    stop_bmcs(name)
    try:
        urllib.request.urlopen(state["control"] + "/hosts", timeout=10).close()
    except urllib.error.HTTPError:
        sys.stderr.write("lab %s: no BMCs: its simulator predates them (python3 -m lab stop, then start)\n" % name)
        return 0
    if not os.path.exists(VENV_PYTHON):
        sys.stderr.write("lab %s: no BMCs yet: the virtualenv (tools/setup.sh) brings pyghmi\n" % name)
        return 0
    faults = bmc.path(name, "bmc-faults.json")
    if os.path.exists(faults):  # a new simulator starts without faults; so do its BMCs
        os.remove(faults)
    log = open(os.path.join(lab_dir(name), "bmc.log"), "ab")
    proc = subprocess.Popen(module_argv(VENV_PYTHON, "lab.bmc", "serve", "--name", name, "--physical", ",".join(physical)),
                            stdout=log, stderr=subprocess.STDOUT, env=lab_env(), start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        data = bmc_state(name)
        if data and data["pid"] == proc.pid:
            return 0
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
    sys.stderr.write("lab %s: the BMCs did not start; see %s\n" % (name, os.path.join(lab_dir(name), "bmc.log")))
    return 1


def bmc_fault(name, parts, params):
    """bmc/HOST/unreachable|slow|recover: a file the running BMCs read, no restart."""
    state = running(name)
    if not state:
        raise SystemExit("lab %s is not running (python3 -m lab start)" % name)
    names = state["hosts"] + (nodes.physical_of(nodes.load_config()) if nodes.owner() == name else [])
    if len(parts) != 3 or parts[1] not in names:
        raise SystemExit("lab fault: bmc/HOST/%s with HOST one of %s" % ("|".join(bmc.FAULTS), ", ".join(names)))
    try:
        return bmc.set_fault(name, parts[1], parts[2], params.get("seconds"))
    except ValueError as e:
        raise SystemExit("lab fault: %s" % e)


NODE_FAULTS = {"hang": "suspended", "crash": "crashed", "recover": "poweredOn"}


def node_fault(name, parts):
    """nodes/NODE/hang|crash|recover of a physical node (a VM node's power follows its VM: vms/...).
    hang: on, link down, every process stopped; crash: on, dark, nothing runs (a kernel panic);
    both leave its BMC saying on until it is fenced. recover: a hung node resumes, a crashed
    or powered-off one boots (the reset button)."""
    config = nodes.load_config() if running(name) and nodes.owner() == name else None
    physical = nodes.physical_of(config)
    if len(parts) != 3 or parts[1] not in physical or parts[2] not in NODE_FAULTS:
        raise SystemExit("lab fault: nodes/NODE/%s with NODE one of the physical nodes %s"
                         % ("|".join(NODE_FAULTS), ", ".join(physical) or "(none)"))
    try:
        return {"node": parts[1], "power": nodes.power(parts[1], NODE_FAULTS[parts[2]])}
    except nodes.NodeError as e:
        raise SystemExit("lab fault: %s" % e)
