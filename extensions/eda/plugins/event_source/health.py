# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event source vigil.ha.health: thin; the engine is plugins/module_utils/health/source.py."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys

DOCUMENTATION = r"""
---
short_description: Health events of a vigil.ha cluster, edge-triggered
description:
  - Watches the cluster of an inventory group (the one the playbooks use) and
    puts one event on the queue per transition, under the key C(vigil_ha), with
    the schema of docs/events.md.
  - vCenter is watched by push (one WaitForUpdatesEx on VMs and hosts); the
    C(tcp) and C(http) checks of every resource run here; the deeper checks (C(service), C(script),
    C(filesystem), C(ip)) run on each node that holds a hierarchy through M(vigil.ha.app_health_info)
    over SSH. Every check runs on its own C(check.interval) and within its C(check.timeout) (of the
    resource; a node's for its SSH reachability); the checks of one node due together share one SSH run.
  - A failed check counts only when C(check.confirm) checks in a row failed (2 by default: the first
    failure is checked again at most a second later), so that one lost packet does not start a
    failover. What vCenter reports (a VM powered off, a host not responding) is not confirmed.
  - After losing vCenter it says so once, reconnects and reports only what
    really changed meanwhile. Events never carry credentials.
author:
  - vigil.ha developers (@vigil-ha)
options:
  inventory:
    description: The cluster's inventory (file or directory), as given to ansible-playbook with -i.
    type: str
    required: true
  cluster_group:
    description: The inventory group of the cluster's nodes.
    type: str
    default: vigil_ha_cluster
  hostname:
    description: vCenter's host name; else the environment variable VMWARE_HOST.
    type: str
  username:
    description: vCenter user; else VMWARE_USER.
    type: str
  password:
    description: Its password; else VMWARE_PASSWORD. Never part of an event.
    type: str
  port:
    description: vCenter's HTTPS port; else VMWARE_PORT.
    type: int
    default: 443
  validate_certs:
    description: Verify vCenter's certificate; else VMWARE_VALIDATE_CERTS.
    type: bool
    default: true
  ca_path:
    description: CA bundle to trust for vCenter; else VMWARE_CA_PATH.
    type: str
  timeout:
    description: Seconds each vCenter call may take.
    type: int
    default: 30
  max_wait:
    description: Seconds one WaitForUpdatesEx call waits for a change.
    type: int
    default: 10
  state_interval:
    description: Seconds between reads of the owner and generation of every hierarchy.
    type: int
    default: 5
  node_check_interval:
    description:
      - Deprecated and ignored - each node and resource is checked on its own C(check.interval) (see
        docs/configuration.md). Given, it is logged as deprecated; it will be removed in a later release.
    type: int
  node_check_timeout:
    description:
      - Deprecated and ignored - each check is bounded by its own C(check.timeout). Given, it is logged as
        deprecated; it will be removed in a later release.
    type: int
  node_check_concurrency:
    description:
      - Node-side runs (one C(ansible) process each) at once. Each node has at most one at a time, so a slow
        node delays no other.
    type: int
    default: 8
  node_check_overhead:
    description:
      - Seconds allowed, on top of the node's and the resources' C(check.timeout), for starting C(ansible) and
        its SSH session. A run that gives no result by then is killed and its resources' checks count as failed
        (confirmed as any failure).
    type: int
    default: 10
  reconnect_max:
    description: Longest pause, in seconds, between attempts to reconnect to vCenter.
    type: int
    default: 30
  placement_settle:
    description:
      - Host mode. Seconds the running VMs of a hierarchy must stay split over several hosts (or run on a host
        that is not a node of the hierarchy) before a C(placement) event says so; DRS migrates VMs one by one.
        VMs that all moved to one other node are reported at once (the owner follows them).
    type: int
    default: 60
  start_grace:
    description:
      - Seconds the resources of a hierarchy that moved may stay out of service on the new owner
        before they count as failed. Until then the move's own run is starting them; a run that
        died after recording the new owner is caught once this has passed (the rulebook then recovers them there).
    type: int
    default: 120
  inventory_interval:
    description:
      - Seconds between looks at the inventory's files. When one changed (size or modification time), the source
        reads and validates the inventory again and uses it from then on (C(maintenance) flags, policies,
        hierarchies) without a restart. An edit that does not validate is refused with an error in the log and
        the last good configuration stays in use. V(0) never looks.
    type: int
    default: 5
  switchback_settle:
    description:
      - For a hierarchy with C(policy.switchback=automatic) held by another node, seconds its preferred node
        (first by priority) must have been fit (VM or host healthy in vCenter, not in maintenance) before the
        source emits a C(switchback) event, on which the rulebook runs M(vigil.ha.switchover) back to it.
    type: int
    default: 60
  recover_throttle:
    description:
      - Seconds within which a second failure of the same resource at the same generation is not acted on again;
        its event carries C(suppressed=true) and the reason, and the rulebook records it in the ledger.
    type: int
    default: 20
  failover_throttle:
    description:
      - Seconds within which a second failure of the same owner at the same generation is not failed over again
        (marked C(suppressed) as for O(recover_throttle)).
    type: int
    default: 120
  lease:
    description:
      - Hold the cluster's watcher lease in vCenter (M(vigil.ha.watcher_lease)), so that several watchers can
        watch one cluster and one acts. Every event then carries C(lease) (C(holder), C(epoch), C(active)); a
        watcher that does not hold the lease keeps watching and its events say C(active=false). See docs/eda.md,
        "Redundant watchers".
      - Off by default - a lone watcher then acts on every event as before (C(lease.active) is always true), and
        keeps acting while vCenter is unreachable (a fence through a BMC needs no vCenter), which a lease
        kept in vCenter would stop.
    type: bool
    default: false
  watcher_id:
    description:
      - This watcher's id in the lease (letters, digits, C(.), C(_), C(:), C(@), C(-)); the machine's host name by
        default. Two watchers need two ids.
      - Every event carries it as C(watcher) (with or without the lease), and the rulebooks pass it to the playbooks,
        whose ledger lines and budget events then say which watcher acted.
    type: str
  lease_ttl:
    description: Seconds the lease holds after each renewal; another watcher takes over that long after the holder stopped renewing.
    type: int
    default: 15
  lease_renew:
    description: Seconds between two lease operations (one acquire or renewal each); at most half of O(lease_ttl).
    type: int
    default: 5
  lease_orphan_after:
    description:
      - Seconds nobody may hold the lease before a watcher that cannot take it posts an event and sets the custom
        attribute C(vigil.ha.watcher.<cluster>.orphaned) to the time since when (cleared by the next holder).
    type: int
    default: 60
  metrics_port:
    description:
      - Serve the watcher's metrics for Prometheus (C(/metrics)), its read-only status page (C(/)) and the page's
        data (C(/status.json)) on this TCP port. See docs/monitoring.md.
      - Off when not given or V(0) (the default).
    type: int
    default: 0
  metrics_address:
    description:
      - The address the metrics server listens on. Loopback by default - give a routable address (or V(0.0.0.0))
        only with O(metrics_username) and O(metrics_password), or behind a firewall.
    type: str
    default: 127.0.0.1
  metrics_username:
    description: With O(metrics_password), every page of the metrics server asks for HTTP basic authentication.
    type: str
  metrics_password:
    description: The password of O(metrics_username). Never logged, never part of a page or an event.
    type: str
  metrics_interval:
    description: Seconds between two updates of the metrics' snapshot and two looks at the ledger.
    type: int
    default: 2
  ledger:
    description:
      - The ledger the playbooks write (M(vigil.ha.ledger)), read by the metrics server for its counts and the
        status page's last decisions. By default the ledger module's own default - the environment variable
        E(VIGIL_HA_LEDGER), else C(~/.local/state/vigil-ha/ledger.jsonl).
    type: path
"""

