# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher as a new user runs it (issue 16): the collection installed
with ansible-galaxy, no repository ansible.cfg, an inventory of one's own
(group `prod_ha`, nodes alpha/bravo/charlie, hierarchy `shop`: the lab's
web under other names; lab/user_side.py), the real ansible-rulebook
with vigil.ha.auto_failover and `vigil_ha_cluster_group: prod_ha`.

What is asserted is what a user checks: who answers on the virtual IP, the
ledger's lines (including every decision not to act, with its reason), and
what the rulebook printed."""
from __future__ import annotations

import os
import shlex
import subprocess

import pytest
import yaml
from cluster_runs import kill_app, playbook, until, vip_answer, where
from lab.user_side import lab_node, run_playbook, user_env, user_inventory

pytestmark = pytest.mark.usefixtures("bare_nodes_after")


def edit_shop(inventory, **changes):
    """Change the hierarchy `shop` in the inventory's group_vars, as an operator edits the file."""
    path = os.path.join(inventory, "group_vars", "prod_ha.yml")
    with open(path, encoding="utf-8") as f:
        group_vars = yaml.safe_load(f)
    shop = group_vars["vigil_ha_hierarchies"][0]
    for key, value in changes.items():
        if key == "policy":
            shop.setdefault("policy", {}).update(value)
        else:
            shop[key] = value
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(group_vars, f, sort_keys=False)


@pytest.fixture
def shop(tmp_path, control):
    """An inventory of one's own with `shop` in service on alpha (the lab's web stopped); all put back after."""
    def everything_on():
        control("vcenter/start")
        for node in ("node1", "node2"):
            control("vms/%s/poweron" % node)
    everything_on()
    rc, out = playbook("stop")  # the lab's own name for the same resources
    assert rc == 0, out
    inventory = user_inventory(tmp_path / "inventory")
    made = {"inventory": inventory}

    def start(**changes):
        edit_shop(inventory, **changes)
        rc, out = run_playbook("start", "-e", "target=alpha", inventory=inventory)
        assert rc == 0 and where(out, "shop")[0] == "alpha", out
        assert until(lambda: vip_answer() == lab_node("alpha"), 20)
        return inventory
    made["start"] = start
    yield made
    everything_on()
    rc, out = run_playbook("stop", inventory=inventory)
    assert rc == 0, out


def user_rulebook(rulebooks, inventory, **variables):
    """ansible-rulebook as the user runs it: the installed collection, no repository ansible.cfg."""
    env = dict((k, v) for k, v in user_env().items() if not k.startswith("VIGIL_HA_"))
    return rulebooks(inventory=inventory, user_environment=env,
                     variables=dict({"vigil_ha_cluster_group": "prod_ha", "vigil_ha_inventory_interval": 1},
                                    **variables))


