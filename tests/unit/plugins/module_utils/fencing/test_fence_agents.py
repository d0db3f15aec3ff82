# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fence agents run as Pacemaker runs them, against stand-in agents that
speak the fence agent API (options on stdin, exit 0 on / 2 off), and the
fencing levels tried in order. The lab test (tests/lab/test_fencing_bmc.py)
runs Debian's real fence_ipmilan against the lab's BMCs."""
from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.fencing import agents as fence_agents

from ansible_collections.vigil.ha.plugins.module_utils.fencing import levels as fence_levels
from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import AgentError, AgentRunner

# A stand-in agent: records its argv, environment password and stdin; keeps
# the machine's power in a file. "stuck" in that file: off never takes.
AGENT = """#!/usr/bin/env python3
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
opts = dict(line.split("=", 1) for line in sys.stdin.read().splitlines() if "=" in line)
with open(os.path.join(here, "calls.jsonl"), "a") as f:
    f.write(json.dumps({"argv": sys.argv, "stdin": opts, "env": os.environ.get("IPMI_PASSWORD")}) + "\\n")
power = os.path.join(here, "power")
state = open(power).read().strip() if os.path.exists(power) else "on"
if opts.get("password") not in (None, "s3cret") or opts.get("username") != "admin":
    print("Failed: Unable to obtain correct plug status or plug is not available, password s3cret?")
    sys.exit(1)
wrapper = opts.get("ipmitool" + "_path")  # (spelt so that only the ipmitool stand-in is taken for one)
if wrapper:  # as fence_ipmilan: ipmitool -P '' ...
    os.execv(wrapper, [wrapper, "-I", "lanplus", "-P", "", "chassis", "power", opts["action"]])
if opts["action"] == "off" and state != "stuck":
    open(power, "w").write("off")
    sys.exit(0)
if opts["action"] == "status":
    print("Status: " + ("OFF" if state == "off" else "ON"))
    sys.exit(2 if state == "off" else 0)
sys.exit(0)
"""
IPMITOOL = """#!/bin/sh
echo "$*|$IPMI_PASSWORD" >> "$(dirname "$0")/ipmitool.log"
case "$*" in *off*) echo off > "$(dirname "$0")/power"; exit 0;; esac
grep -q off "$(dirname "$0")/power" 2>/dev/null && { echo "Chassis Power is off"; exit 2; }
echo "Chassis Power is on"
"""


def script(path, text):
    path.write_text(text)
    path.chmod(stat.S_IRWXU)
    return str(path)


@pytest.fixture
def agent(tmp_path):
    return script(tmp_path / "fence_fake", AGENT)


def calls(tmp_path):
    return [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]


def runner(path, password="s3cret", **kw):
    return AgentRunner("fence_fake", {"ip": "127.0.0.1", "username": "admin"}, password, path=path, poll=0.01, **kw)


def test_off_then_status_until_off_with_the_password_on_stdin_only(agent, tmp_path):
    result = runner(agent).off()
    assert result == {"changed": True, "power_state": "off",
                      "msg": "powered off with fence_fake and confirmed off by its status"}
    seen = calls(tmp_path)
    assert [c["stdin"]["action"] for c in seen] == ["status", "off", "status"]
    assert all(c["argv"] == [agent] for c in seen)  # nothing but the agent's path on the command line
    assert all(c["stdin"]["password"] == "s3cret" and c["stdin"]["ip"] == "127.0.0.1" for c in seen)


def test_already_off_is_fenced_without_a_change(agent, tmp_path):
    (tmp_path / "power").write_text("off")
    assert runner(agent).off()["changed"] is False


def test_check_mode_reads_status_only(agent, tmp_path):
    assert runner(agent).off(check_mode=True)["msg"] == "would power it off with fence_fake"
    assert [c["stdin"]["action"] for c in calls(tmp_path)] == ["status"]


def test_a_machine_that_does_not_go_off_is_not_fenced(agent, tmp_path):
    (tmp_path / "power").write_text("stuck")
    with pytest.raises(AgentError) as err:
        runner(agent, timeout=1).off()
    assert "did not confirm the machine off within 1s" in err.value.message


def test_a_wrong_password_fails_and_is_never_shown(agent):
    with pytest.raises(AgentError) as err:
        runner(agent, password="wrong-pw").status()
    assert "fence_fake status failed" in err.value.message and "wrong-pw" not in err.value.message


def test_a_missing_agent_says_which_package(tmp_path):
    with pytest.raises(AgentError, match="fence_nothere is not installed on the controller"):
        AgentRunner("fence_nothere", {"ip": "x"}, path=None).status()


def test_ipmitool_agents_get_the_password_through_the_environment(tmp_path, monkeypatch):
    """fence_ipmilan hands its password to ipmitool -P (shown by ps): the
    wrapper vigil.ha gives it turns that into -E and IPMI_PASSWORD."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script(bin_dir / "ipmitool", IPMITOOL)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    agent = script(tmp_path / "fence_fakeipmi", AGENT + "\n# ipmitool_path\n")
    (tmp_path / "power").write_text("on")
    AgentRunner("fence_fakeipmi", {"ip": "127.0.0.1", "username": "admin"}, "s3cret", path=agent, poll=0.01).off()
    seen = calls(tmp_path)
    assert all("password" not in c["stdin"] and c["env"] == "s3cret" for c in seen)
    log = (bin_dir / "ipmitool.log").read_text().splitlines()
    assert log and all(line.startswith("-I lanplus -E chassis power ") and line.endswith("|s3cret") for line in log)


