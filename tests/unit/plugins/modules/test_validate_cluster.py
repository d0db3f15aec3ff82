# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate_cluster: configuration in, normalised configuration or every error out."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.modules import validate_cluster
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module as run_modules
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import base, example_config


def run_module(capsys, args):
    return run_modules(capsys, validate_cluster.main, args)


def test_the_documented_example_is_returned_normalised(capsys):
    nodes, hierarchies = example_config()
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies, _ansible_check_mode=True))
    assert rc == 0
    assert out["changed"] is False
    assert out["start_order"] == {"web": ["web-vip", "web-app"], "erp": ["erp-db", "erp-app"]}
    assert out["nodes"]["node1"]["check"] == {"interval": 5, "timeout": 2, "confirm": 2}
    assert out["hierarchies"][0]["resources"][0]["params"]["arp_count"] == 3
    assert "errors" not in out


def test_every_error_is_reported(capsys):
    nodes, hierarchies = base()
    nodes["node3"] = None
    hierarchies[0]["resources"][0]["params"].pop("address")
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies))
    assert rc == 1
    assert out["failed"] is True
    assert out["errors"] == [
        "node 'node3', vigil_ha_node: missing (every host of the cluster group is a node)",
        "hierarchy 'web', resource 'vip', params.address: required for kind ip",
    ]
    assert out["msg"] == "cluster configuration refused (2 errors): " + "; ".join(out["errors"])
    assert "hierarchies" not in out


def test_one_error_is_singular(capsys):
    nodes, hierarchies = base()
    hierarchies[0]["nodes"].append({"node": "node9", "priority": 9})
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies))
    assert rc == 1
    assert out["msg"] == "cluster configuration refused (1 error): hierarchy 'web', node 'node9': not a host of the cluster group"


def test_hierarchies_default_to_none(capsys):
    rc, out = run_module(capsys, dict(nodes=base()[0]))
    assert rc == 0
    assert out["hierarchies"] == [] and out["start_order"] == {}
    assert sorted(out["nodes"]) == ["esx1", "esx2", "node1", "node2"]


def rto_warnings(out):
    # AnsibleModule's warnings are process-wide: other tests' may be there too. A warning is a
    # plain string or a dict, by the result profile an earlier test of the process left set.
    texts = [w if isinstance(w, str) else w["event"]["msg"] for w in out.get("warnings", [])]
    return [t for t in texts if "policy.rto" in t]


def with_rto(seconds, enforce="refuse"):
    nodes, hierarchies = base()
    hierarchies[0]["policy"] = {"rto": seconds, "rto_enforce": enforce}
    return nodes, hierarchies


def test_rto_breakdown_is_returned(capsys):
    nodes, hierarchies = with_rto(300)
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies, rto_check=True, lease_ttl=8, lease_renew=2))
    assert rc == 0
    [web] = out["rto"]
    assert (web["hierarchy"], web["rto"], web["meets"], web["worst_case"]) == ("web", 300, True, 214.7)
    assert {"term": "watcher lease takeover (ttl 8 + renew 2)", "seconds": 10} in web["terms"]
    assert rto_warnings(out) == []


def test_rto_refusal_names_the_field_and_terms(capsys):
    nodes, hierarchies = with_rto(30)
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies, rto_check=True))
    assert rc == 1
    assert out["errors"] == ["hierarchy 'web', policy.rto: 30s cannot be met: worst case 204.7s when node1 "
                             "unreachable (start app: 95s, fence node1 level 1 (vcenter_poweroff): 60s)"]
    assert "hierarchies" not in out


def test_rto_warning_passes(capsys):
    nodes, hierarchies = with_rto(30, "warn")
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies, rto_check=True, rto_overhead=2))
    assert rc == 0
    assert out["rto"][0]["worst_case"] == 194.7 and out["rto"][0]["meets"] is False
    assert rto_warnings(out) == ["hierarchy 'web', policy.rto: 30s cannot be met: worst case 194.7s when node1 "
                                 "unreachable (start app: 95s, fence node1 level 1 (vcenter_poweroff): 60s)"]


def test_rto_not_checked_unless_asked(capsys):
    nodes, hierarchies = with_rto(1)
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies))
    assert rc == 0 and "rto" not in out


def test_bad_rto_input_is_refused(capsys):
    nodes, hierarchies = with_rto(300)
    rc, out = run_module(capsys, dict(nodes=nodes, hierarchies=hierarchies, rto_check=True, lease_ttl=0))
    assert rc == 1
    assert out["errors"] == ["RTO input, lease_ttl: must be greater than 0, not 0"]
