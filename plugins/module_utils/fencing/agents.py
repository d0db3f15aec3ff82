# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fencing through the ClusterLabs fence agents (plain Python).

The agents (``fence_ipmilan``, ``fence_redfish``, ``fence_ilo4``, ... from
the ``fence-agents`` package) are run as Pacemaker runs them: the options
as ``name=value`` lines on standard input, never on the command line, then
``action=off`` and ``action=status`` until the agent reports the machine
off (exit code 2), within a bounded time. Exit codes (the fence agent API):
0 success (``status``: on), 1 error, 2 ``status``: off.

The password goes on standard input too, except for the agents built on
``ipmitool`` (fence_ipmilan and its copies fence_idrac, fence_ilo3/4/5,
fence_imm, ...): those pass it to ``ipmitool -P``, which ``ps`` shows. For
them the password travels in the environment (``IPMI_PASSWORD``) and the
agent is given an ``ipmitool_path`` wrapper that turns ``-P ...`` into
``-E`` (ipmitool reads the environment variable), so no command line ever
holds it.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

AGENT_RE = re.compile(r"^fence_[a-z0-9_]+$")
OPTION_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Options the agent gets from vigil.ha itself, or that hold a secret and
# belong in ``password``.
RESERVED_OPTIONS = ("action", "password", "passwd", "password_script", "passwd_script", "ipmitool_path")
AGENT_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
STATUS_ON, STATUS_ERROR, STATUS_OFF = 0, 1, 2
DEFAULT_TIMEOUT = 30
MAX_TIMEOUT = 300
IPMITOOL_WRAPPER = """#!/bin/sh
# ipmitool without the password on its command line: -P <x> becomes -E
# (ipmitool then reads IPMI_PASSWORD from the environment). Written by vigil.ha.
skip=0
for a; do
  shift
  if [ "$skip" = 1 ]; then skip=0; continue; fi
  if [ "$a" = "-P" ]; then set -- "$@" -E; skip=1; else set -- "$@" "$a"; fi
done
exec %s "$@"
"""


class AgentError(VigilError, kind="agent"):
    """The agent did not confirm the machine off; ``seen`` says what it reported."""

    def __init__(self, message, seen=None):
        super(AgentError, self).__init__(message)
        self.seen = seen


def find_agent(agent, dirs=AGENT_DIRS):
    """The path of ``agent``, or None when it is not installed."""
    if not AGENT_RE.match(agent or ""):
        return None
    for d in dirs:
        path = os.path.join(d, agent)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which(agent)


def installed_agents(dirs=AGENT_DIRS):
    """Names of the fence agents installed here."""
    names = set()
    for d in dirs:
        try:
            names.update(n for n in os.listdir(d) if AGENT_RE.match(n))
        except OSError:
            continue
    return sorted(names)


def uses_ipmitool(path):
    """Whether the agent at ``path`` is fence_ipmilan or one of its copies (it runs ipmitool)."""
    try:
        with open(path, "rb") as f:
            return b"ipmitool_path" in f.read(200000)
    except OSError:
        return False


def _redact(text, secret):
    return text.replace(secret, "********") if secret else text


class AgentRunner(object):
    """Runs one agent for one machine: ``off``, then ``status`` until off."""

    def __init__(self, agent, options, password=None, timeout=DEFAULT_TIMEOUT, path=None, clock=time.monotonic,
                 sleep=time.sleep, poll=1.0, popen=subprocess.run):
        self.agent = agent
        self.options = dict(options or {})
        self.password = password
        self.timeout = timeout
        self.path = path or find_agent(agent)
        self.clock = clock
        self.sleep = sleep
        self.poll = poll
        self.popen = popen
        self._ipmitool = None  # whether the agent runs ipmitool: read once, not at every poll
        self._tmp = None  # the ipmitool wrapper's directory, once written

    def _wrapper(self):
        """The ipmitool wrapper's path, written once for this runner (``close`` removes it)."""
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="vigil-ha-fence-")
            with open(os.path.join(self._tmp, "ipmitool"), "w") as f:
                f.write(IPMITOOL_WRAPPER % (shutil.which("ipmitool") or "ipmitool"))
            os.chmod(os.path.join(self._tmp, "ipmitool"), stat.S_IRWXU)
        return os.path.join(self._tmp, "ipmitool")

    def close(self):
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _call(self, action, budget):
        """``(exit code, output)`` of one agent call, bounded by ``budget`` seconds."""
        lines = ["action=%s" % action] + ["%s=%s" % (k, v) for k, v in sorted(self.options.items())]
        env = dict(os.environ)
        if self._ipmitool is None:
            self._ipmitool = uses_ipmitool(self.path)
        if self.password and self._ipmitool:
            lines.append("ipmitool_path=%s" % self._wrapper())
            env["IPMI_PASSWORD"] = self.password
        elif self.password:
            lines.append("password=%s" % self.password)
        try:
            proc = self.popen([self.path], input="\n".join(lines) + "\n", capture_output=True, text=True,
                              env=env, timeout=max(1, budget), check=False)
        except subprocess.TimeoutExpired:
            return None, "%s %s did not answer within %ss" % (self.agent, action, max(1, int(budget)))
        out = " ".join(((proc.stdout or "") + " " + (proc.stderr or "")).split())
        return proc.returncode, _redact(out, self.password)[-400:]

    def status(self, budget=None):
        """``on``, ``off``, or raise AgentError."""
        if not self.path:
            raise AgentError("fence agent %s is not installed on the controller (package fence-agents)" % self.agent)
        rc, out = self._call("status", self.timeout if budget is None else budget)
        if rc == STATUS_OFF:
            return "off"
        if rc == STATUS_ON:
            return "on"
        raise AgentError("%s status failed: %s" % (self.agent, out or "exit code %s" % rc))

    def off(self, check_mode=False):
        """Power the machine off and confirm it; a dict saying what was done, or raise AgentError."""
        try:
            return self._off(check_mode)
        finally:
            self.close()

    def _off(self, check_mode):
        before = self.status()
        if before == "off":
            return {"changed": False, "power_state": "off", "msg": "%s reports it already off" % self.agent}
        if check_mode:
            return {"changed": True, "power_state": "on", "msg": "would power it off with %s" % self.agent}
        deadline = self.clock() + self.timeout
        rc, out = self._call("off", deadline - self.clock())
        seen = None
        while True:
            # The off action may fail and the machine go off all the same: status decides.
            try:
                seen = self.status(deadline - self.clock())
            except AgentError as exc:
                seen = exc.message
            if seen == "off":
                return {"changed": True, "power_state": "off",
                        "msg": "powered off with %s and confirmed off by its status" % self.agent}
            if self.clock() >= deadline:
                break
            self.sleep(self.poll)
        raise AgentError("%s off did not confirm the machine off within %ss (off: %s; status: %s)"
                         % (self.agent, self.timeout, out or "exit code %s" % rc, seen), seen=seen)
