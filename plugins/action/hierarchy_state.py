# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.plugin_utils.in_process import InProcessAction


class ActionModule(InProcessAction):
    """vigil.ha.hierarchy_state, run inside ansible-playbook on the controller."""
