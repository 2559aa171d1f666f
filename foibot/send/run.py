"""Sending through the outbox: every queued message once, ever, whatever crashes when.

`send_run` queues a checked plan (planning.py) and sends it; `send_pending` sends whatever is queued
(requests, chasers) through [smtp] or the embedded sandbox, one sender per database at a time, after
turning what a crash left in flight into `unknown` messages, never resent blindly: each is looked for by
its Message-ID in the mailbox's Sent folder (a `SentFolder`, which the caller hands in: collect/sent.py
owns the IMAP), recorded as sent when it is there, sent again only when it certainly is not, and left
unknown for the campaigner (`send --mark-sent` / `--resend-unknown`) when the folder cannot tell.
`[smtp] daily_limit` is kept by the outbox's claims; what does not fit waits in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ..addresses import domain_of
from ..clock import from_iso, london_date
from ..config import Config, ServerConfig, SmtpConfig
from ..errors import ConfigError, FoibotError, InputError, MailServerError
from ..files import exclusive_lock
from ..references import find_references
from ..store import Store, open_store
from . import outbox
from .by_hand import ByHand, write_by_hand
from .mailer import DeliveryStats, Envelope, SmtpSettings, check_server, deliver, run_sync
from .plan import RunPlan, plan_run, queue_run, server_name

Progress = Callable[[int, int], None]  # (done, total)

# The run API in one place: plan (planning.py, reads only), then send.
__all__ = ["Problem", "SendReport", "SentFolder", "check_smtp", "plan_run", "resolve_unknown", "retry_failed", "send_lock",
           "send_pending", "send_run", "smtp_settings"]

# A provider files its copy of an accepted message at once, or within a moment: a message that may have
# gone is looked for only after this long, so that a copy on its way is not taken for an absent one.
SENT_COPY_GRACE_SECONDS = 2.0


class SentFolder(Protocol):
    """The mailbox's Sent folder, as sending needs it (implemented with IMAP in collect/sent.py)."""

    label: str  # for messages: "the Sent folder (imap.example.org)"
    certain: bool  # the SMTP server files every message it accepts there: absence proves it was not sent
    copies: bool  # foibot keeps its own copy of each message there ([imap] sent_folder)

    def find(self, message_ids: list[str], since: datetime) -> dict[str, datetime | None]:
        """The given Message-IDs present in the folder, with the time each was filed (None if unknown);
        raises MailServerError when the folder cannot be read."""

    def append(self, copies: list[tuple[int, str, bytes, datetime]], done: Callable[[list[int]], None]) -> None:
        """File a copy (\\Seen) of each (id, message_id, raw, sent_at) not there yet, calling `done` with
        the ids filed or found; raises MailServerError when the folder cannot be written."""


@dataclass(frozen=True)
class Problem:
    reference: str
    authority: str
    to: str
    stage: str
    reason: str


@dataclass
class SendReport:
    server: str = ""
    sent: int = 0
    failed: list[Problem] = field(default_factory=list)
    deferred: list[Problem] = field(default_factory=list)  # temporary failures: still queued
    unknown: list[Problem] = field(default_factory=list)  # may or may not have been sent
    newly_unknown: int = 0
    settled_sent: int = 0  # unknown messages found in the Sent folder: recorded as sent
    settled_resent: int = 0  # unknown messages certainly absent from it: sent again
    copied: int = 0  # copies filed in [imap] sent_folder
    notes: list[str] = field(default_factory=list)  # what went wrong beside the sending (Sent folder)
    accepted: int = 0  # answered 250 so far (counted as they come, for a run that an error stops)
    daily_limit: int = 0
    limit_reached: bool = False
    waiting: int = 0  # still queued when the run ended
    next_at: datetime | None = None  # when the daily limit lets the next one go
    retried: int = 0
    skipped: int = 0
    seconds: float = 0.0
    connections: int = 0
    by_hand: list[ByHand] = field(default_factory=list)  # written out for the campaigner to send

    @property
    def ok(self) -> bool:
        return not (self.failed or self.deferred or self.unknown)


