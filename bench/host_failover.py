"""Benchmark: host crash in host mode -> every VM of its hierarchy answering
on another host, under the running watcher (ansible-rulebook with
vigil.ha.auto_failover), nobody typing anything.

The lab "default" runs. The cluster is the lab's host-mode one
(cluster-host.yml): the hierarchy erp (erp-db, then erp-app which needs it,
two whole VMs) on esxi-03.lab, then esxi-02.lab; esxi-03.lab is fenced as a
real estate would fence it, vCenter first, then its BMC through a fence
agent (--agent, fence_ipmilan by default; the lab's BMC, lab/bmc.py).
Each run: erp in service on esxi-03.lab, then the host dies:

  crash   POST hosts/esxi-03.lab/crash?notice=60: the host and what runs on
          it go dark at once, vCenter marks it not responding only 60 s
          later (as a real vCenter does); the event source's own probe of
          the host sees it first. Used when the lab's simulator has it
          (tests/lab/vcsim/control.go).
  poweroff  POST hosts/esxi-03.lab/poweroff: vCenter sees the host off and
          not responding at once (the lab's older fault).

then the clock runs until every VM of erp is powered on, connected, with
its tools running and heartbeat green, once, on another host. Per run:

  recovery_s   fault sent -> every VM of erp answering on another host
  detection_s  fault sent -> the event source's host event (failed/unreachable)
  acting_s     host event -> every VM answering (fence, then the VM starts)

Between runs the host comes back (recover, the node VMs that ran there on
again) and erp is switched back by hand (vigil.ha.switchover). The
watcher's copy of the cluster allows runs + 1 failovers in the window.

Results: bench/results/host_failover.json, with the previous median beside.

  .venv/bin/python bench/host_failover.py [--runs 5] [--fault crash|poweroff] [--agent fence_redfish]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
from detection import summary
from lab.budgets import reset_budgets
from lab.rulebook import Rulebook
from lab.runs import Lab, playbook_argv
from lab.wait import parse_time, until
from fencing import options
from health_read import log, result_record, utc_now
from recovery import slowest_tasks

RESULTS = os.path.join(HERE, "results", "host_failover.json")
GOAL_S = 30.0
OWNER, STANDBY = "esxi-03.lab", "esxi-02.lab"
HIERARCHY = "erp"
NOTICE_S = 60  # a real vCenter marks a host not responding after about a minute


def crash_in_lab():
    """Whether the lab's simulator has the `crash` host fault."""
    with open(os.path.join(REPO, "tests", "lab", "vcsim", "control.go"), encoding="utf-8") as f:
        return 'case "fail", "crash":' in f.read()


def write_inventory(lab, path, runs, agent):
    """The lab's host-mode cluster, erp on OWNER then STANDBY, OWNER fenced vCenter first, then its BMC."""
    with open(lab.vars["lab_host_cluster_inventory"], encoding="utf-8") as f:
        text = f.read()
    cluster = json.loads(text[text.index("{"):])
    hierarchies = cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"]
    erp = [h for h in hierarchies if h["name"] == HIERARCHY][0]
    erp["nodes"] = [{"node": OWNER, "priority": 1}, {"node": STANDBY, "priority": 2},
                    {"node": "esxi-01.lab", "priority": 3}]
    erp["policy"]["failover"]["max"] = runs + 1
    cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"] = [erp]
    bmc = lab.vars["lab_bmcs"][OWNER]
    cluster["vigil_ha_cluster"]["vars"]["lab_bmc_password"] = bmc["password"]  # as from a vault
    cluster["vigil_ha_cluster"]["hosts"][OWNER]["vigil_ha_node"]["fencing"] = {"levels": [
        {"method": "vcenter_poweroff"},
        {"method": "fence_agent", "agent": agent, "timeout": 20, "password": "{{ lab_bmc_password }}",
         "options": options(bmc, agent)}]}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(cluster, f, indent=1)
    return path


