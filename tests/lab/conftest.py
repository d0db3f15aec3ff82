# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for tests that run the vSphere client against the running lab."""
from __future__ import annotations

import json
import os

import pytest
from cluster_runs import LAB, playbook, until, vip_answer, where

from lab.control import Control
from lab.rulebook import Rulebook

from lab.budgets import reset_budgets
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import VsphereClient

LAB_VARS = os.path.join(LAB, "vcenter.json")


def pytest_configure(config):
    # make integration runs "not slow" (make test stays within its time); make lab-slow runs the rest.
    config.addinivalue_line("markers", "slow: a lab test whose behaviour a faster one in make test also covers; "
                                       "run by make lab-slow")


@pytest.fixture(scope="session")
def lab():
    if not os.path.exists(LAB_VARS):
        pytest.fail("the lab is not running: python3 -m lab start")
    with open(LAB_VARS) as f:
        return json.load(f)


@pytest.fixture
def control(lab):
    """POST a fault to the lab's control API."""
    return lambda path: post(lab, path)


@pytest.fixture
def client(lab):
    c = VsphereClient(lab["vcenter_hostname"], lab["vcenter_username"], lab["vcenter_password"],
                      port=lab["vcenter_port"], ca_path=lab["vcenter_ca_path"], timeout=10)
    with c:
        yield c


@pytest.fixture(scope="module", autouse=True)
def own_ledger(request):
    """Each test module runs the playbooks with a ledger and locks of its own, and budgets of its own:
    they are counted from vCenter's events, which outlive a module, so each module starts with a reset."""
    path = os.path.join(LAB, "orchestration-state-%d-%s" % (os.getpid(), request.module.__name__))
    os.environ["VIGIL_LAB_TEST_STATE"] = path
    if os.path.exists(LAB_VARS):
        with open(LAB_VARS) as f:
            reset_budgets(json.load(f), "lab tests: " + request.module.__name__)
    yield path
    os.environ.pop("VIGIL_LAB_TEST_STATE", None)


def post(lab, path):
    return Control(lab["lab_control_url"]).post(path)


@pytest.fixture(scope="module")
def bare_nodes_after(lab):
    """The lab's nodes serve nothing after a module (other lab tests expect bare nodes)."""
    yield
    for node in ("node1", "node2"):
        post(lab, "vms/%s/poweron" % node)
    post(lab, "vcenter/start")
    rc, out = playbook("stop")
    assert rc == 0, out


@pytest.fixture
def web(lab):
    """`web` in service on node1, every VM on; all of it put back afterwards."""
    def everything_on():
        post(lab, "vcenter/start")
        for host in ("esxi-01.lab", "esxi-02.lab", "esxi-03.lab"):
            post(lab, "hosts/%s/recover" % host)
        for node in ("node1", "node2"):
            post(lab, "vms/%s/poweron" % node)
    everything_on()
    rc, out = playbook("start", "-e", "target=node1")
    if rc != 0 or where(out)[0] != "node1":
        rc, out = playbook("switchover", "-e", "target=node1")
    assert rc == 0, out
    assert until(lambda: vip_answer() == "node1")
    yield where(out)[1]
    everything_on()


@pytest.fixture
def rulebooks(tmp_path):
    """Start ansible-rulebook (keyword arguments of Rulebook); all stopped afterwards."""
    started = []

    def start(**kwargs):
        rulebook = Rulebook(tmp_path, name="rulebook%d" % len(started), **kwargs)
        started.append(rulebook)
        return rulebook
    yield start
    for rulebook in started:
        rulebook.stop()
