"""Sending: a run planned and checked before anything goes (plan), each message built with every header
checked (compose), the once-only outbox (outbox), the SMTP mailer (mailer) and the send itself (run).

The front door: `plan_run`, `preview_request`, `message_as_text`, `send_run`, `send_pending`, `check_smtp`
(`foibot check`), `readdress_request` (a request sent again to a corrected address), `write_by_hand`/`ByHand`
(the messages of web-form and postal requests, written out to paste), and for the chase ladder the outbox's
`enqueue`/`queued` with `build_message`/`new_message_id`; `retry_failed` and `failed_requests` for
`send --retry-failed`, `next_slot` (the daily limit) for status and the daemon, and `SentFolder`, what a caller
hands `send_pending` to look messages up in the Sent folder and file copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .by_hand import ByHand, write_by_hand
    from .compose import build_message, new_message_id
    from .outbox import enqueue, failed_requests, next_slot, queued
    from .plan import RunPlan, message_as_text, plan_run, preview_request
    from .readdress import Readdressed, readdress_request
    from .run import (
        SendReport,
        SentFolder,
        check_smtp,
        resolve_unknown,
        retry_failed,
        send_pending,
        send_run,
        smtp_settings,
    )

_HOMES = {"build_message": ".compose", "new_message_id": ".compose", "enqueue": ".outbox", "queued": ".outbox",
          "RunPlan": ".plan", "message_as_text": ".plan", "preview_request": ".plan", "SendReport": ".run",
          "plan_run": ".plan", "send_pending": ".run", "send_run": ".run",
          "resolve_unknown": ".run", "smtp_settings": ".run", "check_smtp": ".run", "ByHand": ".by_hand",
          "write_by_hand": ".by_hand", "Readdressed": ".readdress", "readdress_request": ".readdress",
          "SentFolder": ".run", "retry_failed": ".run", "failed_requests": ".outbox", "next_slot": ".outbox"}
__all__ = [
    "ByHand", "Readdressed", "RunPlan", "SendReport", "SentFolder", "build_message", "check_smtp", "enqueue",
    "failed_requests", "message_as_text", "new_message_id", "next_slot", "plan_run", "preview_request", "queued",
    "readdress_request", "resolve_unknown", "retry_failed", "send_pending", "send_run", "smtp_settings",
    "write_by_hand",
]
__getattr__ = lazy_exports(__name__, _HOMES)
