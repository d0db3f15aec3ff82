# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kit ``filesystem``: a file system mounted where the application wants it."""

from __future__ import annotations

import os
import tempfile

from .base import FAILED, IN_SERVICE, OUT_OF_SERVICE, Kit, Result


class FilesystemKit(Kit):
    kind = "filesystem"
    commands = ("mount", "umount")

    def _mounted(self):
        mountpoint = os.path.realpath(self.params["mountpoint"])
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 3 and fields[1].replace("\\040", " ") == mountpoint:
                    return fields
        return None

    def probe(self):
        mnt = self._mounted()
        where = self.params["mountpoint"]
        if mnt is None:
            return Result(OUT_OF_SERVICE, ["nothing mounted on %s" % where])
        if os.path.realpath(mnt[0]) != os.path.realpath(self.params["device"]) and mnt[0] != self.params["device"]:
            return Result(FAILED, ["%s holds %s, not %s" % (where, mnt[0], self.params["device"])])
        try:
            with tempfile.NamedTemporaryFile(dir=where, prefix=".vigil-ha-check-"):
                pass
        except OSError as exc:
            return Result(FAILED, ["%s is mounted but not writable: %s" % (where, exc.strerror)])
        return Result(IN_SERVICE, ["%s mounted on %s, writable" % (self.params["device"], where)])

    def _start(self):
        os.makedirs(self.params["mountpoint"], exist_ok=True)
        self.sh(["mount", "-t", self.params["fstype"], "-o", self.params["options"],
                 self.params["device"], self.params["mountpoint"]], timeout=120)

    def _stop(self):
        self.sh(["umount", self.params["mountpoint"]], timeout=120)
