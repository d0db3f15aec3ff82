# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""service (supervised command), script, tcp and http kits on this machine, for real."""
from __future__ import annotations

import http.server
import os
import socket
import stat
import threading
import time

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.kits.attached import run_action
from ansible_collections.vigil.ha.plugins.module_utils.kits.base import KitError, run_command
from ansible_collections.vigil.ha.plugins.module_utils.kits.registry import node_kit


@pytest.fixture
def server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/" else 404)
            self.end_headers()
            self.wfile.write(b"hello from node1")

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()


def test_service_command_lifecycle(tmp_path):
    params = {"command": "sleep 300", "pidfile": str(tmp_path / "app.pid"), "stop_timeout": 5}
    kit = node_kit("service", "app", params)
    assert kit.check().state == "out_of_service"

    planned = node_kit("service", "app", params, check_mode=True).start()
    assert planned.changed and not (tmp_path / "app.pid").exists()

    started = kit.start()
    assert started.changed and started.state == "in_service"
    assert started.to_dict()["diff"] == {
        "before": {"resource": "app", "kind": "service", "state": "out_of_service"},
        "after": {"resource": "app", "kind": "service", "state": "in_service"}}
    pid = started.facts["pid"]
    again = kit.start()
    assert not again.changed and again.facts["pid"] == pid

    os.kill(pid, 9)
    crashed = kit.check()
    for dummy in range(50):  # the kill lands asynchronously
        if crashed.state != "in_service":
            break
        time.sleep(0.05)
        crashed = kit.check()
    assert crashed.state == "failed" and "is gone" in crashed.reasons[0]

    recovered = kit.recover()
    assert recovered.state == "in_service" and recovered.facts["pid"] != pid

    stopped = kit.stop()
    assert stopped.changed and stopped.state == "out_of_service"
    assert not kit.stop().changed


def test_service_command_that_dies_at_once_fails_clearly(tmp_path):
    kit = node_kit("service", "bad", {"command": "false", "pidfile": str(tmp_path / "bad.pid")})
    with pytest.raises(KitError) as err:
        kit.start()
    assert "exited at once" in str(err.value)


def script(path, body):
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_script_kit_exit_codes_are_the_contract(tmp_path):
    flag = tmp_path / "running"
    params = {
        "restore": script(tmp_path / "restore", "touch %s" % flag),
        "remove": script(tmp_path / "remove", "rm -f %s" % flag),
        "quick_check": script(tmp_path / "quickCheck",
                              "[ -e %s ] && exit 0; [ -e %s.broken ] && { echo broken; exit 2; }; exit 1" % (flag, flag)),
    }
    kit = node_kit("script", "erp", params)
    assert kit.check().state == "out_of_service"
    assert kit.start().state == "in_service" and flag.exists()
    assert not kit.start().changed
    assert kit.stop().state == "out_of_service" and not flag.exists()
    (tmp_path / "running.broken").touch()
    failed = kit.check()
    assert failed.state == "failed" and failed.reasons == ["quick_check exited 2: broken"]


def test_script_restore_failure_is_an_error(tmp_path):
    params = {"restore": script(tmp_path / "r", "echo no disk >&2; exit 3"), "remove": script(tmp_path / "x", "exit 0"),
              "quick_check": script(tmp_path / "q", "exit 1")}
    with pytest.raises(KitError) as err:
        node_kit("script", "erp", params).start()
    assert "restore script" in str(err.value) and "exited 3: no disk" in str(err.value)


def test_http_and_tcp_checks(server):
    assert node_kit("http", "h", {"url": "http://127.0.0.1:%d/" % server, "expect_body": "node1"}).check().state \
        == "in_service"
    wrong = node_kit("http", "h", {"url": "http://127.0.0.1:%d/x" % server}).check()
    assert wrong.state == "failed" and "answered 404, expected 200" in wrong.reasons[0]
    assert node_kit("tcp", "t", {"host": "127.0.0.1", "port": server}).check().state == "in_service"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    closed = sock.getsockname()[1]
    sock.close()
    assert node_kit("tcp", "t", {"host": "127.0.0.1", "port": closed, "timeout": 0.5}).check().state == "failed"


def test_attached_check_fails_a_running_service(tmp_path, server):
    resource = {"name": "app", "kind": "service",
                "params": {"command": "sleep 300", "pidfile": str(tmp_path / "a.pid")},
                "check": {"http": {"url": "http://127.0.0.1:%d/" % server, "expect_body": "node2"}, "interval": 5}}
    try:
        result = run_action(resource, "check")
        assert result.state == "out_of_service"
        node_kit("service", "app", resource["params"]).start()
        result = run_action(resource, "check")
        assert result.state == "failed"
        assert "without 'node2'" in result.reasons[0]
    finally:
        node_kit("service", "app", resource["params"]).stop()


def test_a_background_command_outlives_the_call(tmp_path):
    marker = tmp_path / "done"
    began = time.monotonic()
    assert run_command(["sh", "-c", "sleep 1; touch %s" % marker], background=True) == (0, "", "")
    assert time.monotonic() - began < 0.5 and not marker.exists()
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists()
    assert run_command(["/nonexistent/arping"], background=True)[0] == 127
