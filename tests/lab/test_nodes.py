# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's nodes: SSH, the demo app, and the power bridge from the simulator."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from lab.paths import LAB_ROOT, REPO

CONFIG = os.path.join(LAB_ROOT, "nodes", "nodes.json")
INVENTORY = os.path.join(LAB_ROOT, "nodes", "inventory.yml")
KEY = os.path.join(LAB_ROOT, "ssh", "id_ed25519")
ANSIBLE = os.path.join(REPO, ".venv", "bin", "ansible")


def lab_vip():
    with open(os.path.join(LAB_ROOT, "default", "vcenter.json"), encoding="utf-8") as f:
        return json.load(f)["lab_vip"].split("/")[0]


VIP = lab_vip()
NET = os.environ.get("VIGIL_LAB_NET", "0")
SSH = ["ssh", "-i", KEY, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
       "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=2", "-o", "BatchMode=yes"]


def ssh(address, command, timeout=15):
    return subprocess.run(SSH + ["root@" + address, command], capture_output=True, text=True,
                          timeout=timeout, check=False)


def tcp_open(address, port, timeout=0.3):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def pingable(address):
    return subprocess.run(["ping", "-c", "1", "-W", "1", address], capture_output=True, check=False).returncode == 0


def ns_pids(node):
    ns = ("vigil-" if NET == "0" else "vigil%s-" % NET) + node
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True, check=True)
    return [int(p) for p in out.stdout.split()]


def commands(node):
    """Command names of the processes in a node (those that exit meanwhile left out)."""
    out = set()
    for pid in ns_pids(node):
        try:
            with open("/proc/%d/comm" % pid, encoding="utf-8") as f:
                out.add(f.read().strip())
        except OSError:
            pass
    return out


def nodes_cmd(*args):
    return subprocess.run([sys.executable, "-m", "lab.nodes"] + list(args), capture_output=True, text=True,
                          timeout=60, check=False, cwd=REPO)


def http(method, url, timeout=3):
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read().decode()


def wait_for(predicate, deadline, step=0.05):
    """Seconds until predicate() holds; fails after deadline seconds."""
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    raise AssertionError("not within %ss: %s" % (deadline, predicate.__doc__ or predicate))


@pytest.fixture(scope="session")
def nodes(lab):
    """{name: address} of the lab's VM nodes (a default lab starts them)."""
    if not os.path.exists(CONFIG):
        pytest.fail("the lab has no nodes: python3 -m lab start --nodes")
    with open(CONFIG, encoding="utf-8") as f:
        config = json.load(f)
    physical = set(config.get("physical") or [])  # no VM: powered by their BMC (test_physical_node.py)
    vms = dict((name, address) for name, address in config["nodes"].items() if name not in physical)
    assert set(lab["lab_vms"]) == set(vms)
    assert physical == set(n["name"] for n in lab.get("lab_physical_nodes", []))
    return vms


@pytest.fixture
def healthy(nodes, control):
    """Every node powered on and answering SSH, before and after the test."""
    def restore():
        for name in nodes:
            control("vms/%s/poweron" % name)
            nodes_cmd("app", "stop", name)
        for address in nodes.values():
            wait_for(lambda a=address: tcp_open(a, 22), 10)
    restore()
    yield nodes
    restore()


def test_ssh_reaches_each_node(healthy):
    for name, address in healthy.items():
        out = ssh(address, "hostname; ip -4 -o addr show dev eth0; echo $VIGIL_LAB_NODE $VIGIL_LAB_NODE_DIR")
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == name
        assert " %s/24 " % address in lines[1]
        assert lines[2].split()[0] == name
        assert lines[2].split()[1].endswith("/nodes/%s/data" % name)


def test_nodes_reach_each_other_but_nothing_else(healthy):
    out = ssh(healthy["node1"], "ping -c1 -W1 %s >/dev/null && echo peer; ip route" % healthy["node2"])
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "peer"
    # No default route: traffic from a node cannot leave the machine.
    assert "default" not in out.stdout


