# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo (`make demo`, after tools/demo.sh started the lab): the hierarchy
`web` is protected on node1 and node2, the watcher (ansible-rulebook with
vigil.ha.auto_failover) runs, a client asks the virtual IP every 100 ms, and
three things happen: the service dies on node1 (recovered in place), node1's
VM crashes (failover to node2), an operator switches back to node1. The
status table is printed after each step, the measured times at the end.
Everything is put back afterwards; the lab stays up."""
from __future__ import annotations

import os
import sys
import time

from lab.rulebook import Rulebook
from lab.runs import Lab
from lab.vip import VipClient
from lab.wait import parse_time, ssh_open, until

BOLD, END = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")


def say(text):
    print("\n%s== %s%s" % (BOLD, text, END), flush=True)


def note(text):
    print("   " + text, flush=True)


def show_status(lab):
    for line in lab.status_table():
        print("   " + line)


def where(out):
    found = [line for line in out.splitlines() if "web is in service on" in line]
    return found[-1].split("web is in service on", 1)[1].split()[0] if found else None


def everything_on(lab):
    lab.control("vcenter/start")
    for host in lab.vars["lab_hosts"]:
        lab.control("hosts/%s/recover" % host)
    for node in ("node1", "node2"):
        lab.control("vms/%s/poweron" % node)
    for node in lab.vars["lab_nodes"][:2]:
        until(lambda n=node: ssh_open(n["address"]), 30)


def recaps(watcher):
    return watcher.output().count("PLAY RECAP")


def measure(watcher, client, fault_at, event_match, answer_from, seconds):
    """Wait until the VIP answers from ``answer_from`` again; the times of the step."""
    back = until(lambda: client.answered_by(answer_from, fault_at), seconds)
    if not back:
        raise RuntimeError("the virtual IP did not answer from %s within %ss; see %s"
                           % (answer_from, seconds, watcher.log_path))
    event = until(lambda: next((e for e in watcher.events() if parse_time(e["time"]) >= fault_at - 1
                                and event_match(e)), None), 10)
    detected = parse_time(event["time"]) if event else None
    return {"detected_s": None if detected is None else detected - fault_at,
            "answering_s": None if detected is None else back - detected,
            "outage_s": back - fault_at, "failed": client.failed(fault_at, back), "total": client.total(fault_at, back),
            "event": event}


def report(name, step):
    event = step["event"]
    if event:
        reasons = "; ".join(event.get("reasons") or [])
        note("event: %s %s %s -> %s (%s) seen by %s"
             % (event["type"], event["name"], event["from"] or "-", event["to"], reasons, event["observer"]))
    note("failure -> detection %s, detection -> answering %s, %d of %d requests failed"
         % (secs(step["detected_s"]), secs(step["answering_s"]), step["failed"], step["total"]))
    step["name"] = name


def secs(value):
    return "n/a" if value is None else "%.2f s" % value


def main():
    lab = Lab()
    if not lab.vip_url:
        sys.exit("the lab has no nodes: python3 -m lab start")
    watcher = Rulebook(lab.dir, name="demo", state_dir=lab.state_dir, start=False)
    client = VipClient(lab.vip_url)
    steps = []
    try:
        say("1. Protecting the hierarchy web (virtual IP + demo service + http check) on node1, node2 standby")
        everything_on(lab)
        out = lab.checked("start", "-e", "target=node1")
        if where(out) != "node1":  # left elsewhere by an interrupted run
            out = lab.checked("switchover", "-e", "target=node1")
        note("ansible-playbook vigil.ha.start -e hierarchy=web -e target=node1: web is in service on %s" % where(out))
        show_status(lab)

        say("2. Starting the watcher: ansible-rulebook -r vigil.ha.auto_failover (source vigil.ha.health)")
        watcher.start()
        note("log: %s" % os.path.relpath(watcher.log_path))
        client.start()
        until(lambda: client.samples and client.samples[-1][1] == "node1", 10)
        note("a client asks http://%s every 100 ms; it is answered by %s"
             % (lab.vip_url.split("/")[2], client.samples[-1][1]))

        say("3. Killing the demo service on node1 (kill -9): the rulebook recovers it in place")
        runs = recaps(watcher)
        with open(os.path.join(lab.dir, "..", "nodes", "node1", "run", "web-app.pid"), encoding="utf-8") as f:
            pid = int(f.read())
        fault_at = time.time()
        os.kill(pid, 9)
        step = measure(watcher, client, fault_at,
                       lambda e: e["type"] == "resource" and e["resource"] == "web-app" and e["to"] == "failed",
                       "node1", 90)
        watcher.wait_for("PLAY RECAP", 120, count=runs + 1)
        report("service killed on node1, recovered in place", step)
        steps.append(step)
        show_status(lab)

        say("4. Crashing node1's VM (lab control API: POST vms/node1/crash): automatic failover to node2")
        runs = recaps(watcher)
        fault_at = time.time()
        lab.control("vms/node1/crash")
        step = measure(watcher, client, fault_at,
                       lambda e: e["node"] == "node1" and e["on_owner"] and e["to"] in ("failed", "unreachable"),
                       "node2", 120)
        watcher.wait_for("PLAY RECAP", 180, count=runs + 1)
        report("node1's VM crashed, failed over to node2", step)
        steps.append(step)
        show_status(lab)

        say("5. Switching back by hand: node1 powered on, then ansible-playbook vigil.ha.switchover -e target=node1")
        lab.control("vms/node1/poweron")
        until(lambda: ssh_open(lab.vars["lab_nodes"][0]["address"]), 60)
        healthy = until(lambda: lab.vm("node1").get("power_state") == "poweredOn", 30)
        note("node1 is powered on%s and answers on SSH" % ("" if healthy else " (not yet seen by vCenter)"))
        switch_at = time.time()
        out = lab.checked("switchover", "-e", "target=node1")
        done_at = time.time()
        until(lambda: client.samples[-1][1] == "node1", 10)
        failed = client.failed(switch_at, time.time())
        note("web is in service on %s; the switchover took %.1f s, %d client requests failed during it"
             % (where(out), done_at - switch_at, failed))
        show_status(lab)

        say("Measured")
        print("   %-46s %12s %12s %8s" % ("step", "to detection", "to answering", "failed"))
        for step in steps:
            print("   %-46s %12s %12s %5d/%d"
                  % (step["name"], secs(step["detected_s"]), secs(step["answering_s"]), step["failed"], step["total"]))
        print("   %-46s %12s %12s %5d/%d"
              % ("planned switchover back to node1", "-", secs(done_at - switch_at), failed,
                 client.total(switch_at, done_at)))
        note("to detection: from the fault to the event's time; to answering: from the event to the first answer on")
        note("the virtual IP; failed: client requests (every 100 ms, 1 s timeout) that got no answer.")
    finally:
        say("Cleaning up: watcher stopped, hierarchy stopped, VMs powered on")
        client.stop()
        watcher.stop()
        everything_on(lab)
        rc, out = lab.playbook("stop")
        note("ansible-playbook vigil.ha.stop: %s" % ("done" if rc == 0 else "FAILED, see below\n" + out[-3000:]))
    say("Done. The lab keeps running: 'make lab-status', 'make lab-stop'. Watcher log: %s"
        % os.path.relpath(watcher.log_path))


if __name__ == "__main__":
    main()
