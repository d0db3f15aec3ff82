# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every vCenter module shares: options, the client, error reporting.

Paired with the doc fragment ``vigil.ha.vcenter``. Modules stay thin: they
build an ``AnsibleModule`` from ``vcenter_argument_spec()``, then call
``run(module, func)`` with a function of the client.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.vigil.ha.plugins.module_utils.vsphere import connection
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import HAS_PYVMOMI, PYVMOMI_IMPORT_ERROR, VsphereClient
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereError
from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import fail, failure
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StateStore
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.annotations import RootAnnotations


def vcenter_argument_spec():
    """Connection options shared by every module that talks to vCenter (the table of vsphere/connection.py)."""
    spec = {}
    for name, kind, env, default, required in connection.OPTIONS:
        option = dict(type=kind)
        if required:
            option["required"] = True
        if default is not None:
            option["default"] = default
        if name in connection.ALIASES:
            option["aliases"] = list(connection.ALIASES[name])
        if name in connection.SECRETS:
            option["no_log"] = True
        if env:
            option["fallback"] = (env_fallback, [env])
        spec[name] = option
    return spec


def optional_vcenter_argument_spec():
    """The same options, none required: for controller modules that use vCenter only when given one
    (doc fragment vigil.ha.vcenter.optional)."""
    spec = vcenter_argument_spec()
    for option in spec.values():
        option.pop("required", None)
    return spec


def vcenter_given(p):
    return bool(p.get("hostname"))


def client_from_params(p):
    """A not yet connected client from validated parameters (the controller modules' ``run(p)``)."""
    if not HAS_PYVMOMI:
        raise VsphereError("%s (%s)" % (missing_required_lib("pyVmomi"), PYVMOMI_IMPORT_ERROR))
    for name in connection.REQUIRED:
        if not p.get(name):
            raise InputError("%s: required to reach vCenter (hostname, username, password)" % name, field=name)
    if p["timeout"] <= 0:
        raise InputError("timeout must be a positive number of seconds, not %s" % p["timeout"], field="timeout")
    return VsphereClient(
        hostname=p["hostname"], username=p["username"], password=p["password"], port=p["port"],
        validate_certs=p["validate_certs"], ca_path=p["ca_path"], timeout=p["timeout"],
    )


def step_generation_spec():
    """The options of a step that names its generation (doc fragment vigil.ha.hierarchy.generation)."""
    return dict(hierarchy=dict(type="str"), expected_generation=dict(type="int"))


def call(p, func, base=None, translate=None):
    """``func(client)`` in one session, for a module's ``run(p, ...)`` (glue/controller_module.py).

    As ``run()`` below: any error becomes the failure's fields (``base``
    merged in, ``translate(exc)`` first where given), returned with
    ``failed`` set; ``func``'s own result may set ``failed`` too.
    """
    try:
        with client_from_params(p) as client:
            return func(client)
    except Exception as exc:  # pylint: disable=broad-except
        return dict(failure(exc if translate is None else translate(exc), base), failed=True)


def require_step_generation(p, client):
    """Refuse a step whose generation vCenter no longer holds (state/store.py StateStore.require)."""
    if p.get("expected_generation") is not None:
        if not p.get("hierarchy"):
            raise InputError("hierarchy: required with expected_generation", field="hierarchy")
        StateStore(RootAnnotations(client)).require(p["hierarchy"], p["expected_generation"])


def client_from_module(module):
    """A not yet connected client built from the module's connection options."""
    p = module.params
    if p["timeout"] <= 0:
        fail(module, InputError("timeout must be a positive number of seconds, not %s" % p["timeout"], field="timeout"))
    return VsphereClient(
        hostname=p["hostname"], username=p["username"], password=p["password"], port=p["port"],
        validate_certs=p["validate_certs"], ca_path=p["ca_path"], timeout=p["timeout"],
    )


def run(module, func, base=None, translate=None):
    """Call ``func(client)`` in one session and exit the module with its result.

    Errors fail the module through glue/failures.py: a client error with
    ``error`` set to its kind (connection, certificate, authentication,
    not_found, timeout, ...). ``base`` is merged into every failure (fields a
    module always returns, such as ``fenced: false``); ``translate(exc)`` may
    turn any error into another VigilError first. A result with ``failed``
    set fails.
    """
    base = dict(base or {})
    if not HAS_PYVMOMI:
        module.fail_json(msg=missing_required_lib("pyVmomi"), exception=str(PYVMOMI_IMPORT_ERROR), **base)
    try:
        with client_from_module(module) as client:
            result = func(client)
    except Exception as exc:  # pylint: disable=broad-except
        fail(module, exc if translate is None else translate(exc), base)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
