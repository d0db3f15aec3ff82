# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for tests that run the vSphere client against the running lab."""
from __future__ import annotations

import json
import os
import urllib.request

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.vsphere_client import VsphereClient

LAB_VARS = os.path.join(os.path.dirname(__file__), "..", "..", ".lab", "default", "vcenter.json")


@pytest.fixture(scope="session")
def lab():
    if not os.path.exists(LAB_VARS):
        pytest.fail("the lab is not running: python3 tests/lab/labctl.py start")
    with open(LAB_VARS) as f:
        return json.load(f)


@pytest.fixture
def control(lab):
    """POST a fault to the lab's control API."""
    def post(path):
        req = urllib.request.Request(lab["lab_control_url"] + "/" + path, data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)
    return post


@pytest.fixture
def client(lab):
    c = VsphereClient(lab["vcenter_hostname"], lab["vcenter_username"], lab["vcenter_password"],
                      port=lab["vcenter_port"], ca_path=lab["vcenter_ca_path"], timeout=10)
    with c:
        yield c