# --- configuration -------------------------------------------------------------------------------------


def smtp_settings(config: Config, server: SmtpConfig | None = None) -> SmtpSettings:
    """The real server's settings, password read from its variable now (a missing one is a ConfigError)."""
    server = server or config.smtp
    if server is None:
        raise ConfigError("no [smtp] section: the sandbox is used")
    ca_file = None
    if server.ca_file:
        ca_file = (config.base_dir / server.ca_file).resolve()
        if not ca_file.is_file():
            raise ConfigError(f"{server.source}: [smtp] ca_file {server.ca_file} does not exist ({ca_file})")
    return SmtpSettings(
        host=server.host,
        port=server.port,
        security=server.security,
        username=server.username,
        password=server.password(),
        password_env=server.password_env,
        ca_file=ca_file,
        timeout=server.timeout_seconds,
        connections=server.connections,
        rate_per_minute=server.rate_per_minute,
        domain_pause=float(server.domain_pause_seconds),
        max_attempts=max(1, server.max_attempts),
        retry_base=float(server.retry_base_seconds),
        local_hostname=domain_of(config.requester.email),
        oauth_token=_oauth_token(config, server),
    )


def _oauth_token(config: Config, server: ServerConfig) -> Callable[[str | None], str] | None:
    if not server.uses_oauth:
        return None
    from ..oauth import token_source

    return token_source(config, server).access_token


def check_smtp(config: Config) -> str:
    """`foibot check`: connect and log in to [smtp], send nothing; how it went, in words."""
    return run_sync(check_server(smtp_settings(config)))


def sandbox_maildir(config: Config) -> Path:
    from ..sandbox import SANDBOX_MAIL_DIR

    return config.database_path.parent / SANDBOX_MAIL_DIR


# --- sending -------------------------------------------------------------------------------------------

_held = threading.local()  # lock files this thread holds: send_run -> send_pending re-enters, nobody else


@contextlib.contextmanager
def send_lock(database: Path) -> Iterator[None]:
    """One sender per database at a time: a second would see the first one's messages in flight as lost."""
    path = database.with_name(database.name + ".send-lock")
    held: set[Path] = _held.__dict__.setdefault("paths", set())
    if path in held:
        yield
        return
    with exclusive_lock(path, f"another foibot is sending from {database} right now: wait for it to finish, "
                              "then run this again"):
        held.add(path)
        try:
            yield
        finally:
            held.discard(path)


def _clock(now: datetime) -> Callable[[], datetime]:
    """`now` as the run goes on; frozen when FOIBOT_NOW fixes the time (tests, demos, checks)."""
    if os.environ.get("FOIBOT_NOW"):
        return lambda: now
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


class _OutboxHooks:
    """The mailer's steps, recorded in the outbox as they happen.

    A 250 is recorded in the same transaction as the next claim, which the mailer makes in the same turn
    of the event loop (no await between them, so no crash window is added), or at the latest on the
    loop's next turn: one commit per message instead of two.
    """

    def __init__(self, store: Store, clock: Callable[[], datetime], labels: dict[int, tuple[str, str]],
                 report: SendReport, daily_limit: int = 0) -> None:
        self.store, self.clock, self.labels, self.report = store, clock, labels, report
        self.daily_limit = daily_limit
        self.unrecorded: list[tuple[outbox.Outgoing, datetime, str]] = []
        self.flush_scheduled = False

    def claim(self, envelope: Envelope) -> str:
        pending, self.unrecorded = self.unrecorded, []
        return outbox.record_sent_and_claim(self.store, pending, envelope.item, self.clock(), self.daily_limit)

    def unknown(self, envelope: Envelope, reason: str) -> None:
        with self.store.transaction():
            self.flush()
            outbox.mark_unknown(self.store, envelope.item, self.clock(), reason)

    def requeued(self, envelopes: list[Envelope], reason: str) -> None:
        with self.store.transaction():
            self.flush()
            outbox.requeue_failed(self.store, [e.item.id for e in envelopes], self.clock(), reason)
        back = {self._problem(e, "").reference for e in envelopes}
        self.report.failed = [p for p in self.report.failed if p.reference not in back]

    def sent(self, envelope: Envelope, reply: str) -> None:
        self.report.accepted += 1
        self.unrecorded.append((envelope.item, self.clock(), reply))
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        if self.unrecorded:
            pending, self.unrecorded = self.unrecorded, []
            outbox.record_sent_and_claim(self.store, pending, None, self.clock())

    def failed(self, envelope: Envelope, reason: str) -> None:
        with self.store.transaction():
            self.flush()
            outbox.mark_failed(self.store, envelope.item, self.clock(), reason)
        self.report.failed.append(self._problem(envelope, reason))

    def released(self, envelope: Envelope, reason: str, final: bool) -> None:
        with self.store.transaction():
            self.flush()
            outbox.release(self.store, envelope.item, reason)
        if final:
            self.report.deferred.append(self._problem(envelope, reason))

    def _problem(self, envelope: Envelope, reason: str) -> Problem:
        item: outbox.Outgoing = envelope.item
        reference, name = self.labels.get(item.request_id, ("?", "?"))
        return Problem(reference, name, item.to_addr, item.stage, reason)


