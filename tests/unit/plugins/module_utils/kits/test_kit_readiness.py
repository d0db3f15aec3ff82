# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A kit that is not ready on a node (a command or script missing) makes
the resource failed there, so that no plan picks that node, and refuses to
start rather than failing half-way."""
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.kits.base import KitError
from ansible_collections.vigil.ha.plugins.module_utils.kits.registry import node_kit

from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.kits.test_ip_kit import PARAMS, FakeNode


def without(*absent):
    return lambda name: None if name in absent else "/usr/bin/" + name


def test_ip_kit_without_arping_is_failed_and_will_not_start():
    node = FakeNode()
    kit = node_kit("ip", "vip", PARAMS, runner=node, which=without("arping"))
    result = kit.check()
    assert result.state == "failed"
    assert result.reasons[0] == "cannot start here: arping is not installed (not on PATH)"
    with pytest.raises(KitError, match="vip cannot start here: arping is not installed"):
        kit.start()
    assert not any(call[:3] == ["ip", "addr", "add"] for call in node.calls)


def test_a_resource_in_service_stays_in_service_when_a_command_is_missing():
    # The VIP is up; a missing arping must not make local recovery tear it down.
    kit = node_kit("ip", "vip", PARAMS, runner=FakeNode(addresses=["10.99.0.11/24", "10.99.0.100/24"]),
                   which=without("arping"))
    assert kit.check().state == "in_service"


def test_ready_ip_kit_is_out_of_service():
    assert node_kit("ip", "vip", PARAMS, runner=FakeNode(), which=without()).check().state == "out_of_service"


def test_service_needs_its_program_or_systemctl(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_HOME", str(tmp_path))
    kit = node_kit("service", "app", {"command": "$APP_HOME/bin/app --port 8080", "pidfile": str(tmp_path / "app.pid")})
    assert kit.missing() == ["%s/bin/app is not an executable file" % tmp_path]
    assert kit.check().state == "failed"
    unit = node_kit("service", "app", {"unit": "app.service"}, which=without("systemctl"))
    assert unit.missing() == ["systemctl is not installed (not on PATH)"]


def test_script_kit_needs_executable_scripts(tmp_path):
    script = tmp_path / "check.sh"
    script.write_text("#!/bin/sh\nexit 1\n")
    params = {"quick_check": str(script), "restore": str(script), "remove": str(tmp_path / "gone.sh")}
    kit = node_kit("script", "app", params)
    assert kit.missing() == ["%s is not an executable file" % script, "%s/gone.sh is not an executable file" % tmp_path]
    os.chmod(script, stat.S_IRWXU)
    assert kit.missing() == ["%s/gone.sh is not an executable file" % tmp_path]


def test_endpoint_checks_need_nothing():
    assert node_kit("tcp", "port", {"host": "127.0.0.1", "port": 1}).missing() == []
