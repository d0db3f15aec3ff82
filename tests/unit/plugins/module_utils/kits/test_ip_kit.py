# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ip kit with a fake node: the commands it runs and how it reads them."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.kits.base import KitError
from ansible_collections.vigil.ha.plugins.module_utils.kits.ip import ANNOUNCE
from ansible_collections.vigil.ha.plugins.module_utils.kits.registry import node_kit

PARAMS = {"address": "10.99.0.100/24", "interface": "eth0", "arp_count": 2}


class FakeNode(object):
    """Answers like iproute2, ping and iputils-arping on a node with eth0."""

    def __init__(self, addresses=("10.99.0.11/24",), link_up=True, taken=False):
        self.addresses = list(addresses)
        self.link_up = link_up
        self.taken = taken
        self.calls = []
        self.background = []

    def __call__(self, argv, timeout=30, **kwargs):
        self.calls.append(argv)
        if kwargs.get("background"):
            self.background.append(argv)
        if argv[:3] == ["ip", "-o", "addr"]:
            return 0, "".join("2: eth0    inet %s brd 10.99.0.255 scope global eth0\n" % a for a in self.addresses), ""
        if argv[:3] == ["ip", "-o", "link"]:
            flags = "<BROADCAST,MULTICAST,UP,LOWER_UP>" if self.link_up else "<BROADCAST,MULTICAST>"
            return 0, "2: eth0@if9: %s mtu 1500 state %s\n" % (flags, "UP" if self.link_up else "DOWN"), ""
        if argv[0] == "ping":
            return (0, "", "") if self.link_up else (1, "", "")
        if argv[:2] == ["arping", "-D"]:
            return (1, "", "") if self.taken else (0, "", "")
        if argv[:2] == ["sh", "-c"] and kwargs.get("background"):  # the announcements
            return 0, "", ""
        if argv[:3] == ["ip", "addr", "add"]:
            self.addresses.append(argv[3])
            return 0, "", ""
        if argv[:3] == ["ip", "addr", "del"]:
            self.addresses.remove(argv[3])
            return 0, "", ""
        raise AssertionError("unexpected command %s" % argv)


def test_start_detects_duplicates_adds_and_announces():
    node = FakeNode()
    result = node_kit("ip", "vip", PARAMS, runner=node).start()
    assert result.changed and result.state == "in_service"
    assert ["arping", "-D", "-q", "-c", "1", "-w", "1", "-I", "eth0", "10.99.0.100"] in node.calls
    assert ["ip", "addr", "add", "10.99.0.100/24", "dev", "eth0"] in node.calls
    # The announcements (arp_count 2) run on in the background; nothing else does.
    assert node.background == [["sh", "-c", ANNOUNCE, "announce", "eth0", "10.99.0.100", "2"]]
    assert not node_kit("ip", "vip", PARAMS, runner=node).start().changed


def test_an_address_in_use_elsewhere_is_refused():
    node = FakeNode(taken=True)
    with pytest.raises(KitError) as err:
        node_kit("ip", "vip", PARAMS, runner=node).start()
    assert "already in use" in str(err.value)
    assert "10.99.0.100/24" not in node.addresses


def test_check_mode_changes_nothing():
    node = FakeNode()
    result = node_kit("ip", "vip", PARAMS, runner=node, check_mode=True).start()
    assert result.changed and result.state == "out_of_service"
    assert not any(c[:3] == ["ip", "addr", "add"] for c in node.calls)


def test_stop_and_states():
    node = FakeNode(addresses=["10.99.0.11/24", "10.99.0.100/24"])
    kit = node_kit("ip", "vip", PARAMS, runner=node)
    assert kit.check().state == "in_service"
    node.link_up = False
    assert kit.check().state == "failed"
    node.link_up = True
    stopped = kit.stop()
    assert stopped.changed and stopped.state == "out_of_service"
    assert node.addresses == ["10.99.0.11/24"]
    assert not kit.stop().changed


def test_a_similar_address_is_not_mistaken_for_ours():
    node = FakeNode(addresses=["10.99.0.10/24"])
    assert node_kit("ip", "vip", dict(PARAMS, address="10.99.0.1/24"), runner=node).check().state == "out_of_service"


def test_no_announcement_with_arp_count_zero():
    node = FakeNode()
    assert node_kit("ip", "vip", dict(PARAMS, arp_count=0), runner=node).start().state == "in_service"
    assert node.background == []


def test_the_announcements_stop_once_the_address_is_gone(tmp_path):
    """ANNOUNCE for real, with stand-ins for ip and arping: one ARP while the
    address is held, none once it was deleted (a stop, a rollback)."""
    held, sent = tmp_path / "held", tmp_path / "sent"
    (tmp_path / "ip").write_text('#!/bin/sh\n[ -e %s ] && echo "2: eth0 inet 10.99.0.100/24"\nexit 0\n' % held)
    (tmp_path / "arping").write_text('#!/bin/sh\necho "$*" >> %s\nsleep 0.3\n' % sent)
    for tool in ("ip", "arping"):
        (tmp_path / tool).chmod(0o755)
    env = dict(os.environ, PATH="%s:%s" % (tmp_path, os.environ["PATH"]))
    held.touch()
    proc = subprocess.Popen(["sh", "-c", ANNOUNCE, "announce", "eth0", "10.99.0.100", "50"], env=env)
    deadline = time.monotonic() + 10
    while not sent.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    held.unlink()
    assert proc.wait(10) == 0
    lines = sent.read_text().splitlines()
    assert 1 <= len(lines) <= 2 and lines[0] == "-U -q -c 1 -I eth0 10.99.0.100"
