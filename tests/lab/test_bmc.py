# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's IPMI BMCs as a fence agent meets them: Debian's fence_ipmilan,
its options on stdin as Pacemaker passes them, and ipmitool, against the BMC
of the spare host esxi-03.lab (nothing protected runs there). What vCenter
shows is read through the vSphere client. VIGIL_LAB_NAME picks another lab
than `default` (one started with labctl.py start --name NAME)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.vsphere_client import VsphereClient

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_NAME = os.environ.get("VIGIL_LAB_NAME", "default")
HOST = "esxi-03.lab"
FENCE_IPMILAN = shutil.which("fence_ipmilan") or "/usr/sbin/fence_ipmilan"
IPMITOOL = shutil.which("ipmitool") or "/usr/bin/ipmitool"


@pytest.fixture(scope="module")
def bmc_lab():
    path = os.path.normpath(os.path.join(HERE, "..", "..", ".lab", LAB_NAME, "vcenter.json"))
    if not os.path.exists(path):
        pytest.fail("lab %s is not running: python3 tests/lab/labctl.py start" % LAB_NAME)
    with open(path, encoding="utf-8") as f:
        lab = json.load(f)
    if HOST not in lab.get("lab_bmcs", {}):
        pytest.fail("lab %s has no BMCs (lab_bmcs in %s): restart it with labctl.py stop, then start" % (LAB_NAME, path))
    for tool in (FENCE_IPMILAN, IPMITOOL):
        if not os.access(tool, os.X_OK):
            pytest.fail("%s is not installed: tools/setup.sh installs fence-agents and ipmitool" % tool)
    return lab


def fence(bmc, action, **options):
    """fence_ipmilan ACTION with every option, the password too, on stdin."""
    opts = {"action": action, "ip": bmc["address"], "ipport": bmc["port"], "username": bmc["username"],
            "password": bmc["password"], "lanplus": 1, "power_timeout": 10}
    opts.update(options)
    start = time.monotonic()
    proc = subprocess.run([FENCE_IPMILAN], input="".join("%s=%s\n" % kv for kv in opts.items()),
                          capture_output=True, text=True, timeout=60, check=False)
    out = proc.stdout + proc.stderr
    assert bmc["password"] not in out
    return proc.returncode, out, time.monotonic() - start


def bmc_fault(fault, *params):
    """labctl.py fault bmc/esxi-03.lab/FAULT, as a user sets it on a running lab."""
    subprocess.run([sys.executable, os.path.join(HERE, "labctl.py"), "fault", "--name", LAB_NAME,
                    "bmc/%s/%s" % (HOST, fault)] + list(params), check=True, capture_output=True)


def post(lab, path):
    req = urllib.request.Request("%s/%s" % (lab["lab_control_url"], path), data=b"", method="POST")
    urllib.request.urlopen(req, timeout=10).close()


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


@pytest.fixture
def spare(bmc_lab):
    """HOST up, its BMC healthy; afterwards the same, and the VMs that ran on it run again."""
    bmc_fault("recover")
    post(bmc_lab, "hosts/%s/recover" % HOST)
    host, vms = vcenter(bmc_lab)
    assert host == ("poweredOn", "connected")
    yield bmc_lab["lab_bmcs"][HOST]
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
