"""The execution and decision environments (extensions/environments) as ansible-builder makes their build context.

As a user builds them: from the collection's tarball (``ansible-galaxy collection build``),
unpacked, with the tarball put next to the definitions. ``ansible-builder create`` writes the
Containerfile and the files it copies; no container engine is needed. The builder stage of
the image is then replayed here: the context's requirements.yml installs the collection with
ansible-galaxy, and ansible-builder's own introspect script computes, from the installed
collection and the context's files, the Python and system packages the image gets.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from bindep.depends import Depends

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"


def pins(path):
    """name -> 'name==version' of a pip requirements file's pinned lines."""
    found = {}
    for line in Path(path).read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==\S+", line.strip())
        if m:
            found[m.group(1).lower()] = m.group(0)
    return found


def rpm_packages(bindep_text):
    """The packages bindep installs from this file on the images' CentOS Stream 9 (the default profile)."""
    rules = Depends(bindep_text).active_rules(["default", "platform:rpm", "platform:redhat", "platform:centos"])
    return sorted({rule[0] for rule in rules})


def run(cmd, env_extra=None, **kwargs):
    # The collection as a user has it: no repository ansible.cfg, no collections path of ours
    # (with `make`'s PYTHONPATH, ansible-galaxy finds the checkout and installs nothing).
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "PYTHONPATH")}
    env.update(PATH=f"{BIN}:{os.environ['PATH']}", **(env_extra or {}))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False, **kwargs)
    assert done.returncode == 0, f"{cmd} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The collection unpacked from the tarball ansible-galaxy builds, the tarball next to its definitions."""
    work = tmp_path_factory.mktemp("environments")
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(work), str(ROOT)])
    collection = work / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    collection.mkdir(parents=True)
    with tarfile.open(work / TARBALL) as tar:
        tar.extractall(collection, filter="data")
    shutil.copy(work / TARBALL, collection / "extensions" / "environments")
    return collection


def create(collection, definition, dest):
    """ansible-builder create on a shipped definition: the context's directory."""
    context = dest / definition.replace(".yml", "")
    done = run([str(BIN / "ansible-builder"), "create", "-f", str(collection / "extensions" / "environments" / definition),
                "-c", str(context), "--output-filename", "Containerfile"])
    # A source glob that matched nothing (the tarball) is only a warning to ansible-builder.
    assert "No matches" not in done.stdout + done.stderr
    return context


def builder_stage(context, tmp_path):
    """What the image's galaxy and builder stages compute: the collection installed, then introspect.py."""
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    # The Containerfile copies _build/ to /build; the same paths under the context here.
    for item in requirements["collections"]:
        item["name"] = item["name"].replace("/build/collections/vigil-ha.tar.gz", str(next((context / "_build" / "collections").glob("vigil-ha-*.tar.gz"))))
    (tmp_path / "requirements.yml").write_text(yaml.safe_dump(requirements))
    collections = tmp_path / "collections"
    run([str(BIN / "ansible-galaxy"), "collection", "install", "-r", str(tmp_path / "requirements.yml"), "-p", str(collections)],
        # As in the image: only the collections path being filled, where nothing is installed yet.
        env_extra={"ANSIBLE_COLLECTIONS_PATH": str(collections)})
    args = [str(BIN / "python"), str(context / "_build" / "scripts" / "introspect.py"), "introspect", str(collections),
            "--write-pip", str(tmp_path / "pip.txt"), "--write-bindep", str(tmp_path / "bindep.txt")]
    if (context / "_build" / "requirements.txt").exists():
        args.append(f"--user-pip={context / '_build' / 'requirements.txt'}")
    if (context / "_build" / "bindep.txt").exists():
        args.append(f"--user-bindep={context / '_build' / 'bindep.txt'}")
    run(args)
    installed = collections / "ansible_collections" / "vigil" / "ha"
    return installed, (tmp_path / "pip.txt").read_text(), (tmp_path / "bindep.txt").read_text()


def common_checks(context):
    containerfile = (context / "Containerfile").read_text()
    dev = pins(ROOT / "requirements-dev.txt")
    # The ansible-core the collection is tested with, on the Python 3.11 it needs.
    assert f'ARG ANSIBLE_INSTALL_REFS="{dev["ansible-core"]} ansible-runner==' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    # The tarball shipped into the context is this collection at galaxy.yml's version.
    tarballs = list((context / "_build" / "collections").glob("*.tar.gz"))
    assert [t.name for t in tarballs] == [TARBALL]
    with tarfile.open(tarballs[0]) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])
    # The rename the requirement relies on happens before the collection is installed.
    rename = containerfile.index("mv vigil-ha-*.tar.gz vigil-ha.tar.gz")
    assert rename < containerfile.index("ansible-galaxy collection install")
    return containerfile


def test_execution_environment(shipped, tmp_path):
    context = create(shipped, "execution-environment.yml", tmp_path)
    containerfile = common_checks(context)
    # The collection's own requirement files, copied as they are.
    assert (context / "_build" / "requirements.txt").read_text() == (ROOT / "requirements.txt").read_text()
    assert (context / "_build" / "bindep.txt").read_text() == (ROOT / "bindep.txt").read_text()
    # Fencing through a BMC: the fence agents where the playbooks run.
    assert "fence-agents-ipmilan fence-agents-redfish" in containerfile

    installed, pip, bindep = builder_stage(context, tmp_path)
    assert (installed / "playbooks" / "failover.yml").is_file()
    assert re.search(r"^pyvmomi>=8\.0\.3\.0", pip, re.M), pip
    # Run-time system packages only: the [test] profile (the lab's) stays out of the image.
    assert rpm_packages(bindep) == ["openssh-clients"]


def test_decision_environment(shipped, tmp_path):
    context = create(shipped, "decision-environment.yml", tmp_path)
    containerfile = common_checks(context)
    # The versions the watcher role installs and the lab's rulebook tests run.
    watcher = pins(ROOT / "roles" / "watcher" / "files" / "requirements.txt")
    python = (context / "_build" / "requirements.txt").read_text().split()
    assert sorted(python) == sorted([watcher["ansible-rulebook"], watcher["pyvmomi"], watcher["prometheus-client"]])
    assert f'{watcher["ansible-core"]} ansible-runner==' in containerfile
    assert "java-17-openjdk-headless [platform:rpm]" in (context / "_build" / "bindep.txt").read_text()
    assert "ENV JAVA_HOME=/usr/lib/jvm/jre-17-openjdk" in containerfile
    # SIGTERM reaches the source (logout from vCenter, lease released): docs/eda.md.
    assert "ENV JAVA_TOOL_OPTIONS=-Xrs" in containerfile

    installed, pip, bindep = builder_stage(context, tmp_path)
    # What a rulebook activation names: the rulebooks and the event source.
    for rulebook in ("auto_failover.yml", "auto_failover_controller.yml"):
        assert (installed / "extensions" / "eda" / "rulebooks" / rulebook).is_file()
    assert (installed / "extensions" / "eda" / "plugins" / "event_source" / "health.py").is_file()
    assert re.search(r"^ansible-rulebook==", pip, re.M) and re.search(r"^pyvmomi", pip, re.M), pip
    assert rpm_packages(bindep) == ["java-17-openjdk-headless", "openssh-clients"]
