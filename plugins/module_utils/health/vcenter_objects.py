# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VMs and hosts a WaitForUpdatesEx watch has shown, kept up to date.

Plain Python. Batches are what ``VsphereClient.watch`` yields. The first
batch of a watch is the whole state: ``replace`` starts over from it (after a
reconnect, objects that vanished meanwhile are gone), ``apply`` folds in the
changes of later batches. Verdicts come from the shared rules of health/verdicts.py.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.health import verdicts as health

WATCHED = {"VirtualMachine": list(health.VM_PROPERTIES), "HostSystem": list(health.HOST_PROPERTIES)}


class VcenterObjects(object):
    def __init__(self):
        self.objects = {}  # moref -> {"type": ..., "props": {...}}

    def replace(self, batch):
        """Start over from a full batch (the first of a watch)."""
        self.objects = {}
        self.apply(batch)

    def apply(self, batch):
        for change in batch:
            if change["kind"] == "leave":
                self.objects.pop(change["moref"], None)
                continue
            obj = self.objects.setdefault(change["moref"], {"type": change["type"], "props": {}})
            obj["props"].update(change["changes"])

    def _of_type(self, kind):
        return ((m, o["props"]) for m, o in self.objects.items() if o["type"] == kind)

    def find_vm(self, uuid=None, moref=None):
        """A VM's MoRef by BIOS UUID (any case) or MoRef, or None."""
        if moref and self.objects.get(moref, {}).get("type") == "VirtualMachine":
            return moref
        if uuid:
            uuid = uuid.lower()
            for m, props in self._of_type("VirtualMachine"):
                if (props.get("config.uuid") or "").lower() == uuid:
                    return m
        return None

    def find_host(self, name):
        for m, props in self._of_type("HostSystem"):
            if props.get("name") == name:
                return m
        return None

    def props(self, moref):
        return (self.objects.get(moref) or {}).get("props") or {}

    def name(self, moref):
        return self.props(moref).get("name") or moref

    def host_of(self, vm_moref):
        return self.props(vm_moref).get("runtime.host")

    def host_verdict(self, moref):
        if moref not in self.objects:
            return health.Verdict(health.UNKNOWN, ["host not found in vCenter"])
        return health.host_verdict(self.props(moref))

    def vm_verdict(self, moref):
        if moref not in self.objects:
            return health.Verdict(health.UNKNOWN, ["VM not found in vCenter"])
        host = self.host_of(moref)
        context = (self.name(host), self.host_verdict(host)) if host in self.objects else None
        return health.vm_verdict(self.props(moref), context)

    def in_maintenance(self, host_moref):
        return bool(self.props(host_moref).get("runtime.inMaintenanceMode"))

    def connected(self, moref):
        return self.props(moref).get("runtime.connectionState") == "connected"
