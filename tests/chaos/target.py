# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab as the chaos suite sees it: its variables, the fault control API,
the nodes (network namespaces), the virtual IP, and the cluster inventory the
suite runs the playbooks with.

The inventory is the lab's own (lab/inventories.py writes it) with one
change: the demo application keeps its data in ONE directory shared by the
nodes (``.lab/default/chaos/shared/web``), standing in for the shared or
replicated disk that moves with a hierarchy in a real cluster. With the
lab's per-node directories a failover would "lose" every write by design;
with a shared one, "no acknowledged write is lost" is a property the
orchestration must keep (two nodes writing at once is what the single-owner
audit catches)."""
from __future__ import annotations

import collections
import json
import os
import subprocess
import urllib.request

from lab import bmc, nodes
from lab.control import Control, ControlError
from lab.paths import lab_dir

from cluster import Cluster

LAB = lab_dir()
CHAOS = os.path.join(LAB, "chaos")
SHARED = os.path.join(CHAOS, "shared", "web")
HIERARCHY = "web"
PRIMARY, STANDBY = "node1", "node2"
NODE_NAMES = ("node1", "node2", "node3")
# Host mode (scenarios/hosts.py): the lab's hierarchy erp (two whole VMs,
# erp-app needs erp-db) on esxi-03.lab, then esxi-02.lab. esxi-03.lab runs
# node3, which is in no hierarchy of web's cluster: a host that dies there
# leaves web (and its audits) untouched on node1 (esxi-01.lab).
HOST_HIERARCHY = "erp"
HOST_OWNER, HOST_STANDBY = "esxi-03.lab", "esxi-02.lab"
HOST_VMS = collections.OrderedDict([("erp-db", "filler-00001"), ("erp-app", "filler-00002")])
HOST_DEPENDS = {"erp-app": ["erp-db"]}
BMC_TIMEOUT = 10   # the fence agent's timeout in the host inventory: a BMC slower than this fails


class LabError(Exception):
    pass


class Lab(object):
    """One running lab (``python3 -m lab start``), read from its vcenter.json."""

    def __init__(self):
        path = os.path.join(LAB, "vcenter.json")
        if not os.path.exists(path):
            raise LabError("the lab is not running: python3 -m lab start")
        with open(path, encoding="utf-8") as f:
            self.vars = json.load(f)
        if "lab_nodes" not in self.vars:
            raise LabError("the lab has no nodes (python3 -m lab start --nodes)")
        self.vars_file = path
        self.api = Control(self.vars["lab_control_url"])
        self.vip = self.vars["lab_vip"].split("/")[0]
        self.vip_url = "http://%s:%d" % (self.vip, nodes.APP_PORT)
        self.password = self.vars["vcenter_password"]
        self.bmc_password = None
        self.inventory = self.write_inventory()
        # The cluster the scenarios drive: the lab's (this inventory) unless runner.py --cluster names another.
        self.cluster = Cluster(self.inventory)
        self.host_inventory = self.write_host_inventory() if self.vars.get("lab_bmcs") else None

    # -- the control API ------------------------------------------------

    def control(self, verb, path, **params):
        try:
            return (self.api.post if verb == "POST" else self.api.get)(path, **params)
        except ControlError as e:
            raise LabError(str(e)) from None

    def fault(self, path, **params):
        """A fault through the control API, or bmc/HOST/unreachable|slow|recover (seconds=N)
        through the file the lab's BMCs read (as python3 -m lab fault does)."""
        parts = path.strip("/").split("/")
        if parts[0] == "bmc" and len(parts) == 3:
            return bmc.set_fault(os.path.basename(LAB), parts[1], parts[2], params.get("seconds"))
        return self.control("POST", path, **params)

    def hosts(self):
        """{host: (connection_state, power_state)} as the simulator has them."""
        return dict((h["name"], (h["connection_state"], h["power_state"])) for h in self.control("GET", "hosts"))

    def vms(self, name):
        return self.control("GET", "vms", name=name)

    def vm(self, name):
        found = self.vms(name)
        if len(found) != 1:
            raise LabError("%d VMs are named %s" % (len(found), name))
        return found[0]

    # -- nodes ----------------------------------------------------------

    @staticmethod
    def node(name):
        return nodes.node_named(name)

    @staticmethod
    def ns_run(name, *argv, check=True):
        """A command inside a node's network namespace (as root, no SSH)."""
        proc = subprocess.run(["ip", "netns", "exec", nodes.node_named(name).ns] + list(argv),
                              capture_output=True, text=True, check=False, timeout=30)
        if check and proc.returncode:
            raise LabError("%s: %s: %s" % (name, " ".join(argv), proc.stderr.strip()))
        return proc

    @staticmethod
    def power_hook(name, state):
        """What the simulator's power hook does, without telling vCenter:
        `suspended` is a guest hang (processes stopped, the VM still on)."""
        return nodes.power(name, state)

    def vip_on(self, name):
        node = nodes.node_named(name)
        if not node.ns_exists():
            return False
        out = nodes.ip("-n", node.ns, "-o", "-4", "addr", "show", "dev", "eth0", check=False).stdout
        return (" %s/" % self.vip) in out

    @staticmethod
    def app_pids(name):
        """Processes of the hierarchy's demo application on a node (any state but zombie)."""
        node = nodes.node_named(name)
        out = []
        for pid in node.pids():
            cmd = nodes.read_text("/proc/%d/cmdline" % pid).replace("\0", " ")
            if "demo_app.py" in cmd and SHARED in cmd and nodes.alive(pid):
                out.append(pid)
        return out

    def serving(self):
        """{node: what it holds} for every node that is on or merely hung
        (a hung node resumes serving unless it was fenced)."""
        out = {}
        for name in NODE_NAMES:
            node = nodes.node_named(name)
            if not node.ns_exists() or node.power() == "poweredOff":
                continue
            held = (["vip"] if self.vip_on(name) else []) + (["app"] if self.app_pids(name) else [])
            if held:
                out[name] = held
        return out

    # -- the application through the virtual IP --------------------------

    def http(self, path, method="GET", timeout=3):
        req = urllib.request.Request(self.vip_url + path, data=b"" if method == "POST" else None, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read().decode()
        except (OSError, ValueError):
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body.strip()

    def who_serves(self):
        return self.http("/", timeout=2)

    # -- the cluster inventory ------------------------------------------

    def write_inventory(self, extra_resources=(), name="cluster.json"):
        """The lab's cluster with the shared data directory (and any extra
        resources on top of web-app); returns its path."""
        with open(self.vars["lab_cluster_inventory"], encoding="utf-8") as f:
            text = f.read()
        cluster = json.loads(text[text.index("{"):])
        web = cluster["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]
        app = [r for r in web["resources"] if r["name"] == "web-app"][0]
        app["params"]["command"] = "/usr/bin/python3 %s --data-dir %s" % (nodes.DEMO_APP, SHARED)
        web["resources"].extend(extra_resources)
        os.makedirs(SHARED, exist_ok=True)
        path = os.path.join(CHAOS, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(cluster, f, indent=1)
        return path

    def hierarchy(self):
        with open(self.inventory, encoding="utf-8") as f:
            return json.load(f)["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"][0]

    def write_host_inventory(self):
        """The lab's host-mode cluster (cluster-host.yml) with erp on
        HOST_OWNER then HOST_STANDBY, and HOST_OWNER fenced as a real estate
        would: vCenter first, then its BMC through fence_ipmilan. The BMC's
        password is a variable of the cluster group (as from a vault)."""
        with open(self.vars["lab_host_cluster_inventory"], encoding="utf-8") as f:
            text = f.read()
        cluster = json.loads(text[text.index("{"):])["vigil_ha_cluster"]
        erp = [h for h in cluster["vars"]["vigil_ha_hierarchies"] if h["name"] == HOST_HIERARCHY][0]
        # esxi-01.lab last: where the lab tests leave erp, so that any owner is a node here.
        erp["nodes"] = [{"node": HOST_OWNER, "priority": 1}, {"node": HOST_STANDBY, "priority": 2},
                        {"node": "esxi-01.lab", "priority": 3}]
        cluster["vars"]["vigil_ha_hierarchies"] = [erp]
        creds = self.vars["lab_bmcs"][HOST_OWNER]
        cluster["vars"]["lab_bmc_password"] = self.bmc_password = creds["password"]
        cluster["hosts"][HOST_OWNER]["vigil_ha_node"]["fencing"] = {"levels": [
            {"method": "vcenter_poweroff"},
            {"method": "fence_agent", "agent": "fence_ipmilan", "timeout": BMC_TIMEOUT,
             "password": "{{ lab_bmc_password }}",
             "options": {"ip": creds["address"], "ipport": creds["port"], "username": creds["username"],
                         "lanplus": 1}}]}
        path = os.path.join(CHAOS, "cluster-host.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"vigil_ha_cluster": cluster}, f, indent=1)
        return path

    def host_vms(self):
        """{resource: [the lab's copies of its VM: host, power_state, connection, moref]}."""
        return dict((r, self.vms(name)) for r, name in HOST_VMS.items())
