# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The e-mail channel (plain Python, smtplib): one message, over STARTTLS by
default. With ``security="starttls"`` a server that does not offer STARTTLS
gets nothing (no fallback to clear text), and a password is never sent in
clear: ``security="none"`` with a password is refused as bad input.
"""

from __future__ import annotations

import email.message
import email.utils
import smtplib

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError

SECURITY = ("starttls", "tls", "none")


def check(host, port, security, sender, to, username, password, timeout):
    """Bad settings raise InputError naming the field (the smtp_ options)."""
    if not (host or "").strip() or any(c in host for c in " /\n"):
        raise InputError("smtp_host: must be a host name or address", field="smtp_host")
    if not 0 < port < 65536:
        raise InputError("smtp_port: must be between 1 and 65535, not %d" % port, field="smtp_port")
    if security not in SECURITY:
        raise InputError("smtp_security: must be one of %s" % ", ".join(SECURITY), field="smtp_security")
    for field, value in [("smtp_from", sender)] + [("smtp_to", a) for a in to or []]:
        if "@" not in (value or "") or any(c in value for c in " \r\n,<>"):
            raise InputError("%s: %r is not an e-mail address" % (field, value), field=field)
    if not to:
        raise InputError("smtp_to: at least one address is needed", field="smtp_to")
    if password and not username:
        raise InputError("smtp_username: needed with smtp_password", field="smtp_username")
    if password and security == "none":
        raise InputError("smtp_security: none would send smtp_password in clear; use starttls or tls",
                         field="smtp_security")
    if not 0 < timeout <= 300:
        raise InputError("smtp_timeout: must be more than 0 and at most 300 seconds", field="smtp_timeout")


def build(sender, to, subject, body):
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, ", ".join(to), subject
    msg["Date"] = email.utils.formatdate(usegmt=True)
    msg["Message-ID"] = email.utils.make_msgid(domain="vigil.ha")
    msg.set_content(body)
    return msg


def send(host, port, message, security="starttls", username=None, password=None, timeout=10, context=None,
         smtp=smtplib.SMTP, smtp_ssl=smtplib.SMTP_SSL):
    """Send ``message`` (EmailMessage); ``{"sent", "error", "server", "tls"}`` (never raises for delivery)."""
    result = {"sent": False, "error": None, "server": "%s:%d" % (host, port), "tls": security != "none"}
    try:
        if security == "tls":
            conn = smtp_ssl(host, port, timeout=timeout, context=context)
        else:
            conn = smtp(host, port, timeout=timeout)
        with conn:
            conn.ehlo()
            if security == "starttls":
                if not conn.has_extn("starttls"):
                    result["error"] = "%s does not offer STARTTLS: nothing sent" % result["server"]
                    return result
                conn.starttls(context=context)
                conn.ehlo()
            if username:
                conn.login(username, password or "")
            conn.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        result["error"] = "%s: %s" % (result["server"], exc)
        return result
    result["sent"] = True
    return result
