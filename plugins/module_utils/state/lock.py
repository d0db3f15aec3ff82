# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A per-hierarchy lock on the controller, held across the tasks of a run (plain Python).

A module's process ends with its task, so the lock cannot be a held
``flock``. It is a small JSON file ``<dir>/<hierarchy>.lock`` naming its
holder: a random token (given back to release), the owner string, the pid
of the ``ansible-playbook`` (or ``ansible``) process that runs the play, the
host, and an expiry (TTL). Every read-decide-write of that file happens
under an exclusive ``flock`` on it, so two runs can never both acquire.

A lock is free when its file holds no holder, when its TTL passed, or when
its holder's controller process is gone on this machine (a run that was
killed does not keep the hierarchy locked until the TTL). The file itself
is never deleted, so the flock always guards the same inode.

This lock only covers runs on one controller; across controllers, the
generation kept in vCenter (state/store.py) refuses the second writer.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
import errno
import fcntl
import json
import os
import socket
import time
import uuid

from ansible_collections.vigil.ha.plugins.module_utils.state.ledger import DEFAULT_DIR, ensure_dir
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateInputError, check_hierarchy

CONTROLLER_NAMES = ("ansible-playbook", "ansible")
MAX_TTL = 86400
MAX_WAIT = 3600


class LockBusy(VigilError, kind="busy"):
    """Another run holds the lock; ``holder`` is its record (not in the failure: it holds the token)."""

    def __init__(self, message, holder):
        super(LockBusy, self).__init__(message)
        self.holder = holder


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
    except OSError:
        return []


def _parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def controller_pid(start=None):
    """The pid of the run: the main ``ansible-playbook`` (or ``ansible``) process above this one.

    Walking up from the module: a shell, the worker process forked for the
    task, then the main process; the topmost of that chain is the run. What
    started the run (ansible-runner, ansible-rulebook, ansible-test, a shell)
    outlives it and is not the run. Without such a chain: the parent's pid.
    """
    pid = start or os.getppid()
    found = None
    for dummy in range(64):
        if pid <= 1:
            break
        if any(os.path.basename(a) in CONTROLLER_NAMES for a in _cmdline(pid)[:2]):
            found = pid
        elif found:
            break
        pid = _parent(pid)
    return found or start or os.getppid()


def pid_alive(pid):
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


def lock_path(directory, hierarchy):
    check_hierarchy(hierarchy)
    return os.path.join(os.path.expanduser(directory or DEFAULT_DIR), "%s.lock" % hierarchy)


