# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo application (lab/demo_app.py) on a node, port 8080."""
import os
import signal
import subprocess
import sys
import time

from lab.nodes.names import APP_PORT, DEMO_APP, NodeError
from lab.nodes.node import node_named
from lab.procs import alive, read_pid, write_if_changed
from lab.wait import tcp_open


def app(action, name):
    node = node_named(name)
    pid = read_pid(node.app_pid)
    running = pid if alive(pid) and pid in node.pids() else None
    url = "http://%s:%d/" % (node.address, APP_PORT)
    if action == "status":
        return "%s: demo app %s" % (name, "running (pid %d) at %s" % (running, url) if running else "not running")
    if action == "stop":
        if not running:
            return "%s: demo app not running" % name
        os.kill(running, signal.SIGTERM)
        for dummy in range(100):
            if not alive(running):
                break
            time.sleep(0.05)
        else:
            os.kill(running, signal.SIGKILL)
        os.remove(node.app_pid)
        return "%s: demo app stopped" % name
    if running:
        return "%s: demo app already running (pid %d) at %s" % (name, running, url)
    if node.power() != "poweredOn":
        raise NodeError("%s is %s" % (name, node.power()))
    data = os.path.join(node.data, "demo")
    with open(node.app_log, "ab") as log:
        proc = subprocess.Popen(node.wrap([sys.executable, DEMO_APP, "--node", name, "--data-dir", data,
                                           "--port", str(APP_PORT)]),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    write_if_changed(node.app_pid, "%d\n" % proc.pid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NodeError("demo app on %s exited; see %s" % (name, node.app_log))
        if tcp_open(node.address, APP_PORT, 0.2):
            return "%s: demo app running (pid %d) at %s, data in %s" % (name, proc.pid, url, data)
        time.sleep(0.05)
    raise NodeError("demo app on %s does not answer; see %s" % (name, node.app_log))
