# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher: the real ansible-rulebook (Java 17) with a rulebook and the
vigil.ha.health source, on a copy of a cluster inventory with ``localhost``
and the lab's vCenter variables added (docs/eda.md), logging to a file. For
the tests, the chaos suite, the demo and the benchmarks."""
import ast
import json
import os
import pathlib
import re
import subprocess

from lab.procs import kill_groups, process_groups, stop_watcher_process
from lab.runs import ANSIBLE_RULEBOOK, java_home, read_vars, rulebook_env
from lab.paths import lab_dir
from lab.wait import until


def _write_secret(path, data):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # vCenter credentials inside
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)


class Rulebook(object):
    """ansible-rulebook -r RULEBOOK on a copy of a cluster inventory (the lab's
    cluster.yml unless `cluster` names another, JSON after any comment line),
    started at once (or by start()) and waited for until its source watches; variables and
    environment add to the lab's (vCenter, inventory, state). It runs in a
    session of its own: stop() and kill() end it with every playbook and node
    check it started."""

    def __init__(self, workdir, name="rulebook", state_dir=None, maintenance=False,
                 rulebook="vigil.ha.auto_failover", variables=None, environment=None, cluster=None, inventory=None,
                 seconds=90, lab="default", user_environment=None, start=True):
        self.dir = pathlib.Path(workdir) / name
        if inventory is None:
            inventory = self.dir / "inventory"
            (inventory / "group_vars").mkdir(parents=True, exist_ok=True)
            with open(cluster or os.path.join(lab_dir(lab), "cluster.yml"), encoding="utf-8") as f:
                text = f.read()
            cluster = json.loads(text[text.index("{"):])
            if maintenance:
                cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]["maintenance"] = True
            (inventory / "cluster.yml").write_text(json.dumps(cluster))
        else:  # an inventory directory of the caller's (a user's names): localhost and vCenter added
            inventory = pathlib.Path(inventory)
            self.dir.mkdir(parents=True, exist_ok=True)
            (inventory / "group_vars").mkdir(exist_ok=True)
        self.inventory = str(inventory)
        # The playbooks run on localhost (inventory, local connection, this Python).
        (inventory / "localhost.yml").write_text(json.dumps({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
        vcenter = dict((k, v) for k, v in read_vars(lab).items() if k.startswith("vcenter_"))
        _write_secret(inventory / "group_vars" / "all.json", vcenter)
        _write_secret(self.dir / "vars.json", dict(vcenter, vigil_ha_inventory=str(inventory), **(variables or {})))
        self.state = str(state_dir or self.dir / "state")
        self.ledger_path = os.path.join(self.state, "ledger.jsonl")
        self.log_path = self.dir / "ansible-rulebook.log"
        self.rulebook, self.proc, self.log = rulebook, None, None
        if user_environment is not None:
            # A user's whole environment (installed collection, no repository ansible.cfg,
            # no PYTHONPATH to the repository): only Java, -Xrs and the state are added.
            env = dict(user_environment, JAVA_HOME=java_home(), JAVA_TOOL_OPTIONS="-Xrs", PYTHONUNBUFFERED="1",
                       VIGIL_HA_STATE_DIR=self.state, VIGIL_HA_LEDGER=self.ledger_path)
        else:  # the lab's environment; environment adds to it or replaces parts
            env = rulebook_env(self.state, **(environment or {}))
        self.env = env
        if start:
            self.start(seconds)

    def start(self, seconds=90, **environment):
        """Start ansible-rulebook (``environment`` added to the run's) and wait until its source watches."""
        self.log = open(self.log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [ANSIBLE_RULEBOOK, "-r", self.rulebook, "-i", self.inventory, "--vars", str(self.dir / "vars.json"), "-v"],
            stdout=self.log, stderr=subprocess.STDOUT, env=dict(self.env, **environment), cwd=str(self.dir),
            start_new_session=True)
        try:
            self.wait_for("vigil.ha.health: watching", seconds)
        except AssertionError:
            self.stop()
            raise
        return self

    def output(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text, seconds, count=1):
        """Until the log holds ``text`` ``count`` times; AssertionError (with the log's end) if not."""
        ok = until(lambda: self.output().count(text) >= count or self.proc.poll() is not None, seconds)
        assert ok and self.proc.poll() is None, "ansible-rulebook: no %r within %ss (%s)\n%s" % (
            text, seconds, self.log_path, self.output()[-6000:])

    def events(self):
        """The events the source made, as it logged them (health/source.py), oldest first."""
        marker = " - INFO - event {"
        return [ast.literal_eval(line[line.index(marker) + len(marker) - 1:])
                for line in self.output().splitlines() if marker in line]

    def lease_epochs(self, watcher_id):
        """The epochs at which ``watcher_id`` said it holds the watcher lease (acquired or renewed), in its log."""
        return [int(e) for e in re.findall(r"watcher %s holds the lease of \S+ \(epoch (\d+)\): active"
                                           % re.escape(watcher_id), self.output())]

    def ledger(self, action=None, decision=None):
        if not os.path.exists(self.ledger_path):
            return []
        with open(self.ledger_path, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f if line.strip()]
        return [r for r in lines if action in (None, r["action"]) and decision in (None, r["decision"])]

    def kill(self):
        """SIGKILL ansible-rulebook and every run it started at once (a watcher that dies)."""
        kill_groups(process_groups(self.proc.pid))
        self.proc.wait(30)

    def kill_runs(self):
        """SIGKILL the playbook runs ansible-rulebook started (each in a session
        of its own), not ansible-rulebook: a run that dies alone."""
        kill_groups([g for g in process_groups(self.proc.pid) if g != self.proc.pid])

    def stop(self):
        """TERM ansible-rulebook; then KILL the process groups it and its runs had."""
        if self.proc is not None:
            stop_watcher_process(self.proc)
        if self.log is not None and not self.log.closed:
            self.log.close()
