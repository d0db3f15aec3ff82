# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kit ``ip``: a virtual IP address on a node's interface.

start refuses an address that another machine already answers for (ARP
duplicate address detection, 1 s), adds it, and announces it with
gratuitous ARPs sent in the background so that neighbours update their
caches at once. Needs iproute2 and
iputils-arping on the node.
"""

from __future__ import annotations

from .base import FAILED, IN_SERVICE, OUT_OF_SERVICE, Kit, KitError, Result


# sh -c ANNOUNCE announce DEV IP COUNT: arping -U -c 1 sends one and waits a second.
ANNOUNCE = ('i=0; while [ "$i" -lt "$3" ] && [ -n "$(ip -o addr show dev "$1" to "$2")" ]; '
            'do arping -U -q -c 1 -I "$1" "$2"; i=$((i + 1)); done')


class IpKit(Kit):
    commands = ("ip", "arping", "ping")
    kind = "ip"

    @property
    def ip(self):
        return self.params["address"].split("/")[0]

    @property
    def cidr(self):
        address = self.params["address"]
        return address if "/" in address else address + "/32"

    def probe(self):
        dev = self.params["interface"]
        rc, out, err = self.run(["ip", "-o", "addr", "show", "dev", dev])
        if rc != 0:
            return Result(FAILED, ["interface %s: %s" % (dev, (err or out).strip() or "not found")])
        present = any(line.split()[3].split("/")[0] == self.ip
                      for line in out.splitlines() if len(line.split()) > 3 and line.split()[2] in ("inet", "inet6"))
        if not present:
            return Result(OUT_OF_SERVICE, ["%s not on %s" % (self.ip, dev)])
        rc, out, err = self.run(["ip", "-o", "link", "show", "dev", dev])
        if "state DOWN" in out or ",UP" not in out and "<UP" not in out:
            return Result(FAILED, ["%s is on %s but the interface is down" % (self.ip, dev)])
        rc, out, err = self.run(["ping", "-c", "1", "-W", "1", "-I", dev, self.ip], timeout=5)
        if rc != 0:
            return Result(FAILED, ["%s is on %s but does not answer ping" % (self.ip, dev)])
        return Result(IN_SERVICE, ["%s on %s" % (self.ip, dev)])

    def _start(self):
        dev = self.params["interface"]
        # Duplicate address detection: a machine that holds the address
        # answers the probe within milliseconds (rc 1); otherwise arping waits
        # out its deadline, 1 s, the shortest it takes.
        rc, out, err = self.run(["arping", "-D", "-q", "-c", "1", "-w", "1", "-I", dev, self.ip], timeout=10)
        if rc == 1:
            raise KitError("%s is already in use on the network of %s; refusing to take it" % (self.ip, dev))
        if rc not in (0, 1):
            raise KitError("arping on %s failed: %s" % (dev, (err or out).strip()))
        self.sh(["ip", "addr", "add", self.cidr, "dev", dev])
        count = self.params["arp_count"]
        if count:
            # Gratuitous ARPs so that neighbours drop the old owner's MAC at
            # once: the first at once, then one a second, in the background (as
            # Pacemaker's IPaddr2 does, arp_bg) so that the address serves
            # meanwhile and the next resource starts. Each is sent only while
            # this node still holds the address: after a stop (a rollback) it
            # must not contend with the node that took the address over.
            self.sh(["sh", "-c", ANNOUNCE, "announce", dev, self.ip, str(count)], background=True)

    def _stop(self):
        self.sh(["ip", "addr", "del", self.cidr, "dev", self.params["interface"]])

    def _recover(self):
        if self.probe().state != OUT_OF_SERVICE:
            self._stop()
        self._start()
