"""Benchmark: vigil.ha.vm_health_info against its floor and community.vmware.vmware_vm_info.

For each inventory size (total VMs = 3 named VMs + fillers) the bench starts
a lab (python3 -m lab, one lab per size named bench-<size>), then runs
small playbooks from bench/playbooks/ with ``ansible-playbook``:

  noop.yml              the same play without a vSphere call (baseline)
  floor.yml             the floor: a bare module (bench/playbooks/library/,
                        not in the collection) making vm_health_info's one
                        bulk read through the collection's client and
                        returning only a count
  vigil_ha.yml          vigil.ha.vm_health_info, lab CA given as ca_path,
                        its default compact result ("vigil"), and again with
                        details: full ("vigil_full", the result of before)
  community_vmware.yml  community.vmware.vmware_vm_info, lab CA given in
                        SSL_CERT_FILE (it has no ca_path option)

Every module runs with validate_certs: true. Each playbook asserts that the
module returned exactly the expected number of distinct VMs, node1..node3
included (the floor: the expected count); a run that does not is an error,
not a figure. Before timing, the
bench checks that vmware_vm_info really verifies the certificate: without
SSL_CERT_FILE it must fail with CERTIFICATE_VERIFY_FAILED.

Per size: one warm-up round (every case; not counted), then --repeat rounds,
the playbooks interleaved in each. vmware_vm_info takes about two minutes a
run at 5,000 VMs: --community-repeat N runs it in the first N rounds only
(the results say how many runs each median is of). Two figures
per run: the wall clock of the whole ansible-playbook process, and the time
of the module task alone from the ansible.posix.profile_tasks callback.
Medians are reported. The lab is stopped after its size is measured.

If the warm-up run of a module takes longer than --slow-limit seconds, that
module is not run again at that size: the warm-up run is its one measurement
(repeat 1), and the results say so.

Results: a table on stdout and bench/results/health_read.json.
Standard library only; run with the project's virtualenv:

  .venv/bin/python bench/health_read.py [--sizes 100,1000,5000] [--repeat 10] [--community-repeat 3]

Labs started by the bench inherit the environment (VIGIL_LAB_NET among it),
and have no nodes, so they use no lab network at all.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import sysconfig
import time

from lab.runs import ansible_env

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LABCTL = ["-m", "lab"]  # python3 -m lab, run from the repository
PLAYBOOKS = os.path.join(HERE, "playbooks")
RESULTS = os.path.join(HERE, "results", "health_read.json")
NAMED_VMS = ["node1", "node2", "node3"]
GOAL_SIZE = 5000
GOAL_RATIO = 50.0  # vmware_vm_info / vm_health_info, module task, at least
GOAL_FLOOR = 1.5  # vm_health_info / the floor, module task, at most

# Run in this order, interleaved, in every round.
CASES = ("noop", "floor", "vigil", "vigil_full", "community")
PLAYBOOK = {"noop": "noop.yml", "floor": "floor.yml", "vigil": "vigil_ha.yml", "vigil_full": "vigil_ha.yml",
            "community": "community_vmware.yml"}
EXTRA_VARS = {"vigil_full": ["-e", "bench_details=full"]}
LABEL = {"noop": "baseline (no module)", "floor": "floor (bare one-call module)",
         "vigil": "vigil.ha.vm_health_info", "vigil_full": "vigil.ha.vm_health_info details=full",
         "community": "community.vmware.vmware_vm_info"}
CA_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
TASK_RE = re.compile(r"^bench_module\s-*\s*([0-9]+\.[0-9]+)s\s*$", re.M)
COUNT_RE = re.compile(r"BENCH_COUNT=([0-9]+)")


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class BenchError(Exception):
    pass


# -- environment -----------------------------------------------------------

def ansible_playbook():
    """ansible-playbook next to the running interpreter (the .venv), else on PATH."""
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    if os.access(candidate, os.X_OK):
        return candidate
    return "ansible-playbook"


def base_env():
    env = ansible_env()
    for name in CA_ENV:
        env.pop(name, None)
    env.update(
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
        PROFILE_TASKS_SORT_ORDER="none",
        PROFILE_TASKS_TASK_OUTPUT_LIMIT="all",
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def case_env(key, ca_path):
    env = base_env()
    if key == "community":
        # vmware_vm_info builds an SSLContext with load_default_certs(), which
        # reads OpenSSL's SSL_CERT_FILE; REQUESTS_CA_BUNDLE is for its
        # requests-based paths (none are used by vmware_vm_info).
        env["SSL_CERT_FILE"] = ca_path
        env["REQUESTS_CA_BUNDLE"] = ca_path
    return env


def machine_info():
    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if models:
            info["cpu_model"] = models[0]
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory_gib"] = round(int(line.split()[1]) / 1024.0 / 1024.0, 1)
    except OSError:
        pass
    versions = {}
    try:
        from importlib import metadata
        for dist in ("ansible", "ansible-core", "pyvmomi"):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                pass
    except ImportError:  # pragma: no cover
        pass
    purelib = sysconfig.get_paths()["purelib"]
    for manifest in glob.glob(os.path.join(purelib, "ansible_collections", "community", "vmware", "MANIFEST.json")):
        with open(manifest) as f:
            versions["community.vmware"] = json.load(f)["collection_info"]["version"]
    try:
        with open(os.path.join(REPO, "galaxy.yml")) as f:
            m = re.search(r"^version:\s*['\"]?([^'\"\s]+)", f.read(), re.M)
        if m:
            versions["vigil.ha"] = m.group(1)
    except OSError:
        pass
    info["versions"] = versions
    return info


def git_state():
    """The commit measured, and whether the module code differs from it."""
    def git(*argv):
        proc = subprocess.run(["git"] + list(argv), cwd=REPO, capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None
    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    return {"commit": commit, "plugins_modified": bool(git("status", "--porcelain", "--", "plugins"))}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def result_record(benchmark, description, started, argv, **fields):
    """What every benchmark's JSON starts with: what, when, how it was run, on what."""
    record = {"benchmark": benchmark, "description": description, "started": started, "finished": utc_now(),
              "command": "bench/%s.py %s" % (benchmark, " ".join(argv if argv is not None else sys.argv[1:])),
              "machine": machine_info(), "git": git_state()}
    record.update(fields)
    return record