def test_demo_app_answers_with_its_node_name_also_on_a_virtual_ip(healthy):
    address = healthy["node2"]
    out = nodes_cmd("app", "start", "node2")
    assert out.returncode == 0, out.stderr
    assert http("GET", "http://%s:8080/" % address) == "node2\n"
    before = json.loads(http("GET", "http://%s:8080/writes" % address))["writes"]
    assert json.loads(http("POST", "http://%s:8080/write?n=41" % address))["n"] == 41
    assert json.loads(http("POST", "http://%s:8080/write?n=42" % address))["count"] == len(before) + 2
    assert json.loads(http("GET", "http://%s:8080/writes" % address))["writes"] == before + [41, 42]
    # A virtual IP on the node's eth0 is served too and reachable through the bridge.
    assert ssh(address, "ip addr add %s/24 dev eth0" % VIP).returncode == 0
    # Announce it, as the ip kit does: the bridge may remember another node for it.
    ssh(address, "arping -U -q -c 1 -I eth0 %s" % VIP)
    try:
        assert http("GET", "http://%s:8080/" % VIP) == "node2\n"
    finally:
        ssh(address, "ip addr del %s/24 dev eth0" % VIP)
    # SIGTERM stops it cleanly.
    out = nodes_cmd("app", "stop", "node2")
    assert out.returncode == 0 and "stopped" in out.stdout, out.stderr
    assert not tcp_open(address, 8080)
    with open(os.path.join(LAB_ROOT, "nodes", "node2", "app.log"), encoding="utf-8") as f:
        assert f.read().rstrip().endswith("demo app node2 stopped")


def test_crash_cuts_the_node_off_and_poweron_boots_it(healthy, control):
    address = healthy["node1"]
    assert nodes_cmd("app", "start", "node1").returncode == 0
    assert ssh(address, "ip addr add %s/24 dev eth0" % VIP).returncode == 0
    assert len(ns_pids("node1")) >= 2
    start = time.monotonic()
    control("vms/node1/crash")

    def cut_off():
        """node1 unreachable, nothing left running in its namespace"""
        return not tcp_open(address, 22, 0.1) and not ns_pids("node1")
    wait_for(cut_off, 2)
    assert not pingable(address)
    assert not pingable(VIP)
    assert not tcp_open(address, 8080, 0.2)
    took = time.monotonic() - start
    assert took < 3

    control("vms/node1/poweron")

    def ssh_works():
        """ssh to node1 works again"""
        return ssh(address, "true", timeout=5).returncode == 0
    wait_for(ssh_works, 10, step=0.2)
    # A booted VM runs what starts at boot: sshd, not the app, and not the VIP.
    assert not tcp_open(address, 8080)
    out = ssh(address, "ip -4 -o addr show dev eth0")
    assert VIP not in out.stdout and address in out.stdout
    assert "python3" not in commands("node1")

    def only_sshd():
        """nothing but sshd (and its sessions, which end) runs on node1"""
        return commands("node1") == {"sshd"}
    wait_for(only_sshd, 5)


def test_power_off_task_through_vcenter_fences_the_node(healthy, client):
    address = healthy["node3"]
    vms = client.retrieve({"VirtualMachine": ["name", "config.uuid"]})
    uuid = next(v["props"]["config.uuid"] for v in vms.values() if v["props"]["name"] == "node3")
    vm = client.content.searchIndex.FindByUuid(None, uuid, True)
    client.wait_for_task(vm.PowerOffVM_Task(), timeout=10)
    wait_for(lambda: not tcp_open(address, 22, 0.1) and not ns_pids("node3"), 2)
    client.wait_for_task(vm.PowerOnVM_Task(), timeout=10)
    wait_for(lambda: ssh(address, "true", timeout=5).returncode == 0, 10, step=0.2)


def test_ansible_reaches_the_nodes_over_ssh(healthy):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"))
    out = subprocess.run([ANSIBLE, "-i", INVENTORY, "vigil_lab_nodes", "-m", "ansible.builtin.ping"],
                         capture_output=True, text=True, timeout=120, cwd=REPO, env=env, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in healthy:
        assert "%s | SUCCESS" % name in out.stdout
