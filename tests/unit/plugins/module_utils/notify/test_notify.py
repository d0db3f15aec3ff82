# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Notifications (notify/): the notice, the webhook's retries and back-off,
STARTTLS, bad input naming the field, and no secret in what is sent or returned."""
from __future__ import annotations

import email
import json
import smtplib
import urllib.error

import pytest

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.notify import mail, webhook
from ansible_collections.vigil.ha.plugins.module_utils.notify.deliver import deliver
from ansible_collections.vigil.ha.plugins.module_utils.notify.message import mail as mail_text, notice

TOKEN = "tok-3f9a-secret"
PASSWORD = "pw-77c1-secret"
HOOK = "https://hooks.example.com/services/T000/B000/XXXXSECRETPATH"


def settings(**changes):
    p = dict(webhook_url=None, webhook_token=None, webhook_timeout=10, webhook_retries=3, webhook_backoff=2.0,
             webhook_validate_certs=True, webhook_ca_path=None, smtp_host=None, smtp_port=587,
             smtp_security="starttls", smtp_username=None, smtp_password=None, smtp_from=None, smtp_to=[],
             smtp_timeout=10, smtp_validate_certs=True, smtp_ca_path=None)
    p.update(changes)
    return p


def failover():
    return notice("failover", "web", from_node="node1", to_node="node2", generation=8, reason="vm node1 failed",
                  watcher="watcher-a", time="2026-12-03T20:00:00Z")


class Response(object):
    status = 200

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Opener(object):
    """urlopen that answers from a script: an int is an HTTP status, an exception is raised."""

    def __init__(self, *script):
        self.script, self.requests = list(script), []

    def __call__(self, request, timeout=None, context=None):
        self.requests.append(request)
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if answer >= 400:
            raise urllib.error.HTTPError(request.full_url, answer, "status %d" % answer, {}, None)
        return Response()


def test_the_notice_says_what_happened_where_and_when():
    n = failover()
    assert n["summary"] == "vigil.ha web: failed over node1 -> node2 (generation 8)"
    subject, body = mail_text(n)
    assert subject == n["summary"]
    for line in ("Hierarchy: web", "What: failover", "From: node1", "To: node2", "Generation: 8",
                 "Reason: vm node1 failed", "Watcher: watcher-a", "Time (UTC): 2026-12-03T20:00:00Z"):
        assert line in body.splitlines()


@pytest.mark.parametrize("kwargs, field", [
    (dict(event="exploded", hierarchy="web"), "event"),
    (dict(event="failover", hierarchy=" "), "hierarchy"),
    (dict(event="failover", hierarchy="web", generation=-1), "generation"),
])
def test_a_bad_notice_names_the_field(kwargs, field):
    with pytest.raises(InputError) as err:
        notice(**kwargs)
    assert err.value.details["field"] == field and field in str(err.value)


def test_the_webhook_retries_with_doubling_back_off_then_succeeds():
    opener, sleeps = Opener(urllib.error.URLError("refused"), 503, 200), []
    out = webhook.post(HOOK, failover(), token=TOKEN, retries=3, backoff=1.5, opener=opener, sleep=sleeps.append)
    assert out["sent"] and out["attempts"] == 3 and out["status"] == 200
    assert sleeps == [1.5, 3.0]
    request = opener.requests[-1]
    assert request.get_header("Authorization") == "Bearer " + TOKEN
    assert request.get_header("Content-type") == "application/json"
    assert json.loads(request.data)["to_node"] == "node2"


def test_the_webhook_gives_up_after_its_retries():
    opener, sleeps = Opener(500, 502, 503), []
    out = webhook.post(HOOK, failover(), retries=2, backoff=1, opener=opener, sleep=sleeps.append)
    assert not out["sent"] and out["attempts"] == 3 and out["error"] == "HTTP 503 status 503"
    assert sleeps == [1, 2]


def test_a_client_error_is_not_retried():
    opener, sleeps = Opener(401, 200), []
    out = webhook.post(HOOK, failover(), token=TOKEN, opener=opener, sleep=sleeps.append)
    assert not out["sent"] and out["attempts"] == 1 and out["status"] == 401 and sleeps == []


def test_a_throttled_webhook_is_retried():
    out = webhook.post(HOOK, failover(), opener=Opener(429, 200), sleep=lambda s: None)
    assert out["sent"] and out["attempts"] == 2


class FakeSMTP(object):
    """smtplib.SMTP as a server that offers STARTTLS (or not) would answer; records the calls."""
    calls = []
    offers_starttls = True

    def __init__(self, host, port, timeout=None, context=None):
        self.calls[:] = [("connect", host, port)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ehlo(self):
        self.calls.append(("ehlo",))

    def has_extn(self, name):
        return name == "starttls" and self.offers_starttls

    def starttls(self, context=None):
        self.calls.append(("starttls",))

    def login(self, user, password):
        self.calls.append(("login", user, password))
        if password != PASSWORD:
            raise smtplib.SMTPAuthenticationError(535, b"bad credentials")

    def send_message(self, msg):
        self.calls.append(("send", msg))


def smtp_on(**changes):
    return settings(**dict(dict(smtp_host="smtp.example.com", smtp_username="vigil", smtp_password=PASSWORD,
                                smtp_from="vigil@example.com", smtp_to=["oncall@example.com"]), **changes))


def test_mail_goes_over_starttls_before_the_login():
    FakeSMTP.offers_starttls = True
    out = deliver(failover(), smtp_on(), send=lambda *a, **k: mail.send(*a, smtp=FakeSMTP, **k))
    assert out["smtp"]["sent"] and out["smtp"]["tls"] and out["webhook"] is None
    names = [c[0] for c in FakeSMTP.calls]
    assert names == ["connect", "ehlo", "starttls", "ehlo", "login", "send"]
    msg = FakeSMTP.calls[-1][1]
    assert msg["Subject"] == "vigil.ha web: failed over node1 -> node2 (generation 8)"
    assert msg["To"] == "oncall@example.com" and "To: node2" in msg.get_content()


def test_no_mail_to_a_server_without_starttls():
    FakeSMTP.offers_starttls = False
    try:
        out = deliver(failover(), smtp_on(), send=lambda *a, **k: mail.send(*a, smtp=FakeSMTP, **k))
    finally:
        FakeSMTP.offers_starttls = True
    assert not out["smtp"]["sent"] and "does not offer STARTTLS" in out["smtp"]["error"]
    assert [c[0] for c in FakeSMTP.calls] == ["connect", "ehlo"]  # no login, nothing sent


@pytest.mark.parametrize("changes, field", [
    (dict(webhook_url="ftp://example.com/x"), "webhook_url"),
    (dict(webhook_url=None, webhook_token=TOKEN), "webhook_url"),
    (dict(webhook_url=HOOK, webhook_retries=-1), "webhook_retries"),
    (dict(webhook_url=HOOK, webhook_backoff=-1), "webhook_backoff"),
    (dict(webhook_url=HOOK, webhook_timeout=0), "webhook_timeout"),
    (dict(smtp_host="smtp.example.com", smtp_from="vigil@example.com"), "smtp_to"),
    (dict(smtp_host="smtp.example.com", smtp_from="nobody", smtp_to=["a@example.com"]), "smtp_from"),
    (dict(smtp_host="smtp.example.com", smtp_from="v@example.com", smtp_to=["a@example.com"], smtp_port=0),
     "smtp_port"),
    (dict(smtp_host="smtp.example.com", smtp_from="v@example.com", smtp_to=["a@example.com"],
          smtp_password=PASSWORD), "smtp_username"),
    (dict(smtp_host="smtp.example.com", smtp_from="v@example.com", smtp_to=["a@example.com"],
          smtp_username="v", smtp_password=PASSWORD, smtp_security="none"), "smtp_security"),
])
def test_bad_settings_name_the_field_and_send_nothing(changes, field):
    sent = []
    with pytest.raises(InputError) as err:
        deliver(failover(), settings(**changes), post=lambda *a, **k: sent.append(a), send=sent.append)
    assert err.value.details["field"] == field and str(err.value).startswith(field + ":")
    assert sent == [] and "SECRETPATH" not in str(err.value)


def test_no_secret_in_the_notice_or_the_result():
    # A reason that picked up a secret (an error message quoting a URL) is scrubbed too.
    n = notice("refused", "web", reason="cannot post to %s with %s" % (HOOK, TOKEN))
    posted = []

    def post(url, payload, **kwargs):
        posted.append(payload)
        return {"sent": False, "attempts": 1, "status": None, "receiver": webhook.receiver(url),
                "error": "cannot reach %s (token %s)" % (url, kwargs["token"])}

    def send(host, port, message, **kwargs):
        posted.append(message.as_string())
        return {"sent": False, "error": "535 login %s/%s refused" % (kwargs["username"], kwargs["password"]),
                "server": "%s:%d" % (host, port), "tls": True}

    out = deliver(n, smtp_on(webhook_url=HOOK, webhook_token=TOKEN), post=post, send=send)
    text = json.dumps([out, posted], default=str)
    for secret in (TOKEN, PASSWORD, HOOK, "SECRETPATH"):
        assert secret not in text
    assert out["webhook"]["receiver"] == "https://hooks.example.com"
    assert "<redacted>" in out["notice"]["reason"]


def test_a_mail_message_is_plain_text():
    msg = mail.build("vigil@example.com", ["a@example.com", "b@example.com"], "subject", "body\n")
    parsed = email.message_from_string(msg.as_string())
    assert parsed.get_content_type() == "text/plain" and parsed["To"] == "a@example.com, b@example.com"
