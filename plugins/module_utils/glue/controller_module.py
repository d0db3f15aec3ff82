# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules whose code runs on the controller (plan, validate_cluster, ledger,
hierarchy_lock, and the vCenter modules of a failover: hierarchy_state,
vm_health_info, fence, fence_node, watcher_lease): each module file keeps
``ARGUMENT_SPEC`` (and ``SPEC_RULES``, the AnsibleModule keywords such as
``required_if``, where it has any) and ``run(params, check_mode, diff)``,
which returns the result (``warnings`` a list, ``failed`` set to fail) or
raises a VigilError. ``serve()`` runs it as a module; the action plugin of
the same name runs it inside ansible-playbook instead (plugins/plugin_utils/
in_process.py), which spares a Python start per task on the failover path.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import fail


class ModuleFailure(VigilError):
    """The module fails with ``message`` and the result fields given (a check of the module's own)."""


def serve(module, run):
    """Run ``run`` with the module's parameters and exit the module; any VigilError fails it."""
    try:
        result = run(module.params, module.check_mode, module._diff)  # pylint: disable=protected-access
    except VigilError as exc:
        fail(module, exc)
    for warning in result.pop("warnings", None) or []:
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
