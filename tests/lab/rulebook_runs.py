# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real ansible-rulebook (Java 17) on a copy of the lab's cluster inventory,
for the rulebook tests (vigil.ha.auto_failover and its controller variant)."""
from __future__ import annotations

import ast
import json
import os
import pathlib
import subprocess
import sys

from cluster_runs import LAB, REPO, until

sys.path.insert(0, os.path.join(REPO, "tools"))
from eda_lab import VENV_BIN, java_home, kill_groups, process_groups, stop_watcher_process  # noqa: E402  pylint: disable=wrong-import-position


class Rulebook(object):
    """ansible-rulebook -r RULEBOOK on a copy of a cluster inventory (the lab's
    cluster.yml unless `cluster` names another, JSON after any comment line);
    variables and environment add to the lab's (vCenter, inventory, state).
    It runs in a session of its own: stop() and kill() end it with every
    playbook and node check it started."""

    def __init__(self, tmp_path, name="rulebook", state_dir=None, maintenance=False,
                 rulebook="vigil.ha.auto_failover", variables=None, environment=None, cluster=None, inventory=None):
        self.dir = tmp_path / name
        if inventory is None:
            inventory = self.dir / "inventory"
            (inventory / "group_vars").mkdir(parents=True)
            with open(cluster or os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
                text = f.read()
            cluster = json.loads(text[text.index("{"):])
            if maintenance:
                cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]["maintenance"] = True
            (inventory / "cluster.yml").write_text(json.dumps(cluster))
        else:  # an inventory directory of the caller's (user_side.user_inventory): localhost and vCenter added
            inventory = pathlib.Path(inventory)
            self.dir.mkdir(parents=True)
            (inventory / "group_vars").mkdir(exist_ok=True)
        self.inventory = str(inventory)
        # The playbooks run on localhost (inventory, local connection, this Python).
        (inventory / "localhost.yml").write_text(json.dumps({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
        with open(os.path.join(LAB, "vcenter.json"), encoding="utf-8") as f:
            vcenter = dict((k, v) for k, v in json.load(f).items() if k.startswith("vcenter_"))
        (inventory / "group_vars" / "all.json").write_text(json.dumps(vcenter))
        (self.dir / "vars.json").write_text(json.dumps(dict(vcenter, vigil_ha_inventory=str(inventory),
                                                            **(variables or {}))))
        self.state = str(state_dir or self.dir / "state")
        self.ledger_path = os.path.join(self.state, "ledger.jsonl")
        self.log_path = self.dir / "ansible-rulebook.log"
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   JAVA_HOME=java_home(), PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
                   VIGIL_HA_STATE_DIR=self.state, VIGIL_HA_LEDGER=self.ledger_path,
                   # Without -Xrs the JVM inside ansible-rulebook ends the process on
                   # SIGTERM at once: the source never logs out of vCenter.
                   JAVA_TOOL_OPTIONS="-Xrs")
        env.update(environment or {})  # may replace any of the above (a user's ANSIBLE_CONFIG)
        self.log = open(self.log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [os.path.join(VENV_BIN, "ansible-rulebook"), "-r", rulebook, "-i", str(inventory),
             "--vars", str(self.dir / "vars.json"), "-v"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=str(self.dir), start_new_session=True)
        try:
            self.wait_for("vigil.ha.health: watching", 90)
        except AssertionError:
            self.stop()
            raise

    def output(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text, seconds, count=1):
        ok = until(lambda: self.output().count(text) >= count or self.proc.poll() is not None, seconds)
        assert ok and self.proc.poll() is None, "ansible-rulebook: no %r\n%s" % (text, self.output()[-6000:])

    def events(self):
        """The events the source made, as it logged them (health/source.py)."""
        marker = " - INFO - event {"
        return [ast.literal_eval(line[line.index(marker) + len(marker) - 1:])
                for line in self.output().splitlines() if marker in line]

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
        stop_watcher_process(self.proc)
        if not self.log.closed:
            self.log.close()
