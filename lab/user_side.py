# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a user has it: built with `ansible-galaxy collection
build`, installed with `ansible-galaxy collection install` into a fresh
collections path, run without the repository's ansible.cfg, on an inventory
written from docs/configuration.md with names of the user's own (group
`prod_ha`, nodes alpha/bravo/charlie, hierarchy `shop`).

- installed_collections(): the collections path holding vigil.ha as installed
  (built once per process, under .build/user-side/<pid>/).
- user_inventory(directory, group, names, hierarchy): hosts.yml and
  group_vars/<group>.yml derived from the lab's cluster.yml.
- user_env(extra): the environment of such a run (no ansible.cfg at all).
- run_playbook(name, *args, inventory, hierarchy, cwd): ansible-playbook
  vigil.ha.<name> (or a playbook file) as a user runs it; (rc, output
  folded to one line).

The output is Ansible's default callback (JSON-ish results), not the YAML
one the repository's ansible.cfg chooses."""
from __future__ import annotations

import copy
import glob
import json
import os
import shutil
import subprocess
import tempfile

import yaml

from lab.paths import REPO, VENV_BIN, lab_dir
from lab.procs import alive
from lab.runs import state_dir

LAB = lab_dir()
USER_SIDE = os.path.join(REPO, ".build", "user-side")
DEFAULT_NAMES = {"node1": "alpha", "node2": "bravo", "node3": "charlie"}
# The lab's own SSH options minus the keepalives: those must come with the
# collection (issue 16 #2), not with the inventory the lab writes.
KEEPALIVES = ("ServerAliveInterval", "ServerAliveCountMax")
_CACHE = {}


def _scratch():
    """A temporary directory: empty.cfg (an empty Ansible configuration, so
    that no repository, home or /etc settings apply) and run/, the working
    directory of the runs (no ansible.cfg in it)."""
    if "scratch" not in _CACHE:
        d = tempfile.mkdtemp(prefix="vigil-user-side-")
        with open(os.path.join(d, "empty.cfg"), "w", encoding="utf-8"):
            pass
        os.mkdir(os.path.join(d, "run"))
        _CACHE["scratch"] = d
    return _CACHE["scratch"]


def empty_config():
    return os.path.join(_scratch(), "empty.cfg")


def _workdir():
    return os.path.join(_scratch(), "run")


def installed_collections():
    """Path of a collections directory holding vigil.ha as `ansible-galaxy
    collection install <tarball> --no-deps` leaves it (offline). Built from
    the working tree once per process (so once per pytest session)."""
    if "collections" in _CACHE:
        return _CACHE["collections"]
    os.makedirs(USER_SIDE, exist_ok=True)
    for old in glob.glob(os.path.join(USER_SIDE, "[0-9]*")):   # other runs' leftovers
        if not alive(int(os.path.basename(old))):
            shutil.rmtree(old, ignore_errors=True)
    base = os.path.join(USER_SIDE, str(os.getpid()))
    shutil.rmtree(base, ignore_errors=True)
    dist, collections = os.path.join(base, "dist"), os.path.join(base, "collections")
    env = dict(os.environ, ANSIBLE_CONFIG=empty_config(), ANSIBLE_NOCOLOR="1")
    env.pop("PYTHONPATH", None)
    galaxy = os.path.join(VENV_BIN, "ansible-galaxy")
    # VIGIL_USER_SIDE_SOURCE: another tree to build (an older checkout, to see a test fail before a fix).
    source = os.environ.get("VIGIL_USER_SIDE_SOURCE", REPO)
    for cmd in ([galaxy, "collection", "build", source, "--output-path", dist, "--force"],
                [galaxy, "collection", "install", "--no-deps", "--force", "-p", collections]):
        if cmd[2] == "install":
            cmd.insert(3, glob.glob(os.path.join(dist, "vigil-ha-*.tar.gz"))[0])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=_workdir(),
                              timeout=300, check=False)
        if proc.returncode:
            raise RuntimeError("%s failed: %s" % (" ".join(cmd), proc.stdout + proc.stderr))
    assert os.path.isfile(os.path.join(collections, "ansible_collections", "vigil", "ha", "MANIFEST.json"))
    _CACHE["collections"] = collections
    return collections


def _ssh_args(args):
    """The lab's ansible_ssh_common_args without the keepalive options."""
    words = args.split()
    out = []
    for i, word in enumerate(words):
        if any(k in word for k in KEEPALIVES) or (word == "-o" and i + 1 < len(words)
                                                  and any(k in words[i + 1] for k in KEEPALIVES)):
            continue
        out.append(word)
    return " ".join(out)


def user_inventory(directory, group="prod_ha", names=None, hierarchy="shop", data_dir=None):
    """Write hosts.yml and group_vars/<group>.yml into `directory`, the lab's
    cluster renamed: the group, the hosts (`names`, lab name -> user name;
    ansible_host and VM uuid/moref kept) and the hierarchy `web`; with
    `data_dir`, the demo application keeps its data there (one directory the
    nodes share, as the chaos suite wants). Returns the inventory directory
    (give it to -i)."""
    names = dict(DEFAULT_NAMES if names is None else names)
    with open(os.path.join(LAB, "cluster.yml"), encoding="utf-8") as f:
        cluster = yaml.safe_load(f)["vigil_ha_cluster"]
    group_vars = copy.deepcopy(cluster["vars"])
    group_vars["ansible_ssh_common_args"] = _ssh_args(group_vars.get("ansible_ssh_common_args", ""))
    for h in group_vars.get("vigil_ha_hierarchies", []):
        if h["name"] == "web":
            h["name"] = hierarchy
            for r in h["resources"]:
                if data_dir and "--data-dir" in r.get("params", {}).get("command", ""):
                    r["params"]["command"] = r["params"]["command"].split("--data-dir")[0] + "--data-dir " + data_dir
        for n in h.get("nodes", []):
            n["node"] = names.get(n["node"], n["node"])
    hosts = dict((names.get(n, n), v) for n, v in cluster["hosts"].items())
    os.makedirs(os.path.join(directory, "group_vars"), exist_ok=True)
    with open(os.path.join(directory, "hosts.yml"), "w", encoding="utf-8") as f:
        f.write("# A vigil.ha cluster as a user writes it (docs/configuration.md).\n")
        yaml.safe_dump({group: {"hosts": hosts}}, f, sort_keys=False)
    with open(os.path.join(directory, "group_vars", group + ".yml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(group_vars, f, sort_keys=False)
    return str(directory)


def inventory_group(inventory):
    """The (single) top-level group of an inventory written by user_inventory."""
    with open(os.path.join(inventory, "hosts.yml"), encoding="utf-8") as f:
        return next(iter(yaml.safe_load(f)))


def user_env(extra=None):
    """Environment of a user's run: an empty ansible.cfg (none of the
    repository's settings), the installed collection only, the venv's tools,
    SSH control sockets of this process's own, and the state directory and
    ledger of the lab tests."""
    env = dict(os.environ, ANSIBLE_CONFIG=empty_config(),
               ANSIBLE_COLLECTIONS_PATH=installed_collections(), ANSIBLE_NOCOLOR="1",
               PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""),
               VIGIL_HA_STATE_DIR=state_dir(), VIGIL_HA_LEDGER=os.path.join(state_dir(), "ledger.jsonl"))
    # The repository's tree on PYTHONPATH would shadow the installed collection.
    env.pop("PYTHONPATH", None)
    for name in [k for k in env if k.startswith("ANSIBLE_") and k not in (
            "ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_NOCOLOR")]:
        env.pop(name)   # settings of the caller's shell are not the user's
    # SSH masters of their own: a master another run left (ControlPersist),
    # made with other options, would be reused and hide what the collection sets.
    env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = os.path.join(_scratch(), "cp")
    java = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*"))
    if not env.get("JAVA_HOME") and java:
        env["JAVA_HOME"] = java[0]   # ansible-rulebook
    env.update(extra or {})
    return env


def run_playbook(name, *args, inventory, hierarchy="shop", cwd=None, env=None, timeout=600):
    """ansible-playbook vigil.ha.<name> (or `name`, a path ending in .yml)
    -i <inventory> -e @vcenter.json
    -e vigil_ha_cluster_group=<its group> -e hierarchy=<hierarchy> *args, from
    a directory without ansible.cfg, in user_env(env). Returns (rc, output
    with whitespace folded)."""
    playbook = name if name.endswith(".yml") else "vigil.ha." + name   # or a playbook of the user's own
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), playbook, "-i", inventory,
           "-e", "@" + os.path.join(LAB, "vcenter.json"),
           "-e", "vigil_ha_cluster_group=" + inventory_group(inventory)]
    if hierarchy:
        cmd += ["-e", "hierarchy=" + hierarchy]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, env=user_env(env),
                          cwd=cwd or _workdir(), timeout=timeout, check=False)
    return proc.returncode, " ".join((proc.stdout + proc.stderr).replace("''", "'").split())


def lab_node(name, names=None):
    """The lab's name of a user's node (alpha -> node1): what vip_answer() says."""
    return dict((v, k) for k, v in (DEFAULT_NAMES if names is None else names).items())[name]


def dump(inventory):
    """The inventory's files, for a failing assertion's message."""
    files = {}
    for path in glob.glob(os.path.join(inventory, "**", "*.yml"), recursive=True):
        with open(path, encoding="utf-8") as f:
            files[path] = f.read()
    return json.dumps(files)
