#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_membership
short_description: Extend hierarchies to a node, or take a node out of them, in the cluster's inventory file
version_added: 0.1.0
description:
  - The cluster configuration is the inventory. This module edits the one file
    that holds the cluster's C(vigil_ha_hierarchies), what LifeKeeper calls
    extending a hierarchy to a node (and unextending it).
  - The file is either a vars file with C(vigil_ha_hierarchies) at its top (such as
    C(group_vars/vigil_ha_cluster.yml)) or an inventory file in which the
    C(vars) of group O(group) hold it.
  - With O(state=present) each hierarchy of O(hierarchies) lists O(node) with
    the given priority (added, or its priority changed). With O(state=absent)
    O(node) is taken out of every hierarchy, or of those named in O(hierarchies).
  - The file is rewritten as YAML (its leading comment lines are kept; other
    comments are not), atomically, after a backup when O(backup=true).
    Nothing is written when nothing changes.
  - It does not validate the result; the C(vigil.ha.provision_node) and
    C(vigil.ha.remove_node) playbooks run it in check mode, validate the
    returned O(hierarchies) with M(vigil.ha.validate_cluster), and only then
    write.
  - Run it on the controller.
author:
  - vigil.ha developers (@vigil-ha)
options:
  path:
    description: The file that holds C(vigil_ha_hierarchies).
    type: path
    required: true
  node:
    description: The node (inventory host name).
    type: str
    required: true
  state:
    description: V(present) extends hierarchies to the node; V(absent) takes it out.
    type: str
    choices: [present, absent]
    default: present
  hierarchies:
    description:
      - With O(state=present), the hierarchies to extend, each C(name) and C(priority)
        (lower is preferred; unique within a hierarchy).
      - With O(state=absent), optionally the names of the hierarchies to take the
        node out of; by default all.
    type: list
    elements: raw
    default: []
  group:
    description: The inventory group whose C(vars) hold the hierarchies when the file is an inventory.
    type: str
    default: vigil_ha_cluster
  backup:
    description: Keep a copy of the file as it was, with a timestamp in its name.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Returns the hierarchies it would write; writes nothing.
  diff_mode:
    support: full
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - vigil.ha.attributes.posix
seealso:
  - module: vigil.ha.validate_cluster
"""

EXAMPLES = r"""
- name: Extend web to node3 with priority 3
  vigil.ha.cluster_membership:
    path: inventory/group_vars/vigil_ha_cluster.yml
    node: node3
    hierarchies:
      - {name: web, priority: 3}
  delegate_to: localhost

- name: Take node3 out of every hierarchy
  vigil.ha.cluster_membership:
    path: inventory/group_vars/vigil_ha_cluster.yml
    node: node3
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
hierarchies:
  description: Every hierarchy of the file as it is now (or, in check mode, would be).
  returned: success
  type: list
  elements: dict
  sample: [{name: web, nodes: [{node: node1, priority: 1}, {node: node3, priority: 3}], resources: []}]
backup_file:
  description: The copy of the file as it was.
  returned: when the file changed and O(backup=true)
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core
    yaml = None

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import fail
from ansible_collections.vigil.ha.plugins.module_utils.config.membership import (
    MembershipError, header, locate, with_node, without_node)


def dump(value):
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=False)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            node=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            hierarchies=dict(type="list", elements="raw", default=[]),
            group=dict(type="str", default="vigil_ha_cluster"),
            backup=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        with open(p["path"], encoding="utf-8") as f:
            text = f.read()
        doc = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        fail(module, InputError("path: cannot read %s: %s" % (p["path"], exc), field="path"))
    try:
        holder = locate(doc, p["group"])
        before = holder["vigil_ha_hierarchies"]
        if p["state"] == "present":
            after = with_node(before, p["node"], p["hierarchies"])
        else:
            names = [h.get("name") if isinstance(h, dict) else h for h in p["hierarchies"]] or None
            after = without_node(before, p["node"], names)
    except MembershipError as exc:
        fail(module, exc)
    changed = after != before
    result = dict(changed=changed, hierarchies=after)
    if module._diff:
        result["diff"] = dict(before=dump(before), after=dump(after),
                              before_header=p["path"], after_header=p["path"])
    if changed and not module.check_mode:
        if p["backup"]:
            result["backup_file"] = module.backup_local(p["path"])
        holder["vigil_ha_hierarchies"] = after
        tmp = "%s.%d.tmp" % (p["path"], os.getpid())
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(header(text) + dump(doc))
        module.atomic_move(tmp, p["path"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
