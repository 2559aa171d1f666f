"""Filing stored replies: parse, save attachments, match to a request, classify, move the request on.

Works only on rows already committed by the poller (`state = 'stored'`), a batch of messages per
transaction (a savepoint each), so a crash anywhere leaves the batch in hand and the rest for the next
pass. A message that cannot be read is kept, marked `parse_error` and listed in `foibot triage`; nothing
the poller stored is ever dropped.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from ..clock import iso
from ..config import Config
from ..errors import FoibotError
from ..files import write_atomic
from ..lifecycle import apply_reply, classification_columns
from ..store import Store, ensure_files_dir, json_column
from ..understand import (
    Classification,
    Extracted,
    Opened,
    ParsedMessage,
    QuestionLike,
    open_message,
    read_opened,
    sniff,
)
from .matching import Directory, Match, ReplyFacts, RequestInfo, facts_from, match_reply

if TYPE_CHECKING:
    from .imap import PollReport

log = logging.getLogger(__name__)

FILING_BATCH = 100  # messages read ahead, then filed in one transaction
FILING_BATCH_BYTES = 16 * 1024 * 1024  # ... or fewer when they are this big together
_EXTENSIONS = {
    "application/pdf": "pdf", "text/plain": "txt", "text/html": "html", "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/msword": "doc", "application/vnd.ms-excel": "xls", "application/rtf": "rtf",
    "application/zip": "zip", "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/tiff": "tif",
    "message/rfc822": "eml", "application/vnd.oasis.opendocument.text": "odt",
}
_BY_SNIFF = {"pdf": "pdf", "docx": "docx", "html": "html"}


# --- what the matcher needs from the database -------------------------------------------------------------

def load_directory(store: Store, config: Config) -> Directory:
    """Every request, our outgoing Message-IDs and the sender hints, read once per pass."""
    requests = []
    for r in store.db.query(
            "SELECT q.id, q.reference, q.authority_id, q.authority_email, q.status, q.authority_ref, "
            "q.authority_name, a.extra FROM requests q LEFT JOIN authorities a ON a.id = q.authority_id"):
        requests.append(RequestInfo(
            id=r["id"], reference=r["reference"], authority_id=r["authority_id"],
            authority_email=r["authority_email"], status=r["status"], authority_ref=r["authority_ref"],
            other_emails=_other_emails(r["extra"]), authority_name=r["authority_name"]))
    outgoing = {r[0]: r[1] for r in store.db.execute(
        "SELECT message_id, request_id FROM messages WHERE direction = 'out' AND message_id IS NOT NULL "
        "AND request_id IS NOT NULL")}
    hints = {r[0]: r[1] for r in store.db.execute("SELECT address, authority_id FROM sender_hints")}
    return Directory(requests, outgoing, hints, (config.requester.email.lower(),))


def _other_emails(extra: str | None) -> tuple[str, ...]:
    """Other addresses of the authority from its CSV row (e.g. an alt_email column)."""
    found: list[str] = []
    for key, value in json_column(extra, {}).items():
        if "email" in str(key).lower() and isinstance(value, str):
            found.extend(v.strip() for v in re.split(r"[;,\s]+", value) if "@" in v)
    return tuple(found)


class RequestQuestions:
    """The questions of each run's template, loaded once (answers are found per question)."""

    def __init__(self, store: Store, config: Config):
        self.store, self.config = store, config
        self.cache: dict[str, tuple[QuestionLike, ...]] = {}
        self.templates: dict[int, str | None] = {}  # request id -> its run's template (fixed once queued)

    def for_request(self, request_id: int | None) -> tuple[QuestionLike, ...]:
        if request_id is None:
            return ()
        if request_id not in self.templates:
            row = self.store.db.execute("SELECT r.template FROM requests q JOIN runs r ON r.id = q.run "
                                        "WHERE q.id = ?", [request_id]).fetchone()
            self.templates[request_id] = row[0] if row else None
        template = self.templates[request_id]
        if template is None:
            return ()
        if template not in self.cache:
            from ..render import load_template_set

            try:
                self.cache[template] = load_template_set(template, self.config.base_dir).questions
            except FoibotError:
                self.cache[template] = ()
        return self.cache[template]


