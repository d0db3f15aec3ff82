# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where an error becomes a module's failure, in one wording.

A VigilError fails with its ``msg`` (its ``summary()``), its ``error`` (its
kind, where it has one) and its details (``field`` and the like); anything
else is a bug, said as ``unexpected error`` with its traceback. ``base``
holds the fields a module always returns (``fenced: false``, ...); the
error's own fields win over them.
"""

from __future__ import annotations

import traceback

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError


def failure(exc, base=None):
    """The failure's result fields for ``exc``."""
    if isinstance(exc, VigilError):
        return dict(base or {}, **exc.to_dict())
    return dict(base or {}, msg="unexpected error: %s" % exc, exception=traceback.format_exc())


def fail(module, exc, base=None):
    """Fail ``module`` (an AnsibleModule) with ``exc``."""
    module.fail_json(**failure(exc, base))