def test_installed_agents_and_names(tmp_path):
    script(tmp_path / "fence_one", "#!/bin/sh\n")
    script(tmp_path / "not_an_agent", "#!/bin/sh\n")
    assert fence_agents.installed_agents([str(tmp_path)]) == ["fence_one"]
    assert fence_agents.find_agent("fence_one", [str(tmp_path)]) == str(tmp_path / "fence_one")
    assert fence_agents.find_agent("../bin/sh", [str(tmp_path)]) is None


# -- levels, in order ----------------------------------------------------------

def test_the_first_level_that_confirms_wins():
    tried = []

    def try_level(level, check_mode):
        tried.append(level["method"])
        if level["method"] == "vcenter_poweroff":
            raise fence_levels.LevelFailed("cannot confirm: host not responding")
        return {"fenced": True, "changed": True, "msg": "powered off"}
    levels = [{"method": "vcenter_poweroff"}, {"method": "fence_agent", "agent": "fence_ipmilan"},
              {"method": "fence_agent", "agent": "fence_redfish"}]
    slept = []
    result = fence_levels.fence_in_order("esx1", levels, try_level, delay=3, sleep=slept.append)
    assert tried == ["vcenter_poweroff", "fence_agent"] and slept == [3]
    assert (result["level"], result["method"]) == (2, "fence_agent fence_ipmilan")
    assert [(a["level"], a["fenced"]) for a in result["attempts"]] == [(1, False), (2, True)]


def test_no_level_confirming_means_not_fenced():
    def try_level(level, check_mode):
        raise fence_levels.LevelFailed("%s failed" % level["method"])
    with pytest.raises(fence_levels.NotFenced) as err:
        fence_levels.fence_in_order("esx1", [{"method": "vcenter_poweroff"},
                                             {"method": "fence_agent", "agent": "fence_ipmilan"}], try_level)
    assert err.value.message == ("node esx1 is NOT fenced: no fencing level confirmed it off (level 1 "
                                 "vcenter_poweroff: vcenter_poweroff failed; level 2 fence_agent fence_ipmilan: "
                                 "fence_agent failed)")
    with pytest.raises(fence_levels.NotFenced, match="has no fencing method"):
        fence_levels.fence_in_order("p1", [{"method": "none"}], try_level)


def test_which_levels_need_vcenter():
    assert fence_levels.needs_vcenter([{"method": "vcenter_poweroff"}])
    assert not fence_levels.needs_vcenter([{"method": "vcenter_poweroff"}, {"method": "fence_agent"}])
    assert not fence_levels.needs_vcenter([{"method": "none"}])


def test_a_level_that_returns_without_confirming_is_not_a_fence():
    """Only ``fenced: true`` counts (outside check mode), whatever a level returns."""
    def try_level(level, check_mode):
        return {"fenced": level["method"] == "fence_agent", "msg": "looked at it"}
    result = fence_levels.fence_in_order("esx1", [{"method": "vcenter_poweroff"},
                                                  {"method": "fence_agent", "agent": "fence_ipmilan"}], try_level)
    assert [(a["level"], a["fenced"], a["msg"]) for a in result["attempts"]] == [
        (1, False, "looked at it"), (2, True, "looked at it")]
