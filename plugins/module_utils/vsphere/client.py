# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one vSphere client of vigil.ha: the only code that imports pyVmomi.

One session per run (``with VsphereClient(...) as client``), TLS verified by
default, every call bounded by a socket timeout, bulk reads through the
PropertyCollector, change notifications through WaitForUpdatesEx, task
waiting with a deadline. pyVmomi faults leave this module as the typed
errors of ``vsphere_errors``; values leave it as plain Python.
"""

from __future__ import annotations

import os
import socket
import ssl
import time

from ansible_collections.vigil.ha.plugins.module_utils.vsphere.errors import (
    VsphereApiError,
    VsphereAuthenticationError,
    VsphereCertificateError,
    VsphereConnectionError,
    VsphereTaskError,
    VsphereTimeoutError,
)

try:
    from pyVim.connect import Disconnect, SmartConnect
    from pyVmomi import vim, vmodl
    from pyVmomi.VmomiSupport import ManagedObject
    HAS_PYVMOMI = True
    PYVMOMI_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module base
    HAS_PYVMOMI = False
    PYVMOMI_IMPORT_ERROR = exc

# Types the inventory read covers, in one ContainerView.
INVENTORY_TYPES = ("VirtualMachine", "HostSystem", "ClusterComputeResource", "ComputeResource", "Folder", "Datacenter")
CONTAINER_PROPERTIES = ("name", "parent")
PAGE_SIZE = 1000


def _plain(value):
    """pyVmomi values as plain Python: references become MoRef strings."""
    if isinstance(value, ManagedObject):
        return value._moId
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class VsphereClient(object):
    """A session to vCenter (or an ESXi host).

    ``timeout`` bounds connecting and every later call, in seconds.
    ``ca_path`` is a CA bundle file or directory that is trusted in addition
    to the system's; ``validate_certs=False`` turns verification off.
    """

    def __init__(self, hostname, username, password, port=443, validate_certs=True, ca_path=None, timeout=30):
        self.hostname = hostname
        self.username = username
        self._password = password
        self.port = port
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.si = None
        self._content = None  # the ServiceContent, read once per session

    # -- session ---------------------------------------------------------

    def _ssl_context(self):
        if not self.validate_certs:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        ctx = ssl.create_default_context()
        if self.ca_path:
            try:
                if os.path.isdir(self.ca_path):
                    ctx.load_verify_locations(capath=self.ca_path)
                else:
                    ctx.load_verify_locations(cafile=self.ca_path)
            except (OSError, ssl.SSLError) as exc:
                raise VsphereCertificateError("cannot load ca_path %s: %s" % (self.ca_path, exc), field="ca_path")
        return ctx

    def connect(self):
        if self.si is not None:
            return self
        where = "%s:%s" % (self.hostname, self.port)
        try:
            self.si = SmartConnect(
                host=self.hostname, port=self.port, user=self.username, pwd=self._password,
                sslContext=self._ssl_context(), httpConnectionTimeout=self.timeout,
                disableSslCertValidation=not self.validate_certs,
            )
        except vim.fault.InvalidLogin:
            raise VsphereAuthenticationError(
                "vCenter %s refused the login of user %s: wrong username or password" % (where, self.username))
        except ssl.SSLCertVerificationError as exc:
            raise VsphereCertificateError(
                "vCenter %s presented an untrusted certificate (%s); give its CA with ca_path, "
                "or set validate_certs: false only in a lab" % (where, exc.verify_message or exc.reason))
        except ssl.SSLError as exc:
            raise VsphereCertificateError("TLS with vCenter %s failed: %s" % (where, exc))
        except (socket.timeout, TimeoutError):
            raise VsphereTimeoutError("vCenter %s did not answer within %ss" % (where, self.timeout))
        except (OSError, vmodl.fault.HostCommunication) as exc:
            raise VsphereConnectionError("cannot reach vCenter %s: %s" % (where, exc))
        except vmodl.MethodFault as exc:
            raise VsphereApiError("vCenter %s: %s" % (where, exc.msg))
        return self

    def close(self):
        if self.si is not None:
            try:
                Disconnect(self.si)
            except Exception:  # pylint: disable=broad-except
                pass  # best effort: the session expires on its own
            self.si = None
            self._content = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    @property
    def content(self):
        # si.content is a remote property: each read is a round trip. Read it
        # once per session, through _call so that a dropped link is a typed error.
        self.connect()
        if self._content is None:
            self._content = self._call("read the service content", lambda: self.si.content)
        return self._content

    def _call(self, what, func, *args, **kwargs):
        """Run one API call, translating faults into typed errors."""
        try:
            return func(*args, **kwargs)
        except (socket.timeout, TimeoutError):
            raise VsphereTimeoutError("%s: vCenter did not answer within %ss" % (what, self.timeout))
        except vim.fault.NotAuthenticated:
            raise VsphereAuthenticationError("%s: the vCenter session is no longer valid" % what)
        except vmodl.MethodFault as exc:
            raise VsphereApiError("%s: %s" % (what, exc.msg or type(exc).__name__))
        except (OSError, vmodl.fault.HostCommunication) as exc:
            raise VsphereConnectionError("%s: lost vCenter %s:%s: %s" % (what, self.hostname, self.port, exc))

    # -- bulk reads ------------------------------------------------------

    def _view(self, types, container=None):
        content = self.content
        return self._call(
            "create container view", content.viewManager.CreateContainerView,
            container or content.rootFolder, [getattr(vim, t) for t in types], True)

    @staticmethod
    def _filter_spec(view, properties):
        pc = vmodl.query.PropertyCollector
        traverse = pc.TraversalSpec(name="view", type=vim.view.ContainerView, path="view", skip=False)
        return pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=view, skip=True, selectSet=[traverse])],
            propSet=[pc.PropertySpec(type=getattr(vim, t), pathSet=list(paths)) for t, paths in properties.items()],
        )

    def retrieve(self, properties, container=None, page_size=PAGE_SIZE):
        """Read ``{type: [property paths]}`` for every object below ``container``.

        One RetrievePropertiesEx per page of ``page_size`` objects, continued
        with ContinueRetrievePropertiesEx; never one call per object.
        Returns ``{moref: {"type": type, "props": {path: value}}}``.
        """
        pc = self.content.propertyCollector
        view = self._view(list(properties), container)
        try:
            spec = self._filter_spec(view, properties)
            options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=page_size)
            result = self._call("read inventory", pc.RetrievePropertiesEx, [spec], options)
            out = {}
            while result is not None:
                for obj in result.objects or []:
                    out[obj.obj._moId] = {
                        "type": obj.obj._wsdlName,
                        "props": dict((p.name, _plain(p.val)) for p in obj.propSet or []),
                    }
                if not result.token:
                    break
                result = self._call("read inventory", pc.ContinueRetrievePropertiesEx, result.token)
            return out
        finally:
            self._call("destroy container view", view.DestroyView)

    def read_inventory(self, vm_properties, host_properties):
        """VMs, hosts and the containers above them, in one paged read."""
        props = dict((t, CONTAINER_PROPERTIES) for t in INVENTORY_TYPES)
        props["VirtualMachine"] = vm_properties
        props["HostSystem"] = host_properties
        return self.retrieve(props)

    # -- change notifications -------------------------------------------

    def watch(self, properties, max_wait=10, container=None):
        """Yield batches of changes from one WaitForUpdatesEx filter.

        The first batch is the full current state (every object ``enter``);
        later ones carry only what changed. Each batch is a list of
        ``{"moref", "type", "kind": enter|modify|leave, "changes": {path: value}}``.
        An empty list is yielded when ``max_wait`` passes with no change, so
        callers can stop between batches. The filter is destroyed on close.
        """
        content = self.content
        pc = self._call("create property collector", content.propertyCollector.CreatePropertyCollector)
        view = self._view(list(properties), container)
        try:
            self._call("create filter", pc.CreateFilter, self._filter_spec(view, properties), True)
            options = vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=max_wait)
            version = ""
            while True:
                update = self._call("wait for updates", pc.WaitForUpdatesEx, version, options)
                if update is None:
                    yield []
                    continue
                version = update.version
                batch = []
                for fs in update.filterSet or []:
                    for obj in fs.objectSet or []:
                        batch.append({
                            "moref": obj.obj._moId,
                            "type": obj.obj._wsdlName,
                            "kind": str(obj.kind),
                            "changes": dict((c.name, None if c.op == "remove" else _plain(c.val))
                                            for c in obj.changeSet or []),
                        })
                yield batch
        finally:
            for destroy in (view.DestroyView, pc.DestroyPropertyCollector):
                try:
                    destroy()
                except Exception:  # pylint: disable=broad-except
                    pass  # the session may be gone already

    # -- tasks -----------------------------------------------------------

    def wait_for_task(self, task, timeout):
        """Wait for a task to end, at most ``timeout`` seconds; return its result."""
        deadline = time.monotonic() + timeout
        pc = self._call("create property collector", self.content.propertyCollector.CreatePropertyCollector)
        try:
            spec = vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=task)],
                propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.Task, pathSet=["info.state"])])
            self._call("create filter", pc.CreateFilter, spec, True)
            version = ""
            while True:
                info = self._call("read task", getattr, task, "info")
                if info.state == "success":
                    return _plain(info.result)
                if info.state == "error":
                    raise VsphereTaskError("task %s failed: %s" % (
                        info.descriptionId or task._moId, getattr(info.error, "msg", None) or info.error))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise VsphereTimeoutError("task %s did not finish within %ss" % (
                        info.descriptionId or task._moId, timeout))
                options = vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=max(1, int(min(left, self.timeout))))
                update = self._call("wait for task", pc.WaitForUpdatesEx, version, options)
                if update is not None:
                    version = update.version
        finally:
            try:
                pc.DestroyPropertyCollector()
            except Exception:  # pylint: disable=broad-except
                pass
