# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node kits by kind (the ``vm`` kit runs on the controller: kits/vm.py)."""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError

from .endpoint import HttpKit, TcpKit
from .filesystem import FilesystemKit
from .ip import IpKit
from .script import ScriptKit
from .service import ServiceKit

NODE_KITS = dict((k.kind, k) for k in (IpKit, ServiceKit, FilesystemKit, TcpKit, HttpKit, ScriptKit))


def node_kit(kind, name, params, check_mode=False, **kwargs):
    try:
        cls = NODE_KITS[kind]
    except KeyError:
        raise InputError("resource %s: kind %r is not a node kit (one of %s)" % (
            name, kind, ", ".join(sorted(NODE_KITS))))
    return cls(name, params, check_mode=check_mode, **kwargs)
