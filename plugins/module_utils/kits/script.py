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
"""

from __future__ import annotations

import os

from .base import FAILED, IN_SERVICE, OUT_OF_SERVICE, Kit, KitError, Result


class ScriptKit(Kit):
    kind = "script"

    def path(self, which):
        # $VARS of the node expand, as in the service kit, so one hierarchy can name per-node scripts.
        return os.path.expandvars(self.params[which])

    def needs(self):
        return [self.path(k) for k in ("quick_check", "restore", "remove", "recover") if self.params.get(k)]

    def _script(self, which, action):
        path = self.path(which)
        env = dict(os.environ, VIGIL_HA_RESOURCE=self.name, VIGIL_HA_ACTION=action, VIGIL_HA_CHECK_MODE="0")
        rc, out, err = self.run([path], timeout=self.params["timeout"], env=env)
        return rc, (err or out).strip()

    def probe(self):
        rc, text = self._script("quick_check", "check")
        if rc == 0:
            return Result(IN_SERVICE, [text or "quick_check: in service"])
        if rc == 1:
            return Result(OUT_OF_SERVICE, [text or "quick_check: out of service"])
        return Result(FAILED, ["quick_check exited %s%s" % (rc, ": " + text if text else "")])

    def _must(self, which, action):
        rc, text = self._script(which, action)
        if rc != 0:
            raise KitError("%s script %s exited %s%s" % (which, self.path(which), rc, ": " + text if text else ""))

    def _start(self):
        self._must("restore", "start")

    def _stop(self):
        self._must("remove", "stop")

    def _recover(self):
        if self.params["recover"]:
            self._must("recover", "recover")
        else:
            Kit._recover(self)
