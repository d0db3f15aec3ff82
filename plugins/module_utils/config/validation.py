# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate a cluster's configuration before anything runs.

Plain Python (no Ansible, no pyVmomi). The configuration is inventory: each
host of the cluster group has a ``vigil_ha_node`` host var, the group has
``vigil_ha_hierarchies`` (docs/configuration.md). ``validate(nodes,
hierarchies)`` returns it with every default filled in, or raises ConfigError
with every error found, not just the first. Each error says where, then the
field, then what is wrong::

    hierarchy 'web', resource 'vip', params.address: required for kind ip
    node 'node3', fencing.method: must be one of vcenter_poweroff, none, not 'ipmi'

Resource parameters are checked against config/kinds.py through config/resource_args.py,
so a kind's parameters are declared once.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import VigilError
import copy
import ipaddress
import re

from ansible_collections.vigil.ha.plugins.module_utils.model.hierarchy import GUEST, HOST, Cluster, find_cycles
from ansible_collections.vigil.ha.plugins.module_utils.model import rto as rto_budget
from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import AGENT_RE, OPTION_RE, RESERVED_OPTIONS
from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import DEFAULT_TIMEOUT as DEFAULT_AGENT_TIMEOUT
from ansible_collections.vigil.ha.plugins.module_utils.fencing.agents import MAX_TIMEOUT as MAX_AGENT_TIMEOUT
from ansible_collections.vigil.ha.plugins.module_utils.fencing.levels import AGENT, MAX_DELAY, METHODS, NONE, VCENTER
from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import CHECK_KINDS, KINDS, defaults
from ansible_collections.vigil.ha.plugins.module_utils.config.resource_args import check_errors, params_errors, replication_errors

MODES = (GUEST, HOST)
FENCING_METHODS = METHODS
SWITCHBACK = ("manual", "automatic")

NODE_KEYS = ("mode", "vm", "physical", "esxi", "fencing", "check", "maintenance")
HIERARCHY_KEYS = ("name", "nodes", "policy", "resources", "maintenance")
RESOURCE_KEYS = ("name", "kind", "params", "depends_on", "check", "replicated")