def test_own_group_maintenance_live_failover_and_automatic_switchback(shop, rulebooks, control):
    # 13: switchback automatic; the watcher moves shop back by itself.
    inventory = shop["start"](policy={"switchback": "automatic"})
    rulebook = user_rulebook(rulebooks, inventory, vigil_ha_switchback_settle=10)

    # 4 and 9: maintenance set in the inventory while the watcher runs; a crash is recorded, not acted on.
    edit_shop(inventory, maintenance=True)
    rulebook.wait_for("vigil.ha.health: inventory reloaded: hierarchy shop in maintenance", 30)
    kill_app("node1")
    rulebook.wait_for("vigil.ha: no action for resource web-app failed (hierarchy shop)", 60)
    assert until(lambda: rulebook.ledger("recover", "refused: maintenance"), 60), rulebook.output()[-6000:]
    skipped = rulebook.ledger("recover", "refused: maintenance")[0]
    assert skipped["hierarchy"] == "shop" and "hierarchy shop is in maintenance" in skipped["reason"], skipped
    assert rulebook.ledger("recover", "act") == [] and vip_answer() is None  # nobody restarted it

    # 4: maintenance cleared in the inventory, no restart: the next failure is acted on.
    edit_shop(inventory, maintenance=False)
    rulebook.wait_for("vigil.ha.health: inventory reloaded: hierarchy shop out of maintenance", 30)
    control("vms/node1/crash")
    # 1: the failover run by the rulebook finds the group prod_ha (not vigil_ha_cluster).
    assert until(lambda: vip_answer() == lab_node("bravo"), 120), rulebook.output()[-6000:]
    acts = rulebook.ledger("failover", "act")
    assert len(acts) == 1, rulebook.ledger()
    assert "has no hosts" not in rulebook.output()

    # 13: alpha powered back on; after the settling time the watcher switches back, nobody typing anything.
    control("vms/node1/poweron")
    assert until(lambda: vip_answer() == lab_node("alpha"), 150), rulebook.output()[-6000:]
    backs = rulebook.ledger("switchover", "act")
    assert len(backs) == 1, rulebook.ledger()
    assert backs[0]["generation"] == acts[0]["generation"] + 1
    assert rulebook.output().count("PLAY [Switchover a hierarchy]") == 1
    assert rulebook.ledger("failover", "act") == acts  # the switchback is no failover


def test_throttled_repeat_recorded_and_confirmation_asked_with_the_command(shop, rulebooks, control):
    inventory = shop["start"](policy={"confirm_failover": True})
    rulebook = user_rulebook(rulebooks, inventory, vigil_ha_recover_throttle=90)

    # 1: the recovery run by the rulebook finds the group prod_ha.
    kill_app("node1")
    assert until(lambda: vip_answer() == lab_node("alpha"), 90), rulebook.output()[-6000:]
    rulebook.wait_for("PLAY RECAP", 60)
    assert until(lambda: [e for e in rulebook.events() if e["name"] == "web-app" and e["to"] == "in_service"], 30)
    assert rulebook.ledger("recover", "done"), rulebook.ledger()

    # 9: the same failure again within the throttle: not acted on, but recorded with its reason.
    kill_app("node1")
    assert until(lambda: rulebook.ledger("recover", "refused: throttled"), 60), rulebook.output()[-6000:]
    throttled = rulebook.ledger("recover", "refused: throttled")[0]
    assert throttled["reason"].startswith("repeat of event ") and "within 90s" in throttled["reason"], throttled
    assert len(rulebook.ledger("recover", "act")) == 1 and vip_answer() is None

    # 7: policy.confirm_failover: the owner's VM crashes; the watcher says exactly what to run.
    control("vms/node1/crash")
    command = ("ansible-playbook vigil.ha.failover -i %s -e vigil_ha_cluster_group=prod_ha -e hierarchy=shop "
               "-e failed_node=alpha -e confirm=alpha" % rulebook.inventory)
    rulebook.wait_for("vigil.ha: OPERATOR NEEDED for hierarchy shop on node alpha", 120)
    assert command in " ".join(rulebook.output().split()), rulebook.output()[-6000:]
    assert until(lambda: rulebook.ledger("failover", "wait_for_operator"), 60), rulebook.output()[-6000:]
    waiting = rulebook.ledger("failover", "wait_for_operator")[0]
    assert waiting["inputs"]["command"] == command, waiting
    assert rulebook.ledger("failover", "refused: needs_confirmation")
    assert rulebook.ledger("failover", "act") == [] and vip_answer() is None  # nothing moved

    # The operator runs that very command: it fails shop over to bravo.
    env = user_env({"VIGIL_HA_STATE_DIR": rulebook.state, "VIGIL_HA_LEDGER": rulebook.ledger_path})
    proc = subprocess.run(shlex.split(waiting["inputs"]["command"]), capture_output=True, text=True, env=env,
                          cwd=str(rulebook.dir), timeout=600, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert where(" ".join(out.split()), "shop")[0] == "bravo"
    assert until(lambda: vip_answer() == lab_node("bravo"), 30)
