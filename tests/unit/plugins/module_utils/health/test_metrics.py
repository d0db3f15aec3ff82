# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's metrics and status page (issue 17) with a fake vCenter: what a
scrape of /metrics and a GET of /status.json show after a crash and a move,
the ledger's counts, and basic authentication."""
from __future__ import annotations

import asyncio
import base64
import copy
import json
import socket
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from test_cluster_view import HIERARCHIES, NODES, FakeLink, drive, first_batch, modify  # pylint: disable=import-error

from ansible_collections.vigil.ha.plugins.module_utils.config import validation
from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.health import ledger_tail, metrics, web
from ansible_collections.vigil.ha.plugins.module_utils.health import source as health_source
from ansible_collections.vigil.ha.plugins.module_utils.state import ledger


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def samples(text):
    """``{(name, frozenset(labels)): value}`` of an exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def get(port, path, auth=None):
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode())
    with urllib.request.urlopen(request, timeout=5) as resp:
        return resp.status, resp.headers.get("Content-Type"), resp.read().decode()


def failover_lines(path, generation):
    for action, decision, steps in (("failover", "act", [{"kit": "fence", "node": "node1"}]),
                                    ("failover", "done", None), ("recover", "refused: stale", None)):
        ledger.append(path, ledger.record("web", action, decision, generation=generation,
                                          result={"steps": steps} if steps else None))


def run_with_metrics(tmp_path, steps, credentials=None):
    """The engine with metrics and its server; ``steps`` as in test_health_source_live.engine. Returns the
    server's port (still serving until the returned stop is called) and the events."""
    path = str(tmp_path / "ledger.jsonl")
    server = web.WebServer(metrics.Metrics(ledger_tail.LedgerTail(path)), "127.0.0.1", free_port(),
                           credentials).start()

    async def main():
        queue = asyncio.Queue()
        source = health_source.HealthSource(
            validation.load(copy.deepcopy(NODES), copy.deepcopy(HIERARCHIES)), queue, steps[0],
            {"state_interval": 0.2, "node_check_interval": 3600, "reconnect_max": 0.1, "inventory_interval": 0,
             "metrics_interval": 0.1},
            ansible="/nonexistent/ansible", inventory="/nonexistent", name="vc",
            prober=lambda kind, name, params: ("in_service", ["ok"]), metrics=server.metrics,
            factory=health_source.events.EventFactory(watcher="w1"))
        return await drive(source, queue, steps[1])
    return server, asyncio.run(main()), path


@pytest.fixture
def failed_over(tmp_path):
    link = FakeLink([first_batch()], {"web": {"owner": "node1", "generation": 4},
                                      "erp": {"owner": "esx1", "generation": 2}})
    crash = [modify("vm-1", **{"runtime.powerState": "poweredOff"})]

    def moved():
        link.states = {"web": {"owner": "node2", "generation": 5}, "erp": {"owner": "esx1", "generation": 2}}
        failover_lines(str(tmp_path / "ledger.jsonl"), 5)
    server, evs, path = run_with_metrics(tmp_path, (link, [(0.5, lambda: link.batches.append(crash)),
                                                           (0.3, moved), (1, None)]))
    yield server, evs, path
    server.stop()


def test_a_scrape_after_a_failover_shows_the_new_owner_generation_and_counts(failed_over):
    server, evs, dummy = failed_over
    assert [e["to"] for e in evs if e["type"] == "hierarchy"] == ["node2"]
    status, ctype, text = get(server.port, "/metrics")
    assert status == 200 and ctype.startswith("text/plain")
    got = samples(text)
    assert got[("vigil_ha_hierarchy_owner", frozenset({("hierarchy", "web"), ("node", "node2")}))] == 1
    assert got[("vigil_ha_hierarchy_owner", frozenset({("hierarchy", "web"), ("node", "node1")}))] == 0
    assert got[("vigil_ha_hierarchy_generation", frozenset({("hierarchy", "web")}))] == 5
    assert got[("vigil_ha_failovers_total", frozenset({("hierarchy", "web")}))] == 1
    assert got[("vigil_ha_refusals_total", frozenset({("hierarchy", "web")}))] == 1
    assert got[("vigil_ha_fences_total", frozenset({("hierarchy", "web"), ("node", "node1")}))] == 1
    assert got[("vigil_ha_recoveries_total", frozenset({("hierarchy", "web")}))] == 0
    assert got[("vigil_ha_failovers_total", frozenset({("hierarchy", "erp")}))] == 0  # there from the start
    assert got[("vigil_ha_owner_changes_total", frozenset({("hierarchy", "web")}))] == 1
    assert got[("vigil_ha_node_state", frozenset({("node", "node1"), ("check", "vm"), ("state", "failed")}))] == 1
    assert got[("vigil_ha_resource_state", frozenset({("hierarchy", "web"), ("resource", "app"), ("node", "node1"),
                                                      ("state", "standby")}))] == 1
    assert got[("vigil_ha_detection_seconds_count", frozenset({("type", "vm")}))] == 1
    # The ledger's done line came after the failure event: one recovery time, under a second here.
    recovery = frozenset({("hierarchy", "web"), ("action", "failover")})
    assert got[("vigil_ha_recovery_seconds_count", recovery)] == 1
    assert 0 < got[("vigil_ha_recovery_seconds_sum", recovery)] < 5
    assert got[("vigil_ha_lease_active", frozenset({("watcher", "w1")}))] == 1
    assert got[("vigil_ha_lease_enabled", frozenset())] == 0
    assert got[("vigil_ha_vcenter_connected", frozenset())] == 1


