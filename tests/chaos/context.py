# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a scenario works with: the lab, its own ledger and log directory,
playbook runs as an operator (or automation) makes them, faults, waits that
give up as soon as an audit breaks, and the clock for time to recover."""
from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import threading
import time

from lab.paths import REPO
from lab.rulebook import Rulebook
from lab.runs import ANSIBLE_PLAYBOOK, ansible_env
from target import HIERARCHY


class ScenarioFailed(Exception):
    """The scenario's expectation did not hold."""


class AuditBroken(ScenarioFailed):
    """An audit broke while the scenario ran."""


class Run(object):
    """One ansible-playbook run and what it left."""

    def __init__(self, name, args, hierarchy=HIERARCHY):
        self.name, self.args, self.hierarchy = name, list(args), hierarchy
        self.ledger = None   # the ledger of the controller that ran it (Context.start_playbook)
        self.pgid = None     # its process group (its own session)
        self.rc, self.out, self.killed = None, "", False
        self.ledger_before = self.ledger_after = 0
        self.started = self.ended = None

    @property
    def text(self):
        """The output on one line, as the lab tests match it."""
        return " ".join(self.out.replace("''", "'").split())

    def where(self):
        """(owner, generation) the run ended with, from its last word."""
        found = re.findall(r"%s is in service on (\S+) \(generation (\d+)\)" % self.hierarchy, self.text)
        return (found[-1][0], int(found[-1][1])) if found else (None, None)

    def said(self, *phrases):
        return all(p in self.text for p in phrases)

    def __repr__(self):
        return "<%s %s rc=%s>" % (self.name, " ".join(self.args), self.rc)


class ChaosRulebook(Rulebook):
    """The watcher as the scenarios read it: its log and ledger in the lab's names."""

    def __init__(self, names, *args, **kwargs):
        self.names = names   # the suite's Cluster: its to_lab()
        super(ChaosRulebook, self).__init__(*args, **kwargs)

    def output(self):
        return self.names.to_lab(super(ChaosRulebook, self).output())

    def ledger(self, action=None, decision=None):
        return [json.loads(self.names.to_lab(json.dumps(r))) for r in super(ChaosRulebook, self).ledger(action, decision)]


