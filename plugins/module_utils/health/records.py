# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Join a bulk read of the vSphere inventory into health records.

Plain Python. The input is what ``VsphereClient.read_inventory`` returns:
``{moref: {"type": ..., "props": {...}}}`` with references as MoRef strings.
The output is one record per VM and per host, with its verdict, its host,
cluster, datacenter and folder path, ready for a module to return, in
full or compact (``compact``: what a user needs to decide, a fraction of
the size at thousands of VMs).
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.health import verdicts as health
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereNotFoundError

VM_RAW = {
    "power_state": "runtime.powerState",
    "connection_state": "runtime.connectionState",
    "tools_running_status": "guest.toolsRunningStatus",
    "guest_heartbeat_status": "guestHeartbeatStatus",
    "overall_status": "overallStatus",
    "template": "config.template",
}
# What a compact record keeps (``reasons`` too, when the verdict is not ok).
COMPACT_VM = ("name", "moref", "uuid", "host", "power_state", "verdict")
COMPACT_HOST = ("name", "moref", "cluster", "verdict")
DETAILS = ("compact", "full")
HOST_RAW = {
    "connection_state": "runtime.connectionState",
    "power_state": "runtime.powerState",
    "in_maintenance_mode": "runtime.inMaintenanceMode",
    "overall_status": "overallStatus",
}


class Selection(object):
    """Which VMs to report: names, UUIDs and MoRefs add; folder and cluster narrow."""

    def __init__(self, names=None, uuids=None, morefs=None, folder=None, cluster=None):
        self.names = list(names or [])
        self.uuids = [u.lower() for u in (uuids or [])]
        self.morefs = list(morefs or [])
        self.folder = _norm_path(folder) if folder else None
        self.cluster = cluster

    @property
    def explicit(self):
        return bool(self.names or self.uuids or self.morefs)

    def picks(self, vm):
        if self.explicit and not (
            vm["name"] in self.names
            or vm["moref"] in self.morefs
            or (vm["uuid"] or "").lower() in self.uuids
            or (vm["instance_uuid"] or "").lower() in self.uuids
        ):
            return False
        if self.folder and not (vm["folder"] == self.folder or vm["folder"].startswith(self.folder + "/")):
            return False
        if self.cluster and vm["cluster"] != self.cluster:
            return False
        return True

    def missing(self, vms):
        """Requested identities that matched no VM at all, as (field, value)."""
        out = [("names", n) for n in self.names if not any(v["name"] == n for v in vms)]
        out += [("morefs", m) for m in self.morefs if not any(v["moref"] == m for v in vms)]
        out += [("uuids", u) for u in self.uuids
                if not any(u in ((v["uuid"] or "").lower(), (v["instance_uuid"] or "").lower()) for v in vms)]
        return out


def _norm_path(path):
    return "/" + "/".join(p for p in path.split("/") if p)


class _Tree(object):
    """Names and parents of containers, to build paths without more reads."""

    def __init__(self, objects):
        self.objects = objects

    def name(self, moref):
        obj = self.objects.get(moref)
        return obj["props"].get("name") if obj else None

    def ancestor(self, moref, kinds):
        seen = set()
        while moref and moref not in seen:
            seen.add(moref)
            obj = self.objects.get(moref)
            if obj is None:
                return None
            if obj["type"] in kinds:
                return moref
            moref = obj["props"].get("parent")
        return None

    def path(self, moref):
        """Inventory path such as /dc1/vm/app (the root folder is not named)."""
        names, seen = [], set()
        while moref and moref not in seen:
            seen.add(moref)
            obj = self.objects.get(moref)
            if obj is None or obj["props"].get("parent") is None:
                break
            names.append(obj["props"].get("name", moref))
            moref = obj["props"].get("parent")
        return "/" + "/".join(reversed(names))


