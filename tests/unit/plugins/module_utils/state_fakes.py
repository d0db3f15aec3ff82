# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake of RootAnnotations (vsphere/annotations.py): vCenter's custom attributes and events, in memory."""
from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.glue import vcenter_module
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereConnectionError


class FakeVcenter(object):
    """The shared server side: field definitions, values on the root folder, the event log."""

    def __init__(self):
        self.fields = {}  # name -> key
        self.values = {}  # key -> value
        self.events = []
        self.next_key = 100
        self.calls = []
        self.down = False
        self.now = None  # a datetime: events are posted at it (vCenter's clock); else their time is "t"
        self.max_events = 1000  # the most one QueryEvents returns


class FakeAnnotations(object):
    """One client's view. ``hooks[method]`` runs before that method (to interleave another writer)."""

    def __init__(self, vc=None):
        self.vc = vc or FakeVcenter()
        self.hooks = {}

    def _enter(self, method, *args):
        self.vc.calls.append((method,) + args)
        hook = self.hooks.pop(method, None)
        if hook:
            hook()
        if self.vc.down:
            raise VsphereConnectionError("%s: lost vCenter vc:443: refused" % method)

    def read(self):
        self._enter("read")
        return {"fields": dict(self.vc.fields), "values": dict(self.vc.values)}

    def add_field(self, name):
        self._enter("add_field", name)
        if name in self.vc.fields:
            return None
        self.vc.next_key += 1
        self.vc.fields[name] = self.vc.next_key
        return self.vc.next_key

    def set_field(self, key, value):
        self._enter("set_field", key, value)
        assert key in self.vc.fields.values(), "SetField on an undefined key %s" % key
        self.vc.values[key] = value

    def remove_field(self, key):
        self._enter("remove_field", key)
        for name, k in list(self.vc.fields.items()):
            if k == key:
                del self.vc.fields[name]
                self.vc.values.pop(key, None)
                return True
        return False

    def post_event(self, message):
        self._enter("post_event", message)
        when = self.vc.now.isoformat() if self.vc.now else "t"
        self.vc.events.append({"key": len(self.vc.events) + 1, "time": when, "user": "u", "message": message})

    def query_events(self, prefix, limit=100):
        self._enter("query_events", prefix)
        return [e for e in reversed(self.vc.events) if e["message"].startswith(prefix)][:limit]

    def query_events_since(self, prefix, since):
        """As vCenter: the newest ``max_events`` user events since ``since``, then the prefix filter."""
        self._enter("query_events_since", prefix, since)
        page = [e for e in reversed(self.vc.events) if e["time"] == "t" or e["time"] >= since.isoformat()]
        page = page[:self.vc.max_events]
        return {"events": [e for e in page if e["message"].startswith(prefix)],
                "complete": len(page) < self.vc.max_events}

    def writes(self):
        return [c for c in self.vc.calls if c[0] in ("add_field", "set_field", "remove_field", "post_event")]


# The connection options a module test passes (the password is a canary: it must never be returned).
CONN = {"hostname": "vc.example", "username": "admin", "password": "s3cret-canary"}


class FakeClient(object):
    """What client_from_params (or client_from_module) gives a module under test: a context manager, nothing behind it."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def fake_root_annotations(monkeypatch, module):
    """Patch a vCenter module (its module object) to read and write the custom attributes of a
    FakeVcenter, which is returned."""
    server = FakeVcenter()
    monkeypatch.setattr(vcenter_module, "HAS_PYVMOMI", True)
    monkeypatch.setattr(vcenter_module, "client_from_module", lambda m: FakeClient())
    monkeypatch.setattr(vcenter_module, "client_from_params", lambda p: FakeClient())
    monkeypatch.setattr(module, "RootAnnotations", lambda client: FakeAnnotations(server))
    return server
