# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller rulebook mirrors vigil.ha.auto_failover: the same source and
rules, each run_playbook a run_job_template with the same extra_vars."""
from __future__ import annotations

import copy
import os

import yaml

RULEBOOKS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "extensions", "eda", "rulebooks")
TEMPLATES = {"vigil.ha.failover": "failover", "vigil.ha.recover": "recover", "vigil.ha.switchover": "switchover",
             "vigil.ha.adopt": "adopt"}


def load(name):
    with open(os.path.join(RULEBOOKS, name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def as_controller(local):
    """auto_failover.yml as the controller variant must read."""
    mirrored = copy.deepcopy(local)
    mirrored[0]["name"] = "vigil.ha auto failover (automation controller)"
    for rule in mirrored[0]["rules"]:
        for action in [rule.get("action")] + rule.get("actions", []):
            if action and "run_playbook" in action:
                run = action.pop("run_playbook")
                kind = TEMPLATES[run["name"]]
                action["run_job_template"] = {
                    "name": "{{ (vigil_ha_job_templates | default({})).%s | default('vigil.ha %s') }}" % (kind, kind),
                    "organization": "{{ vigil_ha_controller_organization | default('Default') }}",
                    "post_events": run["post_events"],
                    "job_args": {"extra_vars": run["extra_vars"]},
                }
    return mirrored


def test_the_controller_rulebook_mirrors_the_local_one():
    local = load("auto_failover.yml")
    controller = load("auto_failover_controller.yml")
    assert controller == as_controller(local)
    actions = [list(r["action"])[0] for r in controller[0]["rules"] if "action" in r]
    assert actions.count("run_job_template") == 5 and "run_playbook" not in actions


def test_every_playbook_the_rulebooks_run_is_given_the_cluster_group():
    # Issue 16 #1: with vigil_ha_cluster_group set, the playbooks must not look for vigil_ha_cluster.
    for name in ("auto_failover.yml", "auto_failover_controller.yml"):
        runs = [a.get("run_playbook") or a["run_job_template"]["job_args"]
                for r in load(name)[0]["rules"] for a in [r.get("action")] + r.get("actions", [])
                if a and ("run_playbook" in a or "run_job_template" in a)]
        assert len(runs) == 5
        for run in runs:
            assert run["extra_vars"]["vigil_ha_cluster_group"] == \
                "{{ vigil_ha_cluster_group | default('vigil_ha_cluster') }}", (name, run)


def test_no_rule_drops_events_silently():
    # Issue 16 #9: ansible-rulebook's throttle leaves no trace; the source marks repeats instead.
    for name in ("auto_failover.yml", "auto_failover_controller.yml"):
        assert [r["name"] for r in load(name)[0]["rules"] if "throttle" in r] == []


def test_every_notice_carries_what_vigil_ha_notify_takes():
    # Notifications: the rules post vigil_ha_notice events; one rule sends them with vigil.ha.notify.
    from ansible_collections.vigil.ha.plugins.modules.notify import ARGUMENT_SPEC
    for name in ("auto_failover.yml", "auto_failover_controller.yml"):
        rules = load(name)[0]["rules"]
        actions = [a for r in rules for a in [r.get("action")] + r.get("actions", []) if a]
        notices = [a["post_event"]["event"]["vigil_ha_notice"] for a in actions
                   if "vigil_ha_notice" in a.get("post_event", {}).get("event", {})]
        assert len(notices) == 4, name
        sends = [a["run_module"] for a in actions if a.get("run_module", {}).get("name") == "vigil.ha.notify"]
        assert len(sends) == 1, name
        args = sends[0]["module_args"]
        assert set(args) <= set(ARGUMENT_SPEC) and set(ARGUMENT_SPEC) - set(args) == set(["time"]), name
        for n in notices:
            assert set(n) == set(["send"]) | set(k for k in args if not k.startswith(("webhook_", "smtp_"))), n
            assert "vigil_ha_notify_webhook_url" in n["send"] and "vigil_ha_notify_smtp_host" in n["send"]
        # The standby's rule comes first: a standby watcher's events never reach a notice.
        assert rules[0]["condition"] == "event.vigil_ha.lease.active == false"
