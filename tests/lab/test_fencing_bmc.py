# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fencing levels with a real fence agent: host mode on a host that hangs.

esxi-01.lab stops responding (its VMs may still run, vCenter cannot power
them off). Its fencing levels are vCenter first, then its BMC through
Debian's fence_ipmilan (the lab's IPMI BMC, lab/bmc.py), or
fence_redfish (the same BMC's Redfish front, tests/lab/redfish.py): the first
level cannot confirm, the second powers the host off and confirms it, and
erp's VMs start on esxi-02.lab. With the BMC unreachable no level confirms:
OPERATOR NEEDED, nothing started elsewhere. The BMC's password is in the
inventory (as from a vault) and never in the run's output."""
from __future__ import annotations

import json
import os

import pytest
import yaml
from cluster_runs import LAB, playbook, where
from test_host_mode import VMS, erp, vm  # noqa: F401 pylint: disable=unused-import
from lab import bmcs

pytestmark = pytest.mark.usefixtures("bare_nodes_after")  # erp (imported above) is a fixture


AGENT_OPTIONS = {
    "fence_ipmilan": lambda bmc: {"ip": bmc["address"], "ipport": bmc["port"], "username": bmc["username"],
                                  "lanplus": 1},
    # The same BMC's Redfish front (tests/lab/redfish.py), TLS not verified as with a factory certificate.
    "fence_redfish": lambda bmc: {"ip": bmc["redfish"]["address"], "ipport": bmc["redfish"]["port"],
                                  "username": bmc["username"], "ssl_insecure": 1,
                                  "systems_uri": bmc["redfish"]["systems_uri"]},
}


@pytest.fixture
def bmc_inventory(lab, tmp_path, control, request):
    """The lab's host-mode cluster, esxi-01.lab fenced vCenter first, then by its BMC
    (fence_ipmilan, or the agent a test names as its parameter)."""
    if "lab_bmcs" not in lab:
        pytest.fail("the lab has no BMCs: python3 -m lab stop, then start")
    bmc = lab["lab_bmcs"]["esxi-01.lab"]
    agent = getattr(request, "param", "fence_ipmilan")
    with open(os.path.join(LAB, "cluster-host.yml"), encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["vigil_ha_cluster"]["hosts"]["esxi-01.lab"]["vigil_ha_node"]["fencing"] = {"levels": [
        {"method": "vcenter_poweroff"},
        {"method": "fence_agent", "agent": agent, "timeout": 20, "password": "{{ lab_bmc_password }}",
         "options": AGENT_OPTIONS[agent](bmc)}]}
    path = tmp_path / "cluster-bmc.yml"
    path.write_text(yaml.safe_dump(data))
    vars_file = tmp_path / "bmc-vars.json"  # as a vault would give it
    vars_file.write_text(json.dumps({"lab_bmc_password": bmc["password"]}))
    yield str(path), "@" + str(vars_file), bmc["password"], agent
    bmc_fault("recover")


def bmc_fault(what):
    bmcs.bmc_fault("default", ["bmc", "esxi-01.lab", what], {})


def run(inventory, name, *extra):
    return playbook(name, "-e", inventory[1], *extra, inventory=inventory[0], hierarchy="erp")


@pytest.mark.parametrize("bmc_inventory", ["fence_ipmilan", "fence_redfish"], indirect=True)
def test_a_hung_host_is_fenced_through_its_bmc_and_its_vms_start_elsewhere(erp, lab, control, bmc_inventory):
    control("hosts/esxi-01.lab/fail")  # not responding: its VMs may still run
    rc, out = run(bmc_inventory, "failover", "-v", "-e", "failed_node=esxi-01.lab")
    assert rc == 0, out
    assert where(out, "erp") == ("esxi-02.lab", erp + 1)
    assert "'level': 2" in out or "level: 2" in out, out
    assert "fence_agent %s" % bmc_inventory[3] in out and "confirmed off" in out, out
    for resource in VMS:
        seen = vm(lab, resource)
        assert (seen["host"], seen["power_state"]) == ("esxi-02.lab", "poweredOn"), seen
    assert bmc_inventory[2] not in out  # the BMC's password is never shown


def test_a_hung_host_whose_bmc_does_not_answer_needs_an_operator(erp, lab, control, bmc_inventory):
    control("hosts/esxi-01.lab/fail")
    bmc_fault("unreachable")
    rc, out = run(bmc_inventory, "failover", "-e", "failed_node=esxi-01.lab")
    assert rc != 0 and "OPERATOR NEEDED" in out, out
    assert "no fencing level confirmed it off" in out, out
    assert [r for r in VMS if vm(lab, r)["host"] != "esxi-01.lab"] == []  # nothing started elsewhere
    assert bmc_inventory[2] not in out
