# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run chaos scenarios against the lab and print a table.

  runner.py                      every scenario, in order
  runner.py NAME [NAME...]       these scenarios
  runner.py --fast               the fast subset (make test)
  runner.py --fast --skip NAME   the fast subset but NAME
  runner.py --seed N [--count K] a random sequence (K scenarios, default all), as CTS does
  runner.py --list               the scenarios, what they inject and expect
  runner.py --cluster INV --hierarchy NAME [--installed | --collections PATH] [NAME...]
                                 against a user's inventory (its group, hierarchy and node
                                 names; its nodes the lab's), with the collection as
                                 ansible-galaxy installs it (cluster.py)

Writes the table as JSON (--json, default .lab/default/chaos/results.json);
each scenario's playbook outputs, ansible log and ledger stay in
.lab/default/chaos/<scenario>/. Exit 0 only when every scenario that ran
passed with all its audits. Needs the lab (python3 -m lab start).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
import traceback

from audits import Audits
from cluster import Cluster, ClusterError
from lab.user_side import installed_collections
from context import Context, ScenarioFailed, result_row
from target import CHAOS, Lab
from restore import leave_bare, put_back_host, restore, restore_host
from scenario import REGISTRY, proves
import scenarios  # noqa: F401  pylint: disable=unused-import  # registers the scenarios

AUDITS = ("single_owner", "generation", "writes", "secrets", "ledger", "sessions")
HOST_AUDITS = ("erp_generation", "erp_vms")   # besides AUDITS, in host-mode scenarios


def row_without_run(s, outcome, detail):
    return {"scenario": s.name, "outcome": outcome, "detail": detail, "audits": {}, "problems": {},
            "time_to_recover": None, "duration": 0, "budget": s.budget, "runs": [], "notes": []}


def run_one(lab, s, log):
    try:
        restore(lab, log)
        if s.host:
            restore_host(lab, log)
    except Exception as e:  # pylint: disable=broad-except
        # The lab could not be put back: this scenario cannot run, the next may.
        return row_without_run(s, "ERROR", "restore before the scenario: %s" % e)
    directory = os.path.join(CHAOS, s.name)
    shutil.rmtree(directory, ignore_errors=True)
    audits = Audits(lab, host=s.host)
    ctx = Context(lab, s.name, directory, audits)
    if s.host:
        ctx.canaries.append(lab.bmc_password)
    began = time.monotonic()
    audits.start(ctx)
    outcome, detail = "pass", ""
    try:
        s.func(ctx)
        ctx.check()
    except ScenarioFailed as e:
        outcome, detail = "FAIL", str(e)
    except Exception as e:  # pylint: disable=broad-except
        outcome, detail = "ERROR", "%s: %s" % (type(e).__name__, e)
        with open(os.path.join(directory, "traceback.txt"), "w", encoding="utf-8") as f:
            f.write(traceback.format_exc())
    for cleanup in ctx.cleanups:
        try:
            cleanup()
        except Exception as e:  # pylint: disable=broad-except
            ctx.note("cleanup failed: %s" % e)
    duration = time.monotonic() - began
    held = audits.finish(ctx)
    if s.host:
        try:   # hosts, BMCs and erp's VMs back now: the next scenario may be a guest-mode one
            put_back_host(lab, log)
        except Exception as e:  # pylint: disable=broad-except
            ctx.note("putting the hosts back failed: %s" % e)
    if outcome == "pass" and not all(held.values()):
        outcome, detail = "FAIL", "audit broken: " + "; ".join(
            "%s: %s" % (k, v[0]) for k, v in audits.problems.items())
    if outcome == "pass" and duration > s.budget:
        outcome, detail = "FAIL", "over its time budget: %.0fs > %ds" % (duration, s.budget)
    return result_row(ctx, outcome, detail, held, audits.problems, duration, s.budget)


def configure(lab, args):
    """The cluster and collection the scenarios drive (cluster.py): the lab's by default."""
    collections = args.collections or (installed_collections() if args.installed else None)
    if args.cluster:
        lab.cluster = Cluster.from_inventory(args.cluster, args.hierarchy, lab.vars["lab_nodes"],
                                             collections=collections)
    else:
        lab.cluster.collections = collections
    where = "the collection installed in %s" % collections if collections else "this checkout's collection"
    print("chaos: %s hierarchy %s (group %s) with %s" % (
        "a user's inventory %s:" % args.cluster if args.cluster else "the lab's cluster:",
        lab.cluster.hierarchy, lab.cluster.group, where))


