# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's Redfish front: the same power model as the IPMI BMC, over HTTPS.

bmc.py starts one RedfishBmc beside each IPMI BMC, in the same process, on
127.0.0.1 with a TCP port of its own, and hands it the IPMI BMC object for
power: get_power_state, power_off, power_on, power_reset (so off goes
through the simulator's control API as POST /hosts/H/poweroff, on as
recover, status from GET /hosts). It serves the part of Redfish that
Debian's `fence_redfish` (and sushy, Ansible's redfish_command, curl) use:

  GET  /redfish/v1                      service root (no authentication)
  GET  /redfish/v1/Systems              one member, /redfish/v1/Systems/1
  GET  /redfish/v1/Systems/1            PowerState On|Off, the Reset action
  POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset
       {"ResetType": On|ForceOff|GracefulShutdown|ForceRestart|PowerCycle|...}

HTTP Basic authentication with the IPMI BMC's username and password; TLS
with the lab's certificate for 127.0.0.1 (.lab/pki/server.pem, signed by
the lab CA .lab/pki/ca.pem). The faults of bmc-faults.json apply as to
IPMI: unreachable (no TLS handshake, no answer: the client hangs until its
own timeout), slow (each answer SECONDS late), credentials (401 to every
password).

Why not sushy-tools' emulator: it serves every system from one endpoint with
one htpasswd file and chooses among its own drivers (libvirt, OpenStack,
fake) with no hook for another; the lab needs one controller per machine,
each with its own port, credentials and faults, driven by the same power
bridge as the IPMI BMC. This file is that, in the standard library.
"""
import base64
import hmac
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SYSTEMS_URI = "/redfish/v1/Systems/1"
RESET_URI = SYSTEMS_URI + "/Actions/ComputerSystem.Reset"
RESET_TYPES = ("On", "ForceOff", "GracefulShutdown", "ForceRestart", "GracefulRestart", "PowerCycle", "Nmi")
UNREACHABLE_HOLD = 300  # seconds an unreachable BMC keeps a connection silent at most


class RedfishBmc(ThreadingHTTPServer):
    """One machine's Redfish service; ``power`` is its IPMI BMC (same power model)."""

    daemon_threads = True

    def __init__(self, name, credentials, port, power, faults, log, certfile, keyfile, address="127.0.0.1"):
        self.name, self.credentials, self.power, self.faults, self.log = name, credentials, power, faults, log
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(certfile, keyfile)
        ThreadingHTTPServer.__init__(self, (address, port), Handler)
        self.port = self.server_address[1]

    def fault(self):
        return self.faults.of(self.name)

    def finish_request(self, request, client_address):
        # The TLS handshake on the connection's own thread: an unreachable or
        # slow BMC holds only that client, never the accept loop.
        if self.fault().get("unreachable"):
            deadline = time.monotonic() + UNREACHABLE_HOLD
            request.settimeout(1)
            while self.fault().get("unreachable") and time.monotonic() < deadline:
                try:
                    if not request.recv(4096, socket.MSG_PEEK):
                        return  # the client gave up
                except OSError:
                    pass
                time.sleep(0.2)
            return  # no answer, ever, on this connection
        request.settimeout(30)
        try:
            conn = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        ThreadingHTTPServer.finish_request(self, conn, client_address)

    def start(self):
        thread = threading.Thread(target=self.serve_forever, name="redfish-%s" % self.name, daemon=True)
        thread.start()
        return thread

    def authorized(self, header):
        if self.fault().get("credentials") or not header or not header.startswith("Basic "):
            return False
        try:
            user, dummy, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (hmac.compare_digest(user, self.credentials["username"])
                and hmac.compare_digest(password, self.credentials["password"]))

    def system(self):
        state = self.power.get_power_state()
        return {
            "@odata.id": SYSTEMS_URI, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem",
            "Id": "1", "Name": self.name, "PowerState": "On" if state == "on" else "Off",
            "Actions": {"#ComputerSystem.Reset": {"target": RESET_URI,
                                                  "ResetType@Redfish.AllowableValues": list(RESET_TYPES)}},
        }

    def reset(self, kind):
        """Power per ResetType, through the IPMI BMC's own functions."""
        if kind == "On":
            self.power.power_on()
        elif kind == "ForceOff":
            self.power.power_off()
        elif kind == "GracefulShutdown":
            self.power.power_shutdown()
        elif kind in ("ForceRestart", "GracefulRestart", "PowerCycle"):
            self.power.power_reset()
        # Nmi: a diagnostic interrupt, nothing in this power model


def error(message, code="Base.1.8.GeneralError"):
    return {"error": {"code": code, "message": message}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vigil-lab-redfish/1"

    def log_message(self, fmt, *args):  # bmc.log gets one line per action instead
        pass

    def reply(self, status, body=None):
        slow = self.server.fault().get("slow")
        if slow:
            time.sleep(slow)
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Redfish"')
        if body is not None:
            self.send_header("Content-Type", "application/json")
            self.send_header("OData-Version", "4.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self):
        path = self.path.split("?")[0].rstrip("/")
        if path in ("/redfish", "/redfish/v1"):
            if path == "/redfish":
                return 200, {"v1": "/redfish/v1/"}
            return 200, {"@odata.id": "/redfish/v1", "Id": "RootService", "RedfishVersion": "1.11.0",
                         "Systems": {"@odata.id": "/redfish/v1/Systems"}}
        if not self.server.authorized(self.headers.get("Authorization")):
            self.server.log("%s: redfish %s %s refused (credentials)" % (self.server.name, self.command, path))
            return 401, error("authentication failed", "Base.1.8.InsufficientPrivilege")
        if self.command == "GET" and path == "/redfish/v1/Systems":
            return 200, {"@odata.id": "/redfish/v1/Systems", "Members@odata.count": 1,
                         "Members": [{"@odata.id": SYSTEMS_URI}]}
        if self.command == "GET" and path == SYSTEMS_URI:
            return 200, self.server.system()
        if self.command == "POST" and path == RESET_URI:
            try:
                length = int(self.headers.get("Content-Length") or 0)
                kind = json.loads(self.rfile.read(length) or b"{}").get("ResetType")
            except (ValueError, AttributeError):
                kind = None
            if kind not in RESET_TYPES:
                return 400, error("ResetType must be one of %s" % ", ".join(RESET_TYPES),
                                  "Base.1.8.ActionParameterValueNotInList")
            self.server.log("%s: redfish reset %s" % (self.server.name, kind))
            self.server.reset(kind)
            return 204, None
        return 404, error("no resource %s" % path, "Base.1.8.ResourceMissingAtURI")

    def handle_one(self):
        try:
            status, body = self.route()
        except Exception as exc:  # the power bridge failed: say so, as a BMC would
            self.server.log("%s: redfish %s %s failed: %s" % (self.server.name, self.command, self.path, exc))
            status, body = 500, error("internal error: %s" % exc)
        self.reply(status, body)

    do_GET = do_POST = handle_one

    def do_PATCH(self):
        self.reply(405, error("method not allowed"))
