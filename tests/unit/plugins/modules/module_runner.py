# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() with arguments, as Ansible would; return (rc, result)."""
from __future__ import annotations

import json

import pytest

from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args


def run_module(capsys, main, args):
    # A test that imported controller code (a filter, an action) makes module.warn() display instead of
    # returning its warnings, as it does inside ansible-playbook: here the module runs as its own process would.
    controller, _internal.is_controller = _internal.is_controller, False
    try:
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exit_info:
                main()
    finally:
        _internal.is_controller = controller
    return exit_info.value.code, json.loads(capsys.readouterr().out)