def playbook(lab, inventory, name, *extra):
    cmd = playbook_argv(name, inventory, os.path.join(lab.dir, "vcenter.json"), HIERARCHY, *extra)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=lab.env(), cwd=REPO, timeout=600, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def erp_vms(lab):
    with open(lab.vars["lab_host_cluster_inventory"], encoding="utf-8") as f:
        text = f.read()
    cluster = json.loads(text[text.index("{"):])
    erp = [h for h in cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"] if h["name"] == HIERARCHY][0]
    uuids = set(r["params"]["uuid"] for r in erp["resources"])
    names = ["filler-%05d" % i for i in range(1, lab.vars["lab_fillers"] + 1)]
    found = {}
    for name in names:
        for vm in lab.control("vms?name=%s" % name, method="GET"):
            if vm["uuid"] in uuids:
                found[vm["uuid"]] = name
    return sorted(set(found.values()))


def answering_on(lab, names, host=None, not_host=None):
    """Every VM called one of ``names`` runs once, answering, on ``host`` (or on any host but ``not_host``)."""
    for name in names:
        on = [c for c in lab.control("vms?name=%s" % name, method="GET") if c["power_state"] == "poweredOn"]
        if len(on) != 1:
            return False
        c = on[0]
        if (host and c["host"] != host) or (not_host and c["host"] == not_host):
            return False
        if (c["connection"], c["tools"], c["heartbeat"]) != ("connected", "guestToolsRunning", "green"):
            return False
    return True


def node_vms_on(lab, host):
    """The lab's node VMs (node1..) that run on ``host``: to be powered on again after it comes back."""
    return [vm["moref"] for name in lab.vars["lab_vms"] for vm in lab.control("vms?name=%s" % name, method="GET")
            if vm["host"] == host and vm["power_state"] == "poweredOn"]


def erp_back(lab, inventory, names, node_vms):
    """OWNER up again, its node VMs on, erp in service there."""
    lab.control("hosts/%s/recover" % OWNER)
    for moref in node_vms:
        lab.control("vms/%s/poweron" % moref)
    if answering_on(lab, names, host=OWNER):
        return
    rc, out = playbook(lab, inventory, "switchover", "-e", "target=" + OWNER)
    if rc != 0 or not until(lambda: answering_on(lab, names, host=OWNER), 60):
        rc, out = playbook(lab, inventory, "start", "-e", "target=" + OWNER)
        if rc != 0 or not until(lambda: answering_on(lab, names, host=OWNER), 60):
            raise RuntimeError("erp is not back on %s:\n%s" % (OWNER, out[-3000:]))


def one_run(lab, watcher, names, fault):
    runs = watcher.output().count("PLAY RECAP")
    fault_at = time.time()
    lab.control("hosts/%s/%s" % (OWNER, fault) + ("?notice=%d" % NOTICE_S if fault == "crash" else ""))
    if not until(lambda: answering_on(lab, names, not_host=OWNER), 240):
        raise RuntimeError("erp's VMs not answering elsewhere within 240 s; see %s" % watcher.log_path)
    back = time.time()
    watcher.wait_for("PLAY RECAP", 180, count=runs + 1)
    time.sleep(3)  # profile_tasks prints its summary after the recap
    events = [e for e in watcher.events() if parse_time(e["time"]) >= fault_at - 1 and e.get("type") in ("host", "node")
              and e.get("name") == OWNER and e.get("to") in ("failed", "unreachable")]
    detected = parse_time(events[0]["time"]) if events else None
    return {"recovery_s": back - fault_at, "detection_s": detected - fault_at if detected else None,
            "acting_s": back - detected if detected else None,
            "event": "%s %s -> %s" % (events[0]["type"], events[0]["name"], events[0]["to"]) if events else None,
            "slowest_tasks": slowest_tasks(watcher.output())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fault", choices=("crash", "poweroff"), default="crash" if crash_in_lab() else "poweroff")
    parser.add_argument("--agent", default="fence_ipmilan", choices=("fence_ipmilan", "fence_redfish"))
    args = parser.parse_args(argv)
    state = os.path.join(Lab().dir, "bench-host-failover-state")
    shutil.rmtree(state, ignore_errors=True)  # the bench's own ledger: budgets start from zero
    lab = Lab(state_dir=state)
    reset_budgets(lab.vars, "bench: host_failover.py")  # and unused budgets in vCenter
    if "redfish" not in lab.vars.get("lab_bmcs", {}).get(OWNER, {}):
        sys.exit("the lab has no BMCs with a Redfish front: python3 -m lab stop, then start")
    try:
        with open(RESULTS, encoding="utf-8") as f:
            previous = json.load(f)
        previous = {"started": previous["started"], "fault": previous["settings"]["fault"],
                    "median_recovery_s": previous["summary"]["recovery_s"]["median"]}
    except (OSError, ValueError, KeyError):
        previous = None
    started = utc_now()
    workdir = os.path.join(lab.dir, "bench-host-failover")
    inventory = write_inventory(lab, os.path.join(workdir + "-inventory", "cluster.yml"), args.runs, args.agent)
    names = erp_vms(lab)
    for host in lab.vars["lab_hosts"]:
        lab.control("hosts/%s/recover" % host)
    node_vms = node_vms_on(lab, OWNER)
    watcher = Rulebook(workdir, name="watcher", cluster=inventory, state_dir=lab.state_dir, start=False)
    runs, failures = [], []
    try:
        erp_back(lab, inventory, names, node_vms)
        watcher.start(ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_TASK_OUTPUT_LIMIT="all",
                      PROFILE_TASKS_SORT_ORDER="none")
        for i in range(args.runs):
            try:
                run = one_run(lab, watcher, names, args.fault)
            except RuntimeError as exc:  # kept as a result, never dropped
                failures.append({"run": i + 1, "error": str(exc)})
                log("run %d FAILED: %s" % (i + 1, exc))
                break
            runs.append(run)
            log("run %d: %s -> erp answering on another host %.2fs (detection %s, acting %s)"
                % (i + 1, args.fault, run["recovery_s"],
                   "%.2fs" % run["detection_s"] if run["detection_s"] is not None else "?",
                   "%.2fs" % run["acting_s"] if run["acting_s"] is not None else "?"))
            erp_back(lab, inventory, names, node_vms)
    finally:
        watcher.stop()
        for host in lab.vars["lab_hosts"]:
            lab.control("hosts/%s/recover" % host)
        for moref in node_vms:
            lab.control("vms/%s/poweron" % moref)
        playbook(lab, inventory, "stop")
        for name in names:  # erp stopped, its VMs on: where the lab tests find them
            for vm in lab.control("vms?name=%s" % name, method="GET"):
                lab.control("vms/%s/poweron" % vm["moref"])
    result = result_record(
        "host_failover",
        "host %s dies (%s) in host mode -> every VM of erp answering on another host, real ansible-rulebook "
        "with vigil.ha.auto_failover; levels vcenter_poweroff, then %s" % (OWNER, args.fault, args.agent),
        started, argv,
        settings={"runs": args.runs, "fault": args.fault, "notice_s": NOTICE_S if args.fault == "crash" else None,
                  "agent": args.agent, "goal_median_s": GOAL_S},
        summary={"recovery_s": summary([r["recovery_s"] for r in runs])} if runs else {},
        previous=previous, runs=runs, failures=failures)
    for key in ("detection_s", "acting_s"):
        values = [r[key] for r in runs if r[key] is not None]
        if values:
            result["summary"][key] = summary(values)
    result["goal_met"] = bool(runs) and not failures and result["summary"]["recovery_s"]["median"] < GOAL_S
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    if runs:
        s = result["summary"]["recovery_s"]
        log("%s -> erp answering elsewhere: median %.2fs (min %.2f, max %.2f) over %d runs; previous %s; "
            "goal < %.0fs: %s" % (args.fault, s["median"], s["min"], s["max"], len(runs),
                                  "%.2fs" % previous["median_recovery_s"] if previous else "none", GOAL_S,
                                  "met" if result["goal_met"] else "MISSED"))
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
