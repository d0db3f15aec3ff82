# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check one resource's kind, parameters and attached check against config/kinds.py.

Plain Python, used by the node-side modules before they touch anything.
Messages name the resource and the field.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import CHECK_KINDS, KINDS, REPLICABLE, REQUIRED

_TYPES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}


def _type_ok(value, expected):
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def params_errors(kind, params, where):
    """Errors in ``params`` for ``kind``; ``where`` prefixes each message."""
    spec = KINDS[kind]
    errors = []
    if not isinstance(params, dict):
        return ["%s, params: must be a mapping" % where]
    for key in sorted(set(params) - set(spec["params"]), key=str):
        errors.append("%s, params.%s: unknown key for kind %s (known: %s)" % (
            where, key, kind, ", ".join(sorted(spec["params"]))))
    for key, (expected, default) in spec["params"].items():
        value = params.get(key)
        if value is None:
            if default is REQUIRED:
                errors.append("%s, params.%s: required for kind %s" % (where, key, kind))
        elif not _type_ok(value, expected):
            errors.append("%s, params.%s: must be %s, not %r" % (where, key, _TYPES[expected], value))
    for group in spec.get("one_of", []):
        given = [k for k in group if params.get(k) is not None]
        if len(given) != 1:
            errors.append("%s, params: exactly one of %s is required (got %s)" % (
                where, ", ".join(group), ", ".join(given) or "none"))
    return errors


def check_errors(check, where):
    """Errors in a resource's attached ``check`` mapping."""
    if check is None:
        return []
    if not isinstance(check, dict):
        return ["%s, check: must be a mapping" % where]
    errors = []
    for key in sorted(set(check) - set(CHECK_KINDS) - {"interval", "timeout", "confirm"}, key=str):
        errors.append("%s, check.%s: unknown key (known: interval, timeout, confirm, %s)"
                      % (where, key, ", ".join(CHECK_KINDS)))
    endpoints = [k for k in CHECK_KINDS if check.get(k) is not None]
    if len(endpoints) > 1:
        errors.append("%s, check: give one of %s, not both" % (where, " or ".join(CHECK_KINDS)))
    for kind in endpoints:
        errors += params_errors(kind, check[kind], "%s, check.%s" % (where, kind))
    return errors


def resource_errors(resource, where=None):
    """All errors of one resource ``{name, kind, params, check}``."""
    where = where or "resource %r" % resource.get("name")
    kind = resource.get("kind")
    if kind not in KINDS:
        return ["%s, kind: unknown kind %r (known: %s)" % (where, kind, ", ".join(sorted(KINDS)))]
    return (params_errors(kind, resource.get("params") or {}, where) + check_errors(resource.get("check"), where)
            + replication_errors(kind, resource.get("params") or {}, resource.get("replicated"), where))


def replication_errors(kind, params, replicated, where):
    """Errors of a replicated resource: its kind must be replicable, with the parameters it needs then."""
    if not replicated:
        return []
    if kind not in REPLICABLE:
        return ["%s, replicated: kind %s cannot be replicated (kinds that can: %s)" % (where, kind, ", ".join(REPLICABLE))]
    if not isinstance(params, dict):
        return []
    return ["%s, params.%s: required for kind %s when replicated is true" % (where, key, kind)
            for key in KINDS[kind]["replication"] if params.get(key) is None]