class Context(object):
    def __init__(self, lab, name, directory, audits):
        self.lab, self.name, self.dir, self.audits = lab, name, directory, audits
        self.ledger = os.path.join(directory, "ledger.jsonl")
        # Other controllers (start_playbook(controller=NAME)): each its own state
        # directory, so its own lock and ledger, as on another machine.
        self.controllers = {}
        self.runs = []
        self.notes = []
        self.fault_at = None
        self.recovered_at = None
        self.canaries = [lab.password]
        self.session_allowance = 0   # sessions a scenario leaks on purpose (a SIGKILLed run)
        self.allowance_reason = None
        self.cleanups = []
        self.watchers, self.collected = [], []
        os.makedirs(directory, exist_ok=True)

    # -- audits -------------------------------------------------------------

    def check(self):
        broken = self.audits.broken()
        if broken:
            raise AuditBroken(broken)

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.check()
            time.sleep(min(0.2, max(0, end - time.monotonic())))

    def until(self, predicate, seconds, what):
        """Wait for predicate() to be true; fail saying `what` when it is not in time."""
        end = time.monotonic() + seconds
        while True:
            self.check()
            value = predicate()
            if value:
                return value
            if time.monotonic() > end:
                raise ScenarioFailed("not within %ss: %s" % (seconds, what))
            time.sleep(0.2)

    def expect(self, condition, message):
        self.check()
        if not condition:
            raise ScenarioFailed(message)

    def note(self, text):
        self.notes.append(text)

    # -- faults and recovery clock -------------------------------------------

    def fault(self, path, **params):
        """Inject a fault through the lab's control API; the first starts the clock."""
        self.start_clock()
        return self.lab.fault(path, **params)

    def start_clock(self):
        if self.fault_at is None:
            self.fault_at = time.monotonic()

    def recovered(self):
        """The hierarchy serves again: stop the clock (first call wins)."""
        if self.recovered_at is None and self.fault_at is not None:
            self.recovered_at = time.monotonic()

    def time_to_recover(self):
        if self.fault_at is None or self.recovered_at is None:
            return None
        return round(self.recovered_at - self.fault_at, 1)

    def result_so_far(self):
        return {"scenario": self.name, "notes": self.notes, "runs": [r.args for r in self.runs]}

    def on_cleanup(self, func):
        self.cleanups.append(func)

    # -- playbooks ------------------------------------------------------------

    def env(self, controller=None):
        state = self.controller_dir(controller)
        return ansible_env(state, ANSIBLE_LOG_PATH=os.path.join(state, "ansible.log"),
                           VIGIL_HA_LEDGER=os.path.join(state, "ledger.jsonl"))

    def controller_dir(self, controller=None):
        """The state directory (lock, ledger) of a controller: this scenario's, or another's."""
        if controller is None:
            return self.dir
        if controller not in self.controllers:
            self.controllers[controller] = os.path.join(self.dir, "controller-" + controller)
            os.makedirs(self.controllers[controller], exist_ok=True)
        return self.controllers[controller]

    def ledger_lines(self, path=None):
        """The lines of a ledger (this scenario's controller's by default), in the lab's names."""
        path = path or self.ledger
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(self.lab.cluster.to_lab(line)) for line in f if line.strip()]

    def ledgers(self):
        """{path: lines} of every controller's ledger."""
        paths = [self.ledger] + [os.path.join(d, "ledger.jsonl") for d in self.controllers.values()]
        return dict((p, self.ledger_lines(p)) for p in paths)

    def start_playbook(self, name, *extra, inventory=None, vcenter_vars=None, on_line=None, hierarchy=HIERARCHY,
                       controller=None):
        """Start `ansible-playbook vigil.ha.NAME` (verbose, as a log would keep
        it); returns (Run, wait) where wait() finishes it. on_line(run, line,
        proc) sees every output line as it comes (to time a fault on a step).
        controller: run it as another controller would (its own lock and ledger)."""
        cluster = self.lab.cluster
        ours = inventory is None and hierarchy == HIERARCHY   # the suite's cluster: its names, its group
        args = ["-v", "-i", cluster.inventory if ours else inventory or self.lab.inventory,
                "-e", "@" + (vcenter_vars or self.lab.vars_file),
                "-e", "hierarchy=" + (cluster.hierarchy if ours else hierarchy)] + (
                    cluster.extra_args(extra) if ours else list(extra))
        run = Run(name, args, hierarchy)
        run.ledger = os.path.join(self.controller_dir(controller), "ledger.jsonl")
        self.check()
        run.ledger_before = len(self.ledger_lines(run.ledger))
        run.started = time.monotonic()
        proc = subprocess.Popen([ANSIBLE_PLAYBOOK, "vigil.ha." + name] + args, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=cluster.env(self.env(controller)), cwd=REPO,
                                start_new_session=True)
        self.runs.append(run)
        run.pgid = proc.pid
        lines = []

        def reader():
            for line in proc.stdout:
                line = cluster.to_lab(line)   # the scenarios read the lab's names
                lines.append(line)
                if on_line:
                    on_line(run, line, proc)
        thread = threading.Thread(target=reader, daemon=True)
        thread.start()

        def wait(timeout=600):
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill(proc)
                proc.wait()
                run.killed = True
            thread.join(10)
            run.rc, run.out, run.ended = proc.returncode, "".join(lines), time.monotonic()
            run.ledger_after = len(self.ledger_lines(run.ledger))
            path = os.path.join(self.dir, "run-%02d-%s.out" % (len(self.runs), name))
            with open(path, "w", encoding="utf-8") as f:
                f.write("# ansible-playbook vigil.ha.%s %s\n# rc=%s%s\n%s" % (
                    name, " ".join(args), run.rc, " (killed)" if run.killed else "", run.out))
            return run
        return run, wait

    def playbook(self, name, *extra, **kw):
        return self.start_playbook(name, *extra, **kw)[1]()

    # -- the watcher ------------------------------------------------------------

    def watcher(self, variables=None, cluster=None, controller=None):
        """Start the watcher: the real ansible-rulebook with vigil.ha.auto_failover
        and the source vigil.ha.health on the suite's cluster (shared data
        directory; or `cluster`, the host-mode one), with this scenario's
        ledger and locks. It is stopped (its
        whole process group) when the scenario ends, pass or fail, and every
        playbook run it made becomes a Run for the audits. controller: the
        watcher runs as another controller (controller_dir: its own ledger and
        locks), as a second, redundant watcher on another machine would."""
        self.check()
        name = "watcher-%d" % len(self.watchers)
        state = self.controller_dir(controller)
        own = self.lab.cluster
        # Without ANSIBLE_LOG_PATH, as in the lab's own runs: ansible-rulebook reads the inventory with
        # ansible-inventory --list, which writes every variable, vCenter's password too, to a log_path (docs/eda.md).
        user_env = dict((k, v) for k, v in own.env(self.env(controller)).items() if k != "ANSIBLE_LOG_PATH")
        if cluster is None and own.renamed:   # a user's inventory: the watcher gets a copy of it and its group
            rulebook = ChaosRulebook(own, pathlib.Path(self.dir), name=name, state_dir=state,
                                     inventory=own.watcher_inventory(os.path.join(self.dir, name)),
                                     variables=dict({"vigil_ha_cluster_group": own.group}, **(variables or {})),
                                     user_environment=user_env if own.collections else None)
        else:
            rulebook = ChaosRulebook(own, pathlib.Path(self.dir), name=name, state_dir=state,
                                     cluster=cluster or own.inventory, variables=variables,
                                     user_environment=user_env if own.collections else None)
        self.watchers.append(rulebook)
        self.on_cleanup(lambda: self.stop_watcher(rulebook))
        return rulebook

    def stop_watcher(self, rulebook):
        """Stop (or, after a kill, just collect) a watcher; its playbook runs join self.runs once."""
        rulebook.stop()
        if rulebook in self.collected:
            return
        self.collected.append(rulebook)
        for out in playbook_outputs(rulebook.output()):
            run = Run("watcher: " + out[len("PLAY ["):out.index("]")],
                      ["(run by %s)" % os.path.basename(str(rulebook.dir))])
            run.ledger = rulebook.ledger_path   # its watcher's (a second watcher's own: controller=)
            run.out = out
            run.killed = "PLAY RECAP" not in out   # killed with the watcher: no decision to expect
            run.rc = -9 if run.killed else 2 if re.search(r"\b(failed|unreachable)=[1-9]", out.split(
                "PLAY RECAP", 1)[1]) else 0
            self.runs.append(run)


LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def playbook_outputs(text):
    """The output of each playbook run in a watcher's log, in order: from its
    PLAY line to its recap's line for localhost (a killed run has no recap).
    The log lines of the source and of ansible-rulebook in between (they
    start with a time) are left out; the copy of a failed run's output that
    ansible-rulebook logs after it is not a run."""
    out, inside, recap, echo, previous = [], False, False, False, ""
    for line in text.splitlines(True):
        if line.startswith("PLAY [") and not inside:
            echo = "run_playbook - ERROR - " in previous
            out.append("")
            inside, recap = True, False
        if inside and not LOG_LINE.match(line):
            out[-1] += line
            inside = not recap   # the line after PLAY RECAP (localhost's counts) ends the run
            recap = line.startswith("PLAY RECAP")
            if echo and not inside:
                out.pop()
        if line.strip():
            previous = line
    return out


def kill(proc):
    """SIGKILL a run and everything it started (its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def result_row(ctx, outcome, detail, audits, problems, duration, budget):
    return {"scenario": ctx.name, "outcome": outcome, "detail": detail, "audits": audits,
            "problems": problems, "time_to_recover": ctx.time_to_recover(), "duration": round(duration, 1),
            "budget": budget, "runs": ["%s %s rc=%s" % (r.name, " ".join(a for a in r.args if a.startswith(
                ("target=", "failed_node=", "expected_generation=", "resource=", "--check"))), r.rc)
                for r in ctx.runs], "notes": [n for n in ctx.notes if n]}
