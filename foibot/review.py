"""The review queue: readings of replies that wait for a person, and the person's confirm or correct.

A reading waits when the classifier is unsure of it (confidence below `classify.REVIEW_BELOW`) or when it
would change an outcome already recorded (`lifecycle.review_reason`). While one waits, the ladder and the
outbox hold its request: no reminder goes to an authority that may have answered, and no chasing stops on a
guess. `confirm_reading` accepts the reading as it is, `set_reading` corrects its kind; both are manual
events (`source = 'manual'`) and, like `foibot mark`, always win over any later automatic reading.
The CLI (`foibot review`) and the web workspace both call these functions.

Verdicts per question wait in the same queue: an answer whose words decide nothing (`unclear`) waits for a
person, who confirms it (`confirm_verdict`) or corrects it (`correct_verdict`); both are manual events on the
request (`lifecycle.set_verdict`) and always win over foibot's own verdict, worked out again every time.
Verdicts are computed by publishing (`publish.to_review` lists the ones waiting, as `VerdictItem`s); an
unclear verdict holds no chaser (the request has had its answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import InputError
from .lifecycle import mark_message, set_verdict
from .store import PENDING_REVIEW_REQUESTS, Store, json_column
from .vocab import KINDS, SUBSTANTIVE

__all__ = ["PENDING_REVIEW_REQUESTS", "ReviewItem", "Settled", "VerdictItem", "confirm_reading", "confirm_verdict",
           "correct_verdict", "list_reviews", "pending_count", "set_reading"]


@dataclass(frozen=True)
class ReviewItem:
    message_id: int
    request_id: int | None
    reference: str | None
    authority: str | None
    kind: str
    confidence: float
    reason: str
    evidence: tuple[str, ...]
    subject: str | None
    received_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message_id, "request": self.reference, "authority": self.authority,
                "kind": self.kind, "confidence": self.confidence, "reason": self.reason,
                "evidence": list(self.evidence), "subject": self.subject, "received_at": self.received_at}


def _evidence(stored: str | None) -> tuple[str, ...]:
    return tuple(str(x) for x in json_column(stored, []))


def list_reviews(store: Store, run: str | None = None) -> list[ReviewItem]:
    """Every reading waiting for a person, oldest first."""
    where = "m.needs_review = 1 AND m.direction = 'in'"
    params: list[Any] = []
    if run is not None:
        where += " AND q.run = ?"
        params.append(run)
    rows = store.db.query(
        "SELECT m.id, m.request_id, q.reference, q.authority_name, m.kind, m.confidence, m.review_reason, "
        "m.evidence, m.subject, m.date_header FROM messages m LEFT JOIN requests q ON q.id = m.request_id "
        f"WHERE {where} ORDER BY m.id", params)
    return [ReviewItem(r["id"], r["request_id"], r["reference"], r["authority_name"], r["kind"] or "other",
                       float(r["confidence"] or 0.0), r["review_reason"] or "", _evidence(r["evidence"]),
                       r["subject"], r["date_header"]) for r in rows]


def pending_count(store: Store, run: str | None = None) -> int:
    """How many readings wait for a person (for `foibot status`)."""
    if run is None:
        row = store.db.execute("SELECT COUNT(*) FROM messages WHERE needs_review = 1 AND direction = 'in'").fetchone()
    else:
        row = store.db.execute("SELECT COUNT(*) FROM messages m JOIN requests q ON q.id = m.request_id "
                               "WHERE m.needs_review = 1 AND m.direction = 'in' AND q.run = ?", [run]).fetchone()
    return int(row[0])


def _waiting(store: Store, message_id: int) -> dict[str, Any]:
    found = list(store.db.query("SELECT id, request_id, kind, needs_review, direction FROM messages WHERE id = ?",
                                [message_id]))
    if not found or found[0]["direction"] != "in":
        raise InputError(f"no reply with number {message_id} in the database: `foibot review` lists them")
    return found[0]


def _settle(store: Store, message: dict[str, Any], kind: str, now: datetime, event: str) -> None:
    """The reading is a person's now: the message leaves the queue and the request's outcome is confirmed."""
    with store.transaction():
        store.db.execute("UPDATE messages SET needs_review = 0, review_reason = NULL, kind_manual = 1 "
                         "WHERE id = ?", [message["id"]])
        request_id = message["request_id"]
        if request_id is not None and (kind in SUBSTANTIVE or kind == "internal_review_result"):
            store.db.execute("UPDATE requests SET outcome_confirmed = 1 WHERE id = ? AND outcome IS NOT NULL",
                             [request_id])
        store.add_event(request_id, event, now, {"kind": kind, "before": message["kind"]},
                        message_id=message["id"], source="manual")


@dataclass(frozen=True)
class Settled:
    """A reading a person settled, and where its request stands now."""

    message_id: int
    kind: str
    reference: str | None
    status: str | None
    outcome: str | None


def _after(store: Store, message_id: int) -> Settled:
    row = store.db.execute("SELECT m.kind, q.reference, q.status, q.outcome FROM messages m LEFT JOIN requests q "
                           "ON q.id = m.request_id WHERE m.id = ?", [message_id]).fetchone()
    return Settled(message_id, row[0] or "other", row[1], row[2], row[3])


def confirm_reading(store: Store, message_id: int, now: datetime) -> Settled:
    """A person agrees with the reading as it stands (a manual event): the request may be chased again."""
    message = _waiting(store, message_id)
    _settle(store, message, message["kind"] or "other", now, "review_confirmed")
    return _after(store, message_id)


def set_reading(store: Store, message_id: int, kind: str, now: datetime) -> Settled:
    """A person corrects the kind: the request is updated as if the reply had been read so (as `mark` does)."""
    if kind not in KINDS:
        raise InputError(f"--kind {kind!r} is not a reply kind: use one of {', '.join(KINDS)}")
    message = _waiting(store, message_id)
    mark_message(store, message_id, kind, now)
    _settle(store, message, kind, now, "review_set")
    return _after(store, message_id)


# --- verdicts per question -------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerdictItem:
    """One question of one request whose verdict waits for a person."""

    reference: str
    authority: str
    question: str
    verdict: str
    exemption: str
    answer: str  # the reply's answer to the question, as extracted
    sentence: str  # what the verdict rests on ("" when nothing decided it)
    source: str  # "email (2026-03-20)", "letter.pdf, page 2 (...)", or ""

    def as_dict(self) -> dict[str, Any]:
        return {"request": self.reference, "authority": self.authority, "question": self.question,
                "verdict": self.verdict, "exemption": self.exemption, "answer": self.answer,
                "sentence": self.sentence, "source": self.source}


def confirm_verdict(store: Store, reference: str, question: str, verdict: str, now: datetime, *,
                    exemption: str | None = None, questions: Sequence[str] = ()) -> dict[str, Any]:
    """A person agrees with foibot's verdict as it stands (`verdict`, `exemption`): it is theirs now."""
    return set_verdict(store, reference, question, verdict, now, exemption=exemption, questions=questions,
                       event="verdict_confirmed")


def correct_verdict(store: Store, reference: str, question: str, verdict: str, now: datetime, *,
                    exemption: str | None = None, allowed: Sequence[str] = (),
                    questions: Sequence[str] = ()) -> dict[str, Any]:
    """A person sets the verdict (one of `allowed`, the question's vocabulary; "auto" hands it back)."""
    return set_verdict(store, reference, question, verdict, now, exemption=exemption, allowed=allowed,
                       questions=questions)
