# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paging of bulk reads (the lab's simulator never pages, so it is faked here),
and the service content read once per session."""
from __future__ import annotations

import ssl
from types import SimpleNamespace as NS

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.client import VsphereClient
from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import VsphereConnectionError


def obj(moref, wsdl, **props):
    return NS(obj=NS(_moId=moref, _wsdlName=wsdl), propSet=[NS(name=k, val=v) for k, v in props.items()])


class PagingCollector(object):
    def __init__(self, pages):
        self.pages = pages
        self.calls = []

    def RetrievePropertiesEx(self, specs, options):
        self.calls.append(("RetrievePropertiesEx", options.maxObjects))
        return NS(objects=self.pages[0], token="page-1" if len(self.pages) > 1 else None)

    def ContinueRetrievePropertiesEx(self, token):
        n = int(token.split("-")[1])
        self.calls.append(("ContinueRetrievePropertiesEx", token))
        return NS(objects=self.pages[n], token="page-%d" % (n + 1) if n + 1 < len(self.pages) else None)


def test_retrieve_follows_every_page_once_and_destroys_its_view():
    pc = PagingCollector([
        [obj("vm-1", "VirtualMachine", name="a"), obj("vm-2", "VirtualMachine", name="b")],
        [obj("vm-3", "VirtualMachine", name="c")],
        [obj("host-1", "HostSystem", name="esx")],
    ])
    destroyed = []
    client = VsphereClient("vc", "u", "p")
    client.si = NS(content=NS(propertyCollector=pc))
    client._view = lambda types, container=None: NS(DestroyView=lambda: destroyed.append(True))
    client._filter_spec = lambda view, props: "spec"

    out = client.retrieve({"VirtualMachine": ["name"]}, page_size=2)

    assert sorted(out) == ["host-1", "vm-1", "vm-2", "vm-3"]
    assert out["vm-3"] == {"type": "VirtualMachine", "props": {"name": "c"}}
    assert pc.calls == [("RetrievePropertiesEx", 2), ("ContinueRetrievePropertiesEx", "page-1"),
                        ("ContinueRetrievePropertiesEx", "page-2")]
    assert destroyed == [True]


def test_password_is_not_in_the_client_repr_or_attributes():
    client = VsphereClient("vc", "u", "canary-secret")
    assert "canary-secret" not in repr(vars(client).get("password", ""))
    assert "canary-secret" not in repr(client)


class CountingInstance(object):
    """A ServiceInstance whose ``content`` is a remote read, as pyVmomi's is."""

    def __init__(self, error=None):
        self.reads = 0
        self.error = error

    @property
    def content(self):
        self.reads += 1
        if self.error:
            raise self.error
        return NS(propertyCollector="pc")


def test_service_content_is_read_once_per_session():
    client = VsphereClient("vc", "u", "p")
    client.si = CountingInstance()
    assert client.content.propertyCollector == "pc"
    assert client.content.propertyCollector == "pc"
    assert client.si.reads == 1


def test_a_dropped_link_while_reading_the_content_is_a_typed_error():
    client = VsphereClient("vc", "u", "p")
    client.si = CountingInstance(error=ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))
    with pytest.raises(VsphereConnectionError, match="read the service content: lost vCenter vc"):
        getattr(client, "content")
