# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fencing a node by powering its VM off through vCenter (plain Python).

Runs over a ``VmOperations`` (vsphere/vm_operations.py) or a fake of it. A VM counts as
fenced only when vCenter, talking to the VM's ESXi host, reports it
``poweredOff``: read before acting, read again after. What vCenter says about
a VM whose host does not respond is its last knowledge, not the truth, so
such a VM can never be reported fenced, whatever power state is shown; the
one exception is a host that vCenter itself reports powered off (through
its BMC or standby), which runs no VM.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
import time

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError, VsphereNotFoundError, VsphereTaskError, VsphereTimeoutError

POWERED_OFF = "poweredOff"
MAX_TIMEOUT = 900
HOST_PROPERTIES = ("name", "runtime.connectionState", "runtime.powerState")
HOST_OFF = ("poweredOff", "standBy")  # a host in these power states runs no VM


class FenceError(VigilError):
    """The node is not confirmed fenced; ``result`` carries ``fenced: false`` and what was seen
    (its ``error`` is the kind of the vCenter failure that caused it, if one did)."""

    def __init__(self, message, **result):
        super(FenceError, self).__init__(message, **dict(result, fenced=False))

    @property
    def result(self):
        return self.details


class Fencer(object):
    def __init__(self, ops, clock=time.monotonic, sleep=time.sleep, poll=0.25):
        self.ops = ops
        self.clock = clock
        self.sleep = sleep
        self.poll = poll

    def observe(self, moref):
        """Power and connection of the VM and of its host, as vCenter sees them now."""
        props = self.ops.vm_state(moref)
        host_moref = props.get("runtime.host")
        host = {}
        if host_moref:
            host = self.ops.read("HostSystem", [host_moref], HOST_PROPERTIES).get(host_moref, {})
        return {
            "moref": moref,
            "vm_name": props.get("name"),
            "power_state": props.get("runtime.powerState"),
            "vm_connection": props.get("runtime.connectionState"),
            "host": host.get("name") or host_moref,
            "host_connection": host.get("runtime.connectionState"),
            "host_power": host.get("runtime.powerState"),
        }

    @staticmethod
    def blind_spot(seen, label):
        """Why vCenter cannot vouch for this VM's power state, or None when it can."""
        if seen["host_connection"] != "connected":
            return ("cannot confirm that %s is powered off: its host %s is %s in vCenter (the power state shown, "
                    "%s, is only vCenter's last knowledge); fence it another way or confirm by hand"
                    % (label, seen["host"] or "(none)",
                       "not responding" if seen["host_connection"] == "notResponding"
                       else seen["host_connection"] or "unknown", seen["power_state"]))
        if seen["vm_connection"] != "connected":
            return ("cannot confirm that %s is powered off: the VM is %s in vCenter; fence it another way or "
                    "confirm by hand" % (label, seen["vm_connection"]))
        return None

    @staticmethod
    def _result(seen, name, **extra):
        out = {"moref": seen["moref"], "host": seen["host"], "power_state": seen["power_state"], "name": name}
        out.update(extra)
        return out

    def fence(self, uuid=None, moref=None, name=None, timeout=60, check_mode=False, host_unanswered=None):
        """Power the VM off and verify; return a result with ``fenced: true`` or raise ``FenceError``.

        ``host_unanswered``: why the VM's host is known dead or hung although vCenter may still call
        it connected (its management address does not answer): vCenter's view of it is stale, so
        nothing is confirmed through vCenter unless vCenter reports the host powered off."""
        if not uuid and not moref:
            raise FenceError("give uuid or moref of the VM to fence (a VM is never named by its name alone)",
                             field="uuid")
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
            raise FenceError("fence_timeout: must be 1 to %d seconds, not %r" % (MAX_TIMEOUT, timeout),
                             field="fence_timeout")
        try:
            ref = self.ops.find_vm(uuid=uuid, moref=moref)
        except VsphereNotFoundError as exc:
            raise FenceError("cannot fence %s: %s" % (name or uuid or moref, exc.message), power_state=None,
                             host=None, moref=moref, name=name, field=exc.details.get("field"))
        before = self.observe(ref)
        label = "%s (%s)" % (name or before["vm_name"] or ref, ref)
        why = None if before["host_power"] in HOST_OFF else self.blind_spot(before, label)
        if host_unanswered and not why and before["host_power"] not in HOST_OFF:
            why = ("cannot confirm that %s is powered off through vCenter: vCenter still shows its host %s %s, "
                   "but the %s (vCenter has not noticed yet); fence it another way or confirm by hand"
                   % (label, before["host"] or "(none)", before["host_connection"] or "unknown", host_unanswered))
        if why:
            raise FenceError(why, **self._result(before, name))
        diff = {"before": {"power_state": before["power_state"]}}
        if before["host_power"] in HOST_OFF:
            return self._result(before, name, changed=False, fenced=True,
                                msg="%s is on host %s, which vCenter reports %s: it runs no VM; fenced"
                                % (label, before["host"], before["host_power"]),
                                diff=dict(diff, after={"power_state": POWERED_OFF}))
        if before["power_state"] == POWERED_OFF:
            return self._result(before, name, changed=False, fenced=True,
                                msg="%s is already powered off on %s: fenced" % (label, before["host"]),
                                diff=dict(diff, after={"power_state": POWERED_OFF}))
        if check_mode:
            return self._result(before, name, changed=True, fenced=False,
                                msg="would power off %s on %s (now %s)" % (label, before["host"], before["power_state"]),
                                diff=dict(diff, after={"power_state": POWERED_OFF}))
        deadline = self.clock() + timeout
        task_error = None
        try:
            self.ops.power_off(ref, timeout=timeout)
        except (VsphereTaskError, VsphereTimeoutError) as exc:
            task_error = exc.message  # it may have gone off anyway (e.g. it crashed meanwhile): verified below
        seen = self._verify(ref, deadline)
        why = self.blind_spot(seen, label)
        if why:  # a power-off was sent: changed, but nothing confirmed
            raise FenceError(why, **self._result(seen, name, changed=True))
        if seen["power_state"] != POWERED_OFF:
            raise FenceError("%s was asked to power off but vCenter still reports %s after %ss%s; it is NOT fenced"
                             % (label, seen["power_state"], timeout, ": %s" % task_error if task_error else ""),
                             **self._result(seen, name, changed=True))
        return self._result(seen, name, changed=True, fenced=True,
                            msg="%s powered off on %s and verified: fenced" % (label, seen["host"]),
                            diff=dict(diff, after={"power_state": seen["power_state"]}))

    def _verify(self, ref, deadline):
        """Read until vCenter reports the VM off on a connected host, or the deadline passes."""
        while True:
            seen = self.observe(ref)
            if seen["power_state"] == POWERED_OFF and not self.blind_spot(seen, ref):
                return seen
            if self.clock() >= deadline:
                return seen
            self.sleep(self.poll)


def fence_error_from(exc, name=None, moref=None):
    """A vCenter failure (unreachable, timeout, API fault) as a FenceError: nothing confirmed."""
    if isinstance(exc, FenceError):
        return exc
    if isinstance(exc, VsphereError):
        return FenceError("cannot fence %s through vCenter: %s" % (name or moref or "the VM", exc.message),
                          error=exc.kind, moref=moref, name=name, power_state=None, host=None)
    return FenceError("cannot fence %s: unexpected error: %s" % (name or moref or "the VM", exc),
                      moref=moref, name=name, power_state=None, host=None)
