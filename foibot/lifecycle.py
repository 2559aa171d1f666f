"""Every change to a request, automatic or by hand, and the rule of when a request may be chased.

- `apply_reply`: what a read reply does to its request (the poller's filing, `assign`, `mark --kind`);
- the campaigner's moves: `mark_request`, `mark_message` (`foibot mark`), `withdraw`, `set_hold`,
  `record_clarified`; each is a manual event (`source = 'manual'`), and no automatic step ever overrides a
  manual status, outcome, reference or message kind;
- by hand: `record_sent_by_hand` (`foibot sent-by-hand`: a web-form or postal request went, its clock starts)
  and `record_readdress` (`foibot readdress`: sent again to a corrected address, the wrong one kept);
- `chase_stop_reason`: why a request is owed no chaser now. The ladder asks it before queueing one, and the
  outbox asks it again before sending one, so a chaser left queued can never leave for a request that was
  withdrawn, held, answered or failed since, however that came about.
- `chase_hold_reason`: why a chaser waits for now (a reply's reading waits for review); it stays queued.

Nothing else in foibot writes a request's status, outcome or hold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from .clock import from_iso, iso, london_date
from .deadlines import RequestFacts, due_date
from .errors import FoibotError, InputError
from .references import find_references
from .store import Store, json_column
from .understand import Classification, parse_list
from .vocab import CHASERS, KINDS, MANUAL_STATUSES, NOT_REPLIES, REPLY_MAY_MOVE, SUBSTANTIVE, Stage, Status

_OPEN = REPLY_MAY_MOVE
# A request in one of these is owed nothing more by the ladder, and why, in words.
CHASE_STOPS = {
    Status.QUEUED: "not sent yet",
    Status.FAILED: "the request bounced or was refused",
    Status.WITHDRAWN: "withdrawn",
    Status.ANSWERED: "a substantive reply came",
    Status.AWAITING_CLARIFICATION: "the authority asked for clarification (clock stopped)",
}


@dataclass
class ReplyEffect:
    """What applying one reply changed (for the poller's log and summary)."""

    kind: str
    status_before: str
    status_after: str
    changes: dict[str, Any] = field(default_factory=dict)


def _row(store: Store, table: str, row_id: int) -> dict[str, Any]:
    found = list(store.db.query(f"SELECT * FROM {table} WHERE id = ?", [row_id]))
    if not found:
        raise InputError(f"no {table[:-1]} with id {row_id} in the database")
    return found[0]


def _reply_time(message: dict[str, Any], request: dict[str, Any], now: datetime) -> datetime:
    """When the authority replied: the message's Date header when plausible, else now."""
    raw = message.get("date_header")
    moment: datetime | None = None
    if raw:
        try:
            moment = from_iso(raw)
        except ValueError:
            try:
                moment = parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError):
                moment = None
        if moment is not None and moment.tzinfo is None:
            moment = None
    sent = from_iso(request.get("sent_at"))
    if moment is None or moment > now + timedelta(hours=1) or (sent is not None and moment < sent - timedelta(days=1)):
        return now
    return moment


def _effective(message: dict[str, Any], c: Classification) -> Classification:
    """A campaigner's kind on the message wins over the classifier's."""
    if message.get("kind_manual") and message.get("kind") in KINDS:
        from dataclasses import replace

        return replace(c, kind=message["kind"], rule="manual", confidence=1.0)
    return c


def load_answers(stored: str | None) -> dict[str, str]:
    """An `answers` column (of a request or a message): {question id: answer text}."""
    return {str(k): str(v) for k, v in json_column(stored, {}).items()}


