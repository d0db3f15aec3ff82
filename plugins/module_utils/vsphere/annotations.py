# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Custom attributes and events of vCenter's root folder (pyVmomi stays here).

The primitives ``state/store.py`` builds the hierarchy state on: read every
custom attribute of the root folder in one call, add a field definition
atomically (vCenter refuses a duplicate name), set and remove fields, post
and query user events. Values in and out are plain Python.
"""

from __future__ import annotations

import datetime

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import _plain
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereApiError

try:
    from pyVmomi import vim, vmodl
except ImportError:  # pragma: no cover - the module base reports a missing pyVmomi
    pass

EVENT_TYPE = "GeneralUserEvent"
MAX_EVENTS = 1000  # the most QueryEvents returns in one page


class RootAnnotations(object):
    """Custom attributes (type Folder) on the root folder and user events posted on it."""

    def __init__(self, client):
        self.client = client

    @property
    def _cfm(self):
        cfm = self.client.content.customFieldsManager
        if cfm is None:
            raise VsphereApiError("custom attributes need vCenter: %s has no CustomFieldsManager" % self.client.hostname)
        return cfm

    @property
    def root(self):
        return self.client.content.rootFolder

    def read(self):
        """``{"fields": {name: key}, "values": {key: value}}`` of the root folder, in one call.

        Only fields defined for folders (or every type) are listed; a value
        whose field is gone is dropped. When a key has several values (the
        lab's simulator appends on SetField instead of replacing), the last wins.
        """
        pc = vmodl.query.PropertyCollector
        root = self.root
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=root)],
            propSet=[pc.PropertySpec(type=vim.Folder, pathSet=["availableField", "customValue"])])
        result = self.client._call("read custom attributes", self.client.content.propertyCollector.RetrievePropertiesEx,
                                   [spec], pc.RetrieveOptions())
        props = {}
        for obj in (result.objects if result else None) or []:
            props = dict((p.name, p.val) for p in obj.propSet or [])
        fields = dict((f.name, f.key) for f in props.get("availableField") or [])
        keys = set(fields.values())
        values = {}
        for value in props.get("customValue") or []:
            if value.key in keys:
                values[value.key] = getattr(value, "value", None)
        return {"fields": fields, "values": values}

    def add_field(self, name):
        """Define a custom attribute for folders; its key, or None when the name exists already.

        vCenter checks the name and adds the definition in one step, so of
        several callers adding the same name exactly one gets a key.
        """
        cfm = self._cfm

        def add():
            try:
                return cfm.AddCustomFieldDef(name=name, moType=vim.Folder).key
            except vim.fault.DuplicateName:
                return None
        return self.client._call("add custom attribute %s" % name, add)

    def set_field(self, key, value):
        self.client._call("set custom attribute %s" % key, self._cfm.SetField, entity=self.root, key=key, value=value)

    def remove_field(self, key):
        """Remove a custom attribute definition (and its values); False when it was gone already."""
        cfm = self._cfm

        def remove():
            try:
                cfm.RemoveCustomFieldDef(key=key)
                return True
            except vim.fault.NotFound:
                return False
        return self.client._call("remove custom attribute %s" % key, remove)

    def post_event(self, message):
        """Post a user event on the root folder (vCenter's event log)."""
        root = self.root
        event = vim.event.GeneralUserEvent(
            key=0, chainId=0, createdTime=datetime.datetime.now(datetime.timezone.utc), userName="",
            message=message, fullFormattedMessage=message,
            entity=vim.event.ManagedEntityEventArgument(entity=root, name="Datacenters"))
        self.client._call("post event", self.client.content.eventManager.PostEvent, eventToPost=event)

    def query_events(self, prefix, limit=100):
        """Latest user events on the root folder whose message starts with ``prefix``, newest first."""
        spec = vim.event.EventFilterSpec(
            eventTypeId=[EVENT_TYPE], maxCount=MAX_EVENTS,
            entity=vim.event.EventFilterSpec.ByEntity(entity=self.root, recursion="self"))
        events = self.client._call("query events", self.client.content.eventManager.QueryEvents, spec) or []
        out = []
        for event in events:
            message = getattr(event, "message", None) or ""
            if message.startswith(prefix):
                out.append({"key": event.key, "time": _plain(event.createdTime), "user": event.userName,
                            "message": message})
        out.sort(key=lambda e: e["key"], reverse=True)
        return out[:limit]

    def query_events_since(self, prefix, since):
        """``{"events", "complete"}``: the user events on the root folder since ``since`` (a datetime)
        whose message starts with ``prefix``, newest first.

        vCenter filters by time itself, so the page of at most ``MAX_EVENTS``
        holds only events of the window; ``complete`` is false when the page
        is full (more user events in the window than one query returns).
        """
        spec = vim.event.EventFilterSpec(
            eventTypeId=[EVENT_TYPE], maxCount=MAX_EVENTS, time=vim.event.EventFilterSpec.ByTime(beginTime=since),
            entity=vim.event.EventFilterSpec.ByEntity(entity=self.root, recursion="self"))
        events = self.client._call("query events", self.client.content.eventManager.QueryEvents, spec) or []
        out = [{"key": e.key, "time": _plain(e.createdTime), "user": e.userName, "message": e.message}
               for e in events if (getattr(e, "message", None) or "").startswith(prefix)]
        out.sort(key=lambda e: e["key"], reverse=True)
        return {"events": out, "complete": len(events) < MAX_EVENTS}
