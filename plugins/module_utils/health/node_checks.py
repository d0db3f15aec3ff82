# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node-side checks of the event source: one ``vigil.ha.app_health_info``
on a node over SSH, as an ad-hoc ``ansible`` run (plain Python).

``command`` builds the command line and its environment; ``parse`` reads
the output of the ``minimal`` callback (``node | SUCCESS => {json}``) into
``{"reachable", "resources", "error"}``. The inventory and its connection
variables are Ansible's own, so SSH keys, users and jump hosts work as for
playbooks; nothing of them reaches an event.
"""

from __future__ import annotations

import json
import os
import re

# As the playbooks' vars/connection.yml: keepalives and pipelining come with
# the collection. Given as environment (Ansible's configuration), so that the
# inventory's ansible_ssh_extra_args / ansible_pipelining and the caller's own
# ANSIBLE_* settings win.
CONNECTION_DEFAULTS = {"ANSIBLE_SSH_EXTRA_ARGS": "-o ServerAliveInterval=5 -o ServerAliveCountMax=2",
                       "ANSIBLE_PIPELINING": "True"}

_LINE = re.compile(r"^(?P<host>\S+) \| (?P<status>[A-Z]+!?)(?: \| rc=\d+)? => ", re.MULTILINE)


def command(ansible, inventory, node, resources, timeout):
    """``(argv, env)`` of one check of ``resources`` on ``node``."""
    argv = [ansible, node, "-i", inventory, "-m", "vigil.ha.app_health_info",
            "-a", json.dumps({"resources": resources}), "-T", str(max(1, int(timeout)))]
    env = dict(CONNECTION_DEFAULTS)
    env.update(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    return argv, env


def parse(node, output, rc):
    """``{"reachable": bool, "resources": [...], "error": str or None}`` of one run."""
    match = None
    for found in _LINE.finditer(output or ""):
        if found.group("host") == node:
            match = found
    if match is None:
        tail = " ".join((output or "").split())[-300:]
        return {"reachable": None, "resources": [], "error": "no result from %s (rc=%s): %s" % (node, rc, tail)}
    try:
        result = json.JSONDecoder().raw_decode(output[match.end():].lstrip())[0]
    except ValueError as exc:
        return {"reachable": None, "resources": [], "error": "unreadable result from %s: %s" % (node, exc)}
    status = match.group("status")
    message = " ".join(str(result.get("msg") or "").split())[:300]
    if status.startswith("UNREACHABLE"):
        return {"reachable": False, "resources": [], "error": message or "unreachable"}
    if status != "SUCCESS":
        return {"reachable": True, "resources": [], "error": message or status}
    return {"reachable": True, "resources": result.get("resources") or [], "error": None}
