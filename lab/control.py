# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's control API (the simulator's -control address, lab/vcsim/control.go):
the one client of it. VMs and hosts as the simulator holds them, and faults."""
import json
import urllib.error
import urllib.parse
import urllib.request


class ControlError(Exception):
    """The control API refused a request (its error text) or did not answer."""


def request(base_url, method, path, params=None, timeout=30):
    """One call; the decoded JSON answer."""
    url = "%s/%s" % (base_url.rstrip("/"), path.strip("/"))
    if params:
        url += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        try:
            text = json.load(e).get("error", str(e))
        except ValueError:
            text = str(e)
        raise ControlError("lab control %s %s: %s" % (method, path, text)) from None
    except OSError as e:
        raise ControlError("lab control %s %s: %s" % (method, path, e)) from None


class Control(object):
    """The control API at ``url`` (a lab's ``lab_control_url``)."""

    def __init__(self, url):
        self.url = url

    def get(self, path, **params):
        return request(self.url, "GET", path, params)

    def post(self, path, **params):
        return request(self.url, "POST", path, params)

    def vms(self, name):
        return self.get("vms", name=name)

    def vm(self, name):
        """The one VM called ``name``: uuid, moref, power_state, host, ..."""
        found = self.vms(name)
        if len(found) != 1:
            raise ControlError("lab control: %d VMs called %s" % (len(found), name))
        return found[0]

    def hosts(self, name=None):
        return self.get("hosts", name=name) if name else self.get("hosts")

    def host(self, name):
        found = self.hosts(name)
        if len(found) != 1:
            raise ControlError("lab control: %d hosts called %s" % (len(found), name))
        return found[0]
