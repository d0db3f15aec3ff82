"""Start, stop and break the vigil.ha lab (vCenter simulator).

Usage:
  labctl.py start [--name NAME] [--hosts N] [--vms a,b,c] [--fillers N] [--port P] [--[no-]nodes] [--physical a,b]
  labctl.py stop [--name NAME | --all]
  labctl.py status [--name NAME]
  labctl.py fault [--name NAME] PATH [key=value ...]   e.g. fault vms/node1/crash, fault bmc/esxi-01.lab/unreachable,
                                                        fault hosts/esxi-01.lab/crash notice=60,
                                                        fault nodes/phys1/hang (physical nodes: hang|crash|recover)
  labctl.py vars [--name NAME]                          path of the Ansible vars file

Everything lives under .lab/<name>/ in the repository (or $VIGIL_LAB_DIR):
the PKI, the password, the simulator's log, its pid and readiness file.
With --nodes (the default for the lab called "default" only) the named VMs
are also real hosts: network namespaces with sshd that follow their VM's
power state (nodes.py, files in .lab/nodes/). Each ESXi host gets an IPMI
BMC on loopback (bmc.py, run with the virtualenv's Python, which has pyghmi)
and the same power behind a Redfish front over HTTPS (redfish.py).
With nodes, the lab also has physical nodes (--physical, default phys1):
namespaces with sshd and no VM, powered by their own BMC (same bmc.py).
Standard library only, so it runs before the virtualenv exists.
"""
import argparse
import json
import os
import shlex
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import bmc
import nodes

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB_ROOT = os.environ.get("VIGIL_LAB_DIR", os.path.join(REPO, ".lab"))
GO_SRC = os.path.join(HERE, "vcsim")
BINARY = os.path.join(LAB_ROOT, "bin", "vigil-vcsim")
GOPATH = "/usr/share/gocode"
USERNAME = "administrator@vsphere.local"
VENV_PYTHON = os.path.join(REPO, ".venv", "bin", "python")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build():
    """Build the simulator when its sources are newer than the binary."""
    sources = [os.path.join(GO_SRC, f) for f in os.listdir(GO_SRC) if f.endswith(".go")]
    if os.path.exists(BINARY) and os.path.getmtime(BINARY) >= max(map(os.path.getmtime, sources)):
        return BINARY
    os.makedirs(os.path.dirname(BINARY), exist_ok=True)
    env = dict(os.environ, GOPATH=GOPATH, GO111MODULE="off", GOFLAGS="", GOCACHE=os.path.join(LAB_ROOT, "go-cache"))
    run(["go", "build", "-o", BINARY + ".tmp", "."], cwd=GO_SRC, env=env)
    os.replace(BINARY + ".tmp", BINARY)
    return BINARY


def pki():
    """A lab CA, a server certificate it signs, and an unrelated CA for refusal tests."""
    d = os.path.join(LAB_ROOT, "pki")
    if os.path.exists(os.path.join(d, "server.pem")):
        return d
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "rogue-ca"):
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
             "-subj", "/CN=vigil.ha lab %s" % ca, "-keyout", os.path.join(d, ca + ".key"),
             "-out", os.path.join(d, ca + ".pem")], capture_output=True)
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", os.path.join(d, "server.key"), "-out", os.path.join(d, "server.csr")], capture_output=True)
    run(["openssl", "x509", "-req", "-in", os.path.join(d, "server.csr"), "-days", "3650",
         "-CA", os.path.join(d, "ca.pem"), "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial",
         "-extfile", ext, "-out", os.path.join(d, "server.pem")], capture_output=True)
    return d


def lab_dir(name):
    return os.path.join(LAB_ROOT, name)


