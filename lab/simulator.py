# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vCenter simulator (lab/vcsim, govmomi's): built from source, its PKI and
password, the state file of a running one."""
import json
import os
import secrets
import subprocess

from lab.paths import HERE, LAB_ROOT, lab_dir
from lab.procs import alive

GO_SRC = os.path.join(HERE, "vcsim")
BINARY = os.path.join(LAB_ROOT, "bin", "vigil-vcsim")
GOPATH = "/usr/share/gocode"
USERNAME = "administrator@vsphere.local"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build():
    """Build the simulator when its sources are newer than the binary."""
    sources = [os.path.join(GO_SRC, f) for f in os.listdir(GO_SRC) if f.endswith(".go")]
    if os.path.exists(BINARY) and os.path.getmtime(BINARY) >= max(map(os.path.getmtime, sources)):
        return BINARY
    os.makedirs(os.path.dirname(BINARY), exist_ok=True)
    env = dict(os.environ, GOPATH=GOPATH, GO111MODULE="off", GOFLAGS="", GOCACHE=os.path.join(LAB_ROOT, "go-cache"))
    run(["go", "build", "-o", BINARY + ".tmp", "."], cwd=GO_SRC, env=env)
    os.replace(BINARY + ".tmp", BINARY)
    return BINARY


def pki():
    """A lab CA, a server certificate it signs, and an unrelated CA for refusal tests."""
    d = os.path.join(LAB_ROOT, "pki")
    if os.path.exists(os.path.join(d, "server.pem")):
        return d
    os.makedirs(d, exist_ok=True)
    for ca in ("ca", "rogue-ca"):
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
             "-subj", "/CN=vigil.ha lab %s" % ca, "-keyout", os.path.join(d, ca + ".key"),
             "-out", os.path.join(d, ca + ".pem")], capture_output=True)
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", os.path.join(d, "server.key"), "-out", os.path.join(d, "server.csr")], capture_output=True)
    run(["openssl", "x509", "-req", "-in", os.path.join(d, "server.csr"), "-days", "3650",
         "-CA", os.path.join(d, "ca.pem"), "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial",
         "-extfile", ext, "-out", os.path.join(d, "server.pem")], capture_output=True)
    return d


def password():
    path = os.path.join(LAB_ROOT, "password")
    if not os.path.exists(path):
        os.makedirs(LAB_ROOT, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("Vigil-" + secrets.token_urlsafe(12))
    with open(path) as f:
        return f.read().strip()


def read_state(name):
    try:
        with open(os.path.join(lab_dir(name), "state.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def running(name):
    state = read_state(name)
    if state and alive(state["pid"]):
        return state
    return None
