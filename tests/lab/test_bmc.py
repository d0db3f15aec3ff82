# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's BMCs as a fence agent meets them: Debian's fence_ipmilan and
fence_redfish, their options on stdin as Pacemaker passes them, and
ipmitool, against the BMC of the spare host esxi-03.lab (nothing protected
runs there). What vCenter
shows is read through the vSphere client. VIGIL_LAB_NAME picks another lab
than `default` (one started with python3 -m lab start --name NAME)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import AgentError, AgentRunner
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import VsphereClient
from lab.control import Control
from lab.paths import REPO

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_NAME = os.environ.get("VIGIL_LAB_NAME", "default")
HOST = "esxi-03.lab"
FENCE_IPMILAN = shutil.which("fence_ipmilan") or "/usr/sbin/fence_ipmilan"
FENCE_REDFISH = shutil.which("fence_redfish") or "/usr/sbin/fence_redfish"
IPMITOOL = shutil.which("ipmitool") or "/usr/bin/ipmitool"


@pytest.fixture(scope="module")
def bmc_lab():
    path = os.path.normpath(os.path.join(HERE, "..", "..", ".lab", LAB_NAME, "vcenter.json"))
    if not os.path.exists(path):
        pytest.fail("lab %s is not running: python3 -m lab start" % LAB_NAME)
    with open(path, encoding="utf-8") as f:
        lab = json.load(f)
    if HOST not in lab.get("lab_bmcs", {}):
        pytest.fail("lab %s has no BMCs (lab_bmcs in %s): restart it with python3 -m lab stop, then start" % (LAB_NAME, path))
    if "redfish" not in lab["lab_bmcs"][HOST]:
        pytest.fail("lab %s has no Redfish BMCs: restart it with python3 -m lab stop, then start" % LAB_NAME)
    for tool in (FENCE_IPMILAN, FENCE_REDFISH, IPMITOOL):
        if not os.access(tool, os.X_OK):
            pytest.fail("%s is not installed: tools/setup.sh installs fence-agents and ipmitool" % tool)
    return lab


def agent_options(bmc, agent):
    """The options a user gives the agent for this BMC (the password apart)."""
    if agent == "fence_redfish":
        rf = bmc["redfish"]
        return {"ip": rf["address"], "ipport": rf["port"], "username": bmc["username"], "ssl_insecure": 1,
                "systems_uri": rf["systems_uri"], "power_timeout": 10}
    return {"ip": bmc["address"], "ipport": bmc["port"], "username": bmc["username"], "lanplus": 1,
            "power_timeout": 10}


