# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long one step of a plan may take before the playbook gives up on it.

Plain Python. A kit bounds each of its own waits (a script's ``timeout``, a
service's ``stop_timeout``, a VM's ``tools_timeout``...), but not the
connection it runs over nor a node that hangs under it: the playbooks put
this limit on the task as a whole (Ansible's ``timeout`` keyword), so a step
ends, fails and is rolled back or escalated like any failed step. The limit
is the longest the kit may legitimately take for one action, plus a margin;
an operator's ``vigil_ha_step_timeout`` replaces it.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import CHECK_KINDS, KINDS, defaults

MARGIN = 60             # connection, module transfer, Python start-up
ENDPOINT_WAIT = 30      # a tcp/http start waits this long for an answer (kits/endpoint.py)
FENCE_TIMEOUT = 60      # vigil.ha.fence's default fence_timeout
SYSTEMCTL_EXTRA = 30    # kits/service.py: systemctl gets stop_timeout + 30
MOUNT_TIMEOUT = 120     # kits/filesystem.py: mount and umount


def _kit_bound(kind, params, replicated=False):
    """Seconds one action of a kit may take (recover = stop then start; a replicated script's
    catch_up = a quick_check, then position scripts until its timeout, the last one a timeout long)."""
    p = defaults(kind, params or {}) if kind in KINDS else dict(params or {})
    if kind == "script" and replicated:
        return 3 * start_bound(kind, p)
    if kind == "vm":
        return p.get("shutdown_timeout", 120) + p.get("tools_timeout", 300)
    if kind in ("service", "script", "filesystem"):
        return 2 * start_bound(kind, p)
    if kind in CHECK_KINDS or kind == "ip":
        return start_bound(kind, p)
    if kind == "fence":
        return sum(seconds for dummy, seconds in fence_bounds(p))
    return 0


def start_bound(kind, params):
    """Seconds a start of a kit may take (its own waits; a stop of service, script and filesystem
    is bounded alike). A vm's start waits for VMware Tools up to ``tools_timeout``."""
    p = defaults(kind, params or {}) if kind in KINDS else dict(params or {})
    if kind == "vm":
        return p.get("tools_timeout", 300)
    if kind == "service":
        return p.get("stop_timeout", 30) + SYSTEMCTL_EXTRA
    if kind == "script":
        return p.get("timeout", 60)
    if kind == "filesystem":
        return MOUNT_TIMEOUT
    if kind in CHECK_KINDS:
        return ENDPOINT_WAIT + float(p.get("timeout", 2))
    if kind == "ip":
        return 20 + 2 * p.get("arp_count", 3)
    return 0


def stop_bound(kind, params):
    """Seconds a stop of a kit may take: a vm's guest shutdown, else as its start."""
    if kind == "vm":
        return defaults(kind, params or {}).get("shutdown_timeout", 120)
    return start_bound(kind, params)


def check_wait(check):
    """Seconds a start waits for its attached tcp/http check to answer (0: none attached)."""
    check = check or {}
    return ENDPOINT_WAIT + float(check.get("timeout") or 2) if any(check.get(k) for k in CHECK_KINDS) else 0


def fence_bounds(fencing):
    """``[(what, seconds)]`` a fence of a node with ``fencing`` (``levels``, ``delay``) may take:
    the delay, then every level in turn (fencing/levels.py tries the next when one fails)."""
    p = fencing or {}
    levels = p.get("levels") or [{"method": "vcenter_poweroff"}]
    vcenter = p.get("fence_timeout", FENCE_TIMEOUT) * max(1, p.get("vms", 1))
    out = [("delay", p["delay"])] if p.get("delay") else []
    for i, lv in enumerate(levels):
        out.append(("level %d (%s)" % (i + 1, lv.get("agent") or lv.get("method")),
                    lv.get("timeout", 30) if lv.get("method") == "fence_agent" else vcenter))
    return out


def step_timeout(resource, override=None):
    """Seconds the task running one step of ``resource`` (a dict with
    ``kind``, ``params`` and optionally ``check``; kind ``fence`` for a
    fence) may take: ``override`` when given (a positive number), else the
    kit's own bound, its attached check's wait, and MARGIN."""
    if override not in (None, ""):
        try:
            value = float(override)
        except (TypeError, ValueError):
            value = 0
        if value <= 0 or isinstance(override, bool):
            raise InputError("vigil_ha_step_timeout: must be a number of seconds above 0, not %r" % (override,))
        return int(value + 0.999)
    resource = resource or {}
    total = (_kit_bound(resource.get("kind"), resource.get("params"), resource.get("replicated"))
             + check_wait(resource.get("check")))
    return int(total + MARGIN + 0.999)
