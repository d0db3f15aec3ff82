# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vigil.ha.notify as Ansible runs it, against a webhook receiver on loopback."""
from __future__ import annotations

import http.server
import json
import threading

from ansible_collections.vigil.ha.plugins.modules import notify as module
from ansible_collections.vigil.ha.tests.unit.plugins.modules.module_runner import run_module

TOKEN = "tok-3f9a-secret"


class Receiver(http.server.BaseHTTPRequestHandler):
    answers, seen = [], []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((dict(self.headers), json.loads(body)))
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_module_posts_to_a_real_receiver_and_returns_no_secret(capsys):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Receiver.answers[:], Receiver.seen[:] = [503], []
    url = "http://127.0.0.1:%d/hook/%s" % (server.server_address[1], "SECRETPATH")
    try:
        rc, result = run_module(capsys, module.main, dict(
            event="failover", hierarchy="web", from_node="node1", to_node="node2", generation=8,
            watcher="w1", webhook_url=url, webhook_token=TOKEN, webhook_backoff=0.1))
    finally:
        server.shutdown()
    assert rc == 0, result
    assert result["changed"] and result["webhook"]["attempts"] == 2 and result["webhook"]["status"] == 200
    assert len(Receiver.seen) == 2 and Receiver.seen[-1][1]["to_node"] == "node2"
    assert Receiver.seen[-1][0]["Authorization"] == "Bearer " + TOKEN
    text = json.dumps(result)
    assert TOKEN not in text and "SECRETPATH" not in text and result["smtp"] is None


def test_bad_input_fails_naming_the_option_and_sends_nothing(capsys):
    rc, result = run_module(capsys, module.main, dict(event="failover", hierarchy="web", smtp_host="smtp.example.com",
                                                      smtp_from="vigil@example.com"))
    assert rc == 1 and result["failed"] and result["field"] == "smtp_to", result
    assert result["msg"].startswith("smtp_to:")


def test_check_mode_sends_nothing(capsys):
    Receiver.seen[:] = []
    rc, result = run_module(capsys, module.main, dict(event="operator_needed", hierarchy="web", from_node="node1",
                                                      webhook_url="http://127.0.0.1:9/x", _ansible_check_mode=True))
    assert rc == 0 and not result["changed"] and result["webhook"]["error"] == "check mode: not sent"
    assert result["subject"] == "vigil.ha web: OPERATOR NEEDED on node1"