def loadavg():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


# -- lab -------------------------------------------------------------------

def lab_start(name, total, hosts):
    cmd = [sys.executable] + LABCTL + ["start", "--name", name, "--hosts", str(hosts), "--vms", ",".join(NAMED_VMS),
                                       "--fillers", str(total - len(NAMED_VMS)), "--timeout", "900"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise BenchError("python3 -m lab start %s failed:\n%s%s" % (name, proc.stdout, proc.stderr))
    log(proc.stdout.strip() + " (%.1fs)" % elapsed)
    path = subprocess.run([sys.executable] + LABCTL + ["vars", "--name", name], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout.strip()
    with open(path) as f:
        lab = json.load(f)
    have = len(lab["lab_vms"]) + int(lab["lab_fillers"])
    if have != total:
        raise BenchError("lab %s has %d VMs, wanted %d" % (name, have, total))
    return path, lab, elapsed


def lab_stop(name):
    proc = subprocess.run([sys.executable] + LABCTL + ["stop", "--name", name], cwd=REPO,
                          capture_output=True, text=True, check=False)
    log((proc.stdout + proc.stderr).strip() or "lab %s stopped" % name)


# -- runs ------------------------------------------------------------------

def run_playbook(key, vars_path, ca_path, expected, timeout, env=None):
    """One ansible-playbook run: wall seconds, module task seconds, VM count."""
    playbook = os.path.join(PLAYBOOKS, PLAYBOOK[key])
    cmd = [ansible_playbook(), playbook, "-e", "@" + vars_path, "-e", "bench_expected_vms=%d" % expected]
    cmd += EXTRA_VARS.get(key, [])
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env or case_env(key, ca_path), capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError("%s did not finish within %ss" % (key, timeout))
    wall = time.perf_counter() - t0
    out = proc.stdout + proc.stderr
    return proc.returncode, wall, out


def measured(key, vars_path, ca_path, expected, timeout):
    rc, wall, out = run_playbook(key, vars_path, ca_path, expected, timeout)
    task = TASK_RE.search(out)
    count = COUNT_RE.search(out)
    if rc != 0 or not task or not count:
        raise BenchError("%s run failed (rc %s):\n%s" % (key, rc, out[-4000:]))
    want = 0 if key == "noop" else expected
    if int(count.group(1)) != want:
        raise BenchError("%s returned %s VMs, expected %d" % (key, count.group(1), want))
    return {"wall_s": round(wall, 3), "task_s": float(task.group(1)), "vms": int(count.group(1))}


def check_community_verifies(vars_path, ca_path, expected):
    """vmware_vm_info without the lab CA must refuse the certificate."""
    env = base_env()  # no SSL_CERT_FILE
    rc, dummy, out = run_playbook("community", vars_path, ca_path, expected, 300, env=env)
    if rc == 0 or "CERTIFICATE_VERIFY_FAILED" not in out:
        raise BenchError("community.vmware.vmware_vm_info did not refuse the lab certificate without "
                         "SSL_CERT_FILE (rc %s); the comparison would not be like for like:\n%s"
                         % (rc, out[-2000:]))
    return True


def bench_size(total, args):
    name = "%s-%d" % (args.lab_prefix, total)
    result = {"size": total, "lab": name, "loadavg_before": loadavg()}
    vars_path, lab, start_s = lab_start(name, total, args.hosts)
    result["lab_start_s"] = round(start_s, 1)
    ca_path = lab["vcenter_ca_path"]
    try:
        result["community_refuses_without_ca"] = check_community_verifies(vars_path, ca_path, total)
        log("size %d: community.vmware refuses the lab certificate without SSL_CERT_FILE: ok" % total)
        runs = dict((k, []) for k in CASES)
        warmup = {}
        for key in CASES:
            warmup[key] = measured(key, vars_path, ca_path, total, args.run_timeout)
            log("size %d: warm-up %s: %.2fs (task %.2fs, %d VMs)"
                % (total, LABEL[key], warmup[key]["wall_s"], warmup[key]["task_s"], warmup[key]["vms"]))
        counted_warmup = dict((k, warmup[k]["wall_s"] > args.slow_limit) for k in warmup)
        for key in counted_warmup:
            if counted_warmup[key]:
                log("size %d: %s took more than %ss: its warm-up run is its only measurement"
                    % (total, key, args.slow_limit))
                runs[key].append(warmup[key])
        for i in range(args.repeat):
            for key in CASES:
                if counted_warmup[key] or (key == "community" and i >= args.community_repeat):
                    continue
                r = measured(key, vars_path, ca_path, total, args.run_timeout)
                runs[key].append(r)
                log("size %d: run %d/%d %s: %.2fs (task %.2fs)"
                    % (total, i + 1, args.repeat, LABEL[key], r["wall_s"], r["task_s"]))
    finally:
        if not args.keep_labs:
            lab_stop(name)
    result["warmup"] = warmup
    result["runs"] = runs
    med = {}
    for key in runs:
        med[key] = {
            "wall_s": round(statistics.median(r["wall_s"] for r in runs[key]), 3),
            "task_s": round(statistics.median(r["task_s"] for r in runs[key]), 3),
            "repeat": len(runs[key]),
            "warmup_counted": counted_warmup[key],
        }
    for key in ("floor", "vigil", "vigil_full", "community"):
        med[key]["net_s"] = round(med[key]["wall_s"] - med["noop"]["wall_s"], 3)
    result["median"] = med
    # community.vmware / vigil.ha: how many times faster vigil.ha is.
    result["ratio_wall"] = round(med["community"]["wall_s"] / med["vigil"]["wall_s"], 2)
    result["ratio_task"] = round(med["community"]["task_s"] / med["vigil"]["task_s"], 2)
    result["ratio_net"] = (round(med["community"]["net_s"] / med["vigil"]["net_s"], 2)
                           if med["vigil"]["net_s"] > 0 else None)
    # vigil.ha / the floor: how far above the bare read (1.0 is the floor itself).
    for key, label in (("vigil", "floor"), ("vigil_full", "floor_full")):
        result["%s_ratio_task" % label] = round(med[key]["task_s"] / med["floor"]["task_s"], 2)
        result["%s_ratio_wall" % label] = round(med[key]["wall_s"] / med["floor"]["wall_s"], 2)
    return result


# -- report ----------------------------------------------------------------

def table(results):
    head = ("VMs", "floor task s", "vigil.ha task s", "/floor", "details=full task s", "/floor",
            "community task s", "community/vigil", "floor s", "vigil.ha s", "full s", "community s", "baseline s")
    rows = [head]
    for r in results:
        m = r["median"]
        note = "" if m["community"]["repeat"] == m["vigil"]["repeat"] else " (n=%d)" % m["community"]["repeat"]
        rows.append((
            str(r["size"]),
            "%.2f" % m["floor"]["task_s"],
            "%.2f" % m["vigil"]["task_s"],
            "%.2fx" % r["floor_ratio_task"],
            "%.2f" % m["vigil_full"]["task_s"],
            "%.2fx" % r["floor_full_ratio_task"],
            "%.2f%s" % (m["community"]["task_s"], note),
            "%.1fx" % r["ratio_task"],
            "%.2f" % m["floor"]["wall_s"],
            "%.2f" % m["vigil"]["wall_s"],
            "%.2f" % m["vigil_full"]["wall_s"],
            "%.2f" % m["community"]["wall_s"],
            "%.2f" % m["noop"]["wall_s"],
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def previous_figures(path):
    """The medians of the results file this run replaces, kept beside the new ones."""
    try:
        with open(path) as f:
            old = json.load(f)
    except (OSError, ValueError):
        return None
    keep = ("size", "median", "ratio_wall", "ratio_task", "floor_ratio_task", "floor_ratio_wall")
    return {"started": old.get("started"), "command": old.get("command"), "git": old.get("git"),
            "settings": old.get("settings"),
            "results": [dict((k, r[k]) for k in keep if k in r) for r in old.get("results") or []]}


def parse_sizes(text):
    sizes = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        if not part:
            continue
        n = int(part)
        if n < len(NAMED_VMS):
            raise argparse.ArgumentTypeError("a size counts all VMs and must be at least %d" % len(NAMED_VMS))
        sizes.append(n)
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes")
    return sizes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=parse_sizes, default=parse_sizes("100,1000,5000"),
                   help="total VMs per lab, comma separated (default 100,1000,5000)")
    p.add_argument("--repeat", type=int, default=10, help="timed runs per playbook and size; median reported (10)")
    p.add_argument("--community-repeat", type=int,
                   help="timed runs of vmware_vm_info, in the first rounds (default: 3, at most --repeat); "
                        "it takes about two minutes a run at 5,000 VMs")
    p.add_argument("--hosts", type=int, default=3, help="ESXi hosts in each lab (default 3)")
    p.add_argument("--slow-limit", type=float, default=600,
                   help="a module whose warm-up run takes longer is measured once (default 600s)")
    p.add_argument("--run-timeout", type=float, default=3600, help="give up on one playbook run after this")
    p.add_argument("--lab-prefix", default="bench", help="labs are named PREFIX-SIZE (default bench)")
    p.add_argument("--keep-labs", action="store_true", help="do not stop the labs afterwards")
    p.add_argument("--output", default=RESULTS, help="JSON results file (default bench/results/health_read.json)")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.community_repeat is None:
        args.community_repeat = min(3, args.repeat)
    if not 1 <= args.community_repeat <= args.repeat:
        p.error("--community-repeat must be between 1 and --repeat")

    started = datetime.datetime.now(datetime.timezone.utc)
    machine = machine_info()
    versions = ", ".join("%s %s" % kv for kv in machine["versions"].items())
    log("machine: %s, %s CPUs, %s GiB; %s"
        % (machine.get("cpu_model", "?"), machine["cpus"], machine.get("memory_gib", "?"), versions))
    results = []
    try:
        for size in args.sizes:
            log("size %d: starting lab" % size)
            results.append(bench_size(size, args))
    except BenchError as exc:
        sys.stderr.write("bench failed: %s\n" % exc)
        return 1

    print()
    print("Medians after one warm-up (%d runs; vmware_vm_info %d). task = the module task alone"
          % (args.repeat, args.community_repeat))
    print("(ansible.posix.profile_tasks); s = wall clock of the whole ansible-playbook run;")
    print("/floor = vm_health_info over the bare one-call module; baseline = no-op playbook.")
    print()
    print(table(results))
    print()
    goal = None
    at_goal = [r for r in results if r["size"] == GOAL_SIZE]
    if at_goal:
        r = at_goal[0]
        goal = {"size": GOAL_SIZE, "figure": "module task (profile_tasks), medians",
                "floor_ratio_wanted_at_most": GOAL_FLOOR, "floor_ratio_task": r["floor_ratio_task"],
                "floor_ratio_wall": r["floor_ratio_wall"], "floor_met": r["floor_ratio_task"] <= GOAL_FLOOR,
                "ratio_wanted_at_least": GOAL_RATIO, "ratio_task": r["ratio_task"], "ratio_wall": r["ratio_wall"],
                "ratio_met": r["ratio_task"] >= GOAL_RATIO}
        goal["met"] = goal["floor_met"] and goal["ratio_met"]
        print("Goal at %d VMs (module task): vm_health_info <= %.1fx the floor: %.2fx -> %s (whole playbook %.2fx)"
              % (GOAL_SIZE, GOAL_FLOOR, r["floor_ratio_task"], "MET" if goal["floor_met"] else "NOT MET",
                 r["floor_ratio_wall"]))
        print("Goal at %d VMs (module task): >= %.0fx faster than vmware_vm_info: %.1fx -> %s (whole playbook %.1fx)"
              % (GOAL_SIZE, GOAL_RATIO, r["ratio_task"], "MET" if goal["ratio_met"] else "NOT MET", r["ratio_wall"]))
    else:
        print("Goals at %d VMs: not measured in this run" % GOAL_SIZE)
    for r in results:
        if r["median"]["community"]["warmup_counted"]:
            print("Note: at %d VMs vmware_vm_info took over %ss; measured once (its warm-up run)."
                  % (r["size"], args.slow_limit))

    report = {
        "benchmark": "health_read",
        "description": "vigil.ha.vm_health_info (compact, and details=full) vs a bare one-call module (the "
                       "floor) and community.vmware.vmware_vm_info, all VMs of a govmomi vCenter simulator, "
                       "validate_certs true, timed through ansible-playbook",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.executable, REPO), os.path.relpath(__file__, REPO)]
                            + list(argv if argv is not None else sys.argv[1:])),
        "machine": machine,
        "git": git_state(),
        "settings": {"sizes": args.sizes, "repeat": args.repeat, "community_repeat": args.community_repeat,
                     "warmup": 1, "hosts": args.hosts, "cases": dict((k, LABEL[k]) for k in CASES),
                     "named_vms": NAMED_VMS, "slow_limit_s": args.slow_limit,
                     "statistic": "median",
                     "wall": "wall clock of the whole ansible-playbook process",
                     "task": "module task alone, ansible.posix.profile_tasks (until the next task starts)",
                     "net": "wall minus the median wall of the no-op playbook"},
        "goal": goal,
        "results": results,
        "previous": previous_figures(args.output),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.output)
    shown = os.path.relpath(args.output, os.getcwd())
    print("Results written to %s" % (args.output if shown.startswith("..") else shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
