# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The worst-case recovery time of a hierarchy against its policy.rto (model/rto.py): golden figures."""
from __future__ import annotations

import copy

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.config.validation import ConfigError, rto_budgets, rto_options, validate
from ansible_collections.vigil.ha.plugins.module_utils.health import lease_keeper, schedule, source
from ansible_collections.vigil.ha.plugins.module_utils.model import rto
from ansible_collections.vigil.ha.tests.unit.plugins.module_utils.config.test_validation import base

ONE_WATCHER = (None, rto.CONTROLLER_OVERHEAD)


def budgets(nodes, hierarchies, lease=None, overhead=rto.CONTROLLER_OVERHEAD):
    return dict((b["hierarchy"], b) for b in rto_budgets(validate(nodes, hierarchies), lease, overhead))


def with_rto(seconds, **policy):
    nodes, hierarchies = base()
    for h in hierarchies:
        h.setdefault("policy", {}).update(rto=seconds, **policy)
    return nodes, hierarchies


def test_the_event_source_figures_are_the_ones_counted():
    # model/ may not import health/: its copies must stay equal to the source's own.
    assert rto.TICK == source.TICK
    for interval in (0.5, 2, 5, 10, 60):
        assert rto.recheck_delay(interval) == schedule.recheck_delay(interval)
    assert rto.LEASE == dict((k, lease_keeper.DEFAULTS[k]) for k in ("lease_ttl", "lease_renew"))


def test_detection_formula():
    # interval + tick + one check + (confirm - 1) checks again, each at most the longer of the recheck delay and a run.
    assert rto.detection({"interval": 5, "timeout": 2, "confirm": 2}, 3.3) == pytest.approx(5 + 0.1 + 3.3 + 3.3)
    assert rto.detection({"interval": 10, "timeout": 0.2, "confirm": 3}, 0.3) == pytest.approx(10 + 0.1 + 0.3 + 2 * 1)
    assert rto.detection({"interval": 1, "timeout": 0.1, "confirm": 1}, 0.2) == pytest.approx(1 + 0.1 + 0.2)


def test_guest_hierarchy_golden_breakdown():
    web = budgets(*with_rto(300))["web"]
    assert web["worst_case"] == 204.7 and web["meets"] is True
    assert web["scenario"] == "node1 unreachable"
    assert web["terms"] == [
        {"term": "detect node1 unreachable (SSH check every 5s, 2 in a row)", "seconds": 11.7},  # 5 + 0.1 + 2 * (2 + 1.3)
        {"term": "fence node1 level 1 (vcenter_poweroff)", "seconds": 60},
        {"term": "start vip", "seconds": 26},  # 20 + 2 * arp_count 3
        {"term": "start app", "seconds": 95},  # stop_timeout 30 + 30, and the http check's 30 + check.timeout 5
        {"term": "playbook overhead", "seconds": 12},
    ]
    assert [t["term"] for t in web["dominant"]] == ["start app", "fence node1 level 1 (vcenter_poweroff)"]
    assert dict((s["scenario"], s["total"]) for s in web["scenarios"]) == {
        "node1 VM powered off": 194, "node1 unreachable": 204.7,
        "node2 VM powered off": 194, "node2 unreachable": 204.7,
        # the http check: 10 + 0.1 + (5 + 1) + max(1, 6); a restart is stop (60) then start (95)
        "vip failed": 10 + 0.1 + 6.3 + 6.3 + 26 + 26 + 12, "app failed": 10 + 0.1 + 6 + 6 + 60 + 95 + 12,
    }


def test_the_lease_adds_its_takeover():
    nodes, hierarchies = with_rto(300)
    lease = rto.lease_of(True)
    web = budgets(nodes, hierarchies, lease)["web"]
    assert web["worst_case"] == 204.7 + 20
    assert {"term": "watcher lease takeover (ttl 15 + renew 5)", "seconds": 20} in web["terms"]
    assert "watcher lease: on, takeover 20s" in web["assumed"]
    short = budgets(nodes, hierarchies, rto.lease_of(True, 4, 2))["web"]
    assert short["worst_case"] == 204.7 + 6


def test_host_mode_with_and_without_the_probe():
    nodes, hierarchies = with_rto(900)
    erp = budgets(nodes, hierarchies)["erp"]
    # No check.address: vCenter's 60 s before a host is not responding; two VMs powered off one by one (2 x 60);
    # each VM waits for its Tools (300).
    assert erp["scenario"] == "esx1 host failed"
    assert erp["terms"][:2] == [{"term": "detect esx1 host failed (vCenter: host not responding)", "seconds": 60},
                                {"term": "fence esx1 level 1 (vcenter_poweroff)", "seconds": 120}]
    assert erp["worst_case"] == 60 + 120 + 300 + 300 + 12
    for name in ("esx1", "esx2"):
        nodes[name]["check"] = {"address": "10.0.0.1", "interval": 2, "timeout": 1, "confirm": 2}
    probed = budgets(nodes, hierarchies)["erp"]
    assert probed["terms"][0] == {"term": "detect esx1 host failed (probe every 2s, 2 in a row)", "seconds": 6.1}
    assert probed["worst_case"] == 6.1 + 120 + 300 + 300 + 12
    assert "esx1 VM powered off" not in [s["scenario"] for s in probed["scenarios"]]


