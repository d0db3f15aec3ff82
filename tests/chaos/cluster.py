# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster the suite drives, and the collection it drives it with.

By default that is the lab's own cluster (hierarchy `web` on node1, node2,
node3) and the collection of this checkout. With `runner.py --cluster INV
--hierarchy NAME` it is an inventory of the user's: any group, hierarchy
and node names, as long as its nodes are the lab's (matched by address:
the faults act on the lab's VMs and namespaces) and its first two nodes by
priority are the lab's node1 and node2. With `--installed` (or
`--collections PATH`) the playbooks and the watcher run the collection as
`ansible-galaxy collection install` leaves it, without the repository's
ansible.cfg.

The scenarios speak the lab's names (node1, web). The names are translated
where the suite meets the cluster: the playbooks' extra variables going
out; their output, the ledger and the watcher's log coming back; the owner
read from vCenter."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

from lab.paths import VENV_BIN
from lab.user_side import empty_config

DEFAULT_GROUP = "vigil_ha_cluster"


class ClusterError(Exception):
    pass


class Cluster(object):
    def __init__(self, inventory, hierarchy="web", lab_hierarchy="web", group=DEFAULT_GROUP, nodes=None,
                 collections=None):
        self.inventory = inventory
        self.hierarchy, self.lab_hierarchy, self.group = hierarchy, lab_hierarchy, group
        self.nodes = dict(nodes or {})   # lab name -> cluster name, only those that differ
        self.collections = collections
        pairs = dict(self.nodes)
        if hierarchy != lab_hierarchy:
            pairs[lab_hierarchy] = hierarchy
        # Compiled once: to_lab runs on every line of every run's output and ledger.
        self._out = self._swapper(pairs)
        self._back = self._swapper(dict((v, k) for k, v in pairs.items()))
        self.renamed = bool(pairs)

    @staticmethod
    def _swapper(table):
        """A function replacing each whole name of `table` in a text by its value."""
        if not table:
            return lambda text: text
        names = sorted(table, key=len, reverse=True)   # the longest first: "node10" before "node1"
        pattern = re.compile(r"(?<![\w.-])(%s)(?![\w-])" % "|".join(re.escape(k) for k in names))
        return lambda text: pattern.sub(lambda m: table[m.group(1)], text) if text else text

    def to_cluster(self, text):
        """The lab's names in `text` as the cluster calls them."""
        return self._out(text)

    def to_lab(self, text):
        """The cluster's names in `text` as the lab (and the scenarios) call them."""
        return self._back(text)

    def extra_args(self, extra):
        """A playbook's arguments with the cluster's names in its extra variables, and its group."""
        out, after_e = [], False
        for arg in extra:
            out.append(self.to_cluster(arg) if after_e and not arg.startswith("@") else arg)
            after_e = arg in ("-e", "--extra-vars")
        if self.group != DEFAULT_GROUP:
            out += ["-e", "vigil_ha_cluster_group=" + self.group]
        return out

    def env(self, base):
        """The environment of a run: the lab's, or a user's (the installed
        collection only, an empty ansible.cfg, no repository on PYTHONPATH)."""
        if not self.collections:
            return base
        env = dict((k, v) for k, v in base.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH")
        env.update(ANSIBLE_CONFIG=empty_config(), ANSIBLE_COLLECTIONS_PATH=self.collections, ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0")
        if base.get("ANSIBLE_LOG_PATH"):
            env["ANSIBLE_LOG_PATH"] = base["ANSIBLE_LOG_PATH"]   # where the suite keeps each scenario's log
        return env

    def watcher_inventory(self, directory):
        """A copy of a user's inventory for the watcher (it adds localhost and vCenter's variables)."""
        target = os.path.join(directory, "inventory")
        if os.path.isdir(self.inventory):
            shutil.copytree(self.inventory, target)
        else:
            os.makedirs(target)
            shutil.copy(self.inventory, target)
        return target

    @classmethod
    def from_inventory(cls, inventory, hierarchy, lab_nodes, lab_hierarchy="web", collections=None):
        """The cluster of a user's inventory: its group (the one whose variables
        name `hierarchy`), its nodes matched to the lab's by address."""
        env = dict(os.environ, ANSIBLE_CONFIG=empty_config())
        env.pop("PYTHONPATH", None)
        proc = subprocess.run([os.path.join(VENV_BIN, "ansible-inventory"), "-i", inventory, "--list"],
                              capture_output=True, text=True, env=env, check=False, timeout=120)
        if proc.returncode:
            raise ClusterError("--cluster %s: ansible-inventory failed: %s" % (inventory, proc.stderr.strip()))
        data = json.loads(proc.stdout)
        hostvars = data.get("_meta", {}).get("hostvars", {})
        groups = [g for g, v in data.items() if g not in ("_meta", "all", "ungrouped") and v.get("hosts")]
        group = next((g for g in groups if any(h.get("name") == hierarchy for h in (
            hostvars[data[g]["hosts"][0]].get("vigil_ha_hierarchies") or []))), None)
        if group is None:
            raise ClusterError("--cluster %s: no group's vigil_ha_hierarchies has a hierarchy %r" % (inventory, hierarchy))
        by_address = dict((n["address"], n["name"]) for n in lab_nodes)
        nodes = {}
        for host in data[group]["hosts"]:
            lab_name = by_address.get(hostvars[host].get("ansible_host"))
            if lab_name is None:
                raise ClusterError("--cluster %s: node %s (ansible_host %s) is none of the lab's nodes %s"
                                   % (inventory, host, hostvars[host].get("ansible_host"), sorted(by_address.values())))
            if lab_name != host:
                nodes[lab_name] = host
        wanted = [h for h in hostvars[data[group]["hosts"][0]]["vigil_ha_hierarchies"] if h["name"] == hierarchy][0]
        order = [n["node"] for n in sorted(wanted["nodes"], key=lambda n: n.get("priority", 0))]
        back = dict((v, k) for k, v in nodes.items())
        if [back.get(n, n) for n in order[:2]] != ["node1", "node2"]:
            raise ClusterError("--cluster %s: the scenarios start %s on the lab's node1 with node2 next; its nodes by "
                               "priority are %s" % (inventory, hierarchy, order))
        return cls(inventory, hierarchy=hierarchy, lab_hierarchy=lab_hierarchy, group=group, nodes=nodes,
                   collections=collections)
