# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input: credentials, certificates, every bad configuration of the
validator's table (tests/unit/plugins/module_utils/config/test_validation.py)."""
from __future__ import annotations

import importlib.util
import json
import os
import secrets

from lab import nodes
from lab.paths import REPO
from target import PRIMARY, STANDBY
from scenario import scenario
from scenarios.common import generation, moved, serves, unchanged


def vars_file(ctx, name, **change):
    """The lab's vCenter variables with some changed (mode 0600)."""
    values = dict(ctx.lab.vars, **change)
    return write_json(ctx, name, values)


def write_json(ctx, name, data):
    """A file of the scenario's directory (mode 0600: it may hold a password)."""
    path = os.path.join(ctx.dir, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    return path


@scenario("wrong_and_rotated_credentials", budget=120,
          fault="a switchover runs with a wrong vCenter password (a canary), then with the password as rotated",
          expect="wrong: refused naming the login, nothing changed, the canary appears nowhere; rotated: it works")
def wrong_and_rotated_credentials(ctx):
    """A bad credential stops a run before anything changes and is never
    echoed (the secrets audit looks for it everywhere). The lab's vCenter
    cannot change its password while it runs, so a rotation is the
    controller's side of it: the old value fails, the new one works."""
    gen, dummy = generation(ctx)
    canary = "Canary-" + secrets.token_urlsafe(12)
    ctx.canaries.append(canary)
    ctx.start_clock()
    run = ctx.playbook("switchover", "-e", "target=" + STANDBY,
                       vcenter_vars=vars_file(ctx, "old-vcenter.json", vcenter_password=canary))
    ctx.expect(run.rc != 0 and "wrong username or password" in run.text, "not refused for the login: "
               + run.text[-300:])
    unchanged(ctx, gen)
    run = ctx.playbook("switchover", "-e", "target=" + STANDBY, vcenter_vars=vars_file(ctx, "rotated.json"))
    moved(ctx, run, STANDBY, gen + 1)
    serves(ctx, STANDBY)


@scenario("untrusted_certificate", budget=60, fast=True,
          fault="the controller trusts another CA than the one that signed vCenter's certificate",
          expect="refused: untrusted certificate, nothing changed")
def untrusted_certificate(ctx):
    """TLS is verified: a vCenter that cannot prove who it is gets no
    password and no command."""
    gen, dummy = generation(ctx)
    run = ctx.playbook("switchover", "-e", "target=" + STANDBY, vcenter_vars=vars_file(
        ctx, "rogue.json", vcenter_ca_path=ctx.lab.vars["lab_rogue_ca_path"]))
    ctx.expect(run.rc != 0 and "untrusted certificate" in run.text, "not refused for the certificate: "
               + run.text[-300:])
    unchanged(ctx, gen)
    serves(ctx, PRIMARY)


def validator_table():
    path = os.path.join(REPO, "tests", "unit", "plugins", "module_utils", "test_validation.py")
    spec = importlib.util.spec_from_file_location("vigil_validation_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bad_inventory(ctx, table, case, change):
    """The table's base cluster with one breakage, as an inventory whose guest
    nodes are the lab's node1 and node2 (so a run that got past validation
    could reach them and the lab's vCenter)."""
    node_defs, hierarchies = table.base()
    change(node_defs, hierarchies)
    hosts = {}
    for name, node in node_defs.items():
        host = {"vigil_ha_node": node}
        if name in ("node1", "node2"):
            host["ansible_host"] = nodes.node_named(name).address
        hosts[name] = host
    inventory = {"vigil_ha_cluster": {"hosts": hosts, "vars": {"vigil_ha_hierarchies": hierarchies}}}
    return write_json(ctx, "bad-%s.json" % case.replace(" ", "-"), inventory)


@scenario("bad_configuration", budget=600, lab_cluster=True,
          fault="every bad configuration of the validator's table, each given to a switchover of web",
          expect="each refused before anything runs, with the exact message naming the field; nothing changed")
def bad_configuration(ctx):
    """Bad configuration is refused before any observation or step, with a
    message naming hierarchy, resource and field, for every case the
    validator knows (the table is shared with its unit test)."""
    table = validator_table()
    gen, dummy = generation(ctx)
    ctx.start_clock()
    cases = list(table.BAD)
    wrong = []
    for i in range(0, len(cases), 4):   # four runs at a time
        batch = [(case, expected, ctx.start_playbook("switchover", "-e", "target=node2",
                                                     inventory=bad_inventory(ctx, table, case, change))[1])
                 for case, change, expected in cases[i:i + 4]]
        for case, expected, wait in batch:
            run = wait()
            text = run.out.replace("\\'", "'").replace("''", "'")
            missing = [e for e in expected if e not in text]
            if run.rc == 0 or missing or "TASK [Observe" in run.out or "TASK [Read owner" in run.out:
                wrong.append("%s: rc=%s, missing %s" % (case, run.rc, missing))
    ctx.note("%d bad configurations refused" % (len(cases) - len(wrong)))
    ctx.expect(not wrong, "%d of %d not refused as expected: %s" % (len(wrong), len(cases), "; ".join(wrong[:3])))
    unchanged(ctx, gen)
    serves(ctx, PRIMARY)
