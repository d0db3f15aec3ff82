# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for the lab: a predicate until it holds, a port that accepts, a
node that has booted. Standard library only."""
import datetime
import socket
import time


def until(predicate, seconds=10, step=0.2):
    """The predicate's first true value within ``seconds``, else its last value."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def tcp_open(address, port, timeout=0.5):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def ssh_open(address):
    """Whether a node's sshd accepts connections (it has booted)."""
    return tcp_open(address, 22, timeout=1)


def parse_time(text):
    """An event's ``time`` (ISO 8601, UTC, ``Z``) as epoch seconds."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