# --- reading one message ----------------------------------------------------------------------------------

@dataclass
class Reading:
    """A stored message opened by the one reader (`understand.open_message`), with the facts the matcher reads."""

    opened: Opened
    facts: ReplyFacts

    @property
    def parsed(self) -> ParsedMessage:
        return self.opened.parsed

    @property
    def extracted(self) -> list[Extracted]:
        return self.opened.extracted

    @property
    def error(self) -> str | None:
        return self.opened.error


def read(raw: bytes, max_attachment_bytes: int) -> Reading:
    """Open the message (parse, extract attachment texts) and gather the facts the matcher reads."""
    opened = open_message(raw, max_attachment_bytes)
    forwarded = [facts_from(p) for p in opened.forwarded]
    # Attached messages are read as forwarded messages (their headers count), not as letters.
    return Reading(opened, facts_from(opened.parsed, opened.letter_texts, forwarded=forwarded))


def _extension(content_type: str, data: bytes, filename: str | None) -> str:
    return _BY_SNIFF.get(sniff(data, content_type, filename)) or _EXTENSIONS.get(content_type.lower(), "bin")




def save_attachments(store: Store, message_row_id: int, reading: Reading, max_bytes: int) -> None:
    """Each attachment under a generated name (never the sender's): <row>/<index>-<hash>.<ext>."""
    if not reading.parsed.attachments:
        return
    files = ensure_files_dir(store)
    for attachment, extracted in zip(reading.parsed.attachments, reading.extracted):
        stored_path = None
        if attachment.size <= max_bytes:
            name = (f"{attachment.index}-{attachment.sha256[:16]}."
                    f"{_extension(attachment.content_type, attachment.data, attachment.filename)}")
            write_atomic(files / str(message_row_id) / name, attachment.data, what="attachment")
            stored_path = f"{message_row_id}/{name}"
        store.db.execute(
            "INSERT OR REPLACE INTO attachments (message_id, part_index, filename, stored_path, content_type, "
            "size, sha256, text, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [message_row_id, attachment.index, attachment.filename, stored_path, attachment.content_type,
             attachment.size, attachment.sha256, extracted.text or None, extracted.status],
        )


# --- filing ---------------------------------------------------------------------------------------------

def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _headers_columns(parsed: ParsedMessage) -> dict[str, Any]:
    return {
        "message_id": parsed.message_id,
        "in_reply_to": " ".join(parsed.in_reply_to) or None,
        "references_header": " ".join(parsed.references) or None,
        "from_addr": parsed.from_addr,
        "to_addrs": ", ".join(parsed.to_addrs) or None,
        "subject": parsed.subject,
        "date_header": iso(parsed.date) if parsed.date else None,
        "text": parsed.text,
    }


def classify(reading: Reading, questions: Sequence[QuestionLike] = ()) -> Classification:
    """The one reader's classification of an opened message (the same as `foibot classify` gives)."""
    return read_opened(reading.opened, questions).classification