EXAMPLES = r"""
- name: Health of the cluster
  hosts: localhost
  sources:
    - vigil.ha.health:
        inventory: /etc/vigil-ha/cluster.yml
        hostname: "{{ vcenter_hostname }}"
        username: "{{ vcenter_username }}"
        password: "{{ vcenter_password }}"
        ca_path: /etc/pki/vcenter-ca.pem
  rules:
    - name: Show every transition
      condition: event.vigil_ha is defined
      action:
        print_event:
"""


def _collection_imports():
    """Make ``ansible_collections.vigil.ha`` importable when ansible-rulebook ran this file by path."""
    here = os.path.abspath(__file__)
    while os.path.basename(here) not in ("ansible_collections", ""):
        here = os.path.dirname(here)
    root = os.path.dirname(here)
    if os.path.basename(here) == "ansible_collections" and root not in sys.path:
        sys.path.append(root)


_collection_imports()

# pylint: disable=wrong-import-position
from ansible_collections.vigil.ha.plugins.module_utils.health import source as health_source  # noqa: E402
from ansible_collections.vigil.ha.plugins.module_utils.config import validation  # noqa: E402
from ansible_collections.vigil.ha.plugins.module_utils.vsphere import client as vsphere_client  # noqa: E402
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.connection import ENV, DEFAULTS, REQUIRED  # noqa: E402
from ansible_collections.vigil.ha.plugins.module_utils.health.cluster_view import config_from_inventory  # noqa: E402
from ansible_collections.vigil.ha.plugins.module_utils.health import events, lease_keeper  # noqa: E402
from ansible_collections.vigil.ha.plugins.module_utils.state import lease as watcher_lease  # noqa: E402
from ansible_collections.vigil.ha.plugins.module_utils.health import ledger_tail, metrics, web  # noqa: E402


