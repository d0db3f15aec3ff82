"""Benchmark: recovery time, from node1's VM crashing to the virtual IP
answering from node2, with the real ansible-rulebook and vigil.ha.auto_failover.

The lab "default" runs. The hierarchy `web` is started on node1
(vigil.ha.start), the watcher runs (lab/rulebook.py: ansible-rulebook -r
vigil.ha.auto_failover, ansible.posix.profile_tasks on the playbooks it
runs), a client asks the virtual IP every 100 ms (1 s timeout). Each run:
POST vms/node1/crash, wait until the VIP answers from node2 and the failover
playbook ended; then put node1 back (poweron, SSH up) and switch back by hand
(vigil.ha.switchover -e target=node1) before the next run. Per run:

  recovery_s   crash request sent -> first answer from node2
  detection_s  crash request sent -> the event's time
  acting_s     event -> first answer from node2 (the failover playbook, started by the rulebook)
  failed       client requests without an answer in between

The watcher's copy of the cluster allows runs + 1 failovers in the policy's
window (the lab's allows 3 an hour, and budgets are counted from vCenter's events, reset at the start).

Results: bench/results/recovery.json (with the slowest tasks of each failover run).

  .venv/bin/python bench/recovery.py [--runs 5]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import time

HERE = os.path.dirname(os.path.abspath(__file__))
from detection import summary
from lab.budgets import reset_budgets
from lab.rulebook import Rulebook
from lab.runs import Lab
from lab.vip import VipClient
from lab.wait import parse_time, ssh_open, until
from health_read import log, result_record, utc_now

RESULTS = os.path.join(HERE, "results", "recovery.json")
GOAL_S = 10.0
# profile_tasks' summary lines: "Task name ------ 1.23s"
TASK_TIME = re.compile(r"^(.+?) -{3,} (\d+\.\d+)s\s*$")


def slowest_tasks(text, count=8):
    """The slowest tasks of the last profile_tasks summary in ``text``."""
    last = text.rsplit("PLAY RECAP", 1)[-1]
    found = [(m.group(1).strip(), float(m.group(2))) for m in map(TASK_TIME.match, last.splitlines()) if m]
    return sorted(found, key=lambda t: -t[1])[:count]


def node1_back(lab):
    lab.control("vms/node1/poweron")
    if not until(lambda: ssh_open(lab.vars["lab_nodes"][0]["address"]), 60):
        raise RuntimeError("node1 did not come back on SSH")
    out = lab.checked("switchover", "-e", "target=node1")
    if "web is in service on node1" not in out:
        raise RuntimeError("switchback failed:\n%s" % out[-3000:])


def bench_inventory(lab, workdir, runs):
    """The lab's cluster with a failover budget for every run (the lab's own allows 3 an hour)."""
    with open(os.path.join(lab.dir, "cluster.yml"), encoding="utf-8") as f:
        head, body = f.read().split("\n", 1)
    cluster = json.loads(body)
    for hierarchy in cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"]:
        hierarchy["policy"]["failover"]["max"] = runs + 1
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "cluster.yml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + "\n" + json.dumps(cluster))
    return path


def last_decision(lab):
    """The ledger's last line, shortened: why a run did not fail over."""
    path = os.path.join(lab.state_dir, "ledger.jsonl")
    with open(path, encoding="utf-8") as f:
        last = json.loads(f.read().strip().splitlines()[-1])
    return {"action": last["action"], "decision": last["decision"],
            "problems": ((last.get("inputs") or {}).get("observed") or {}).get("problems")}


def one_run(lab, watcher, client):
    runs = watcher.output().count("PLAY RECAP")
    crash_at = time.time()
    lab.control("vms/node1/crash")
    back = until(lambda: client.answered_by("node2", crash_at), 180)
    if not back:
        raise RuntimeError("no answer from node2 within 180 s; see %s" % watcher.log_path)
    watcher.wait_for("PLAY RECAP", 180, count=runs + 1)
    time.sleep(3)  # profile_tasks prints its summary after the recap
    event = next(e for e in watcher.events() if parse_time(e["time"]) >= crash_at - 1
                 and e["node"] == "node1" and e["on_owner"] and e["to"] in ("failed", "unreachable"))
    detected = parse_time(event["time"])
    return {"recovery_s": back - crash_at, "detection_s": detected - crash_at, "acting_s": back - detected,
            "failed": client.failed(crash_at, back), "event": "%s %s -> %s" % (event["type"], event["name"], event["to"]),
            "slowest_tasks": slowest_tasks(watcher.output())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    state = os.path.join(Lab().dir, "bench-recovery-state")
    shutil.rmtree(state, ignore_errors=True)  # the bench's own ledger: budgets start from zero
    lab = Lab(state_dir=state)
    reset_budgets(lab.vars, "bench: recovery.py")  # and unused budgets in vCenter
    started = utc_now()
    workdir = os.path.join(lab.dir, "bench-recovery")
    watcher = Rulebook(workdir, name="watcher", cluster=bench_inventory(lab, workdir + "-inventory", args.runs),
                       state_dir=lab.state_dir, start=False)
    client = VipClient(lab.vip_url)
    runs, failures = [], []
    try:
        for node in ("node1", "node2"):
            lab.control("vms/%s/poweron" % node)
        out = lab.checked("start", "-e", "target=node1")
        if "web is in service on node1" not in out:
            node1_back(lab)
        watcher.start(ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="all",
                      PROFILE_TASKS_SORT_ORDER="none")
        client.start()
        until(lambda: client.samples and client.samples[-1][1] == "node1", 10)
        for i in range(args.runs):
            try:
                run = one_run(lab, watcher, client)
            except RuntimeError as exc:  # kept as a result, never dropped
                failures.append({"run": i + 1, "error": str(exc), "decision": last_decision(lab)})
                log("run %d FAILED: %s" % (i + 1, failures[-1]))
                break
            runs.append(run)
            log("run %d: crash -> node2 answers %.2fs (detection %.2fs, acting %.2fs), %d requests failed"
                % (i + 1, run["recovery_s"], run["detection_s"], run["acting_s"], run["failed"]))
            node1_back(lab)
            until(lambda: client.samples[-1][1] == "node1", 10)
    finally:
        client.stop()
        watcher.stop()
        for node in ("node1", "node2"):
            lab.control("vms/%s/poweron" % node)
        lab.playbook("stop")
    result = result_record(
        "recovery",
        "VM crash of the owner node1 -> virtual IP answering from node2, real ansible-rulebook "
        "with vigil.ha.auto_failover, hierarchy web of the lab (ip + service + http check)",
        started, argv,
        settings={"runs": args.runs, "client_interval_s": 0.1, "client_timeout_s": 1.0, "goal_median_s": GOAL_S},
        summary={key: summary([r[key] for r in runs]) for key in ("recovery_s", "detection_s", "acting_s")},
        runs=runs,
        failures=failures)
    result["summary"]["failed_requests_median"] = statistics.median([r["failed"] for r in runs])
    result["goal_met"] = not failures and result["summary"]["recovery_s"]["median"] < GOAL_S
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    s = result["summary"]["recovery_s"]
    log("crash -> answering from node2: median %.2fs (min %.2f, max %.2f) over %d runs; goal < %.0fs: %s"
        % (s["median"], s["min"], s["max"], len(runs), GOAL_S, "met" if result["goal_met"] else "MISSED"))


if __name__ == "__main__":
    main()
