# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's power: boot, off, suspended, crashed; the simulator's power hook and
the physical nodes' BMCs call ``power``."""
import os
import shutil
import signal

from lab.nodes.names import PREFIX, NodeError
from lab.nodes.netns import ensure_bridge, ensure_links, ip, link, signal_all
from lab.nodes.node import Node, load_config
from lab.nodes.sshd import node_files, sshd_running, start_sshd
from lab.procs import read_text, write_if_changed
from lab.wait import tcp_open


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