@contextlib.contextmanager
def _bulk_writes(store: Store) -> Iterator[None]:
    """While a run sends: no WAL checkpoint (and its fsyncs) between two messages, one after the last, and
    a page cache that holds the run's messages (each is written twice). Every commit stays durable."""
    conn = store.db.conn
    (checkpoint,) = conn.execute("PRAGMA wal_autocheckpoint").fetchone()
    (cache,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA cache_size = -65536")  # KiB: up to 64 MB, used only as the run needs it
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(cache)}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _unknown(store: Store) -> list[Problem]:
    return [Problem(r["reference"], r["authority_name"], r["to_addrs"], r["stage"],
                    "may or may not have reached the server (interrupted while sending)")
            for r in outbox.unknown(store)]


def _settle_unknown(store: Store, sent_folder: SentFolder, now: datetime, report: SendReport) -> int:
    """Look for each unknown message in the Sent folder: there, it was sent; certainly absent, it is queued
    again; the folder unreadable, it stays unknown. Returns how many were queued again."""
    rows = outbox.unknown(store)
    if not rows:
        return 0
    if sent_folder.certain:
        time.sleep(SENT_COPY_GRACE_SECONDS)  # a copy being filed right now is not an absent one
    claimed = [from_iso(r["claimed_at"] or r["created_at"]) or now for r in rows]
    since = min(claimed) - timedelta(days=2)  # IMAP SINCE has a day's grain, in the server's time zone
    try:
        found = sent_folder.find([r["message_id"] for r in rows], since)
    except MailServerError as exc:
        report.notes.append(f"{len(rows)} message{'s' * (len(rows) != 1)} of unknown fate could not be looked "
                            f"for in {sent_folder.label}: {exc}")
        return 0
    requeued = 0
    for row in rows:
        mid = row["message_id"]
        if mid in found:
            outbox.settle_unknown(store, row["id"], now, found=True, sent_at=found[mid], where=sent_folder.label)
            report.settled_sent += 1
        elif sent_folder.certain:
            outbox.settle_unknown(store, row["id"], now, found=False, sent_at=None, where=sent_folder.label)
            report.settled_resent += 1
            requeued += 1
    return requeued


def _file_copies(store: Store, sent_folder: SentFolder, now: datetime, report: SendReport) -> None:
    due = outbox.copies_due(store)
    if not due:
        return
    copies = [(r["id"], r["message_id"], r["raw"], from_iso(r["sent_at"] or r["created_at"]) or now) for r in due]

    def done(ids: list[int]) -> None:
        outbox.mark_copied(store, ids, now)
        report.copied += len(ids)

    try:
        sent_folder.append(copies, done)
    except MailServerError as exc:
        left = len(due) - report.copied
        report.notes.append(f"{left} cop{'ies' if left != 1 else 'y'} not filed in {sent_folder.label} ({exc}): "
                            "they will be filed by the next send or chase")