def test_fence_levels_and_delay_add_up():
    nodes, hierarchies = with_rto(300)
    nodes["node1"]["fencing"] = {"delay": 5, "levels": [
        {"method": "fence_agent", "agent": "fence_ipmilan", "options": {"ip": "10.0.0.9"}, "password_env": "P",
         "timeout": 20},
        {"method": "vcenter_poweroff"}]}
    web = budgets(nodes, hierarchies)["web"]
    assert [t for t in web["terms"] if t["term"].startswith("fence")] == [
        {"term": "fence node1 delay", "seconds": 5},
        {"term": "fence node1 level 1 (fence_ipmilan)", "seconds": 20},
        {"term": "fence node1 level 2 (vcenter_poweroff)", "seconds": 60}]
    assert web["worst_case"] == 204.7 + 25


def test_no_local_recovery_fails_over_with_stops():
    nodes, hierarchies = with_rto(600, local_recovery={"attempts": 0, "window": 300})
    web = budgets(nodes, hierarchies)["web"]
    app = [s for s in web["scenarios"] if s["scenario"] == "app failed"][0]
    assert app["total"] == pytest.approx(10 + 0.1 + 6 + 6 + 60 + 26 + 26 + 95 + 12)  # stop app, vip; start vip, app


@pytest.mark.parametrize("policy, why", [
    ({"confirm_failover": True}, "policy.confirm_failover is true: a failover waits for an operator"),
    ({"failover": {"max": 0, "window": 3600}}, "policy.failover.max is 0: a failover waits for an operator"),
])
def test_a_failover_waiting_for_an_operator_has_no_bound(policy, why):
    nodes, hierarchies = with_rto(3600, **policy)
    web = budgets(nodes, hierarchies)["web"]
    assert web["worst_case"] is None and web["meets"] is False and web["why"] == why
    assert rto.message(web) == "3600s cannot be met: node1 VM powered off has no bound (%s)" % why


def test_refused_naming_the_field_and_the_dominant_terms():
    nodes, hierarchies = with_rto(60)
    with pytest.raises(ConfigError) as info:
        validate(nodes, hierarchies, rto=ONE_WATCHER)
    assert info.value.errors == [
        "hierarchy 'web', policy.rto: 60s cannot be met: worst case 204.7s when node1 unreachable "
        "(start app: 95s, fence node1 level 1 (vcenter_poweroff): 60s)",
        "hierarchy 'erp', policy.rto: 60s cannot be met: worst case 792s when esx1 host failed "
        "(start db: 300s, start app: 300s)",
    ]


def test_warn_mode_passes_and_the_budget_says_not_met():
    nodes, hierarchies = with_rto(60, rto_enforce="warn")
    config = validate(nodes, hierarchies, rto=ONE_WATCHER)
    assert [b["meets"] for b in rto_budgets(config)] == [False, False]


def test_the_budget_is_not_checked_without_rto_inputs():
    # A move validates without it: a failover is never refused for being slow.
    nodes, hierarchies = with_rto(1)
    assert validate(nodes, hierarchies)["hierarchies"][0]["policy"]["rto"] == 1


def test_no_rto_no_budget():
    nodes, hierarchies = base()
    assert rto_budgets(validate(nodes, hierarchies)) == []


@pytest.mark.parametrize("policy, error", [
    ({"rto": 0}, "hierarchy 'web', policy.rto: must be greater than 0, not 0"),
    ({"rto": "10s"}, "hierarchy 'web', policy.rto: must be an integer, not '10s'"),
    ({"rto": True}, "hierarchy 'web', policy.rto: must be an integer, not True"),
    ({"rto": 10, "rto_enforce": "strict"}, "hierarchy 'web', policy.rto_enforce: must be one of refuse, warn, not 'strict'"),
])
def test_bad_policy_values_are_refused(policy, error):
    nodes, hierarchies = base()
    hierarchies[0]["policy"] = policy
    before = copy.deepcopy(hierarchies)
    with pytest.raises(ConfigError) as info:
        validate(nodes, hierarchies, rto=ONE_WATCHER)
    assert info.value.errors == [error]
    assert hierarchies == before


@pytest.mark.parametrize("given, error", [
    (dict(lease_ttl=0), "RTO input, lease_ttl: must be greater than 0, not 0"),
    (dict(lease_renew="5"), "RTO input, lease_renew: must be an integer, not '5'"),
    (dict(overhead=-1), "RTO input, rto_overhead: must be 0 or more, not -1"),
    (dict(lease="yes"), "RTO input, lease: must be true or false, not 'yes'"),
])
def test_bad_rto_inputs_are_refused(given, error):
    with pytest.raises(ConfigError) as info:
        rto_options(**given)
    assert info.value.errors == [error]


def test_rto_inputs():
    assert rto_options() == (None, 12)
    assert rto_options(lease_ttl=8) == ({"lease_ttl": 8, "lease_renew": 5}, 12)
    assert rto_options(lease=True, overhead=4) == ({"lease_ttl": 15, "lease_renew": 5}, 4)
    assert rto_options(lease=False, lease_ttl=8) == (None, 12)
