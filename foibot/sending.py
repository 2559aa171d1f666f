"""A request run: load the list and the template, render and check every request, queue them once, send.

Order matters and is the point of this module: everything that can be wrong with the input (config,
password variable, CSV, template, a header) is found before the database is touched; queueing a run is
one transaction; sending goes through the outbox, so a request is sent once, ever, whatever crashes when.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import outbox
from .addresses import domain_of
from .authorities import Authority, load_authorities
from .clock import from_iso, iso, london_date
from .compose import build_message, new_message_id
from .config import Config, ServerConfig
from .errors import ConfigError, FoibotError, InputError
from .mailer import DeliveryStats, Envelope, SmtpSettings, check_server, deliver, run_sync
from .references import find_references, new_reference, plus_address
from .render import TemplateSet, environment_for, load_template_set, render_request
from .store import Store, open_store

_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class Planned:
    """One new request, rendered and built, not yet in the database."""

    authority: Authority
    reference: str
    subject: str
    body: str
    message_id: str
    reply_to: str | None
    raw: bytes


@dataclass
class RunPlan:
    """What `foibot send` would do; computed without writing anything."""

    run: str
    template: TemplateSet
    template_sha256: str
    authorities_file: Path
    authorities_sha256: str
    authorities: list[Authority]
    new: list[Planned]
    existing: dict[str, tuple[str, str]]  # authority id -> (reference, status) already in this run
    waiting: list[str]  # recipients of messages already queued earlier (a run cut short), any stage
    server: str  # "smtp.example.org:587" or "the sandbox"
    run_exists: bool

    @property
    def to_send(self) -> int:
        return len(self.new) + len(self.waiting)

    @property
    def recipients(self) -> set[str]:
        return {p.authority.email.lower() for p in self.new} | {w.lower() for w in self.waiting}

    @property
    def domains(self) -> set[str]:
        return {domain_of(r) for r in self.recipients}


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
    retried: int = 0
    skipped: int = 0
    seconds: float = 0.0
    connections: int = 0

    @property
    def ok(self) -> bool:
        return not (self.failed or self.deferred or self.unknown)


# --- configuration -------------------------------------------------------------------------------------


def smtp_settings(config: Config, server: ServerConfig | None = None) -> SmtpSettings:
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
    )


def server_name(config: Config) -> str:
    return f"{config.smtp.host}:{config.smtp.port}" if config.smtp else "the sandbox"


def sandbox_maildir(config: Config) -> Path:
    from .sandbox import SANDBOX_MAIL_DIR

    return config.database_path.parent / SANDBOX_MAIL_DIR


# --- planning (reads only) -----------------------------------------------------------------------------


def template_fingerprint(template: TemplateSet) -> str:
    digest = hashlib.sha256()
    for part in ("request.toml", "subject.j2", "body.j2"):
        digest.update(part.encode() + b"\0" + (template.directory / part).read_bytes() + b"\0")
    return digest.hexdigest()


def authorities_fingerprint(authorities: list[Authority]) -> str:
    """The set of addresses written to: the same list in another order or spelling is the same list."""
    return hashlib.sha256("\n".join(sorted(a.email.lower() for a in authorities)).encode()).hexdigest()


def check_run_name(run: str) -> str:
    if not _RUN_NAME.match(run):
        raise InputError(
            f"run name {run!r} must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    return run


def requester_data(config: Config) -> dict[str, str]:
    r = config.requester
    return {"name": r.name, "email": r.email, "postal_address": r.postal_address}


def plan_request(config: Config, template: TemplateSet, env: Any, authority: Authority, reference: str,
                 now: datetime) -> Planned:
    """Render and build one request; a TemplateError names the authority and the template line."""
    rendered = render_request(template, env, authority, requester_data(config), reference, london_date(now))
    email = config.requester.email
    reply_to = plus_address(email, reference) if config.requester.reply_address == "plus" else None
    message_id = new_message_id(reference, "request", email)
    raw = build_message(
        from_name=config.requester.name, from_addr=email, to_addr=authority.email, subject=rendered.subject,
        body=rendered.body, message_id=message_id, date=now, reply_to=reply_to, reference=reference,
    )
    return Planned(authority, reference, rendered.subject, rendered.body, message_id, reply_to, raw)


def _fresh_reference(taken: set[str]) -> str:
    while True:
        reference = new_reference()
        if reference not in taken:
            taken.add(reference)
            return reference


@contextlib.contextmanager
def _read_only(database: Path) -> Iterator[sqlite3.Connection | None]:
    """The existing database opened for reading only, or None when there is none yet (dry run: no file)."""
    if not database.exists():
        yield None
        return
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=60)
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise FoibotError(f"database {database} cannot be read: {exc}") from exc
    try:
        yield conn
    finally:
        conn.close()


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def plan_run(config: Config, run: str, template_name: str, authorities_file: str | Path, now: datetime,
             *, allow_duplicate_run: bool = False) -> RunPlan:
    """Load, check and render everything; raises before anything is written if any of it is wrong."""
    check_run_name(run)
    authorities_path = Path(authorities_file)
    authorities = load_authorities(authorities_path, own_address=config.requester.email)
    template = load_template_set(template_name, config.base_dir)
    env = environment_for(template)
    template_sha = template_fingerprint(template)
    authorities_sha = authorities_fingerprint(authorities)
    existing: dict[str, tuple[str, str]] = {}
    waiting: list[str] = []
    taken: set[str] = set()
    run_exists = False
    with _read_only(config.database_path) as conn:
        if conn is not None and "requests" in _tables(conn):
            taken = {r[0] for r in conn.execute("SELECT reference FROM requests")}
            row = conn.execute("SELECT * FROM runs WHERE id = ?", [run]).fetchone()
            run_exists = row is not None
            if row is not None:
                _check_same_template(run, row, template, template_sha)
            elif not allow_duplicate_run:
                _refuse_duplicate(conn, template_sha, authorities_sha)
            existing = {
                r["authority_id"]: (r["reference"], r["status"])
                for r in conn.execute("SELECT authority_id, reference, status FROM requests WHERE run = ?", [run])
            }
            waiting = [r[0] for r in conn.execute(
                "SELECT to_addrs FROM messages WHERE direction = 'out' AND state = 'queued'")]
    new = [
        plan_request(config, template, env, authority, _fresh_reference(taken), now)
        for authority in authorities
        if authority.id not in existing
    ]
    return RunPlan(run, template, template_sha, authorities_path, authorities_sha, authorities, new, existing,
                   waiting, server_name(config), run_exists)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _check_same_template(run: str, row: sqlite3.Row, template: TemplateSet, template_sha: str) -> None:
    if row["template"] != template.name:
        raise InputError(
            f"run {run} was started with template {row['template']!r}, not {template.name!r}: "
            "use the same template, or a new run name"
        )
    stored = row["template_sha256"] if "template_sha256" in row.keys() else None
    if stored and stored != template_sha:
        raise InputError(
            f"template {template.name} has changed since run {run} was started, so its requests would not "
            "all say the same: restore the template, or start a new run (--run NEW-NAME)"
        )


def _refuse_duplicate(conn: sqlite3.Connection, template_sha: str, authorities_sha: str) -> None:
    if "template_sha256" not in _columns(conn, "runs"):
        return
    row = conn.execute(
        "SELECT r.id, count(m.id) AS sent FROM runs r JOIN requests q ON q.run = r.id JOIN messages m "
        "ON m.request_id = q.id AND m.direction = 'out' AND m.stage = 'request' AND m.state IN "
        "('sent', 'sending', 'unknown') WHERE r.template_sha256 = ? AND r.authorities_sha256 = ? "
        "GROUP BY r.id ORDER BY r.created_at LIMIT 1",
        [template_sha, authorities_sha],
    ).fetchone()
    if row is not None:
        raise InputError(
            f"run {row['id']} already sent this same request to this same list ({row['sent']} sent): "
            "sending it again would give every authority a duplicate. Resume that run with --run "
            f"{row['id']}, or pass --allow-duplicate-run if a second identical run is really meant"
        )


# --- queueing (one transaction) ------------------------------------------------------------------------


def queue_run(store: Store, config: Config, plan: RunPlan, now: datetime) -> int:
    """Record the run, its authorities and its new requests with their messages; returns how many queued.

    Requests already in the run are never rendered or queued again (UNIQUE (run, authority_id)).
    """
    db = store.db
    queued = 0
    env = None
    with store.transaction():
        db.execute(
            "INSERT OR IGNORE INTO runs (id, template, created_at, authorities_file, authorities_sha256, "
            "requester_name, requester_email, template_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [plan.run, plan.template.name, iso(now), str(plan.authorities_file), plan.authorities_sha256,
             config.requester.name, config.requester.email, plan.template_sha256],
        )
        for a in plan.authorities:
            db.execute(
                "INSERT INTO authorities (id, name, email, kind, jurisdiction, extra, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                "email = excluded.email, kind = excluded.kind, jurisdiction = excluded.jurisdiction, "
                "extra = excluded.extra, updated_at = excluded.updated_at",
                [a.id, a.name, a.email, a.kind, a.jurisdiction, _json(a.extra), iso(now)],
            )
        for item in plan.new:
            a = item.authority
            if db.execute("SELECT 1 FROM requests WHERE run = ? AND authority_id = ?",
                          [plan.run, a.id]).fetchone():
                continue  # another foibot queued it since we looked
            if db.execute("SELECT 1 FROM requests WHERE reference = ?", [item.reference]).fetchone():
                env = env or environment_for(plan.template)
                taken = {r[0] for r in db.execute("SELECT reference FROM requests")}
                item = plan_request(config, plan.template, env, a, _fresh_reference(taken), now)
            cursor = db.execute(
                "INSERT INTO requests (run, authority_id, reference, authority_name, authority_email, "
                "jurisdiction, regime, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                [plan.run, a.id, item.reference, a.name, a.email, a.jurisdiction, a.regime, iso(now)],
            )
            request_id = int(cursor.lastrowid or 0)
            outbox.enqueue(store, request_id=request_id, stage="request", raw=item.raw,
                           message_id=item.message_id, to_addr=a.email, from_addr=config.requester.email,
                           subject=item.subject, now=now)
            store.add_event(request_id, "queued_request", now,
                            {"reference": item.reference, "to": a.email, "template": plan.template.name})
            queued += 1
    return queued


def _json(value: dict[str, str]) -> str:
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --- sending -------------------------------------------------------------------------------------------

_HELD_LOCKS: set[Path] = set()


@contextlib.contextmanager
def send_lock(database: Path) -> Iterator[None]:
    """One sender per database at a time: a second would see the first one's messages in flight as lost."""
    path = database.with_name(database.name + ".send-lock")
    if path in _HELD_LOCKS:  # this process holds it already (send -> send_pending)
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise FoibotError(f"cannot create the lock file {path}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise FoibotError(
                f"another foibot is sending from {database} right now: wait for it to finish, then run this again"
            ) from exc
        _HELD_LOCKS.add(path)
        try:
            yield
        finally:
            _HELD_LOCKS.discard(path)
    finally:
        os.close(fd)


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
                 report: SendReport) -> None:
        self.store, self.clock, self.labels, self.report = store, clock, labels, report
        self.unrecorded: list[tuple[outbox.Outgoing, datetime, str]] = []
        self.flush_scheduled = False

    def claim(self, envelope: Envelope) -> bool:
        pending, self.unrecorded = self.unrecorded, []
        return outbox.record_sent_and_claim(self.store, pending, envelope.item)

    def sent(self, envelope: Envelope, reply: str) -> None:
        self.unrecorded.append((envelope.item, self.clock(), reply))
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        if self.unrecorded:
            pending, self.unrecorded = self.unrecorded, []
            outbox.record_sent_and_claim(self.store, pending, None)

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