# confirm: failed checks in a row before a failure is reported (1: the first one; a lost packet is not a failure)
NODE_CHECK = {"interval": 5, "timeout": 2, "confirm": 2}
PROBE_KEYS = ("address", "port")  # check of a host mode node: its management endpoint
RESOURCE_CHECK = {"interval": 10, "timeout": 5, "confirm": 2}
MAX_CONFIRM = 10
POLICY = {
    "local_recovery": {"attempts": 3, "window": 300},
    "failover": {"max": 2, "window": 3600},
    "switchback": "manual",
    "confirm_failover": False,
    "rto": None,  # seconds: the recovery time objective, checked against the worst case (model/rto.py)
    "rto_enforce": "refuse",  # or warn: a worst case over policy.rto is then a warning
    # replicated resources: how far behind (in the kit's units of position) a replica may be and
    # still be promoted by a failover; "unlimited" promotes the most advanced one whatever it lacks
    "max_lag": 0,
}
UNLIMITED = "unlimited"

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ConfigError(VigilError, ValueError, kind="config"):
    """The configuration is refused; ``errors`` lists every reason."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(ConfigError, self).__init__("; ".join(self.errors), errors=self.errors)

    def summary(self):
        """The one wording of a refusal, for modules and the event source alike."""
        return "cluster configuration refused (%d error%s): %s" % (
            len(self.errors), "" if len(self.errors) == 1 else "s", "; ".join(self.errors))


class _Errors(object):
    def __init__(self):
        self.items = []

    def add(self, where, field, message):
        self.items.append("%s, %s: %s" % (where, field, message) if field else "%s: %s" % (where, message))

    def extend(self, messages):
        self.items.extend(messages)


# -- small checks ------------------------------------------------------------

_TYPES = {
    "str": ((str,), "a string"),
    "int": ((int,), "an integer"),
    "number": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "mapping": ((dict,), "a mapping"),
    "list": ((list,), "a list"),
}


def _typed(errs, where, field, value, kind):
    """True when ``value`` has the type named ``kind``; an error otherwise."""
    types, label = _TYPES[kind]
    if isinstance(value, types) and (kind == "bool" or not isinstance(value, bool)):
        return kind != "mapping" or _str_keys(errs, where, field, value)
    if kind == "mapping" or kind == "list":
        errs.add(where, field, "must be %s" % label)
    else:
        errs.add(where, field, "must be %s, not %r" % (label, value))
    return False


def _str_keys(errs, where, field, value):
    """True when every key of the mapping ``value`` is a string; an error otherwise."""
    for key in value:
        if not isinstance(key, str):
            errs.add(where, field, "keys must be strings, not %r" % (key,))
            return False
    return True


def _unknown(errs, where, value, known, prefix=""):
    for key in sorted(set(value) - set(known), key=str):
        errs.add(where, prefix + str(key), "unknown key (known: %s)" % ", ".join(sorted(known)))


def _flag(errs, where, field, value):
    """An optional boolean, false when absent or wrong (then an error)."""
    return value is not None and _typed(errs, where, field, value, "bool") and value


def _choice(errs, where, field, value, choices):
    if value in choices and isinstance(value, str):
        return True
    errs.add(where, field, "must be one of %s, not %r" % (", ".join(choices), value))
    return False


def _mapping(errs, where, field, value, known):
    """``value`` as a dict ({} for None) after checking type and keys, or None."""
    if value is None:
        return {}
    if not _typed(errs, where, field, value, "mapping"):
        return None
    _unknown(errs, where, value, known, field + ".")
    return value


def _count(errs, where, field, value, minimum):
    """An integer of at least ``minimum``."""
    if not _typed(errs, where, field, value, "int"):
        return False
    if value < minimum:
        errs.add(where, field, "must be %s, not %r" % ("greater than 0" if minimum == 1 else "0 or more", value))
        return False
    return True


def _timing(errs, where, field, raw, default, keys_checked=False):
    """``{interval, timeout, confirm}``: seconds, positive, the timeout shorter than the interval;
    ``confirm`` failed checks in a row (1 to MAX_CONFIRM) before a failure counts."""
    if keys_checked:  # by resource_args.check_errors
        raw = raw if isinstance(raw, dict) else None
    else:
        raw = _mapping(errs, where, field, raw, ("interval", "timeout", "confirm"))
    if raw is None:
        return dict(default)
    out = {}
    ok = True
    for key in ("interval", "timeout"):
        value = raw.get(key)
        if value is None:
            out[key] = default[key]
        elif _typed(errs, where, "%s.%s" % (field, key), value, "number"):
            if value <= 0:
                errs.add(where, "%s.%s" % (field, key), "must be greater than 0, not %r" % value)
                ok = False
            out[key] = value
        else:
            out[key] = default[key]
            ok = False
    if ok and out["timeout"] >= out["interval"]:
        errs.add(where, field + ".timeout", "must be less than %s.interval (%s), not %s" % (field, out["interval"], out["timeout"]))
    confirm = raw.get("confirm")
    out["confirm"] = default["confirm"]
    if confirm is not None and _typed(errs, where, field + ".confirm", confirm, "int"):
        if not 1 <= confirm <= MAX_CONFIRM:
            errs.add(where, field + ".confirm", "must be 1 to %d failed checks in a row, not %r" % (MAX_CONFIRM, confirm))
        else:
            out["confirm"] = confirm
    return out


def _vm_identity(errs, where, prefix, ident):
    """Check a VM's ``uuid``/``moref`` strings (already type-checked or not)."""
    uuid, moref = ident.get("uuid"), ident.get("moref")
    if isinstance(uuid, str) and not UUID_RE.match(uuid):
        errs.add(where, prefix + "uuid", "not a UUID (8-4-4-4-12 hexadecimal digits): %r" % uuid)
    if isinstance(moref, str) and (not moref or moref != moref.strip() or " " in moref):
        errs.add(where, prefix + "moref", "not a managed object reference such as vm-42: %r" % moref)


def _param_values(errs, where, prefix, kind, params):
    """Value checks beyond the types of config/kinds.py (types are checked already)."""
    for key, value in sorted(params.items()):
        expected = KINDS[kind]["params"].get(key, (None,))[0]
        if value is None or expected is None or isinstance(value, bool):
            continue
        field = prefix + key
        if expected in (int, float) and not isinstance(value, (int, float)):
            continue
        if expected is str and not isinstance(value, str):
            continue
        if key.endswith("timeout") and value <= 0:
            errs.add(where, field, "must be greater than 0, not %r" % value)
        elif key == "arp_count" and value < 0:
            errs.add(where, field, "must be 0 or more, not %r" % value)
        elif key == "port" and not 0 < value < 65536:
            errs.add(where, field, "must be a port number 1-65535, not %r" % value)
        elif key == "expect_status" and not 100 <= value <= 599:
            errs.add(where, field, "must be an HTTP status 100-599, not %r" % value)
        elif key == "url" and not re.match(r"^https?://[^/\s]+", value):
            errs.add(where, field, "must be an http:// or https:// URL, not %r" % value)
        elif kind == "ip" and key == "address" and _ip(value) is None:
            errs.add(where, field, "not an IP address (such as 10.99.0.100/24): %r" % value)
        elif kind == "ip" and key == "address" and _ip(value).version != 4:
            # The ip kit announces a move with gratuitous ARP (arping), which IPv6 has not.
            errs.add(where, field, "IPv6 virtual IPs are not supported (the ip kit announces moves with "
                     "ARP, IPv4 only): %r" % value)
    if kind == "vm":
        _vm_identity(errs, where, prefix, params)


