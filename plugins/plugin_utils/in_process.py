# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base of the action plugins that run a module of this collection whose
code runs on the controller inside ansible-playbook (see
module_utils/glue/controller_module.py): the controller-only modules and the
vCenter modules a failover calls.

A module started as a process costs about 0.4 s (Python, the AnsiballZ
payload, imports); a failover runs a dozen of these modules. On the
controller (a local connection without become, in the Python that runs
ansible-playbook) the module's ``run()`` is called here instead, with its
parameters validated by the same argument spec (and ``SPEC_RULES``) as
AnsibleModule would and passed through JSON as a module receives them.
Anywhere else (another host, become, a task environment, another Python
interpreter set for the host) the module runs as usual.
"""

from __future__ import annotations

import importlib
import json
import os
import sys

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.plugins.action import ActionBase

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import failure


class InProcessAction(ActionBase):
    """The action plugin of a module of the same name, whose file has
    ARGUMENT_SPEC and run()."""

    _supports_check_mode = True

    def _module(self):
        name = self._task.resolved_action.rsplit(".", 1)[-1]
        return importlib.import_module("ansible_collections.vigil.ha.plugins.modules." + name)

    def _runs_here(self, task_vars):
        # A task environment (environment:) is the module process's: such a task runs the module.
        environment = {}
        self._compute_environment_string(environment)
        return (self._connection.transport == "local" and not self._play_context.become and not environment
                and self._same_python(task_vars))

    def _same_python(self, task_vars):
        # A host's ansible_python_interpreter may be the one that has pyVmomi: the module runs there.
        wanted = (task_vars or {}).get("ansible_python_interpreter")
        if not wanted or not isinstance(wanted, str) or wanted.startswith("auto"):
            return True
        wanted = self._templar.template(wanted) if "{" in wanted else wanted
        return os.path.realpath(str(wanted)) == os.path.realpath(sys.executable)

    def run(self, tmp=None, task_vars=None):
        result = super(InProcessAction, self).run(tmp, task_vars)
        if not self._runs_here(task_vars):
            result.update(self._execute_module(task_vars=task_vars))
            return result
        module = self._module()
        validation = ArgumentSpecValidator(module.ARGUMENT_SPEC, **getattr(module, "SPEC_RULES", {})).validate(
            json.loads(json.dumps(dict(self._task.args))))
        if validation.error_messages:
            result.update(failed=True, msg="; ".join(validation.error_messages))
            return result
        try:
            out = module.run(validation.validated_parameters, self._task.check_mode, self._task.diff)
        except VigilError as exc:
            out = dict(failure(exc), failed=True)  # as serve() fails the module
        # As AnsibleModule does: no value of a no_log parameter in the result.
        result.update(remove_values(out, validation._no_log_values))  # pylint: disable=protected-access
        return result