def test_the_status_page_and_its_data_show_every_hierarchy(failed_over):
    server = failed_over[0]
    dummy, ctype, text = get(server.port, "/status.json")
    assert ctype == "application/json"
    status = json.loads(text)
    web_h = [h for h in status["hierarchies"] if h["name"] == "web"][0]
    assert (web_h["owner"], web_h["generation"], web_h["nodes"]) == ("node2", 5, ["node1", "node2"])
    assert [r["name"] for r in web_h["resources"]] == ["vip", "app", "port"]
    assert web_h["resources"][0]["states"]["node1"] == "standby"
    assert [d["decision"] for d in status["decisions"]] == ["refused: stale", "done", "act"]  # newest first
    assert status["watcher"] == "w1"
    dummy, ctype, page = get(server.port, "/")
    assert ctype.startswith("text/html")
    assert '"owner": "node2"' in page and "<script" in page
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(server.port, "/nothing")
    assert missing.value.code == 404


def test_names_cannot_close_the_page_s_script(tmp_path):
    page = web.status_page.page({"hierarchies": [{"name": "</script><b>x"}]}).decode()
    assert "</script><b>" not in page and "\\u003c/script\\u003e\\u003cb\\u003ex" in page


def test_basic_authentication_guards_every_path(tmp_path):
    link = FakeLink([first_batch()], {"web": {"owner": "node1", "generation": 4}})
    server, dummy, dummy = run_with_metrics(tmp_path, (link, [(0.3, None)]), credentials=("ops", "s3cret:x"))
    try:
        for path in ("/", "/metrics", "/status.json"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                get(server.port, path)
            assert refused.value.code == 401
            assert refused.value.headers["WWW-Authenticate"].startswith("Basic ")
            with pytest.raises(urllib.error.HTTPError):
                get(server.port, path, ("ops", "wrong"))
            assert get(server.port, path, ("ops", "s3cret:x"))[0] == 200
        assert "s3cret" not in get(server.port, "/", ("ops", "s3cret:x"))[2]
    finally:
        server.stop()


@pytest.mark.parametrize("args,field", [
    ((None, "http", None, None), "metrics_port"),
    ((None, 70000, None, None), "metrics_port"),
    ((None, 9464, "ops", None), "metrics_password"),
    ((None, 9464, None, "pw"), "metrics_username"),
    ((None, 9464, "o:ps", "pw"), "metrics_username"),
])
def test_bad_options_name_their_field(args, field):
    with pytest.raises(InputError) as bad:
        web.check_options(*args)
    assert bad.value.details["field"] == field
    assert bad.value.message.startswith(field)
    assert "pw" not in bad.value.message


def test_loopback_is_the_default_address():
    assert web.check_options(None, "9464", None, None) == ("127.0.0.1", 9464, None)


def test_a_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(InputError, match="metrics_port: cannot listen on 127.0.0.1:%d" % taken.getsockname()[1]):
            web.WebServer(None, "127.0.0.1", taken.getsockname()[1]).start()


def test_the_ledger_is_read_as_it_grows_and_counted_from_its_start(tmp_path):
    path = str(tmp_path / "ledger.jsonl")
    tail = ledger_tail.LedgerTail(path)
    assert tail.read() == [] and tail.error is None  # not written yet
    ledger.append(path, ledger.record("web", "recover", "act"))
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"hierarchy": "web", "action": "recover"')  # a line being written
    assert [line["decision"] for line in tail.read()] == ["act"]
    with open(path, "a", encoding="utf-8") as f:
        f.write(', "decision": "done"}\nnot json\n')
    assert [line["decision"] for line in tail.read()] == ["done"]
    ledger.append(path, ledger.record("*", "fence", "fenced", inputs={"node": "node2"}))
    tail.read()
    assert tail.count("recover", "act") == {"web": 1}
    assert tail.fences == {("*", "node2"): 1}
    with open(path, "w", encoding="utf-8") as f:  # a new ledger: counted from its start
        f.write(json.dumps({"hierarchy": "db", "action": "failover", "decision": "refused: locked"}) + "\n")
    tail.read()
    assert tail.count(None, "refused") == {"db": 1} and tail.count("recover") == {}


def test_detection_time_runs_from_the_first_failed_check():
    now = [100.0]
    m = metrics.Metrics(None, clock=lambda: now[0])
    key = ("resource", "web", "app")
    m.failing(key, "failed")
    now[0] = 103.0
    m.failing(key, "failed")  # the confirmation: the start stays at the first
    m.emitted(key, {"type": "resource", "to": "failed", "hierarchy": "web", "on_owner": True})
    got = samples(m.exposition()[0].decode())
    assert got[("vigil_ha_detection_seconds_sum", frozenset({("type", "resource")}))] == 3.0
    assert m.pending == {"web": 103.0}
    m.failing(("resource", "web", "vip"), "failed")
    m.failing(("resource", "web", "vip"), "in_service")  # one lost packet: forgotten
    assert ("resource", "web", "vip") not in m.first_failure
