# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers of plugins/module_utils keep to their imports (docs/architecture.md),
so that the layout cannot rot: pyVmomi only in vsphere/, ansible only in glue/,
decisions (config, model) free of vCenter and Ansible."""
from __future__ import annotations

import ast
import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_UTILS = os.path.join(HERE, "..", "..", "..", "..", "plugins", "module_utils")
PREFIX = "ansible_collections.vigil.ha.plugins.module_utils."
ERRORS = "vsphere.errors"  # typed errors: plain Python, raised and caught in every layer
# errors.py, outside the layers: the root every error derives from (VigilError); every layer may import it,
# and it imports nothing of the collection.
ROOT = "errors"

# layer -> what of module_utils it may import besides itself (a layer, or layer.module)
ALLOWED = {
    "vsphere": set(),
    "config": {"model", "fencing"},  # validation builds the model; the fence agents' option rules
    "model": {"config", "kits"},  # kits.base: the resource states
    "fencing": {ERRORS},
    "state": {"config", "kits", ERRORS},
    "health": {"config", "model", "fencing", "state", "kits", ERRORS},
    "kits": {"config", "health", ERRORS},  # the vm kit judges a VM with the health verdicts
    "notify": set(),  # the notifications: the standard library only
    "glue": {"vsphere", "config", "model", "fencing", "health", "state", "kits"},
}
# The event source's engine holds its own vCenter link (the rulebook gives it no module).
EXCEPTIONS = {("health/source.py", "vsphere.annotations")}
OUTSIDE = {"pyVmomi": "vsphere", "pyVim": "vsphere", "ansible": "glue"}


def files():
    for root, dummy, names in os.walk(MODULE_UTILS):
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                yield os.path.relpath(path, MODULE_UTILS).replace(os.sep, "/"), path


def imports(path):
    """Absolute module names imported by a file (relative ones resolved within its package)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module + "." == PREFIX:  # from ...module_utils import layer
                for alias in node.names:
                    yield PREFIX + alias.name
            else:
                yield node.module


def test_every_file_is_in_a_layer():
    loose = [rel for rel, dummy in files() if "/" not in rel and rel not in ("__init__.py", ROOT + ".py")]
    assert loose == [], "put these in a layer folder: %s" % loose
    layers = set(rel.split("/")[0] for rel, dummy in files() if "/" in rel)
    assert layers == set(ALLOWED), "a new layer needs its rules here: %s" % (layers ^ set(ALLOWED))


def violations(rel, path):
    """What the file at ``rel`` (its place under module_utils) imports that its layer may not."""
    layer = rel.split("/")[0]
    if rel == ROOT + ".py":
        return [name for name in imports(path) if name.startswith(PREFIX) or name.split(".")[0] in OUTSIDE]
    wrong = []
    for name in imports(path):
        top = name.split(".")[0]
        if top in OUTSIDE and OUTSIDE[top] != layer:
            wrong.append("%s (only %s/ imports %s)" % (name, OUTSIDE[top], top))
        if not name.startswith(PREFIX):
            continue
        target = name[len(PREFIX):]
        if target == ROOT:
            continue
        module = ".".join(target.split(".")[:2])
        if target.split(".")[0] == layer or (rel, module) in EXCEPTIONS:
            continue
        if target.split(".")[0] not in ALLOWED[layer] and module not in ALLOWED[layer]:
            wrong.append(target)
    return wrong


@pytest.mark.parametrize("rel,path", list(files()))
def test_a_layer_imports_only_what_it_may(rel, path):
    assert violations(rel, path) == [], "%s may not import these" % rel


def test_a_model_file_importing_pyvmomi_or_the_glue_is_caught(tmp_path):
    bad = tmp_path / "plan.py"
    bad.write_text("from pyVmomi import vim\nfrom %sglue.vcenter_module import x\n"
                   "from %svsphere.errors import VsphereError\n" % (PREFIX, PREFIX))
    assert violations("model/plan.py", str(bad)) == [
        "pyVmomi (only vsphere/ imports pyVmomi)", "glue.vcenter_module", "vsphere.errors"]
    assert violations("glue/x.py", str(bad)) == ["pyVmomi (only vsphere/ imports pyVmomi)"]


def test_the_error_root_is_importable_everywhere_and_imports_nothing(tmp_path):
    user = tmp_path / "plan.py"
    user.write_text("from %serrors import VigilError\n" % PREFIX)
    assert violations("model/plan.py", str(user)) == []
    root = tmp_path / "errors.py"
    root.write_text("from %smodel.plan import Plan\nimport ansible\n" % PREFIX)
    assert violations("errors.py", str(root)) == [PREFIX + "model.plan", "ansible"]
