"""Benchmark: redundant watchers. The active watcher is SIGKILLed and, at
the same moment, node1's VM crashes; how long until the standby holds the
watcher lease, and until the virtual IP answers from node2.

The lab "default" runs. Two real ansible-rulebook watchers (lab/rulebook.py,
vigil.ha.auto_failover) with the lease on (vigil_ha_lease_ttl and
vigil_ha_lease_renew from --ttl/--renew), each with a ledger of its own. Each
run: wait until exactly one holds the lease, SIGKILL it (its whole session)
and POST vms/node1/crash; poll the standby's log for "holds the lease ...
active" and the VIP every 100 ms. Then node1 back, web switched back to
node1 by hand, and the killed watcher started again (the new standby).
Per run:

  takeover_s   kill -> the standby says it holds the lease (polled, +-0.1 s)
  recovery_s   crash -> first answer from node2 (the crash falls in the gap)
  failovers    failover decisions to act in both ledgers (must be 1)

A killed holder is replaced within ttl + renew at the worst: its lease runs
out ttl after its last renewal (up to renew before the kill) and the standby
sees it at its next tick (up to renew later). The median is about ttl.

Results: bench/results/watcher_takeover.json.

  .venv/bin/python bench/watcher_takeover.py [--runs 3] [--ttl 6] [--renew 2]
"""
import argparse
import json
import os
import shutil
import time

HERE = os.path.dirname(os.path.abspath(__file__))
from detection import summary
from lab.budgets import reset_budgets
from lab.rulebook import Rulebook
from lab.runs import Lab
from lab.vip import VipClient
from lab.wait import until
from health_read import log, result_record, utc_now
from recovery import bench_inventory, node1_back

RESULTS = os.path.join(HERE, "results", "watcher_takeover.json")
GOALS = {"takeover_s": 10.0, "recovery_s": 15.0}


class Watchers(object):
    """Two watchers with the lease; each restart gets a fresh log (names a, b, then a2, b2...)."""

    def __init__(self, lab, workdir, cluster, lease):
        self.lab, self.workdir, self.cluster, self.lease = lab, workdir, cluster, lease
        self.running, self.started, self.every = {}, 0, []

    def start(self, watcher_id):
        self.started += 1
        watcher = Rulebook(self.workdir, name="%s-%d" % (watcher_id, self.started), cluster=self.cluster,
                           state_dir=os.path.join(self.workdir, "state-" + watcher_id),
                           variables=dict(self.lease, vigil_ha_watcher_id=watcher_id))
        self.running[watcher_id] = watcher
        self.every.append(watcher)

    def active(self, seconds):
        """(name, watcher) of the one holding the lease, once exactly one says so."""
        def one():
            found = [n for n, w in self.running.items() if w.lease_epochs(n)]
            return found if len(found) == 1 else None
        found = until(one, seconds)
        if not found:
            raise RuntimeError("no single watcher holds the lease within %ss" % seconds)
        return found[0], self.running[found[0]]

    def acts(self):
        """Failover decisions to act in every watcher's ledger, the killed ones' too (a restarted
        watcher keeps its ledger: each ledger once)."""
        ledgers = dict((w.ledger_path, w) for w in self.every)
        return sum(len(w.ledger("failover", "act")) for w in ledgers.values())

    def stop(self):
        for watcher in self.running.values():
            watcher.stop()


