# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vigil.ha developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The webhook channel (plain Python, the standard library): one JSON POST,
an optional bearer token, retried with exponential back-off.

Retried: no connection, a timeout, HTTP 408, 429 and 5xx. Not retried: any
other 4xx (a wrong URL or token stays wrong). The result names the
receiver by scheme and host only: an incoming-webhook URL (Slack, Teams)
carries its secret in the path.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

from ansible_collections.vigil.ha.plugins.module_utils.errors import InputError

RETRY_STATUS = (408, 429)
USER_AGENT = "vigil.ha-notify"


def check(url, token, timeout, retries, backoff):
    """Bad settings raise InputError naming the field (the webhook_ options)."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Not the URL itself in the message: it may hold a secret.
        raise InputError("webhook_url: must be an http:// or https:// URL with a host", field="webhook_url")
    if token and ("\n" in token or "\r" in token or token.strip() != token):
        raise InputError("webhook_token: must be one line, without spaces around it", field="webhook_token")
    if not 0 < timeout <= 300:
        raise InputError("webhook_timeout: must be more than 0 and at most 300 seconds", field="webhook_timeout")
    if not 0 <= retries <= 10:
        raise InputError("webhook_retries: must be between 0 and 10", field="webhook_retries")
    if not 0 <= backoff <= 60:
        raise InputError("webhook_backoff: must be between 0 and 60 seconds", field="webhook_backoff")


def receiver(url):
    """What a result may say of the URL: scheme://host[:port] (the path may be a secret)."""
    parts = urllib.parse.urlsplit(url)
    return "%s://%s" % (parts.scheme, parts.netloc.rpartition("@")[2])


def tls_context(validate_certs=True, ca_path=None):
    context = ssl.create_default_context(cafile=ca_path or None)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def open_request(request, timeout, context=None):
    """urllib's default opener (proxies from the environment, as curl), with ``context`` for https.

    Not ansible's open_url: this layer imports nothing of ansible (docs/architecture.md), and the
    notice goes out from the rulebook's controller, not from a managed host.
    """
    handlers = [urllib.request.HTTPSHandler(context=context)] if context is not None else []
    return urllib.request.build_opener(*handlers).open(request, timeout=timeout)


def post(url, payload, token=None, timeout=10, retries=3, backoff=2.0, context=None,
         opener=open_request, sleep=time.sleep):
    """POST ``payload`` as JSON; ``{"sent", "attempts", "status", "error", "receiver"}`` (never raises for delivery).

    Waits ``backoff``, 2 x ``backoff``, 4 x ``backoff``... between the ``1 + retries`` attempts.
    """
    body = json.dumps(payload, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = "Bearer " + token
    result = {"sent": False, "attempts": 0, "status": None, "error": None, "receiver": receiver(url)}
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        result["attempts"] = attempt + 1
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            kwargs = {"timeout": timeout}
            if url.startswith("https:"):
                kwargs["context"] = context
            with opener(request, **kwargs) as response:
                result.update(sent=True, status=response.status, error=None)
                return result
        except urllib.error.HTTPError as exc:
            result.update(status=exc.code, error="HTTP %d %s" % (exc.code, exc.reason))
            if exc.code not in RETRY_STATUS and exc.code < 500:
                return result
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            result.update(status=None, error="cannot reach %s: %s" % (result["receiver"], reason))
    return result
