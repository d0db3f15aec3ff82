# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The scenarios, registered on import (scenario.REGISTRY), in table order."""
from scenarios import (  # noqa: F401
    service, nodes_down, network, vcenter, events, budgets, moves, config, watcher, watchers, hosts, physical)
