# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's management controllers: an IPMI BMC for each ESXi host and physical node.

Usage:
  python3 -m lab.bmc serve [--name NAME] [--physical a,b]   serve the BMCs of a running lab (python3 -m lab start runs it)

One process serves every host of lab NAME, each BMC on 127.0.0.1 with a UDP
port of its own, IPMI 2.0 (RMCP+, cipher suite 3) as Debian's
`fence_ipmilan --lanplus` and `ipmitool -I lanplus` speak it. It is pyghmi's
BMC class, as in virtualbmc. The power actions go through the simulator's
control API, the lab's power bridge: off is POST /hosts/H/poweroff (the host
powered off and not responding, its VMs off; node VMs go dark), on is
POST /hosts/H/recover; the power status is the simulator's own (GET /hosts).
Beside each IPMI BMC, the same power behind a Redfish front over HTTPS, with
the same credentials (redfish.py; Debian's `fence_redfish` drives it).
A physical node's BMC (--physical) drives lab.nodes's power instead: off
makes the node dark (off the bridge, every process killed), on boots it;
a hung (suspended) or crashed node still says on, as a real BMC would.

Files in .lab/NAME/ (read by the lab's start, which puts them into vcenter.json):
  bmc.json         pid, control URL, and per host address, port, username,
                   password, redfish {address, port, systems_uri} (mode 0600;
                   the credentials and ports are kept across restarts)
  bmc-faults.json  {host: {"unreachable": true} | {"slow": SECONDS} |
                   {"credentials": true}}, read again whenever it changes:
                   unreachable drops every packet, slow answers each command
                   SECONDS late, credentials refuses the password (IPMI and
                   Redfish alike)
  bmc.log          what each BMC was asked (never a password)

The pyghmi import is optional so that the lab's CLI (standard library only) can
import this file for its paths and faults.
"""
import argparse
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request

from lab import nodes, redfish
from lab.paths import LAB_ROOT

try:
    from pyghmi.ipmi.bmc import Bmc
except ImportError:  # the lab's CLI imports this file without the virtualenv
    Bmc = object

ADDRESS = "127.0.0.1"
USERNAME = "admin"
FAULTS = ("unreachable", "slow", "credentials", "recover")


def path(name, filename):
    return os.path.join(LAB_ROOT, name, filename)


def read_json(filename, default):
    try:
        with open(filename) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def write_json(filename, data, mode=0o600):
    fd = os.open(filename + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(filename + ".tmp", filename)


def set_fault(name, host, fault, seconds=None):
    """Set (or with `recover` clear) a fault of host's BMC; returns every fault."""
    if fault not in FAULTS:
        raise ValueError("bmc fault must be one of %s, not %r" % (", ".join(FAULTS), fault))
    faults = read_json(path(name, "bmc-faults.json"), {})
    if fault == "recover":
        faults.pop(host, None)
    elif fault in ("unreachable", "credentials"):
        faults[host] = {fault: True}
    else:
        try:
            value = float(seconds)
        except (TypeError, ValueError):
            value = -1
        if not 0 < value <= 300:
            raise ValueError("bmc fault slow needs seconds=N, a number of seconds from 0 to 300, not %r" % (seconds,))
        faults[host] = {"slow": value}
    write_json(path(name, "bmc-faults.json"), faults, mode=0o644)
    return faults


class Faults(object):
    """bmc-faults.json, read again when its modification time changes."""

    def __init__(self, filename):
        self.filename, self.stamp, self.faults = filename, None, {}

    def of(self, host):
        try:
            stamp = os.stat(self.filename).st_mtime_ns
        except OSError:
            stamp = None
        if stamp != self.stamp:
            self.stamp, self.faults = stamp, read_json(self.filename, {}) if stamp else {}
        return self.faults.get(host, {})


class Users(object):
    """The BMC's one user for pyghmi; with the credentials fault its password
    is another one, so that every client's password is refused (RAKP)."""

    def __init__(self, host, credentials, faults):
        self.host, self.credentials, self.faults = host, credentials, faults
        self.other = secrets.token_urlsafe(12)

    def get(self, username):
        if username != self.credentials["username"]:
            return None
        return self.other if self.faults.of(self.host).get("credentials") else self.credentials["password"]


class HostBmc(Bmc):
    """One ESXi host's BMC; power through the simulator's control API."""

    def __init__(self, host, credentials, port, control, faults, log):
        super(HostBmc, self).__init__(Users(host, credentials, faults), port=port, address=ADDRESS)
        # pyghmi routes a session's packets by self.port: it must be the bound one, not 0.
        self.port = self.serversocket.getsockname()[1]
        self.host, self.control, self.faults, self.log = host, control, faults, log
        self.pending = set()  # sessions whose slow answer is on its way

    def api(self, method, what, params=None):
        url = "%s/%s" % (self.control, what)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    def state(self):
        return self.api("GET", "hosts", {"name": self.host})[0]

    def act(self, action):
        self.log("%s: %s" % (self.host, action))
        self.api("POST", "hosts/%s/%s" % (self.host, action))

    def get_power_state(self):
        return "on" if self.state()["power_state"] == "poweredOn" else "off"

    def power_off(self):
        if self.get_power_state() == "on":
            self.act("poweroff")

    def power_on(self):
        if self.get_power_state() == "off":
            self.act("recover")

    def power_reset(self):
        """A hard reset: a hung host comes back, its VMs off (as after a reboot)."""
        self.act("poweroff")
        self.act("recover")

    def power_cycle(self):
        if self.get_power_state() == "on":
            self.power_reset()

    def power_shutdown(self):
        """A soft off needs a running OS: a host that does not respond ignores it."""
        if self.state()["connection_state"] == "connected":
            self.act("poweroff")

    def sessionless_data(self, data, sockaddr):
        if not self.faults.of(self.host).get("unreachable"):
            super(HostBmc, self).sessionless_data(data, sockaddr)

    def handle_raw_request(self, request, session):
        fault = self.faults.of(self.host)
        if fault.get("unreachable"):
            return
        if not fault.get("slow"):
            return super(HostBmc, self).handle_raw_request(request, session)
        # Answered late on a thread, so that one slow BMC does not hold the
        # others (pyghmi serves every BMC of the process from one loop); the
        # client's retries meanwhile get that same late answer.
        if id(session) in self.pending:
            return
        self.pending.add(id(session))

        def answer():
            try:
                super(HostBmc, self).handle_raw_request(request, session)
            finally:
                self.pending.discard(id(session))
        timer = threading.Timer(fault["slow"], answer)
        timer.daemon = True
        timer.start()


class NodeBmc(HostBmc):
    """A physical lab node's BMC; power through lab.nodes, as the node has no VM."""

    def state(self):
        power = nodes.node_named(self.host).power()
        return {"power_state": "poweredOff" if power == "poweredOff" else "poweredOn",
                "connection_state": "connected" if power == "poweredOn" else "notResponding"}

    def act(self, action):
        self.log("%s: %s" % (self.host, action))
        self.log(nodes.power(self.host, "poweredOff" if action == "poweroff" else "poweredOn"))


def start_redfish(name, creds, power, faults, log):
    """The Redfish front of one BMC (redfish.py), same credentials and power; its bmc.json entry."""
    port = (creds.get("redfish") or {}).get("port", 0)
    pki = os.path.join(LAB_ROOT, "pki")
    args = (name, creds, port, power, faults, log, os.path.join(pki, "server.pem"), os.path.join(pki, "server.key"))
    try:
        front = redfish.RedfishBmc(*args)
    except OSError:  # the old port is taken: any free one
        front = redfish.RedfishBmc(*(args[:2] + (0,) + args[3:]))
    front.start()
    return {"address": ADDRESS, "port": front.port, "systems_uri": redfish.SYSTEMS_URI}


def serve(args):
    if Bmc is object:
        sys.exit("lab.bmc needs pyghmi (tools/setup.sh installs it in .venv)")
    state = read_json(path(args.name, "state.json"), None)
    if not state:
        sys.exit("lab %s is not running" % args.name)
    before = read_json(path(args.name, "bmc.json"), {}).get("bmcs", {})
    faults = Faults(path(args.name, "bmc-faults.json"))
    lock = threading.Lock()

    def log(line):
        with lock:
            sys.stdout.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), line))
            sys.stdout.flush()
    bmcs, out = [], {}
    physical = [p for p in args.physical.split(",") if p]
    for host in state["hosts"] + physical:
        creds = before.get(host) or {"username": USERNAME, "password": "Ipmi-" + secrets.token_urlsafe(9)}
        kind = NodeBmc if host in physical else HostBmc
        try:
            bmc = kind(host, creds, creds.get("port", 0), state["control"], faults, log)
        except OSError:  # the old port is taken: any free one
            bmc = kind(host, creds, 0, state["control"], faults, log)
        bmcs.append(bmc)
        out[host] = {"address": ADDRESS, "port": bmc.port, "username": creds["username"],
                     "password": creds["password"]}
        out[host]["redfish"] = start_redfish(host, creds, bmc, faults, log)
    # Written once every socket is bound: the lab's start waits for this pid.
    write_json(path(args.name, "bmc.json"), {"pid": os.getpid(), "control": state["control"], "bmcs": out})
    log("serving %s" % ", ".join("%s on %s:%d" % (h, ADDRESS, b["port"]) for h, b in out.items()))
    HostBmc.listen(timeout=30)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--name", default="default")
    s.add_argument("--physical", default="", help="physical lab nodes (lab.nodes) to serve a BMC for")
    args = p.parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