def _ip(address):
    try:
        return ipaddress.ip_interface(address).ip
    except ValueError:
        return None


# -- nodes -------------------------------------------------------------------

def _node(errs, name, raw):
    """The normalised ``vigil_ha_node`` of one host, or None when unusable."""
    where = "node '%s'" % name
    if raw is None:
        errs.add(where, "vigil_ha_node", "missing (every host of the cluster group is a node)")
        return None
    if not _typed(errs, where, "vigil_ha_node", raw, "mapping"):
        return None
    _unknown(errs, where, raw, NODE_KEYS)
    mode = raw.get("mode")
    if mode is None:
        errs.add(where, "mode", "required (guest or host)")
        mode = None
    elif not _choice(errs, where, "mode", mode, MODES):
        mode = None

    physical = raw.get("physical")
    if physical is None or not _typed(errs, where, "physical", physical, "bool"):
        physical = False
    vm = None
    esxi = None
    if mode == GUEST:
        if raw.get("esxi") is not None:
            errs.add(where, "esxi", "only for host mode nodes (ESXi hosts)")
        if physical:
            if raw.get("vm") is not None:
                errs.add(where, "vm", "not for a physical node")
        elif raw.get("vm") is None:
            errs.add(where, "vm", "required for a guest node that is not physical (uuid or moref)")
        else:
            vm = _node_vm(errs, where, raw["vm"])
    elif mode == HOST:
        for key in ("vm", "physical"):
            if raw.get(key) not in (None, False):
                errs.add(where, key, "only for guest mode nodes")
        esxi = raw.get("esxi")
        if esxi is None:
            errs.add(where, "esxi", "required for a host mode node (the ESXi host's name in vCenter)")
        elif not _typed(errs, where, "esxi", esxi, "str"):
            esxi = None
        elif not esxi.strip():
            errs.add(where, "esxi", "must not be empty")

    fencing = _fencing(errs, where, raw.get("fencing"), mode, physical)

    raw_check = raw.get("check")
    probe = {}
    if isinstance(raw_check, dict) and (mode == HOST or any(k in raw_check for k in PROBE_KEYS)):
        if mode == HOST:  # its keys are checked here, where address and port are known too
            _unknown(errs, where, raw_check, ("interval", "timeout", "confirm") + PROBE_KEYS, "check.")
            raw_check = dict((k, v) for k, v in raw_check.items() if k in ("interval", "timeout", "confirm"))
        if any(k in raw.get("check") for k in PROBE_KEYS):
            probe = _host_probe(errs, where, raw["check"], mode)
        raw_check = dict((k, v) for k, v in raw_check.items() if k not in PROBE_KEYS)
    check = _timing(errs, where, "check", raw_check, NODE_CHECK)
    check.update(probe)
    maintenance = _flag(errs, where, "maintenance", raw.get("maintenance"))
    if mode is None:
        return None
    return {"mode": mode, "vm": vm, "physical": bool(physical) if mode == GUEST else False, "esxi": esxi,
            "fencing": fencing, "check": check, "maintenance": maintenance}


def _host_probe(errs, where, raw, mode):
    """``{address, port}`` of an ESXi host's management endpoint (its hostd, 443), which the
    watcher and the failover probe so that a dead host is seen before vCenter notices."""
    if mode != HOST:
        errs.add(where, "check.address", "only for host mode nodes (the ESXi host's management address)")
        return {}
    address, port = raw.get("address"), raw.get("port", 443)
    if address is None:
        errs.add(where, "check.address", "required with check.port (the ESXi host's management address)")
        return {}
    if not _typed(errs, where, "check.address", address, "str"):
        return {}
    if not address.strip() or any(c.isspace() for c in address):
        errs.add(where, "check.address", "must be a host name or IP address, not %r" % address)
        return {}
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        errs.add(where, "check.port", "must be a port number 1-65535, not %r" % (port,))
        return {}
    return {"address": address, "port": port}


