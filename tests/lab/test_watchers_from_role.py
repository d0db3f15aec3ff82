# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 12 as a new user tries it: two watchers deployed with the role
vigil.ha.watcher (redundant, supervised: there is no systemd here) from the
installed collection, on the user's inventory (group prod_ha, hierarchy
shop, nodes alpha/bravo/charlie). Status names the active watcher and the
standby; the active one's machine is killed (every process of its session,
supervisor included: nothing restarts it); then alpha's VM crashes. The
hierarchy fails over once, to bravo, and the ledger and vCenter's events say
which watcher acted. The "machines" are two directories and process trees on
this host: the lab's vCenter listens on loopback, which namespaces cannot reach."""
from __future__ import annotations

import datetime
import glob
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import yaml
from cluster_runs import until, vip_answer

from lab.budgets import reset_budgets
from lab.paths import REPO
from lab.user_side import installed_collections, lab_node, run_playbook, user_env, user_inventory

from ansible_collections.vigil.ha.plugins.module_utils.state.budget_events import BudgetLog
from ansible_collections.vigil.ha.plugins.module_utils.state.lease import Lease
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations

pytestmark = pytest.mark.usefixtures("bare_nodes_after")

TTL, RENEW = 8, 2
WATCHERS = ("watch-east", "watch-west")


@pytest.fixture
def base():
    """The watchers' directories: a short path, as /opt/vigil-ha-watcher is (each watcher's HOME holds
    its SSH control sockets, whose path must fit a Unix socket's 108 bytes)."""
    path = tempfile.mkdtemp(prefix="vw-", dir="/tmp")
    yield pathlib.Path(path)
    shutil.rmtree(path, ignore_errors=True)


def deploy_inventory(path, cluster_inventory, lab):
    tarball = glob.glob(os.path.join(os.path.dirname(installed_collections()), "dist", "vigil-ha-*.tar.gz"))[0]
    hosts = dict((name, {"vigil_ha_watcher_dir": str(path / name)}) for name in WATCHERS)
    group = {"watchers": {"hosts": hosts, "vars": {
        "ansible_connection": "local",
        "ansible_python_interpreter": "/usr/bin/python3",
        "vigil_ha_watcher_init": "supervised",
        "vigil_ha_watcher_redundant": True,
        "vigil_ha_watcher_restart_delay": 2,
        "vigil_ha_watcher_inventory": cluster_inventory + "/",
        "vigil_ha_watcher_collection_tarball": tarball,
        "vigil_ha_watcher_pip_extra_args": "--no-index --find-links %s/.build/wheelhouse" % REPO,
        "vigil_ha_watcher_vcenter": dict((k, lab["vcenter_" + k]) for k in (
            "hostname", "username", "password", "port", "validate_certs", "ca_path")),
        "vigil_ha_watcher_vars": {"vigil_ha_cluster_group": "prod_ha", "vigil_ha_lease_ttl": TTL,
                                  "vigil_ha_lease_renew": RENEW},
    }}}
    with open(path / "watchers.yml", "w", encoding="utf-8") as f:
        yaml.safe_dump(group, f)
    with open(path / "deploy.yml", "w", encoding="utf-8") as f:
        f.write("- name: Two watchers, one active\n  hosts: watchers\n  gather_facts: false\n"
                "  roles:\n    - role: vigil.ha.watcher\n")
    return str(path / "watchers.yml")