def password():
    path = os.path.join(LAB_ROOT, "password")
    if not os.path.exists(path):
        os.makedirs(LAB_ROOT, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("Vigil-" + secrets.token_urlsafe(12))
    with open(path) as f:
        return f.read().strip()


def read_state(name):
    try:
        with open(os.path.join(lab_dir(name), "state.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def running(name):
    state = read_state(name)
    if state and alive(state["pid"]):
        return state
    return None


def write_vars(name, state):
    """The Ansible variables a playbook needs to reach this lab (mode 0600)."""
    d = lab_dir(name)
    lines = {
        "vcenter_hostname": state["hostname"],
        "vcenter_port": state["port"],
        "vcenter_username": USERNAME,
        "vcenter_password": password(),
        "vcenter_validate_certs": True,
        "vcenter_ca_path": os.path.join(LAB_ROOT, "pki", "ca.pem"),
        "lab_rogue_ca_path": os.path.join(LAB_ROOT, "pki", "rogue-ca.pem"),
        "lab_control_url": state["control"],
        "lab_datacenter": state["datacenter"],
        "lab_cluster": state["cluster"],
        "lab_hosts": state["hosts"],
        "lab_vms": state["vms"],
        "lab_fillers": state["fillers"],
    }
    bmcs = bmc_state(name)
    if bmcs:
        # {host: {address, port, username, password}}, for fence_ipmilan and ipmitool.
        lines["lab_bmcs"] = bmcs["bmcs"]
    addresses = host_addresses(name)
    if addresses:
        # {host: {address, port}}: each ESXi host's management endpoint (its hostd), which host mode probes.
        lines["lab_host_addresses"] = addresses
    if state["fillers"] >= 2 and len(state["hosts"]) >= 2:
        lines["lab_host_cluster_inventory"] = write_host_cluster_inventory(name, state)
    config = nodes.load_config() if nodes.owner() == name else None
    if config:
        physical = nodes.physical_of(config)
        # Enough for a test to add the nodes with add_host and to run kits there.
        lines.update({
            "lab_nodes": [{"name": n.name, "address": n.address, "data_dir": n.data}
                          for n in nodes.nodes_from(config) if n.name not in physical],
            # No VM: each is powered by its own BMC (lab_bmcs[name]).
            "lab_physical_nodes": [{"name": n.name, "address": n.address, "data_dir": n.data}
                                   for n in nodes.nodes_from(config) if n.name in physical],
            "lab_ssh_key": nodes.SSH_KEY,
            "lab_nodes_inventory": nodes.INVENTORY,
            "lab_vip": "%s.%d/%d" % (nodes.SUBNET, nodes.VIP_RANGE[0], nodes.PREFIX),
            "lab_demo_app": nodes.DEMO_APP,
            "lab_cluster_inventory": write_cluster_inventory(name, config),
        })
    path = os.path.join(d, "vcenter.json")
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(lines, f, indent=2)
    os.replace(path + ".tmp", path)
    return path


def write_cluster_inventory(name, config):
    """A vigil.ha cluster of the lab's nodes, as a user would write it: the
    hierarchy `web` (virtual IP, the demo application, an http check) on
    node1 and node2, node3 spare. Nodes name their VMs by UUID and MoRef."""
    vip = "%s.%d" % (nodes.SUBNET, nodes.VIP_RANGE[0])
    hosts = {}
    for node in nodes.nodes_from(config):
        if node.name in nodes.physical_of(config):
            continue  # no VM; tests that want it write their own inventory
        vm = control(name, "GET", "vms", {"name": node.name})[0]
        hosts[node.name] = {"ansible_host": node.address,
                            "vigil_ha_node": {"mode": "guest", "vm": {"uuid": vm["uuid"], "moref": vm["moref"]}}}
    app = "/usr/bin/python3 %s --data-dir ${VIGIL_LAB_NODE_DIR}/web" % nodes.DEMO_APP
    inventory = {"vigil_ha_cluster": {"hosts": hosts, "vars": {
        "ansible_user": "root",
        "ansible_ssh_private_key_file": nodes.SSH_KEY,
        "ansible_ssh_common_args": " ".join(nodes.SSH_OPTIONS),
        "ansible_python_interpreter": "/usr/bin/python3",
        "vigil_ha_hierarchies": [{
            "name": "web",
            "nodes": [{"node": "node1", "priority": 1}, {"node": "node2", "priority": 2}],
            "policy": {"local_recovery": {"attempts": 2, "window": 300}, "failover": {"max": 3, "window": 3600},
                       "switchback": "manual", "confirm_failover": False},
            "resources": [
                {"name": "web-vip", "kind": "ip", "params": {"address": "%s/%d" % (vip, nodes.PREFIX),
                                                             "interface": "eth0"}},
                {"name": "web-app", "kind": "service", "depends_on": ["web-vip"],
                 "params": {"command": app, "pidfile": "${VIGIL_LAB_NODE_RUN}/web-app.pid", "stop_timeout": 10},
                 "check": {"interval": 3, "timeout": 2, "http": {"url": "http://%s:%d/" % (vip, nodes.APP_PORT)}}},
            ],
        }],
    }}}
    return write_inventory(name, "cluster.yml", "the lab's vigil.ha cluster", inventory)


def write_inventory(name, filename, what, inventory):
    path = os.path.join(lab_dir(name), filename)
    with open(path + ".tmp", "w") as f:
        f.write("# Written by tests/lab/labctl.py: %s.\n" % what)
        json.dump(inventory, f, indent=2)  # JSON is YAML
    os.replace(path + ".tmp", path)
    return path


def write_host_cluster_inventory(name, state):
    """A host-mode cluster, as a user would write it: the ESXi hosts are the
    nodes and the hierarchy `erp` is two whole VMs (filler-00001 the
    database, filler-00002 the application that needs it) on esxi-01.lab,
    then esxi-02.lab. Nothing here is reached over SSH."""
    esxi = list(state["hosts"])
    hosts = dict((h, {"vigil_ha_node": {"mode": "host", "esxi": h, "fencing": {"method": "vcenter_poweroff"}}})
                 for h in esxi)
    for host, where in host_addresses(name).items():  # probed by the watcher and the failover
        hosts[host]["vigil_ha_node"]["check"] = {"address": where["address"], "port": where["port"],
                                                 "interval": 2, "timeout": 1}
    vm = dict((n, control(name, "GET", "vms", {"name": n})[0]["uuid"]) for n in ("filler-00001", "filler-00002"))
    inventory = {"vigil_ha_cluster": {"hosts": hosts, "vars": {"vigil_ha_hierarchies": [{
        "name": "erp",
        "nodes": [{"node": esxi[0], "priority": 1}, {"node": esxi[1], "priority": 2}],
        "policy": {"local_recovery": {"attempts": 2, "window": 300}, "failover": {"max": 3, "window": 3600},
                   "switchback": "manual", "confirm_failover": False},
        "resources": [
            {"name": "erp-db", "kind": "vm", "params": {"uuid": vm["filler-00001"], "tools_timeout": 30}},
            {"name": "erp-app", "kind": "vm", "depends_on": ["erp-db"],
             "params": {"uuid": vm["filler-00002"], "tools_timeout": 30}},
        ],
    }]}}}
    return write_inventory(name, "cluster-host.yml", "the lab's host-mode vigil.ha cluster", inventory)


def host_addresses(name):
    """``{host: {address, port}}`` of the ESXi hosts' management endpoints ({} from an older simulator)."""
    return dict((h["name"], {"address": h["mgmt_address"], "port": h["mgmt_port"]})
                for h in control(name, "GET", "hosts") if h.get("mgmt_port"))


def bmc_state(name):
    """bmc.json of the lab's running BMC process, or None."""
    data = bmc.read_json(bmc.path(name, "bmc.json"), {})
    return data if data.get("pid") and alive(data["pid"]) else None


def stop_bmcs(name):
    data = bmc_state(name)
    if data:
        os.kill(data["pid"], signal.SIGTERM)
        for dummy in range(50):
            if not alive(data["pid"]):
                break
            time.sleep(0.1)


def start_bmcs(name, state, physical=(), timeout=30):
    """The lab's BMCs (bmc.py), restarted when the simulator or the physical nodes are new."""
    data = bmc_state(name)
    if data and data.get("control") == state["control"] and set(physical) <= set(data["bmcs"]):
        return 0
    stop_bmcs(name)
    try:
        urllib.request.urlopen(state["control"] + "/hosts", timeout=10).close()
    except urllib.error.HTTPError:
        sys.stderr.write("lab %s: no BMCs: its simulator predates them (labctl.py stop, then start)\n" % name)
        return 0
    if not os.path.exists(VENV_PYTHON):
        sys.stderr.write("lab %s: no BMCs yet: the virtualenv (tools/setup.sh) brings pyghmi\n" % name)
        return 0
    faults = bmc.path(name, "bmc-faults.json")
    if os.path.exists(faults):  # a new simulator starts without faults; so do its BMCs
        os.remove(faults)
    log = open(os.path.join(lab_dir(name), "bmc.log"), "ab")
    proc = subprocess.Popen([VENV_PYTHON, os.path.join(HERE, "bmc.py"), "serve", "--name", name,
                             "--physical", ",".join(physical)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        data = bmc_state(name)
        if data and data["pid"] == proc.pid:
            return 0
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
    sys.stderr.write("lab %s: the BMCs did not start; see %s\n" % (name, os.path.join(lab_dir(name), "bmc.log")))
    return 1


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
        hook = "%s %s power" % (shlex.quote(sys.executable), shlex.quote(os.path.join(HERE, "nodes.py")))
        cmd += ["-power-hook", hook, "-hook-vms", args.vms]
    env = dict(os.environ, VIGIL_LAB_PASSWORD=password())
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


def control(name, method, path, params=None):
    state = running(name)
    if not state:
        raise SystemExit("lab %s is not running (labctl.py start)" % name)
    url = state["control"] + "/" + path.strip("/")
    if params:
        url += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        raise SystemExit("lab control: %s" % json.load(e).get("error", e))


def status(args):
    state = running(args.name)
    if not state:
        print("lab %s: not running" % args.name)
        return 1
    out = dict(state, control_status=control(args.name, "GET", "status"))
    if nodes.owner() == args.name:
        out["nodes"] = nodes.status()
    bmcs = bmc_state(args.name)
    faults = bmc.read_json(bmc.path(args.name, "bmc-faults.json"), {})
    out["bmcs"] = dict((h, {"address": b["address"], "port": b["port"], "username": b["username"],
                            "redfish": b.get("redfish"), "faults": faults.get(h, {})})
                       for h, b in bmcs["bmcs"].items()) if bmcs else "not running"
    print(json.dumps(out, indent=2))
    return 0


def bmc_fault(name, parts, params):
    """bmc/HOST/unreachable|slow|recover: a file the running BMCs read, no restart."""
    state = running(name)
    if not state:
        raise SystemExit("lab %s is not running (labctl.py start)" % name)
    names = state["hosts"] + (nodes.physical_of(nodes.load_config()) if nodes.owner() == name else [])
    if len(parts) != 3 or parts[1] not in names:
        raise SystemExit("lab fault: bmc/HOST/%s with HOST one of %s" % ("|".join(bmc.FAULTS), ", ".join(names)))
    try:
        return bmc.set_fault(name, parts[1], parts[2], params.get("seconds"))
    except ValueError as e:
        raise SystemExit("lab fault: %s" % e)


NODE_FAULTS = {"hang": "suspended", "crash": "crashed", "recover": "poweredOn"}


def node_fault(name, parts):
    """nodes/NODE/hang|crash|recover of a physical node (a VM node's power follows its VM: vms/...).
    hang: on, link down, every process stopped; crash: on, dark, nothing runs (a kernel panic);
    both leave its BMC saying on until it is fenced. recover: a hung node resumes, a crashed
    or powered-off one boots (the reset button)."""
    config = nodes.load_config() if running(name) and nodes.owner() == name else None
    physical = nodes.physical_of(config)
    if len(parts) != 3 or parts[1] not in physical or parts[2] not in NODE_FAULTS:
        raise SystemExit("lab fault: nodes/NODE/%s with NODE one of the physical nodes %s"
                         % ("|".join(NODE_FAULTS), ", ".join(physical) or "(none)"))
    try:
        return {"node": parts[1], "power": nodes.power(parts[1], NODE_FAULTS[parts[2]])}
    except nodes.NodeError as e:
        raise SystemExit("lab fault: %s" % e)


def fault(args):
    params = dict(kv.split("=", 1) for kv in args.params)
    parts = args.path.strip("/").split("/")
    if parts[0] == "bmc":
        print(json.dumps(bmc_fault(args.name, parts, params), indent=2))
        return 0
    if parts[0] == "nodes":
        print(json.dumps(node_fault(args.name, parts), indent=2))
        return 0
    print(json.dumps(control(args.name, "POST", args.path, params), indent=2))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
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
    if args.cmd == "build":
        print(build())
        return 0
    if args.cmd == "vars":
        print(os.path.join(lab_dir(args.name), "vcenter.json"))
        return 0
    return {"start": start, "stop": stop, "status": status, "fault": fault}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
