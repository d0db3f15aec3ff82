# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's status page: read-only, one HTML page that renders ``/status.json`` and polls it (plain Python).

The page carries the status it was served with (so that it shows at once)
and asks for it again every few seconds. It is rendered with ``textContent``
only: a name in the inventory cannot inject markup. No credential is ever
part of it (the snapshot holds none).
"""

from __future__ import annotations

import json

REFRESH = 2  # seconds between two polls of the page


def status(snapshot, decisions):
    """The document of ``/status.json``: the watcher's snapshot (health/snapshot.py) and the last decisions."""
    out = dict(snapshot or {"hierarchies": [], "nodes": {}, "lease": {}, "watcher": None, "time": None,
                            "vcenter_connected": False, "starting": True})
    out["decisions"] = list(reversed(decisions or []))  # newest first
    return out


def page(document):
    """The HTML page, with ``document`` (``status``) inside for its first rendering."""
    data = json.dumps(document, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
    return PAGE.replace("@DATA@", data).replace("@REFRESH@", str(REFRESH * 1000)).encode("utf-8")


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>vigil.ha status</title>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.4em}
table{border-collapse:collapse;margin:.4em 0} td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}
th{background:#eee} .ok{background:#cfc} .bad{background:#fcc} .warn{background:#ffd} .muted{color:#777}
</style></head>
<body>
<h1>vigil.ha status</h1>
<p id="watcher"></p>
<div id="hierarchies"></div>
<h2>Nodes</h2><table id="nodes"></table>
<h2>Last decisions (ledger)</h2><table id="decisions"></table>
<p class="muted">Read-only. Refreshed every @REFRESH@ ms; <span id="refreshed"></span></p>
<script id="status-data" type="application/json">@DATA@</script>
<script>
"use strict";
var GOOD = ["in_service", "ok", "reachable", "connected", "on_owner"];
var BAD = ["failed", "unreachable", "off", "disconnected"];
function el(tag, text, cls) {
  var e = document.createElement(tag);
  if (text !== undefined && text !== null) { e.textContent = String(text); }
  if (cls) { e.className = cls; }
  return e;
}
function cls(state) {
  if (GOOD.indexOf(state) >= 0) { return "ok"; }
  if (BAD.indexOf(state) >= 0) { return "bad"; }
  return state === "standby" ? "muted" : "warn";
}
function row(cells, header) {
  var tr = el("tr");
  cells.forEach(function (c) {
    var cell = Array.isArray(c) ? el(header ? "th" : "td", c[0], c[1]) : el(header ? "th" : "td", c);
    tr.appendChild(cell);
  });
  return tr;
}
function render(s) {
  var lease = s.lease || {};
  document.getElementById("watcher").textContent = "Watcher " + (s.watcher || "?") +
    (lease.enabled ? " (lease held by " + (lease.holder || "nobody") + ", epoch " + lease.epoch + ", " +
      (lease.active ? "active" : "standby") + ")" : " (no lease: acts alone)") +
    "; vCenter " + (s.vcenter_connected ? "connected" : "not connected");
  var box = document.getElementById("hierarchies");
  box.replaceChildren();
  (s.hierarchies || []).forEach(function (h) {
    box.appendChild(el("h2", "Hierarchy " + h.name));
    box.appendChild(el("p", "Owner: " + (h.owner || "none") + " \\u2014 generation " + h.generation +
      (h.maintenance ? " \\u2014 in maintenance" : "")));
    var t = el("table");
    t.className = "hierarchy";
    t.dataset.hierarchy = h.name;
    t.appendChild(row(["resource"].concat(h.nodes.map(function (n) {
      return n === h.owner ? n + " (owner)" : n; })), true));
    h.resources.forEach(function (r) {
      t.appendChild(row([r.name + " (" + r.kind + ")"].concat(h.nodes.map(function (n) {
        var st = r.states[n] || "unknown"; return [st, cls(st)]; }))));
    });
    box.appendChild(t);
  });
  var nodes = document.getElementById("nodes");
  nodes.replaceChildren(row(["node", "vm", "host", "ssh"], true));
  Object.keys(s.nodes || {}).sort().forEach(function (n) {
    var c = s.nodes[n];
    nodes.appendChild(row([n].concat(["vm", "host", "ssh"].map(function (k) {
      return c[k] ? [c[k], cls(c[k])] : ["-", "muted"]; }))));
  });
  var dec = document.getElementById("decisions");
  dec.replaceChildren(row(["time", "hierarchy", "action", "decision", "generation", "reason", "watcher"], true));
  (s.decisions || []).forEach(function (d) {
    dec.appendChild(row([d.time, d.hierarchy, d.action, d.decision, d.generation, d.reason, d.watcher]));
  });
  document.getElementById("refreshed").textContent = "last update " + new Date().toISOString();
}
function poll() {
  // From the origin: a page opened as http://user:pass@host/ may not fetch a URL carrying credentials.
  fetch(new URL("status.json", location.origin + location.pathname), {cache: "no-store", credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(render)
    .catch(function (e) { document.getElementById("refreshed").textContent = "update failed: " + e; });
}
render(JSON.parse(document.getElementById("status-data").textContent));
setInterval(poll, @REFRESH@);
</script>
</body></html>
"""
