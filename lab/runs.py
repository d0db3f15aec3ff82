# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the collection's playbooks against the lab as an operator runs them:
the one environment for ansible-playbook and ansible-rulebook runs (the
repository's ansible.cfg, the collection under .build/collections, the
virtualenv's tools, a state directory for the ledger and the locks), and the
running lab as the demo and the benchmarks drive it. Standard library only."""
import glob
import json
import os
import subprocess

from lab.control import Control, request
from lab.paths import REPO, VENV_BIN, lab_dir

ANSIBLE_PLAYBOOK = os.path.join(VENV_BIN, "ansible-playbook")
ANSIBLE_RULEBOOK = os.path.join(VENV_BIN, "ansible-rulebook")


def ansible_env(state_dir=None, base=None, **extra):
    """The environment of a run: the repository's ansible.cfg, the collection
    as ansible finds it, no colour; ``state_dir`` holds its ledger and locks."""
    env = dict(os.environ if base is None else base, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               PYTHONPATH=os.path.join(REPO, ".build", "collections"),
               PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    if state_dir:
        env.update(VIGIL_HA_STATE_DIR=str(state_dir), VIGIL_HA_LEDGER=os.path.join(str(state_dir), "ledger.jsonl"))
    env.update(extra)
    return env


def java_home():
    home = os.environ.get("JAVA_HOME") or next(iter(sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*"))), None)
    if not home:
        raise RuntimeError("ansible-rulebook needs Java 17: make setup installs openjdk-17-jre-headless")
    return home


def rulebook_env(state_dir=None, base=None, **extra):
    """ansible_env for ansible-rulebook: Java 17, and -Xrs, without which the
    JVM ends the process on SIGTERM at once and the source never logs out of vCenter."""
    return ansible_env(state_dir, base, JAVA_HOME=java_home(), JAVA_TOOL_OPTIONS="-Xrs", PYTHONUNBUFFERED="1",
                       **extra)


def playbook_argv(name, inventory, vars_file, hierarchy, *extra):
    """``ansible-playbook vigil.ha.NAME`` on a cluster inventory with the lab's vCenter variables."""
    return [ANSIBLE_PLAYBOOK, "vigil.ha." + name, "-i", inventory, "-e", "@" + vars_file,
            "-e", "hierarchy=" + hierarchy] + list(extra)


def state_dir():
    """The ledger and locks of this process's runs: the lab tests give each test
    module its own (VIGIL_LAB_TEST_STATE, tests/lab/conftest.py)."""
    return os.environ.get("VIGIL_LAB_TEST_STATE") or os.path.join(lab_dir(), "orchestration-state-%d" % os.getpid())


def read_vars(name="default"):
    """A running lab's vcenter.json (its variables for playbooks)."""
    with open(os.path.join(lab_dir(name), "vcenter.json"), encoding="utf-8") as f:
        return json.load(f)


class Lab(object):
    """A running lab (``python3 -m lab start``) and the state directory of the runs against it."""

    def __init__(self, name="default", state_dir=None):
        self.dir = lab_dir(name)
        self.vars = read_vars(name)
        self.state_dir = state_dir or os.path.join(self.dir, "demo-state")
        os.makedirs(self.state_dir, exist_ok=True)
        vip = self.vars.get("lab_vip")
        self.vip_url = "http://%s:8080/" % vip.split("/")[0] if vip else None
        self.api = Control(self.vars["lab_control_url"])

    def control(self, path, method="POST"):
        """A control API call; ``path`` may carry its query (``vms?name=node1``)."""
        return request(self.vars["lab_control_url"], method, path)

    def env(self, **extra):
        return ansible_env(self.state_dir, **extra)

    def playbook(self, name, *extra, json_output=False, inventory=None, hierarchy="web"):
        """Run ``ansible-playbook vigil.ha.NAME`` on the lab's cluster; (rc, output)."""
        cmd = playbook_argv(name, inventory or os.path.join(self.dir, "cluster.yml"),
                            os.path.join(self.dir, "vcenter.json"), hierarchy, *extra)
        env = self.env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json") if json_output else self.env()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    def checked(self, name, *extra):
        """``playbook`` that must succeed; its output."""
        rc, out = self.playbook(name, *extra)
        if rc != 0:
            raise RuntimeError("ansible-playbook vigil.ha.%s failed:\n%s" % (name, out[-4000:]))
        return out

    def status_table(self):
        """The lines of ``vigil.ha.status``'s table."""
        rc, out = self.playbook("status", json_output=True)
        if rc != 0:
            raise RuntimeError("vigil.ha.status failed:\n%s" % out[-3000:])
        for play in json.loads(out[out.index("{"):])["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == "Show the status":
                    return task["hosts"]["localhost"]["msg"]
        raise RuntimeError("vigil.ha.status printed no table")

    def vm(self, name):
        return self.api.vm(name)
