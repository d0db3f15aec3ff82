# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kit ``script``: the user's own scripts, LifeKeeper style.

The contract is the exit code (see docs/kits.md):
  quick_check  0 in service, 1 out of service (cleanly stopped), other: failed
  restore      0 started; anything else: start failed
  remove       0 stopped; anything else: stop failed
  recover      0 recovered in place (optional: without it, remove then restore)
Each script gets VIGIL_HA_RESOURCE, VIGIL_HA_ACTION and VIGIL_HA_CHECK_MODE.

A replicated resource (``replicated: true``, docs/replication.md) adds:
  quick_check  0 primary, 1 out of service, 3 replica, 4 replica broken, other: failed
  promote      0 this replica is the primary now
  demote       0 this primary is a replica now (taking no writes)
  position     (optional) prints "<position> [<lag>]", integers: how much data this copy has,
               and how far behind its primary it is; needed by catch_up
  rejoin       (optional) 0 follows VIGIL_HA_PRIMARY again; 2: it cannot (diverged), rebuild it;
               without it, restore runs with VIGIL_HA_ROLE=replica
  rebuild      (optional) 0 copied afresh from VIGIL_HA_PRIMARY and following it
restore gets VIGIL_HA_ROLE (primary, or replica for a rejoin without its own script).
"""

from __future__ import annotations

import os

from .base import FAILED, IN_SERVICE, OUT_OF_SERVICE, PRIMARY, REPLICA, REPLICA_BROKEN, Kit, KitError, Result


# quick_check's exit codes of a replicated resource
REPLICATED_CHECK = {0: PRIMARY, 1: OUT_OF_SERVICE, 3: REPLICA, 4: REPLICA_BROKEN}
CANNOT_REWIND = 2  # rejoin's exit code: the copy diverged, only a rebuild brings it back


class ScriptKit(Kit):
    kind = "script"

    def path(self, which):
        # $VARS of the node expand, as in the service kit, so one hierarchy can name per-node scripts.
        return os.path.expandvars(self.params[which])

    def needs(self):
        names = ("quick_check", "restore", "remove", "recover")
        if self.replicated:
            names += ("promote", "demote", "position", "rejoin", "rebuild")
        return [self.path(k) for k in names if self.params.get(k)]

    def _script(self, which, action, role=None, output=False):
        path = self.path(which)
        env = dict(os.environ, VIGIL_HA_RESOURCE=self.name, VIGIL_HA_ACTION=action, VIGIL_HA_CHECK_MODE="0")
        if self.primary:
            env["VIGIL_HA_PRIMARY"] = self.primary
        if role:
            env["VIGIL_HA_ROLE"] = role
        rc, out, err = self.run([path], timeout=self.params["timeout"], env=env)
        if output:
            return rc, out, err.strip()
        return rc, (err or out).strip()

    def probe(self):
        rc, text = self._script("quick_check", "check")
        if self.replicated:
            return self._replicated_probe(rc, text)
        if rc == 0:
            return Result(IN_SERVICE, [text or "quick_check: in service"])
        if rc == 1:
            return Result(OUT_OF_SERVICE, [text or "quick_check: out of service"])
        return Result(FAILED, ["quick_check exited %s%s" % (rc, ": " + text if text else "")])

    def _replicated_probe(self, rc, text):
        state = REPLICATED_CHECK.get(rc)
        if state is None:
            return Result(FAILED, ["quick_check exited %s%s" % (rc, ": " + text if text else "")])
        facts = {}
        if state != OUT_OF_SERVICE and self.params.get("position"):
            try:
                facts["position"], facts["lag"] = self.position()
            except KitError as exc:
                return Result(state, [text or "quick_check: %s" % state, str(exc)])
        return Result(state, [text or "quick_check: %s" % state], facts=facts)

    def position(self):
        if not self.params.get("position"):
            raise KitError("%s: no position script: the replica's position cannot be told" % self.name)
        rc, out, err = self._script("position", "position", output=True)
        words = out.split()
        if rc != 0 or not 1 <= len(words) <= 2 or not all(w.isdigit() for w in words):
            raise KitError("position script %s exited %s and printed %r: it must exit 0 and print "
                           "'<position> [<lag>]', integers%s" % (self.path("position"), rc, out.strip()[:80],
                                                                 ": " + err if err else ""))
        return int(words[0]), (int(words[1]) if len(words) == 2 else None)

    def _must(self, which, action, role=None):
        rc, text = self._script(which, action, role)
        if rc != 0:
            raise KitError("%s script %s exited %s%s" % (which, self.path(which), rc, ": " + text if text else ""))

    def _start(self):
        self._must("restore", "start", PRIMARY if self.replicated else None)

    def _promote(self):
        self._must("promote", "promote")

    def _demote(self):
        self._must("demote", "demote")

    def _rejoin(self):
        if not self.params.get("rejoin"):
            self._must("restore", "rejoin", REPLICA)
            return
        rc, text = self._script("rejoin", "rejoin")
        if rc == CANNOT_REWIND and self.params.get("rebuild"):
            self._rebuild()  # diverged (a failed primary's last writes): copy it afresh
        elif rc != 0:
            raise KitError("rejoin script %s exited %s%s" % (self.path("rejoin"), rc, ": " + text if text else ""))

    def _rebuild(self):
        if not self.params.get("rebuild"):
            raise KitError("%s: no rebuild script: a broken replica must be rebuilt by hand" % self.name)
        self._must("rebuild", "rebuild")

    def _stop(self):
        self._must("remove", "stop")

    def _recover(self):
        if self.params["recover"]:
            self._must("recover", "recover")
        else:
            Kit._recover(self)
