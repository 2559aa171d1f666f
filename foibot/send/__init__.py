"""Sending: a run planned and checked before anything goes (plan), each message built with every header
checked (compose), the once-only outbox (outbox), the SMTP mailer (mailer) and the send itself (run).

The front door: `plan_run`, `preview_request`, `message_as_text`, `send_run`, `send_pending`, and for the chase
ladder the outbox's `enqueue`/`queued` with `build_message`/`new_message_id`; `retry_failed` and
`failed_requests` for `send --retry-failed`, `next_slot` (the daily limit) for status and the daemon, and
`SentFolder`, what a caller hands `send_pending` to look messages up in the Sent folder and file copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .compose import build_message, new_message_id
    from .outbox import enqueue, failed_requests, next_slot, queued
    from .plan import RunPlan, message_as_text, plan_run, preview_request
    from .run import (
        SendReport,
        SentFolder,
        resolve_unknown,
        retry_failed,
        send_pending,
        send_run,
        smtp_settings,
    )

_HOMES = {"build_message": ".compose", "new_message_id": ".compose", "enqueue": ".outbox", "queued": ".outbox",
          "RunPlan": ".plan", "message_as_text": ".plan", "preview_request": ".plan", "SendReport": ".run",
          "plan_run": ".plan", "send_pending": ".run", "send_run": ".run",
          "resolve_unknown": ".run", "smtp_settings": ".run", "SentFolder": ".run", "retry_failed": ".run",
          "failed_requests": ".outbox", "next_slot": ".outbox"}
__all__ = [
    "RunPlan", "SendReport", "SentFolder", "build_message", "enqueue", "failed_requests", "message_as_text",
    "new_message_id", "next_slot", "plan_run", "preview_request", "queued", "resolve_unknown", "retry_failed",
    "send_pending", "send_run", "smtp_settings",
]
__getattr__ = lazy_exports(__name__, _HOMES)