class HierarchyLock(object):
    def __init__(self, directory, hierarchy, clock=time.time, sleep=time.sleep, host=None, pid=None):
        self.hierarchy = hierarchy
        self.path = lock_path(directory, hierarchy)
        self.clock = clock
        self.sleep = sleep
        self.host = host or socket.gethostname()
        self.pid = pid or controller_pid()

    # -- the file, under flock -----------------------------------------------

    def _locked(self, func, write):
        if write:
            ensure_dir(self.path)
        flags = os.O_RDWR | os.O_CREAT if write else os.O_RDONLY
        try:
            fd = os.open(self.path, flags, 0o600)
        except FileNotFoundError:
            return func(None, None)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
            with os.fdopen(os.dup(fd), "r", encoding="utf-8") as handle:
                text = handle.read()
            try:
                current = json.loads(text) if text.strip() else {}
            except ValueError:
                current = {}  # a torn or foreign file holds no valid holder
            return func(current, fd)
        finally:
            os.close(fd)  # closing drops the flock

    @staticmethod
    def _write(fd, content):
        data = (json.dumps(content, sort_keys=True, indent=1) + "\n").encode("utf-8")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)

    def holder(self, current):
        """The live holder in the file's content, or None when the lock is free (and why in ``free_reason``)."""
        holder = (current or {}).get("holder")
        if not isinstance(holder, dict) or not holder.get("token"):
            return None
        if holder.get("expires", 0) <= self.clock():
            return None
        if holder.get("host") == self.host and not pid_alive(holder.get("pid")):
            return None
        return holder

    def _free_reason(self, current):
        holder = (current or {}).get("holder")
        if not isinstance(holder, dict) or not holder.get("token"):
            return "free"
        if holder.get("expires", 0) <= self.clock():
            return "expired holder %s" % holder.get("owner")
        return "holder %s (pid %s) is gone" % (holder.get("owner"), holder.get("pid"))

    # -- operations ------------------------------------------------------------

    def read(self):
        return self._locked(lambda current, fd: self.holder(current), write=False)

    def acquire(self, owner, ttl, wait=0, token=None, check_mode=False):
        """Take the lock (or renew it with its ``token``); wait up to ``wait`` seconds for a busy lock.

        Returns ``{"changed", "acquired", "token", "holder", "before", "msg"}``; raises LockBusy.
        """
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= MAX_TTL:
            raise StateInputError("ttl: must be 1 to %d seconds, not %r" % (MAX_TTL, ttl), field="ttl")
        if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= MAX_WAIT:
            raise StateInputError("wait: must be 0 to %d seconds, not %r" % (MAX_WAIT, wait), field="wait")
        deadline = self.clock() + wait
        while True:
            try:
                return self._locked(lambda current, fd: self._try(current, fd, owner, ttl, token, check_mode),
                                    write=not check_mode)
            except LockBusy:
                if self.clock() >= deadline:
                    raise
                self.sleep(min(0.2, max(0.01, deadline - self.clock())))

    def _try(self, current, fd, owner, ttl, token, check_mode):
        holder = self.holder(current)
        now = self.clock()
        if holder and not (token and holder["token"] == token):
            raise LockBusy("hierarchy %s is locked by %s (pid %s on %s) until %s; %s"
                           % (self.hierarchy, holder.get("owner"), holder.get("pid"), holder.get("host"),
                              _iso(holder.get("expires")), self.path), holder)
        renew = bool(holder)
        new = {
            "token": holder["token"] if renew else (token or uuid.uuid4().hex),
            "owner": owner or "%s:%s" % (self.host, self.pid),
            "pid": self.pid,
            "host": self.host,
            "acquired": holder["acquired"] if renew else now,
            "expires": now + ttl,
        }
        verb = "renewed" if renew else "acquired"
        msg = "%s lock of hierarchy %s (%s) until %s" % (verb, self.hierarchy, self._free_reason(current)
                                                         if not renew else "held", _iso(new["expires"]))
        if check_mode:
            return {"changed": True, "acquired": False, "token": None, "holder": holder, "would": new,
                    "msg": "would have " + msg}
        self._write(fd, {"hierarchy": self.hierarchy, "holder": new})
        return {"changed": True, "acquired": True, "token": new["token"], "holder": new, "before": holder,
                "msg": msg}

    def release(self, token=None, force=False, check_mode=False):
        """Give the lock up; the token must match unless ``force``. Releasing a free lock changes nothing."""
        def rel(current, fd):
            holder = self.holder(current)
            if holder is None:
                return {"changed": False, "released": True, "holder": None,
                        "msg": "hierarchy %s is not locked" % self.hierarchy}
            if not force and holder["token"] != token:
                raise LockBusy("hierarchy %s is locked by %s (pid %s on %s), not by the token given; nothing released"
                               % (self.hierarchy, holder.get("owner"), holder.get("pid"), holder.get("host")), holder)
            if check_mode:
                return {"changed": True, "released": False, "holder": holder,
                        "msg": "would release the lock of hierarchy %s held by %s" % (self.hierarchy, holder["owner"])}
            self._write(fd, {"hierarchy": self.hierarchy, "holder": None,
                             "released": {"time": self.clock(), "by": "%s:%s" % (self.host, self.pid),
                                          "owner": holder.get("owner"), "forced": bool(force and holder["token"] != token)}})
            return {"changed": True, "released": True, "holder": None, "before": holder,
                    "msg": "released the lock of hierarchy %s held by %s" % (self.hierarchy, holder["owner"])}
        return self._locked(rel, write=not check_mode)


def _iso(epoch):
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))
    except (TypeError, ValueError):
        return "?"