def one_run(lab, watchers, client, lease, acts_before):
    name, active = watchers.active(lease["vigil_ha_lease_ttl"] + 3 * lease["vigil_ha_lease_renew"] + 10)
    standby_name = [n for n in watchers.running if n != name][0]
    standby = watchers.running[standby_name]
    before = standby.output().count(" holds the lease of ")
    killed_at = time.monotonic()
    crash_at = time.time()
    active.kill()
    lab.control("vms/node1/crash")
    took = until(lambda: standby.output().count(" holds the lease of ") > before and standby.lease_epochs(standby_name),
                 120, step=0.1)
    if not took:
        raise RuntimeError("the standby %s did not take the lease within 120 s" % standby_name)
    takeover = time.monotonic() - killed_at
    back = until(lambda: client.answered_by("node2", crash_at), 180)
    if not back:
        raise RuntimeError("no answer from node2 within 180 s; see %s" % standby.log_path)
    time.sleep(5)  # a second failover, if any, would have begun
    del watchers.running[name]
    failovers = watchers.acts() - acts_before
    return {"takeover_s": takeover, "recovery_s": back - crash_at, "failovers": failovers,
            "killed": name, "took_over": standby_name}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ttl", type=int, default=6)
    parser.add_argument("--renew", type=int, default=2)
    args = parser.parse_args(argv)
    lease = {"vigil_ha_lease": True, "vigil_ha_lease_ttl": args.ttl, "vigil_ha_lease_renew": args.renew}
    lab = Lab()
    workdir = os.path.join(lab.dir, "bench-watcher-takeover")
    shutil.rmtree(workdir, ignore_errors=True)
    reset_budgets(lab.vars, "bench: watcher_takeover.py")
    started = utc_now()
    watchers = Watchers(lab, workdir, bench_inventory(lab, workdir + "-inventory", args.runs), lease)
    client = VipClient(lab.vip_url)
    runs, failures = [], []
    try:
        for node in ("node1", "node2"):
            lab.control("vms/%s/poweron" % node)
        out = lab.checked("start", "-e", "target=node1")
        if "web is in service on node1" not in out:
            node1_back(lab)
        for watcher_id in ("watcher-a", "watcher-b"):
            watchers.start(watcher_id)
        client.start()
        until(lambda: client.samples and client.samples[-1][1] == "node1", 10)
        acts = 0
        for i in range(args.runs):
            try:
                run = one_run(lab, watchers, client, lease, acts)
            except RuntimeError as exc:  # kept as a result, never dropped
                failures.append({"run": i + 1, "error": str(exc)})
                log("run %d FAILED: %s" % (i + 1, exc))
                break
            runs.append(run)
            log("run %d: %s killed, %s holds the lease after %.2fs; crash -> node2 answers %.2fs; %d failover(s)"
                % (i + 1, run["killed"], run["took_over"], run["takeover_s"], run["recovery_s"], run["failovers"]))
            node1_back(lab)
            until(lambda: client.samples[-1][1] == "node1", 10)
            acts = watchers.acts()
            watchers.start(run["killed"])  # back as the standby
    finally:
        client.stop()
        watchers.stop()
        for node in ("node1", "node2"):
            lab.control("vms/%s/poweron" % node)
        lab.playbook("stop")
    result = result_record(
        "watcher_takeover",
        "two watchers with the lease (ttl %ds, renew %ds): the active one SIGKILLed and node1's VM crashed at the "
        "same moment -> the standby holding the lease, and the virtual IP answering from node2" % (args.ttl, args.renew),
        started, argv,
        settings={"runs": args.runs, "lease_ttl_s": args.ttl, "lease_renew_s": args.renew, "goals_median_s": GOALS},
        summary={key: summary([r[key] for r in runs]) for key in ("takeover_s", "recovery_s")},
        runs=runs,
        failures=failures)
    result["goal_met"] = bool(runs) and not failures and all(r["failovers"] == 1 for r in runs) and all(
        result["summary"][key]["median"] < goal for key, goal in GOALS.items())
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    if runs:
        log("kill -> standby holds the lease: median %.2fs; crash -> node2 answers: median %.2fs; over %d runs; "
            "goals < %.0fs and < %.0fs, one failover a run: %s"
            % (result["summary"]["takeover_s"]["median"], result["summary"]["recovery_s"]["median"], len(runs),
               GOALS["takeover_s"], GOALS["recovery_s"], "met" if result["goal_met"] else "MISSED"))


if __name__ == "__main__":
    main()
