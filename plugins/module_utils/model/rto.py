# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The worst-case recovery time of a hierarchy, against its ``policy.rto`` (plain Python).

The one place of the formula (docs/events.md and docs/plans.md refer here).
For every single failure that vigil.ha recovers from by itself, the worst
case is the sum of:

- detection: a VM powered off is pushed by vCenter (VCENTER_PUSH); a check
  (a node's SSH reachability, a host's management address, a resource's
  check) is ``detection(check, run)`` below;
- the watcher lease's takeover, with redundant watchers (the active one may
  die with the failure): ``lease_ttl`` + ``lease_renew``;
- the fence of the failed node: its delay and every level's timeout (each
  level is tried when the one before fails; model/step_limits.py);
- the steps: the start of every resource in start order (a failover), or the
  restart of the failed one (a local recovery), each its kit's bound and its
  attached check's wait (model/step_limits.py);
- the playbook's own cost (CONTROLLER_OVERHEAD, or the caller's figure).

A failover that waits for an operator (``policy.confirm_failover``,
``policy.failover.max: 0``, a hierarchy of one node) has no bound.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.config.kinds import CHECK_KINDS
from ansible_collections.vigil.ha.plugins.module_utils.model import step_limits

ENFORCE = ("refuse", "warn")
# The failover playbook's own cost beyond its fence and starts: 11.16 s median, 12.26 s max, in the
# lab on 2026-12-03 (docs/performance.md "Recovery time"). Callers may give their own figure.
CONTROLLER_OVERHEAD = 12
# A VM powered off reaches the source by push (WaitForUpdatesEx): 0.05 to 0.25 s in the lab
# (docs/performance.md "Recovery time"); 1 s as a bound.
VCENTER_PUSH = 1
# vCenter marks a host not responding after 60 s without a heartbeat (vpxd's
# config.vpxd.heartbeat.notRespondingTimeout default): a host mode node without check.address waits for it.
VCENTER_HOST_TIMEOUT = 60
# One node-side check run beyond the check's own timeout: starting ansible and its SSH session,
# about 1.3 s in the lab (docs/events.md "Check intervals and confirmation").
SSH_RUN = 1.3
# The event source's own figures (health/schedule.py, health/source.py, health/lease_keeper.py;
# tests/unit/plugins/module_utils/model/test_rto.py keeps them equal): the model layer may not import health.
TICK = 0.1
RECHECK_MAX = 1.0
PROBE_WAIT = 1  # a tcp/http check or host probe is given its timeout + 1 s
LEASE = {"lease_ttl": 15, "lease_renew": 5}


def recheck_delay(interval):
    """How soon a first failure is checked again (health/schedule.py's recheck_delay)."""
    return min(RECHECK_MAX, interval / 2.0)


def detection(check, run):
    """Seconds from a failure to its confirmed event, at worst: the failure just after a check
    (``interval``), the check that sees it (``run``: its timeout and cost), then ``confirm - 1``
    checks again, each ``recheck_delay`` after the one before started, or when it ended."""
    interval, confirm = check["interval"], check.get("confirm", 2)
    return interval + TICK + run + (confirm - 1) * max(recheck_delay(interval), run)


def node_detection(node):
    """``(what, seconds)`` of a node seen unreachable (guest) or failed (host mode) by its check."""
    check = node["check"]
    if node["mode"] == "host":
        if not check.get("address"):
            return "vCenter: host not responding", VCENTER_HOST_TIMEOUT
        return "probe every %ss, %d in a row" % (check["interval"], check["confirm"]), \
            detection(check, check["timeout"] + PROBE_WAIT)
    return "SSH check every %ss, %d in a row" % (check["interval"], check["confirm"]), \
        detection(check, check["timeout"] + SSH_RUN)


def resource_detection(resource):
    """``(what, seconds)`` of a failed resource: vCenter for a vm, the source for tcp/http (a kind or an
    attached check), else the node-side check over SSH."""
    check = resource["check"]
    if resource["kind"] == "vm":
        return "vCenter", VCENTER_PUSH
    how = "%ss, %d in a row" % (check["interval"], check["confirm"])
    if resource["kind"] in CHECK_KINDS or any(check.get(k) for k in CHECK_KINDS):
        return "check every " + how, detection(check, check["timeout"] + PROBE_WAIT)
    return "SSH check every " + how, detection(check, check["timeout"] + SSH_RUN)


def _start(resource):
    return step_limits.start_bound(resource["kind"], resource["params"]) + step_limits.check_wait(resource["check"])


def _start_order(hierarchy):
    """The resources in start order (every one after those it depends on; validated acyclic)."""
    by_name = dict((r["name"], r) for r in hierarchy["resources"])
    done, out = set(), []

    def visit(name):
        if name in done:
            return
        done.add(name)
        for dep in by_name[name]["depends_on"]:
            visit(dep)
        out.append(by_name[name])
    for r in hierarchy["resources"]:
        visit(r["name"])
    return out


def _round(seconds):
    seconds = round(seconds, 1)
    return int(seconds) if seconds == int(seconds) else seconds


def _scenario(name, terms):
    terms = [{"term": t, "seconds": _round(s)} for t, s in terms]
    return {"scenario": name, "terms": terms, "total": _round(sum(t["seconds"] for t in terms)), "bound": True}


def _unbounded(name, why):
    return {"scenario": name, "terms": [], "total": None, "bound": False, "why": why}


