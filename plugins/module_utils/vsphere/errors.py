# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors of the vSphere client.

Plain Python so that the model, modules, the event source and tests can
catch them without importing pyVmomi. Messages never carry credentials.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError


class VsphereError(VigilError, kind="vsphere_error"):
    """Base of every error the vSphere client raises."""


class VsphereConnectionError(VsphereError, kind="connection"):
    """vCenter cannot be reached in time (refused, unresolvable, timed out)."""


class VsphereCertificateError(VsphereConnectionError, kind="certificate"):
    """vCenter's TLS certificate is not trusted or does not match its name."""


class VsphereAuthenticationError(VsphereError, kind="authentication"):
    """vCenter refused the credentials."""


class VsphereNotFoundError(VsphereError, kind="not_found"):
    """A requested object does not exist."""


class VsphereTaskError(VsphereError, kind="task_failed"):
    """A vCenter task ended in error."""


class VsphereTimeoutError(VsphereError, kind="timeout"):
    """A call or a task did not finish within its time bound."""


class VsphereApiError(VsphereError, kind="api"):
    """Any other fault vCenter returned."""
