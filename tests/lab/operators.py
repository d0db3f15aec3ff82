# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an operator's tools see of the watcher (issue 17), on loopback: a
webhook receiver and an SMTP sink (aiosmtpd, STARTTLS and a login
required) for its notifications, and a Prometheus-like scrape of its
metrics (prometheus_client's own parser)."""
from __future__ import annotations

import base64
import contextlib
import datetime
import email
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import urllib.request

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client.parser import text_string_to_metric_families

USER, METRICS_PASSWORD = "prometheus", "Scrape-only-7fQ"
TOKEN = "hook-token-5d1e0c"
SMTP_PASSWORD = "smtp-pass-9b27aa"


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
    return AuthResult(success=auth_data.login == b"vigil" and auth_data.password == SMTP_PASSWORD.encode())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
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
        "vigil_ha_notify_smtp_username": "vigil", "vigil_ha_notify_smtp_password": SMTP_PASSWORD,
        "vigil_ha_notify_smtp_from": "vigil@example.com", "vigil_ha_notify_smtp_to": ["oncall@example.com"],
        "vigil_ha_notify_smtp_ca_path": cert,
    }
    try:
        yield variables, Hooks.received, mailbox.messages
    finally:
        smtp.stop()
        hooks.shutdown()


def scrape(port):
    """``{(name, frozenset(labels)): value}`` of one scrape, or None when the server does not answer."""
    request = urllib.request.Request("http://127.0.0.1:%d/metrics" % port, headers={
        "Authorization": "Basic " + base64.b64encode(("%s:%s" % (USER, METRICS_PASSWORD)).encode()).decode()})
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


def rulebook_watcher(rulebook):
    """The watcher id of the rulebook's events (the host name unless set)."""
    events = rulebook.events()
    return events[-1]["watcher"]
