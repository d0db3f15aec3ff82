# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The modules that run inside ansible-playbook on the controller
    # (plugins/plugin_utils/in_process.py); with ansible.builtin.action_common_attributes.flow.
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    details: On the controller (a local connection without become or a task environment) it runs inside C(ansible-playbook), without starting a module process.
  async:
    support: none
  bypass_host_loop:
    support: none
"""