def table(rows):
    out = ["%-39s %-8s %-22s %8s %9s  %s" % ("scenario", "outcome", "audits held", "recover", "time", "detail"),
           "-" * 110]
    for r in rows:
        held = r["audits"]
        audits = "%d/%d" % (sum(held.values()), len(held)) if held else "-"
        if held and not all(held.values()):
            audits += " (" + ",".join(k for k, v in held.items() if not v) + ")"
        ttr = "%.1fs" % r["time_to_recover"] if r["time_to_recover"] is not None else "-"
        took = "%.0f/%ds" % (r["duration"], r["budget"])
        out.append("%-39s %-8s %-22s %8s %9s  %s" % (
            r["scenario"], r["outcome"], audits, ttr, took, r["detail"][:160]))
    return "\n".join(out)


def choose(args):
    if args.names:
        unknown = [n for n in args.names if n not in REGISTRY]
        if unknown:
            raise SystemExit("unknown scenario(s): %s (see --list)" % ", ".join(unknown))
        return [REGISTRY[n] for n in args.names]
    unknown = [n for n in args.skip if n not in REGISTRY]
    if unknown:
        raise SystemExit("--skip: unknown scenario(s): %s (see --list)" % ", ".join(unknown))
    chosen = [s for s in REGISTRY.values() if (s.fast or not args.fast) and s.name not in args.skip]
    if args.seed is not None:
        rng = random.Random(args.seed)
        runnable = [s for s in chosen if s.func]
        count = args.count or len(runnable)
        chosen = [rng.choice(runnable) for dummy in range(count)] if args.count else rng.sample(runnable, count)
    return chosen


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*")
    p.add_argument("--fast", action="store_true")
    p.add_argument("--skip", action="append", default=[], metavar="NAME",
                   help="leave this scenario out (make chaos-fast: those chaos-user runs anyway)")
    p.add_argument("--seed", type=int)
    p.add_argument("--count", type=int)
    p.add_argument("--list", action="store_true")
    p.add_argument("--json", default=os.path.join(CHAOS, "results.json"))
    p.add_argument("--cluster", help="a user's inventory (file or directory) of the lab's nodes")
    p.add_argument("--hierarchy", help="with --cluster: the hierarchy the scenarios drive")
    p.add_argument("--installed", action="store_true",
                   help="build and install the collection with ansible-galaxy, run that one without ansible.cfg")
    p.add_argument("--collections", help="a collections path holding vigil.ha as installed (like --installed)")
    args = p.parse_args(argv)
    if args.cluster and not args.hierarchy:
        p.error("--cluster needs --hierarchy")
    if args.list:
        for s in REGISTRY.values():
            print("%-34s %-9s %4ds %s\n    fault:  %s\n    expect: %s\n    proves: %s" % (
                s.name, s.driver, s.budget, " ".join(w for w, on in (("fast", s.fast), ("host", s.host)) if on),
                s.fault, s.expect, proves(s)))
        return 0
    lab = Lab()
    try:
        configure(lab, args)
    except ClusterError as e:
        raise SystemExit(str(e))
    chosen = choose(args)
    if lab.cluster.renamed:
        left = [s.name for s in chosen if s.lab_cluster]
        chosen = [s for s in chosen if not s.lab_cluster]
        if left:
            print("chaos: not run against %s: %s (their fault changes the lab's own cluster)"
                  % (args.cluster, ", ".join(left)))
    print("chaos: %d scenario(s)%s" % (len(chosen), " (seed %d)" % args.seed if args.seed is not None else ""))
    rows = []
    began = time.monotonic()
    for s in chosen:
        print("- %s (%s, budget %ds) ..." % (s.name, s.driver, s.budget), flush=True)
        row = run_one(lab, s, print)
        rows.append(row)
        print("  %s %s%s" % (row["outcome"], row["detail"][:300], "" if row["outcome"] != "pass" else
                             "  [%s]" % "; ".join(row["notes"])[:200]), flush=True)
        sys.stdout.flush()
    if chosen:
        leave_bare(lab)
    print()
    print(table(rows))
    failed = [r for r in rows if r["outcome"] != "pass"]
    print("\n%d run, %d passed, %d failed; %.0fs"
          % (len(rows), len(rows) - len(failed), len(failed), time.monotonic() - began))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump({"seed": args.seed, "cluster": args.cluster, "hierarchy": lab.cluster.hierarchy,
                   "group": lab.cluster.group, "collections": lab.cluster.collections, "audits": AUDITS, "host_audits": HOST_AUDITS, "results": rows,
                   "definitions": dict((s.name, {"driver": s.driver, "fault": s.fault, "expect": s.expect,
                                                 "budget": s.budget, "fast": s.fast, "host": s.host,
                                                 "lab_cluster": s.lab_cluster,
                                                 "proves": proves(s)})
                                       for s in REGISTRY.values())}, f, indent=1)
    print("results: %s" % args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
