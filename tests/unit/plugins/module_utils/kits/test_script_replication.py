# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The script kit of a replicated resource, with real scripts: a small replicated "application"
whose role, position and lag are files in a directory (docs/replication.md)."""
from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.config.resource_args import resource_errors
from ansible_collections.vigil.ha.plugins.module_utils.kits.attached import run_action
from ansible_collections.vigil.ha.plugins.module_utils.kits.base import KitError
from ansible_collections.vigil.ha.plugins.module_utils.kits.registry import node_kit

BODIES = {
    "quickCheck": 'case "$(cat $D/role 2>/dev/null)" in primary) exit 0;; replica) exit 3;; broken) exit 4;; '
                  '"") exit 1;; *) echo "role file says $(cat $D/role)" >&2; exit 5;; esac',
    "restore": 'echo "$VIGIL_HA_ROLE" > $D/role',
    "remove": "rm -f $D/role",
    "promote": "echo primary > $D/role",
    "demote": "echo replica > $D/role",
    # the lag shrinks by 100 at every call, as a replica catching up would
    "position": 'lag=$(cat $D/lag); echo "$(cat $D/position) $lag"; '
                '[ "$lag" -gt 0 ] && echo $((lag - 100)) > $D/lag; exit 0',
    "rejoin": '[ -f $D/diverged ] && { echo "diverged: cannot rewind" >&2; exit 2; }; '
              'echo replica > $D/role; echo "$VIGIL_HA_PRIMARY" > $D/following',
    "rebuild": 'rm -f $D/diverged; echo replica > $D/role; echo "rebuilt from $VIGIL_HA_PRIMARY" > $D/following',
}


def app(tmp_path, role=None, position=9800, lag=0, without=()):
    """The scripts' parameters, the application's directory holding its role."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    params = {}
    for name, body in BODIES.items():
        if name in without:
            continue
        path = tmp_path / name
        path.write_text("#!/bin/sh\nD=%s\n%s\n" % (data, body))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        key = {"quickCheck": "quick_check"}.get(name, name)
        params[key] = str(path)
    if role:
        (data / "role").write_text(role + "\n")
    (data / "position").write_text("%d\n" % position)
    (data / "lag").write_text("%d\n" % lag)
    return params, data


def role(data):
    path = data / "role"
    return path.read_text().strip() if path.exists() else None


def kit(params, **kwargs):
    return node_kit("script", "db", params, replicated=True, **kwargs)


def test_quick_check_says_the_role_and_the_position(tmp_path):
    params, data = app(tmp_path, "replica", position=9700, lag=100)
    result = run_action({"name": "db", "kind": "script", "params": params, "replicated": True}, "check",
                        check_mode=True)
    assert result.state == "replica"
    assert result.facts == {"position": 9700, "lag": 100}
    for written, state in (("primary", "primary"), ("broken", "replica_broken"), ("garbage", "failed")):
        (data / "role").write_text(written)
        assert kit(params).check().state == state
    (data / "role").unlink()
    assert kit(params).check().state == "out_of_service"


def test_promote_a_replica_once_and_not_in_check_mode(tmp_path):
    params, data = app(tmp_path, "replica")
    would = kit(params, check_mode=True).act("promote")
    assert would.changed and would.reasons[0] == "would promote" and role(data) == "replica"
    done = kit(params).act("promote")
    assert done.changed and done.state == "primary" and role(data) == "primary"
    again = kit(params).act("promote")
    assert not again.changed and again.state == "primary"


def test_only_a_replica_is_promoted(tmp_path):
    params, data = app(tmp_path, "broken")
    with pytest.raises(KitError) as err:
        kit(params).act("promote")
    assert "db cannot be promoted here: it is replica_broken, and only a replica is promoted" in str(err.value)
    assert role(data) == "broken"


def test_demote_a_primary_and_nothing_else(tmp_path):
    params, data = app(tmp_path, "primary")
    assert kit(params).act("demote").state == "replica" and role(data) == "replica"
    assert not kit(params).act("demote").changed


def test_start_is_as_primary(tmp_path):
    params, data = app(tmp_path)
    assert kit(params).act("start").state == "primary" and role(data) == "primary"


