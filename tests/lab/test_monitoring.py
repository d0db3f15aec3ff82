# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The watcher's metrics and status page (issue 17, docs/monitoring.md) in
the real ansible-rulebook during a real failover: Prometheus's view (a
scrape of /metrics, parsed with prometheus_client's parser) and a user's
(the status page in headless Chromium: its DOM, and a screenshot read back
with tesseract) both show the new owner; the metrics a failover count of one.
Both behind basic authentication, whose password reaches no log."""
from __future__ import annotations

import base64
import socket
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cluster_runs import until, vip_answer
from lab import browser

pytestmark = pytest.mark.usefixtures("bare_nodes_after")
USER, PASSWORD = "prometheus", "Scrape-only-7fQ"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    """``{(name, frozenset(labels)): value}`` of one scrape, or None when the server does not answer."""
    request = urllib.request.Request("http://127.0.0.1:%d/metrics" % port, headers={
        "Authorization": "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    return dict(((s.name, frozenset(s.labels.items())), s.value)
                for family in text_string_to_metric_families(text) for s in family.samples)


def owner(samples):
    return [dict(k[1])["node"] for k, v in samples.items() if k[0] == "vigil_ha_hierarchy_owner" and v == 1
            and dict(k[1])["hierarchy"] == "web"]


def test_metrics_and_status_page_show_the_failover(web, rulebooks, control, lab, tmp_path):
    port = free_port()
    rulebook = rulebooks(variables={"vigil_ha_metrics_port": port, "vigil_ha_metrics_username": USER,
                                    "vigil_ha_metrics_password": PASSWORD})
    assert until(lambda: owner(scrape(port) or {}) == ["node1"], 30), rulebook.output()[-3000:]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5)  # pylint: disable=consider-using-with
    assert refused.value.code == 401
    before = scrape(port)
    assert before[("vigil_ha_hierarchy_generation", frozenset({("hierarchy", "web")}))] == web
    assert before[("vigil_ha_failovers_total", frozenset({("hierarchy", "web")}))] == 0

    control("vms/node1/crash")
    # Scraped all along the failover: the server answers while the rulebook's playbook runs.
    seen, unanswered, end = [], 0, time.time() + 120
    while time.time() < end and vip_answer() != "node2":
        got = scrape(port)
        unanswered += got is None
        if got is not None and (not seen or owner(got) != seen[-1]):
            seen.append(owner(got))
        time.sleep(1)
    assert vip_answer() == "node2", rulebook.output()[-6000:]
    assert unanswered == 0
    assert seen[0] == ["node1"] and ["node2"] in seen

    failovers = ("vigil_ha_failovers_total", frozenset({("hierarchy", "web")}))
    assert until(lambda: (scrape(port) or {}).get(failovers) == 1, 30), scrape(port)
    time.sleep(10)  # nothing is counted twice later
    after = scrape(port)
    assert owner(after) == ["node2"]
    assert after[("vigil_ha_hierarchy_generation", frozenset({("hierarchy", "web")}))] == web + 1
    assert after[failovers] == 1 and len(rulebook.ledger("failover", "act")) == 1
    assert after[("vigil_ha_fences_total", frozenset({("hierarchy", "web"), ("node", "node1")}))] == 1
    assert after[("vigil_ha_owner_changes_total", frozenset({("hierarchy", "web")}))] == 1
    assert after[("vigil_ha_node_state", frozenset({("node", "node1"), ("check", "vm"), ("state", "failed")}))] == 1
    assert after[("vigil_ha_resource_state", frozenset({("hierarchy", "web"), ("resource", "web-app"),
                                                        ("node", "node2"), ("state", "in_service")}))] == 1
    assert after[("vigil_ha_recovery_seconds_count", frozenset({("hierarchy", "web"), ("action", "failover")}))] == 1
    assert after[("vigil_ha_detection_seconds_count", frozenset({("type", "vm")}))] >= 1
    assert after[("vigil_ha_lease_active", frozenset({("watcher", rulebook_watcher(rulebook))}))] == 1

    # The status page in a real browser, as a user opens it.
    url = "http://%s:%s@127.0.0.1:%d/" % (USER, PASSWORD, port)
    dom = browser.dump_dom(url)
    assert "Hierarchy web" in dom and "Owner: node2 \u2014 generation %d" % (web + 1) in dom, dom[-3000:]
    assert "node2 (owner)" in dom and ">failover<" in dom and ">act<" in dom
    assert lab["vcenter_password"] not in dom
    shot = browser.screenshot(url, tmp_path / "status.png")
    assert browser.png_colours(shot) > 20  # not a blank page
    text = browser.read_text(shot)
    assert "Hierarchy web" in text and "Owner: node2" in text, text
    assert PASSWORD not in rulebook.output()


def rulebook_watcher(rulebook):
    """The watcher id of the rulebook's events (the host name unless set)."""
    events = rulebook.events()
    return events[-1]["watcher"]
