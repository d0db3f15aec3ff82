# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A physical node and a VM node protect each other (p2v and v2p).

The lab's physical node phys1 has no VM: its own IPMI BMC (lab/bmc.py)
powers it, and the cluster fences it with Debian's fence_ipmilan. The
hierarchy pweb (a virtual IP and the demo application, as the lab's web)
prefers phys1, then node3, a VM fenced through vCenter (lab/physical_cluster.py).
phys1 hangs: it is fenced through its BMC, confirmed off, and pweb starts
on node3. Then phys1 is powered on again through its BMC and node3's VM
crashes: node3 is fenced through vCenter and pweb starts on phys1. With
phys1's BMC unreachable nothing can fence it: OPERATOR NEEDED and nothing
starts on node3. The BMC's password (a vars file, as a vault gives it)
is never in a run's output."""
from __future__ import annotations


from lab import physical_cluster as physical_runs
import pytest
from cluster_runs import playbook, until, where
from lab.physical_cluster import HIERARCHY, PHYSICAL, ipmitool
from lab import bmcs, nodes

VM_NODE = "node3"

pytestmark = pytest.mark.usefixtures("bare_nodes_after")


def run(inventory, name, *extra):
    return playbook(name, "-e", inventory[1], *extra, inventory=inventory[0], hierarchy=HIERARCHY)


def phys_fault(what):
    return bmcs.node_fault("default", ["nodes", PHYSICAL, what])


def bmc_fault(what):
    bmcs.bmc_fault("default", ["bmc", PHYSICAL, what], {})


def phys_state():
    return nodes.node_status(nodes.node_named(PHYSICAL))


def everything_on(control):
    bmc_fault("recover")
    if nodes.node_named(PHYSICAL).power() != "poweredOn":
        physical_runs.power("poweredOff")  # a hung or crashed machine: reset (off, then on)
        physical_runs.power("poweredOn")
    control("vms/%s/poweron" % VM_NODE)


@pytest.fixture
def pweb(lab, control, tmp_path):
    """pweb in service on phys1; the inventory, vars file and password; everything put back afterwards."""
    everything_on(control)
    inventory = physical_runs.write(lab, str(tmp_path), VM_NODE)
    rc, out = run(inventory, "start", "-e", "target=" + PHYSICAL)
    if rc != 0 or where(out, HIERARCHY)[0] != PHYSICAL:
        rc, out = run(inventory, "switchover", "-e", "target=" + PHYSICAL)
    assert rc == 0, out
    assert until(lambda: physical_runs.vip_answer(lab) == PHYSICAL)
    yield inventory, where(out, HIERARCHY)[1]
    everything_on(control)
    rc, out = run(inventory, "stop")
    assert rc == 0, out


def test_the_physical_nodes_bmc_powers_it(lab, control):
    bmc = physical_runs.bmc(lab)
    everything_on(control)
    assert "Chassis Power is on" in ipmitool(bmc, "power", "status")
    phys_fault("hang")  # a hung machine is still on: only its BMC can stop it
    assert not phys_state()["ssh"]
    assert "Chassis Power is on" in ipmitool(bmc, "power", "status")
    ipmitool(bmc, "power", "off")
    state = phys_state()
    assert (state["power"], state["ssh"], state["processes"]) == ("poweredOff", False, 0), state
    assert "Chassis Power is off" in ipmitool(bmc, "power", "status")
    ipmitool(bmc, "power", "on")  # a fresh boot: sshd answers again
    assert until(lambda: phys_state()["ssh"], 10), phys_state()
    assert "Chassis Power is on" in ipmitool(bmc, "power", "status")


def test_physical_to_virtual_and_back(lab, control, pweb):
    inventory, gen = pweb
    # p2v: phys1 hangs (on, silent); fenced through its BMC, pweb starts on node3.
    phys_fault("hang")
    rc, out = run(inventory, "failover", "-v", "-e", "failed_node=" + PHYSICAL)
    assert rc == 0, out
    assert where(out, HIERARCHY) == (VM_NODE, gen + 1)
    assert "fence_agent fence_ipmilan" in out and "confirmed off" in out, out
    assert phys_state()["power"] == "poweredOff"  # its BMC powered it off
    assert until(lambda: physical_runs.vip_answer(lab) == VM_NODE)
    assert inventory[2] not in out  # the BMC's password is never shown
    # v2p: phys1 powered on again through its BMC; node3's VM crashes.
    ipmitool(physical_runs.bmc(lab), "power", "on")
    assert until(lambda: phys_state()["ssh"], 10)
    control("vms/%s/crash" % VM_NODE)
    rc, out = run(inventory, "failover", "-v", "-e", "failed_node=" + VM_NODE)
    assert rc == 0, out
    assert where(out, HIERARCHY) == (PHYSICAL, gen + 2)
    assert "fence %s" % VM_NODE in out, out
    assert until(lambda: physical_runs.vip_answer(lab) == PHYSICAL)
    assert inventory[2] not in out


# slow (make lab-slow): an unanswering BMC needing an operator is in make test for an ESXi host (test_fencing_bmc.py).
@pytest.mark.slow
def test_a_hung_physical_owner_whose_bmc_does_not_answer_needs_an_operator(lab, control, pweb):
    inventory, gen = pweb
    phys_fault("hang")
    bmc_fault("unreachable")
    rc, out = run(inventory, "failover", "-e", "failed_node=" + PHYSICAL)
    assert rc != 0 and "OPERATOR NEEDED" in out, out
    assert "no fencing level confirmed it off" in out, out
    assert not nodes.node_status(nodes.node_named(VM_NODE))["app"]  # nothing started on node3
    assert physical_runs.vip_answer(lab) is None
    assert inventory[2] not in out
    # phys1 wakes up: it still holds pweb (nobody else took it), at the same generation.
    phys_fault("recover")
    assert until(lambda: physical_runs.vip_answer(lab) == PHYSICAL)
    rc, out = run(inventory, "status")
    assert rc == 0 and "Hierarchy %s: in service on %s, generation %d" % (HIERARCHY, PHYSICAL, gen) in out, out
