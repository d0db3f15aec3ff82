# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a fence step acts on (plain Python).

- ``vms``: what a fence powers off through vCenter. In guest mode the
  node's own VM (named by the node); in host mode, where the node is an
  ESXi host, the hierarchy's ``vm`` resources that vCenter placed on that
  host when the hierarchy was observed (a VM of the hierarchy elsewhere is
  not the failed host's to lose). A physical node has none.
- ``agent_levels``: whether the node has a fence agent (a BMC) among its
  levels, so that the levels are tried in order by ``vigil.ha.fence_node``.
"""

from __future__ import annotations

FENCE_KIT = "fence"


def fence_targets(step, nodes, hierarchy, observed):
    """``{"vms", "agent_levels"}`` for plan step ``step`` (a dict) of ``hierarchy``, given the
    validated ``nodes`` and the observation (``observed["vms"]``: resource -> host, power...)."""
    if step.get("kit") != FENCE_KIT:
        return {"vms": [], "agent_levels": False}
    node = nodes[step["node"]]
    agent_levels = any(level.get("method") == "fence_agent" for level in node["fencing"]["levels"])
    if node.get("mode", "guest") != "host":
        vm = node.get("vm")
        return {"vms": [dict(vm, name=step["node"])] if vm else [], "agent_levels": agent_levels}
    on_host = set(name for name, seen in ((observed or {}).get("vms") or {}).items()
                  if (seen or {}).get("host") == node.get("esxi"))
    vms = [r for r in hierarchy["resources"] if r["kind"] == "vm" and r["name"] in on_host]
    return {"vms": vms, "agent_levels": agent_levels}