def _tool(name):
    """An Ansible command next to this Python (a venv), else from PATH."""
    near = os.path.join(os.path.dirname(sys.executable), name)
    return near if os.access(near, os.X_OK) else (shutil.which(name) or name)


def connection(args):
    """vCenter connection options from the arguments, else the VMWARE_* environment
    (the modules' table, vsphere/connection.py; ``timeout`` is the source's own option)."""
    out = {}
    for key, env in ENV.items():
        value = args.get(key)
        out[key] = os.environ.get(env) if value in (None, "") else value
    for key in REQUIRED:
        if not out[key]:
            raise ValueError("vigil.ha.health: %s is required (argument %s or environment %s)" % (key, key, ENV[key]))
    out["port"] = int(out["port"] or DEFAULTS["port"])
    out["ca_path"] = out["ca_path"] or None
    validate = out["validate_certs"]
    out["validate_certs"] = validate is None or validate is True or str(validate).lower() in ("1", "true", "yes", "on")
    return out


async def load_cluster(inventory, group, timeout=120):
    """The validated cluster of ``group`` in ``inventory`` (ansible-inventory reads it, vault included)."""
    proc = await asyncio.create_subprocess_exec(
        _tool("ansible-inventory"), "-i", inventory, "--list", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    if proc.returncode != 0:
        raise ValueError("vigil.ha.health: inventory: ansible-inventory failed on %s: %s"
                         % (inventory, " ".join(err.decode("utf-8", "replace").split())[-500:]))
    nodes, hierarchies = config_from_inventory(json.loads(out), group)
    try:
        return validation.load(nodes, hierarchies, group)
    except validation.ConfigError as exc:
        raise ValueError("vigil.ha.health: %s: %s" % (inventory, exc.summary()))


async def main(queue, args):
    """Put health events on ``queue`` until cancelled; never returns in normal use."""
    if not args.get("inventory"):
        raise ValueError("vigil.ha.health: inventory is required (the cluster's inventory)")
    conn = connection(args)
    group = args.get("cluster_group") or "vigil_ha_cluster"
    cluster = await load_cluster(args["inventory"], group)
    options = dict((k, int(args[k])) for k in tuple(health_source.DEFAULTS) + health_source.DEPRECATED
                   if args.get(k) is not None)
    options["timeout"] = options.get("timeout", health_source.DEFAULTS["timeout"])

    if not vsphere_client.HAS_PYVMOMI:
        raise ValueError("vigil.ha.health: pyVmomi is required (pip install pyvmomi): %s"
                         % vsphere_client.PYVMOMI_IMPORT_ERROR)

    keeper = None
    watcher_id = args.get("watcher_id") or socket.gethostname()
    if str(args.get("lease", False)).lower() in ("1", "true", "yes", "on"):
        try:
            ttl, dummy, orphan = lease_keeper.check_options(dict(health_source.DEFAULTS, **options))
            keeper = lease_keeper.LeaseKeeper(watcher_id, ttl, orphan)
            watcher_lease.check_cluster(group)
        except watcher_lease.StateInputError as exc:
            raise ValueError("vigil.ha.health: %s" % exc.message)

    def connect():
        return vsphere_client.VsphereClient(timeout=options["timeout"], **conn).connect()

    server = metrics_server(args)

    source = health_source.HealthSource(cluster, queue, health_source.VcenterLink(connect), options,
                                        ansible=_tool("ansible"), inventory=args["inventory"],
                                        name=conn["hostname"], factory=events.EventFactory(watcher=watcher_id),
                                        reload=lambda: load_cluster(args["inventory"], group),
                                        keeper=keeper, cluster_group=group,
                                        metrics=server.metrics if server else None)
    try:
        await source.run()
    finally:
        if server is not None:
            server.stop()


def metrics_server(args):
    """The started metrics server (health/web.py) when ``metrics_port`` is set, else None."""
    if args.get("metrics_port") in (None, "", 0, "0"):
        return None
    try:
        address, port, credentials = web.check_options(args.get("metrics_address"), args["metrics_port"],
                                                       args.get("metrics_username"), args.get("metrics_password"))
        tail = ledger_tail.LedgerTail(os.path.expanduser(args.get("ledger") or ledger_tail.default_path()))
        return web.WebServer(metrics.Metrics(tail), address, port, credentials).start()
    except ValueError as exc:
        raise ValueError("vigil.ha.health: %s" % exc)


if __name__ == "__main__":
    # Run alone: print the events (python health.py INVENTORY), with VMWARE_* in the environment.
    class _PrintQueue(object):
        async def put(self, event):
            print(json.dumps(event))  # noqa: T201

    import logging
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main(_PrintQueue(), {"inventory": sys.argv[1]}))
