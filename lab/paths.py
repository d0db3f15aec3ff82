# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the lab lives: the repository, the lab's state (.lab/ or
$VIGIL_LAB_DIR), the virtualenv the collection's tools run from."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(REPO, "lab")
LAB_ROOT = os.environ.get("VIGIL_LAB_DIR", os.path.join(REPO, ".lab"))
VENV_BIN = os.path.join(REPO, ".venv", "bin")
VENV_PYTHON = os.path.join(VENV_BIN, "python")


def lab_dir(name="default"):
    """A running lab's directory: vcenter.json, its inventories, its state."""
    return os.path.join(LAB_ROOT, name)


def module_argv(python, module, *args):
    """argv that runs one of the lab's programs (``python -m lab.X``): the
    processes the lab starts get the repository on PYTHONPATH (``lab_env``)."""
    return [python, "-m", module] + list(args)


def lab_env(env=None):
    """The environment for a process the lab starts (the simulator and its
    power hook, the BMCs): the repository on PYTHONPATH, so ``-m lab.X`` works
    from any directory."""
    env = dict(os.environ if env is None else env)
    path = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != REPO]
    env["PYTHONPATH"] = os.pathsep.join([REPO] + path)
    return env
