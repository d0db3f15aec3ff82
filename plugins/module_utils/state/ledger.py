# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's decision ledger: one JSON line per decision (plain Python).

Every decision is written, including the decisions not to act (a stale
event, a node that cannot be fenced), with its time, hierarchy, action,
inputs, decision, generation and result. Lines are appended under an
exclusive ``flock`` and ``fsync``'d before the call returns, so concurrent
runs never interleave and a line that was reported written survives a
crash. Secrets never reach the file: values under keys that look like
credentials are replaced by ``<redacted>`` at any depth.
"""

from __future__ import annotations

import datetime
import fcntl
import json
import os
import re

DEFAULT_DIR = "~/.local/state/vigil-ha"
DEFAULT_PATH = DEFAULT_DIR + "/ledger.jsonl"
REDACTED = "<redacted>"
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|^pwd$|_pwd$|secret|token|api[_-]?key|private[_-]?key|credential|authorization|cookie"
    r"|^vault|become_pass|ssh_pass", re.IGNORECASE)


def is_secret_key(key):
    return isinstance(key, str) and bool(SECRET_KEY.search(key))


def redact(value, secrets=()):
    """A copy of ``value`` without secrets: values of credential-like keys, and any of ``secrets`` itself."""
    secrets = [s for s in secrets if isinstance(s, str) and s]
    if isinstance(value, dict):
        return dict((str(k), REDACTED if is_secret_key(k) else redact(v, secrets)) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value), secrets)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(hierarchy, action, decision, inputs=None, generation=None, result=None, reason=None, secrets=(),
           clock=utc_now, watcher=None):
    """The ledger line for one decision, redacted."""
    line = {
        "time": clock(),
        "hierarchy": hierarchy,
        "action": action,
        "decision": decision,
        "generation": generation,
        "inputs": inputs or {},
        "result": result,
    }
    if reason:
        line["reason"] = reason
    line["controller"] = {"host": os.uname()[1], "pid": os.getpid()}
    if watcher:  # the watcher whose event started the run: which of a redundant set acted
        line["controller"]["watcher"] = watcher
    return redact(line, secrets)


def ensure_dir(path, mode=0o700):
    """Create the directory of ``path`` (mode 0700) if missing, and say whether it was created."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(directory):
        return False
    os.makedirs(directory, mode)
    return True


def append(path, line):
    """Append one record as a JSON line, under flock, fsync'd; returns the text written."""
    text = json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    created_dir = ensure_dir(path)
    new = not os.path.exists(path)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            data = text.encode("utf-8")
            while data:
                data = data[os.write(fd, data):]
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    if new or created_dir:
        dfd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return text


def read(path, hierarchy=None):
    """Every record of the ledger (of one hierarchy), oldest first; unreadable lines are skipped."""
    out = []
    try:
        with open(path, encoding="utf-8") as handle:
            for text in handle:
                try:
                    line = json.loads(text)
                except ValueError:
                    continue
                if hierarchy is None or line.get("hierarchy") == hierarchy:
                    out.append(line)
    except FileNotFoundError:
        pass
    return out
