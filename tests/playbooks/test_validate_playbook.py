# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`ansible-playbook vigil.ha.validate` as a user runs it, on the shipped example and broken copies."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "docs", "examples", "cluster")


def validate(inventory, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "vigil.ha.validate",
                           "-i", os.path.join(inventory, "hosts.yml")] + list(extra),
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_documented_example_is_valid():
    rc, out = validate(EXAMPLE)
    assert rc == 0, out
    assert "cluster vigil_ha_cluster is valid: 6 nodes (3 guest, 3 ESXi host), 2 hierarchies" in out
    assert "web: starts web-vip, web-app on node1 > node2 > node3" in out


def broken(tmp_path, change):
    copy = tmp_path / "cluster"
    shutil.copytree(EXAMPLE, copy)
    path = copy / "group_vars" / "vigil_ha_cluster.yml"
    data = yaml.safe_load(path.read_text())
    change(data["vigil_ha_hierarchies"])
    path.write_text(yaml.safe_dump(data))
    return str(copy)


def set_kind(hierarchies):
    hierarchies[0]["resources"][0]["kind"] = "vip"


def same_priority(hierarchies):
    hierarchies[0]["nodes"][1]["priority"] = 10


def cycle(hierarchies):
    hierarchies[0]["resources"][0]["depends_on"] = ["web-app"]


def stranger(hierarchies):
    hierarchies[0]["nodes"].append({"node": "node9", "priority": 40})


def same_vip(hierarchies):
    hierarchies.append({"name": "web2", "nodes": [{"node": "node2", "priority": 1}],
                        "policy": {"failover": {"max": 0, "window": 3600}},
                        "resources": [{"name": "vip2", "kind": "ip",
                                       "params": {"address": "10.99.0.100/24", "interface": "eth0"}}]})


@pytest.mark.parametrize("change, message", [
    (set_kind, "hierarchy 'web', resource 'web-vip', kind: unknown kind 'vip'"),
    (same_priority, "hierarchy 'web', node 'node2', priority: 10 is also the priority of node 'node1'"),
    (cycle, "hierarchy 'web', resource 'web-vip', depends_on: dependency cycle web-vip -> web-app -> web-vip"),
    (stranger, "hierarchy 'web', node 'node9': not a host of the cluster group"),
    (same_vip, "hierarchy 'web2', resource 'vip2', params.address: 10.99.0.100 is also claimed by hierarchy 'web', resource 'web-vip'"),
])
def test_a_broken_copy_is_refused_with_its_message(tmp_path, change, message):
    rc, out = validate(broken(tmp_path, change))
    assert rc != 0
    # The YAML callback doubles single quotes and folds long lines.
    assert message in " ".join(out.replace("''", "'").split()), out


def hierarchies_on(tmp_path, groups):
    """A copy of the example whose vigil_ha_hierarchies sits on other groups:
    ``groups`` maps a group to a function of the example's list giving its own."""
    copy = tmp_path / "cluster"
    shutil.copytree(EXAMPLE, copy)
    path = copy / "group_vars" / "vigil_ha_cluster.yml"
    data = yaml.safe_load(path.read_text())
    hierarchies = data.pop("vigil_ha_hierarchies")
    path.write_text(yaml.safe_dump(data))
    for group, change in groups.items():
        (copy / "group_vars" / ("%s.yml" % group)).write_text(
            yaml.safe_dump({"vigil_ha_hierarchies": change(hierarchies)}))
    return str(copy)


def test_hierarchies_on_a_child_group_are_found_and_said_where(tmp_path):
    """Defined on a child group the group's first host (node1) is not in: once
    validated as zero hierarchies, silently."""
    rc, out = validate(hierarchies_on(tmp_path, {"vigil_ha_esxi": lambda h: h}))
    assert rc == 0, out
    text = " ".join(out.split())
    assert "2 hierarchies (vigil_ha_hierarchies of esxi-01.lab, esxi-02.lab, esxi-03.lab (not defined on node1, " \
           "node2, node3))" in text, out
    assert "web: starts web-vip, web-app on node1 > node2 > node3" in text


def test_hosts_that_see_different_hierarchies_are_refused(tmp_path):
    rc, out = validate(hierarchies_on(tmp_path, {"vigil_ha_esxi": lambda h: h, "vigil_ha_guests": lambda h: h[:1]}))
    assert rc != 0
    assert ("vigil_ha_hierarchies: the hosts of the cluster group see 2 different definitions (one on node1, node2, "
            "node3; one on esxi-01.lab, esxi-02.lab, esxi-03.lab): define it once, on the cluster group"
            in " ".join(out.replace("''", "'").split())), out


