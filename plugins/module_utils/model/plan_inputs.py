# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the planner decides from, besides the hierarchy: one object.

The module vigil.ha.plan builds it once from its options (the same names),
``make_plan`` takes it; the meaning of each input is in ``make_plan``'s
docstring (model/plan.py). Plain Python: a class with slots rather than a
dataclass, like the rest of module_utils.
"""

from __future__ import annotations

# name -> value when not given
DEFAULTS = (
    ("owner", None),
    ("generation", 0),
    ("expected_generation", None),
    ("states", None),
    ("node_health", None),
    ("vcenter_reachable", True),
    ("target", None),
    ("resource", None),
    ("failed_node", None),
    ("failovers_used", 0),
    ("recoveries_used", None),
    ("confirmed", False),
    ("maintenance", False),
    ("force", False),
    # replicated resources (docs/replication.md): {node: {resource: {"position": int, "lag": int or None}}}
    ("replication", None),
    ("accept_lag", False),  # an operator accepts promoting a replica further behind than policy.max_lag
)
NAMES = tuple(name for name, dummy in DEFAULTS)


class PlanInputs(object):
    """``action`` and the inputs of ``DEFAULTS``, each an attribute."""

    __slots__ = ("action",) + NAMES

    def __init__(self, action, **given):
        unknown = sorted(set(given) - set(NAMES))
        if unknown:
            raise TypeError("unknown planner inputs: %s" % ", ".join(unknown))
        self.action = action
        for name, default in DEFAULTS:
            setattr(self, name, given.get(name, default))

    @classmethod
    def from_params(cls, params, **given):
        """From a module's parameters (``action`` and any of the inputs' names); ``given`` wins."""
        values = dict((name, params[name]) for name in NAMES if name in params)
        values.update(given)
        return cls(params["action"], **values)

    def to_dict(self):
        return dict((name, getattr(self, name)) for name in ("action",) + NAMES)

    def __repr__(self):
        return "PlanInputs(%r)" % self.to_dict()
