"""The once-only outbox: every outgoing message (request or chaser) is a row before it is a send.

States of an outgoing message: queued -> sending -> sent | failed. A message found in `sending` after a
crash becomes `unknown`: it may or may not have reached the server, so it is reported, never resent blindly.
A message of a request that goes by hand (web form, post) is `by_hand` from the start: never mailed, it is
written out for the campaigner and becomes `sent` when they record it (`foibot sent-by-hand`).
The unique index (request_id, stage) makes "each stage at most once per request" a property of the data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from ..clock import iso
from ..clock import now as utc_now
from ..lifecycle import chase_hold_reason, chase_stop_reason, is_request_stage, refuse_chaser
from ..store import PENDING_REVIEW_REQUESTS, Store


@dataclass(frozen=True)
class Outgoing:
    id: int
    request_id: int
    stage: str
    to_addr: str
    from_addr: str
    message_id: str
    raw: bytes
    attempts: int


def enqueue(
    store: Store,
    *,
    request_id: int,
    stage: str,
    raw: bytes,
    message_id: str,
    to_addr: str,
    from_addr: str,
    subject: str,
    now: datetime,
) -> int | None:
    """Queue one message; returns its id, or None when this request already has a message for this stage.

    For a request that goes by hand the message is `by_hand` instead of `queued`: nothing mails it."""
    cursor = store.db.execute(
        """INSERT OR IGNORE INTO messages
           (direction, request_id, stage, state, message_id, from_addr, to_addrs, subject, sha256, size, raw,
            created_at)
           VALUES ('out', ?, ?, CASE WHEN (SELECT channel FROM requests WHERE id = ?) IN ('web_form', 'post',
           'unknown') THEN 'by_hand' ELSE 'queued' END, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [request_id, stage, request_id, message_id, from_addr, to_addr, subject, hashlib.sha256(raw).hexdigest(),
         len(raw), raw, iso(now)],
    )
    if cursor.rowcount == 0:
        return None
    return int(cursor.lastrowid)  # type: ignore[arg-type]


def queued(store: Store, stages: tuple[str, ...] | None = None) -> list[Outgoing]:
    # A chaser waits while a reading of one of its request's replies waits for review (review.py).
    where = f"direction = 'out' AND state = 'queued' AND NOT (stage != 'request' AND request_id IN ({PENDING_REVIEW_REQUESTS}))"
    params: list[object] = []
    if stages:
        where += f" AND stage IN ({', '.join('?' for _ in stages)})"
        params.extend(stages)
    rows = store.db.query(
        f"SELECT id, request_id, stage, to_addrs, from_addr, message_id, raw, attempts FROM messages "
        f"WHERE {where} ORDER BY id",
        params,
    )
    return [
        Outgoing(r["id"], r["request_id"], r["stage"], r["to_addrs"], r["from_addr"], r["message_id"],
                 r["raw"], r["attempts"])
        for r in rows
    ]


def mark_sending(store: Store, message: Outgoing, now: datetime) -> bool:
    """Claim the message before the SMTP conversation; False if another process claimed it first."""
    with store.transaction():
        return _claim(store, message, now)


def mark_sent(store: Store, message: Outgoing, now: datetime, smtp_reply: str) -> None:
    with store.transaction():
        _sent(store, message, now, smtp_reply)


def record_sent_and_claim(
    store: Store, sent: list[tuple[Outgoing, datetime, str]], claim: Outgoing | None
) -> bool:
    """`mark_sent` for each of `sent`, then `mark_sending` for `claim`, in one transaction.

    The mailer's fast path: one commit per message instead of two, nothing recorded later than it would be.
    """
    with store.transaction():
        for message, at, smtp_reply in sent:
            _sent(store, message, at, smtp_reply)
        return _claim(store, claim) if claim is not None else False


def _claim(store: Store, message: Outgoing, now: datetime | None = None) -> bool:
    """Move the message to `sending`, unless another process did, or it is a chaser for a request that may
    no longer be chased (withdrawn, held, answered, failed...: `lifecycle.chase_stop_reason`), which is then
    marked not sent instead: the last check before a chaser leaves, whatever path queued it."""
    if not is_request_stage(message.stage):
        cursor = store.db.execute("SELECT * FROM requests WHERE id = ?", [message.request_id])
        found = cursor.fetchone()
        row = dict(zip([d[0] for d in cursor.description], found, strict=True)) if found else None
        reason = chase_stop_reason(row, message.stage) if row else "the request is missing"
        if reason:
            refuse_chaser(store, message.id, message.request_id, message.stage, reason, now or utc_now())
            return False
        if chase_hold_reason(store, message.request_id):  # held, not stopped: it stays queued for later
            return False
    cursor = store.db.execute(
        "UPDATE messages SET state = 'sending', attempts = attempts + 1, sent_at = NULL WHERE id = ? "
        "AND state = 'queued'",
        [message.id],
    )
    return cursor.rowcount == 1


def _sent(store: Store, message: Outgoing, now: datetime, smtp_reply: str) -> None:
    store.db.execute(
        "UPDATE messages SET state = 'sent', sent_at = ?, smtp_reply = ?, last_error = NULL WHERE id = ?",
        [iso(now), smtp_reply, message.id],
    )
    if is_request_stage(message.stage):  # the clock starts when the request itself goes
        store.db.execute(
            "UPDATE requests SET sent_at = ?, status = CASE WHEN status = 'queued' THEN "
            "'awaiting_response' ELSE status END WHERE id = ?",
            [iso(now), message.request_id],
        )
    store.add_event(message.request_id, f"sent_{message.stage}", now,
                    {"to": message.to_addr, "message_id": message.message_id}, message_id=message.id)


def mark_failed(store: Store, message: Outgoing, now: datetime, reason: str) -> None:
    """The server refused it for good (5xx) or retries ran out: recorded with the server's words."""
    with store.transaction():
        store.db.execute(
            "UPDATE messages SET state = 'failed', last_error = ? WHERE id = ?", [reason, message.id]
        )
        if is_request_stage(message.stage):
            store.db.execute(
                "UPDATE requests SET status = 'failed', failed_reason = ? WHERE id = ? AND status_manual = 0",
                [reason, message.request_id],
            )
        store.add_event(message.request_id, f"failed_{message.stage}", now, {"reason": reason},
                        message_id=message.id)


def release(store: Store, message: Outgoing, error: str) -> None:
    """Back to the queue after a temporary failure (4xx, dropped connection): known not delivered."""
    with store.transaction():
        store.db.execute(
            "UPDATE messages SET state = 'queued', last_error = ? WHERE id = ? AND state = 'sending'",
            [error, message.id],
        )


def recover_interrupted(store: Store, now: datetime) -> list[int]:
    """Messages left in `sending` by a crash become `unknown` (reported, not resent). Returns their ids."""
    with store.transaction():
        ids = [r["id"] for r in store.db.query(
            "SELECT id FROM messages WHERE direction = 'out' AND state = 'sending'")]
        for mid in ids:
            row = store.db.execute("SELECT request_id, stage FROM messages WHERE id = ?", [mid]).fetchone()
            store.db.execute("UPDATE messages SET state = 'unknown' WHERE id = ?", [mid])
            store.add_event(row[0], "send_interrupted", now, {"stage": row[1]}, message_id=mid)
    return ids


def unknown(store: Store) -> list[dict]:
    return list(store.db.query(
        "SELECT m.id, m.stage, m.to_addrs, m.message_id, q.reference, q.authority_name FROM messages m "
        "JOIN requests q ON q.id = m.request_id WHERE m.direction = 'out' AND m.state = 'unknown' ORDER BY m.id"
    ))
