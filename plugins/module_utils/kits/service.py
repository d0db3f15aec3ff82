# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kit ``service``: a systemd unit, or a supervised command with a pid file
on machines without systemd."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time

from .base import FAILED, IN_SERVICE, OUT_OF_SERVICE, UNKNOWN, Kit, KitError, Result


class ServiceKit(Kit):
    kind = "service"

    def needs(self):
        if self.params["unit"]:
            return ["systemctl"]
        # The program the command runs; its arguments may name node paths ($VARS).
        words = shlex.split(os.path.expandvars(self.params["command"]))
        return words[:1]

    def probe(self):
        if self.params["unit"]:
            return self._probe_unit()
        return self._probe_command()

    def _start(self):
        if self.params["unit"]:
            self.sh(["systemctl", "start", self.params["unit"]], timeout=self.params["stop_timeout"] + 30)
        else:
            self._spawn()

    def _stop(self):
        if self.params["unit"]:
            self.sh(["systemctl", "stop", self.params["unit"]], timeout=self.params["stop_timeout"] + 30)
        else:
            self._terminate()

    # -- systemd -------------------------------------------------------------

    def _probe_unit(self):
        unit = self.params["unit"]
        rc, out, err = self.run(["systemctl", "is-active", unit])
        state = out.strip()
        if state == "active":
            return Result(IN_SERVICE, ["%s active" % unit])
        if state in ("inactive", "deactivating"):
            return Result(OUT_OF_SERVICE, ["%s %s" % (unit, state)])
        if state == "failed":
            return Result(FAILED, ["%s failed" % unit])
        return Result(UNKNOWN, ["%s: %s" % (unit, (state or err).strip() or "no answer from systemd")])

    # -- supervised command --------------------------------------------------

    @property
    def pidfile(self):
        # $VARS of the node expand, so one hierarchy can name per-node paths.
        return os.path.expandvars(self.params["pidfile"] or "/run/vigil-ha/%s.pid" % self.name)

    def _pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    @staticmethod
    def _alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # A zombie is dead for our purpose.
        try:
            with open("/proc/%d/stat" % pid) as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except OSError:
            return True

    def _probe_command(self):
        pid = self._pid()
        if pid is None:
            return Result(OUT_OF_SERVICE, ["not running (no pid file %s)" % self.pidfile])
        if self._alive(pid):
            return Result(IN_SERVICE, ["running as pid %d" % pid], facts={"pid": pid})
        return Result(FAILED, ["pid %d from %s is gone" % (pid, self.pidfile)])

    def _spawn(self):
        os.makedirs(os.path.dirname(self.pidfile), exist_ok=True)
        log = os.path.splitext(self.pidfile)[0] + ".log"
        with open(log, "ab") as out, open(os.devnull, "rb") as devnull:
            # A session of its own: the process outlives the module and its SSH session.
            proc = subprocess.Popen(["/bin/sh", "-c", "exec " + self.params["command"]], cwd=os.path.expandvars(self.params["workdir"]),
                                    stdin=devnull, stdout=out, stderr=out, start_new_session=True, close_fds=True)
        with open(self.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % proc.pid)
        os.replace(self.pidfile + ".tmp", self.pidfile)
        time.sleep(0.5)
        if proc.poll() is not None:
            raise KitError("%s exited at once with %s; see %s" % (self.params["command"], proc.returncode, log))

    def _terminate(self):
        pid = self._pid()
        if pid is not None and self._alive(pid):
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + self.params["stop_timeout"]
            while self._alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if self._alive(pid):
                os.killpg(pid, signal.SIGKILL)
        try:
            os.remove(self.pidfile)
        except FileNotFoundError:
            pass