def send_pending(store: Store, config: Config, now: datetime, *, stages: tuple[str, ...] | None = None,
                 progress: Progress | None = None, sent_folder: SentFolder | None = None) -> SendReport:
    """Send every queued outgoing message (of `stages`, default all) once, through [smtp] or the sandbox.

    First, messages a crash left in `sending` become `unknown`; with a `sent_folder`, each is looked for
    there by its Message-ID before anything else goes. No message goes past `[smtp] daily_limit`; what
    does not fit stays queued (`report.next_at` says when more may go). Copies of what was sent are filed
    in the Sent folder when `[imap] sent_folder` asks for them.
    Raises MailServerError when the server cannot be used at all; per-message failures are in the report.
    """
    report = SendReport(server=server_name(config))
    settings = smtp_settings(config) if config.smtp else None  # a missing password fails before any change
    report.daily_limit = int(config.smtp.daily_limit) if config.smtp is not None else 0
    with send_lock(store.path):
        report.newly_unknown = len(outbox.recover_interrupted(store, now))
        if sent_folder is not None:
            _settle_unknown(store, sent_folder, now, report)
        clock = _clock(now)
        rounds = settings.max_attempts if settings is not None else 1
        try:
            for _ in range(rounds):
                stats = _deliver_queued(store, config, settings, stages, clock, report, progress)
                if stats is None:
                    break
                _add_stats(report, stats)
                # A connection lost after the final dot left some unknown: settled from the Sent folder, the
                # absent ones go again (each time after a claim, under the same daily limit).
                if stats.limit_reached or not stats.unknown or sent_folder is None or not sent_folder.certain:
                    break
                if not _settle_unknown(store, sent_folder, clock(), report):
                    break
        except FoibotError as exc:
            raise _stopped(exc, store, stages, report) from exc
        report.unknown = _unknown(store)
        report.waiting = len(outbox.queued(store, stages))
        if report.waiting and report.daily_limit:
            report.next_at = outbox.next_slot(store, clock(), report.daily_limit)
            report.limit_reached = report.limit_reached or (report.next_at is not None and report.next_at > clock())
        if sent_folder is not None and sent_folder.copies:
            _file_copies(store, sent_folder, clock(), report)
    return report


