# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every kit shares: states, results, the command runner.

A kit is the code for one kind of resource, with four actions: ``start``,
``stop``, ``check`` and ``recover`` (restart in place). Each is idempotent,
honours check mode (it says what it would do and does nothing) and returns a
``Result``: the typed state after the action, reasons, whether it changed
anything, and the state before and after for diff. Plain Python.

A replicated resource (``replicated: true``, docs/replication.md) runs on
every node of its hierarchy and has more actions: ``promote`` (this replica
becomes the primary), ``demote`` (the primary becomes a replica),
``catch_up`` (wait until this replica has everything its primary has),
``rejoin`` (follow the primary again: rewind) and ``rebuild`` (copy the
primary's data afresh). Its states are ``primary`` (in service), ``replica``,
``replica_lagging`` and ``replica_broken``, besides ``out_of_service``,
``failed`` and ``unknown``.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError, VigilError
import os
import shutil
import subprocess
import time

from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import KINDS, defaults

IN_SERVICE = "in_service"
OUT_OF_SERVICE = "out_of_service"
FAILED = "failed"
UNKNOWN = "unknown"
# A replicated resource's roles.
PRIMARY = "primary"  # in service here: the copy that takes writes
REPLICA = "replica"  # following the primary, may be promoted
REPLICA_LAGGING = "replica_lagging"  # following, but further behind than policy.max_lag
REPLICA_BROKEN = "replica_broken"  # runs, but does not follow the primary: must be rebuilt, never promoted
REPLICA_STATES = (REPLICA, REPLICA_LAGGING, REPLICA_BROKEN)
STATES = (IN_SERVICE, OUT_OF_SERVICE, FAILED, UNKNOWN, PRIMARY) + REPLICA_STATES
SERVING = (IN_SERVICE, PRIMARY)  # what a start brings a resource to
ACTIONS = ("start", "stop", "check", "recover")
REPLICA_ACTIONS = ("promote", "demote", "catch_up", "rejoin", "rebuild")
ALL_ACTIONS = ACTIONS + REPLICA_ACTIONS


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

    def __init__(self, name, params, check_mode=False, runner=run_command, which=shutil.which, replicated=False,
                 primary=None, clock=time.monotonic, sleep=time.sleep):
        self.name = name
        self.params = defaults(self.kind, params or {})
        self.check_mode = check_mode
        self.run = runner
        self.which = which
        self.replicated = replicated
        self.primary = primary  # rejoin, rebuild, catch_up: the node of the primary followed
        self.clock = clock
        self.sleep = sleep

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
        if result.state not in SERVING:
            lacking = self.missing()
            if lacking:
                return Result(FAILED, ["cannot start here: %s" % m for m in lacking] + result.reasons)
        return result

    def start(self):
        before = self.probe()
        if before.state in SERVING:
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
        if action not in ALL_ACTIONS:
            raise KitError("action must be one of %s, not %r" % (", ".join(ALL_ACTIONS), action))
        if action in REPLICA_ACTIONS and not self.replicated:
            raise KitError("%s: %s is for a replicated resource (replicated: true) only" % (self.name, action))
        if action in ("catch_up", "rejoin", "rebuild") and not self.primary:
            raise KitError("%s: %s needs the node of the primary to follow (primary)" % (self.name, action))
        return getattr(self, action)()

    # -- a replicated resource's actions ------------------------------------

    def promote(self):
        before = self.probe()
        if before.state == PRIMARY:
            return before
        if before.state not in (REPLICA, REPLICA_LAGGING):
            raise KitError("%s cannot be promoted here: it is %s, and only a replica is promoted" % (
                self.name, before.state))
        if self.check_mode:
            return self._would(before, PRIMARY, "would promote")
        self._promote()
        return self._after(before)

    def demote(self):
        before = self.probe()
        if before.state != PRIMARY:
            return before  # no primary here: nothing to demote
        if self.check_mode:
            return self._would(before, REPLICA, "would demote")
        self._demote()
        return self._after(before)

    def catch_up(self):
        """Wait, up to the kit's timeout, until this replica lags its primary by nothing."""
        before = self.probe()
        if before.state not in (REPLICA, REPLICA_LAGGING):
            raise KitError("%s cannot catch up with %s: it is %s here, not a replica" % (
                self.name, self.primary, before.state))
        deadline = self.clock() + self.params.get("timeout", 60)
        while True:
            position, lag = self.position()
            if lag == 0:
                return Result(before.state, ["caught up with %s at position %s" % (self.primary, position)]
                              + before.reasons, facts={"position": position, "lag": lag})
            if self.check_mode or self.clock() >= deadline:
                break
            self.sleep(1)
        if self.check_mode:
            return Result(before.state, ["would wait until it catches up with %s (lag %s)" % (self.primary, lag)],
                          changed=True, facts={"position": position, "lag": lag})
        raise KitError("%s did not catch up with %s within %ss: position %s, lag %s" % (
            self.name, self.primary, self.params.get("timeout", 60), position, lag))

    def rejoin(self):
        before = self.probe()
        if self.check_mode:
            return self._would(before, REPLICA, "would rejoin %s as a replica" % self.primary)
        self._rejoin()
        return self._after(before)

    def rebuild(self):
        before = self.probe()
        if self.check_mode:
            return self._would(before, REPLICA, "would rebuild from %s" % self.primary)
        self._rebuild()
        return self._after(before)

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

    def position(self):
        """(position, lag) of this copy: how much data it has, and how far behind its primary it is
        (None when the kit cannot tell), in the kit's units."""
        raise KitError("%s: kind %s cannot tell a replica's position" % (self.name, self.kind))

    def _promote(self):
        raise KitError("%s: kind %s cannot promote" % (self.name, self.kind))

    def _demote(self):
        raise KitError("%s: kind %s cannot demote" % (self.name, self.kind))

    def _rejoin(self):
        raise KitError("%s: kind %s cannot rejoin" % (self.name, self.kind))

    def _rebuild(self):
        raise KitError("%s: kind %s cannot rebuild" % (self.name, self.kind))

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
