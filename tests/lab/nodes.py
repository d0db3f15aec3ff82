# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's nodes: network namespaces with sshd that follow their VM's power.

Usage:
  nodes.py up [--lab NAME] [--physical a,b]   create the nodes of a running lab, or repair them
  nodes.py down                   kill everything in the namespaces, remove them
  nodes.py status [--json]        reachability of each node
  nodes.py power NODE STATE       the simulator's power hook (poweredOn|poweredOff|suspended|crashed)
  nodes.py app start|stop|status NODE   the demo application on a node (port 8080)
  nodes.py ssh NODE [COMMAND...]  ssh to a node as root with the lab's key

Each node NAME is a network namespace vigil-NAME, joined by a veth pair
(vb-NAME in the root namespace, eth0 inside) to the bridge vigil-br0
(10.99.0.1/24) and running its own sshd on 10.99.0.(11+i):22, in its own UTS
namespace (hostname NAME). Files live in .lab/nodes/NAME/: the sshd
configuration, host key, pid and log files, and data/, the node's own
directory (nodes share the machine's file system, so whatever a node keeps
goes under its data/). The lab's SSH key is .lab/ssh/id_ed25519; the Ansible
inventory is .lab/nodes/inventory.yml (group vigil_lab_nodes). With
VIGIL_LAB_NET=N (1-9) the names become vigilN-NAME, vbN-NAME, vigil-brN and
10.99.N.x, so two checkouts can each run a lab on one machine. With
VIGIL_LAB_NODES=molecule the names are vmolN-NAME, vmN-NAME, vmol-brN and
10.98.N.x (Molecule's test hosts, `up --standalone`: no simulator, always on).

`power` is what makes fencing real: poweredOff takes the node off the bridge
and SIGKILLs every process in its namespace; poweredOn brings the link back
with only the node's own address and starts sshd (what a booted VM runs);
suspended takes the link down and SIGSTOPs the processes, and a later
poweredOn SIGCONTs them. Standard library only.

Physical nodes (`up --physical phys1`, labctl.py gives the default lab one)
are the same namespaces with the next addresses, but no VM: the simulator
never calls their power hook. Their power is driven by their own BMC (bmc.py
calls `power` here: off is poweredOff, on a fresh boot) and by the lab's
faults: `hang` is suspended (link down, every process SIGSTOPped: the
machine is on but answers nothing), `crash` is crashed (a kernel panic:
off the network, every process gone, yet the power stays on, so its BMC
says on until it is fenced). In the inventory they have
vigil_lab_physical: true; nodes.json lists them under "physical".
"""
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LAB_ROOT = os.environ.get("VIGIL_LAB_DIR", os.path.join(REPO, ".lab"))
NODES_DIR = os.path.join(LAB_ROOT, "nodes")
CONFIG = os.path.join(NODES_DIR, "nodes.json")
INVENTORY = os.path.join(NODES_DIR, "inventory.yml")
SSH_KEY = os.path.join(LAB_ROOT, "ssh", "id_ed25519")
DEMO_APP = os.path.join(HERE, "demo_app.py")

# VIGIL_LAB_NET=N (0-9) gives a lab its own bridge, subnet and namespace names,
# so that several checkouts on one machine can run their labs side by side.
NET = os.environ.get("VIGIL_LAB_NET", "0")
if not re.match(r"^[0-9]$", NET):
    sys.exit("VIGIL_LAB_NET must be one digit 0-9, not %r" % NET)
# VIGIL_LAB_NODES=molecule: the test hosts of Molecule's scenarios, with names
# and a subnet (10.98.N.0/24) of their own, so that they never touch a lab's.
KIND = os.environ.get("VIGIL_LAB_NODES", "lab")
if KIND not in ("lab", "molecule"):
    sys.exit("VIGIL_LAB_NODES must be lab or molecule, not %r" % KIND)
NAMES, VETHS, SUBNET_BASE = ("vigil", "vb", "10.99") if KIND == "lab" else ("vmol", "vm", "10.98")
BRIDGE = NAMES + "-br" + NET
SUBNET = SUBNET_BASE + "." + NET
PREFIX = 24
BRIDGE_ADDRESS = SUBNET + ".1"
FIRST_NODE = 11          # node i (0-based) is SUBNET.(11 + i), up to .99
VIP_RANGE = (100, 199)   # left free for virtual IPs; .100 is the default one
NS_PREFIX = "%s%s-" % (NAMES, "" if NET == "0" else NET)
VETH_PREFIX = "%s%s-" % (VETHS, "" if NET == "0" else NET)
NETNS_DIR = "/run/netns"
SSHD = "/usr/sbin/sshd"
APP_PORT = 8080
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,10}$")   # vbN-NAME fits IFNAMSIZ
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5",
               "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2"]


POWER_STATES = ("poweredOn", "poweredOff", "suspended", "crashed")


class NodeError(Exception):
    pass


# ---------------------------------------------------------------- helpers

def ip(*args, check=True):
    proc = subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode:
        raise NodeError("ip %s: %s" % (" ".join(args), proc.stderr.strip()))
    return proc


def write_if_changed(path, text, mode=0o644):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    return True


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return ""


def read_pid(path):
    text = read_text(path)
    return int(text) if text.isdigit() else None


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie is not alive.
    return not read_text("/proc/%d/stat" % pid).split(") ")[-1].startswith("Z")


def tcp_open(address, port, timeout=0.5):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def load_config():
    try:
        with open(CONFIG, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Node:
    """Names and paths of one node."""

    def __init__(self, name, address):
        self.name = name
        self.address = address
        self.ns = NS_PREFIX + name
        self.veth = VETH_PREFIX + name
        self.dir = os.path.join(NODES_DIR, name)
        self.data = os.path.join(self.dir, "data")
        self.run = os.path.join(self.dir, "run")  # the node's /run: emptied at every boot
        self.sshd_config = os.path.join(self.dir, "sshd_config")
        self.host_key = os.path.join(self.dir, "ssh_host_ed25519_key")
        self.authorized_keys = os.path.join(self.dir, "authorized_keys")
        self.sshd_pid = os.path.join(self.dir, "sshd.pid")
        self.sshd_log = os.path.join(self.dir, "sshd.log")
        self.power_file = os.path.join(self.dir, "power")
        self.app_pid = os.path.join(self.dir, "app.pid")
        self.app_log = os.path.join(self.dir, "app.log")

    def lock(self):
        """An exclusive lock on this node (power hook, up and down serialise)."""
        os.makedirs(self.dir, exist_ok=True)
        fd = os.open(os.path.join(self.dir, "lock"), os.O_WRONLY | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return os.fdopen(fd, "w")

    def ns_exists(self):
        return os.path.exists(os.path.join(NETNS_DIR, self.ns))

    def pids(self):
        return ns_pids(self.ns)

    def wrap(self, argv):
        """argv run inside the node: its network namespace, hostname NAME."""
        return ["ip", "netns", "exec", self.ns, "unshare", "--uts", "--", "/bin/sh", "-c",
                'hostname "$0" && exec "$@"', self.name] + list(argv)

    def power(self):
        return read_text(self.power_file) or "poweredOn"


def nodes_from(config):
    return [Node(n, a) for n, a in config["nodes"].items()]


def physical_of(config):
    """Names of the physical nodes (no VM) of a nodes.json."""
    return list((config or {}).get("physical") or [])


def node_named(name):
    config = load_config()
    if not config or name not in config["nodes"]:
        raise NodeError("%s is not a lab node (nodes.py up)" % name)
    return Node(name, config["nodes"][name])


def ns_pids(ns):
    """Processes in a named network namespace, as `ip netns pids` finds them."""
    try:
        st = os.stat(os.path.join(NETNS_DIR, ns))
    except OSError:
        return []
    key = (st.st_dev, st.st_ino)
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            s = os.stat("/proc/%s/ns/net" % entry)
        except OSError:
            continue
        if (s.st_dev, s.st_ino) == key:
            out.append(int(entry))
    return out


def signal_all(ns, sig, rounds=50):
    """Send sig to every process of the namespace; for SIGKILL, until none is left."""
    for dummy in range(rounds):
        pids = ns_pids(ns)
        if sig == signal.SIGKILL:
            pids = [p for p in pids if alive(p)]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        if sig != signal.SIGKILL:
            return
        time.sleep(0.02)
    raise NodeError("processes left in %s: %s" % (ns, ns_pids(ns)))


# ---------------------------------------------------------------- set-up

def ensure_key():
    if not os.path.exists(SSH_KEY):
        os.makedirs(os.path.dirname(SSH_KEY), exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vigil-lab",
                        "-f", SSH_KEY], check=True)
    return SSH_KEY


def ensure_bridge():
    if not os.path.exists("/sys/class/net/" + BRIDGE):
        ip("link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0")
    sysctl = "/proc/sys/net/ipv6/conf/%s/disable_ipv6" % BRIDGE
    if os.path.exists(sysctl):
        with open(sysctl, "w", encoding="utf-8") as f:
            f.write("1")
    cidr = "%s/%d" % (BRIDGE_ADDRESS, PREFIX)
    if cidr not in ip("-o", "-4", "addr", "show", "dev", BRIDGE).stdout:
        ip("addr", "add", cidr, "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")


def sshd_config(node):
    return "\n".join([
        "# Written by tests/lab/nodes.py for lab node %s." % node.name,
        "ListenAddress %s:22" % node.address,
        "HostKey %s" % node.host_key,
        "PidFile %s" % node.sshd_pid,
        "AuthorizedKeysFile %s" % node.authorized_keys,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        # The repository may live under group-writable directories.
        "StrictModes no",
        "UseDNS no",
        "PrintMotd no",
        "X11Forwarding no",
        "MaxStartups 50:30:200",
        "MaxSessions 50",
        "ClientAliveInterval 5",
        "ClientAliveCountMax 3",
        "Subsystem sftp internal-sftp",
        # SHLVL=1: bash started by sshd then skips ~/.bashrc. The nodes share the
        # machine's home, and a node killed while its rc file holds a lock (pyenv
        # rehash does) would stall every later SSH command on every node.
        "SetEnv SHLVL=1 VIGIL_LAB_NODE=%s VIGIL_LAB_NODE_DIR=%s VIGIL_LAB_NODE_RUN=%s" % (node.name, node.data, node.run),
        "",
    ])


def node_files(node):
    """The node's directory, host key, authorised key and sshd configuration.
    Returns True when the configuration changed (sshd must restart)."""
    os.makedirs(node.data, exist_ok=True)
    if not os.path.exists(node.host_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", node.name,
                        "-f", node.host_key], check=True)
    with open(SSH_KEY + ".pub", encoding="utf-8") as f:
        write_if_changed(node.authorized_keys, f.read(), 0o600)
    return write_if_changed(node.sshd_config, sshd_config(node))


def ensure_links(node):
    """Namespace, veth pair on the bridge, loopback, the node's address.
    Returns what was done (empty: everything was in place)."""
    done = []
    if not node.ns_exists():
        ip("netns", "add", node.ns)
        done.append("namespace")
    has_eth0 = ip("-n", node.ns, "link", "show", "eth0", check=False).returncode == 0
    if not has_eth0 or not os.path.exists("/sys/class/net/" + node.veth):
        ip("link", "del", node.veth, check=False)
        ip("-n", node.ns, "link", "del", "eth0", check=False)
        ip("link", "add", node.veth, "type", "veth", "peer", "name", "eth0", "netns", node.ns)
        done.append("veth")
    if read_text("/sys/class/net/%s/master/ifindex" % node.veth) != read_text("/sys/class/net/%s/ifindex" % BRIDGE):
        ip("link", "set", node.veth, "master", BRIDGE)
        done.append("bridge port")
    ip("-n", node.ns, "link", "set", "lo", "up")
    cidr = "%s/%d" % (node.address, PREFIX)
    if cidr not in ip("-n", node.ns, "-o", "-4", "addr", "show", "dev", "eth0").stdout:
        ip("-n", node.ns, "addr", "add", cidr, "dev", "eth0")
        done.append("address")
    return done


def link(node, up):
    state = "up" if up else "down"
    ip("link", "set", node.veth, state)
    ip("-n", node.ns, "link", "set", "eth0", state)


def sshd_running(node):
    pid = read_pid(node.sshd_pid)
    return pid if alive(pid) and pid in node.pids() else None


def start_sshd(node, timeout=10.0):
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    old = read_pid(node.sshd_pid)
    if old and old in node.pids():
        # The listener must be gone before a new one binds the address.
        os.kill(old, signal.SIGTERM)
        for dummy in range(100):
            if not alive(old):
                break
            time.sleep(0.02)
        else:
            os.kill(old, signal.SIGKILL)
    if os.path.exists(node.sshd_pid):
        os.remove(node.sshd_pid)
    with open(node.sshd_log, "ab") as log:
        proc = subprocess.run(node.wrap([SSHD, "-f", node.sshd_config, "-E", node.sshd_log]),
                              stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=False)
    if proc.returncode:
        raise NodeError("sshd did not start on %s; see %s" % (node.name, node.sshd_log))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sshd_running(node) and tcp_open(node.address, 22, 0.2):
            return
        time.sleep(0.02)
    raise NodeError("sshd on %s does not answer on %s:22; see %s" % (node.name, node.address, node.sshd_log))


def boot(node):
    """A fresh boot: nothing runs, only the node's own address, link up, sshd."""
    signal_all(node.ns, signal.SIGKILL)
    shutil.rmtree(node.run, ignore_errors=True)  # like /run, pid files do not survive a boot
    os.makedirs(node.run)
    ip("-n", node.ns, "addr", "flush", "dev", "eth0")
    ip("-n", node.ns, "addr", "add", "%s/%d" % (node.address, PREFIX), "dev", "eth0")
    link(node, True)
    start_sshd(node)


def power_off(node):
    # Off the network first (one ip call), then kill: nothing answers any more.
    ip("link", "set", node.veth, "down", check=False)
    signal_all(node.ns, signal.SIGKILL)
    ip("-n", node.ns, "link", "set", "eth0", "down", check=False)
    for path in (node.sshd_pid, node.app_pid):
        if os.path.exists(path):
            os.remove(path)


def set_power(node, state):
    write_if_changed(node.power_file, state + "\n")


def ensure_node(node, powered_on):
    """Create or repair a node; 'reused' when it was healthy already."""
    os.makedirs(node.run, exist_ok=True)
    with node.lock():
        changed = node_files(node)
        done = ensure_links(node)
        created = "namespace" in done
        if not powered_on:
            power_off(node)
            set_power(node, "poweredOff")
            return "created, powered off" if created else "powered off"
        if node.power() == "poweredOff" and not created:
            boot(node)
            set_power(node, "poweredOn")
            return "booted (its VM is on)"
        if node.power() == "suspended":
            signal_all(node.ns, signal.SIGCONT)
        up = (os.path.exists("/sys/class/net/%s" % node.veth)
              and read_text("/sys/class/net/%s/operstate" % node.veth) == "up")
        if not up:
            link(node, True)
            done.append("link")
        if changed or not sshd_running(node) or not tcp_open(node.address, 22, 1.0):
            start_sshd(node)
            done.append("sshd")
        set_power(node, "poweredOn")
        if created:
            return "created"
        return "repaired (%s)" % ", ".join(done) if done else "reused"


def inventory(config):
    lines = [
        "# Written by tests/lab/nodes.py: the lab's nodes (network namespaces with sshd).",
        "vigil_lab_nodes:",
        "  hosts:",
    ]
    for node in nodes_from(config):
        lines += [
            "    %s:" % node.name,
            "      ansible_host: %s" % node.address,
            "      vigil_lab_node_dir: %s" % json.dumps(node.data),
        ] + (["      vigil_lab_physical: true"] if node.name in config.get("physical", []) else [])
    lines += [
        "  vars:",
        "    ansible_user: root",
        "    ansible_ssh_private_key_file: %s" % json.dumps(SSH_KEY),
        "    ansible_ssh_common_args: %s" % json.dumps(" ".join(SSH_OPTIONS)),
        "    ansible_python_interpreter: /usr/bin/python3",
        "    vigil_lab_bridge_address: %s" % BRIDGE_ADDRESS,
        "    vigil_lab_prefix: %d" % PREFIX,
        "    vigil_lab_interface: eth0",
        "    vigil_lab_vip: %s.%d" % (SUBNET, VIP_RANGE[0]),
        "",
    ]
    write_if_changed(INVENTORY, "\n".join(lines))
    return INVENTORY


# ---------------------------------------------------------------- commands

def lab_state(lab):
    try:
        with open(os.path.join(LAB_ROOT, lab, "state.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def power_states(state, names):
    """poweredOn/poweredOff of each node's VM, from the lab's control API."""
    import urllib.parse  # pylint: disable=import-outside-toplevel
    import urllib.request  # pylint: disable=import-outside-toplevel
    out = {}
    for name in names:
        url = state["control"] + "/vms?" + urllib.parse.urlencode({"name": name})
        with urllib.request.urlopen(url, timeout=10) as resp:
            vms = json.load(resp)
        out[name] = vms[0]["power_state"] if len(vms) == 1 else "poweredOn"
    return out


def up(lab="default", names=None, log=print, physical=()):
    """Create or repair the nodes of lab `lab` (its named VMs by default), then
    the physical nodes (no VM: a physical node left off by its BMC stays off).
    lab None: standalone hosts without a simulator, always powered on."""
    state = lab_state(lab) if lab else {"vms": []}
    if state is None:
        raise NodeError("lab %s is not running (labctl.py start)" % lab)
    physical = [p for p in physical if p]
    names = list(names or state["vms"])
    if set(physical) & set(names):
        raise NodeError("physical nodes %s are VMs of the lab" % sorted(set(physical) & set(names)))
    vm_names, names = names, names + physical
    for name in names:
        if not NAME_RE.match(name):
            raise NodeError("node name %r: use 1-12 of a-z, 0-9, - (it names a network interface)" % name)
    if len(names) > VIP_RANGE[0] - FIRST_NODE:
        raise NodeError("at most %d nodes" % (VIP_RANGE[0] - FIRST_NODE))
    old = load_config()
    if old and old["lab"] != lab and old["lab"] and lab_state(old["lab"]):
        raise NodeError("the nodes belong to lab %s, which is running; stop it first" % old["lab"])
    config = {"lab": lab, "bridge": BRIDGE, "bridge_address": BRIDGE_ADDRESS, "prefix": PREFIX,
              "nodes": {n: "%s.%d" % (SUBNET, FIRST_NODE + i) for i, n in enumerate(names)},
              "physical": physical}
    if old and old["nodes"] != config["nodes"]:
        down(log=lambda *a: None)
    os.makedirs(NODES_DIR, exist_ok=True)
    ensure_key()
    write_if_changed(CONFIG, json.dumps(config, indent=2) + "\n")
    ensure_bridge()
    powers = power_states(state, vm_names) if lab else dict.fromkeys(vm_names, "poweredOn")
    for name in physical:
        node = Node(name, config["nodes"][name])
        powers[name] = "poweredOff" if node.ns_exists() and node.power() == "poweredOff" else "poweredOn"
    for node in nodes_from(config):
        result = ensure_node(node, powers[node.name] == "poweredOn")
        log("node %s %s (%s): %s" % (node.name, node.address, node.ns, result))
    log("nodes: inventory %s, key %s" % (inventory(config), SSH_KEY))
    return config


def down(log=print):
    """Kill everything in the lab's namespaces and remove them, the veths and the bridge."""
    config = load_config()
    if os.path.exists(CONFIG):
        os.remove(CONFIG)   # from now on the power hook does nothing
    nodes = nodes_from(config) if config else []
    known = {n.ns for n in nodes}
    if os.path.isdir(NETNS_DIR):
        nodes += [Node(ns[len(NS_PREFIX):], None) for ns in sorted(os.listdir(NETNS_DIR))
                  if ns.startswith(NS_PREFIX) and ns not in known]
    for node in nodes:
        with node.lock():
            if node.ns_exists():
                signal_all(node.ns, signal.SIGKILL)
                ip("netns", "del", node.ns, check=False)
                log("node %s removed" % node.name)
            ip("link", "del", node.veth, check=False)
            for path in (node.sshd_pid, node.app_pid, node.power_file):
                if os.path.exists(path):
                    os.remove(path)
            shutil.rmtree(node.run, ignore_errors=True)  # a node that is gone keeps no /run
    if os.path.exists("/sys/class/net/" + BRIDGE):
        ip("link", "del", BRIDGE, check=False)
        log("bridge %s removed" % BRIDGE)


def owner():
    """The lab whose nodes these are, or None."""
    config = load_config()
    return config["lab"] if config else None


def node_status(node):
    exists = node.ns_exists()
    return {
        "address": node.address,
        "namespace": node.ns if exists else None,
        "power": node.power() if exists else None,
        "link": read_text("/sys/class/net/%s/operstate" % node.veth) or None,
        "sshd_pid": sshd_running(node) if exists else None,
        "ssh": tcp_open(node.address, 22) if exists else False,
        "app": tcp_open(node.address, APP_PORT) if exists else False,
        "processes": len(node.pids()),
    }


def status():
    config = load_config()
    if not config:
        return {}
    return {n.name: node_status(n) for n in nodes_from(config)}


def power(name, state):
    """The power hook: make node `name` follow its VM's power state."""
    config = load_config()
    if not config or name not in config["nodes"]:
        return "%s: not a lab node, nothing to do" % name
    node = Node(name, config["nodes"][name])
    with node.lock():
        if load_config() is None:
            return "%s: nodes removed meanwhile" % name
        before = node.power()
        if state == "poweredOff":
            power_off(node)
        elif state == "suspended":
            ip("link", "set", node.veth, "down", check=False)
            signal_all(node.ns, signal.SIGSTOP)
            ip("-n", node.ns, "link", "set", "eth0", "down", check=False)
        elif state == "crashed":
            power_off(node)  # a panicked kernel: nothing runs or answers, the power stays on
        elif state == "poweredOn":
            if not node.ns_exists():
                ensure_bridge()
                node_files(node)
                ensure_links(node)
                boot(node)
            elif before == "suspended":
                signal_all(node.ns, signal.SIGCONT)
                link(node, True)
            elif before == "poweredOn":
                # Powered on again while on (the control API allows it):
                # nothing reboots; sshd is started if it had died.
                link(node, True)
                if not sshd_running(node):
                    start_sshd(node)
            else:
                boot(node)
        else:
            raise NodeError("unknown power state %r" % state)
        set_power(node, state)
    return "%s: %s -> %s" % (name, before, state)


def app(action, name):
    node = node_named(name)
    pid = read_pid(node.app_pid)
    running = pid if alive(pid) and pid in node.pids() else None
    url = "http://%s:%d/" % (node.address, APP_PORT)
    if action == "status":
        return "%s: demo app %s" % (name, "running (pid %d) at %s" % (running, url) if running else "not running")
    if action == "stop":
        if not running:
            return "%s: demo app not running" % name
        os.kill(running, signal.SIGTERM)
        for dummy in range(100):
            if not alive(running):
                break
            time.sleep(0.05)
        else:
            os.kill(running, signal.SIGKILL)
        os.remove(node.app_pid)
        return "%s: demo app stopped" % name
    if running:
        return "%s: demo app already running (pid %d) at %s" % (name, running, url)
    if node.power() != "poweredOn":
        raise NodeError("%s is %s" % (name, node.power()))
    data = os.path.join(node.data, "demo")
    with open(node.app_log, "ab") as log:
        proc = subprocess.Popen(node.wrap([sys.executable, DEMO_APP, "--node", name, "--data-dir", data,
                                           "--port", str(APP_PORT)]),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    write_if_changed(node.app_pid, "%d\n" % proc.pid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NodeError("demo app on %s exited; see %s" % (name, node.app_log))
        if tcp_open(node.address, APP_PORT, 0.2):
            return "%s: demo app running (pid %d) at %s, data in %s" % (name, proc.pid, url, data)
        time.sleep(0.05)
    raise NodeError("demo app on %s does not answer; see %s" % (name, node.app_log))


def ssh_argv(name, command=()):
    node = node_named(name)
    return ["ssh", "-i", SSH_KEY] + SSH_OPTIONS + ["root@" + node.address] + list(command)


def main(argv=None):
    import argparse  # pylint: disable=import-outside-toplevel
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("up")
    s.add_argument("--lab", default="default")
    s.add_argument("--nodes", help="node names (default: the lab's named VMs)")
    s.add_argument("--standalone", action="store_true", help="no simulator: the nodes are simply on")
    s.add_argument("--physical", default="", help="physical node names (no VM; powered by their BMC)")
    sub.add_parser("down")
    s = sub.add_parser("status")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("power")
    s.add_argument("node")
    s.add_argument("state", choices=POWER_STATES)
    s = sub.add_parser("app")
    s.add_argument("action", choices=["start", "stop", "status"])
    s.add_argument("node")
    s = sub.add_parser("ssh")
    s.add_argument("node")
    s.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    try:
        if args.cmd == "up":
            up(None if args.standalone else args.lab, args.nodes.split(",") if args.nodes else None,
               physical=args.physical.split(","))
        elif args.cmd == "down":
            down()
        elif args.cmd == "status":
            st = status()
            if args.json:
                print(json.dumps(st, indent=2))
            for name, n in ({} if args.json else st).items():
                print("%-8s %-12s %-11s link=%-5s ssh=%-5s app=%-5s processes=%d"
                      % (name, n["address"], n["power"], n["link"], n["ssh"], n["app"], n["processes"]))
            return 0 if st and all(n["ssh"] == (n["power"] == "poweredOn") for n in st.values()) else 1
        elif args.cmd == "power":
            print(power(args.node, args.state))
        elif args.cmd == "app":
            print(app(args.action, args.node))
        elif args.cmd == "ssh":
            argv = ssh_argv(args.node, args.command)
            os.execvp(argv[0], argv)
    except NodeError as e:
        sys.stderr.write("nodes: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