def _request_row(store: Store, request_id: int) -> dict[str, Any]:
    cursor = store.db.execute("SELECT * FROM requests WHERE id = ?", [request_id])
    row = cursor.fetchone()
    if row is None:
        raise InputError(f"no request with id {request_id} in the database")
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def _update(store: Store, table: str, row_id: int, changes: dict[str, Any]) -> None:
    """One plain UPDATE (sqlite-utils' update() reads the table's schema on every call, which costs more
    than the write when a poll files thousands of replies). Column names are ours, never from a message."""
    names = list(changes)
    store.db.execute(f"UPDATE {table} SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                     [changes[n] for n in names] + [row_id])


def classification_columns(c: Classification) -> dict[str, Any]:
    """The columns of an incoming message that hold what the classifier read in it."""
    return {
        "kind": c.kind,
        "confidence": c.confidence,
        "evidence": json.dumps(list(c.evidence), ensure_ascii=False),
        "authority_ref": c.authority_ref,
        "exemptions": ";".join(c.exemptions),
        "answers": json.dumps(c.answers, sort_keys=True, ensure_ascii=False),
    }


def apply_reply(store: Store, request_id: int, message_row_id: int, c: Classification, now: datetime) -> ReplyEffect:
    """Record the classification on the message and move the request accordingly (manual choices win)."""
    with store.transaction():
        request = _request_row(store, request_id)
        found = store.db.execute("SELECT kind, kind_manual, date_header FROM messages WHERE id = ?",
                                 [message_row_id]).fetchone()
        if found is None:
            raise InputError(f"no message with id {message_row_id} in the database")
        message = {"kind": found[0], "kind_manual": found[1], "date_header": found[2]}
        read = c
        c = _effective(message, c)
        at = _reply_time(message, request, now)
        changes = _request_changes(request, c, at)
        if not message["kind_manual"]:  # a person's kind stays, and a settled reading waits for nobody
            reason = review_reason(request, c, changes)
            _update(store, "messages", message_row_id, {**classification_columns(read),
                                                        "needs_review": int(reason is not None),
                                                        "review_reason": reason})
        status_before = request["status"]
        if changes:
            _update(store, "requests", request_id, changes)
            cancel_stopped_chasers(store, now, request_id)
        already = store.db.execute(
            "SELECT 1 FROM events WHERE message_id = ? AND type = 'reply_classified' AND json_extract(detail, "
            "'$.kind') = ? LIMIT 1", [message_row_id, c.kind]).fetchone()
        if not already:
            store.add_event(request_id, "reply_classified", now, {
                "kind": c.kind, "confidence": c.confidence, "rule": c.rule, "authority_ref": c.authority_ref,
                "exemptions": list(c.exemptions), "evidence": list(c.evidence[:2]),
                "new_due_date": c.new_due_date.isoformat() if c.new_due_date else None,
                "response_due": c.response_due.isoformat() if c.response_due else None,
                "review_outcome": c.review_outcome, "other_body": c.other_body,
                "download_links": list(c.download_links),
            }, message_id=message_row_id)
        if changes:
            store.add_event(request_id, "request_updated", now, {"changes": changes, "because": c.kind},
                            message_id=message_row_id)
    return ReplyEffect(c.kind, status_before, changes.get("status", status_before), changes)


def review_reason(request: dict[str, Any], c: Classification, changes: dict[str, Any]) -> str | None:
    """Why this reading must wait for a person before the ladder acts on it, or None.

    A reading the classifier is unsure of, and one that changes an outcome already recorded (an answer
    after a refusal, a review result that overturns): both hold the request until confirmed or corrected.
    """
    if c.rule == "manual":
        return None
    if c.download_links:
        return "the response is at a link: download it from " + " ".join(c.download_links)[:400]
    if c.needs_review:
        return f"low confidence ({c.confidence:.2f})"
    before = request.get("outcome")
    after = changes.get("outcome")
    if before and after and after != before:
        return f"would change the outcome from {before} to {after}"
    return None


def _request_changes(request: dict[str, Any], c: Classification, at: datetime) -> dict[str, Any]:
    """The columns of `requests` that this reply changes."""
    changes: dict[str, Any] = {}
    kind = c.kind
    status = request["status"]
    status_free = not request.get("status_manual") and status != "withdrawn"
    outcome_free = not request.get("outcome_manual")
    real_reply = kind not in NOT_REPLIES
    if real_reply and not request.get("first_reply_at"):
        changes["first_reply_at"] = iso(at)
    if real_reply and c.authority_ref and not request.get("authority_ref"):
        changes["authority_ref"] = c.authority_ref  # the first one learned is kept
    if kind == "clarification_requested":
        changes["clarification_at"] = iso(at)
        if status_free and status in ("queued", "awaiting_response", "awaiting_clarification"):
            changes["status"] = "awaiting_clarification"
    elif kind == "extension":
        changes["extension_at"] = iso(at)
        if c.new_due_date:
            changes["extension_to"] = c.new_due_date.isoformat()
    elif kind == "internal_review_result":
        changes["review_result_at"] = iso(at)
        if c.review_outcome in SUBSTANTIVE:
            changes.update(_outcome_changes(request, c.review_outcome, c, at, outcome_free))
        if status_free and status in _OPEN and (changes.get("outcome") or request.get("outcome")):
            changes["status"] = "answered"
    elif kind in SUBSTANTIVE:
        changes.update(_outcome_changes(request, kind, c, at, outcome_free))
        if status_free and status in _OPEN:
            changes["status"] = "answered"
    elif (kind == "bounce" and c.bounce_permanent and status_free and status in ("queued", "awaiting_response")
          and not request.get("first_reply_at") and not _about_a_wrong_address(request, c)):
        # A hard bounce before any real reply: the request never arrived.
        changes["status"] = "failed"
        changes["failed_reason"] = ("bounced: " + "; ".join(c.evidence))[:500]
    return {k: v for k, v in changes.items() if request.get(k) != v}


def _about_a_wrong_address(request: dict[str, Any], c: Classification) -> bool:
    """A late bounce of the address the request was sent to before `foibot readdress` corrected it: the
    request went again since, so that bounce does not fail it."""
    wrong = [a.lower() for a in (request.get("wrong_addresses") or "").split(";") if a]
    said = " ".join(c.evidence).lower()
    current = (request.get("authority_email") or "").lower()
    return any(a in said for a in wrong) and not (current and current in said)


def _outcome_changes(request: dict[str, Any], outcome: str, c: Classification, at: datetime,
                     outcome_free: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    latest = from_iso(request.get("outcome_at"))
    newer = latest is None or at >= latest  # the outcome is that of the latest substantive reply
    if outcome_free and newer:
        changes["outcome"] = outcome
        changes["outcome_at"] = iso(at)
        if outcome != request.get("outcome"):
            changes["outcome_confirmed"] = 0  # a new automatic outcome: nobody has confirmed this one
        if c.exemptions or outcome in ("information_provided", "not_held"):
            changes["exemptions"] = ";".join(c.exemptions)
    elif not request.get("exemptions") and c.exemptions:
        changes["exemptions"] = ";".join(c.exemptions)
    if c.answers:
        stored = load_answers(request.get("answers"))
        fresh = {k: v for k, v in c.answers.items() if v}
        merged = {**stored, **fresh} if newer else {**fresh, **stored}
        changes["answers"] = json.dumps(merged, sort_keys=True, ensure_ascii=False)
    return changes


# --- the campaigner's corrections ---------------------------------------------------------------------

def find_request(store: Store, reference_or_id: str) -> dict[str, Any]:
    """A request by our reference (tolerant of case and look-alikes) or by its number."""
    text = reference_or_id.strip()
    rows: list[dict[str, Any]] = []
    if text.isdigit():
        rows = list(store.db.query("SELECT * FROM requests WHERE id = ?", [int(text)]))
    if not rows:
        found = find_references(text)
        if found:
            rows = list(store.db.query("SELECT * FROM requests WHERE reference = ?", [found[0]]))
    if not rows:
        raise InputError(f"no request {reference_or_id!r}: give its reference (FB-...) or number, as "
                         "`foibot status` or `foibot export` list them")
    return rows[0]


def mark_request(store: Store, reference_or_id: str, *, outcome: str | None = None, status: str | None = None,
                 authority_ref: str | None = None, exemptions: str | None = None,
                 now: datetime) -> dict[str, Any]:
    """Correct a request's outcome, status, authority reference or exemptions; returns the updated row.

    `outcome` / `status` "auto" hand the field back to foibot; an empty `authority_ref` clears it.
    """
    if outcome is not None and outcome not in SUBSTANTIVE + ("auto",):
        raise InputError(f"--outcome {outcome!r} is not an outcome: use one of {', '.join(SUBSTANTIVE)} (or auto "
                         "to let foibot decide again)")
    if status is not None and status not in MANUAL_STATUSES + ("auto",):
        hint = " (overdue is worked out from the due date)" if status == "overdue" else ""
        raise InputError(f"--status {status!r} is not a status you can set{hint}: use one of "
                         f"{', '.join(MANUAL_STATUSES)} (or auto)")
    if outcome is None and status is None and authority_ref is None and exemptions is None:
        raise InputError("nothing to mark: give --outcome, --status, --authority-ref or --exemptions")
    with store.transaction():
        request = find_request(store, reference_or_id)
        changes: dict[str, Any] = {}
        if outcome == "auto":
            changes["outcome_manual"] = 0
        elif outcome is not None:
            changes.update(outcome=outcome, outcome_manual=1)
            if not request.get("outcome_at"):
                changes["outcome_at"] = iso(now)
            if status is None and not request.get("status_manual") and request["status"] in _OPEN:
                changes["status"] = "answered"
        if status == "auto":
            changes["status_manual"] = 0
        elif status is not None:
            changes.update(status=status, status_manual=1)
            if status == "withdrawn" and not request.get("withdrawn_at"):
                changes["withdrawn_at"] = iso(now)
        if authority_ref is not None:
            changes["authority_ref"] = authority_ref.strip() or None
        if exemptions is not None:
            changes["exemptions"] = ";".join(parse_list(exemptions))
        changes = {k: v for k, v in changes.items() if request.get(k) != v}
        if changes:
            store.db.table("requests").update(request["id"], changes)
            store.add_event(request["id"], "marked", now, {"changes": changes,
                                                           "before": {k: request.get(k) for k in changes}},
                            source="manual")
            cancel_stopped_chasers(store, now, request["id"])
    return _row(store, "requests", request["id"])


def mark_message(store: Store, message_row_id: int, kind: str, now: datetime,
                 request: str | None = None) -> dict[str, Any]:
    """Correct the kind of one incoming message; its request is updated as if it had been read so."""
    if kind not in KINDS:
        raise InputError(f"--kind {kind!r} is not a reply kind: use one of {', '.join(KINDS)}")
    message = _row(store, "messages", message_row_id)
    if message.get("direction") != "in":
        raise InputError(f"message {message_row_id} is one we sent, not a reply")
    if request is not None:
        owner = find_request(store, request)
        if message.get("request_id") != owner["id"]:
            raise InputError(f"message {message_row_id} is not filed under {owner['reference']}: use "
                             "`foibot assign` to file it first")
    with store.transaction():
        store.db.table("messages").update(message_row_id, {"kind": kind, "kind_manual": 1, "confidence": 1.0,
                                                            "needs_review": 0, "review_reason": None})
        store.add_event(message.get("request_id"), "message_marked", now,
                        {"kind": kind, "before": message.get("kind")}, message_id=message_row_id, source="manual")
    if message.get("request_id"):
        c = Classification(kind=kind, confidence=1.0, evidence=("marked by the campaigner",), rule="manual",
                           authority_refs=tuple(r for r in (message.get("authority_ref") or "").split(";") if r),
                           exemptions=tuple(e for e in (message.get("exemptions") or "").split(";") if e),
                           answers=json_column(message.get("answers"), {}))
        apply_reply(store, message["request_id"], message_row_id, c, now)
    return _row(store, "messages", message_row_id)


# --- the campaigner's moves -----------------------------------------------------------------------------

def withdraw(store: Store, reference: str, now: datetime) -> dict[str, Any]:
    """The campaigner withdraws the request: nothing more is chased; replies are still filed."""
    with store.transaction():
        row = find_request(store, reference)
        store.db.execute("UPDATE requests SET status = ?, withdrawn_at = ?, status_manual = 1 WHERE id = ?",
                         [Status.WITHDRAWN, iso(now), row["id"]])
        store.add_event(row["id"], "withdrawn", now, {"previous_status": row["status"]}, source="manual")
        cancel_stopped_chasers(store, now, row["id"])
    return row


def set_hold(store: Store, reference: str, on_hold: bool, now: datetime) -> dict[str, Any]:
    """Pause (or resume) chasing one request; its deadline keeps running."""
    with store.transaction():
        row = find_request(store, reference)
        store.db.execute("UPDATE requests SET on_hold = ? WHERE id = ?", [int(on_hold), row["id"]])
        store.add_event(row["id"], "hold" if on_hold else "resume", now, source="manual")
        cancel_stopped_chasers(store, now, row["id"])
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
            "UPDATE requests SET clarification_answered_at = ?, status = CASE WHEN status = ? THEN ? "
            "ELSE status END WHERE id = ?",
            [iso(answered_at), Status.AWAITING_CLARIFICATION, Status.AWAITING_RESPONSE, row["id"]])
        store.add_event(row["id"], "clarification_answered", now, {"at": iso(answered_at)}, source="manual")
    new_row = find_request(store, row["reference"])
    due = due_date(RequestFacts.from_row(new_row), new_row["regime"])
    assert due is not None
    return due


# --- requests sent by hand, and addresses that were wrong -------------------------------------------------

def is_request_stage(stage: str) -> bool:
    """The request itself: first sent (`request`), or sent again to a corrected address (`readdress...`)."""
    return stage == Stage.REQUEST or stage.startswith("readdress")


def record_sent_by_hand(store: Store, reference: str, on: datetime, now: datetime, *, their_ref: str | None = None,
                        stage: str | None = None) -> tuple[dict[str, Any], str, date | None]:
    """The campaigner sent a message of a by-hand request (the request, or the chaser `stage`) on `on`; for
    the request the clock starts that day. Returns the request, the stage recorded and the due date."""
    row = find_request(store, reference)
    waiting = list(store.db.query(
        "SELECT id, stage, to_addrs, message_id FROM messages WHERE request_id = ? AND direction = 'out' "
        "AND state = 'by_hand'" + (" AND stage = ?" if stage else "") + " ORDER BY id",
        [row["id"], stage] if stage else [row["id"]]))
    if not waiting:
        sent = [r["stage"] for r in store.db.query(
            "SELECT stage FROM messages WHERE request_id = ? AND direction = 'out' AND state = 'sent'", [row["id"]])]
        how = "it goes by e-mail" if row.get("channel", "email") == "email" else "nothing is waiting"
        done = f" (already sent: {', '.join(sent)})" if sent else ""
        raise FoibotError(f"{row['reference']} has no {stage or 'message'} waiting to be sent by hand: {how}{done}")
    if london_date(on) > london_date(now):
        raise FoibotError(f"{row['reference']}: {london_date(on)} is in the future")
    created = from_iso(row["created_at"])
    if created is not None and london_date(on) < london_date(created):
        raise FoibotError(f"{row['reference']}: it was written on {london_date(created)}, so it cannot have "
                          f"been sent on {london_date(on)}")
    message = waiting[0]
    with store.transaction():
        store.db.execute("UPDATE messages SET state = 'sent', sent_at = ?, smtp_reply = ?, last_error = NULL "
                         "WHERE id = ? AND state = 'by_hand'", [iso(on), "sent by hand by the campaigner",
                                                                message["id"]])
        if is_request_stage(message["stage"]):
            store.db.execute("UPDATE requests SET sent_at = ?, status = CASE WHEN status = 'queued' THEN "
                             "'awaiting_response' ELSE status END WHERE id = ?", [iso(on), row["id"]])
        store.add_event(row["id"], f"sent_{message['stage']}", on,
                        {"to": message["to_addrs"], "message_id": message["message_id"]}, message_id=message["id"])
        detail: dict[str, Any] = {"stage": message["stage"], "on": iso(on), "channel": row.get("channel")}
        if their_ref and their_ref.strip():
            store.db.execute("UPDATE requests SET authority_ref = ? WHERE id = ?", [their_ref.strip(), row["id"]])
            detail["their_ref"] = their_ref.strip()
        store.add_event(row["id"], "sent_by_hand", now, detail, message_id=message["id"], source="manual")
    new_row = find_request(store, row["reference"])
    return new_row, message["stage"], due_date(RequestFacts.from_row(new_row), new_row["regime"])


def record_readdress(store: Store, request: dict[str, Any], new: str, stage: str, now: datetime) -> None:
    """The request goes again, same reference, to `new` (inside the caller's transaction, before the new
    message is queued): the old address is kept as wrong, and the request is queued until the new one goes
    (its clock starts then). Whatever of it still waited to go (queued, or to send by hand) never will."""
    old = request.get("authority_email") or ""
    wrong = ";".join(a for a in ((request.get("wrong_addresses") or ""), old) if a)
    store.db.execute(
        "UPDATE messages SET state = 'failed', last_error = ? WHERE request_id = ? AND direction = 'out' "
        "AND state IN ('by_hand', 'queued')", [f"not sent: readdressed to {new}", request["id"]])
    store.db.execute(
        "UPDATE requests SET authority_email = ?, channel = 'email', wrong_addresses = ?, status = 'queued', "
        "status_manual = 0, failed_reason = NULL WHERE id = ?", [new, wrong, request["id"]])
    store.add_event(request["id"], "readdressed", now, {"from": old, "to": new, "stage": stage}, source="manual")


# --- may this request be chased? --------------------------------------------------------------------------

def chase_stop_reason(row: dict[str, Any], stage: str | None = None) -> str | None:
    """Why the request (a `requests` row) is owed no chaser now, in words; None when it may be chased.

    With `stage`, for a chaser already queued: a reminder is not owed once any outcome is known either."""
    if row.get("on_hold"):
        return "on hold"
    if row.get("withdrawn_at"):
        return "withdrawn"
    if row["status"] in CHASE_STOPS:
        return CHASE_STOPS[Status(row["status"])]
    if not row.get("sent_at"):
        return "not sent yet"
    if stage == Stage.REMINDER and row.get("outcome"):
        return "a substantive reply came"
    return None


REVIEW_HOLD = "a reply's reading waits for review (foibot review)"


def chase_hold_reason(store: Store, request_id: int) -> str | None:
    """Why no chaser may leave for the request *for now* (it stays queued, unlike a stop): one of its replies
    waits for a person to read it (the review queue), so it may have answered, or may not have."""
    found = store.db.execute("SELECT 1 FROM messages WHERE request_id = ? AND needs_review = 1 AND direction = 'in' "
                             "LIMIT 1", [request_id]).fetchone()
    return REVIEW_HOLD if found else None


def cancel_stopped_chasers(store: Store, now: datetime, request_id: int | None = None) -> int:
    """Every chaser still queued (a temporary failure left it) for a request that may no longer be chased is
    marked not sent, with the reason. Runs inside the caller's transaction when there is one."""
    where = "m.direction = 'out' AND m.state IN ('queued', 'by_hand') AND m.stage IN ({})".format(", ".join("?" for _ in CHASERS))
    params: list[Any] = list(CHASERS)
    if request_id is not None:
        where += " AND m.request_id = ?"
        params.append(request_id)
    cursor = store.db.execute(f"SELECT m.id AS message_id, m.stage AS stage, q.* FROM messages m "
                              f"JOIN requests q ON q.id = m.request_id WHERE {where} ORDER BY m.id", params)
    names = [d[0] for d in cursor.description]
    cancelled = 0
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        reason = chase_stop_reason(row, row["stage"])
        if reason:
            refuse_chaser(store, row["message_id"], row["id"], row["stage"], reason, now)
            cancelled += 1
    return cancelled


def refuse_chaser(store: Store, message_id: int, request_id: int, stage: str, reason: str, now: datetime) -> None:
    """Record that a queued chaser will never leave (inside the caller's transaction)."""
    store.db.execute("UPDATE messages SET state = 'failed', last_error = ? WHERE id = ? AND state IN ('queued', "
                     "'by_hand')", [f"not sent: {reason}", message_id])
    store.add_event(request_id, f"failed_{stage}", now, {"reason": f"not sent: {reason}"}, message_id=message_id)


def manual_verdicts(stored: str | None) -> dict[str, dict[str, str]]:
    """A request's `verdicts` column: {question id: {"verdict", "exemption", "at"}} set by a person."""
    return {str(q): {k: str(v) for k, v in entry.items()} for q, entry in json_column(stored, {}).items()
            if isinstance(entry, dict) and entry.get("verdict")}


def set_verdict(store: Store, reference_or_id: str, question: str, verdict: str, now: datetime, *,
                exemption: str | None = None, allowed: Sequence[str] = (),
                questions: Sequence[str] = (), event: str = "verdict_set") -> dict[str, Any]:
    """A person confirms or corrects the verdict of one question of a request; it always wins.

    `verdict` "auto" hands it back to foibot. `allowed`: the question's vocabulary; `questions`: the ids of
    the run's questions (both from the template; empty: not checked); `event`: what the history calls it
    (review.confirm_verdict: "verdict_confirmed"). Returns the updated request row.
    """
    if questions and question not in questions:
        raise InputError(f"no question {question!r} in this request's template (questions: {', '.join(questions)})")
    if verdict != "auto" and allowed and verdict not in allowed:
        raise InputError(f"{verdict!r} is not a verdict of {question}: use one of {', '.join(allowed)} (or auto "
                         "to let foibot decide again)")
    with store.transaction():
        request = find_request(store, reference_or_id)
        current = manual_verdicts(request.get("verdicts"))
        before = current.get(question)
        if verdict == "auto":
            current.pop(question, None)
        else:
            current[question] = {"verdict": verdict, "exemption": ";".join(parse_list(exemption or "")),
                                 "at": iso(now) or ""}
        store.db.execute("UPDATE requests SET verdicts = ? WHERE id = ?",
                         [json.dumps(current, sort_keys=True, ensure_ascii=False), request["id"]])
        store.add_event(request["id"], event, now, {"question": question, "verdict": verdict,
                                                    "exemption": exemption or "", "before": before},
                        source="manual")
    return _row(store, "requests", request["id"])