def _unknown(store: Store) -> list[Problem]:
    return [Problem(r["reference"], r["authority_name"], r["to_addrs"], r["stage"],
                    "may or may not have reached the server (interrupted while sending)")
            for r in outbox.unknown(store)]


def send_pending(store: Store, config: Config, now: datetime, *, stages: tuple[str, ...] | None = None,
                 progress: Progress | None = None) -> SendReport:
    """Send every queued outgoing message (of `stages`, default all) once, through [smtp] or the sandbox.

    First, messages a crash left in `sending` become `unknown`: they are reported, never resent blindly.
    Raises MailServerError when the server cannot be used at all; per-message failures are in the report.
    """
    report = SendReport(server=server_name(config))
    settings = smtp_settings(config) if config.smtp else None  # a missing password fails before any change
    with send_lock(store.path):
        report.newly_unknown = len(outbox.recover_interrupted(store, now))
        report.unknown = _unknown(store)
        pending = outbox.queued(store, stages)
        if not pending:
            return report
        labels = {r["id"]: (r["reference"], r["authority_name"]) for r in store.db.query(
            "SELECT id, reference, authority_name FROM requests WHERE id IN (SELECT request_id FROM messages "
            "WHERE direction = 'out' AND state = 'queued')")}
        envelopes = [Envelope(m.from_addr, m.to_addr, m.raw, m) for m in pending]
        hooks = _OutboxHooks(store, _clock(now), labels, report)
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            if progress is not None:
                progress(done[0], len(envelopes))

        try:
            if settings is not None:
                stats = run_sync(deliver(envelopes, settings, hooks, advance))
            else:
                from .sandbox import sandbox_smtp

                with sandbox_smtp(sandbox_maildir(config)) as box:
                    sandbox = SmtpSettings(host=box.host, port=box.port, security="none", connections=2,
                                           rate_per_minute=0, domain_pause=0, max_attempts=3, retry_base=0.2,
                                           local_hostname="localhost")
                    stats = run_sync(deliver(envelopes, sandbox, hooks, advance))
        finally:
            hooks.flush()  # what the server accepted is recorded, whatever stopped the run
    _add_stats(report, stats)
    return report


