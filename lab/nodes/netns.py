# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network side of a node: its namespace, veth pair and the bridge, and the
processes inside a namespace."""
import os
import signal
import subprocess
import time

from lab.nodes.names import BRIDGE, BRIDGE_ADDRESS, NETNS_DIR, PREFIX, NodeError
from lab.procs import alive, read_text


def ip(*args, check=True):
    proc = subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode:
        raise NodeError("ip %s: %s" % (" ".join(args), proc.stderr.strip()))
    return proc


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
