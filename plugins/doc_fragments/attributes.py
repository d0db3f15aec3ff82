# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # What the modules share of ansible.builtin.action_common_attributes; a module's
    # own attributes block says the rest (check mode and diff in its own words), and wins.
    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: all
"""

    # Modules that work on files or processes of a POSIX system (a node, or the controller's state directory).
    POSIX = r"""
attributes:
  platform:
    platforms: posix
"""

    # Modules that only read or compute.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    details: Reads or computes only; runs the same in check mode.
  diff_mode:
    support: none
"""
