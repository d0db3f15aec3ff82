# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kit ``vm``: a whole VM protected in host mode (nodes are ESXi hosts).

Runs on the controller over a ``VmOperations`` (plugins/module_utils/vsphere/vm_operations.py);
no pyVmomi here.
  start    place the VM on a healthy host of the node list (re-register it
           from its .vmx if its host failed, relocate it if it is elsewhere),
           power it on and wait for VMware Tools
  stop     guest shutdown within shutdown_timeout, then power off
  check    power, connection, Tools and heartbeat (the health model's rules)
  recover  reset, then wait for Tools
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.health import verdicts as health
from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import defaults
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError
from .base import FAILED, IN_SERVICE, OUT_OF_SERVICE, UNKNOWN, KitError, Result

_VERDICT_STATE = {health.OK: IN_SERVICE, health.DEGRADED: IN_SERVICE, health.FAILED: FAILED, health.UNKNOWN: UNKNOWN}


class VmKit(object):
    kind = "vm"

    def __init__(self, name, params, ops, hosts=None, target=None, check_mode=False):
        self.name = name
        self.params = defaults("vm", params or {})
        self.ops = ops
        self.allowed = list(hosts or [])  # ESXi host names by priority
        self.target = target
        self.check_mode = check_mode
        self.moref = ops.find_vm(uuid=self.params["uuid"], moref=self.params["moref"])

    # -- state ---------------------------------------------------------------

    def _read(self):
        props = self.ops.vm_state(self.moref)
        hosts = self.ops.hosts()
        by_moref = dict((h["moref"], h) for h in hosts.values())
        host = by_moref.get(props.get("runtime.host"))
        return props, host, hosts

    def probe(self):
        props, host, dummy = self._read()
        facts = {"moref": self.moref, "host": host["name"] if host else None,
                 "power_state": props.get("runtime.powerState")}
        if host and host.get("runtime.connectionState") == "notResponding":
            return Result(FAILED, ["host %s not responding" % host["name"]], facts=facts)
        if props.get("runtime.connectionState") == "connected" and props.get("runtime.powerState") == "poweredOff":
            return Result(OUT_OF_SERVICE, ["powered off"], facts=facts)
        verdict = health.vm_verdict(props)
        return Result(_VERDICT_STATE[verdict.status], verdict.reasons or ["running on %s" % facts["host"]], facts=facts)

    def check(self):
        return self.probe()

    def _describe(self, state, host):
        return {"resource": self.name, "kind": "vm", "state": state, "host": host}

    def _healthy(self, host):
        return (host is not None and host.get("runtime.connectionState") == "connected"
                and not host.get("runtime.inMaintenanceMode") and host.get("runtime.powerState") == "poweredOn")

    def _place(self, hosts, current):
        """The host to run on: the target, else the current one if allowed and healthy, else by priority."""
        if self.target:
            host = hosts.get(self.target)
            if not self._healthy(host):
                raise KitError("target host %s is not healthy or unknown" % self.target)
            return host
        if current and self._healthy(current) and (not self.allowed or current["name"] in self.allowed):
            return current
        for name in self.allowed or sorted(hosts):
            if self._healthy(hosts.get(name)):
                return hosts[name]
        raise KitError("no healthy host among %s" % ", ".join(self.allowed or sorted(hosts)))

    # -- actions -------------------------------------------------------------

    def start(self):
        before = self.probe()
        props, current, hosts = self._read()
        target = self._place(hosts, current if before.state != FAILED else None)
        if before.state == IN_SERVICE and current and current["name"] == target["name"]:
            return before
        if self.check_mode:
            return Result(before.state, ["would start on %s" % target["name"]] + before.reasons, changed=True,
                          before=self._describe(before.state, before.facts.get("host")),
                          after=self._describe(IN_SERVICE, target["name"]), facts=before.facts)
        try:
            if current is None or current.get("runtime.connectionState") != "connected" \
                    or props.get("runtime.connectionState") != "connected":
                self._reregister(props, target)
            elif current["name"] != target["name"]:
                self.ops.relocate(self.moref, target["moref"], target["pool"])
            if self.ops.vm_state(self.moref).get("runtime.powerState") != "poweredOn":
                self.ops.power_on(self.moref, target["moref"])
            self.ops.wait_until(self.moref, lambda p: p.get("guest.toolsRunningStatus") == "guestToolsRunning",
                                self.params["tools_timeout"], "VMware Tools in %s" % self.name)
        except VsphereError as exc:
            raise KitError(str(exc))
        return self._after(before)

    def _reregister(self, props, target):
        """The VM's host failed: register it from its files on the target (as vSphere HA does)."""
        try:
            self.ops.unregister(self.moref)
        except VsphereError:
            # A host that is gone still reports the VM powered on; vCenter
            # (and the lab) refuse to unregister it until it is marked off.
            self.ops.power_off(self.moref)
            self.ops.unregister(self.moref)
        self.moref = self.ops.register(props["parent"], props["config.files.vmPathName"], props["name"],
                                       target["moref"], target["pool"])

    def stop(self):
        before = self.probe()
        if before.facts.get("power_state") == "poweredOff":
            return before
        if self.check_mode:
            return Result(before.state, ["would shut down"] + before.reasons, changed=True,
                          before=self._describe(before.state, before.facts.get("host")),
                          after=self._describe(OUT_OF_SERVICE, before.facts.get("host")), facts=before.facts)
        try:
            props = self.ops.vm_state(self.moref)
            clean = False
            if props.get("guest.toolsRunningStatus") == "guestToolsRunning":
                try:
                    self.ops.shutdown_guest(self.moref, self.params["shutdown_timeout"])
                    clean = True
                except VsphereError:
                    pass  # the guest did not go down in time: power off below
            if not clean:
                self.ops.power_off(self.moref)
        except VsphereError as exc:
            raise KitError(str(exc))
        return self._after(before)

    def recover(self):
        before = self.probe()
        if self.check_mode:
            return Result(before.state, ["would reset"] + before.reasons, changed=True, facts=before.facts)
        try:
            if before.facts.get("power_state") == "poweredOn":
                self.ops.reset(self.moref)
            else:
                self.ops.power_on(self.moref)
            self.ops.wait_until(self.moref, lambda p: p.get("guest.toolsRunningStatus") == "guestToolsRunning",
                                self.params["tools_timeout"], "VMware Tools in %s" % self.name)
        except VsphereError as exc:
            raise KitError(str(exc))
        return self._after(before)

    def act(self, action):
        if action not in ("start", "stop", "check", "recover"):
            raise KitError("action must be start, stop, check or recover, not %r" % action)
        return getattr(self, action)()

    def _after(self, before):
        after = self.probe()
        return Result(after.state, after.reasons, changed=True,
                      before=self._describe(before.state, before.facts.get("host")),
                      after=self._describe(after.state, after.facts.get("host")), facts=after.facts)
