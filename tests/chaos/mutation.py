# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The suite must catch a broken safety rule. Each mutation breaks one rule
in a temporary copy of the collection; the scenarios named with it run from
that copy against the same lab, and at least one of them must FAIL. Exit 0
when every mutation was caught.

  mutation.py [--keep] [--only TEXT]   (--only: the mutations whose name contains TEXT)
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from lab import nodes
from lab.paths import REPO
from target import LAB

# (name, file, text, replacement, scenarios that must catch it)
MUTATIONS = [
    ("start before the fence is confirmed (the fence task ignores errors)",
     "playbooks/tasks/step_fence.yml",
     "    expected_generation: \"{{ vigil_ha_step_generation | default(omit) }}\"\n  # fence_timeout",
     "    expected_generation: \"{{ vigil_ha_step_generation | default(omit) }}\"\n  ignore_errors: true\n  # fence_timeout",
     ["host_not_responding", "esxi_host_isolated"]),
    ("start before a fence agent confirmed (the fencing levels' task ignores errors)",
     "playbooks/tasks/step_fence.yml",
     "    expected_generation: \"{{ vigil_ha_step_generation | default(omit) }}\"\n  timeout: >-",
     "    expected_generation: \"{{ vigil_ha_step_generation | default(omit) }}\"\n  ignore_errors: true\n  timeout: >-",
     ["host_crash_bmc_unreachable", "host_fencing_levels_all_fail"]),
    ("no stale refusal in the plan (an event's expected generation is not compared)",
     "plugins/module_utils/model/plan.py",
     "        if self.expected is not None and self.expected != self.generation:",
     "        if False:  # mutation",
     ["stale_event_after_failover", "same_event_twice"]),
    ("no failover budget (policy.failover.max is not counted)",
     "plugins/module_utils/model/plan.py",
     "        if not self.confirmed and self.failovers_used >= limit[\"max\"]:",
     "        if False:  # mutation",
     ["flapping_service"]),
    ("failover budget counted per controller (vCenter's budget events are read but not counted)",
     "plugins/modules/plan.py",
     "            records, source = shared(events, lines), \"vcenter\"",
     "            records, source = lines, \"vcenter\"  # mutation",
     ["budget_across_two_controllers"]),
    ("no lock (a held lock is taken over)",
     "plugins/module_utils/state/lock.py",
     "        if holder and not (token and holder[\"token\"] == token):",
     "        if False:  # mutation",
     ["same_event_twice"]),
    ("no compare-and-set of the generation (a write is not refused when vCenter holds another generation)",
     "plugins/module_utils/state/store.py",
     # Every comparison: before the claim, and the read again after it (the claim must be the pending one).
     ["        if current[\"generation\"] != expected:\n            raise StaleGenerationError(",
      "            if now[\"generation\"] != expected_generation or (now[\"pending\"] or {}).get(\"key\") != claim_key:"],
     ["        if False:  # mutation\n            raise StaleGenerationError(",
      "            if False:  # mutation"],
     ["two_controllers_one_failure"]),
    ("steps do not check their generation (a frozen run's fence goes ahead after another run's move)",
     "plugins/module_utils/state/store.py",
     "        if current[\"generation\"] != generation or current[\"pending\"]:",
     "        if False:  # mutation",
     ["frozen_controller_after_a_move"]),
    ("node steps do not check their generation (a frozen run starts on its node after another run's move)",
     "playbooks/tasks/step_node.yml",
     "    action: require\n",
     "    action: get\n",
     ["frozen_controller_after_its_commit"]),
    ("the lease's epoch is not checked (a run of a watcher that lost its lease goes on)",
     "plugins/module_utils/state/lease.py",
     "        if lease[\"epoch\"] != epoch or not held(lease, now):",
     "        if False:  # mutation",
     ["active_watcher_frozen_past_its_lease"]),
]


def copy_collection(dest):
    """The tracked files of the checkout, with its .venv; the collection path points at the copy."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for rel in files.decode().split("\0"):
        if not rel or not os.path.exists(os.path.join(REPO, rel)):
            continue
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(REPO, rel), target)
    os.symlink(os.path.join(REPO, ".venv"), os.path.join(dest, ".venv"))
    os.symlink(nodes.LAB_ROOT, os.path.join(dest, ".lab"))  # the same lab, wherever a test looks for it
    os.makedirs(os.path.join(dest, ".build", "collections", "ansible_collections", "vigil"))
    os.symlink("../../../..", os.path.join(dest, ".build", "collections", "ansible_collections", "vigil", "ha"))


def mutate(dest, path, texts, replacements):
    """Replace each text (one, or a list) by its replacement in the copy's file."""
    full = os.path.join(dest, path)
    with open(full, encoding="utf-8") as f:
        content = f.read()
    pairs = zip(texts, replacements) if isinstance(texts, list) else [(texts, replacements)]
    for text, replacement in pairs:
        if text not in content:
            raise SystemExit("mutation does not apply any more: %r not in %s (update mutation.py)" % (text, path))
        content = content.replace(text, replacement, 1)
    with open(full, "w", encoding="utf-8") as f:
        f.write(content)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keep", action="store_true", help="keep the temporary copies")
    p.add_argument("--only", default="", help="run the mutations whose name contains this text")
    args = p.parse_args(argv)
    missed = []
    for name, path, text, replacement, scenarios in [m for m in MUTATIONS if args.only in m[0]]:
        dest = tempfile.mkdtemp(prefix="vigil-mutant-")
        try:
            copy_collection(dest)
            mutate(dest, path, text, replacement)
            env = dict(os.environ, VIGIL_LAB_DIR=nodes.LAB_ROOT,
                       # The copy's lab package: its paths lead to the copy's (mutated) collection.
                       PYTHONPATH=os.pathsep.join([os.path.join(dest, ".build", "collections"), dest,
                                                   os.path.join(dest, "tests", "chaos")]))
            print("mutation: %s (%s)" % (name, path), flush=True)
            proc = subprocess.run([sys.executable, os.path.join(dest, "tests", "chaos", "runner.py")] + scenarios
                                  + ["--json", os.path.join(LAB, "chaos", "mutation.json")],
                                  env=env, cwd=dest, capture_output=True, text=True, check=False)
            print(proc.stdout[proc.stdout.find("scenario "):] if "scenario " in proc.stdout else proc.stdout)
            if proc.returncode == 0:
                missed.append(name)
                print("NOT CAUGHT: every scenario passed with the mutation\n")
            else:
                print("caught\n")
        finally:
            if not args.keep:
                shutil.rmtree(dest, ignore_errors=True)
    if missed:
        print("mutations not caught: %s" % "; ".join(missed))
        return 1
    print("every mutation was caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