def _add_stats(report: SendReport, stats: DeliveryStats) -> None:
    report.sent += stats.sent
    report.retried += stats.retried
    report.skipped += stats.skipped
    report.seconds += stats.seconds
    report.connections += stats.connections


def send_run(config: Config, plan: RunPlan, now: datetime, *,
             progress: Progress | None = None) -> tuple[int, SendReport]:
    """Check the server, queue the plan's new requests (one transaction), then send everything queued."""
    if config.smtp is not None and plan.to_send:
        run_sync(check_server(smtp_settings(config)))  # unreachable, wrong password: nothing written yet
    store = open_store(config.database_path, config.files_dir)
    try:
        with send_lock(store.path):
            queued = queue_run(store, config, plan, now)
            return queued, send_pending(store, config, now, progress=progress)
    finally:
        store.close()


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


# --- preview -------------------------------------------------------------------------------------------


def preview_request(config: Config, authority_id: str, template_name: str, authorities_file: str | Path,
                    now: datetime) -> Planned:
    """One authority's request exactly as it would be sent, with a sample reference."""
    authorities = load_authorities(authorities_file, own_address=config.requester.email)
    chosen = [a for a in authorities if a.id == authority_id.strip().lower()]
    if not chosen:
        sample = ", ".join(a.id for a in authorities[:5])
        raise InputError(f"no authority with id {authority_id!r} in {authorities_file} (ids there: {sample}, ...)")
    template = load_template_set(template_name, config.base_dir)
    return plan_request(config, template, environment_for(template), chosen[0], new_reference(), now)


_SHOWN_HEADERS = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID")


def message_as_text(raw: bytes) -> str:
    """A built message as a person reads it: the headers that matter, then the body decoded."""
    import email
    import email.policy

    message = email.message_from_bytes(raw, policy=email.policy.default)
    lines = [f"{name}: {message[name]}" for name in _SHOWN_HEADERS if message[name] is not None]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""  # type: ignore[attr-defined]
    return "\n".join(lines) + "\n\n" + text.rstrip("\n")
