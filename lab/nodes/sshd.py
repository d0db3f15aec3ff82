# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's sshd: the lab's key, the node's host key and configuration, starting it."""
import os
import signal
import subprocess
import time

from lab.nodes.names import SSH_KEY, SSHD, NodeError
from lab.procs import alive, read_pid, write_if_changed
from lab.wait import tcp_open


def ensure_key():
    if not os.path.exists(SSH_KEY):
        os.makedirs(os.path.dirname(SSH_KEY), exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vigil-lab",
                        "-f", SSH_KEY], check=True)
    return SSH_KEY


def sshd_config(node):
    return "\n".join([
        "# Written by lab/nodes for lab node %s." % node.name,
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
