"""Benchmark: what the watcher costs with 5,000 VMs: memory and CPU of the
event source vigil.ha.health at rest and while 100 VMs change state at once.

A lab "bench-5k" is started (3 ESXi hosts, node1..node3 and 5,000 filler VMs,
no SSH nodes) and stopped at the end. The source runs in a child process of
this script, driven by asyncio exactly as ansible-rulebook drives it
(``main(queue, args)``), on the lab's host-mode cluster (hierarchy `erp`,
the VMs filler-00001 and filler-00002); it watches every VM and host of the
vCenter through one WaitForUpdatesEx. Measured from /proc of that process
(its threads included; ansible-inventory, run once at start, is a separate
process and not counted):

  start   wall time, CPU seconds and RSS until "watching" (first full batch read)
  rest    CPU seconds and RSS over --rest seconds with nothing changing
  crash   CPU seconds over --window seconds after 100 VMs are crashed at once
          (concurrent control API calls; erp's two VMs among them), peak RSS
  poweron the same for powering the 100 VMs on again

Results: bench/results/watcher_cost.json.

  .venv/bin/python bench/watcher_cost.py [--fillers 5000] [--changes 100]
"""
import argparse
import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
from lab.runs import Lab
from lab.wait import until
from health_read import NAMED_VMS, lab_start, lab_stop, log, result_record, utc_now

RESULTS = os.path.join(HERE, "results", "watcher_cost.json")
SOURCE = os.path.join(REPO, "extensions", "eda", "plugins", "event_source", "health.py")
TICK = os.sysconf("SC_CLK_TCK")


def child(inventory):
    """Run the source as ansible-rulebook does; print each event as one JSON line."""
    import importlib.util
    import logging
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    spec = importlib.util.spec_from_file_location("vigil_health_source", SOURCE)
    source = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(source)

    class Queue(asyncio.Queue):
        async def put(self, item):
            sys.stdout.write(json.dumps(item) + "\n")
            sys.stdout.flush()

    asyncio.run(source.main(Queue(), {"inventory": inventory}))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(TICK)  # utime + stime


def memory_mib(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1]) / 1024.0
    return out


class Lines(threading.Thread):
    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream, self.lines = stream, []

    def run(self):
        for line in self.stream:
            self.lines.append((time.time(), line.rstrip("\n")))


def phase(pid, seconds):
    cpu0, t0 = cpu_seconds(pid), time.time()
    time.sleep(seconds)
    cpu = cpu_seconds(pid) - cpu0
    return dict(memory_mib(pid), wall_s=time.time() - t0, cpu_s=cpu, cpu_percent=100.0 * cpu / (time.time() - t0))


def change(lab, vms, action):
    with concurrent.futures.ThreadPoolExecutor(len(vms)) as pool:
        list(pool.map(lambda vm: lab.control("vms/%s/%s" % (vm, action)), vms))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--fillers", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--rest", type=float, default=60.0)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    name = "bench-5k"
    started = utc_now()
    _path, _vars, lab_s = lab_start(name, args.fillers + len(NAMED_VMS), 3)
    lab = Lab(name)
    vms = ["filler-%05d" % i for i in range(1, args.changes + 1)]
    env = dict(lab.env(), VMWARE_HOST=lab.vars["vcenter_hostname"], VMWARE_USER=lab.vars["vcenter_username"],
               VMWARE_PASSWORD=lab.vars["vcenter_password"], VMWARE_PORT=str(lab.vars["vcenter_port"]),
               VMWARE_CA_PATH=lab.vars["vcenter_ca_path"])
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, os.path.abspath(__file__), "--child", lab.vars["lab_host_cluster_inventory"]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    events, logs = Lines(proc.stdout), Lines(proc.stderr)
    events.start()
    logs.start()
    result = {}
    try:
        t0 = time.time()
        if not until(lambda: any("watching" in line for _t, line in logs.lines) or proc.poll() is not None, 300):
            raise RuntimeError("the source did not start watching")
        if proc.poll() is not None:
            raise RuntimeError("the source ended:\n%s" % "\n".join(line for _t, line in logs.lines[-30:]))
        ready = next(t for t, line in logs.lines if "watching" in line)
        result["start"] = dict(memory_mib(proc.pid), wall_s=ready - t0, cpu_s=cpu_seconds(proc.pid),
                               log=next(line for _t, line in logs.lines if "watching" in line))
        log("start: %s" % result["start"])
        time.sleep(5)  # the first hierarchy state read and checks settle
        result["rest"] = phase(proc.pid, args.rest)
        log("rest: %s" % result["rest"])
        for action in ("crash", "poweron"):
            before = len(events.lines)
            t1 = time.time()
            change(lab, vms, action)
            sent = time.time() - t1
            measured = phase(proc.pid, args.window)
            measured.update(requests_s=sent, events=[json.loads(line)["vigil_ha"] for _t, line in events.lines[before:]])
            measured["event_count"] = len(measured["events"])
            result[action] = measured
            log("%s of %d VMs: cpu %.2fs over %.0fs, RSS %.1f MiB (peak %.1f), %d events"
                % (action, len(vms), measured["cpu_s"], measured["wall_s"], measured["VmRSS"], measured["VmHWM"],
                   measured["event_count"]))
    finally:
        proc.terminate()
        proc.wait(30)
        lab_stop(name)
    out = result_record(
        "watcher_cost",
        "the event source vigil.ha.health driven by asyncio in its own process, watching every VM "
        "and host of a govmomi simulator; RSS and CPU seconds of that process from /proc",
        started, argv,
        settings={"fillers": args.fillers, "named_vms": NAMED_VMS, "hosts": 3, "changes": args.changes,
                  "rest_s": args.rest, "window_s": args.window, "lab_start_s": lab_s},
        results=result)
    with open(RESULTS, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    log("results: %s" % os.path.relpath(RESULTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