def host_records(objects):
    """Health record of every host, keyed by MoRef."""
    tree = _Tree(objects)
    out = {}
    for moref, obj in objects.items():
        if obj["type"] != "HostSystem":
            continue
        p = obj["props"]
        compute = p.get("parent")
        cluster = compute if objects.get(compute, {}).get("type") == "ClusterComputeResource" else None
        record = {
            "type": "host",
            "name": p.get("name"),
            "moref": moref,
            "cluster": tree.name(cluster) if cluster else None,
            "datacenter": tree.name(tree.ancestor(moref, ("Datacenter",))),
            "raw": dict((k, p.get(src)) for k, src in HOST_RAW.items()),
        }
        record.update(health.host_verdict(p).to_dict())
        out[moref] = record
    return out


def vm_records(objects, hosts):
    """Health record of every VM; ``hosts`` is the result of host_records."""
    tree = _Tree(objects)
    out = []
    for moref, obj in objects.items():
        if obj["type"] != "VirtualMachine":
            continue
        p = obj["props"]
        host = hosts.get(p.get("runtime.host"))
        host_ctx = None
        if host:
            host_ctx = (host["name"], health.Verdict(host["verdict"], host["reasons"]))
        record = {
            "type": "vm",
            "name": p.get("name"),
            "moref": moref,
            "uuid": p.get("config.uuid"),
            "instance_uuid": p.get("config.instanceUuid"),
            "host": host["name"] if host else None,
            "power_state": p.get("runtime.powerState"),
            "cluster": host["cluster"] if host else None,
            "datacenter": tree.name(tree.ancestor(moref, ("Datacenter",))),
            "folder": tree.path(p.get("parent")),
            "raw": dict((k, p.get(src)) for k, src in VM_RAW.items()),
        }
        record.update(health.vm_verdict(p, host_ctx).to_dict())
        out.append(record)
    out.sort(key=lambda r: (r["name"] or "", r["moref"]))
    return out


def compact(record):
    """The compact form of a full VM or host record: who, where, the verdict,
    the power state of a VM, and the reasons only when the verdict is not ok."""
    out = dict((k, record[k]) for k in (COMPACT_VM if record["type"] == "vm" else COMPACT_HOST))
    if record["verdict"] != health.OK:
        out["reasons"] = record["reasons"]
    return out


def health_report(objects, selection=None, include_hosts=True, host_names=None, details="full"):
    """VM and host records for a selection, with a summary of verdicts.

    ``details`` is ``full`` (every field) or ``compact`` (see ``compact``).

    ``host_names`` adds those hosts to a VM selection's (host mode observes
    every host of a node list, whether a VM runs there or not).

    Raises VsphereNotFoundError naming the field when a requested VM is absent.
    """
    selection = selection or Selection()
    hosts = host_records(objects)
    all_vms = vm_records(objects, hosts)
    vms = [vm for vm in all_vms if selection.picks(vm)]
    missing = selection.missing(all_vms)
    if missing:
        raise VsphereNotFoundError(
            "VM not found: " + ", ".join("%s=%s" % m for m in missing),
            missing=[{"field": f, "value": v} for f, v in missing],
        )
    if selection.folder:
        tree = _Tree(objects)
        if selection.folder not in set(tree.path(m) for m, o in objects.items() if o["type"] == "Folder"):
            raise VsphereNotFoundError("folder not found: %s" % selection.folder, field="folder")
    if selection.cluster and not any(h["cluster"] == selection.cluster for h in hosts.values()):
        raise VsphereNotFoundError("cluster not found: %s" % selection.cluster, field="cluster")
    unknown = sorted(set(host_names or []) - set(h["name"] for h in hosts.values()))
    if unknown:
        raise VsphereNotFoundError("host not found: %s" % ", ".join(unknown), field="host_names")

    host_list = []
    if include_hosts:
        if selection.explicit or selection.folder:
            wanted = set(vm["host"] for vm in vms) | set(host_names or [])
            host_list = [h for h in hosts.values() if h["name"] in wanted]
        else:
            host_list = [h for h in hosts.values() if not selection.cluster or h["cluster"] == selection.cluster]
        host_list.sort(key=lambda h: (h["name"] or "", h["moref"]))
    summary = dict((v, 0) for v in health.VERDICTS)
    for record in vms + host_list:
        summary[record["verdict"]] += 1
    if details == "compact":
        vms, host_list = [compact(r) for r in vms], [compact(r) for r in host_list]
    return {"vms": vms, "hosts": host_list, "summary": summary}
