# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Notifications as a user switches them on (docs/notifications.md): the
real rulebook vigil.ha.auto_failover with the webhook and SMTP variables
set, a webhook receiver and an SMTP sink (aiosmtpd, STARTTLS required, a
login) on loopback. Crashing the owner's VM delivers one failover message
to each, naming the new owner, and nothing twice; no secret in the
rulebook's log."""
from __future__ import annotations

import datetime
import email
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cluster_runs import until, vip_answer

pytestmark = pytest.mark.usefixtures("bare_nodes_after")

TOKEN = "hook-token-5d1e0c"
PASSWORD = "smtp-pass-9b27aa"


def self_signed(directory):
    """A certificate for 127.0.0.1 and its key (PEM files): the SMTP sink's STARTTLS."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vigil-notify-test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Hooks(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers.get("Authorization"), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class Mailbox(object):
    """aiosmtpd's handler: keeps each message delivered."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((session.ssl is not None, envelope.rcpt_tos,
                              email.message_from_bytes(envelope.original_content)))
        return "250 OK"


def login(server, session, envelope, mechanism, auth_data):  # pylint: disable=unused-argument
    return AuthResult(success=auth_data.login == b"vigil" and auth_data.password == PASSWORD.encode())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receivers(tmp_path):
    """A webhook receiver and an SMTP sink (STARTTLS and a login required) on loopback; their variables."""
    hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    Hooks.received = []
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    mailbox, port = Mailbox(), free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
                      authenticator=login, auth_require_tls=True)
    smtp.start()
    variables = {
        "vigil_ha_notify_webhook_url": "http://127.0.0.1:%d/hooks/ops" % hooks.server_address[1],
        "vigil_ha_notify_webhook_token": TOKEN,
        "vigil_ha_notify_smtp_host": "127.0.0.1", "vigil_ha_notify_smtp_port": port,
        "vigil_ha_notify_smtp_username": "vigil", "vigil_ha_notify_smtp_password": PASSWORD,
        "vigil_ha_notify_smtp_from": "vigil@example.com", "vigil_ha_notify_smtp_to": ["oncall@example.com"],
        "vigil_ha_notify_smtp_ca_path": cert,
    }
    yield variables, Hooks.received, mailbox.messages
    smtp.stop()
    hooks.shutdown()


def test_a_vm_crash_sends_one_failover_message_to_the_webhook_and_by_mail(web, rulebooks, control, receivers):
    variables, hooks, mails = receivers
    rulebook = rulebooks(variables=variables)
    control("vms/node1/crash")
    assert until(lambda: vip_answer() == "node2", 120), rulebook.output()[-6000:]
    assert until(lambda: hooks and mails, 60), rulebook.output()[-6000:]
    time.sleep(20)  # a second message, if any, would come within this
    assert len(hooks) == 1, hooks
    path, authorization, notice = hooks[0]
    assert path == "/hooks/ops" and authorization == "Bearer " + TOKEN
    assert (notice["event"], notice["hierarchy"], notice["from_node"], notice["to_node"], notice["generation"]) == \
        ("failover", "web", "node1", "node2", web + 1), notice
    assert notice["summary"] == "vigil.ha web: failed over node1 -> node2 (generation %d)" % (web + 1)
    assert len(mails) == 1, [m[2]["Subject"] for m in mails]
    over_tls, recipients, message = mails[0]
    assert over_tls and recipients == ["oncall@example.com"]
    assert message["Subject"] == notice["summary"]
    body = message.get_payload(decode=True).decode()
    assert "To: node2" in body.splitlines() and "From: node1" in body.splitlines()
    log = rulebook.output()
    assert TOKEN not in log and PASSWORD not in log and "/hooks/ops" not in log
