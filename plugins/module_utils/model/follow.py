# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host mode: does the owner of a hierarchy follow its VMs? (plain Python)

DRS or an operator may migrate (vMotion) the protected VMs of a host mode
hierarchy to another ESXi host. Nothing failed: the VMs run, elsewhere. The
owner recorded in vCenter must follow them, or every later failure of
their new host concerns a node that "does not hold" the hierarchy and
nothing acts. The rule:

- the owner follows when every VM of the hierarchy that runs (powered on)
  runs on one other node of the hierarchy;
- nothing to do when they all run on the owner, when none runs (a failure,
  handled as one) or when the hierarchy is in service nowhere;
- refused (an operator decides) when the running VMs are split over several
  hosts, or run on a host that is not a node of the hierarchy: no single
  owner is true, and moving VMs back is an operator's choice.

Used by the event source (health/cluster_view.py, which emits a ``placement``
event) and by the playbook vigil.ha.adopt (filter vigil.ha.follow), which
records the new owner under the hierarchy's lock with a new generation.
"""

from __future__ import annotations

STAY = "stay"
FOLLOW = "follow"
REFUSE = "refuse"

# States of a ``placement`` event subject, by decision.
PLACEMENT = {STAY: "on_owner", FOLLOW: "moved", REFUSE: "split"}


def decide(name, members, owner, running):
    """``{"decision", "owner", "reason"}`` for hierarchy ``name``.

    - ``members``: ``[(node, esxi host name)]`` of the hierarchy, by priority;
    - ``owner``: the node that holds it now (vCenter), or None;
    - ``running``: ``{resource: esxi host name}`` of its VMs that are powered
      on (VMs off or not found are left out).
    """
    if not owner:
        return {"decision": STAY, "owner": owner, "reason": "%s is in service on no node" % name}
    if not running:
        return {"decision": STAY, "owner": owner,
                "reason": "no VM of %s runs: a failure, not a move" % name}
    node_of = dict((esxi, node) for node, esxi in members)
    owner_host = dict(members).get(owner)
    hosts = sorted(set(running.values()))
    where = "; ".join("%s on %s" % (", ".join(sorted(r for r, h in running.items() if h == host)), host)
                      for host in hosts)
    if hosts == [owner_host]:
        return {"decision": STAY, "owner": owner, "reason": "the VMs of %s run on its owner %s" % (name, owner)}
    strangers = [h for h in hosts if h not in node_of]
    if strangers:
        return {"decision": REFUSE, "owner": owner,
                "reason": "VMs of %s run on %s, not a node of %s (%s): move them back to %s, or add the host to "
                          "the hierarchy (vigil.ha.provision_node)" % (name, ", ".join(strangers), name, where, owner)}
    if len(hosts) > 1:
        return {"decision": REFUSE, "owner": owner,
                "reason": "the VMs of %s are split over several hosts (%s): one node must hold them all; migrate "
                          "them together (or switch over) to one node of %s" % (name, where, name)}
    new = node_of[hosts[0]]
    return {"decision": FOLLOW, "owner": new,
            "reason": "the running VMs of %s were migrated from %s to %s (%s): the owner follows them"
                      % (name, owner, new, where)}


def with_plan(found, generation):
    """``found`` with, when the owner follows, the move as a plan without steps
    (model/plan.py's shape), which playbooks/tasks/run_plan.yml records under
    the lock with a compare-and-set from ``generation``."""
    if found["decision"] == FOLLOW and generation is not None:
        generation = int(generation)
        found = dict(found, plan={"action": "adopt", "steps": [], "commit_at": 0, "owner": found["owner"],
                                  "generation_before": generation, "generation": generation + 1,
                                  "reason": found["reason"]})
    return found


def from_observed(hierarchy, nodes, owner, observed, generation=None):
    """``decide`` on what a playbook observed (model/observations.py ``vms``: power state and host per resource);
    with ``generation`` (vCenter's now), the plan of the move when the owner follows."""
    if not all((nodes.get(m["node"]) or {}).get("mode") == "host" for m in hierarchy["nodes"]):
        return {"decision": STAY, "owner": owner or None,
                "reason": "%s is not a host mode hierarchy: its nodes do not follow VMs" % hierarchy["name"]}
    members = [(m["node"], (nodes.get(m["node"]) or {}).get("esxi") or m["node"]) for m in hierarchy["nodes"]]
    vms = (observed or {}).get("vms") or {}
    running = dict((r, vm["host"]) for r, vm in vms.items() if vm.get("power_state") == "poweredOn" and vm.get("host"))
    return with_plan(decide(hierarchy["name"], members, owner or None, running), generation)
