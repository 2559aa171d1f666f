"""Waiting for new mail with IMAP IDLE (RFC 2177, imapclient), so the daemon polls within seconds of a reply.

`watch_folder` holds one connection on `[imap] folder` (EXAMINE: read-only) in IDLE and calls `on_new()`
whenever the server announces a new message (EXISTS); the poll itself stays the one `poll_once` the daemon
runs on schedule, which remains the safety net. IDLE is renewed every few minutes (servers drop an IDLE
after 30 minutes, NATs sooner); a server without IDLE, or a lost connection, is said once in the log and
tried again after `retry_seconds`. Every wait is bounded, so `stop` is noticed within a second or two.
"""

from __future__ import annotations

import imaplib
import logging
import threading
import time
from collections.abc import Callable

from imapclient.exceptions import IMAPClientError

from ..config import Config, ImapConfig
from ..errors import MailServerError
from .imap import connect, disconnect, oauth_token

log = logging.getLogger("foibot.daemon")

RENEW_SECONDS = 9 * 60  # well inside the 29 minutes RFC 2177 allows, and most NAT timeouts
CHECK_SECONDS = 1.0  # one idle_check at most this long: a stop is seen promptly


def watch_folder(config: Config, on_new: Callable[[], None], stop: threading.Event, *,
                 retry_seconds: float = 60.0) -> None:
    """Until `stop` is set: IDLE on `[imap] folder`, `on_new()` for each announcement of new mail. It logs in
    as the poller does (a password, or OAuth2 with tokens that renew themselves)."""
    server = config.imap
    if server is None:
        return
    said: str | None = None
    while not stop.is_set():
        try:
            _idle_once(config, server, on_new, stop)
            said = None
        except (MailServerError, OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            text = str(exc) or type(exc).__name__
            if text != said:  # a server that stays down is one line, not one every minute
                log.warning("idle: %s (the scheduled polls go on; trying IDLE again in %g s)", text, retry_seconds)
                said = text
            stop.wait(retry_seconds)


def _idle_once(config: Config, server: ImapConfig, on_new: Callable[[], None], stop: threading.Event) -> None:
    client = connect(server, oauth_token(config, server))
    try:
        if not client.has_capability("IDLE"):
            raise MailServerError(f"{server.label} does not offer IDLE: new replies wait for the next poll")
        client.select_folder(server.folder, readonly=True)
        while not stop.is_set():
            client.idle()
            renew_at = time.monotonic() + RENEW_SECONDS
            news = False
            try:
                while not stop.is_set() and time.monotonic() < renew_at and not news:
                    responses = client.idle_check(timeout=CHECK_SECONDS)
                    news = any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)
            finally:
                _text, pending = client.idle_done()  # what arrived while we were leaving IDLE counts too
            news = news or any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in pending)
            if news:
                on_new()
    finally:
        disconnect(client)
