"""Benchmark: the time to recover in each failure case of issue 14, medians over --runs runs.

The chaos suite's scenarios (tests/chaos) are the cases, with their own
clock (the fault injected -> the virtual IP answering again, from the
node the scenario expects) and all their audits, so that a fast but unsafe
run fails instead of counting:

  node_vm_crash     the owner's VM crashes -> failover to node2
  guest_hang        the owner hangs, its VM on -> fenced without being asked
                    (failed_node_gone, as the watcher runs it), failover
  active_isolated   the owner is cut off, its VM on -> asked first (as an
                    operator runs it), fenced, failover
  service_crash     the service is killed -> recovered in place

and, timed here, `switchover`: `vigil.ha.switchover -e target=<the other node>`
started -> the virtual IP answering from that node (a client asks it every
100 ms), alternating node1 and node2.

The scenarios run as the suite runs them: the failover or recovery playbook
is started at once (no watcher: its detection is bench/detection.py's and
bench/check_detection.py's). Results: bench/results/cases.json.

  PYTHONPATH=.build/collections:. .venv/bin/python bench/cases.py [--runs 10] [--cases guest_hang,switchover]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
from detection import summary
from lab.runs import Lab
from lab.vip import VipClient
from lab.wait import until
from health_read import log, result_record, utc_now

RESULTS = os.path.join(HERE, "results", "cases.json")
SCENARIOS = ("node_vm_crash", "guest_hang", "active_isolated", "service_crash")
# Issue 14's goals (medians in the lab), seconds.
GOALS = {"node_vm_crash": 4.0, "guest_hang": 10.0, "active_isolated": 10.0, "service_crash": 3.0, "switchover": 4.0}


def scenario_runs(name, runs):
    """``runs`` runs of one chaos scenario in one runner: each run's time to recover, or its failure."""
    with tempfile.TemporaryDirectory(prefix="vigil-bench-cases-") as work:
        out = os.path.join(work, "results.json")
        proc = subprocess.run([sys.executable, os.path.join(REPO, "tests", "chaos", "runner.py"), "--json", out]
                              + [name] * runs, cwd=REPO, capture_output=True, text=True, check=False)
        if not os.path.exists(out):
            raise RuntimeError("the chaos runner wrote no results:\n%s%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
        with open(out, encoding="utf-8") as f:
            results = json.load(f)["results"]
    times = [r["time_to_recover"] for r in results if r["outcome"] == "pass" and r["time_to_recover"] is not None]
    failures = [{"scenario": r["scenario"], "outcome": r["outcome"], "detail": r["detail"][:300]}
                for r in results if r["outcome"] != "pass"]
    return times, failures


def switchover_runs(runs):
    """``runs`` switchovers, alternating node2 and node1: started -> answering from the target."""
    lab = Lab()
    out = lab.checked("start", "-e", "target=node1")
    if "web is in service on node1" not in out:
        lab.checked("switchover", "-e", "target=node1")
    client = VipClient(lab.vip_url)
    client.start()
    times, playbook, failures = [], [], []
    try:
        until(lambda: client.samples and client.samples[-1][1] == "node1", 10)
        for i in range(runs):
            target = ("node2", "node1")[i % 2]
            started = time.time()
            rc, out = lab.playbook("switchover", "-e", "target=" + target)
            ended = time.time()
            answered = until(lambda: client.answered_by(target, started), 10)
            if rc != 0 or not answered:
                failures.append({"run": i + 1, "target": target, "rc": rc, "output": out[-1500:]})
                break
            times.append(answered - started)
            playbook.append(ended - started)
            log("switchover %d to %s: answering after %.2fs, playbook %.2fs" % (i + 1, target, times[-1], playbook[-1]))
    finally:
        client.stop()
    return times, failures, playbook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cases", default=",".join(SCENARIOS + ("switchover",)))
    args = parser.parse_args(argv)
    started = utc_now()
    cases = {}
    for name in [c for c in args.cases.split(",") if c]:
        if name == "switchover":
            times, failures, playbook = switchover_runs(args.runs)
        elif name in SCENARIOS:
            times, failures = scenario_runs(name, args.runs)
            playbook = None
        else:
            raise SystemExit("--cases: unknown case %s (known: %s, switchover)" % (name, ", ".join(SCENARIOS)))
        case = {"runs": times, "failures": failures, "goal_s": GOALS[name],
                "summary": summary(times) if times else None}
        if playbook:
            case["playbook_s"] = summary(playbook)
        case["goal_met"] = bool(times) and not failures and case["summary"]["median"] < GOALS[name]
        cases[name] = case
        log("%s: median %s over %d runs (%d failed); goal < %.0fs: %s" % (
            name, "%.2fs" % case["summary"]["median"] if times else "-", len(times), len(failures), GOALS[name],
            "met" if case["goal_met"] else "MISSED"))
    result = result_record("cases", "time to recover in each failure case (chaos scenarios, switchover)",
                           started, argv, settings={"runs": args.runs}, cases=cases)
    previous = {}
    if os.path.exists(RESULTS):
        with open(RESULTS, encoding="utf-8") as f:
            previous = json.load(f).get("cases", {})
    for name, case in previous.items():
        result["cases"].setdefault(name, case)  # a partial run keeps the other cases' last figures
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
