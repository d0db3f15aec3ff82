# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's demo application: a tiny HTTP service with durable writes.

  GET  /            the node's name (text), e.g. "node1"
  GET  /health      "ok"
  POST /write?n=N   append the integer N to <data-dir>/writes.log (fsync'd),
                    answer {"ok": true, "node": ..., "n": N, "count": ...}
  GET  /writes      {"node": ..., "writes": [N, ...]} in the order written

Usage: demo_app.py [--node NAME] [--data-dir DIR] [--bind 0.0.0.0] [--port 8080]

The node name defaults to $VIGIL_LAB_NODE (set by the lab's sshd) or the host
name; the data directory to $DEMO_APP_DATA or ./demo-data. SIGTERM and SIGINT
stop it cleanly: the listener closes, requests in progress finish, exit 0.
Standard library only.
"""
from __future__ import annotations

import argparse
import http.server
import json
import os
import signal
import socket
import sys
import threading
import urllib.parse

WRITES = "writes.log"


class DemoServer(http.server.ThreadingHTTPServer):
    """Carries the node name, the data directory and the write lock."""

    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True

    def __init__(self, address, node, data_dir):
        super().__init__(address, DemoHandler)
        self.node = node
        self.data_dir = data_dir
        self.lock = threading.Lock()

    def append(self, number):
        """Append one number durably; returns how many writes there are."""
        path = os.path.join(self.data_dir, WRITES)
        with self.lock:
            with open(path, "a", encoding="utf-8") as f:
                f.write("%d\n" % number)
                f.flush()
                os.fsync(f.fileno())
            return len(self.read())

    def read(self):
        try:
            with open(os.path.join(self.data_dir, WRITES), encoding="utf-8") as f:
                return [int(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []


class DemoHandler(http.server.BaseHTTPRequestHandler):
    server_version = "vigil-demo/1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    def reply(self, code, body, content_type="application/json"):
        if not isinstance(body, str):
            body = json.dumps(body) + "\n"
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # pylint: disable=invalid-name
        path = urllib.parse.urlsplit(self.path).path
        if path == "/":
            self.reply(200, self.server.node + "\n", "text/plain")
        elif path == "/health":
            self.reply(200, "ok\n", "text/plain")
        elif path == "/writes":
            with self.server.lock:
                writes = self.server.read()
            self.reply(200, {"node": self.server.node, "writes": writes})
        else:
            self.reply(404, {"error": "no such path: %s" % path})

    def do_POST(self):  # pylint: disable=invalid-name
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if url.path != "/write":
            self.reply(404, {"error": "no such path: %s" % url.path})
            return
        values = urllib.parse.parse_qs(url.query).get("n", [])
        try:
            number = int(values[0])
        except (IndexError, ValueError):
            self.reply(400, {"error": "write needs n=<integer>"})
            return
        try:
            count = self.server.append(number)
        except OSError as e:
            self.reply(500, {"error": "cannot write: %s" % e})
            return
        self.reply(200, {"ok": True, "node": self.server.node, "n": number, "count": count})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--node", default=os.environ.get("VIGIL_LAB_NODE") or socket.gethostname())
    p.add_argument("--data-dir", default=os.environ.get("DEMO_APP_DATA") or "demo-data")
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8080)
    args = p.parse_args(argv)
    os.makedirs(args.data_dir, exist_ok=True)
    server = DemoServer((args.bind, args.port), args.node, os.path.abspath(args.data_dir))

    def stop(signum, frame):  # pylint: disable=unused-argument
        # shutdown() waits for serve_forever() to return: not from its thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write("demo app %s serving on %s:%d, data in %s\n"
                     % (args.node, args.bind, args.port, server.data_dir))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    sys.stderr.write("demo app %s stopped\n" % args.node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
