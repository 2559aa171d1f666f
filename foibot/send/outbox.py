"""The once-only outbox: every outgoing message (request or chaser) is a row before it is a send.

States of an outgoing message: queued -> sending -> sent | failed. A message found in `sending` after a
crash becomes `unknown`: it may or may not have reached the server, so it is reported, never resent blindly;
so does one whose connection was lost after the final dot of DATA, before the server's answer.
A message of a request that goes by hand (web form, post) is `by_hand` from the start: never mailed, it is
written out for the campaigner and becomes `sent` when they record it (`foibot sent-by-hand`).
The unique index (request_id, stage) makes "each stage at most once per request" a property of the data,
and the daily limit one too: a claim counts, in its own transaction, the messages claimed in the 24 hours
before it that may have gone (sent, sending, unknown), so no crash and no rerun can pass the limit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..clock import from_iso, iso
from ..lifecycle import chase_hold_reason, chase_stop_reason, is_request_stage, refuse_chaser
from ..store import PENDING_REVIEW_REQUESTS, Store

WINDOW = timedelta(hours=24)  # the providers' rolling day
# States that may have reached the server: what the daily limit counts.
MAY_HAVE_GONE = ("sent", "sending", "unknown")
Claim = Literal["go", "taken", "limit"]


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


def mark_sending(store: Store, message: Outgoing, now: datetime, daily_limit: int = 0) -> Claim:
    """Claim the message before the SMTP conversation: "go"; "taken" if another process claimed it first;
    "limit" when `daily_limit` messages may have gone in the 24 hours before `now` (it stays queued)."""
    with store.transaction():
        return _claim(store, message, now, daily_limit)


def mark_sent(store: Store, message: Outgoing, now: datetime, smtp_reply: str) -> None:
    with store.transaction():
        _sent(store, message, now, smtp_reply)


def record_sent_and_claim(
    store: Store, sent: list[tuple[Outgoing, datetime, str]], claim: Outgoing | None, now: datetime,
    daily_limit: int = 0,
) -> Claim:
    """`mark_sent` for each of `sent`, then `mark_sending` for `claim`, in one transaction.

    The mailer's fast path: one commit per message instead of two, nothing recorded later than it would be.
    """
    with store.transaction():
        for message, at, smtp_reply in sent:
            _sent(store, message, at, smtp_reply)
        return _claim(store, claim, now, daily_limit) if claim is not None else "taken"


def _claim(store: Store, message: Outgoing, now: datetime, daily_limit: int) -> Claim:
    """Move the message to `sending` ("go"), unless another process did ("taken"), or it is a chaser for a
    request that may no longer be chased (withdrawn, held, answered, failed...: `lifecycle.chase_stop_reason`),
    which is then marked not sent instead ("taken"): the last check before a chaser leaves, whatever path
    queued it; a chaser held for a review stays queued ("taken"); or `daily_limit` messages may have gone in
    the 24 hours before `now` ("limit": it waits)."""
    if not is_request_stage(message.stage):
        cursor = store.db.execute("SELECT * FROM requests WHERE id = ?", [message.request_id])
        found = cursor.fetchone()
        row = dict(zip([d[0] for d in cursor.description], found, strict=True)) if found else None
        reason = chase_stop_reason(row, message.stage) if row else "the request is missing"
        if reason:
            refuse_chaser(store, message.id, message.request_id, message.stage, reason, now)
            return "taken"
        if chase_hold_reason(store, message.request_id):  # held, not stopped: it stays queued for later
            return "taken"
    if daily_limit > 0 and used_in_window(store, now) >= daily_limit:
        return "limit"
    cursor = store.db.execute(
        "UPDATE messages SET state = 'sending', attempts = attempts + 1, sent_at = NULL, claimed_at = ? "
        "WHERE id = ? AND state = 'queued'",
        [iso(now), message.id],
    )
    return "go" if cursor.rowcount == 1 else "taken"


def used_in_window(store: Store, now: datetime) -> int:
    """Messages that may have gone in the 24 hours before `now` (what a provider's daily quota counts)."""
    (count,) = store.db.execute(
        "SELECT COUNT(*) FROM messages WHERE claimed_at > ? AND claimed_at <= ? AND direction = 'out' "
        f"AND state IN {MAY_HAVE_GONE!r}",
        [iso(now - WINDOW), iso(now)],
    ).fetchone()
    return int(count)


def next_slot(store: Store, now: datetime, daily_limit: int) -> datetime | None:
    """When the next message may go under `daily_limit`: `now` if one may go now, None without a limit."""
    if daily_limit <= 0:
        return None
    claims = [r[0] for r in store.db.execute(
        "SELECT claimed_at FROM messages WHERE claimed_at > ? AND claimed_at <= ? AND direction = 'out' "
        f"AND state IN {MAY_HAVE_GONE!r} ORDER BY claimed_at", [iso(now - WINDOW), iso(now)])]
    if len(claims) < daily_limit:
        return now
    oldest = from_iso(claims[len(claims) - daily_limit])  # once it leaves the window, one more may go
    return (oldest + WINDOW) if oldest else now


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


def mark_unknown(store: Store, message: Outgoing, now: datetime, reason: str) -> None:
    """The connection went after the final dot, before the server answered: it may have been accepted."""
    with store.transaction():
        store.db.execute("UPDATE messages SET state = 'unknown', last_error = ? WHERE id = ? AND state = 'sending'",
                         [reason, message.id])
        store.add_event(message.request_id, "send_interrupted", now, {"stage": message.stage, "reason": reason},
                        message_id=message.id)


def settle_unknown(store: Store, message_id: int, now: datetime, *, found: bool, sent_at: datetime | None,
                   where: str) -> None:
    """A message of unknown fate looked for in the Sent folder: found there, it was sent (at `sent_at`, else
    when it was claimed); certainly absent, it goes back to the queue."""
    with store.transaction():
        row = store.db.execute(
            "SELECT request_id, stage, to_addrs, from_addr, message_id, attempts, claimed_at, created_at "
            "FROM messages WHERE id = ? AND state = 'unknown'", [message_id]).fetchone()
        if row is None:
            return
        item = Outgoing(message_id, row[0], row[1], row[2], row[3], row[4], b"", row[5])
        if found:
            when = sent_at or from_iso(row[6]) or from_iso(row[7]) or now
            _sent(store, item, when, f"found in {where}")
            store.add_event(item.request_id, "unknown_found_sent", now, {"stage": item.stage, "folder": where},
                            message_id=message_id)
        else:
            store.db.execute("UPDATE messages SET state = 'queued' WHERE id = ?", [message_id])
            store.add_event(item.request_id, "unknown_absent_resend", now, {"stage": item.stage, "folder": where},
                            message_id=message_id)


def requeue_failed(store: Store, ids: list[int], now: datetime, why: str, *, source: str = "auto") -> int:
    """Failed messages back to the queue (a refusal that was the run's problem, or `send --retry-failed`);
    their requests become `queued` again unless the campaigner set their status. Returns how many."""
    count = 0
    with store.transaction():
        for mid in ids:
            row = store.db.execute("SELECT request_id, stage FROM messages WHERE id = ? AND state = 'failed'",
                                   [mid]).fetchone()
            if row is None:
                continue
            store.db.execute("UPDATE messages SET state = 'queued' WHERE id = ?", [mid])
            if is_request_stage(row[1]):
                store.db.execute(
                    "UPDATE requests SET status = 'queued', failed_reason = NULL WHERE id = ? AND status = 'failed' "
                    "AND status_manual = 0", [row[0]])
            store.add_event(row[0], "failed_requeued", now, {"stage": row[1], "why": why}, message_id=mid,
                            source=source)
            count += 1
    return count


def failed_requests(store: Store) -> list[dict]:
    """Request messages the server refused: what `send --retry-failed` would send again."""
    return list(store.db.query(
        "SELECT m.id, m.to_addrs, m.last_error, q.reference, q.authority_name FROM messages m JOIN requests q "
        "ON q.id = m.request_id WHERE m.direction = 'out' AND m.state = 'failed' AND m.stage = 'request' "
        "ORDER BY m.id"))


def copies_due(store: Store) -> list[dict]:
    """Sent messages whose copy is not yet in [imap] sent_folder."""
    return list(store.db.query(
        "SELECT id, message_id, raw, sent_at, created_at FROM messages WHERE direction = 'out' AND state = 'sent' "
        "AND copied_at IS NULL AND raw IS NOT NULL ORDER BY id"))


def mark_copied(store: Store, ids: list[int], now: datetime) -> None:
    with store.transaction():
        store.db.conn.executemany("UPDATE messages SET copied_at = ? WHERE id = ?", [(iso(now), i) for i in ids])


def unknown(store: Store) -> list[dict]:
    return list(store.db.query(
        "SELECT m.id, m.stage, m.to_addrs, m.message_id, m.claimed_at, m.created_at, q.reference, "
        "q.authority_name FROM messages m "
        "JOIN requests q ON q.id = m.request_id WHERE m.direction = 'out' AND m.state = 'unknown' ORDER BY m.id"
    ))
