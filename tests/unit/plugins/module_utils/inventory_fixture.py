# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small inventory in the shape VsphereClient.read_inventory returns."""
from __future__ import annotations


def _vm(name, host, folder="group-v3", uuid=None, **props):
    p = {
        "name": name, "parent": folder, "runtime.host": host,
        "config.uuid": uuid or "uuid-" + name, "config.instanceUuid": "inst-" + name,
        "config.template": False, "runtime.powerState": "poweredOn", "runtime.connectionState": "connected",
        "guest.toolsRunningStatus": "guestToolsRunning", "guestHeartbeatStatus": "green", "overallStatus": "green",
    }
    p.update(props)
    return {"type": "VirtualMachine", "props": p}


def _host(name, parent, **props):
    p = {"name": name, "parent": parent, "runtime.connectionState": "connected", "runtime.powerState": "poweredOn",
         "runtime.inMaintenanceMode": False, "overallStatus": "green"}
    p.update(props)
    return {"type": "HostSystem", "props": p}


def inventory():
    return {
        "group-d1": {"type": "Folder", "props": {"name": "Datacenters", "parent": None}},
        "datacenter-2": {"type": "Datacenter", "props": {"name": "dc1", "parent": "group-d1"}},
        "group-v3": {"type": "Folder", "props": {"name": "vm", "parent": "datacenter-2"}},
        "group-v9": {"type": "Folder", "props": {"name": "db", "parent": "group-v3"}},
        "group-h4": {"type": "Folder", "props": {"name": "host", "parent": "datacenter-2"}},
        "domain-c7": {"type": "ClusterComputeResource", "props": {"name": "prod", "parent": "group-h4"}},
        "domain-s8": {"type": "ComputeResource", "props": {"name": "esx-solo", "parent": "group-h4"}},
        "host-1": _host("esx-a", "domain-c7"),
        "host-2": _host("esx-b", "domain-c7", **{"runtime.connectionState": "notResponding"}),
        "host-3": _host("esx-solo", "domain-s8"),
        "vm-1": _vm("web", "host-1"),
        "vm-2": _vm("db1", "host-2", folder="group-v9", **{"runtime.connectionState": "disconnected"}),
        "vm-3": _vm("db2", "host-1", folder="group-v9", uuid="4213A1C5-AAAA", **{"runtime.powerState": "poweredOff"}),
        "vm-4": _vm("solo", "host-3"),
    }
