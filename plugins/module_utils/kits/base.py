# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every kit shares: states, results, the command runner.

A kit is the code for one kind of resource, with four actions: ``start``,
``stop``, ``check`` and ``recover`` (restart in place). Each is idempotent,
honours check mode (it says what it would do and does nothing) and returns a
``Result``: the typed state after the action, reasons, whether it changed
anything, and the state before and after for diff. Plain Python.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError, VigilError
import os
import shutil
import subprocess

from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import KINDS, defaults

IN_SERVICE = "in_service"
OUT_OF_SERVICE = "out_of_service"
FAILED = "failed"
UNKNOWN = "unknown"
STATES = (IN_SERVICE, OUT_OF_SERVICE, FAILED, UNKNOWN)
ACTIONS = ("start", "stop", "check", "recover")


class KitError(VigilError, kind="kit"):
    """A kit could not do what was asked; the message says why."""


class Result(object):
    __slots__ = ("state", "reasons", "changed", "before", "after", "facts")

    def __init__(self, state, reasons=None, changed=False, before=None, after=None, facts=None):
        if state not in STATES:
            raise InputError("state must be one of %s, not %r" % (", ".join(STATES), state))
        self.state = state
        self.reasons = list(reasons or [])
        self.changed = changed
        self.before = before
        self.after = after
        self.facts = facts or {}

    def to_dict(self):
        out = {"state": self.state, "reasons": self.reasons, "changed": self.changed}
        if self.facts:
            out["facts"] = self.facts
        if self.before is not None or self.after is not None:
            out["diff"] = {"before": self.before or {}, "after": self.after or {}}
        return out

    def __repr__(self):
        return "Result(%r, %r, changed=%r)" % (self.state, self.reasons, self.changed)


def run_command(argv, timeout=30, env=None, input_data=None, background=False):
    """Run a command without a shell; return (rc, stdout, stderr). With
    ``background`` it is only started, detached from the module (its own
    session, no inherited output), so that it may outlive the module's run:
    (0, "", "") once started."""
    if background:
        try:
            subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                             stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError as exc:
            return 127, "", "%s: %s" % (argv[0], exc)
        return 0, "", ""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              input=input_data, check=False)
    except FileNotFoundError:
        return 127, "", "%s: command not found" % argv[0]
    except subprocess.TimeoutExpired:
        return 124, "", "%s: timed out after %ss" % (argv[0], timeout)
    return proc.returncode, proc.stdout, proc.stderr


class Kit(object):
    """Base of the node kits. Subclasses set ``kind`` and implement
    ``probe()`` (the current state, no side effects), ``_start()`` and
    ``_stop()``; ``_recover()`` defaults to stop then start."""

    kind = None
    # Commands the kit runs on the node (see missing()).
    commands = ()

    def __init__(self, name, params, check_mode=False, runner=run_command, which=shutil.which):
        self.name = name
        self.params = defaults(self.kind, params or {})
        self.check_mode = check_mode
        self.run = runner
        self.which = which

    def sh(self, argv, timeout=30, **kwargs):
        """Run a command that must succeed, or raise KitError with its output."""
        rc, out, err = self.run(argv, timeout=timeout, **kwargs)
        if rc != 0:
            raise KitError("%s: %s (rc=%s)" % (" ".join(argv), (err or out).strip() or "failed", rc))
        return out

    # -- what the node must have ---------------------------------------------

    def needs(self):
        """The executables this resource needs on the node."""
        return list(self.commands)

    def missing(self):
        """What this node lacks to run the resource ([] when the kit is ready)."""
        out = []
        for need in dict.fromkeys(self.needs()):  # each once, in order
            if os.path.isabs(need):
                if not (os.path.isfile(need) and os.access(need, os.X_OK)):
                    out.append("%s is not an executable file" % need)
            elif not self.which(need):
                out.append("%s is not installed (not on PATH)" % need)
        return out

    # -- the four actions ----------------------------------------------------

    def check(self):
        """The state; a resource that is not in service and could not be
        started here (its kit is not ready) is failed on this node."""
        result = self.probe()
        if result.state != IN_SERVICE:
            lacking = self.missing()
            if lacking:
                return Result(FAILED, ["cannot start here: %s" % m for m in lacking] + result.reasons)
        return result

    def start(self):
        before = self.probe()
        if before.state == IN_SERVICE:
            return before
        lacking = self.missing()
        if lacking:
            raise KitError("%s cannot start here: %s" % (self.name, "; ".join(lacking)))
        if self.check_mode:
            return self._would(before, IN_SERVICE, "would start")
        self._start()
        return self._after(before)

    def stop(self):
        before = self.probe()
        if before.state == OUT_OF_SERVICE:
            return before
        if self.check_mode:
            return self._would(before, OUT_OF_SERVICE, "would stop")
        self._stop()
        return self._after(before)

    def recover(self):
        before = self.probe()
        if self.check_mode:
            return self._would(before, IN_SERVICE, "would recover (restart in place)")
        self._recover()
        return self._after(before)

    def act(self, action):
        if action not in ACTIONS:
            raise KitError("action must be one of %s, not %r" % (", ".join(ACTIONS), action))
        return getattr(self, action)()

    # -- for subclasses ------------------------------------------------------

    def probe(self):
        raise NotImplementedError

    def _start(self):
        raise NotImplementedError

    def _stop(self):
        raise NotImplementedError

    def _recover(self):
        self._stop()
        self._start()

    def _would(self, before, state, reason):
        return Result(before.state, [reason] + before.reasons, changed=True,
                      before=self.describe(before.state), after=self.describe(state))

    def _after(self, before):
        after = self.probe()
        return Result(after.state, after.reasons, changed=True, before=self.describe(before.state),
                      after=self.describe(after.state), facts=after.facts)

    def describe(self, state):
        """What diff shows: the resource, its parameters and a state."""
        return {"resource": self.name, "kind": self.kind, "state": state}


def kind_params(kind):
    return KINDS[kind]["params"]
