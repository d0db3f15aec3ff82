# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rulebook vigil.ha.auto_failover_controller in the real ansible-rulebook
(Java 17) against the lab, with a small automation controller on 127.0.0.1.

The controller implements what ansible-rulebook 1.3.2 calls for
run_job_template (ansible_rulebook/job_template_runner.py and
shared_job_monitor.py): GET api/v2/config/ at start, the job template by name
and organization (api/v2/unified_job_templates/?name=), POST its launch URL,
and the job's status (api/v2/jobs/?id__in=). It records each launch; the job
it reports is at once successful, with no artifacts. What is asserted is what
a controller's user sees: one job of the failover template, with the
hierarchy, the failed node and the generation the event saw."""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cluster_runs import until

pytestmark = pytest.mark.usefixtures("bare_nodes_after")

TOKEN = "lab-controller-token-5d1f"
TEMPLATES = {1: "vigil.ha failover", 2: "vigil.ha recover"}


class Controller(ThreadingHTTPServer):
    """The controller's API, as far as run_job_template uses it."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ControllerApi)
        self.launches = []
        self.unauthorized = []
        self.lock = threading.Lock()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def launched(self, name):
        with self.lock:
            return [launch for launch in self.launches if launch["template"] == name]


class ControllerApi(BaseHTTPRequestHandler):

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # quiet: the test reports what matters

    def reply(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if self.headers.get("Authorization") == "Bearer %s" % TOKEN:
            return True
        with self.server.lock:
            self.server.unauthorized.append(self.path)
        self.reply({"detail": "Authentication credentials were not provided."}, 401)
        return False

    def do_GET(self):  # pylint: disable=invalid-name
        if not self.authorized():
            return
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/api/v2/config/":
            self.reply({"version": "4.6.0"})
        elif url.path == "/api/v2/unified_job_templates/":
            found = [{"id": jt_id, "type": "job_template", "name": name,
                      "summary_fields": {"organization": {"id": 1, "name": "Default"}},
                      "related": {"launch": "/api/v2/job_templates/%d/launch/" % jt_id},
                      "ask_limit_on_launch": True, "ask_labels_on_launch": False,
                      "ask_inventory_on_launch": False, "ask_variables_on_launch": True}
                     for jt_id, name in TEMPLATES.items() if query.get("name") == name]
            self.reply({"count": len(found), "next": None, "previous": None, "results": found})
        elif url.path == "/api/v2/jobs/":
            with self.server.lock:
                wanted = query.get("id__in", "").split(",")
                jobs = [{"id": launch["job"], "status": "successful", "created": launch["created"],
                         "artifacts": {}} for launch in self.server.launches if str(launch["job"]) in wanted]
            self.reply({"count": len(jobs), "next": None, "previous": None, "results": jobs})
        else:
            self.reply({"detail": "Not found."}, 404)

    def do_POST(self):  # pylint: disable=invalid-name
        if not self.authorized():
            return
        parts = self.path.strip("/").split("/")
        if parts[:3] != ["api", "v2", "job_templates"] or parts[4:] != ["launch"] or int(parts[3]) not in TEMPLATES:
            self.reply({"detail": "Not found."}, 404)
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            job = len(self.server.launches) + 1
            self.server.launches.append({"template": TEMPLATES[int(parts[3])], "job": job, "body": body,
                                         "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        self.reply({"id": job, "job": job, "url": "/api/v2/jobs/%d/" % job, "status": "pending"}, 201)


@pytest.fixture
def controller():
    server = Controller()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_vm_crash_launches_the_failover_job_template_once(web, rulebooks, control, controller):
    # URL and token reach ansible-rulebook by its environment, as the watcher
    # role passes them, never on its command line.
    rulebook = rulebooks(rulebook="vigil.ha.auto_failover_controller", environment={
        "EDA_CONTROLLER_URL": controller.url, "EDA_CONTROLLER_TOKEN": TOKEN,
        "EDA_JOB_TEMPLATE_REFRESH_DELAY": "1"})
    with open("/proc/%d/cmdline" % rulebook.proc.pid, "rb") as f:
        assert TOKEN.encode() not in f.read()
    control("vms/node1/crash")
    assert until(lambda: controller.launched("vigil.ha failover"), 120), rulebook.output()[-6000:]
    rulebook.wait_for("completed successfully", 30)
    time.sleep(15)  # the node's later events about the same failure launch nothing more
    launches = controller.launched("vigil.ha failover")
    assert len(launches) == 1, controller.launches
    extra_vars = launches[0]["body"]["extra_vars"]
    assert {k: extra_vars[k] for k in ("hierarchy", "failed_node", "expected_generation")} == {
        "hierarchy": "web", "failed_node": "node1", "expected_generation": web}, extra_vars
    assert extra_vars["vigil_ha_refusal_as_result"] is True
    assert controller.launched("vigil.ha recover") == []
    assert controller.unauthorized == []
    assert TOKEN not in rulebook.output()
    assert not os.path.exists(rulebook.ledger_path)  # nothing ran here: the controller runs the playbooks
