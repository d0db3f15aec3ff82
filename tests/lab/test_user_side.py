# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha as a user has it (lab/user_side.py): installed with
ansible-galaxy, no repository ansible.cfg, group `prod_ha`, nodes
alpha/bravo/charlie, hierarchy `shop` (the lab's web under other names)."""
from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import time

import pytest
import yaml
from cluster_runs import until, vip_answer, where
from lab.user_side import lab_node, run_playbook, user_inventory
from lab import nodes


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    return user_inventory(tmp_path_factory.mktemp("user") / "inventory")


def yaml_hosts(inventory):
    with open(os.path.join(inventory, "hosts.yml"), encoding="utf-8") as f:
        return next(iter(yaml.safe_load(f).values()))["hosts"]


@pytest.fixture
def shop(inventory):
    """`shop` stopped before and after (the lab's other tests expect bare nodes)."""
    rc, out = run_playbook("stop", inventory=inventory)
    assert rc == 0, out
    yield inventory
    rc, out = run_playbook("stop", inventory=inventory)
    assert rc == 0, out


def test_start_switchover_stop_as_installed(shop):
    rc, out = run_playbook("start", "-e", "target=alpha", inventory=shop)
    assert rc == 0, out
    assert where(out, "shop")[0] == "alpha"
    assert until(lambda: vip_answer() == lab_node("alpha"))

    rc, out = run_playbook("switchover", "-e", "target=bravo", inventory=shop)
    assert rc == 0, out
    assert where(out, "shop")[0] == "bravo"
    assert until(lambda: vip_answer() == lab_node("bravo"))

    rc, out = run_playbook("stop", inventory=shop)
    assert rc == 0, out
    assert until(lambda: vip_answer() is None, 5)


def node_ssh_lines(out, address):
    """The SSH command lines Ansible ran to a node (-vvv), and its file transfers."""
    execs = re.findall(r"<%s> SSH: EXEC (.*?)(?=<\d+\.\d+\.\d+\.\d+> |$)" % re.escape(address), out)
    puts = re.findall(r"<%s> PUT " % re.escape(address), out)
    return execs, puts


def test_the_collection_brings_its_ssh_keepalives_and_pipelining(inventory, lab):
    """Without the repository's ansible.cfg, a step on a node that vanished
    must still end within seconds: SSH keepalives on every connection to a
    node, and pipelining (one SSH operation per module)."""
    rc, out = run_playbook("status", "-vvv", inventory=inventory)
    assert rc == 0, out
    address = yaml_hosts(inventory)["alpha"]["ansible_host"]
    execs, puts = node_ssh_lines(out, address)
    assert execs, out
    for line in execs:
        assert "ServerAliveInterval=5" in line and "ServerAliveCountMax=2" in line, line
        # The user's own options are kept (host key handling of the lab's sshd).
        assert "UserKnownHostsFile=/dev/null" in line, line
    assert not puts, "modules copied to the node (no pipelining): %s" % puts


GUARD = {
    "check": '[ -e "$VIGIL_LAB_NODE_RUN/shop-guard.up" ]\n',
    # Hangs (after saying so) where the test asks for it, as an application's start can.
    "start": ('mkdir -p "$VIGIL_LAB_NODE_RUN"\n'
              'if [ -e "$VIGIL_LAB_NODE_DIR/shop-guard.hang" ]; then\n'
              '  touch "$VIGIL_LAB_NODE_DIR/shop-guard.started"; sleep 100\nfi\n'
              'touch "$VIGIL_LAB_NODE_RUN/shop-guard.up"\n'),
    "stop": 'rm -f "$VIGIL_LAB_NODE_RUN/shop-guard.up"\n',
}


def guard_files(node, *names):
    return [os.path.join(nodes.node_named(node).data, n) for n in names]


@pytest.fixture
def guarded(tmp_path, control):
    """`shop` with a script resource on top (`shop-guard`, timeout 200 s) in
    service on alpha; node2 booted afresh and `shop` stopped afterwards."""
    inventory = user_inventory(tmp_path / "inventory")
    path = os.path.join(inventory, "group_vars", "prod_ha.yml")
    with open(path, encoding="utf-8") as f:
        group_vars = yaml.safe_load(f)
    group_vars["vigil_ha_hierarchies"][0]["resources"].append({
        "name": "shop-guard", "kind": "script", "depends_on": ["web-app"], "params": {
            "restore": "${VIGIL_LAB_NODE_DIR}/shop-guard/start", "remove": "${VIGIL_LAB_NODE_DIR}/shop-guard/stop",
            "quick_check": "${VIGIL_LAB_NODE_DIR}/shop-guard/check", "timeout": 200}})
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(group_vars, f)
    for node in ("node1", "node2"):
        os.makedirs(guard_files(node, "shop-guard")[0], exist_ok=True)
        for name, body in GUARD.items():
            script = os.path.join(guard_files(node, "shop-guard")[0], name)
            with open(script, "w", encoding="utf-8") as f:
                f.write("#!/bin/sh\n" + body)
            os.chmod(script, stat.S_IRWXU)
        for marker in guard_files(node, "shop-guard.hang", "shop-guard.started"):
            if os.path.exists(marker):
                os.remove(marker)
    rc, out = run_playbook("start", "-e", "target=alpha", inventory=inventory)
    assert rc == 0 and where(out, "shop")[0] == "alpha", out
    yield inventory
    for marker in guard_files("node2", "shop-guard.hang", "shop-guard.started"):
        if os.path.exists(marker):
            os.remove(marker)
    # A fresh boot of node2 (whatever the run left there: hung, fenced, half started).
    control("vms/node2/crash")
    control("vms/node2/poweron")
    rc, out = run_playbook("stop", inventory=inventory)
    assert rc == 0, out


def switchover_to_bravo(inventory, *args):
    """Start a switchover of `shop` to bravo in a thread; returns (thread, result)."""
    result = {}

    def run():
        try:
            result["run"] = run_playbook("switchover", "-e", "target=bravo", *args, inventory=inventory, timeout=240)
        except subprocess.TimeoutExpired as e:
            result["run"] = (None, "still running after 240 s: " + " ".join(((e.stdout or "") + (e.stderr or "")).split()))
    thread = threading.Thread(target=run)
    thread.start()
    open(guard_files("node2", "shop-guard.hang")[0], "w").close()
    assert until(lambda: os.path.exists(guard_files("node2", "shop-guard.started")[0]) or not thread.is_alive(),
                 120), "the switchover never reached shop-guard on bravo"
    assert thread.is_alive(), result
    return thread, result


def test_a_node_that_hangs_during_a_step_does_not_hang_the_run(guarded):
    """A switchover to bravo whose last start takes long, and bravo hangs
    meanwhile (every process stopped; its kernel still answers TCP, so only
    SSH keepalives can tell): the run must end within a minute, saying that
    bravo cannot be reached (what follows, refusing to start shop on alpha
    while bravo may still hold it, is the safety rules' business)."""
    thread, result = switchover_to_bravo(guarded)
    nodes.signal_all(nodes.node_named("node2").ns, signal.SIGSTOP)
    hung = time.monotonic()
    thread.join(300)
    took = time.monotonic() - hung
    rc, out = result["run"]
    assert rc not in (0, None), out[-3000:]
    assert took < 60, "the run went on %d s after bravo hung: %s" % (took, out[-3000:])
    assert "start shop-guard: bravo cannot be reached" in out, out[out.find("start shop-guard on bravo"):][:4000]


def test_a_step_that_hangs_ends_at_its_time_limit(guarded):
    """vigil_ha_step_timeout bounds every step: a start on bravo that takes
    100 s is ended after 20, the switchover fails saying so, and shop is
    rolled back to alpha."""
    thread, result = switchover_to_bravo(guarded, "-e", "vigil_ha_step_timeout=20")
    started = time.monotonic()
    thread.join(300)
    rc, out = result["run"]
    assert rc not in (0, None), out[-3000:]
    assert time.monotonic() - started < 60, out[-3000:]
    assert "Timed out after 20 second(s)" in out, out[out.find("start shop-guard on bravo"):][:4000]
    assert until(lambda: vip_answer() == lab_node("alpha"), 20), out[-3000:]


ROLE_PLAY = """\
- name: Cluster nodes (docs/roles.md)
  hosts: prod_ha
  gather_facts: false
  roles:
    - role: vigil.ha.node
      vars:
        # The nodes share the machine's file system: each keeps the role's files in its own directory.
        vigil_ha_node_sysctl_file: "{{ lab_dir }}/sysctl-vigil-ha.conf"
        vigil_ha_node_config_dir: "{{ lab_dir }}/etc-vigil-ha"
        vigil_ha_node_script_dir: "{{ lab_dir }}/etc-vigil-ha/scripts"
        vigil_ha_node_authorized_keys: "{{ lab_dir }}/authorized_keys"
"""


def test_the_node_role_on_a_mixed_cluster_skips_the_esxi_host(tmp_path):
    """docs/roles.md's play on a cluster group that also holds an ESXi host
    (host mode) that nothing can reach over SSH: the guest nodes are
    prepared, the ESXi host is skipped with a message, and the run succeeds."""
    inventory = user_inventory(tmp_path / "inventory")
    with open(os.path.join(inventory, "hosts.yml"), encoding="utf-8") as f:
        hosts = yaml.safe_load(f)
    for name, lab_name in (("alpha", "node1"), ("bravo", "node2"), ("charlie", "node3")):
        lab_dir = os.path.join(nodes.node_named(lab_name).data, "user-side-role")
        shutil.rmtree(lab_dir, ignore_errors=True)
        os.makedirs(lab_dir)
        hosts["prod_ha"]["hosts"][name]["lab_dir"] = lab_dir
    # An address where nothing answers: any SSH to it fails (after ConnectTimeout).
    hosts["prod_ha"]["hosts"]["esxi-01.lab"] = {"ansible_host": "10.99.0.250", "lab_dir": "/nonexistent", "vigil_ha_node": {
        "mode": "host", "esxi": "esxi-01.lab", "fencing": {"method": "vcenter_poweroff"}}}
    with open(os.path.join(inventory, "hosts.yml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(hosts, f)
    play = tmp_path / "nodes.yml"
    play.write_text(ROLE_PLAY)
    rc, out = run_playbook(str(play), inventory=inventory, hierarchy=None, timeout=300)
    assert rc == 0, out[-4000:]
    assert "esxi-01.lab: skipped by vigil.ha.node: vigil_ha_node.mode is host" in out, out[-4000:]
    assert re.search(r"esxi-01\.lab\s+: ok=\d+ changed=0 unreachable=0 failed=0", out), out[-2000:]
    for name in ("node1", "node2", "node3"):
        described = os.path.join(nodes.node_named(name).data, "user-side-role", "etc-vigil-ha", "hierarchies.json")
        assert os.path.exists(described), out[-4000:]
