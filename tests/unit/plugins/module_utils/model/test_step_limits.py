# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The time limit of one step: the kit's own bound plus a margin, or the operator's."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.model.step_limits import MARGIN, step_timeout


@pytest.mark.parametrize("resource, seconds", [
    ({"kind": "script", "params": {"restore": "/r", "remove": "/s", "quick_check": "/c"}}, 2 * 60 + MARGIN),
    ({"kind": "script", "params": {"timeout": 900}}, 2 * 900 + MARGIN),
    # a replicated script's catch_up: a quick_check, then position scripts until its timeout
    ({"kind": "script", "replicated": True, "params": {"timeout": 100}}, 3 * 100 + MARGIN),
    ({"kind": "service", "params": {"command": "x", "stop_timeout": 10}}, 2 * (10 + 30) + MARGIN),
    ({"kind": "vm", "params": {"uuid": "u"}}, 120 + 300 + MARGIN),
    ({"kind": "vm", "params": {"uuid": "u", "shutdown_timeout": 10, "tools_timeout": 20}}, 30 + MARGIN),
    ({"kind": "http", "params": {"url": "http://x/"}}, 32 + MARGIN),
    ({"kind": "filesystem", "params": {}}, 240 + MARGIN),
    ({"kind": "ip", "params": {"address": "10.0.0.1/24", "interface": "eth0"}}, 26 + MARGIN),
    ({"kind": "fence"}, 60 + MARGIN),
    ({"kind": "fence", "params": {"fence_timeout": 300}}, 300 + MARGIN),
])
def test_the_kit_s_own_timeouts_bound_the_step(resource, seconds):
    assert step_timeout(resource) == seconds


def test_an_attached_check_adds_its_wait():
    service = {"kind": "service", "params": {"command": "x", "stop_timeout": 10}}
    checked = dict(service, check={"interval": 3, "timeout": 2, "http": {"url": "http://x/"}})
    assert step_timeout(checked) == step_timeout(service) + 32


@pytest.mark.parametrize("override, seconds", [(15, 15), ("15", 15), (2.5, 3)])
def test_the_operator_s_limit_replaces_it(override, seconds):
    assert step_timeout({"kind": "vm", "params": {}}, override) == seconds


@pytest.mark.parametrize("override", [0, -5, "soon"])
def test_a_bad_limit_is_refused_naming_the_variable(override):
    with pytest.raises(ValueError, match="vigil_ha_step_timeout"):
        step_timeout({"kind": "script"}, override)
