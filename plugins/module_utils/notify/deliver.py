# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One notice to every channel switched on (plain Python): the settings
checked first (bad input names the field and sends nothing), then the
webhook and the mail, each tried even when the other fails. The secrets
(token, password, the webhook's URL) are scrubbed from everything returned.
"""

from __future__ import annotations

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError
from ansible_collections.vigil.ha.plugins.module_utils.notify import mail, webhook
from ansible_collections.vigil.ha.plugins.module_utils.notify.message import mail as mail_text, redact


def webhook_settings(p):
    """The webhook_ options of ``p`` as post()'s arguments; None when no URL is set (channel off)."""
    if not p.get("webhook_url"):
        if p.get("webhook_token"):
            raise InputError("webhook_url: needed with webhook_token", field="webhook_url")
        return None
    webhook.check(p["webhook_url"], p.get("webhook_token"), p["webhook_timeout"], p["webhook_retries"],
                  p["webhook_backoff"])
    return {"url": p["webhook_url"], "token": p.get("webhook_token"), "timeout": p["webhook_timeout"],
            "retries": p["webhook_retries"], "backoff": p["webhook_backoff"],
            "context": webhook.tls_context(p["webhook_validate_certs"], p.get("webhook_ca_path"))}


def smtp_settings(p):
    """The smtp_ options of ``p``; None when no host is set (channel off)."""
    if not p.get("smtp_host"):
        return None
    mail.check(p["smtp_host"], p["smtp_port"], p["smtp_security"], p.get("smtp_from"), p.get("smtp_to"),
               p.get("smtp_username"), p.get("smtp_password"), p["smtp_timeout"])
    return {"host": p["smtp_host"], "port": p["smtp_port"], "security": p["smtp_security"],
            "username": p.get("smtp_username"), "password": p.get("smtp_password"), "timeout": p["smtp_timeout"],
            "sender": p["smtp_from"], "to": list(p["smtp_to"]),
            "context": webhook.tls_context(p["smtp_validate_certs"], p.get("smtp_ca_path"))}


def secrets_of(p):
    return [p.get("webhook_token"), p.get("smtp_password"), p.get("webhook_url")]


def deliver(notice, p, check_mode=False, post=webhook.post, send=mail.send):
    """Send ``notice`` to the channels ``p`` switches on.

    Returns ``{"notice", "webhook", "smtp"}``: the notice as sent and each channel's result (None: off).
    """
    hook, smtp = webhook_settings(p), smtp_settings(p)  # both checked before anything is sent
    secrets = secrets_of(p)
    notice = redact(notice, secrets)
    out = {"notice": notice, "webhook": None, "smtp": None}
    if hook is not None:
        if check_mode:
            out["webhook"] = {"sent": False, "attempts": 0, "status": None, "error": "check mode: not sent",
                              "receiver": webhook.receiver(hook["url"])}
        else:
            out["webhook"] = post(hook["url"], notice, token=hook["token"], timeout=hook["timeout"],
                                  retries=hook["retries"], backoff=hook["backoff"], context=hook["context"])
    if smtp is not None:
        subject, body = mail_text(notice)
        if check_mode:
            out["smtp"] = {"sent": False, "error": "check mode: not sent", "server": "%s:%d" % (
                smtp["host"], smtp["port"]), "tls": smtp["security"] != "none"}
        else:
            message = mail.build(smtp["sender"], smtp["to"], subject, body)
            out["smtp"] = send(smtp["host"], smtp["port"], message, security=smtp["security"],
                               username=smtp["username"], password=smtp["password"], timeout=smtp["timeout"],
                               context=smtp["context"])
    return redact(out, secrets)
