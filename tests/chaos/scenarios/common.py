# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small steps the scenarios share."""
from __future__ import annotations

import json
import os
import re
import signal
import threading

from lab import nodes
from target import PRIMARY


def generation(ctx):
    """(generation, owner) in vCenter now."""
    return ctx.audits.gen.read()


def app_pid(node):
    return nodes.read_pid(os.path.join(nodes.node_named(node).run, "web-app.pid"))


def signal_app(ctx, node, sig):
    pid = app_pid(node)
    ctx.expect(pid and nodes.alive(pid), "no web-app process on %s to signal" % node)
    ctx.start_clock()
    os.kill(pid, sig)
    return pid


def kill_app(ctx, node):
    signal_app(ctx, node, signal.SIGKILL)
    ctx.until(lambda: ctx.lab.who_serves() is None, 10, "the service stops answering after its crash")


def serves(ctx, node, seconds=30):
    """Wait until `node` answers on the virtual IP; stops the recovery clock."""
    ctx.until(lambda: ctx.lab.who_serves() == node, seconds, "%s answers on the virtual IP" % node)
    ctx.recovered()


def isolate(ctx, node):
    """Cut a node off every network (its VM stays on)."""
    ctx.start_clock()
    n = nodes.node_named(node)
    nodes.ip("link", "set", n.veth, "down")
    ctx.on_cleanup(lambda: nodes.ip("link", "set", n.veth, "up", check=False))


def moved(ctx, run, owner, gen):
    ctx.expect(run.rc == 0, "%s failed: %s" % (run.name, run.text[-400:]))
    ctx.expect(run.where() == (owner, gen), "%s ended at %s, expected %s" % (run.name, run.where(), (owner, gen)))


def refused(ctx, run, code):
    ctx.expect(run.rc != 0 and "refused (%s)" % code in run.text,
               "%s was not refused (%s): rc=%s %s" % (run.name, code, run.rc, run.text[-400:]))


def unchanged(ctx, gen, owner=PRIMARY):
    now = generation(ctx)
    ctx.expect(now == (gen, owner), "vCenter holds %s, expected %s unchanged" % (now, (gen, owner)))


def _resume(pgid):
    try:
        os.killpg(pgid, signal.SIGCONT)
    except ProcessLookupError:  # it ended: nothing left to resume
        pass


def frozen_run(ctx, name, args, task, what):
    """Start `ansible-playbook vigil.ha.NAME` as another controller (its own lock
    and ledger) and freeze it (SIGSTOP, its whole session) when its output
    reaches `task`'s banner; returns resume(), which lets it go on and
    gives its finished Run."""
    frozen = threading.Event()

    def freeze(run, line, proc):
        if not frozen.is_set() and task in line:
            os.killpg(proc.pid, signal.SIGSTOP)
            frozen.set()
    run, wait = ctx.start_playbook(name, *args, on_line=freeze, controller="a")
    ctx.on_cleanup(lambda: _resume(run.pgid))   # never leave it frozen
    ctx.until(frozen.is_set, 120, "the first controller reaches %s" % what)

    def resume():
        _resume(run.pgid)
        return wait()
    return resume


def steps_ran(run):
    """The plan's steps the run executed, in order: ["fence node1", "start web-vip on node2", ...]
    (a step that only confirmed an already-off VM counts too)."""
    return re.findall(r"TASK \[Step \d+: ([^\]]+)\] \**\s*(?:changed|ok)", run.text)


def status(ctx):
    """vigil.ha.status as JSON: {owner, generation, states {resource: {node: state}}}."""
    path = os.path.join(ctx.dir, "status-%d.json" % len(ctx.runs))
    run = ctx.playbook("status", "-e", "status_json=" + path)
    ctx.expect(run.rc == 0, "status failed: " + run.text[-300:])
    with open(path, encoding="utf-8") as f:
        h = json.load(f)["hierarchies"][0]
    h["states"] = dict((r["name"], r["states"]) for r in h["resources"])
    return h


def healthy_on(ctx, node):
    """What the controller observes says `node` serves web: nothing to fail over."""
    h = status(ctx)
    ctx.expect(h["owner"] == node and all(s.get(node) == "in_service" for s in h["states"].values()),
               "status sees a failure on %s: %s" % (node, h["states"]))
    return h
