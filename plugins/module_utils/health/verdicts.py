# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health verdicts for ESXi hosts and VMs.

Plain Python (no Ansible, no pyVmomi): the same rules serve the modules, the
event source and the tests. A verdict is one of ``ok``, ``degraded``,
``failed`` or ``unknown`` with the reasons that led to it. Inputs are the
raw vSphere property values as strings/bools, keyed by property path.
"""

from __future__ import annotations

OK = "ok"
DEGRADED = "degraded"
FAILED = "failed"
UNKNOWN = "unknown"
VERDICTS = (OK, DEGRADED, FAILED, UNKNOWN)

# Worse verdicts win when several rules apply.
_RANK = {OK: 0, DEGRADED: 1, UNKNOWN: 2, FAILED: 3}

HOST_PROPERTIES = (
    "name",
    "runtime.connectionState",
    "runtime.powerState",
    "runtime.inMaintenanceMode",
    "overallStatus",
    "parent",
)

VM_PROPERTIES = (
    "name",
    "config.uuid",
    "config.instanceUuid",
    "config.template",
    "runtime.powerState",
    "runtime.connectionState",
    "runtime.host",
    "guest.toolsRunningStatus",
    "guestHeartbeatStatus",
    "overallStatus",
    "parent",
)


class Verdict(object):
    """A verdict and the reasons for it, worst first."""

    __slots__ = ("status", "reasons")

    def __init__(self, status=OK, reasons=None):
        self.status = status
        self.reasons = list(reasons or [])

    def add(self, status, reason):
        if _RANK[status] > _RANK[self.status]:
            self.status = status
            self.reasons.insert(0, reason)
        else:
            self.reasons.append(reason)
        return self

    def to_dict(self):
        return {"verdict": self.status, "reasons": list(self.reasons)}

    def __eq__(self, other):
        return isinstance(other, Verdict) and (self.status, self.reasons) == (other.status, other.reasons)

    def __repr__(self):
        return "Verdict(%r, %r)" % (self.status, self.reasons)


def worst(statuses):
    """The worst of several verdict strings (``ok`` for none)."""
    return max(statuses, key=_RANK.__getitem__, default=OK)


def _overall(verdict, status):
    # overallStatus reflects triggered alarms: worth a look, not a failure.
    if status in ("red", "yellow"):
        verdict.add(DEGRADED, "overall status %s (alarms raised)" % status)


def host_verdict(props):
    """Verdict for one ESXi host from its raw properties."""
    v = Verdict()
    connection = props.get("runtime.connectionState")
    power = props.get("runtime.powerState")
    if connection == "notResponding":
        return v.add(FAILED, "host not responding to vCenter")
    if connection == "disconnected":
        return v.add(UNKNOWN, "host disconnected from vCenter (not monitored)")
    if connection != "connected":
        return v.add(UNKNOWN, "connection state %s" % (connection or "not reported"))
    if power == "poweredOff":
        return v.add(FAILED, "host powered off")
    if power == "standBy":
        v.add(DEGRADED, "host in standby")
    elif power != "poweredOn":
        v.add(UNKNOWN, "power state %s" % (power or "not reported"))
    if props.get("runtime.inMaintenanceMode"):
        v.add(DEGRADED, "host in maintenance mode")
    _overall(v, props.get("overallStatus"))
    return v


def vm_verdict(props, host=None):
    """Verdict for one VM from its raw properties.

    ``host`` is the host's own verdict and name, when known, so that a VM on a
    failed host says why it cannot be seen.
    """
    v = Verdict()
    connection = props.get("runtime.connectionState")
    power = props.get("runtime.powerState")
    if props.get("config.template"):
        return v.add(OK, "template")
    if connection in ("orphaned", "inaccessible", "invalid"):
        return v.add(FAILED, "VM %s" % connection)
    if connection != "connected":
        v.add(UNKNOWN, "VM %s" % (connection or "connection not reported"))
        if host is not None and host[1].status != OK:
            v.reasons.append("host %s: %s" % (host[0], "; ".join(host[1].reasons)))
        return v
    if power == "poweredOff":
        return v.add(FAILED, "powered off")
    if power == "suspended":
        return v.add(FAILED, "suspended")
    if power != "poweredOn":
        return v.add(UNKNOWN, "power state %s" % (power or "not reported"))

    tools = props.get("guest.toolsRunningStatus")
    heartbeat = props.get("guestHeartbeatStatus")
    if heartbeat == "red":
        v.add(FAILED, "guest heartbeat red (guest OS not responding)")
    elif heartbeat == "yellow":
        v.add(DEGRADED, "guest heartbeat yellow (intermittent)")
    if tools and tools != "guestToolsRunning":
        v.add(DEGRADED, "VMware Tools not running")
    elif heartbeat in (None, "", "gray") and tools == "guestToolsRunning":
        v.add(DEGRADED, "guest heartbeat not reported")
    _overall(v, props.get("overallStatus"))
    return v
