# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every vCenter module shares: options, the client, error reporting.

Paired with the doc fragment ``vigil.ha.vcenter``. Modules stay thin: they
build an ``AnsibleModule`` from ``vcenter_argument_spec()``, then call
``run(module, func)`` with a function of the client.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import HAS_PYVMOMI, PYVMOMI_IMPORT_ERROR, VsphereClient
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError


def vcenter_argument_spec():
    """Connection options shared by every module that talks to vCenter."""
    return dict(
        hostname=dict(type="str", required=True, fallback=(env_fallback, ["VMWARE_HOST"])),
        username=dict(type="str", required=True, aliases=["user"], fallback=(env_fallback, ["VMWARE_USER"])),
        password=dict(type="str", required=True, aliases=["pass", "pwd"], no_log=True,
                      fallback=(env_fallback, ["VMWARE_PASSWORD"])),
        port=dict(type="int", default=443, fallback=(env_fallback, ["VMWARE_PORT"])),
        validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["VMWARE_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(env_fallback, ["VMWARE_CA_PATH"])),
        timeout=dict(type="int", default=30),
    )


def client_from_module(module):
    """A not yet connected client built from the module's connection options."""
    p = module.params
    if p["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, not %s" % p["timeout"])
    return VsphereClient(
        hostname=p["hostname"], username=p["username"], password=p["password"], port=p["port"],
        validate_certs=p["validate_certs"], ca_path=p["ca_path"], timeout=p["timeout"],
    )


def run(module, func, base=None, translate=None):
    """Call ``func(client)`` in one session and exit the module with its result.

    Typed client errors become ``fail_json`` with ``error`` set to the kind
    (connection, certificate, authentication, not_found, timeout, ...).
    ``base`` is merged into every failure (fields a module always returns,
    such as ``fenced: false``); ``translate(exc)`` may turn any error into
    the failure's fields instead. A result with ``failed`` set fails.
    """
    base = dict(base or {})
    if not HAS_PYVMOMI:
        module.fail_json(msg=missing_required_lib("pyVmomi"), exception=str(PYVMOMI_IMPORT_ERROR), **base)
    try:
        with client_from_module(module) as client:
            result = func(client)
    except Exception as exc:  # pylint: disable=broad-except
        if translate is not None:
            failure = translate(exc)
        elif isinstance(exc, VsphereError):
            failure = exc.to_dict()
        else:
            failure = dict(msg="unexpected error: %s" % exc, exception=traceback.format_exc())
        module.fail_json(**dict(base, **failure))
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
