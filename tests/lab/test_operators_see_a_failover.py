# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 17's "done when", as a user switches it on: the real rulebook
vigil.ha.auto_failover with the notification variables (a webhook with a
bearer token, SMTP with STARTTLS and a login: docs/notifications.md) and
the metrics port with basic authentication (docs/monitoring.md). Crashing
the owner's VM delivers one failover message to each channel, naming the
new owner, and nothing twice; the metrics, scraped all along, show the new
owner and a failover count of one; the status page in headless Chromium
(its DOM, and its screenshot read back with tesseract) shows it too; no
secret reaches the rulebook's log or the page."""
from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

import operators
from cluster_runs import until, vip_answer
from lab import browser

pytestmark = pytest.mark.usefixtures("bare_nodes_after")
WEB = frozenset({("hierarchy", "web")})


@pytest.fixture
def receivers(tmp_path):
    with operators.receivers(tmp_path) as found:
        yield found


def test_a_vm_crash_reaches_the_webhook_the_mailbox_the_metrics_and_the_status_page(
        web, rulebooks, control, lab, receivers, tmp_path):
    variables, hooks, mails = receivers
    port = operators.free_port()
    rulebook = rulebooks(variables=dict(variables, vigil_ha_metrics_port=port, vigil_ha_metrics_username=operators.USER,
                                        vigil_ha_metrics_password=operators.METRICS_PASSWORD))
    scrape, owner = operators.scrape, operators.owner
    assert until(lambda: owner(scrape(port) or {}) == ["node1"], 30), rulebook.output()[-3000:]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5)  # pylint: disable=consider-using-with
    assert refused.value.code == 401
    before = scrape(port)
    assert before[("vigil_ha_hierarchy_generation", WEB)] == web
    assert before[("vigil_ha_failovers_total", WEB)] == 0

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
    assert unanswered == 0 and seen[0] == ["node1"]
    # The metrics follow vCenter's record (the source's next look): the new owner shortly after the VIP.
    assert until(lambda: owner(scrape(port) or {}) == ["node2"], 30), scrape(port)

    # One message to each channel.
    assert until(lambda: hooks and mails, 60), rulebook.output()[-6000:]
    failovers = ("vigil_ha_failovers_total", WEB)
    assert until(lambda: (scrape(port) or {}).get(failovers) == 1, 30), scrape(port)
    time.sleep(15)  # a second message, or a second count, would come within this
    assert len(hooks) == 1, hooks
    path, authorization, notice = hooks[0]
    assert path == "/hooks/ops" and authorization == "Bearer " + operators.TOKEN
    assert (notice["event"], notice["hierarchy"], notice["from_node"], notice["to_node"], notice["generation"]) == \
        ("failover", "web", "node1", "node2", web + 1), notice
    assert notice["summary"] == "vigil.ha web: failed over node1 -> node2 (generation %d)" % (web + 1)
    assert len(mails) == 1, [m[2]["Subject"] for m in mails]
    over_tls, recipients, message = mails[0]
    assert over_tls and recipients == ["oncall@example.com"]
    assert message["Subject"] == notice["summary"]
    body = message.get_payload(decode=True).decode()
    assert "To: node2" in body.splitlines() and "From: node1" in body.splitlines()

    # The metrics: the new owner, one failover, one fence.
    after = scrape(port)
    assert owner(after) == ["node2"]
    assert after[("vigil_ha_hierarchy_generation", WEB)] == web + 1
    assert after[failovers] == 1 and len(rulebook.ledger("failover", "act")) == 1
    assert after[("vigil_ha_fences_total", frozenset({("hierarchy", "web"), ("node", "node1")}))] == 1
    assert after[("vigil_ha_owner_changes_total", WEB)] == 1
    assert after[("vigil_ha_node_state", frozenset({("node", "node1"), ("check", "vm"), ("state", "failed")}))] == 1
    assert after[("vigil_ha_resource_state", frozenset({("hierarchy", "web"), ("resource", "web-app"),
                                                        ("node", "node2"), ("state", "in_service")}))] == 1
    assert after[("vigil_ha_recovery_seconds_count", frozenset({("hierarchy", "web"), ("action", "failover")}))] == 1
    assert after[("vigil_ha_detection_seconds_count", frozenset({("type", "vm")}))] >= 1
    assert after[("vigil_ha_lease_active", frozenset({("watcher", operators.rulebook_watcher(rulebook))}))] == 1

    # The status page in a real browser, as a user opens it.
    url = "http://%s:%s@127.0.0.1:%d/" % (operators.USER, operators.METRICS_PASSWORD, port)
    dom = browser.dump_dom(url)
    assert "Hierarchy web" in dom and "Owner: node2 \u2014 generation %d" % (web + 1) in dom, dom[-3000:]
    assert "node2 (owner)" in dom and ">failover<" in dom and ">act<" in dom
    assert lab["vcenter_password"] not in dom
    shot = browser.screenshot(url, tmp_path / "status.png")
    assert browser.png_colours(shot) > 20  # not a blank page
    text = browser.read_text(shot)
    assert "Hierarchy web" in text and "Owner: node2" in text, text

    log = rulebook.output()
    for secret in (operators.TOKEN, operators.SMTP_PASSWORD, "/hooks/ops", operators.METRICS_PASSWORD):
        assert secret not in log, secret
