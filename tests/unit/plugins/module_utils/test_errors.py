# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One error root (errors.py) and one wording of a module's failure (glue/failures.py)."""
from __future__ import annotations

import importlib
import inspect
import os

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError, VigilError
from ansible_collections.vigil.ha.plugins.module_utils.config.validation import ConfigError
from ansible_collections.vigil.ha.plugins.module_utils.fencing.levels import LevelFailed, NotFenced
from ansible_collections.vigil.ha.plugins.module_utils.fencing.vcenter import FenceError
from ansible_collections.vigil.ha.plugins.module_utils.glue.failures import failure
from ansible_collections.vigil.ha.plugins.module_utils.state.lock import LockBusy
from ansible_collections.vigil.ha.plugins.module_utils.state.store import StaleGenerationError
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereNotFoundError

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGINS = os.path.join(HERE, "..", "..", "..", "..", "plugins")
SKIP = ("vsphere/client.py", "vsphere/vm_operations.py", "vsphere/annotations.py")  # pyVmomi: no own errors


def collection_modules():
    for folder in ("module_utils", "modules"):
        for root, dummy, names in os.walk(os.path.join(PLUGINS, folder)):
            for name in sorted(names):
                rel = os.path.relpath(os.path.join(root, name), PLUGINS).replace(os.sep, "/")
                if name.endswith(".py") and name != "__init__.py" and not rel.endswith(SKIP):
                    yield "ansible_collections.vigil.ha.plugins." + rel[:-3].replace("/", ".")


@pytest.mark.parametrize("name", list(collection_modules()))
def test_every_error_of_the_collection_derives_from_the_root(name):
    module = importlib.import_module(name)
    own = [cls for dummy, cls in inspect.getmembers(module, inspect.isclass)
           if issubclass(cls, BaseException) and cls.__module__ == module.__name__]
    assert [cls.__name__ for cls in own if not issubclass(cls, VigilError)] == []


@pytest.mark.parametrize("error, expected", [
    (VigilError("boom"), {"msg": "boom"}),
    (InputError("port: must be a number", field="port"), {"msg": "port: must be a number", "error": "invalid",
                                                          "field": "port"}),
    (ConfigError(["a: bad", "b: worse"]), {"msg": "cluster configuration refused (2 errors): a: bad; b: worse",
                                           "error": "config", "errors": ["a: bad", "b: worse"]}),
    (VsphereNotFoundError("VM not found: names=ghost"), {"msg": "VM not found: names=ghost", "error": "not_found"}),
    (StaleGenerationError("stale", current={"generation": 3}),
     {"msg": "stale", "error": "stale", "current": {"generation": 3}}),
    (FenceError("cannot fence node1", error="connection"), {"msg": "cannot fence node1", "error": "connection",
                                                            "fenced": False}),
    (NotFenced("node1 not fenced", [{"level": 1}]),
     {"msg": "node1 not fenced", "error": "not_fenced", "attempts": [{"level": 1}]}),
    (LockBusy("locked by run-a", {"token": "secret"}), {"msg": "locked by run-a", "error": "busy"}),
])
def test_one_wording_of_a_failure(error, expected):
    assert failure(error) == expected


def test_the_errors_fields_win_over_the_modules_usual_ones():
    base = {"changed": False, "fenced": False, "attempts": [], "name": "node1"}
    out = failure(NotFenced("no level fenced node1", [{"level": 1}]), base)
    assert out == {"changed": False, "fenced": False, "attempts": [{"level": 1}], "name": "node1",
                   "msg": "no level fenced node1", "error": "not_fenced"}
    assert base["attempts"] == []


def test_an_error_that_is_not_ours_is_a_bug_with_its_traceback():
    try:
        raise KeyError("x")
    except KeyError as exc:
        out = failure(exc, {"changed": False})  # inside the handler: where the traceback is
        assert out["msg"] == "unexpected error: 'x'" and out["changed"] is False and "KeyError" in out["exception"]


def test_value_errors_stay_value_errors_where_callers_catch_those():
    assert issubclass(ConfigError, ValueError) and issubclass(InputError, ValueError)
    assert str(ConfigError(["a: bad"])) == "a: bad"  # the one-line reasons; summary() is the failure's wording


def test_added_fields_do_not_override_the_errors_own():
    error = LevelFailed("vCenter: no", done=["a"]).add_fields(done=[], changed=False)
    assert error.seen == {"done": ["a"], "changed": False}
