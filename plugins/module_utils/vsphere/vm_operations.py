# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VM and host operations of the vSphere client (pyVmomi stays here).

Everything takes and returns MoRef strings and plain values, so the kits
above it never see a pyVmomi object.
"""

from __future__ import annotations

import time

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import _plain

try:
    from pyVmomi import vim, vmodl
except ImportError:  # pragma: no cover - the module base reports a missing pyVmomi
    pass
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereApiError, VsphereNotFoundError, VsphereTimeoutError

VM_STATE_PROPERTIES = (
    "name", "config.uuid", "config.instanceUuid", "config.files.vmPathName", "runtime.powerState",
    "runtime.connectionState", "runtime.host", "guest.toolsRunningStatus", "guestHeartbeatStatus",
    "overallStatus", "parent", "resourcePool",
)


class VmOperations(object):
    """VM operations over one ``VsphereClient`` session."""

    def __init__(self, client):
        self.client = client

    def _ref(self, kind, moref):
        return getattr(vim, kind)(moref, self.client.si._stub)

    def read(self, kind, morefs, paths):
        """Properties of the given objects, in one RetrievePropertiesEx."""
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=self._ref(kind, m)) for m in morefs],
            propSet=[pc.PropertySpec(type=getattr(vim, kind), pathSet=list(paths))])
        collector = self.client.content.propertyCollector
        result = self.client._call("read %s" % kind, collector.RetrievePropertiesEx, [spec], pc.RetrieveOptions())
        out = {}
        for obj in (result.objects if result else None) or []:
            out[obj.obj._moId] = dict((p.name, _plain(p.val)) for p in obj.propSet or [])
        return out

    def find_vm(self, uuid=None, moref=None):
        """MoRef of the one VM with this BIOS/instance UUID or MoRef."""
        if moref:
            try:
                if self.read("VirtualMachine", [moref], ["name"]):
                    return moref
            except VsphereApiError:
                pass  # ManagedObjectNotFound: said below
            raise VsphereNotFoundError("no VM with MoRef %s" % moref, field="moref")
        index = self.client.content.searchIndex
        refs = []
        for instance in (False, True):
            try:
                refs += self.client._call("find VM by UUID", index.FindAllByUuid, None, uuid, True, instance) or []
            except VsphereApiError:
                # Older APIs (and the lab's simulator) have only FindByUuid, which cannot see duplicates.
                found = self.client._call("find VM by UUID", index.FindByUuid, None, uuid, True, instance)
                refs += [found] if found else []
        morefs = sorted(set(r._moId for r in refs))
        if not morefs:
            raise VsphereNotFoundError("no VM with UUID %s" % uuid, field="uuid")
        if len(morefs) > 1:
            raise VsphereNotFoundError("UUID %s is ambiguous: VMs %s" % (uuid, ", ".join(morefs)), field="uuid")
        return morefs[0]

    def vm_state(self, moref):
        props = self.read("VirtualMachine", [moref], VM_STATE_PROPERTIES).get(moref)
        if props is None:
            raise VsphereNotFoundError("VM %s is gone" % moref, field="moref")
        return props

    def hosts(self):
        """Every host with name, connection, maintenance, and its compute resource's pool."""
        objs = self.client.retrieve({
            "HostSystem": ["name", "parent", "runtime.connectionState", "runtime.inMaintenanceMode",
                           "runtime.powerState"],
            "ComputeResource": ["name", "resourcePool"],
            "ClusterComputeResource": ["name", "resourcePool"],
        })
        out = {}
        for moref, obj in objs.items():
            if obj["type"] != "HostSystem":
                continue
            p = obj["props"]
            parent = objs.get(p.get("parent"), {}).get("props", {})
            out[p["name"]] = dict(p, moref=moref, pool=parent.get("resourcePool"))
        return out

    def vm_folder(self, moref):
        return self.vm_state(moref)["parent"]

    # -- tasks -----------------------------------------------------------

    def _task(self, what, method, timeout, *args, **kwargs):
        task = self.client._call(what, method, *args, **kwargs)
        return self.client.wait_for_task(task, timeout)

    def power_on(self, moref, host=None, timeout=120):
        vm = self._ref("VirtualMachine", moref)
        host_ref = self._ref("HostSystem", host) if host else None
        return self._task("power on %s" % moref, vm.PowerOnVM_Task, timeout, host_ref)

    def power_off(self, moref, timeout=120):
        return self._task("power off %s" % moref, self._ref("VirtualMachine", moref).PowerOffVM_Task, timeout)

    def reset(self, moref, timeout=120):
        return self._task("reset %s" % moref, self._ref("VirtualMachine", moref).ResetVM_Task, timeout)

    def relocate(self, moref, host, pool, timeout=600):
        spec = vim.vm.RelocateSpec(host=self._ref("HostSystem", host), pool=self._ref("ResourcePool", pool))
        return self._task("relocate %s" % moref, self._ref("VirtualMachine", moref).RelocateVM_Task, timeout, spec)

    def register(self, folder, vmx_path, name, host, pool, timeout=120):
        """Register a VM from its .vmx on a host; returns the new MoRef."""
        return self._task("register %s" % vmx_path, self._ref("Folder", folder).RegisterVM_Task, timeout,
                          path=vmx_path, name=name, asTemplate=False,
                          pool=self._ref("ResourcePool", pool), host=self._ref("HostSystem", host))

    def unregister(self, moref):
        self.client._call("unregister %s" % moref, self._ref("VirtualMachine", moref).UnregisterVM)

    def shutdown_guest(self, moref, timeout):
        """Ask the guest OS to shut down; wait until powered off or ``timeout``."""
        self.client._call("shut down guest of %s" % moref, self._ref("VirtualMachine", moref).ShutdownGuest)
        return self.wait_power(moref, "poweredOff", timeout)

    def wait_power(self, moref, state, timeout):
        return self.wait_until(moref, lambda p: p.get("runtime.powerState") == state, timeout,
                               "%s to be %s" % (moref, state))

    def wait_until(self, moref, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            props = self.vm_state(moref)
            if predicate(props):
                return props
            if time.monotonic() >= deadline:
                raise VsphereTimeoutError("waited %ss for %s" % (timeout, what))
            time.sleep(0.25)