def ipv6_vip(hierarchies):
    hierarchies[0]["resources"][0]["params"]["address"] = "fd00:99::100/64"


def test_an_ipv6_virtual_ip_is_refused_before_anything_runs(tmp_path):
    rc, out = validate(broken(tmp_path, ipv6_vip))
    assert rc != 0
    assert ("hierarchy 'web', resource 'web-vip', params.address: IPv6 virtual IPs are not supported (the ip kit "
            "announces moves with ARP, IPv4 only): 'fd00:99::100/64'" in " ".join(out.replace("''", "'").split())), out


def test_a_move_refused_for_its_configuration_is_in_the_ledger(tmp_path):
    """The decision not to act, for a configuration refused, is recorded with its reason."""
    inventory = broken(tmp_path, set_kind)
    ledger = tmp_path / "ledger.jsonl"
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               VIGIL_HA_LEDGER=str(ledger), VIGIL_HA_STATE_DIR=str(tmp_path / "state"))
    proc = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"), "vigil.ha.switchover",
                           "-i", os.path.join(inventory, "hosts.yml"), "-e", "hierarchy=web"],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)
    assert proc.returncode != 0
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert [(r["hierarchy"], r["action"], r["decision"]) for r in lines] == [
        ("web", "switchover", "refused: invalid_config")]
    assert "hierarchy 'web', resource 'web-vip', kind: unknown kind 'vip'" in lines[0]["reason"]


def vm_by_moref(hierarchies):
    hierarchies[1]["resources"][1]["params"] = {"moref": "vm-2042"}


def test_a_vm_resource_named_by_moref_only_is_refused(tmp_path):
    """A failover registers a host mode VM again (new MoRef): named by MoRef,
    it was lost after the first failover; now it is refused up front."""
    rc, out = validate(broken(tmp_path, vm_by_moref))
    assert rc != 0
    assert ("hierarchy 'erp', resource 'erp-app', params.moref: a vm resource is named by params.uuid (its BIOS "
            "UUID, config.uuid), not by MoRef: a failover registers the VM again, which gives it a new MoRef"
            in " ".join(out.replace("''", "'").split())), out


def test_the_example_prints_its_rto_budgets():
    rc, out = validate(EXAMPLE)
    assert rc == 0, out
    flat = " ".join(out.split())
    assert ("web: policy.rto 240s met: worst case 202.7s when node1 unreachable: detect node1 unreachable "
            "(SSH check every 5s, 2 in a row) 11.7s + fence node1 level 1 (vcenter_poweroff) 60s + start web-vip 26s "
            "+ start web-app 93s + playbook overhead 12s") in flat, out
    assert "assumed: watcher lease: off (one watcher): no takeover counted; playbook overhead: 12s" in flat
    assert "erp: policy.rto 900s met: worst case 827s when esxi-01.lab host failed" in flat


def tight_rto(hierarchies):
    hierarchies[0]["policy"]["rto"] = 60


def tight_rto_warned(hierarchies):
    hierarchies[1]["policy"]["rto"] = 120  # rto_enforce: warn in the example


def test_an_rto_that_cannot_be_met_is_refused_naming_the_terms(tmp_path):
    rc, out = validate(broken(tmp_path, tight_rto))
    assert rc != 0
    assert ("hierarchy 'web', policy.rto: 60s cannot be met: worst case 202.7s when node1 unreachable "
            "(start web-app: 93s, fence node1 level 1 (vcenter_poweroff): 60s)") in " ".join(out.replace("''", "'").split()), out


def test_an_rto_in_warn_mode_is_a_warning(tmp_path):
    rc, out = validate(broken(tmp_path, tight_rto_warned))
    assert rc == 0, out
    flat = " ".join(out.split())
    assert "[WARNING]: hierarchy 'erp', policy.rto: 120s cannot be met: worst case 827s when esxi-01.lab host failed" in flat, out
    assert "erp: policy.rto 120s NOT met (warn): worst case 827s" in flat


def test_the_lease_from_the_watchers_vars_is_counted(tmp_path):
    eda_vars = tmp_path / "eda-vars.yml"
    eda_vars.write_text("vigil_ha_lease: true\nvigil_ha_lease_ttl: 8\nvigil_ha_lease_renew: 2\n")
    rc, out = validate(EXAMPLE, "-e", "@%s" % eda_vars)
    assert rc == 0, out
    flat = " ".join(out.split())
    assert "web: policy.rto 240s met: worst case 212.7s when node1 unreachable" in flat, out
    assert "watcher lease takeover (ttl 8 + renew 2) 10s" in flat
