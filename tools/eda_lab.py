# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab as the demo and the benchmarks drive it: the control API, the
collection's playbooks run as an operator runs them, the watcher (the real
ansible-rulebook with the vigil.ha.health source) and a client of the
virtual IP that counts what it gets. Standard library only."""
from __future__ import annotations

import ast
import datetime
import glob
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
EVENT_LINE = re.compile(r"event (\{.*\})\s*$")


def until(predicate, seconds, step=0.2):
    """The predicate's first true value within ``seconds``, else its last value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def ssh_open(address):
    """Whether a node's sshd accepts connections (it has booted)."""
    try:
        with socket.create_connection((address, 22), timeout=1):
            return True
    except OSError:
        return False


def parse_time(text):
    """An event's ``time`` (ISO 8601, UTC, ``Z``) as epoch seconds."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def process_groups(pid):
    """The process group of ``pid`` and those of its descendants: ansible-runner
    starts each playbook in a session of its own (a pty), which a signal to
    ansible-rulebook's group does not reach."""
    children = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append((int(entry), int(fields[2])))
    groups, todo = [pid], [pid]
    while todo:
        for child, pgid in children.get(todo.pop(), []):
            todo.append(child)
            groups.append(pgid)
    return sorted(set(groups))


def kill_groups(groups, only_ansible=False):
    """SIGKILL each process group; with ``only_ansible``, only those still led
    by an ansible process (not a pid reused meanwhile)."""
    for group in groups:
        try:
            if only_ansible:
                with open("/proc/%d/cmdline" % group, "rb") as f:
                    if b"ansible" not in f.read():
                        continue
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass  # the group is gone already


