# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client of the virtual IP that asks it every tenth of a second and keeps
who answered, for the demo and the benchmarks' outage figures."""
import threading
import time
import urllib.request


class VipClient(threading.Thread):
    """GET the virtual IP every ``interval`` seconds; keep (time, answer) pairs,
    answer None for a failed request."""

    def __init__(self, url, interval=0.1, timeout=1.0):
        super().__init__(daemon=True)
        self.url, self.interval, self.timeout = url, interval, timeout
        self.samples = []
        self._halt = threading.Event()

    def ask(self):
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout) as resp:
                return resp.read().decode().strip()
        except OSError:
            return None

    def run(self):
        while not self._halt.is_set():
            started = time.time()
            self.samples.append((started, self.ask()))
            self._halt.wait(max(0.0, self.interval - (time.time() - started)))

    def stop(self):
        self._halt.set()
        self.join(5)

    def failed(self, since, until_time=None):
        return sum(1 for t, a in self.samples if t >= since and (until_time is None or t <= until_time) and a is None)

    def total(self, since, until_time=None):
        return sum(1 for t, a in self.samples if t >= since and (until_time is None or t <= until_time))

    def answered_by(self, node, since):
        """The time of the first answer from ``node`` after a failed request since ``since``."""
        seen_failure = False
        for t, answer in list(self.samples):
            if t < since:
                continue
            if answer is None:
                seen_failure = True
            elif seen_failure and answer == node:
                return t
        return None