def scenarios(hierarchy, nodes, lease=None, overhead=CONTROLLER_OVERHEAD):
    """Every single failure of ``hierarchy`` (normalised, config/validation.py) and its worst case.

    ``nodes``: the normalised nodes; ``lease``: ``{lease_ttl, lease_renew}`` with redundant
    watchers, None for one watcher; ``overhead``: the playbook's own cost, seconds.
    """
    common = [("watcher lease takeover (ttl %s + renew %s)" % (lease["lease_ttl"], lease["lease_renew"]),
               lease["lease_ttl"] + lease["lease_renew"])] if lease else []
    common.append(("playbook overhead", overhead))
    policy = hierarchy["policy"]
    order = _start_order(hierarchy)
    starts = [("start %s" % r["name"], _start(r)) for r in order]
    members = [m["node"] for m in hierarchy["nodes"] if m["node"] in nodes]
    no_failover = None
    if policy["confirm_failover"]:
        no_failover = "policy.confirm_failover is true: a failover waits for an operator"
    elif policy["failover"]["max"] == 0:
        no_failover = "policy.failover.max is 0: a failover waits for an operator"
    elif len(members) < 2:
        no_failover = "one node only: nowhere to fail over to"
    out = []
    for name in members:
        node = nodes[name]
        failures = []
        if node["mode"] == "guest" and not node["physical"]:
            failures.append(("%s VM powered off" % name, ("vCenter", VCENTER_PUSH)))
        failures.append(("%s %s" % (name, "host failed" if node["mode"] == "host" else "unreachable"),
                         node_detection(node)))
        # A host mode fence powers off each of the hierarchy's VMs on the host, one after another.
        vms = len(order) if node["mode"] == "host" else 1
        fence = [("fence %s %s" % (name, what), s) for what, s in step_limits.fence_bounds(dict(node["fencing"], vms=vms))]
        for scenario, (how, seconds) in failures:
            if no_failover:
                out.append(_unbounded(scenario, no_failover))
            else:
                out.append(_scenario(scenario, [("detect %s (%s)" % (scenario, how), seconds)]
                                     + fence + starts + common))
    for r in order:
        how, seconds = resource_detection(r)
        scenario = "%s failed" % r["name"]
        detect = [("detect %s (%s)" % (scenario, how), seconds)]
        if policy["local_recovery"]["attempts"] > 0:
            restart = step_limits.stop_bound(r["kind"], r["params"]) + _start(r)  # stop, then start
            out.append(_scenario(scenario, detect + [("restart %s in place" % r["name"], restart)] + common))
        elif no_failover:
            out.append(_unbounded(scenario, no_failover + " (policy.local_recovery.attempts is 0)"))
        else:  # straight to a failover: everything stops on the owner, then starts elsewhere
            stops = [("stop %s" % x["name"], step_limits.stop_bound(x["kind"], x["params"])) for x in reversed(order)]
            out.append(_scenario(scenario, detect + stops + starts + common))
    return out


def dominant(terms, total):
    """The largest terms that make up at least half of ``total`` (at most three)."""
    out, covered = [], 0
    for t in sorted(terms, key=lambda t: -t["seconds"]):
        if len(out) == 3 or (out and covered >= total / 2.0):
            break
        out.append(t)
        covered += t["seconds"]
    return out


def budget(hierarchy, nodes, lease=None, overhead=CONTROLLER_OVERHEAD):
    """The hierarchy's worst case against its ``policy.rto``: ``{hierarchy, rto, enforce, meets,
    worst_case, scenario, terms, dominant, assumed, scenarios}``; ``worst_case`` None: no bound."""
    policy = hierarchy["policy"]
    found = scenarios(hierarchy, nodes, lease, overhead)
    unbounded = [s for s in found if not s["bound"]]
    worst = unbounded[0] if unbounded else max(found, key=lambda s: s["total"])
    assumed = ["watcher lease: %s" % ("on, takeover %ss" % (lease["lease_ttl"] + lease["lease_renew"]) if lease else
                                      "off (one watcher): no takeover counted"),
               "playbook overhead: %ss" % overhead]
    worst_case = worst["total"]
    rto = policy.get("rto")
    return {"hierarchy": hierarchy["name"], "rto": rto, "enforce": policy.get("rto_enforce", "refuse"),
            "meets": worst_case is not None and (rto is None or worst_case <= rto),
            "worst_case": worst_case, "scenario": worst["scenario"], "why": worst.get("why"),
            "terms": worst["terms"], "dominant": dominant(worst["terms"], worst_case or 0),
            "assumed": assumed, "scenarios": [dict((k, s[k]) for k in ("scenario", "total")) for s in found]}


def message(b):
    """The one wording of a budget that is not met (a refusal or a warning)."""
    if b["worst_case"] is None:
        return "%ss cannot be met: %s has no bound (%s)" % (b["rto"], b["scenario"], b["why"])
    return "%ss cannot be met: worst case %ss when %s (%s)" % (
        b["rto"], _fmt(b["worst_case"]), b["scenario"],
        ", ".join("%s: %ss" % (t["term"], _fmt(t["seconds"])) for t in b["dominant"]))


def _fmt(seconds):
    return ("%.1f" % seconds).rstrip("0").rstrip(".")


def lease_of(lease=None, lease_ttl=None, lease_renew=None):
    """``{lease_ttl, lease_renew}`` when redundant watchers hold the lease, None for one watcher.
    Unknown ttl or renew: the watcher's defaults (health/lease_keeper.py)."""
    if not lease:
        return None
    return {"lease_ttl": LEASE["lease_ttl"] if lease_ttl is None else lease_ttl,
            "lease_renew": LEASE["lease_renew"] if lease_renew is None else lease_renew}
