# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names, addresses and paths of the lab's nodes (see lab/nodes/__init__.py)."""
import os
import re
import sys

from lab.paths import HERE, LAB_ROOT

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