def fence(bmc, action, agent="fence_ipmilan", env=None, **options):
    """The fence agent's ACTION with every option, the password too, on stdin."""
    opts = dict(agent_options(bmc, agent), action=action, password=bmc["password"])
    opts.update(options)
    opts = dict((k, v) for k, v in opts.items() if v is not None)
    start = time.monotonic()
    proc = subprocess.run([FENCE_REDFISH if agent == "fence_redfish" else FENCE_IPMILAN],
                          input="".join("%s=%s\n" % kv for kv in opts.items()), env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    out = proc.stdout + proc.stderr
    assert bmc["password"] not in out
    return proc.returncode, out, time.monotonic() - start


def bmc_fault(fault, *params):
    """python3 -m lab fault bmc/esxi-03.lab/FAULT, as a user sets it on a running lab."""
    subprocess.run([sys.executable, "-m", "lab", "fault", "--name", LAB_NAME,
                    "bmc/%s/%s" % (HOST, fault)] + list(params), check=True, capture_output=True, cwd=REPO)


def post(lab, path):
    Control(lab["lab_control_url"]).post(path)


def vcenter(lab):
    """What vCenter says of HOST: (power, connection), and {VM MoRef: power} of its VMs."""
    with VsphereClient(lab["vcenter_hostname"], lab["vcenter_username"], lab["vcenter_password"],
                       port=lab["vcenter_port"], ca_path=lab["vcenter_ca_path"], timeout=10) as client:
        objs = client.retrieve({"HostSystem": ["name", "runtime.powerState", "runtime.connectionState"],
                                "VirtualMachine": ["runtime.powerState", "runtime.host"]})
    host = [(k, o["props"]) for k, o in objs.items() if o["type"] == "HostSystem" and o["props"]["name"] == HOST][0]
    vms = dict((k, o["props"]["runtime.powerState"]) for k, o in objs.items()
               if o["type"] == "VirtualMachine" and o["props"]["runtime.host"] == host[0])
    return (host[1]["runtime.powerState"], host[1]["runtime.connectionState"]), vms


class Secret(dict):
    """A BMC's entry, its password kept out of a failing test's traceback."""

    def __repr__(self):
        return repr(dict(self, password="********"))


@pytest.fixture
def spare(bmc_lab):
    """HOST up, its BMC healthy; afterwards the same, and the VMs that ran on it run again."""
    bmc_fault("recover")
    post(bmc_lab, "hosts/%s/recover" % HOST)
    host, vms = vcenter(bmc_lab)
    assert host == ("poweredOn", "connected")
    yield Secret(bmc_lab["lab_bmcs"][HOST])
    bmc_fault("recover")
    post(bmc_lab, "hosts/%s/recover" % HOST)
    for moref in [m for m, power in vms.items() if power == "poweredOn"]:
        post(bmc_lab, "vms/%s/poweron" % moref)


def test_fence_ipmilan_powers_the_host_off_and_back_on(spare, bmc_lab):
    rc, out, dummy = fence(spare, "status")
    assert rc == 0 and "Status: ON" in out, out
    assert "poweredOn" in vcenter(bmc_lab)[1].values()  # something runs there, to go dark

    rc, out, took = fence(spare, "off")
    assert rc == 0 and "Success: Powered OFF" in out, out
    deadline = time.monotonic() + 10
    while True:  # as Pacemaker confirms a fence: status until it says off
        rc, out, dummy = fence(spare, "status")
        if rc == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert rc == 2 and "Status: OFF" in out, out
    assert took < 10, took
    host, vms = vcenter(bmc_lab)
    assert host == ("poweredOff", "notResponding")
    assert set(vms.values()) == {"poweredOff"}, vms

    rc, out, dummy = fence(spare, "on")
    assert rc == 0 and "Success: Powered ON" in out, out
    rc, out, dummy = fence(spare, "status")
    assert rc == 0 and "Status: ON" in out, out
    assert vcenter(bmc_lab)[0] == ("poweredOn", "connected")


def test_a_hung_host_is_on_and_its_bmc_fences_it(spare, bmc_lab):
    """A host that stops responding with its VMs running (hosts/H/fail) is
    still powered on for its BMC, which can power it off."""
    post(bmc_lab, "hosts/%s/fail" % HOST)
    assert vcenter(bmc_lab)[0] == ("poweredOn", "notResponding")
    rc, out, dummy = fence(spare, "status")
    assert rc == 0 and "Status: ON" in out, out
    rc, out, dummy = fence(spare, "off")
    assert rc == 0 and "Success: Powered OFF" in out, out
    host, vms = vcenter(bmc_lab)
    assert host == ("poweredOff", "notResponding")
    assert set(vms.values()) == {"poweredOff"}, vms


def test_ipmitool_reads_the_power_with_the_password_from_the_environment(spare):
    proc = subprocess.run([IPMITOOL, "-I", "lanplus", "-H", spare["address"], "-p", str(spare["port"]),
                           "-U", spare["username"], "-E", "chassis", "power", "status"],
                          env=dict(os.environ, IPMI_PASSWORD=spare["password"]),
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0 and "Chassis Power is on" in proc.stdout, proc.stdout + proc.stderr


def test_a_wrong_password_is_refused_and_changes_nothing(spare, bmc_lab):
    rc, out, took = fence(spare, "off", password="not-" + spare["password"][:12])
    assert rc != 0 and "Success" not in out, out
    assert took < 10, took
    assert vcenter(bmc_lab)[0] == ("poweredOn", "connected")


def test_an_unreachable_bmc_fails_within_the_agents_timeout(spare, bmc_lab):
    bmc_fault("unreachable")
    rc, out, took = fence(spare, "off", power_timeout=3)
    assert rc != 0 and "Success" not in out, out
    assert took < 8, took
    assert vcenter(bmc_lab)[0] == ("poweredOn", "connected")
    other = bmc_lab["lab_bmcs"]["esxi-02.lab"]  # the other BMCs still answer
    rc, out, dummy = fence(other, "status")
    assert rc == 0 and "Status: ON" in out, out
    bmc_fault("recover")  # read by the running BMC, no restart
    rc, out, dummy = fence(spare, "status")
    assert rc == 0 and "Status: ON" in out, out


def test_a_slow_bmc_answers_late(spare):
    rc, out, quick = fence(spare, "status")
    assert rc == 0, out
    bmc_fault("slow", "seconds=0.5")
    rc, out, slow = fence(spare, "status")
    assert rc == 0 and "Status: ON" in out, out
    assert slow >= quick + 0.5, (quick, slow)  # each command (ipmitool sends several) 0.5 s late


def test_fence_redfish_powers_the_host_off_and_back_on(spare, bmc_lab):
    """The Redfish front of the same BMC: same credentials, same power; TLS
    verified against the lab's CA, as a user would trust a BMC's certificate."""
    trusted = dict(os.environ, REQUESTS_CA_BUNDLE=bmc_lab["vcenter_ca_path"])
    rc, out, dummy = fence(spare, "status", agent="fence_redfish", ssl_insecure=None, env=trusted)
    assert rc == 0 and "Status: ON" in out, out
    assert "poweredOn" in vcenter(bmc_lab)[1].values()

    rc, out, took = fence(spare, "off", agent="fence_redfish")
    assert rc == 0 and "Success: Powered OFF" in out, out
    assert took < 10, took
    rc, out, dummy = fence(spare, "status", agent="fence_redfish")
    assert rc == 2 and "Status: OFF" in out, out
    host, vms = vcenter(bmc_lab)
    assert host == ("poweredOff", "notResponding")
    assert set(vms.values()) == {"poweredOff"}, vms
    rc, out, dummy = fence(spare, "status")  # the IPMI side sees the same machine
    assert rc == 2 and "Status: OFF" in out, out

    rc, out, dummy = fence(spare, "on", agent="fence_redfish")
    assert rc == 0 and "Success: Powered ON" in out, out
    assert vcenter(bmc_lab)[0] == ("poweredOn", "connected")


def test_fence_redfish_finds_the_system_without_systems_uri(spare):
    rc, out, dummy = fence(spare, "status", agent="fence_redfish", systems_uri=None)
    assert rc == 0 and "Status: ON" in out, out


@pytest.mark.parametrize("agent", ["fence_ipmilan", "fence_redfish"])
def test_a_bmc_that_refuses_its_password_fails_clearly_and_changes_nothing(spare, bmc_lab, agent):
    """python3 -m lab fault bmc/HOST/credentials: the right password is refused
    (as after a password change on the BMC) until recover."""
    bmc_fault("credentials")
    rc, out, took = fence(spare, "off", agent=agent)
    assert rc == 1 and "Success" not in out, out
    assert took < 10, took
    runner = AgentRunner(agent, agent_options(spare, agent), password=spare["password"], timeout=10)
    with pytest.raises(AgentError) as caught:
        runner.off()
    # What the product reports: the agent, the action, and the agent's own words.
    assert caught.value.message.startswith("%s status failed: " % agent), caught.value.message
    assert "Unable to" in caught.value.message, caught.value.message
    assert spare["password"] not in caught.value.message
    assert vcenter(bmc_lab)[0] == ("poweredOn", "connected")
    bmc_fault("recover")
    rc, out, dummy = fence(spare, "status", agent=agent)
    assert rc == 0 and "Status: ON" in out, out


def test_an_unreachable_redfish_bmc_fails_within_the_levels_timeout(spare, bmc_lab):
    """fence_redfish sets no timeout of its own: the product's level timeout bounds it."""
    bmc_fault("unreachable")
    runner = AgentRunner("fence_redfish", agent_options(spare, "fence_redfish"), password=spare["password"],
                         timeout=3)
    start = time.monotonic()
    with pytest.raises(AgentError) as caught:
        runner.off()
    assert time.monotonic() - start < 8
    assert "did not answer within" in caught.value.message, caught.value.message
    assert vcenter(bmc_lab)[0] == ("poweredOn", "connected")
    bmc_fault("recover")
    rc, out, dummy = fence(spare, "status", agent="fence_redfish")
    assert rc == 0 and "Status: ON" in out, out


def test_a_slow_redfish_bmc_answers_late(spare):
    rc, out, quick = fence(spare, "status", agent="fence_redfish")
    assert rc == 0, out
    bmc_fault("slow", "seconds=1")
    rc, out, slow = fence(spare, "status", agent="fence_redfish")
    assert rc == 0 and "Status: ON" in out, out
    assert quick < 1 <= slow, (quick, slow)  # one request (systems_uri given), one second late
