# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop and break the vigil.ha lab (vCenter simulator).

Usage:
  python3 -m lab start [--name NAME] [--hosts N] [--vms a,b,c] [--fillers N] [--port P] [--[no-]nodes] [--physical a,b]
  python3 -m lab stop [--name NAME | --all]
  python3 -m lab status [--name NAME]
  python3 -m lab fault [--name NAME] PATH [key=value ...]   e.g. fault vms/node1/crash, fault bmc/esxi-01.lab/unreachable,
                                                        fault hosts/esxi-01.lab/crash notice=60,
                                                        fault nodes/phys1/hang (physical nodes: hang|crash|recover)
  python3 -m lab vars [--name NAME]                          path of the Ansible vars file
  python3 -m lab user-inventory DIR [--group G] [--hierarchy H] [--data-dir D]
                                                        the lab's cluster under a user's names (needs the virtualenv)

Everything lives under .lab/<name>/ in the repository (or $VIGIL_LAB_DIR):
the PKI, the password, the simulator's log, its pid and readiness file.
With --nodes (the default for the lab called "default" only) the named VMs
are also real hosts: network namespaces with sshd that follow their VM's
power state (lab/nodes/, files in .lab/nodes/). Each ESXi host gets an IPMI
BMC on loopback (lab/bmc.py, run with the virtualenv's Python, which has pyghmi)
and the same power behind a Redfish front over HTTPS (lab/redfish.py).
With nodes, the lab also has physical nodes (--physical, default phys1):
namespaces with sshd and no VM, powered by their own BMC (same lab/bmc.py).
Standard library only, so it runs before the virtualenv exists.
"""
import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time

from lab import bmc, nodes
from lab.bmcs import bmc_fault, bmc_state, node_fault, start_bmcs, stop_bmcs
from lab.control import ControlError
from lab.inventories import control, write_vars
from lab.paths import LAB_ROOT, lab_dir, lab_env, module_argv
from lab.procs import alive
from lab.simulator import USERNAME, build, password, pki, read_state, running


def start_nodes(name, with_nodes, physical=()):
    """Set up (or reuse) the lab's nodes, or remove this lab's nodes."""
    try:
        if with_nodes:
            nodes.up(name, physical=physical)
            write_vars(name, read_state(name))
        elif nodes.owner() == name:
            nodes.down()
    except nodes.NodeError as e:
        sys.stderr.write("lab %s: nodes: %s\n" % (name, e))
        return 1
    return 0


def start(args):
    with_nodes = args.name == "default" if args.nodes is None else args.nodes
    physical = [p for p in (args.physical or "").split(",") if p] if with_nodes else []
    owner = nodes.owner()
    if with_nodes and owner not in (None, args.name) and running(owner):
        sys.stderr.write("lab %s: the nodes belong to lab %s, which is running\n" % (args.name, owner))
        return 1
    want = {"hosts": args.hosts, "vms": args.vms.split(",") if args.vms else [], "fillers": args.fillers,
            "nodes": with_nodes}
    state = running(args.name)
    if state:
        have = {"hosts": len(state["hosts"]), "vms": state["vms"], "fillers": state["fillers"],
                "nodes": bool(state.get("power_hook"))}
        if have == want:
            print("lab %s already running: %s" % (args.name, state["url"]))
            rc = start_bmcs(args.name, state, physical)
            write_vars(args.name, state)
            return start_nodes(args.name, with_nodes, physical) or rc
        stop_one(args.name)
    binary = build()
    certs = pki()
    d = lab_dir(args.name)
    os.makedirs(d, exist_ok=True)
    state_file = os.path.join(d, "state.json")
    if os.path.exists(state_file):
        os.remove(state_file)
    cmd = [binary, "-listen", "127.0.0.1:%d" % args.port, "-control", "127.0.0.1:%d" % args.control_port,
           "-state", state_file, "-cert", os.path.join(certs, "server.pem"),
           "-key", os.path.join(certs, "server.key"), "-username", USERNAME,
           "-hosts", str(args.hosts), "-vms", args.vms, "-fillers", str(args.fillers)]
    if with_nodes:
        hook = " ".join(shlex.quote(a) for a in module_argv(sys.executable, "lab.nodes", "power"))
        cmd += ["-power-hook", hook, "-hook-vms", args.vms]
    env = dict(lab_env(), VIGIL_LAB_PASSWORD=password())  # lab_env: the power hook runs -m lab.nodes
    log = open(os.path.join(d, "vcsim.log"), "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.time() + args.timeout
    while time.time() < deadline:
        state = read_state(args.name)
        if state:
            rc = start_bmcs(args.name, state, physical)
            path = write_vars(args.name, state)
            print("lab %s up: %s (%d hosts, %d VMs); vars in %s"
                  % (args.name, state["url"], len(state["hosts"]), len(state["vms"]) + state["fillers"], path))
            return start_nodes(args.name, with_nodes, physical) or rc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    sys.stderr.write("lab %s did not start; see %s\n" % (args.name, os.path.join(d, "vcsim.log")))
    return 1


def stop_one(name):
    stop_bmcs(name)
    state = read_state(name)
    if state and alive(state["pid"]):
        os.kill(state["pid"], signal.SIGTERM)
        for dummy in range(50):
            if not alive(state["pid"]):
                break
            time.sleep(0.1)
        else:
            os.kill(state["pid"], signal.SIGKILL)
        print("lab %s stopped" % name)
    path = os.path.join(lab_dir(name), "state.json")
    if os.path.exists(path):
        os.remove(path)
    if nodes.owner() == name:
        nodes.down()


def stop(args):
    names = [args.name]
    if args.all and os.path.isdir(LAB_ROOT):
        names = [n for n in os.listdir(LAB_ROOT) if os.path.exists(os.path.join(lab_dir(n), "state.json"))]
    for name in names:
        stop_one(name)
    if args.all:
        nodes.down()
    return 0


def status(args):
    state = running(args.name)
    if not state:
        print("lab %s: not running" % args.name)
        return 1
    out = dict(state, control_status=control(args.name).get("status"))
    if nodes.owner() == args.name:
        out["nodes"] = nodes.status()
    bmcs = bmc_state(args.name)
    faults = bmc.read_json(bmc.path(args.name, "bmc-faults.json"), {})
    out["bmcs"] = dict((h, {"address": b["address"], "port": b["port"], "username": b["username"],
                            "redfish": b.get("redfish"), "faults": faults.get(h, {})})
                       for h, b in bmcs["bmcs"].items()) if bmcs else "not running"
    print(json.dumps(out, indent=2))
    return 0


def fault(args):
    params = dict(kv.split("=", 1) for kv in args.params)
    parts = args.path.strip("/").split("/")
    if parts[0] == "bmc":
        print(json.dumps(bmc_fault(args.name, parts, params), indent=2))
        return 0
    if parts[0] == "nodes":
        print(json.dumps(node_fault(args.name, parts), indent=2))
        return 0
    try:
        print(json.dumps(control(args.name).post(args.path, **params), indent=2))
    except ControlError as e:
        raise SystemExit(str(e))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("user-inventory", help="the lab's cluster as a user names it (lab/user_side.py)")
    s.add_argument("directory")
    s.add_argument("--group", default="prod_ha")
    s.add_argument("--hierarchy", default="shop")
    s.add_argument("--data-dir", help="one directory for the demo application on every node")
    for cmd in ("start", "stop", "status", "fault", "vars", "build"):
        s = sub.add_parser(cmd)
        s.add_argument("--name", default="default")
        if cmd == "start":
            s.add_argument("--hosts", type=int, default=3)
            s.add_argument("--vms", default="node1,node2,node3")
            # 50: the chaos scenario event_storm flaps 50 VMs outside the cluster.
            s.add_argument("--fillers", type=int, default=50)
            s.add_argument("--port", type=int, default=0, help="SDK port (0: any free port)")
            s.add_argument("--control-port", type=int, default=0)
            s.add_argument("--timeout", type=float, default=300)
            s.add_argument("--nodes", action=argparse.BooleanOptionalAction, default=None,
                           help="nodes as network namespaces (default: only for the lab named default)")
            s.add_argument("--physical", default="phys1",
                           help="physical nodes (no VM, powered by their BMC), with --nodes; '' for none")
        if cmd == "stop":
            s.add_argument("--all", action="store_true")
        if cmd == "fault":
            s.add_argument("path")
            s.add_argument("params", nargs="*")
    args = p.parse_args(argv)
    if args.cmd == "user-inventory":
        from lab.user_side import user_inventory  # pylint: disable=import-outside-toplevel  # PyYAML: the virtualenv's
        print(user_inventory(args.directory, group=args.group, hierarchy=args.hierarchy, data_dir=args.data_dir))
        return 0
    if args.cmd == "build":
        print(build())
        return 0
    if args.cmd == "vars":
        print(os.path.join(lab_dir(args.name), "vcenter.json"))
        return 0
    return {"start": start, "stop": stop, "status": status, "fault": fault}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
