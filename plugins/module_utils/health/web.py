# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's HTTP server: ``/metrics`` for Prometheus, ``/`` the status page, ``/status.json`` its data.

Read-only (GET and HEAD only), in a thread of its own next to the event
source's loop (standard library ``ThreadingHTTPServer``), bound to loopback
unless told otherwise. With a password, every path asks for HTTP basic
authentication; the password is compared in constant time and never logged
(requests are not logged at all, headers included).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import http.server
import json
import logging
import threading

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.health import status_page

LOG = logging.getLogger(__name__)
DEFAULT_ADDRESS = "127.0.0.1"


def check_options(address, port, username, password):
    """``(address, port, credentials or None)``; InputError naming the field when one is wrong."""
    address = address or DEFAULT_ADDRESS
    try:
        port = int(port)
    except (TypeError, ValueError):
        raise InputError("metrics_port: must be a port number (1-65535), not %r" % (port,), field="metrics_port")
    if not 0 < port < 65536:
        raise InputError("metrics_port: must be a port number (1-65535), not %d" % port, field="metrics_port")
    if bool(username) != bool(password):
        field = "metrics_password" if username else "metrics_username"
        raise InputError("%s: basic authentication needs both metrics_username and metrics_password" % field,
                         field=field)
    if username and ":" in username:
        raise InputError("metrics_username: must not contain ':'", field="metrics_username")
    return address, port, (username, password) if username else None


def authorized(header, credentials):
    """Whether an ``Authorization`` header carries ``credentials`` (``(user, password)``; None: open)."""
    if credentials is None:
        return True
    if not header or not header.startswith("Basic "):
        return False
    try:
        user, dummy, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    ok_user = hmac.compare_digest(user.encode("utf-8"), credentials[0].encode("utf-8"))
    ok_password = hmac.compare_digest(password.encode("utf-8"), credentials[1].encode("utf-8"))
    return ok_user and ok_password


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "vigil.ha"
    sys_version = ""

    def do_HEAD(self):  # noqa: N802 (http.server's naming)
        self._answer(head=True)

    def do_GET(self):  # noqa: N802
        self._answer(head=False)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # no request log: nothing of a request (its headers) reaches a log

    def _answer(self, head):
        web = self.server.web
        if not authorized(self.headers.get("Authorization"), web.credentials):
            self._send(401, b"authentication required\n", "text/plain; charset=utf-8", head,
                       {"WWW-Authenticate": 'Basic realm="vigil.ha", charset="UTF-8"'})
            return
        path = self.path.split("?", 1)[0]
        try:
            if path == "/metrics":
                body, ctype = web.metrics.exposition()
            elif path == "/status.json":
                body, ctype = json.dumps(web.status(), sort_keys=True).encode("utf-8"), "application/json"
            elif path in ("/", "/index.html"):
                body, ctype = status_page.page(web.status()), "text/html; charset=utf-8"
            else:
                self._send(404, b"not found\n", "text/plain; charset=utf-8", head)
                return
        except Exception as exc:  # pylint: disable=broad-except
            LOG.error("vigil.ha.health: metrics server: %s failed: %r", path, exc)
            self._send(500, b"internal error\n", "text/plain; charset=utf-8", head)
            return
        self._send(200, body, ctype, head)

    def _send(self, code, body, ctype, head, headers=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; "
                         "style-src 'unsafe-inline'; connect-src 'self'")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)


class WebServer(object):
    """The server of one watcher: ``start`` binds and serves in a daemon thread, ``stop`` ends it."""

    def __init__(self, metrics, address=DEFAULT_ADDRESS, port=9464, credentials=None):
        self.metrics = metrics
        self.address, self.port = address, port
        self.credentials = credentials
        self._http = None
        self._thread = None

    def status(self):
        tail = self.metrics.tail
        decisions = tail.counts()[2] if tail is not None else []
        return status_page.status(self.metrics.current(), decisions)

    def start(self):
        try:
            self._http = http.server.ThreadingHTTPServer((self.address, self.port), _Handler)
        except OSError as exc:
            raise InputError("metrics_port: cannot listen on %s:%s: %s" % (self.address, self.port, exc.strerror),
                             field="metrics_port")
        self._http.daemon_threads = True
        self._http.web = self
        self.port = self._http.server_address[1]  # the one given 0 got
        self._thread = threading.Thread(target=self._http.serve_forever, name="vigil-ha-metrics", daemon=True)
        self._thread.start()
        LOG.warning("vigil.ha.health: metrics and status page on http://%s:%s/ (%s)", self.address, self.port,
                    "basic authentication" if self.credentials else "no authentication")
        return self

    def stop(self):
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
