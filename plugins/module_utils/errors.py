# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The root of every error the collection raises (plain Python, imports nothing).

It stands outside the layers so that every layer may derive from it; the
one place that turns an error into a module's failure is
glue/failures.py, which reads ``to_dict()``.
"""

from __future__ import annotations


class VigilError(Exception):
    """An error of the collection.

    ``message`` is what a person reads; ``kind``, where a class has one, is a
    word a playbook may test (the failure's ``error``); ``details`` are fields
    the failure carries as they are (``field`` names a bad option).
    """

    kind = None

    def __init_subclass__(cls, kind=None, **kwargs):
        # ``class StaleGenerationError(StateError, kind="stale")``: the kind on the class line.
        super(VigilError, cls).__init_subclass__(**kwargs)
        if kind is not None:
            cls.kind = kind

    def __init__(self, message, **details):
        super(VigilError, self).__init__(message)
        self.message = message
        self.details = details

    def summary(self):
        """The failure's ``msg``; a class may word it more fully than ``str()``."""
        return self.message

    def add_fields(self, **fields):
        """Fields the failure carries unless the error says them itself (a module's usual results)."""
        for key, value in fields.items():
            self.details.setdefault(key, value)
        return self

    def to_dict(self):
        out = {"error": self.kind} if self.kind else {}
        out.update(self.details)
        out["msg"] = self.summary()
        return out


class InputError(VigilError, ValueError, kind="invalid"):
    """Bad input; the message names the field. A ValueError too, for callers that catch those."""
