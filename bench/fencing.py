"""Benchmark: fencing through a BMC, from the decision to the machine
confirmed off, with the product's own fence agent runner.

The lab "default" runs (python3 -m lab start): each ESXi host has an
IPMI BMC and the same power behind a Redfish front (lab/bmc.py,
redfish.py). The spare host esxi-03.lab (nothing protected runs there) is
fenced with vigil.ha's AgentRunner (plugins/module_utils/fencing/agents.py,
what vigil.ha.fence_node runs for a `fence_agent` level): status, off, then
status until it reports off, Debian's fence_ipmilan (lanplus) and
fence_redfish (HTTPS) taking turns. Each run: the host powered on
(hosts/H/recover), then the clock from the runner's call to its return
(confirmed off); the simulator must then show the host powered off. The
password goes as vigil.ha gives it (environment for ipmitool, stdin for
fence_redfish) and is never printed.

  off_s   AgentRunner.off() called -> returned with power_state off

Results: bench/results/fencing.json, with the previous run's medians beside
the new ones. The host and the VMs that ran on it are powered on at the end.

  .venv/bin/python bench/fencing.py [--runs 10]
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
from detection import summary
from lab.runs import Lab
from lab.wait import until
from health_read import log, result_record, utc_now

from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import AgentRunner

RESULTS = os.path.join(HERE, "results", "fencing.json")
GOAL_S = 5.0
HOST = "esxi-03.lab"
AGENTS = ("fence_ipmilan", "fence_redfish")
TIMEOUT = 30  # the level's timeout, as in an inventory


def options(bmc, agent):
    """A user's options for the lab BMC (docs/fencing.md), the password apart."""
    if agent == "fence_redfish":
        rf = bmc["redfish"]
        return {"ip": rf["address"], "ipport": rf["port"], "username": bmc["username"], "ssl_insecure": 1,
                "systems_uri": rf["systems_uri"]}
    return {"ip": bmc["address"], "ipport": bmc["port"], "username": bmc["username"], "lanplus": 1}


def host_state(lab):
    return [(h["power_state"], h["connection_state"]) for h in lab.control("hosts?name=%s" % HOST, method="GET")][0]


def vms_on_host(lab):
    """MoRefs of the VMs powered on on HOST (the lab's named VMs and fillers)."""
    names = lab.vars["lab_vms"] + ["filler-%05d" % i for i in range(1, lab.vars["lab_fillers"] + 1)]
    found = []
    for name in names:
        for vm in lab.control("vms?name=%s" % name, method="GET"):
            if vm["host"] == HOST and vm["power_state"] == "poweredOn":
                found.append(vm["moref"])
    return found


def one_run(lab, agent):
    lab.control("hosts/%s/recover" % HOST)
    if not until(lambda: host_state(lab) == ("poweredOn", "connected"), 10):
        raise RuntimeError("%s did not come back on: %s" % (HOST, host_state(lab)))
    bmc = lab.vars["lab_bmcs"][HOST]
    runner = AgentRunner(agent, options(bmc, agent), password=bmc["password"], timeout=TIMEOUT)
    start = time.perf_counter()
    result = runner.off()
    took = time.perf_counter() - start
    if result.get("power_state") != "off" or not result.get("changed"):
        raise RuntimeError("%s did not fence %s: %s" % (agent, HOST, result))
    if host_state(lab)[0] != "poweredOff":
        raise RuntimeError("%s says off, the simulator says %s" % (agent, host_state(lab)))
    return {"agent": agent, "off_s": took, "msg": result["msg"]}


def previous_medians():
    try:
        with open(RESULTS, encoding="utf-8") as f:
            old = json.load(f)
        return dict((a, old["summary"][a]["off_s"]["median"]) for a in AGENTS), old.get("started")
    except (OSError, ValueError, KeyError):
        return {}, None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per agent (the agents take turns)")
    args = parser.parse_args(argv)
    lab = Lab()
    if "redfish" not in lab.vars.get("lab_bmcs", {}).get(HOST, {}):
        sys.exit("the lab has no Redfish BMCs: python3 -m lab stop, then start")
    before, before_date = previous_medians()
    started = utc_now()
    lab.control("hosts/%s/recover" % HOST)
    on = vms_on_host(lab)
    runs, failures = [], []
    try:
        for i in range(args.runs):
            for agent in AGENTS:
                try:
                    run = one_run(lab, agent)
                except Exception as exc:  # pylint: disable=broad-except  # kept as a result, never dropped
                    failures.append({"run": i + 1, "agent": agent, "error": str(exc)})
                    log("run %d %s FAILED: %s" % (i + 1, agent, exc))
                    continue
                runs.append(run)
                log("run %d %s: decision -> confirmed off %.2fs" % (i + 1, agent, run["off_s"]))
    finally:
        lab.control("hosts/%s/recover" % HOST)
        for moref in on:
            lab.control("vms/%s/poweron" % moref)
    result = result_record(
        "fencing",
        "fence %s through its BMC with vigil.ha's AgentRunner (status, off, status until off): "
        "fence_ipmilan (IPMI lanplus) and fence_redfish (Redfish over HTTPS) against the lab's BMCs" % HOST,
        started, argv,
        settings={"runs_per_agent": args.runs, "level_timeout_s": TIMEOUT, "goal_median_s": GOAL_S},
        summary=dict((a, {"off_s": summary([r["off_s"] for r in runs if r["agent"] == a])})
                     for a in AGENTS if any(r["agent"] == a for r in runs)),
        previous={"started": before_date, "median_off_s": before},
        runs=runs, failures=failures)
    result["goal_met"] = not failures and all(
        a in result["summary"] and result["summary"][a]["off_s"]["median"] < GOAL_S for a in AGENTS)
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    for agent in AGENTS:
        s = result["summary"].get(agent, {}).get("off_s")
        if s:
            log("%s: decision -> confirmed off median %.2fs (min %.2f, max %.2f) over %d runs; previous %s"
                % (agent, s["median"], s["min"], s["max"], len([r for r in runs if r["agent"] == agent]),
                   "%.2fs" % before[agent] if agent in before else "none"))
    log("goal: median < %.0fs for both: %s" % (GOAL_S, "met" if result["goal_met"] else "MISSED"))
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
