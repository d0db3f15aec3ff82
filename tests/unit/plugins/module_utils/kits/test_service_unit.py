# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service kit's systemd path, with a fake systemctl (the lab has no systemd)."""
from __future__ import annotations

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.kits.base import KitError
from ansible_collections.vigil.ha.plugins.module_utils.kits.registry import node_kit


class FakeSystemd(object):
    def __init__(self, state="inactive", start_fails=False):
        self.state = state
        self.start_fails = start_fails
        self.calls = []

    def __call__(self, argv, timeout=30, **kwargs):
        self.calls.append(argv[1:])
        verb = argv[1]
        if verb == "is-active":
            return (0 if self.state == "active" else 3), self.state + "\n", ""
        if verb == "start":
            if self.start_fails:
                self.state = "failed"
                return 1, "", "Job for app.service failed"
            self.state = "active"
        elif verb == "stop":
            self.state = "inactive"
        return 0, "", ""


@pytest.mark.parametrize("state, expected", [
    ("active", "in_service"), ("inactive", "out_of_service"), ("failed", "failed"), ("", "unknown")])
def test_unit_states(state, expected):
    assert node_kit("service", "app", {"unit": "app.service"}, runner=FakeSystemd(state)).check().state == expected


def test_unit_start_stop_recover_are_idempotent():
    systemd = FakeSystemd()
    kit = node_kit("service", "app", {"unit": "app.service"}, runner=systemd)
    assert kit.start().changed and systemd.state == "active"
    assert not kit.start().changed
    assert kit.recover().state == "in_service"
    assert ["stop", "app.service"] in systemd.calls and systemd.calls.count(["start", "app.service"]) == 2
    assert kit.stop().changed and not kit.stop().changed


def test_unit_check_mode_only_asks():
    systemd = FakeSystemd()
    result = node_kit("service", "app", {"unit": "app.service"}, runner=systemd, check_mode=True).start()
    assert result.changed and systemd.state == "inactive"
    assert systemd.calls == [["is-active", "app.service"]]


def test_unit_start_failure_names_the_unit():
    with pytest.raises(KitError) as err:
        node_kit("service", "app", {"unit": "app.service"}, runner=FakeSystemd(start_fails=True)).start()
    assert "systemctl start app.service: Job for app.service failed" in str(err.value)
