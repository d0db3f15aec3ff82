# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vCenter connection options: one table (vsphere/connection.py) for the modules and the event source."""
from __future__ import annotations

import pytest

from ansible.module_utils.basic import env_fallback

from ansible_collections.vigil.ha.extensions.eda.plugins.event_source import health
from ansible_collections.vigil.ha.plugins.module_utils.glue.vcenter_module import vcenter_argument_spec
from ansible_collections.vigil.ha.plugins.module_utils.vsphere import connection


def test_the_modules_spec_is_the_table():
    assert vcenter_argument_spec() == dict(
        hostname=dict(type="str", required=True, fallback=(env_fallback, ["VMWARE_HOST"])),
        username=dict(type="str", required=True, aliases=["user"], fallback=(env_fallback, ["VMWARE_USER"])),
        password=dict(type="str", required=True, aliases=["pass", "pwd"], no_log=True,
                      fallback=(env_fallback, ["VMWARE_PASSWORD"])),
        port=dict(type="int", default=443, fallback=(env_fallback, ["VMWARE_PORT"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["VMWARE_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["VMWARE_CA_PATH"])),
        timeout=dict(type="int", default=30),
    )


def test_the_event_source_reads_the_same_environment(monkeypatch):
    for env in connection.ENV.values():
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("VMWARE_HOST", "vc.example")
    monkeypatch.setenv("VMWARE_USER", "watcher")
    monkeypatch.setenv("VMWARE_PASSWORD", "s3cret")
    monkeypatch.setenv("VMWARE_VALIDATE_CERTS", "no")
    out = health.connection({"port": 8443})
    assert out == {"hostname": "vc.example", "username": "watcher", "password": "s3cret", "port": 8443,
                   "validate_certs": False, "ca_path": None}


def test_the_event_source_names_what_is_missing(monkeypatch):
    for env in connection.ENV.values():
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(ValueError, match="username is required .argument username or environment VMWARE_USER."):
        health.connection({"hostname": "vc", "password": "x"})
