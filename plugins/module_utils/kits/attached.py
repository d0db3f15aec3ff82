# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a kit action for one resource, with its attached tcp/http check.

A resource may carry ``check: {tcp: {...}}`` or ``check: {http: {...}}``:
after ``start``, ``recover`` and ``check`` that endpoint must answer too,
or the resource is ``failed`` with the endpoint's reasons.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import CHECK_KINDS
from .base import FAILED, IN_SERVICE, SERVING, Result
from .registry import node_kit


def attached_check(resource):
    """(kind, params) of the resource's attached endpoint check, or None."""
    check = resource.get("check") or {}
    for kind in CHECK_KINDS:
        if check.get(kind):
            return kind, check[kind]
    return None


def run_action(resource, action, check_mode=False, primary=None, **kit_kwargs):
    """``primary``: the node a replicated resource follows (catch_up, rejoin, rebuild)."""
    kit = node_kit(resource["kind"], resource["name"], resource.get("params"), check_mode=check_mode,
                   replicated=bool(resource.get("replicated")), primary=primary, **kit_kwargs)
    result = kit.act(action)
    endpoint = attached_check(resource)
    if endpoint and action != "stop" and result.state in SERVING and not (check_mode and result.changed):
        probe = node_kit(endpoint[0], resource["name"] + "/check", endpoint[1], check_mode=check_mode, **kit_kwargs)
        answer = probe.start() if action in ("start", "recover", "promote") else probe.check()
        if answer.state != IN_SERVICE:
            return Result(FAILED, answer.reasons + result.reasons, result.changed, result.before,
                          dict(result.after or {}, state=FAILED) if result.after else None, result.facts)
        result.reasons.extend(answer.reasons)
    return result