def _fencing(errs, where, raw, mode, physical):
    """``{"method", "levels", "delay"}``: ``method`` one method (the first
    level's), or ``levels``, tried in order; ``method`` is kept as the
    first level's so that one-method configurations read as before."""
    default_method = VCENTER if mode == GUEST and not physical else NONE
    fencing = _mapping(errs, where, "fencing", raw, ("method", "levels", "delay")) or {}
    raw_levels = fencing.get("levels")
    if fencing.get("method") is not None and isinstance(raw_levels, list) and raw_levels and (
            not isinstance(raw_levels[0], dict) or raw_levels[0].get("method") != fencing["method"]):
        # Both are kept in the normalised form (method = the first level's), which validates again.
        errs.add(where, "fencing", "give method (one) or levels (several, in order), not both")
    if raw_levels is None:
        raw_levels = [{"method": fencing["method"] if fencing.get("method") is not None else default_method}]
    elif not _typed(errs, where, "fencing.levels", raw_levels, "list"):
        raw_levels = []
    elif not raw_levels:
        errs.add(where, "fencing.levels", "must list at least one method (or give method: none)")
    levels = []
    for i, level in enumerate(raw_levels):
        field = "fencing" if fencing.get("levels") is None else "fencing.levels[%d]" % i
        levels.append(_fence_level(errs, where, field, level, mode, physical, default_method))
    levels = [lv for lv in levels if lv is not None]
    if any(lv["method"] == NONE for lv in levels) and len(levels) > 1:
        errs.add(where, "fencing.levels", "method none cannot be one level among others")
    delay = fencing.get("delay", 0)
    if isinstance(delay, bool) or not isinstance(delay, int) or not 0 <= delay <= MAX_DELAY:
        errs.add(where, "fencing.delay", "must be 0 to %d seconds, not %r" % (MAX_DELAY, delay))
        delay = 0
    levels = levels or [{"method": default_method}]
    return {"method": levels[0]["method"], "levels": levels, "delay": delay}


