# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep one command running where there is no systemd, as systemd's
Restart=always would: start it, and start it again RestartSec seconds after
it exits, until told to stop.

  supervise.py start|stop|restart|status SPEC

SPEC is a JSON file: argv, env, cwd, delay (seconds), log (file), pidfile
(the supervisor's), childfile (the command's pid), and optionally envfile:
KEY=VALUE lines added to env at each start (a 0600 file for secrets, such as
systemd's EnvironmentFile, so they stay out of SPEC). `start` prints
"started PID" or "running PID"; `stop` ends the command and the supervisor.
Standard library only: it runs with the system's python3."""
import json
import os
import signal
import subprocess
import sys
import time


def read_pid(path):
    try:
        with open(path, encoding="utf-8") as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def write(path, text):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def read_envfile(path):
    env = {}
    if path:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep and not key.startswith("#"):
                    env[key] = value
    return env


def log(spec, line):
    with open(spec["log"], "a", encoding="utf-8") as f:
        f.write("%s supervise: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), line))


def supervise(spec):
    """The supervisor's loop (in the daemon)."""
    state = {"stop": False, "child": None}

    def on_term(signum, frame):
        state["stop"] = True
        if state["child"] and state["child"].poll() is None:
            state["child"].terminate()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not state["stop"]:
        with open(spec["log"], "ab") as out:
            env = dict(spec["env"], **read_envfile(spec.get("envfile")))
            child = subprocess.Popen(spec["argv"], env=env, cwd=spec["cwd"], stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT)
        state["child"] = child
        write(spec["childfile"], "%d\n" % child.pid)
        log(spec, "started %s (pid %d)" % (os.path.basename(spec["argv"][0]), child.pid))
        while True:
            try:
                rc = child.wait(timeout=1)
                break
            except subprocess.TimeoutExpired:
                continue
        if state["stop"]:
            break
        log(spec, "pid %d exited with %s; starting again in %ss" % (child.pid, rc, spec["delay"]))
        end = time.monotonic() + spec["delay"]
        while not state["stop"] and time.monotonic() < end:
            time.sleep(0.2)
    if state["child"] and state["child"].poll() is None:
        try:
            state["child"].wait(timeout=10)
        except subprocess.TimeoutExpired:
            state["child"].kill()
    log(spec, "stopped")
    for path in (spec["pidfile"], spec["childfile"]):
        if os.path.exists(path):
            os.remove(path)


def start(spec):
    pid = read_pid(spec["pidfile"])
    if pid:
        return "running %d" % pid
    if os.fork():
        for dummy in range(100):  # until the daemon has written its pid
            pid = read_pid(spec["pidfile"])
            if pid:
                return "started %d" % pid
            time.sleep(0.05)
        raise SystemExit("supervise: the supervisor did not start; see %s" % spec["log"])
    os.setsid()
    if os.fork():
        os._exit(0)
    fd = os.open(os.devnull, os.O_RDWR)
    for std in (0, 1, 2):
        os.dup2(fd, std)
    write(spec["pidfile"], "%d\n" % os.getpid())
    try:
        supervise(spec)
    finally:
        os._exit(0)


def stop(spec):
    pid = read_pid(spec["pidfile"])
    if not pid:
        return "not running"
    os.kill(pid, signal.SIGTERM)
    for dummy in range(300):
        if not read_pid(spec["pidfile"]):
            return "stopped %d" % pid
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return "killed %d" % pid


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop", "restart", "status"):
        sys.exit(__doc__)
    with open(argv[2], encoding="utf-8") as f:
        spec = json.load(f)
    if argv[1] == "status":
        pid = read_pid(spec["pidfile"])
        print("running %d" % pid if pid else "not running")
        return 0 if pid else 3
    if argv[1] in ("stop", "restart"):
        print(stop(spec))
    if argv[1] in ("start", "restart"):
        print(start(spec))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
