# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha.vcenter_role against the lab's vCenter, as an administrator runs
it: check mode creates nothing; a run creates the role with exactly the
privileges docs/privileges.md lists (plus the System ones vCenter puts in
every role) and grants it on the root folder, propagating; a second run
changes nothing; fewer parts narrow the role; a bad request names the field
and changes nothing.

How far the simulator goes (govmomi 0.24.2, docs/privileges.md): it keeps
roles and permissions and refuses unknown privilege IDs, but it enforces
no privilege on any call, and it lets in only the one user it was started
with, so the watcher cannot be run here as the role's principal."""
from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest
import yaml

from lab.paths import REPO
from lab.runs import ANSIBLE_PLAYBOOK, ansible_env, lab_dir

PRIVILEGES = os.path.join(REPO, "playbooks", "vars", "vcenter_privileges.yml")
SYSTEM = {"System.Anonymous", "System.View", "System.Read"}


def run(role, principal, *extra):
    cmd = [ANSIBLE_PLAYBOOK, "vigil.ha.vcenter_role", "-e", "@" + os.path.join(lab_dir(), "vcenter.json"),
           "-e", json.dumps({"vigil_ha_vcenter_role": role, "vigil_ha_vcenter_principal": principal})] + list(extra)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), cwd=REPO, timeout=300, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def role(client, name):
    found = [r for r in client.content.authorizationManager.roleList if r.name == name]
    return found[0] if found else None


def permissions(client, role_id):
    return [(p.principal, p.entity._moId, p.propagate, p.group)
            for p in client.content.authorizationManager.RetrieveRolePermissions(role_id)]


def listed(*parts):
    with open(PRIVILEGES, encoding="utf-8") as f:
        privileges = yaml.safe_load(f)["vigil_ha_vcenter_privileges"]
    return set(p for part in (parts or privileges) for p in privileges[part])


@pytest.fixture
def names(client):
    suffix = uuid.uuid4().hex[:8]
    name, principal = "vigil.ha-test-" + suffix, "vigil-ha-%s@vsphere.local" % suffix
    yield name, principal
    found = role(client, name)
    if found:
        client.content.authorizationManager.RemoveAuthorizationRole(found.roleId, False)


def test_the_role_holds_exactly_the_listed_privileges_and_is_granted_on_the_root_folder(client, names):
    name, principal = names
    rc, out = run(name, principal, "--check")
    assert rc == 0, out
    assert role(client, name) is None, "check mode created the role"

    rc, out = run(name, principal)
    assert rc == 0, out
    created = role(client, name)
    assert created is not None, out
    assert set(created.privilege) == listed() | SYSTEM
    # Every part's privileges, among them fencing's power-off and the state's custom attributes and events.
    assert {"VirtualMachine.Interact.PowerOff", "Global.SetCustomField", "Global.ManageCustomFields",
            "Global.LogEvent"} <= set(created.privilege)
    root = client.content.rootFolder._moId
    assert permissions(client, created.roleId) == [(principal, root, True, False)]

    rc, out = run(name, principal)
    assert rc == 0 and "changed=0" in out, out

    # The watcher and the read-only playbooks alone: the role narrows to the watch and state parts.
    rc, out = run(name, principal, "-e", json.dumps({"vigil_ha_vcenter_parts": ["watch", "state"]}))
    assert rc == 0, out
    assert set(role(client, name).privilege) == listed("watch", "state") | SYSTEM


def test_a_bad_request_names_the_field_and_changes_nothing(client, names):
    name, principal = names
    rc, out = run(name, principal, "-e", json.dumps({"vigil_ha_vcenter_parts": ["watch", "everything"]}))
    assert rc != 0
    assert "vigil_ha_vcenter_parts" in out and "everything" in out, out
    rc, out = run(name, "  ")
    assert rc != 0
    assert "vigil_ha_vcenter_principal must name" in out, out
    assert role(client, name) is None