def stop_watcher_process(proc, seconds=30):
    """TERM ansible-rulebook (with -Xrs its source then logs out of vCenter);
    then KILL the process groups it and the runs it started had."""
    left = process_groups(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            pass
    kill_groups(set(left + process_groups(proc.pid)), only_ansible=True)
    proc.wait(10)


def java_home():
    home = os.environ.get("JAVA_HOME") or next(iter(sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*"))), None)
    if not home:
        raise RuntimeError("ansible-rulebook needs Java 17: make setup installs openjdk-17-jre-headless")
    return home


class Lab(object):
    """A running lab (``labctl.py start``) and the state directory of the runs against it."""

    def __init__(self, name="default", state_dir=None):
        self.dir = os.path.join(REPO, ".lab", name)
        with open(os.path.join(self.dir, "vcenter.json"), encoding="utf-8") as f:
            self.vars = json.load(f)
        self.state_dir = state_dir or os.path.join(self.dir, "demo-state")
        os.makedirs(self.state_dir, exist_ok=True)
        vip = self.vars.get("lab_vip")
        self.vip_url = "http://%s:8080/" % vip.split("/")[0] if vip else None

    def control(self, path, method="POST"):
        req = urllib.request.Request("%s/%s" % (self.vars["lab_control_url"], path),
                                     data=b"" if method == "POST" else None, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def env(self, **extra):
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   PYTHONPATH=os.path.join(REPO, ".build", "collections"),
                   PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
                   VIGIL_HA_STATE_DIR=self.state_dir, VIGIL_HA_LEDGER=os.path.join(self.state_dir, "ledger.jsonl"))
        env.update(extra)
        return env

    def playbook(self, name, *extra, json_output=False):
        """Run ``ansible-playbook vigil.ha.NAME`` on the lab's cluster; (rc, output)."""
        cmd = [os.path.join(VENV_BIN, "ansible-playbook"), "vigil.ha." + name,
               "-i", os.path.join(self.dir, "cluster.yml"), "-e", "@" + os.path.join(self.dir, "vcenter.json"),
               "-e", "hierarchy=web"] + list(extra)
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
        return self.control("vms?name=%s" % name, method="GET")[0]


class Watcher(object):
    """ansible-rulebook with a rulebook and the vigil.ha.health source, in the
    background, logging to a file. The cluster's inventory is copied with
    ``localhost`` and the vCenter variables added (docs/eda.md)."""

    def __init__(self, lab, workdir, rulebook="vigil.ha.auto_failover", inventory=None):
        self.lab = lab
        self.dir = workdir
        inv = os.path.join(workdir, "inventory")
        os.makedirs(os.path.join(inv, "group_vars"), exist_ok=True)
        with open(inventory or os.path.join(lab.dir, "cluster.yml"), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(inv, "cluster.yml"), "w", encoding="utf-8") as f:
            f.write(text)
        local = {"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}
        vcenter = dict((k, v) for k, v in lab.vars.items() if k.startswith("vcenter_"))
        self._write(os.path.join(inv, "localhost.yml"), local)
        self._write(os.path.join(inv, "group_vars", "all.json"), vcenter)
        self._write(os.path.join(workdir, "vars.json"), dict(vcenter, vigil_ha_inventory=inv))
        self.log_path = os.path.join(workdir, "ansible-rulebook.log")
        self.rulebook = rulebook
        self.inventory = inv
        self.proc = None
        self._log = None

    @staticmethod
    def _write(path, data):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # vCenter credentials inside
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)

    def start(self, seconds=120, **env):
        self._log = open(self.log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [os.path.join(VENV_BIN, "ansible-rulebook"), "-r", self.rulebook, "-i", self.inventory,
             "--vars", os.path.join(self.dir, "vars.json"), "-v"],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True,
            # -Xrs: SIGTERM reaches ansible-rulebook, whose source then logs out of vCenter (docs/eda.md).
            env=self.lab.env(JAVA_HOME=java_home(), PYTHONUNBUFFERED="1", JAVA_TOOL_OPTIONS="-Xrs", **env))
        self.wait_for("vigil.ha.health: watching", seconds)
        return self

    def output(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for(self, text, seconds, count=1):
        ok = until(lambda: self.output().count(text) >= count or self.proc.poll() is not None, seconds)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError("ansible-rulebook: no %r within %ss; see %s" % (text, seconds, self.log_path))

    def events(self):
        """Every event the source logged (``-v``), oldest first."""
        found = []
        for line in self.output().splitlines():
            m = EVENT_LINE.search(line)
            if m:
                try:
                    found.append(ast.literal_eval(m.group(1)))
                except (ValueError, SyntaxError):
                    continue
        return found

    def stop(self):
        if self.proc is not None:
            stop_watcher_process(self.proc)
        if self._log:
            self._log.close()
            self._log = None


class VipClient(threading.Thread):
    """GET the virtual IP every ``interval`` seconds; keep (time, answer) pairs,
    answer None for a failed request."""

    def __init__(self, url, interval=0.1, timeout=1.0):
        super().__init__(daemon=True)
        self.url, self.interval, self.timeout = url, interval, timeout
        self.samples = []
        self._halt = threading.Event()

    def ask(self):
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as resp:
                return resp.read().decode().strip()
        except OSError:
            return None

    def run(self):
        while not self._halt.is_set():
            started = time.time()
            self.samples.append((started, self.ask()))
            self._halt.wait(max(0.0, self.interval - (time.time() - started)))

    def stop(self):
        self._halt.set()
        self.join(5)

    def failed(self, since, until_time=None):
        return sum(1 for t, a in self.samples if t >= since and (until_time is None or t <= until_time) and a is None)

    def total(self, since, until_time=None):
        return sum(1 for t, a in self.samples if t >= since and (until_time is None or t <= until_time))

    def answered_by(self, node, since):
        """The time of the first answer from ``node`` after a failed request since ``since``."""
        seen_failure = False
        for t, answer in list(self.samples):
            if t < since:
                continue
            if answer is None:
                seen_failure = True
            elif seen_failure and answer == node:
                return t
        return None
