"""Collecting replies: one pass over the IMAP folder (imap), each stored message filed (filing) under the
request it answers (matching), and what no clue filed kept for the campaigner (triage).

The front door: `poll_once` (and `PollReport`), `check_mailbox` (`foibot check`), `list_triage`, `triage_text`, `assign_message`,
`retry_message`, and for triage that can shrink: `message_text`, `dismiss_message`, `restore_message`, `likely_requests`;
`sent_folder` (the Sent folder over IMAP, which the front ends hand to `send.send_pending`), `watch_folder`
(IMAP IDLE, for the daemon); `read_files` (many reply files read on every core, for `foibot classify`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .batch import read_files
    from .filing import retry_message
    from .idle import watch_folder
    from .imap import PollReport, check_mailbox, poll_once
    from .sent import ImapSentFolder, sent_folder
    from .triage import (
        assign_message,
        dismiss_message,
        likely_requests,
        list_triage,
        message_text,
        restore_message,
        triage_text,
    )

_HOMES = {"PollReport": ".imap", "poll_once": ".imap", "check_mailbox": ".imap", "assign_message": ".triage",
          "list_triage": ".triage", "triage_text": ".triage", "message_text": ".triage",
          "dismiss_message": ".triage", "restore_message": ".triage", "likely_requests": ".triage",
          "retry_message": ".filing", "ImapSentFolder": ".sent", "sent_folder": ".sent", "watch_folder": ".idle",
          "read_files": ".batch"}
__all__ = [
    "ImapSentFolder", "PollReport", "assign_message", "check_mailbox", "dismiss_message", "likely_requests",
    "list_triage", "message_text", "poll_once", "read_files", "restore_message", "retry_message", "sent_folder",
    "triage_text", "watch_folder",
]
__getattr__ = lazy_exports(__name__, _HOMES)
