# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audits: safety properties checked every second while a scenario
runs (the first break fails it at once) and once more when it ends.

  single_owner   at most one node holds the virtual IP or runs the service
                 (a hung node counts: it resumes serving unless fenced)
  generation     vCenter's generation never decreases; every step that ran
                 carried the generation that was current
  writes         every write the client saw acknowledged is on the node that
                 serves at the end (the data directory is shared, see lab.py)
  secrets        the vCenter password (a canary; in host-mode scenarios the
                 BMC's too) is in no output, log, ledger line, vCenter event
                 or result
  ledger         every decision, including each decision not to act, is in
                 the ledger
  sessions       vCenter's sessions return to their count before the scenario

and, for the host-mode scenarios (scenarios/hosts.py, hierarchy erp):

  erp_generation the generation audit for erp
  erp_vms        each of erp's VMs runs on one host at most: a hung host's
                 VMs count as running until the host is seen powered off
                 (vCenter cannot see them stop), so a start elsewhere before
                 the fence confirmed it breaks the audit; on a new host a VM
                 runs only once the VMs it depends on run there; and every
                 run's VM starts come after its fence, in dependency order

Each audit has start(ctx), sample() -> problem or None, finish(ctx) -> problems.
The generation and sessions audits read vCenter with the collection's own
client (one session held for the scenario, logged out at the end)."""
from __future__ import annotations

import collections
import datetime
import glob
import json
import os
import re
import threading
import time

from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateStore
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import VsphereClient
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations
from lab import nodes
from target import HIERARCHY, HOST_DEPENDS, HOST_HIERARCHY, HOST_VMS


def client(lab, timeout=5):
    v = lab.vars
    return VsphereClient(v["vcenter_hostname"], v["vcenter_username"], v["vcenter_password"],
                         port=v["vcenter_port"], ca_path=v["vcenter_ca_path"], timeout=timeout)


def session_count(lab):
    """Sessions open in vCenter, not counting the one that asks."""
    with client(lab) as c:
        return len(c.content.sessionManager.sessionList) - 1


class Audit(object):
    name = "audit"

    def start(self, ctx):
        pass

    def sample(self):
        return None

    def finish(self, ctx):  # pylint: disable=unused-argument
        return []


class SingleOwner(Audit):
    name = "single_owner"

    def __init__(self, lab):
        self.lab = lab
        self.seen = set()

    def sample(self):
        serving = self.lab.serving()
        self.seen.update(serving)
        if len(serving) > 1:
            return "%s served by %d nodes at once: %s" % (HIERARCHY, len(serving), serving)
        return None

    def finish(self, ctx):
        problem = self.sample()
        return [problem] if problem else []


class Generation(Audit):
    name = "generation"

    def __init__(self, lab, hierarchy=HIERARCHY):
        self.lab, self.hierarchy = lab, hierarchy
        if hierarchy != HIERARCHY:
            self.name = "%s_generation" % hierarchy
        self.client = None
        self.series = []   # (utc time of the read, generation, owner)
        self.lock = threading.Lock()   # the sampler and the scenario share the session

    def start(self, ctx):
        self.client = client(self.lab)
        self.series = []
        self.sample()

    def read(self):
        with self.lock:
            cluster = self.lab.cluster
            name = cluster.hierarchy if self.hierarchy == cluster.lab_hierarchy else self.hierarchy
            state = StateStore(RootAnnotations(self.client)).read(name)
        return state["generation"], self.lab.cluster.to_lab(state["owner"]) if state["owner"] else state["owner"]

    def sample(self):
        try:
            generation, owner = self.read()
        except Exception:  # pylint: disable=broad-except
            return None   # vCenter down or slow: nothing seen, nothing to judge
        now = datetime.datetime.now(datetime.timezone.utc)
        last = self.series[-1][1] if self.series else None
        self.series.append((now, generation, owner))
        if last is not None and generation < last:
            return "generation of %s went down from %s to %s" % (self.hierarchy, last, generation)
        return None

    def committed_twice(self, ledgers):
        """Each move (a new owner and generation) is committed by one run, whatever
        the controllers: a second run that records a move of the same generation
        as done wrote past the compare-and-set."""
        done = collections.Counter()
        for lines in ledgers.values():
            moving = set()
            for line in lines:
                if line.get("hierarchy", HIERARCHY) != self.hierarchy:
                    continue
                plan = line.get("result") if isinstance(line.get("result"), dict) else {}
                if line.get("decision") == "act" and plan.get("generation") != plan.get("generation_before"):
                    moving.add((line.get("action"), line.get("generation")))
                elif line.get("decision") == "done" and (line.get("action"), line.get("generation")) in moving:
                    done[line.get("generation")] += 1
        return ["%s's move to generation %s was committed by %d runs" % (self.hierarchy, g, n)
                for g, n in sorted(done.items()) if n > 1]

    def current(self):
        return self.series[-1][1:] if self.series else (None, None)

    def finish(self, ctx):
        ledgers = ctx.ledgers()   # read once: every controller's ledger
        problems = [p for p in [self.sample()] if p] + self.committed_twice(ledgers)
        for lines, i, line in [(lines, i, line) for lines in ledgers.values() for i, line in enumerate(lines)]:
            if line.get("decision") != "act" or line.get("hierarchy", HIERARCHY) != self.hierarchy:
                continue
            gen = line.get("generation")
            steps = (line.get("result") or {}).get("steps") or []
            stale = [s for s in steps if s.get("generation") != gen]
            if stale:
                problems.append("%s act at %s: steps carry %s, not the plan's generation %s"
                                % (line["action"], line["time"], [s.get("generation") for s in stale], gen))
            before = (line.get("inputs") or {}).get("generation")
            if stopped_stale(line, lines[i + 1:]):
                continue   # recorded late by a run that then found itself stale and did nothing more
            at = parse_time(line["time"])
            newer = [g for t, g, dummy in self.series if t <= at and before is not None and g > int(before)]
            if newer:
                problems.append("%s act at %s planned from generation %s while vCenter already held %d"
                                % (line["action"], line["time"], before, max(newer)))
        if self.client:
            self.client.close()
            self.client = None
        return problems


def stopped_stale(act, after):
    """Whether the run of this act recorded, in the lines of its ledger after it, that it was stale."""
    for line in after:
        if line.get("action") == act.get("action") and line.get("generation") == act.get("generation"):
            return line.get("decision") == "refused: stale"
    return False


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Writes(Audit):
    """A client writing numbered records through the virtual IP."""
    name = "writes"

    def __init__(self, lab, interval=0.25):
        self.lab, self.interval = lab, interval
        self.acked, self.next, self.stop = {}, 1, threading.Event()
        self.thread = None

    def start(self, ctx):
        # Numbers unique across scenarios: the shared log outlives them.
        self.acked, self.next = {}, int(time.time() * 1000) * 1000
        self.stop.clear()
        self.thread = threading.Thread(target=self.writer, daemon=True)
        self.thread.start()

    def writer(self):
        while not self.stop.is_set():
            n = self.next
            self.next += 1
            answer = self.lab.http("/write?n=%d" % n, method="POST", timeout=2)
            if isinstance(answer, dict) and answer.get("ok") and answer.get("n") == n:
                self.acked[n] = answer.get("node")
            self.stop.wait(self.interval)

    def finish(self, ctx):
        self.stop.set()
        if self.thread:
            self.thread.join(5)
        if not self.acked:
            return ["no write was acknowledged at all: the client never reached %s" % HIERARCHY]
        answer = None
        end = time.monotonic() + 30
        while time.monotonic() < end and not isinstance(answer, dict):
            answer = self.lab.http("/writes", timeout=3)
            time.sleep(0.5)
        if not isinstance(answer, dict):
            return ["nothing serves %s at the end: %d acknowledged writes cannot be checked" % (HIERARCHY, len(self.acked))]
        owner = ctx.audits.owner()
        problems = []
        if owner and answer["node"] != owner:
            problems.append("%s answers on the virtual IP but vCenter names %s the owner" % (answer["node"], owner))
        lost = sorted(set(self.acked) - set(answer["writes"]))
        if lost:
            problems.append("%d acknowledged writes missing on %s, e.g. %s (acknowledged by %s)"
                            % (len(lost), answer["node"], lost[:3], self.acked[lost[0]]))
        ctx.note("%d writes acknowledged (by %s), checked on %s" % (
            len(self.acked), ", ".join(sorted(set(map(str, self.acked.values())))), answer["node"]))
        return problems


class Secrets(Audit):
    name = "secrets"

    def __init__(self, lab):
        self.lab = lab

    def texts(self, ctx):
        """(where, text) of everything a user or an admin could read."""
        for run in ctx.runs:
            yield "output of %s" % run.name, run.out
        for path in glob.glob(os.path.join(ctx.dir, "*")):
            if os.path.isfile(path) and not path.endswith(".json"):
                with open(path, encoding="utf-8", errors="replace") as f:
                    yield os.path.basename(path), f.read()
        bmc_log = os.path.join(nodes.LAB_ROOT, "default", "bmc.log")
        if os.path.isfile(bmc_log):
            with open(bmc_log, encoding="utf-8", errors="replace") as f:
                yield "the lab's BMC log", f.read()
        for name in ("node1", "node2", "node3"):
            node = nodes.node_named(name)
            for path in glob.glob(os.path.join(node.run, "*.log")) + [node.app_log, node.sshd_log]:
                if os.path.isfile(path):
                    with open(path, encoding="utf-8", errors="replace") as f:
                        yield path, f.read()
        try:
            with client(self.lab) as c:
                events = RootAnnotations(c).query_events("", 1000)
            yield "vCenter events", json.dumps(events)
        except Exception as e:  # pylint: disable=broad-except
            yield "vCenter events (unreadable: %s)" % type(e).__name__, ""
        yield "scenario result", json.dumps(ctx.result_so_far())

    def finish(self, ctx):
        canaries = [c for c in ctx.canaries if c]
        problems = []
        for where, text in self.texts(ctx):
            for canary in canaries:
                if canary in text:
                    vcenter = canary == getattr(self.lab, "password", canary)
                    problems.append("a %s password (canary) appears in %s" % ("vCenter" if vcenter else "BMC", where))
        return sorted(set(problems))


REFUSED = re.compile(r"refused \((\w+)\)")


class Ledger(Audit):
    name = "ledger"

    def finish(self, ctx):
        problems = []
        for run in ctx.runs:
            lines = ctx.ledger_lines(run.ledger)
            if run.killed or run.rc is None or "--check" in run.args or run.name in ("status", "fence", "validate"):
                continue
            if refused_by_validator(run):
                continue  # bad configuration: refused before any decision, nothing ran
            # Concurrent runs interleave their lines: look at every line
            # written from this run's start to the end of the scenario.
            decisions = [entry.get("decision", "") for entry in lines[run.ledger_before:]]
            for code in sorted(set(REFUSED.findall(run.text))):
                if "refused: %s" % code not in decisions:
                    problems.append("%s said refused (%s), but the ledger has no such decision (has %s)"
                                    % (run.name, code, decisions))
            # A watcher's run that stopped for an operator ends without failing (vigil_ha_refusal_as_result):
            # its result is the rulebook's wait_for_operator line; one refused (a replayed, stale event)
            # too: its refusal, checked in the ledger above.
            if run.rc == 0 and "done" not in decisions and "wait_for_operator" not in decisions \
                    and not REFUSED.search(run.text):
                problems.append("%s succeeded, but the ledger records no result" % run.name)
            if not decisions:
                problems.append("%s (rc=%s) left no decision in the ledger: %s" % (run.name, run.rc, last_words(run)))
        return problems


def refused_by_validator(run):
    return any(chunk.startswith(("Validate nodes and hierarchies]", "Check that the cluster group has hosts]"))
               and "fatal:" in chunk for chunk in run.text.split("TASK [")[1:])


def last_words(run):
    msgs = re.findall(r'"msg": "([^"]{0,300})', run.out)
    return msgs[-1] if msgs else run.text[-300:]


class Sessions(Audit):
    name = "sessions"

    def __init__(self, lab):
        self.lab = lab
        self.before = None

    def start(self, ctx):
        try:
            self.before = session_count(self.lab)
        except Exception:  # pylint: disable=broad-except
            self.before = None

    def finish(self, ctx):
        if self.before is None:
            return ["vCenter sessions could not be counted before the scenario"]
        allowed = self.before + ctx.session_allowance
        now = None
        end = time.monotonic() + 15
        while time.monotonic() < end:
            now = session_count(self.lab)
            if now <= allowed:
                break
            time.sleep(1)
        if now > allowed:
            return ["vCenter has %d sessions, %d before the scenario%s" % (
                now, self.before, " (+%d allowed: %s)" % (ctx.session_allowance, ctx.allowance_reason)
                if ctx.session_allowance else "")]
        return []


STEP_DONE = re.compile(r"TASK \[Step \d+: ([^\]]+)\] \**\s*(?:changed|ok)")
VM_START = re.compile(r"start VM (\S+) on (\S+)")


class HostVms(Audit):
    """erp's VMs in the lab (the simulator's records and the hosts' power),
    every second: see the module's docstring."""
    name = "erp_vms"

    def __init__(self, lab):
        self.lab = lab
        self.home, self.off_seen = {}, set()

    def start(self, ctx):
        self.off_seen = set()
        running = self.running()
        self.home = dict((r, sorted(hosts)[0]) for r, hosts in running.items() if len(hosts) == 1)

    def running(self):
        """{resource: hosts it runs on}. The VMs are read before the hosts:
        a host seen off after its VM was seen on is newer news, never older."""
        vms = self.lab.host_vms()
        hosts = self.lab.hosts()
        self.off_seen.update(h for h, (dummy, power) in hosts.items() if power == "poweredOff")
        out = {}
        for resource, copies in vms.items():
            on = set(c["host"] for c in copies if c["power_state"] == "poweredOn"
                     and hosts.get(c["host"], ("", ""))[1] != "poweredOff")
            home = self.home.get(resource)
            # A host that stopped responding keeps running what it ran, whatever
            # vCenter's frozen record says, until it is seen powered off.
            if home and home not in self.off_seen and hosts.get(home, ("",))[0] != "connected" and not [
                    c for c in copies if c["host"] == home and c["power_state"] == "poweredOff"]:
                on.add(home)
            out[resource] = on
        return out

    def sample(self):
        try:
            running = self.running()
        except Exception:  # pylint: disable=broad-except
            return None   # the lab's control API busy: nothing seen, nothing to judge
        for resource, hosts in sorted(running.items()):
            if len(hosts) > 1:
                return "%s runs on %d hosts at once: %s (a host not seen off counts)" % (
                    resource, len(hosts), sorted(hosts))
            for host in hosts - {self.home.get(resource)}:
                missing = [d for d in HOST_DEPENDS.get(resource, []) if host not in running.get(d, ())]
                if missing:
                    return "%s runs on %s before %s, which it depends on" % (resource, host, ", ".join(missing))
        return None

    def finish(self, ctx):
        problems = [p for p in [self.sample()] if p]
        for run in ctx.runs:
            steps = STEP_DONE.findall(run.out)
            starts = [(i, m.group(1), m.group(2)) for i, m in ((i, VM_START.match(s)) for i, s in enumerate(steps)) if m]
            if not starts or not [r for r in HOST_VMS if any(name == r for dummy, name, dummy2 in starts)]:
                continue
            fences = [i for i, step in enumerate(steps) if step.startswith("fence ")]
            if "failover" in run.name and (not fences or fences[0] > starts[0][0]):
                problems.append("%s started %s before any fence" % (run.name, starts[0][1]))
            order = [name for dummy, name, dummy2 in starts]
            for resource, deps in HOST_DEPENDS.items():
                for dep in deps:
                    if resource in order and dep in order and order.index(dep) > order.index(resource):
                        problems.append("%s started %s before %s, which it depends on" % (run.name, resource, dep))
        return problems


class Audits(object):
    """All audits of one scenario, sampled every second on a thread."""

    def __init__(self, lab, interval=1.0, host=False):
        self.single = SingleOwner(lab)
        self.gen = Generation(lab)
        self.all = [self.single, self.gen, Writes(lab), Secrets(lab), Ledger(), Sessions(lab)]
        if host:   # a host-mode scenario: erp is watched as closely as web
            self.all += [Generation(lab, HOST_HIERARCHY), HostVms(lab)]
        self.interval = interval
        self.problems = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = []

    def start(self, ctx):
        self.problems = {}
        # Sessions are counted before the generation audit opens its own.
        order = sorted(self.all, key=lambda a: a.name != "sessions")
        for audit in order:
            audit.start(ctx)
        self.stop.clear()
        # One sampler per audit: a slow vCenter must not delay the others.
        self.threads = [threading.Thread(target=self.loop, args=(a,), daemon=True) for a in self.all]
        for thread in self.threads:
            thread.start()

    def loop(self, audit):
        while not self.stop.wait(self.interval):
            problem = audit.sample()
            if problem:
                with self.lock:
                    self.problems.setdefault(audit.name, []).append(problem)

    def broken(self):
        with self.lock:
            return "; ".join("%s: %s" % (k, v[0]) for k, v in self.problems.items())

    def owner(self):
        return self.gen.current()[1]

    def finish(self, ctx):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)
        # Sessions last: the generation audit logs out first.
        for audit in sorted(self.all, key=lambda a: a.name == "sessions"):
            try:
                found = audit.finish(ctx)
            except Exception as e:  # pylint: disable=broad-except
                found = ["could not be checked: %s: %s" % (type(e).__name__, e)]
            if found:
                self.problems.setdefault(audit.name, []).extend(found)
        return dict((a.name, not self.problems.get(a.name)) for a in self.all)
