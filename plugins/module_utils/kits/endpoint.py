# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kits ``tcp`` and ``http``: endpoint checks.

They own nothing: start waits until the endpoint answers (bounded), stop
does nothing, recover is a check. Used alone as resources, or attached to
another resource as its check.
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.parse

from .base import FAILED, IN_SERVICE, OUT_OF_SERVICE, Kit, Result

START_WAIT = 30  # seconds start waits for the endpoint to answer


class EndpointKit(Kit):
    def probe(self):
        raise NotImplementedError

    def start(self):
        deadline = time.monotonic() + START_WAIT
        result = self.probe()
        while result.state != IN_SERVICE and not self.check_mode and time.monotonic() < deadline:
            time.sleep(0.5)
            result = self.probe()
        return result

    def stop(self):
        return Result(OUT_OF_SERVICE, ["%s check: nothing to stop" % self.kind])

    def recover(self):
        return self.start()


class TcpKit(EndpointKit):
    kind = "tcp"

    def probe(self):
        where = "%s:%s" % (self.params["host"], self.params["port"])
        try:
            with socket.create_connection((self.params["host"], self.params["port"]), timeout=self.params["timeout"]):
                return Result(IN_SERVICE, ["%s accepts connections" % where])
        except OSError as exc:
            return Result(FAILED, ["%s: %s" % (where, exc.strerror or exc)])


class HttpKit(EndpointKit):
    kind = "http"

    def probe(self):
        url = self.params["url"]
        parts = urllib.parse.urlsplit(url)
        conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        try:
            # http.client, not urllib: no proxies from the environment, no redirects followed.
            conn = conn_class(parts.hostname, parts.port, timeout=self.params["timeout"])
            try:
                conn.request("GET", (parts.path or "/") + ("?" + parts.query if parts.query else ""))
                resp = conn.getresponse()
                status, body = resp.status, resp.read(65536).decode("utf-8", "replace")
            finally:
                conn.close()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return Result(FAILED, ["%s: %s" % (url, exc)])
        if status != self.params["expect_status"]:
            return Result(FAILED, ["%s answered %s, expected %s" % (url, status, self.params["expect_status"])])
        expect = self.params["expect_body"]
        if expect and expect not in body:
            return Result(FAILED, ["%s answered without %r" % (url, expect)])
        return Result(IN_SERVICE, ["%s answered %s" % (url, status)], facts={"body": body[:200]})
