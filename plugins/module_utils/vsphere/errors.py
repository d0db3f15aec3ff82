# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors of the vSphere client.

Plain Python so that the model, modules, the event source and tests can
catch them without importing pyVmomi. Messages never carry credentials.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError


class VsphereError(VigilError):
    """Base of every error the vSphere client raises."""

    kind = "vsphere_error"


class VsphereConnectionError(VsphereError):
    """vCenter cannot be reached in time (refused, unresolvable, timed out)."""

    kind = "connection"


class VsphereCertificateError(VsphereConnectionError):
    """vCenter's TLS certificate is not trusted or does not match its name."""

    kind = "certificate"


class VsphereAuthenticationError(VsphereError):
    """vCenter refused the credentials."""

    kind = "authentication"


class VsphereNotFoundError(VsphereError):
    """A requested object does not exist."""

    kind = "not_found"


class VsphereTaskError(VsphereError):
    """A vCenter task ended in error."""

    kind = "task_failed"


class VsphereTimeoutError(VsphereError):
    """A call or a task did not finish within its time bound."""

    kind = "timeout"


class VsphereApiError(VsphereError):
    """Any other fault vCenter returned."""

    kind = "api"
