# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files and processes of the lab: small reads and writes, whether a pid lives,
the process groups a run leaves behind. Standard library only."""
import os
import signal
import subprocess


def write_if_changed(path, text, mode=0o644):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    return True


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return ""


def read_pid(path):
    text = read_text(path)
    return int(text) if text.isdigit() else None


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie is not alive.
    return not read_text("/proc/%d/stat" % pid).split(") ")[-1].startswith("Z")


def process_groups(pid):
    """The process group of ``pid`` and those of its descendants: ansible-runner
    starts each playbook in a session of its own (a pty), which a signal to
    ansible-rulebook's group does not reach."""
    children = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(int(fields[1]), []).append((int(entry), int(fields[2])))
    groups, todo = [pid], [pid]
    while todo:
        for child, pgid in children.get(todo.pop(), []):
            todo.append(child)
            groups.append(pgid)
    return sorted(set(groups))


def kill_groups(groups, only_ansible=False):
    """SIGKILL each process group; with ``only_ansible``, only those still led
    by an ansible process (not a pid reused meanwhile)."""
    for group in groups:
        try:
            if only_ansible:
                with open("/proc/%d/cmdline" % group, "rb") as f:
                    if b"ansible" not in f.read():
                        continue
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass  # the group is gone already


def stop_watcher_process(proc, seconds=30):
    """TERM ansible-rulebook (with -Xrs its source then logs out of vCenter);
    then KILL the process groups it and the runs it started had."""
    left = process_groups(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            pass
    kill_groups(set(left + process_groups(proc.pid)), only_ansible=True)
    proc.wait(10)
