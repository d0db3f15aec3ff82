# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kinds of resource and the parameters each takes.

Plain Python, the one place both the validator and the kits read, so a
parameter is declared once. Each parameter is ``(type, default)``; a default
of ``REQUIRED`` makes it mandatory. ``one_of`` lists groups of which exactly
one parameter must be given. ``replication`` (kinds that can be a
replicated resource, ``replicated: true``: primary on the owner, replica on
the other nodes) lists the parameters required then.
"""

from __future__ import annotations

REQUIRED = object()

KINDS = {
    # Host mode: a whole VM, placed on the hierarchy's ESXi host nodes.
    "vm": {
        "params": {
            "uuid": (str, None),
            "moref": (str, None),
            "shutdown_timeout": (int, 120),
            "tools_timeout": (int, 300),
        },
        "one_of": [("uuid", "moref")],
        "where": "controller",
    },
    "ip": {
        "params": {
            "address": (str, REQUIRED),  # CIDR, e.g. 10.99.0.100/24
            "interface": (str, REQUIRED),
            "arp_count": (int, 3),
        },
        "where": "node",
    },
    "service": {
        "params": {
            "unit": (str, None),  # systemd unit
            "command": (str, None),  # supervised command where there is no systemd
            "pidfile": (str, None),
            "workdir": (str, "/"),
            "stop_timeout": (int, 30),
        },
        "one_of": [("unit", "command")],
        "where": "node",
    },
    "filesystem": {
        "params": {
            "device": (str, REQUIRED),
            "mountpoint": (str, REQUIRED),
            "fstype": (str, REQUIRED),
            "options": (str, "defaults"),
        },
        "where": "node",
    },
    "tcp": {
        "params": {
            "host": (str, REQUIRED),
            "port": (int, REQUIRED),
            "timeout": (float, 2.0),
        },
        "where": "node",
    },
    "http": {
        "params": {
            "url": (str, REQUIRED),
            "expect_status": (int, 200),
            "expect_body": (str, None),
            "timeout": (float, 2.0),
        },
        "where": "node",
    },
    "script": {
        "params": {
            "restore": (str, REQUIRED),
            "remove": (str, REQUIRED),
            "quick_check": (str, REQUIRED),
            "recover": (str, None),
            # replicated: true (docs/replication.md): the role's scripts
            "promote": (str, None),
            "demote": (str, None),
            "position": (str, None),  # prints "<position> [<lag>]": how much data this node has
            "rejoin": (str, None),  # follow the primary again (rewind), exit 2 when only a rebuild can
            "rebuild": (str, None),  # copy the primary's data afresh
            "timeout": (int, 60),
        },
        "replication": ("promote", "demote"),
        "where": "node",
    },
}

# Kinds that can be replicated (``replicated: true``).
REPLICABLE = tuple(sorted(k for k, spec in KINDS.items() if "replication" in spec))

# Kinds that can be attached to another resource as its check.
CHECK_KINDS = ("tcp", "http")


def defaults(kind, params):
    """``params`` completed with the kind's defaults (no validation)."""
    out = {}
    for key, (dummy, default) in KINDS[kind]["params"].items():
        if key in params:
            out[key] = params[key]
        elif default is not REQUIRED:
            out[key] = default
    return out
