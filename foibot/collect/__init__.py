"""Collecting replies: one pass over the IMAP folder (imap), each stored message filed (filing) under the
request it answers (matching), and what no clue filed kept for the campaigner (triage).

The front door: `poll_once` (and `PollReport`), `list_triage`, `triage_text`, `assign_message`, and
`sent_folder` (the Sent folder over IMAP, which the front ends hand to `send.send_pending`), `watch_folder`
(IMAP IDLE, for the daemon).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .idle import watch_folder
    from .imap import PollReport, poll_once
    from .sent import ImapSentFolder, sent_folder
    from .triage import assign_message, list_triage, triage_text

_HOMES = {"PollReport": ".imap", "poll_once": ".imap", "assign_message": ".triage",
          "list_triage": ".triage", "triage_text": ".triage",
          "ImapSentFolder": ".sent", "sent_folder": ".sent", "watch_folder": ".idle"}
__all__ = [
    "ImapSentFolder", "PollReport", "assign_message", "list_triage", "poll_once", "sent_folder", "triage_text",
    "watch_folder",
]
__getattr__ = lazy_exports(__name__, _HOMES)