def test_catch_up_waits_until_the_lag_is_gone(tmp_path):
    params, data = app(tmp_path, "replica", lag=300)
    naps = []
    result = kit(params, primary="node1", sleep=naps.append).act("catch_up")
    assert result.reasons[0] == "caught up with node1 at position 9800"
    # lags seen: 300 (the probe before), 200, 100, 0: two naps of a second between them
    assert result.facts == {"position": 9800, "lag": 0} and naps == [1, 1]


def test_catch_up_gives_up_after_the_timeout(tmp_path):
    params, data = app(tmp_path, "replica", lag=10 ** 6)
    params["timeout"] = 5
    now = [0.0]
    with pytest.raises(KitError) as err:
        kit(params, primary="node1", clock=lambda: now[0],
            sleep=lambda s: now.__setitem__(0, now[0] + s)).act("catch_up")
    assert "db did not catch up with node1 within 5s: position 9800, lag " in str(err.value)


def test_rejoin_follows_the_primary_and_rebuilds_when_it_cannot_rewind(tmp_path):
    params, data = app(tmp_path)
    assert kit(params, primary="node2").act("rejoin").state == "replica"
    assert (data / "following").read_text().strip() == "node2"
    (data / "diverged").write_text("")
    assert kit(params, primary="node3").act("rejoin").state == "replica"
    assert (data / "following").read_text().strip() == "rebuilt from node3"


def test_rejoin_without_its_script_restores_as_a_replica(tmp_path):
    params, data = app(tmp_path, without=("rejoin",))
    assert kit(params, primary="node2").act("rejoin").state == "replica" and role(data) == "replica"


def test_rebuild_without_its_script_is_refused(tmp_path):
    params, data = app(tmp_path, "broken", without=("rebuild",))
    with pytest.raises(KitError) as err:
        kit(params, primary="node2").act("rebuild")
    assert "db: no rebuild script: a broken replica must be rebuilt by hand" in str(err.value)


@pytest.mark.parametrize("replicated, primary, action, message", [
    (False, None, "promote", "db: promote is for a replicated resource (replicated: true) only"),
    (True, None, "catch_up", "db: catch_up needs the node of the primary to follow (primary)"),
    (True, None, "rejoin", "db: rejoin needs the node of the primary to follow (primary)"),
    (True, "node1", "dance", "action must be one of start, stop, check, recover, promote, demote, catch_up, "
                             "rejoin, rebuild, not 'dance'"),
])
def test_actions_refused_before_anything_runs(tmp_path, replicated, primary, action, message):
    params, data = app(tmp_path, "replica")
    with pytest.raises(KitError) as err:
        node_kit("script", "db", params, replicated=replicated, primary=primary).act(action)
    assert message in str(err.value)
    assert role(data) == "replica"


def test_a_position_script_that_prints_nonsense_is_named(tmp_path):
    params, data = app(tmp_path, "replica")
    with open(params["position"], "w") as f:
        f.write("#!/bin/sh\necho about ten\n")
    with pytest.raises(KitError) as err:
        kit(params, primary="node1").act("catch_up")
    assert "position script %s exited 0 and printed 'about ten'" % params["position"] in str(err.value)
    result = kit(params).check()  # a check still says the role, and why the position is missing
    assert result.state == "replica" and "printed 'about ten'" in result.reasons[1]


def test_a_replicated_script_needs_promote_and_demote_and_is_ready_only_with_every_script(tmp_path):
    params, data = app(tmp_path, "replica", without=("promote", "demote"))
    assert resource_errors({"name": "db", "kind": "script", "params": params, "replicated": True}) == [
        "resource 'db', params.promote: required for kind script when replicated is true",
        "resource 'db', params.demote: required for kind script when replicated is true"]
    assert resource_errors({"name": "web", "kind": "ip", "replicated": True,
                            "params": {"address": "10.0.0.1/24", "interface": "eth0"}}) == [
        "resource 'web', replicated: kind ip cannot be replicated (kinds that can: script)"]
    params, data = app(tmp_path, "replica")
    os.chmod(params["rebuild"], 0o644)
    assert kit(params).missing() == ["%s is not an executable file" % params["rebuild"]]