def _deliver_queued(store: Store, config: Config, settings: SmtpSettings | None, stages: tuple[str, ...] | None,
                    clock: Callable[[], datetime], report: SendReport,
                    progress: Progress | None) -> DeliveryStats | None:
    pending = outbox.queued(store, stages)
    if not pending:
        return None
    labels = {r["id"]: (r["reference"], r["authority_name"]) for r in store.db.query(
        "SELECT id, reference, authority_name FROM requests WHERE id IN (SELECT request_id FROM messages "
        "WHERE direction = 'out' AND state = 'queued')")}
    envelopes = [Envelope(m.from_addr, m.to_addr, m.raw, m) for m in pending]
    hooks = _OutboxHooks(store, clock, labels, report, report.daily_limit)
    done = [0]

    def advance(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress(done[0], len(envelopes))

    try:
        with _bulk_writes(store):
            if settings is not None:
                stats = run_sync(deliver(envelopes, settings, hooks, advance))
            else:
                from ..sandbox import sandbox_smtp

                with sandbox_smtp(sandbox_maildir(config)) as box:
                    sandbox = SmtpSettings(host=box.host, port=box.port, security="none", connections=2,
                                           rate_per_minute=0, domain_pause=0, max_attempts=3,
                                           retry_base=0.2, local_hostname="localhost")
                    stats = run_sync(deliver(envelopes, sandbox, hooks, advance))
    finally:
        hooks.flush()  # what the server accepted is recorded, whatever stopped the run
    report.limit_reached = report.limit_reached or stats.limit_reached
    return stats


def _stopped(exc: FoibotError, store: Store, stages: tuple[str, ...] | None, report: SendReport) -> FoibotError:
    """The error that stopped a run, with what was sent and what waits: nothing is lost, run it again."""
    sent = report.accepted
    waiting = len(outbox.queued(store, stages))
    text = str(exc)
    doubtful = len(outbox.unknown(store))
    tally = f"{sent} sent in this run, {waiting} still queued"
    if doubtful:  # a connection lost after the final dot: never resent before the Sent folder is asked
        tally += f", {doubtful} of unknown fate (looked for in the Sent folder before anything is resent)"
    if "run the same command again" not in text:
        tally += ": nothing is lost; fix that, then run the same command again"
    kind = MailServerError if isinstance(exc, MailServerError) else FoibotError
    return kind(f"{text}\n{tally}")


def _add_stats(report: SendReport, stats: DeliveryStats) -> None:
    report.sent += stats.sent
    report.retried += stats.retried
    report.skipped += stats.skipped
    report.seconds += stats.seconds
    report.connections += stats.connections


def send_run(config: Config, plan: RunPlan, now: datetime, *, progress: Progress | None = None,
             sent_folder: SentFolder | None = None) -> tuple[int, SendReport]:
    """Check the server, queue the plan's new requests (one transaction), then send everything queued."""
    if config.smtp is not None and plan.to_mail:
        run_sync(check_server(smtp_settings(config)))  # unreachable, wrong password: nothing written yet
    store = open_store(config.database_path, config.files_dir)
    try:
        with send_lock(store.path):
            queued = queue_run(store, config, plan, now)
            report = send_pending(store, config, now, progress=progress, sent_folder=sent_folder)
            report.by_hand = write_by_hand(store, config)
            return queued, report
    finally:
        store.close()


def retry_failed(store: Store, now: datetime) -> int:
    """`send --retry-failed`: the requests the server refused go back to the queue (the campaigner asked)."""
    with send_lock(store.path):
        ids = [r["id"] for r in outbox.failed_requests(store)]
        return outbox.requeue_failed(store, ids, now, "send --retry-failed", source="manual")


# --- messages whose fate is unknown --------------------------------------------------------------------


def _unknown_message(store: Store, reference: str) -> dict[str, Any]:
    found = find_references(reference)
    if not found:
        raise InputError(f"{reference!r} is not a foibot reference (they look like FB-7K3Q9X)")
    rows = list(store.db.query(
        "SELECT m.id, m.request_id, m.stage, m.to_addrs, m.from_addr, m.message_id, m.raw, m.attempts, "
        "m.created_at FROM messages m JOIN requests q ON q.id = m.request_id WHERE q.reference = ? AND "
        "m.direction = 'out' AND m.state = 'unknown' ORDER BY m.id", [found[0]]))
    if not rows:
        raise InputError(f"{found[0]} has no message whose fate is unknown (see foibot status)")
    return rows[0]


def resolve_unknown(store: Store, reference: str, action: str, now: datetime) -> str:
    """The campaigner's decision on a message a crash left unknown: "resend" it, or record it as "sent"."""
    with send_lock(store.path):
        row = _unknown_message(store, reference)
        item = outbox.Outgoing(row["id"], row["request_id"], row["stage"], row["to_addrs"], row["from_addr"],
                               row["message_id"], row["raw"], row["attempts"])
        canonical = find_references(reference)[0]
        if action == "resend":
            with store.transaction():
                store.db.execute("UPDATE messages SET state = 'queued' WHERE id = ? AND state = 'unknown'",
                                 [item.id])
                store.add_event(item.request_id, "unknown_resend", now, {"stage": item.stage},
                                message_id=item.id, source="manual")
            return f"{canonical}: {item.stage} to {item.to_addr} queued to be sent again"
        if action == "sent":
            # When it went is not known; the moment it was queued is the closest known one.
            when = from_iso(row["created_at"]) or now
            with store.transaction():
                outbox.mark_sent(store, item, when, "recorded as sent by the campaigner")
                store.add_event(item.request_id, "unknown_marked_sent", now, {"stage": item.stage},
                                message_id=item.id, source="manual")
            return f"{canonical}: {item.stage} to {item.to_addr} recorded as sent on {london_date(when)}"
        raise ValueError(action)
