# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the kit modules (resource, vm_resource) share around a kit action."""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import fail
from ansible_collections.vigil.ha.plugins.module_utils.kits.base import FAILED, KitError
from ansible_collections.vigil.ha.plugins.module_utils.config.resource_args import resource_errors


def refuse_bad_resource(module, resource):
    """Fail before anything runs when the resource's kind or parameters are wrong."""
    errors = resource_errors(resource)
    if errors:
        fail(module, InputError("; ".join(errors), errors=errors))


def kit_result(module, name, action, act):
    """The result of ``act()`` (a kit action) for exit_json; a KitError fails naming the resource."""
    try:
        result = act().to_dict()
    except KitError as exc:
        fail(module, KitError("resource %s: %s failed: %s" % (name, action, exc), state=FAILED))
    if not module._diff:
        result.pop("diff", None)
    return result