def _update(store: Store, row_id: int, columns: dict[str, Any]) -> None:
    """One UPDATE of the messages row (the column names are ours, never from a message)."""
    names = list(columns)
    store.db.execute(f"UPDATE messages SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                     [columns[n] for n in names] + [row_id])


class _Laps:
    """Seconds spent per filing step, added to the report (`foibot poll` and the benchmark show them)."""

    def __init__(self, report: PollReport | None):
        self.report = report
        self.moment = time.perf_counter()

    def __call__(self, name: str) -> None:
        moment = time.perf_counter()
        if self.report is not None:
            self.report.timings[name] += moment - self.moment
        self.moment = moment


def _read_safely(row_id: int, raw: bytes, max_attachment: int) -> tuple[Reading | None, str | None]:
    """The message read, or why it could not be (a bug on hostile input must not stop the pass)."""
    try:
        return read(raw, max_attachment), None
    except Exception as exc:
        log.exception("message %s could not be read", row_id)
        return None, f"{type(exc).__name__}: {exc}"[:500]


def file_message(store: Store, config: Config, row_id: int, raw: bytes, directory: Directory,
                 questions: RequestQuestions, now: datetime, report: PollReport | None = None) -> Match | None:
    """Read, match, classify and record one stored message (one transaction). None when unreadable."""
    laps = _Laps(report)
    reading, failure = _read_safely(row_id, raw, config.storage.max_attachment_bytes)
    laps("parse")
    with store.transaction():
        return _file_read(store, config, row_id, reading, failure, directory, questions, now, report, laps)


def quarantine(store: Store, row_id: int, reason: str, now: datetime, report: PollReport | None = None) -> None:
    """Set a stored message aside: it is listed (status, triage, report) with the reason, its bytes kept, and
    `foibot retry` reads it again; the messages after it are filed as usual."""
    reason = " ".join(reason.split())[:500]
    store.db.execute("UPDATE messages SET state = 'quarantined', triage = 1, quarantine_reason = ?, "
                     "quarantined_at = ?, parse_error = ?, read_attempts = read_attempts + 1 WHERE id = ?",
                     [reason, iso(now), f"quarantined: {reason}", row_id])
    store.add_event(None, "message_quarantined", now, {"reason": reason}, message_id=row_id)
    log.warning("message %s quarantined: %s", row_id, reason)
    if report:
        report.quarantined += 1
        report.problems.append(f"message {row_id} quarantined: {reason} (foibot retry {row_id} reads it again)")


def _file_read(store: Store, config: Config, row_id: int, reading: Reading | None, failure: str | None,
               directory: Directory, questions: RequestQuestions, now: datetime, report: PollReport | None,
               laps: _Laps, set_aside: str | None = None) -> Match | None:
    """Match, classify and record a message already read, inside the caller's transaction."""
    state = store.db.execute("SELECT state FROM messages WHERE id = ?", [row_id]).fetchone()
    laps("record")
    if not state or state[0] != "stored":  # another foibot process filed it meanwhile
        return None
    if set_aside is not None:
        quarantine(store, row_id, set_aside, now, report)
        return None
    match: Match | None = None
    classification: Classification | None = None
    if reading is not None:
        try:
            match = match_reply(reading.facts, directory) if reading.error is None else None
            laps("match")
            classification = classify(reading, questions.for_request(match.request_id if match else None))
            laps("classify")
        except Exception as exc:  # a bug on hostile input: keep the message, list it, go on with the others
            log.exception("message %s could not be read", row_id)
            reading, failure = None, f"{type(exc).__name__}: {exc}"[:500]
    if reading is None or classification is None:
        _update(store, row_id, {"state": "parse_error", "triage": 1, "parse_error": failure})
        if report:
            report.parse_errors += 1
        return None
    columns = _headers_columns(reading.parsed)
    save_attachments(store, row_id, reading, config.storage.max_attachment_bytes)
    if match is None:
        columns.update(state="parse_error", triage=1, parse_error=reading.error,
                       match_method="none", match_confidence=0.0,
                       match_detail=_json({"defects": reading.parsed.defects[:20]}))
        columns.update(classification_columns(classification))
        _update(store, row_id, columns)
        store.add_event(None, "reply_unreadable", now, {"error": reading.error}, message_id=row_id)
        if report:
            report.parse_errors += 1
        laps("record")
        return None
    detail = dict(match.detail)
    detail.setdefault("found", {})
    if classification.authority_refs:
        detail["found"]["authority_refs"] = list(classification.authority_refs)
    if reading.parsed.defects:
        detail["defects"] = reading.parsed.defects[:20]
    own = match.method == "own_message"
    columns.update(state="parsed", request_id=match.request_id, match_method=match.method,
                   match_confidence=match.confidence, match_detail=_json(detail),
                   triage=0 if (match.filed or own) else 1, parse_error=None)
    if not match.filed:  # a filed reply's classification is recorded by apply_reply (a manual kind wins)
        columns.update(classification_columns(classification))
    _update(store, row_id, columns)
    effect = None
    if match.filed:
        assert match.request_id is not None
        store.add_event(match.request_id, "reply_matched", now,
                        {"method": match.method, "confidence": match.confidence,
                         "why": detail.get("why"), "kind": classification.kind}, message_id=row_id)
        laps("record")
        effect = apply_reply(store, match.request_id, row_id, classification, now)
        if "status" in effect.changes or "authority_ref" in effect.changes:
            _refresh(directory, match.request_id, effect.changes)
        laps("update_request")
    else:
        if not own:
            store.add_event(None, "reply_to_triage", now, {"why": detail.get("why"),
                                                           "candidates": match.candidates}, message_id=row_id)
        laps("record")
    if report:
        _count(report, match, classification, effect)
    return match


def _refresh(directory: Directory, request_id: int, changes: dict[str, Any]) -> None:
    """Later messages of the same pass see the request's new status and learned reference."""
    from dataclasses import replace

    old = directory.by_id.get(request_id)
    if old is not None:
        directory.update_request(replace(old, status=changes.get("status", old.status),
                                         authority_ref=changes.get("authority_ref", old.authority_ref)))


def _count(report: PollReport, match: Match, c: Classification, effect: Any) -> None:
    if match.method == "own_message":
        report.own_messages += 1
        return
    if match.filed:
        report.filed[match.method] += 1
    else:
        report.triage += 1
    if c.kind == "bounce":
        report.bounces += 1
        if not c.bounce_permanent:
            report.delay_warnings += 1
    elif c.kind == "auto_reply":
        report.auto_replies += 1
    if effect is not None and effect.status_after != effect.status_before:
        if effect.status_after == "failed":
            report.failed_requests += 1
        elif effect.status_after == "answered":
            report.answered += 1


def file_stored(store: Store, config: Config, now: datetime, report: PollReport | None = None) -> int:
    """File every message the poller stored and nothing has read yet; returns how many.

    Messages are read (parsed, attachments extracted) a batch at a time outside any transaction, then
    matched, classified and recorded in one transaction per batch, in order, so each sees what the ones
    before it taught (a learned reference, a request answered). A message that cannot be recorded stops the
    pass with those before it committed; a crash loses at most the batch in hand. What is not filed stays
    `stored` and is filed by the next pass."""
    ids = [r[0] for r in store.db.execute(
        "SELECT id FROM messages WHERE direction = 'in' AND state = 'stored' ORDER BY id")]
    return _file_ids(store, config, now, ids, report)


def _file_ids(store: Store, config: Config, now: datetime, ids: list[int], report: PollReport | None = None) -> int:
    if not ids:
        return 0
    directory = load_directory(store, config)
    questions = RequestQuestions(store, config)
    max_attachment = config.storage.max_attachment_bytes
    batch: list[_Read] = []
    held = 0
    laps = _Laps(report)
    with _reader(config) as reader:
        for row_id in ids:
            row = store.db.execute("SELECT raw, state FROM messages WHERE id = ?", [row_id]).fetchone()
            if row is None or row[1] != "stored":  # another process filed it meanwhile
                continue
            raw = bytes(row[0] or b"")
            laps("load")
            batch.append(_read_one(reader, row_id, raw, max_attachment))
            laps("parse")
            held += len(raw)
            if len(batch) >= FILING_BATCH or held >= FILING_BATCH_BYTES:
                _file_batch(store, config, batch, directory, questions, now, report, laps)
                batch, held = [], 0
        if batch:
            _file_batch(store, config, batch, directory, questions, now, report, laps)
    return len(ids)


# (row id, the reading or None, why it is unreadable, why it is quarantined)
_Read = tuple[int, Reading | None, str | None, str | None]


class _InProcess:
    """Reading in this process (`[storage] isolated_reading = false`): no limits, for debugging only."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _reader(config: Config) -> Any:
    if not config.storage.isolated_reading:
        return _InProcess()
    from .isolation import IsolatedReader

    return IsolatedReader(config.storage.max_attachment_bytes, seconds=config.storage.read_timeout_seconds,
                          memory_mb=config.storage.read_memory_mb)


def _read_one(reader: Any, row_id: int, raw: bytes, max_attachment: int) -> _Read:
    if isinstance(reader, _InProcess):
        reading, failure = _read_safely(row_id, raw, max_attachment)
        return row_id, reading, failure, (f"reading it failed: {failure}" if failure else None)
    from .isolation import Failure

    got = reader.read(raw)
    if isinstance(got, Failure):
        return row_id, None, got.reason, got.reason
    return row_id, got, None, None


def _file_batch(store: Store, config: Config, batch: list[_Read], directory: Directory,
                questions: RequestQuestions, now: datetime, report: PollReport | None, laps: _Laps) -> None:
    laps.moment = time.perf_counter()
    stopped: BaseException | None = None
    with store.transaction():
        for row_id, reading, failure, set_aside in batch:
            # A savepoint per message: when one cannot be recorded (a full disk, an interrupt), those before
            # it in the batch are still committed, and it and the rest stay `stored` for the next pass.
            store.db.execute("SAVEPOINT filing_message")
            try:
                _file_read(store, config, row_id, reading, failure, directory, questions, now, report, laps,
                           set_aside)
            except (FoibotError, sqlite3.Error, OSError, MemoryError) as exc:  # the store or the machine: stop
                store.db.execute("ROLLBACK TO filing_message")
                store.db.execute("RELEASE filing_message")
                stopped = exc
                break
            except Exception as exc:
                log.exception("message %s could not be filed", row_id)
                store.db.execute("ROLLBACK TO filing_message")
                quarantine(store, row_id, f"filing it failed: {type(exc).__name__}: {exc}", now, report)
            except BaseException as exc:  # noqa: BLE001 - an interrupt: re-raised below, once those before it are kept
                store.db.execute("ROLLBACK TO filing_message")
                store.db.execute("RELEASE filing_message")
                stopped = exc
                break
            store.db.execute("RELEASE filing_message")
    laps("record")
    if stopped is not None:
        raise stopped


@dataclass
class Retried:
    message_id: int
    state: str  # parsed | parse_error | quarantined
    reason: str | None  # why it is quarantined again
    request: str | None  # the reference it was filed under


def retry_message(store: Store, config: Config, message_id: int, now: datetime) -> Retried:
    """Read a quarantined message again (after an upgrade, or with higher limits) and file it if it reads."""
    from ..errors import InputError

    row = store.db.execute("SELECT state FROM messages WHERE id = ? AND direction = 'in'", [message_id]).fetchone()
    if row is None:
        raise InputError(f"no incoming message {message_id} in {store.path} (foibot triage lists them)")
    if row[0] != "quarantined":
        raise InputError(f"message {message_id} is not quarantined (it is {row[0]}): only a quarantined message "
                         "is read again")
    with store.transaction():
        store.db.execute("UPDATE messages SET state = 'stored', triage = 0, parse_error = NULL WHERE id = ?",
                         [message_id])
        store.add_event(None, "message_retried", now, {}, message_id=message_id, source="manual")
    _file_ids(store, config, now, [message_id])
    state, reason, request = store.db.execute(
        "SELECT m.state, m.quarantine_reason, q.reference FROM messages m LEFT JOIN requests q "
        "ON q.id = m.request_id WHERE m.id = ?", [message_id]).fetchone()
    return Retried(message_id, state, reason if state == "quarantined" else None, request)
