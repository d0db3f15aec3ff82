# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One node (names and paths), the nodes of the running lab (nodes.json)."""
import fcntl
import json
import os

from lab.nodes.names import CONFIG, LAB_ROOT, NETNS_DIR, NODES_DIR, NS_PREFIX, VETH_PREFIX, NodeError
from lab.nodes.netns import ns_pids
from lab.procs import read_text


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
        raise NodeError("%s is not a lab node (python3 -m lab.nodes up)" % name)
    return Node(name, config["nodes"][name])


def lab_state(lab):
    try:
        with open(os.path.join(LAB_ROOT, lab, "state.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def owner():
    """The lab whose nodes these are, or None."""
    config = load_config()
    return config["lab"] if config else None
