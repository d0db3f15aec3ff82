"""Benchmark: detection of a failed node-side resource (issue 14), from the
service killed on its node to the event in the real ansible-rulebook.

The lab "default" runs, with web in service on node1 (the bench starts it
there). ansible-rulebook runs bench/rulebooks/record.yml (the vigil.ha.health
source, one rule that prints every event) on the lab's cluster, web's
service `web-app` *without* its http check and with `check.interval` of
--interval seconds (default 2), so only the node-side check over SSH
(vigil.ha.app_health_info) can see it die. Before issue 14 those checks ran
every 30 s whatever check.interval said (about 35 s to detect).

Each cycle: wait a random fraction of the interval (--pause: of that many
seconds; the failure falls anywhere in the checks' period), note the time, SIGKILL the service's process, wait for the
printed event `resource web-app -> failed`, start the service again
(vigil.ha.resource over SSH) and wait for `-> in_service`. Figures per cycle:

  first_check_s  kill -> the source logs the first failed check (not told yet: confirmation)
  source_s       kill -> the event's own `time` (the failure confirmed by a second check)
  rulebook_s     kill -> the rule's print_event line written

Goal (issue 14): detected within check.interval + 1 s (first_check_s); the
confirmed event adds the confirming check (at most 1 s later, plus one SSH run).

Results: a table on stderr and bench/results/check_detection.json.

  .venv/bin/python bench/check_detection.py [--cycles 12] [--interval 2]
"""
import argparse
import json
import os
import random
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
from lab.nodes import NODES_DIR
from lab.paths import REPO
from lab.rulebook import Rulebook
from lab.runs import Lab
from lab.wait import parse_time
from detection import Tail, summary
from health_read import log, result_record, utc_now

RESULTS = os.path.join(HERE, "results", "check_detection.json")
FIRST_CHECK = "resource web-app of web on node1 failed (node check 1 of"


def cluster_without_http(lab, interval, path):
    with open(os.path.join(lab.dir, "cluster.yml"), encoding="utf-8") as f:
        text = f.read()
    cluster = json.loads(text[text.index("{"):])
    web = cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]
    app = next(r for r in web["resources"] if r["name"] == "web-app")
    app["check"] = {"interval": interval, "timeout": 1}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cluster, f)
    return app


def logged(tail, since, text):
    return next((stamp for stamp, line in list(tail.lines) if stamp >= since and text in line), None)


def wait(what, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = what()
        if found:
            return found
        time.sleep(0.01)
    raise RuntimeError("not seen within %ss" % seconds)


def kill_app(node="node1"):
    with open(os.path.join(NODES_DIR, node, "run", "web-app.pid"), encoding="utf-8") as f:
        os.kill(int(f.read()), 9)


def start_app(lab, inventory, app):
    args = json.dumps({"name": app["name"], "kind": app["kind"], "params": app["params"], "action": "start"})
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible"), "node1", "-i", inventory,
                           "-m", "vigil.ha.resource", "-a", args], capture_output=True, text=True, env=lab.env(),
                          cwd=REPO, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError("starting web-app again failed:\n%s" % (proc.stdout + proc.stderr)[-3000:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=12)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--pause", type=float, default=None,
                        help="longest random pause before a kill (default: the interval); the checks' real period "
                             "when they do not run on check.interval (30 s before issue 14)")
    args = parser.parse_args(argv)
    lab = Lab()
    started = utc_now()
    cycles = []
    lab.checked("start", "-e", "target=node1")
    with tempfile.TemporaryDirectory(prefix="vigil-bench-checks-") as work:
        cluster = os.path.join(work, "cluster.json")
        app = cluster_without_http(lab, args.interval, cluster)
        watcher = Rulebook(work, name="watcher", rulebook=os.path.join(HERE, "rulebooks", "record.yml"),
                           state_dir=lab.state_dir, cluster=cluster, start=False)
        watcher.start()
        tail = Tail(watcher.log_path)
        tail.start()
        try:
            time.sleep(2 * args.interval)
            for i in range(args.cycles):
                time.sleep(random.uniform(0, args.interval if args.pause is None else args.pause))
                killed_at = time.time()
                kill_app()
                seen_at, event = wait(lambda: tail.event(killed_at, "web-app", "failed", "resource"))
                first_at = logged(tail, killed_at, FIRST_CHECK)
                cycle = {"first_check_s": (first_at or seen_at) - killed_at,
                         "source_s": parse_time(event["time"]) - killed_at, "rulebook_s": seen_at - killed_at,
                         "reasons": event["reasons"]}
                cycles.append(cycle)
                log("cycle %2d: killed -> first failed check %.2fs, event %.2fs (printed %.2fs)"
                    % (i + 1, cycle["first_check_s"], cycle["source_s"], cycle["rulebook_s"]))
                restarted_at = time.time()
                start_app(lab, watcher.inventory, app)
                wait(lambda: tail.event(restarted_at, "web-app", "in_service", "resource"))
                time.sleep(1)
        finally:
            tail.stop()
            watcher.stop()
    goal = args.interval + 1
    result = result_record(
        "check_detection",
        "service killed on its node (no http/tcp check, check.interval %ss) -> event printed by the real "
        "ansible-rulebook (bench/rulebooks/record.yml, source vigil.ha.health)" % args.interval,
        started, argv,
        settings={"cycles": args.cycles, "interval_s": args.interval, "pause_max_s": args.pause or args.interval,
                  "confirm": 2, "goal_first_check_s": goal},
        summary={key: summary([c[key] for c in cycles]) for key in ("first_check_s", "source_s", "rulebook_s")},
        cycles=cycles)
    s = result["summary"]
    result["goal_met"] = s["first_check_s"]["median"] <= goal
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    log("killed -> first failed check: median %.2fs (max %.2f); confirmed event: median %.2fs (max %.2f); "
        "printed: median %.2fs; over %d cycles; goal first check <= %.1fs: %s"
        % (s["first_check_s"]["median"], s["first_check_s"]["max"], s["source_s"]["median"], s["source_s"]["max"],
           s["rulebook_s"]["median"], len(cycles), goal, "met" if result["goal_met"] else "MISSED"))
    log("results: %s" % os.path.relpath(RESULTS))


if __name__ == "__main__":
    main()
