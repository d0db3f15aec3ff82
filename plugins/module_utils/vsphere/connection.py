# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vCenter connection options, one table for every reader.

glue/vcenter_module.py builds the modules' argument spec from it (the doc
fragment ``vigil.ha.vcenter`` documents it); the event source
``vigil.ha.health`` reads its arguments, and the same environment, by it.
Plain data: the event source runs without AnsibleModule.
"""

from __future__ import annotations

# name, type, environment variable (None: none), default, required
OPTIONS = (
    ("hostname", "str", "VMWARE_HOST", None, True),
    ("username", "str", "VMWARE_USER", None, True),
    ("password", "str", "VMWARE_PASSWORD", None, True),
    ("port", "int", "VMWARE_PORT", 443, False),
    ("validate_certs", "bool", "VMWARE_VALIDATE_CERTS", True, False),
    ("ca_path", "path", "VMWARE_CA_PATH", None, False),
    ("timeout", "int", None, 30, False),
)
ALIASES = {"username": ["user"], "password": ["pass", "pwd"]}
SECRETS = ("password",)

# option -> its environment variable, for the options that have one
ENV = dict((name, env) for name, dummy, env, dummy2, dummy3 in OPTIONS if env)
DEFAULTS = dict((name, default) for name, dummy, dummy2, default, dummy3 in OPTIONS)
REQUIRED = tuple(name for name, dummy, dummy2, dummy3, required in OPTIONS if required)