def session_pids(sid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    out.append(int(entry))
            except OSError:
                pass
    return out


def kill_machine(directory):
    """Pull the plug: SIGKILL every process of the watcher's session (supervisor, ansible-rulebook, its runs)."""
    with open(os.path.join(directory, "supervise.pid"), encoding="utf-8") as f:
        sid = os.getsid(int(f.read().strip()))
    for dummy in range(3):
        for pid in session_pids(sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)
    return sid


def stop_watcher(directory):
    spec = os.path.join(directory, "supervise.json")
    if os.path.exists(spec):
        subprocess.run(["/usr/bin/python3", os.path.join(directory, "supervise.py"), "stop", spec],
                       capture_output=True, timeout=60, check=False)


def ledger(directory, action=None, decision=None):
    path = os.path.join(directory, ".local", "state", "vigil-ha", "ledger.jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return [x for x in lines if (action is None or x["action"] == action)
            and (decision is None or x["decision"] == decision)]


def log(directory):
    with open(os.path.join(directory, "watcher.log"), encoding="utf-8", errors="replace") as f:
        return f.read()


@pytest.fixture
def shop(tmp_path, lab, base):
    inventory = user_inventory(tmp_path / "inventory")
    reset_budgets(lab, "lab tests: watchers from the role", hierarchies=("shop",))
    rc, out = run_playbook("stop", inventory=inventory)
    assert rc == 0, out
    rc, out = run_playbook("start", "-e", "target=alpha", inventory=inventory)
    assert rc == 0, out
    assert until(lambda: vip_answer() == lab_node("alpha"))
    yield inventory
    for name in WATCHERS:
        stop_watcher(str(base / name))
    rc, out = run_playbook("stop", inventory=inventory)
    assert rc == 0, out


def test_two_watchers_from_the_role_one_machine_killed_then_a_crash(shop, base, lab, client, control):
    hosts = deploy_inventory(base, shop, lab)
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "-i", hosts,
                           str(base / "deploy.yml")], capture_output=True, text=True, env=user_env(),
                          cwd=str(base), timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    dirs = dict((name, str(base / name)) for name in WATCHERS)
    lease = Lease(RootAnnotations(client), "prod_ha")

    # One of the two holds the lease, the other records itself as a standby.
    def settled():
        got = lease.get()
        return got["held"] and got["holder"] in WATCHERS and \
            [w["id"] for w in got["standbys"] if w["seen_ago"] is not None and w["seen_ago"] <= TTL + RENEW] \
            == [n for n in WATCHERS if n != got["holder"]]
    assert until(settled, 120), (lease.get(), log(dirs[WATCHERS[0]])[-3000:], log(dirs[WATCHERS[1]])[-3000:])
    active = lease.get()["holder"]
    standby = [n for n in WATCHERS if n != active][0]
    epoch = lease.get()["epoch"]

    rc, out = run_playbook("status", inventory=shop)
    assert rc == 0, out
    assert "Watcher lease prod_ha: held by %s, epoch %d" % (active, epoch) in out, out
    # Other runs' watchers of prod_ha may be listed too (a stopped one keeps its last time): this one is.
    assert "Standby watchers: " in out and "%s last seen" % standby in out.split("Standby watchers: ")[1][:400], out

    killed = kill_machine(dirs[active])
    assert until(lambda: lease.get()["held"] and lease.get()["holder"] == standby, TTL + 3 * RENEW + 10), \
        (lease.get(), log(dirs[standby])[-4000:])
    assert lease.get()["epoch"] > epoch

    crashed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)  # vCenter's clock is ours
    control("vms/node1/crash")
    assert until(lambda: vip_answer() == lab_node("bravo"), 150), log(dirs[standby])[-6000:]
    assert until(lambda: ledger(dirs[standby], "failover", "done"), 60), ledger(dirs[standby])
    time.sleep(2 * RENEW)
    acts = ledger(dirs[active], "failover", "act") + ledger(dirs[standby], "failover", "act")
    assert len(acts) == 1, (ledger(dirs[active]), ledger(dirs[standby]))
    # Which watcher acted, in its ledger and in vCenter's events.
    assert acts[0]["controller"]["watcher"] == standby, acts
    # Since the crash: earlier tests' failovers of shop (by hand, by another watcher) are in vCenter's log too.
    uses = BudgetLog(RootAnnotations(client)).records("shop", crashed)[0]
    # (the simulator may return older events too: the window is applied here, as model/budget.py does)
    failovers = [u for u in uses if u["action"] == "failover"
                 and datetime.datetime.fromisoformat(u["time"].replace("Z", "+00:00")) >= crashed]
    assert [u["controller"].get("watcher") for u in failovers] == [standby], uses
    took_over = [e["message"] for e in lease.events() if "took over from %s" % active in e["message"]]
    assert took_over and took_over[0].startswith("vigil.ha watcher lease prod_ha: %s" % standby), lease.events()
    assert vip_answer() == lab_node("bravo")
    assert not session_pids(killed), "the killed watcher's machine runs again"
