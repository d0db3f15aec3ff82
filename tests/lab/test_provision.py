# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""provision_node and remove_node on the lab, as an operator runs them: the
lab's bare node3 joins the running hierarchy `web`, takes it over by
switchover, cannot be removed while it serves, and can after. The cluster
file is a copy of the lab's cluster.yml (the other lab tests keep theirs)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from cluster_runs import LAB, playbook, until, vip_answer, where

EXTEND = json.dumps({"extend": [{"name": "web", "priority": 3}]})


def web_nodes(path):
    with open(path, encoding="utf-8") as f:
        hierarchies = yaml.safe_load(f)["vigil_ha_cluster"]["vars"]["vigil_ha_hierarchies"]
    return dict((n["node"], n["priority"]) for n in hierarchies[0]["nodes"])


def recap(out, host):
    """The counts of a host's last PLAY RECAP line (ok, changed, failed...)."""
    line = re.findall(r"%s\s+: ((?:\w+=\d+ ?)+)" % host, out)[-1]
    return dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", line))


@pytest.fixture(scope="module")
def cluster(lab, tmp_path_factory):
    """A copy of the lab's cluster, node3's paths, a watcher key; web on node1."""
    d = tmp_path_factory.mktemp("provision")
    inventory = str(d / "cluster.yml")
    shutil.copy(os.path.join(LAB, "cluster.yml"), inventory)
    node3 = [n for n in lab["lab_nodes"] if n["name"] == "node3"][0]
    key = str(d / "watcher_key")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    with open(key + ".pub", encoding="utf-8") as f:
        pub = f.read().strip()
    # The nodes share the machine's file system: node3 keeps its files in its own directory.
    node_vars = {
        "vigil_ha_node_sysctl_file": os.path.join(node3["data_dir"], "sysctl-vigil-ha.conf"),
        "vigil_ha_node_config_dir": os.path.join(node3["data_dir"], "etc-vigil-ha"),
        "vigil_ha_node_script_dir": os.path.join(node3["data_dir"], "etc-vigil-ha", "scripts"),
        "vigil_ha_node_authorized_keys": os.path.join(os.path.dirname(node3["data_dir"]), "authorized_keys"),
        "vigil_ha_node_watcher_keys": [pub],
    }
    shutil.rmtree(node_vars["vigil_ha_node_config_dir"], ignore_errors=True)
    with open(d / "node3.json", "w", encoding="utf-8") as f:
        json.dump(node_vars, f)
    c = {"inventory": inventory, "vars": str(d / "node3.json"), "key": key, "node3": node3, **node_vars}
    rc, out = playbook("start", "-e", "target=node1", inventory=inventory)
    if rc != 0 or where(out)[0] != "node1":
        rc, out = playbook("switchover", "-e", "target=node1", inventory=inventory)
    assert rc == 0, out
    yield c
    playbook("switchover", "-e", "target=node1", inventory=inventory)
    rc, out = playbook("stop", inventory=inventory)
    assert rc == 0, out


def run(c, name, *extra, inventory=None):
    return playbook(name, "-e", "@" + c["vars"], "-e", "node=node3", "-e", "cluster_file=" + (inventory or c["inventory"]),
                    *extra, inventory=inventory or c["inventory"])


def described(c):
    try:
        with open(os.path.join(c["vigil_ha_node_config_dir"], "hierarchies.json"), encoding="utf-8") as f:
            return [h["name"] for h in json.load(f)["hierarchies"]]
    except FileNotFoundError:
        return None


def test_check_mode_changes_nothing(cluster):
    rc, out = run(cluster, "provision_node", "-e", EXTEND, "--check")
    assert rc == 0, out
    assert "node3 can take over web; a switchover would run:" in out
    assert "node3: start web-app (service)" in out
    assert web_nodes(cluster["inventory"]) == {"node1": 1, "node2": 2}
    assert described(cluster) is None


def test_provision_node_makes_node3_a_member(cluster):
    rc, out = run(cluster, "provision_node", "-e", EXTEND)
    assert rc == 0, out
    assert "node3 is a node of web in %s" % cluster["inventory"] in out
    assert web_nodes(cluster["inventory"]) == {"node1": 1, "node2": 2, "node3": 3}
    assert described(cluster) == ["web"]
    sysctl = subprocess.run(["python3", "-m", "lab.nodes", "ssh", "node3", "sysctl", "-n", "net.ipv4.ip_nonlocal_bind"],
                            capture_output=True, text=True, check=False, cwd=os.path.dirname(os.path.dirname(LAB)))
    assert sysctl.stdout.strip() == "1", sysctl.stderr
    # The watcher's key is authorised on node3.
    ssh = subprocess.run(["ssh", "-i", cluster["key"], "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                          "-o", "BatchMode=yes", "root@" + cluster["node3"]["address"], "hostname"],
                         capture_output=True, text=True, check=False, timeout=30)
    assert ssh.stdout.strip() == "node3", ssh.stderr
    assert vip_answer() == "node1"  # nothing in service moved
    # A second run changes nothing.
    rc, out = run(cluster, "provision_node", "-e", EXTEND)
    assert rc == 0, out
    assert recap(out, "node3")["changed"] == 0 and recap(out, "localhost")["changed"] == 0, out


def test_switchover_to_node3(cluster):
    rc, out = playbook("switchover", "-e", "target=node3", inventory=cluster["inventory"])
    assert rc == 0, out
    assert where(out)[0] == "node3"
    assert until(lambda: vip_answer() == "node3")


def test_remove_node_refuses_while_node3_serves(cluster):
    rc, out = run(cluster, "remove_node")
    assert rc != 0
    assert "remove_node refused: node3 serves web" in out and "nothing was changed" in out
    assert web_nodes(cluster["inventory"]) == {"node1": 1, "node2": 2, "node3": 3}
    assert vip_answer() == "node3"


def test_remove_node_after_switching_away(cluster):
    rc, out = playbook("switchover", "-e", "target=node1", inventory=cluster["inventory"])
    assert rc == 0, out
    rc, out = run(cluster, "remove_node")
    assert rc == 0, out
    assert web_nodes(cluster["inventory"]) == {"node1": 1, "node2": 2}
    assert described(cluster) == []
    assert vip_answer() == "node1"


def test_bad_requests_are_refused_and_change_nothing(cluster, tmp_path):
    before = web_nodes(cluster["inventory"])
    rc, out = run(cluster, "provision_node", "-e", json.dumps({"extend": [{"name": "nope", "priority": 3}]}))
    assert rc != 0 and "hierarchies[0].name: no hierarchy named 'nope' (known: web)" in out
    rc, out = run(cluster, "provision_node", "-e", json.dumps({"extend": [{"name": "web", "priority": 1}]}))
    assert rc != 0 and "cluster configuration refused" in out and "priority" in out
    # A virtual IP on an interface node3 does not have: the node role says so.
    other = str(tmp_path / "cluster.yml")
    with open(cluster["inventory"], encoding="utf-8") as f:
        text = f.read()
    with open(other, "w", encoding="utf-8") as f:
        f.write(text.replace('interface: eth0', 'interface: eth9').replace('"interface": "eth0"', '"interface": "eth9"'))
    rc, out = run(cluster, "provision_node", "-e", EXTEND, inventory=other)
    assert rc != 0
    assert "node3: hierarchy 'web', resource 'web-vip' (kind ip), params.interface: no interface eth9 on this node" in out
    assert web_nodes(other) == before and web_nodes(cluster["inventory"]) == before
