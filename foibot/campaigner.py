"""The campaigner's own moves on a request: withdraw it, hold or resume its chasing, record a clarification.

Each is a manual event (`source = 'manual'`), which always wins over what foibot concluded from replies.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .chase.ladder import cancel_stale_chasers
from .clock import from_iso, iso, london_date
from .deadlines import RequestFacts, due_date
from .errors import FoibotError
from .lifecycle import find_request  # by reference (tolerant) or number, as `foibot mark` takes it
from .store import Store


def withdraw(store: Store, reference: str, now: datetime) -> dict[str, Any]:
    """The campaigner withdraws the request: nothing more is chased; replies are still filed."""
    row = find_request(store, reference)
    with store.transaction():
        store.db.execute("UPDATE requests SET status = 'withdrawn', withdrawn_at = ?, status_manual = 1 "
                         "WHERE id = ?", [iso(now), row["id"]])
        store.add_event(row["id"], "withdrawn", now, {"previous_status": row["status"]}, source="manual")
    cancel_stale_chasers(store, now)
    return row


def set_hold(store: Store, reference: str, on_hold: bool, now: datetime) -> dict[str, Any]:
    """Pause (or resume) chasing one request; its deadline keeps running."""
    row = find_request(store, reference)
    with store.transaction():
        store.db.execute("UPDATE requests SET on_hold = ? WHERE id = ?", [int(on_hold), row["id"]])
        store.add_event(row["id"], "hold" if on_hold else "resume", now, source="manual")
    if on_hold:
        cancel_stale_chasers(store, now)
    return row


def record_clarified(store: Store, reference: str, answered_at: datetime, now: datetime) -> date:
    """We answered the authority's clarification request: the clock restarts at day 0. Returns the new due date."""
    row = find_request(store, reference)
    asked = from_iso(row.get("clarification_at"))
    if asked is None:
        raise FoibotError(f"{row['reference']}: no clarification request is recorded for this request, so "
                          "there is nothing to answer (use `foibot mark` to correct what foibot concluded)")
    if london_date(answered_at) < london_date(asked):
        raise FoibotError(f"{row['reference']}: the answer cannot come before the clarification request "
                          f"of {london_date(asked)}")
    if answered_at > now:
        raise FoibotError(f"{row['reference']}: {london_date(answered_at)} is in the future")
    answered_at = max(answered_at, asked)  # same day, earlier hour: still an answer to that request
    with store.transaction():
        store.db.execute(
            "UPDATE requests SET clarification_answered_at = ?, status = CASE WHEN status = "
            "'awaiting_clarification' THEN 'awaiting_response' ELSE status END WHERE id = ?",
            [iso(answered_at), row["id"]])
        store.add_event(row["id"], "clarification_answered", now, {"at": iso(answered_at)}, source="manual")
    new_row = find_request(store, row["reference"])
    due = due_date(RequestFacts.from_row(new_row), new_row["regime"])
    assert due is not None
    return due
