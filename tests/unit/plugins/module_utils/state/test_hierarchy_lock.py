# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller lock of a hierarchy: one holder, token to release, TTL, dead holders."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.state import lock as hl
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateInputError


class Clock(object):
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def lock(tmp_path, clock=None, pid=None, host="ctl1"):
    clock = clock or Clock()
    return hl.HierarchyLock(str(tmp_path), "app1", clock=clock, sleep=clock.sleep, host=host, pid=pid or os.getpid())


def test_acquire_then_a_second_run_is_refused(tmp_path):
    first = lock(tmp_path).acquire("run-a", ttl=60)
    assert first["acquired"] and first["changed"] and first["token"]
    with pytest.raises(hl.LockBusy) as err:
        lock(tmp_path).acquire("run-b", ttl=60)
    assert "locked by run-a" in err.value.message and err.value.holder["token"] == first["token"]
    content = json.load(open(os.path.join(str(tmp_path), "app1.lock")))
    assert content["holder"]["owner"] == "run-a" and content["holder"]["pid"] == os.getpid()


def test_wait_gives_up_after_the_wait(tmp_path):
    clock = Clock()
    lock(tmp_path, clock).acquire("run-a", ttl=60)
    with pytest.raises(hl.LockBusy):
        lock(tmp_path, clock).acquire("run-b", ttl=60, wait=5)
    assert 1005 <= clock.now < 1006


def test_wait_gets_the_lock_when_the_ttl_passes(tmp_path):
    clock = Clock()
    lock(tmp_path, clock).acquire("run-a", ttl=3)
    out = lock(tmp_path, clock).acquire("run-b", ttl=60, wait=10)
    assert out["acquired"] and "expired holder run-a" in out["msg"]


def test_release_needs_the_token(tmp_path):
    token = lock(tmp_path).acquire("run-a", ttl=60)["token"]
    with pytest.raises(hl.LockBusy):
        lock(tmp_path).release(token="wrong")
    out = lock(tmp_path).release(token=token)
    assert out["changed"] and out["released"]
    assert lock(tmp_path).release(token=token)["changed"] is False
    assert lock(tmp_path).acquire("run-b", ttl=60)["acquired"]


def test_force_release(tmp_path):
    lock(tmp_path).acquire("run-a", ttl=60)
    out = lock(tmp_path).release(force=True)
    assert out["changed"]
    content = json.load(open(os.path.join(str(tmp_path), "app1.lock")))
    assert content["holder"] is None and content["released"]["forced"] is True


def test_renew_with_the_token(tmp_path):
    clock = Clock()
    token = lock(tmp_path, clock).acquire("run-a", ttl=10)["token"]
    clock.now += 8
    out = lock(tmp_path, clock).acquire("run-a", ttl=10, token=token)
    assert out["token"] == token and out["holder"]["expires"] == clock.now + 10 and "renewed" in out["msg"]


def test_a_dead_holder_on_this_host_frees_the_lock(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    lock(tmp_path, pid=child.pid).acquire("run-a", ttl=600)
    out = lock(tmp_path).acquire("run-b", ttl=60)
    assert out["acquired"] and "is gone" in out["msg"]


def test_a_holder_on_another_host_is_trusted_until_its_ttl(tmp_path):
    lock(tmp_path, pid=999999999, host="ctl2").acquire("run-a", ttl=600)
    with pytest.raises(hl.LockBusy):
        lock(tmp_path).acquire("run-b", ttl=60)


def test_check_mode_writes_nothing(tmp_path):
    out = lock(tmp_path).acquire("run-a", ttl=60, check_mode=True)
    assert out["changed"] and not out["acquired"] and not os.path.exists(os.path.join(str(tmp_path), "app1.lock"))
    token = lock(tmp_path).acquire("run-a", ttl=60)["token"]
    planned = lock(tmp_path).release(token=token, check_mode=True)
    assert planned["changed"] and not planned["released"]
    assert lock(tmp_path).read()["token"] == token


@pytest.mark.parametrize("kwargs, field", [({"ttl": 0}, "ttl"), ({"ttl": 10, "wait": -1}, "wait")])
def test_bad_input(tmp_path, kwargs, field):
    with pytest.raises(StateInputError) as err:
        lock(tmp_path).acquire("x", **kwargs)
    assert err.value.details["field"] == field
    assert not os.path.exists(os.path.join(str(tmp_path), "app1.lock"))


def test_bad_hierarchy_name(tmp_path):
    with pytest.raises(StateInputError):
        hl.HierarchyLock(str(tmp_path), "../etc/passwd")


def test_threads_racing_get_one_holder(tmp_path):
    winners = []
    barrier = threading.Barrier(8)

    def take(i):
        barrier.wait()
        try:
            lock(tmp_path).acquire("run-%d" % i, ttl=60)
            winners.append(i)
        except hl.LockBusy:
            pass
    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def test_controller_pid_finds_the_outermost_ansible_process(monkeypatch):
    tree = {30: (20, ["/usr/bin/python3", "/tmp/AnsiballZ_x.py"]), 20: (10, ["/bin/sh", "-c", "x"]),
            10: (5, ["/venv/bin/python3", "/venv/bin/ansible-playbook", "site.yml"]),
            5: (4, ["/venv/bin/python3", "/venv/bin/ansible-playbook", "site.yml"]),
            4: (3, ["/venv/bin/python3", "/venv/bin/ansible-rulebook", "-r", "rules.yml"]),
            3: (2, ["/venv/bin/python3", "/venv/bin/ansible-playbook", "outer.yml"]), 2: (1, ["bash"])}
    monkeypatch.setattr(hl, "_cmdline", lambda pid: tree.get(pid, (0, []))[1])
    monkeypatch.setattr(hl, "_parent", lambda pid: tree.get(pid, (0, []))[0])
    assert hl.controller_pid(30) == 5  # the main process of the run, not what started it
    assert hl.controller_pid(2) == 2  # no Ansible above: the start itself
