"""Benchmark: detection latency, from a VM powered off in the simulator to
the event in the real ansible-rulebook.

The lab "default" (python3 -m lab start) runs; ansible-rulebook runs
bench/rulebooks/record.yml (the vigil.ha.health source, one rule that prints
every event) on the lab's cluster. Each cycle: note the time, POST
vms/NODE/crash, wait for the printed event `vm NODE ... -> failed`, note
when its line appeared in the rulebook's output (the file is tailed every
5 ms), POST vms/NODE/poweron, wait for `-> ok`. Per cycle three figures:

  rulebook_s  crash request sent -> the rule's print_event line written
  source_s    crash request sent -> the event's own `time` (the source saw it)
  recovery_ok_s  poweron sent -> the `ok` event line (for information)

Results: a table on stderr and bench/results/detection.json.

  .venv/bin/python bench/detection.py [--cycles 20] [--node node2]
"""
import argparse
import ast
import json
import os
import statistics
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
from lab.rulebook import Rulebook
from lab.runs import Lab
from lab.wait import parse_time
from health_read import log, result_record, utc_now

RESULTS = os.path.join(HERE, "results", "detection.json")
GOAL_S = 1.0


class Tail(threading.Thread):
    """Stamps every new line of a growing file with the time it was read."""

    def __init__(self, path, every=0.005):
        super().__init__(daemon=True)
        self.path, self.every = path, every
        self.lines = []
        self._halt = threading.Event()

    def run(self):
        with open(self.path, encoding="utf-8", errors="replace") as f:
            partial = ""
            while not self._halt.is_set():
                chunk = f.read()
                now = time.time()
                if chunk:
                    partial += chunk
                    *done, partial = partial.split("\n")
                    self.lines.extend((now, line) for line in done)
                else:
                    self._halt.wait(self.every)

    def stop(self):
        self._halt.set()
        self.join(5)

    def event(self, since, name, to, subject="vm"):
        """(line time, event) of the first printed event about ``subject`` ``name`` going ``to``, read after ``since``."""
        for stamp, line in list(self.lines):
            if stamp < since or "'vigil_ha'" not in line:
                continue
            try:
                event = ast.literal_eval(line.strip())["vigil_ha"]
            except (ValueError, SyntaxError, KeyError, TypeError):
                continue
            if event["type"] == subject and event["name"] == name and event["to"] == to:
                return stamp, event
        return None


def wait(tail, since, name, to, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = tail.event(since, name, to)
        if found:
            return found
        time.sleep(0.01)
    raise RuntimeError("no event %s -> %s within %ss" % (name, to, seconds))


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "p90": sorted(values)[int(round(0.9 * (len(values) - 1)))], "mean": statistics.mean(values)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--node", default="node2", help="the VM crashed (a node of the lab's cluster)")
    args = parser.parse_args(argv)
    lab = Lab()
    started = utc_now()
    cycles = []
    with tempfile.TemporaryDirectory(prefix="vigil-bench-detect-") as work:
        watcher = Rulebook(work, name="watcher", rulebook=os.path.join(HERE, "rulebooks", "record.yml"),
                           state_dir=lab.state_dir, start=False)
        lab.control("vms/%s/poweron" % args.node)
        t0 = time.monotonic()
        watcher.start()
        log("ansible-rulebook watching after %.1fs" % (time.monotonic() - t0))
        tail = Tail(watcher.log_path)
        tail.start()
        try:
            time.sleep(2)
            for i in range(args.cycles):
                crash_at = time.time()
                lab.control("vms/%s/crash" % args.node)
                seen_at, event = wait(tail, crash_at, args.node, "failed")
                poweron_at = time.time()
                lab.control("vms/%s/poweron" % args.node)
                ok_at, _ok = wait(tail, poweron_at, args.node, "ok")
                cycle = {"rulebook_s": seen_at - crash_at, "source_s": parse_time(event["time"]) - crash_at,
                         "recovery_ok_s": ok_at - poweron_at, "reasons": event["reasons"]}
                cycles.append(cycle)
                log("cycle %2d: crash -> rule fired %.3fs (source %.3fs); poweron -> ok %.3fs"
                    % (i + 1, cycle["rulebook_s"], cycle["source_s"], cycle["recovery_ok_s"]))
                time.sleep(1)
        finally:
            tail.stop()
            watcher.stop()
            lab.control("vms/%s/poweron" % args.node)
    result = result_record(
        "detection",
        "VM crash in the govmomi simulator -> event printed by the real ansible-rulebook "
        "(bench/rulebooks/record.yml, source vigil.ha.health)",
        started, argv,
        settings={"cycles": args.cycles, "node": args.node, "tail_interval_s": 0.005, "goal_median_s": GOAL_S},
        summary={key: summary([c[key] for c in cycles]) for key in ("rulebook_s", "source_s", "recovery_ok_s")},
        cycles=cycles)
    result["goal_met"] = result["summary"]["rulebook_s"]["median"] < GOAL_S
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    s = result["summary"]
    log("crash -> rule fired: median %.3fs (min %.3f, p90 %.3f, max %.3f) over %d cycles; goal < %.1fs: %s"
        % (s["rulebook_s"]["median"], s["rulebook_s"]["min"], s["rulebook_s"]["p90"], s["rulebook_s"]["max"],
           len(cycles), GOAL_S, "met" if result["goal_met"] else "MISSED"))
    log("results: %s" % os.path.relpath(RESULTS))


if __name__ == "__main__":
    main()