def _fence_level(errs, where, field, raw, mode, physical, default_method):
    """One fencing level, normalised; the password itself is never kept
    (the fence step reads it from the inventory; ``password_set`` says it
    is there)."""
    if not _typed(errs, where, field, raw, "mapping"):
        return None
    method = raw.get("method")
    # password_set: the normalised form's trace of a password (validated again by the plan module).
    known = (("method", "agent", "options", "password", "password_env", "password_set", "timeout")
             if method == AGENT else ("method",))
    _unknown(errs, where, raw, known, prefix=field + ".")
    if method is None:
        errs.add(where, field + ".method", "required (one of %s)" % ", ".join(FENCING_METHODS))
        return None
    if not _choice(errs, where, field + ".method", method, FENCING_METHODS):
        return None
    if method == VCENTER and mode == GUEST and physical:
        errs.add(where, field + ".method", "vcenter_poweroff needs a VM, and this node is physical")
    if method != AGENT:
        return {"method": method}
    agent = raw.get("agent")
    if agent is None:
        errs.add(where, field + ".agent", "required for fence_agent (the fence agent's name, such as fence_ipmilan)")
    elif not _typed(errs, where, field + ".agent", agent, "str") or not AGENT_RE.match(agent):
        if isinstance(agent, str):
            errs.add(where, field + ".agent", "must be a fence agent's name (fence_ipmilan, fence_redfish, ...), "
                     "not %r" % agent)
        agent = None
    options = raw.get("options")
    if options is None:
        errs.add(where, field + ".options", "required: the agent's options (ip, username, ...)")
        options = {}
    elif not _typed(errs, where, field + ".options", options, "mapping"):
        options = {}
    clean = {}
    for key, value in options.items():
        at = "%s.options.%s" % (field, key)
        if not isinstance(key, str) or not OPTION_RE.match(key):
            errs.add(where, at, "not an agent option name (lower case, digits, _)")
        elif key in RESERVED_OPTIONS:
            errs.add(where, at, "set by vigil.ha or a secret: give the password as %s.password (vault) or "
                     "%s.password_env" % (field, field) if "pass" in key else "set by vigil.ha, not an option")
        elif isinstance(value, bool) or not isinstance(value, (str, int)):
            errs.add(where, at, "must be a string or an integer, not %r" % (value,))
        elif "\n" in str(value):
            errs.add(where, at, "must be one line")
        else:
            clean[key] = value
    if agent and not (set(clean) & {"ip", "ipaddr", "plug", "port"}):
        errs.add(where, field + ".options", "needs the address of the management controller (ip)")
    password, password_env = raw.get("password"), raw.get("password_env")
    if password is not None and password_env is not None:
        errs.add(where, field + ".password", "give password or password_env, not both")
    if password is not None and not isinstance(password, str):
        errs.add(where, field + ".password", "must be a string (from a vault)")
    if password_env is not None and not (isinstance(password_env, str) and ENV_RE.match(password_env)):
        errs.add(where, field + ".password_env", "must name an environment variable, not %r" % (password_env,))
    timeout = raw.get("timeout", DEFAULT_AGENT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_AGENT_TIMEOUT:
        errs.add(where, field + ".timeout", "must be 1 to %d seconds, not %r" % (MAX_AGENT_TIMEOUT, timeout))
        timeout = DEFAULT_AGENT_TIMEOUT
    return {"method": AGENT, "agent": agent, "options": clean, "timeout": timeout,
            "password_env": password_env, "password_set": password is not None or raw.get("password_set") is True}


def _node_vm(errs, where, raw):
    vm = _mapping(errs, where, "vm", raw, ("uuid", "moref"))
    if vm is None:
        return None
    out = {}
    for key in ("uuid", "moref"):
        value = vm.get(key)
        out[key] = value if value is not None and _typed(errs, where, "vm." + key, value, "str") else None
    if vm.get("uuid") is None and vm.get("moref") is None:
        errs.add(where, "vm", "give uuid or moref (a VM is never named by its name alone)")
    _vm_identity(errs, where, "vm.", out)
    return out


def _same_vm(errs, owners, key, value, where, field, owner):
    """Record VM identity ``key``=``value`` for ``owner``; an error when already taken."""
    if not isinstance(value, str):
        return
    value = value.lower() if key == "uuid" else value
    if (key, value) in owners:
        errs.add(where, field, "same VM as %s" % owners[(key, value)])
    else:
        owners[(key, value)] = owner


def _nodes(errs, raw_nodes):
    if not isinstance(raw_nodes, dict):
        errs.add("nodes", "", "must be a mapping of inventory host names to vigil_ha_node")
        return {}
    out = {}
    owners = {}
    esxi = {}
    for name, raw in raw_nodes.items():
        node = _node(errs, name, raw)
        if node is None:
            continue
        out[name] = node
        where = "node '%s'" % name
        for key in ("uuid", "moref"):
            if node["vm"]:
                _same_vm(errs, owners, key, node["vm"][key], where, "vm." + key, where)
        if node["esxi"]:
            if node["esxi"] in esxi:
                errs.add(where, "esxi", "same ESXi host as node '%s'" % esxi[node["esxi"]])
            else:
                esxi[node["esxi"]] = name
    return out


def _agents_installed(errs, nodes, agents):
    for name, node in sorted(nodes.items()):
        for i, level in enumerate(node["fencing"]["levels"]):
            if level.get("agent") and level["agent"] not in agents:
                errs.add("node '%s'" % name, "fencing.levels[%d].agent" % i,
                         "%s is not installed on the controller (Debian/RHEL package fence-agents)" % level["agent"])


# -- hierarchies -------------------------------------------------------------

def _policy(errs, where, raw):
    raw = _mapping(errs, where, "policy", raw, tuple(POLICY))
    out = copy.deepcopy(POLICY)
    if raw is None:
        return out
    for section, keys, minimum in (("local_recovery", ("attempts", "window"), (0, 1)),
                                   ("failover", ("max", "window"), (0, 1))):
        sub = _mapping(errs, where, "policy." + section, raw.get(section), keys)
        for key, least in zip(keys, minimum):
            value = (sub or {}).get(key)
            if value is not None and _count(errs, where, "policy.%s.%s" % (section, key), value, least):
                out[section][key] = value
    if raw.get("switchback") is not None and _choice(errs, where, "policy.switchback", raw["switchback"], SWITCHBACK):
        out["switchback"] = raw["switchback"]
    if raw.get("confirm_failover") is not None and _typed(errs, where, "policy.confirm_failover", raw["confirm_failover"], "bool"):
        out["confirm_failover"] = raw["confirm_failover"]
    if raw.get("rto") is not None and _count(errs, where, "policy.rto", raw["rto"], 1):
        out["rto"] = raw["rto"]
    if raw.get("rto_enforce") is not None and _choice(errs, where, "policy.rto_enforce", raw["rto_enforce"],
                                                      rto_budget.ENFORCE):
        out["rto_enforce"] = raw["rto_enforce"]
    max_lag = raw.get("max_lag")
    if max_lag is not None:
        if max_lag == UNLIMITED or (isinstance(max_lag, int) and not isinstance(max_lag, bool) and max_lag >= 0):
            out["max_lag"] = max_lag
        else:
            errs.add(where, "policy.max_lag", "must be an integer 0 or more (in the kit's units of position, "
                     "such as bytes of WAL) or %s, not %r" % (UNLIMITED, max_lag))
    return out


def rto_budgets(config, lease=None, overhead=rto_budget.CONTROLLER_OVERHEAD):
    """``[budget]`` of every hierarchy of the validated ``config`` that states a ``policy.rto``
    (model/rto.py); ``lease``: ``{lease_ttl, lease_renew}`` with redundant watchers, else None."""
    return [rto_budget.budget(h, config["nodes"], lease, overhead)
            for h in config["hierarchies"] if h["policy"]["rto"] is not None]


def rto_options(lease=None, lease_ttl=None, lease_renew=None, overhead=None):
    """``(lease, overhead)`` for rto_budgets from the caller's inputs (None: not known), checked;
    a lease_ttl or lease_renew given means the lease is on unless ``lease`` is false."""
    errs = _Errors()
    for field, value in (("lease_ttl", lease_ttl), ("lease_renew", lease_renew), ("rto_overhead", overhead)):
        if value is not None:
            _count(errs, "RTO input", field, value, 0 if field == "rto_overhead" else 1)
    if lease is not None:
        _typed(errs, "RTO input", "lease", lease, "bool")
    if errs.items:
        raise ConfigError(errs.items)
    on = lease if lease is not None else (lease_ttl is not None or lease_renew is not None)
    return (rto_budget.lease_of(on, lease_ttl, lease_renew),
            rto_budget.CONTROLLER_OVERHEAD if overhead is None else overhead)


def _members(errs, where, raw, nodes, group):
    """The hierarchy's ``nodes`` list as [{node, priority}] sorted by priority."""
    if raw is None or raw == []:
        errs.add(where, "nodes", "must list at least one node")
        return []
    if not _typed(errs, where, "nodes", raw, "list"):
        return []
    out = []
    seen = {}
    priorities = {}
    for i, entry in enumerate(raw):
        at = "%s, nodes[%d]" % (where, i)
        if not _typed(errs, at, "", entry, "mapping"):
            continue
        name = entry.get("node")
        if isinstance(name, str) and name:
            at = "%s, node '%s'" % (where, name)
        _unknown(errs, at, entry, ("node", "priority"))
        if name is None:
            errs.add(at, "node", "required (an inventory host of the cluster group)")
            continue
        if not _typed(errs, at, "node", name, "str"):
            continue
        if name in seen:
            errs.add(at, "", "listed twice")
            continue
        seen[name] = True
        if name not in group:
            errs.add(at, "", "not a host of the cluster group")
        priority = entry.get("priority")
        if priority is None:
            errs.add(at, "priority", "required (an integer, lower is preferred)")
        elif _typed(errs, at, "priority", priority, "int"):
            if priority in priorities:
                errs.add(at, "priority", "%d is also the priority of node '%s'" % (priority, priorities[priority]))
            else:
                priorities[priority] = name
                out.append({"node": name, "priority": priority})
    out.sort(key=lambda e: e["priority"])
    return out


def _name(errs, where, name, names, i, collection):
    """``name`` when it is good and new (then taken in ``names``), else None."""
    if name is None:
        errs.add(where, "name", "required")
    elif _typed(errs, where, "name", name, "str"):
        if not NAME_RE.match(name):
            errs.add(where, "name", "must be letters, digits, '.', '_' or '-', starting with a letter or digit, not %r" % name)
        elif name in names:
            errs.add(where, "name", "%r is also the name of %s[%d]" % (name, collection, names[name]))
        else:
            names[name] = i
            return name
    return None


def _resource(errs, where, i, raw, names, mode):
    """One normalised resource, or None; ``names`` maps names taken to their index."""
    at = "%s, resources[%d]" % (where, i)
    if not _typed(errs, at, "", raw, "mapping"):
        return None
    name = _name(errs, at, raw.get("name"), names, i, "resources")
    if name is not None:
        at = "%s, resource '%s'" % (where, name)
    _unknown(errs, at, raw, RESOURCE_KEYS)

    kind = raw.get("kind")
    if kind is None:
        errs.add(at, "kind", "required (one of %s)" % ", ".join(sorted(KINDS)))
        kind = None
    elif not isinstance(kind, str) or kind not in KINDS:
        errs.add(at, "kind", "unknown kind %r (known: %s)" % (kind, ", ".join(sorted(KINDS))))
        kind = None
    elif mode == GUEST and KINDS[kind]["where"] != "node":
        errs.add(at, "kind", "%s resources need host mode nodes (ESXi hosts), and this hierarchy's nodes are guest mode" % kind)
    elif mode == HOST and KINDS[kind]["where"] == "node":
        errs.add(at, "kind", "%s resources run on guest mode nodes, and this hierarchy's nodes are ESXi hosts (host mode)" % kind)

    params = raw.get("params")
    if params is None:
        params = {}
    if isinstance(params, dict) and not _str_keys(errs, at, "params", params):
        kind = None
    elif kind is not None:
        errs.extend(params_errors(kind, params, at))
        if isinstance(params, dict):
            _param_values(errs, at, "params.", kind, params)
            if kind == "vm" and params.get("moref") is not None and params.get("uuid") is None:
                # A failover registers the VM again on another host: a new MoRef, the same UUID.
                errs.add(at, "params.moref", "a vm resource is named by params.uuid (its BIOS UUID, config.uuid), "
                         "not by MoRef: a failover registers the VM again, which gives it a new MoRef")
    params = defaults(kind, params) if kind is not None and isinstance(params, dict) else {}

    depends_on = raw.get("depends_on")
    deps = []
    if depends_on is not None and _typed(errs, at, "depends_on", depends_on, "list"):
        for dep in depends_on:
            if not _typed(errs, at, "depends_on", dep, "str"):
                continue
            if dep in deps:
                errs.add(at, "depends_on", "%r listed twice" % dep)
            else:
                deps.append(dep)

    check = _resource_check(errs, at, raw.get("check"))
    replicated = _replicated(errs, at, raw.get("replicated"), kind, params)
    if name is None or kind is None:
        return None
    return {"name": name, "kind": kind, "params": params, "depends_on": deps, "check": check,
            "replicated": replicated}


def _replicated(errs, at, value, kind, params):
    """``replicated: true``: a kind that can be replicated, with the parameters it then needs."""
    if not _flag(errs, at, "replicated", value):
        return False
    if kind is not None:
        errs.extend(replication_errors(kind, params, True, at))
    return True


def _resource_check(errs, at, raw):
    if raw is None:
        return dict(RESOURCE_CHECK)
    if isinstance(raw, dict) and not (_str_keys(errs, at, "check", raw) and all(
            _str_keys(errs, at, "check." + k, raw[k]) for k in CHECK_KINDS if isinstance(raw.get(k), dict))):
        return dict(RESOURCE_CHECK)
    for message in check_errors(raw, at):
        for kind in CHECK_KINDS:  # "check.http, params.url" -> "check.http.url"
            message = message.replace("%s, check.%s, params" % (at, kind), "%s, check.%s" % (at, kind))
        errs.extend([message])
    out = _timing(errs, at, "check", raw, RESOURCE_CHECK, keys_checked=True)
    if not isinstance(raw, dict):
        return out
    for kind in CHECK_KINDS:
        params = raw.get(kind)
        if not isinstance(params, dict):
            continue
        _param_values(errs, at, "check.%s." % kind, kind, params)
        out[kind] = defaults(kind, params)
        timeout = out[kind].get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > out["timeout"]:
            errs.add(at, "check.%s.timeout" % kind, "must not be more than check.timeout (%s), not %s" % (out["timeout"], timeout))
    return out


def _hierarchy(errs, i, raw, nodes, group, names):
    """One normalised hierarchy, or None; ``names`` maps hierarchy names taken to their index."""
    where = "hierarchies[%d]" % i
    if not _typed(errs, where, "", raw, "mapping"):
        return None
    name = _name(errs, where, raw.get("name"), names, i, "hierarchies")
    if name is not None:
        where = "hierarchy '%s'" % name
    _unknown(errs, where, raw, HIERARCHY_KEYS)

    members = _members(errs, where, raw.get("nodes"), nodes, group)
    modes = {}
    for entry in members:
        if entry["node"] in nodes:
            modes.setdefault(nodes[entry["node"]]["mode"], entry["node"])
    mode = None
    if len(modes) > 1:
        errs.add(where, "nodes", "mixes guest mode (%s) and host mode (%s) nodes" % (modes[GUEST], modes[HOST]))
    elif modes:
        mode = list(modes)[0]

    policy = _policy(errs, where, raw.get("policy"))
    if not policy["confirm_failover"] and policy["failover"]["max"] > 0:
        unfenced = [e["node"] for e in members if e["node"] in nodes and nodes[e["node"]]["fencing"]["method"] == "none"]
        if unfenced:
            errs.add(where, "policy.confirm_failover",
                     "false (automatic failover) needs fencing on every node, and fencing.method is none on %s "
                     "(configure fencing or set confirm_failover: true)" % ", ".join(unfenced))

    resources = []
    raw_resources = raw.get("resources")
    if raw_resources is None or raw_resources == []:
        errs.add(where, "resources", "must list at least one resource")
    elif _typed(errs, where, "resources", raw_resources, "list"):
        taken = {}
        for j, entry in enumerate(raw_resources):
            resource = _resource(errs, where, j, entry, taken, mode)
            if resource is not None:
                resources.append(resource)
        known = set(taken)
        for resource in resources:
            for dep in resource["depends_on"]:
                if dep not in known:
                    errs.add("%s, resource '%s'" % (where, resource["name"]), "depends_on", "%r is not a resource of this hierarchy" % dep)
        graph = dict((r["name"], [d for d in r["depends_on"] if d in known]) for r in resources)
        for cycle in find_cycles(graph):
            errs.add("%s, resource '%s'" % (where, cycle[0]), "depends_on", "dependency cycle %s" % " -> ".join(cycle))

    replicated = [r["name"] for r in resources if r["replicated"]]
    if len(replicated) > 1:
        # The failover picks the replica with the most data: with two replicated resources
        # the most advanced node of one may lag in the other.
        errs.add(where, "resources", "at most one replicated resource a hierarchy, not %d (%s)"
                 % (len(replicated), ", ".join(replicated)))
    maintenance = _flag(errs, where, "maintenance", raw.get("maintenance"))
    if name is None:
        return None
    return {"name": name, "nodes": members, "policy": policy, "resources": resources, "maintenance": maintenance}


def _claims(errs, hierarchies):
    """Virtual IPs and VMs claimed twice, across and within hierarchies."""
    addresses = {}
    owners = {}
    for h in hierarchies:
        for r in h["resources"]:
            where = "hierarchy '%s', resource '%s'" % (h["name"], r["name"])
            if r["kind"] == "ip":
                ip = _ip(r["params"].get("address") or "")
                if ip is None:
                    continue
                if ip in addresses:
                    errs.add(where, "params.address", "%s is also claimed by %s" % (ip, addresses[ip]))
                else:
                    addresses[ip] = where
            elif r["kind"] == "vm":
                for key in ("uuid", "moref"):
                    _same_vm(errs, owners, key, r["params"].get(key), where, "params." + key, where)


def hierarchies_of_hosts(per_host):
    """``(hierarchies, where)``: the one ``vigil_ha_hierarchies`` the hosts of the cluster group see.

    ``per_host`` maps each host of the group to the ``vigil_ha_hierarchies``
    Ansible gives it (None where it is not defined), so that a definition on
    the group, on a child group or in host vars is found wherever it is.
    Hosts that define it must agree; ``where`` says which hosts define it.
    Raises ConfigError when they differ.
    """
    defined = [(h, v) for h, v in (per_host or {}).items() if v is not None]
    if not defined:
        return [], "no host of the cluster group defines vigil_ha_hierarchies"
    variants = []
    for host, value in defined:
        for variant in variants:
            if variant[0] == value:
                variant[1].append(host)
                break
        else:
            variants.append((value, [host]))
    if len(variants) > 1:
        raise ConfigError(["vigil_ha_hierarchies: the hosts of the cluster group see %d different definitions (%s): "
                           "define it once, on the cluster group" % (
                               len(variants), "; ".join("one on %s" % ", ".join(hosts) for dummy, hosts in variants))])
    hosts = variants[0][1]
    missing = [h for h in per_host if per_host[h] is None]
    where = "vigil_ha_hierarchies of %s" % ("every host of the cluster group" if not missing else
                                            "%s (not defined on %s)" % (", ".join(hosts), ", ".join(missing)))
    return variants[0][0], where


def validate(nodes, hierarchies, agents=None, rto=None):
    """The configuration with defaults filled in: ``{"nodes": {...}, "hierarchies": [...]}``.

    ``nodes`` maps every inventory host of the cluster group to its
    ``vigil_ha_node`` (None when it has none); ``hierarchies`` is
    ``vigil_ha_hierarchies``. ``agents``: the fence agents installed where
    fencing runs (the controller); when given, a level naming another is
    refused. ``rto``: ``(lease, overhead)`` (rto_options) to check each
    ``policy.rto`` once everything else is valid: a hierarchy whose worst
    case exceeds it is refused (``policy.rto_enforce: refuse``). Without it
    (a move, the watcher) the budget is not checked: a failover is never
    refused for being slow. Raises ConfigError listing every error.
    """
    errs = _Errors()
    good_nodes = _nodes(errs, nodes)
    if agents is not None:
        _agents_installed(errs, good_nodes, agents)
    group = set(nodes) if isinstance(nodes, dict) else set()
    out = []
    if hierarchies is None:
        hierarchies = []
    if _typed(errs, "vigil_ha_hierarchies", "", hierarchies, "list"):
        names = {}
        for i, raw in enumerate(hierarchies):
            h = _hierarchy(errs, i, raw, good_nodes, group, names)
            if h is not None:
                out.append(h)
        _claims(errs, out)
    if errs.items:
        raise ConfigError(errs.items)
    config = {"nodes": good_nodes, "hierarchies": out}
    for b in rto_budgets(config, *rto) if rto else []:  # on a valid configuration only: it needs all of it
        if not b["meets"] and b["enforce"] == "refuse":
            errs.add("hierarchy '%s'" % b["hierarchy"], "policy.rto", rto_budget.message(b))
    if errs.items:
        raise ConfigError(errs.items)
    return config


def load(nodes, hierarchies, name=None):
    """The Cluster model of a configuration; raises ConfigError when it is refused."""
    return Cluster.from_config(validate(nodes, hierarchies), name)
