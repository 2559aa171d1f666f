"""A request run before anything is sent: load the list and the template, render and check every request,
then queue them all in one transaction.

Everything that can be wrong with the input (CSV, template, a header, a duplicate run) is found while only
reading; the database is written in one transaction at the very end, so nothing is ever half-written.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..addresses import domain_of
from ..authorities import Authority, load_authorities
from ..clock import iso, london_date
from ..config import Config
from ..errors import InputError
from ..references import new_reference, plus_address
from ..render import TemplateEnvironment, TemplateSet, environment_for, load_template_set, render_request
from ..store import Store, open_readonly, table_columns
from . import outbox
from .compose import build_message, new_message_id

_RUN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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
        return {p.authority.email.lower() for p in self.new if not p.authority.by_hand} | {
            w.lower() for w in self.waiting if w}

    @property
    def by_hand(self) -> list[Planned]:
        """The new requests written out for the campaigner to send (web form, post), never mailed."""
        return [p for p in self.new if p.authority.by_hand]

    @property
    def to_mail(self) -> int:
        return len(self.new) - len(self.by_hand) + len(self.waiting)

    @property
    def domains(self) -> set[str]:
        return {domain_of(r) for r in self.recipients}


def server_name(config: Config) -> str:
    return f"{config.smtp.host}:{config.smtp.port}" if config.smtp else "the sandbox"


# --- planning (reads only) -----------------------------------------------------------------------------


def template_fingerprint(template: TemplateSet) -> str:
    digest = hashlib.sha256()
    for part in ("request.toml", "subject.j2", "body.j2"):
        digest.update(part.encode() + b"\0" + (template.directory / part).read_bytes() + b"\0")
    return digest.hexdigest()


def authorities_fingerprint(authorities: list[Authority]) -> str:
    """The set of addresses written to: the same list in another order or spelling is the same list."""
    return hashlib.sha256("\n".join(sorted(a.email.lower() or f"{a.channel}:{a.id}" for a in authorities))
                          .encode()).hexdigest()


def check_run_name(run: str) -> str:
    if not _RUN_NAME.match(run):
        raise InputError(
            f"run name {run!r} must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit"
        )
    return run


def requester_data(config: Config) -> dict[str, str]:
    r = config.requester
    return {"name": r.name, "email": r.email, "postal_address": r.postal_address}


def plan_request(config: Config, template: TemplateSet, env: TemplateEnvironment, authority: Authority, reference: str,
                 now: datetime) -> Planned:
    """Render and build one request; a TemplateError names the authority and the template line."""
    rendered = render_request(template, env, authority, requester_data(config), reference, london_date(now))
    email = config.requester.email
    reply_to = plus_address(email, reference) if config.requester.reply_address == "plus" else None
    message_id = new_message_id(email)
    # A request sent by hand is kept as a message too (addressed to the campaigner, never mailed): the
    # same text is what the campaigner pastes, and what `readdress` sends if an address turns up.
    to_addr = email if authority.by_hand else authority.email
    raw = build_message(
        from_name=config.requester.name, from_addr=email, to_addr=to_addr, subject=rendered.subject,
        body=rendered.body, message_id=message_id, date=now, reply_to=reply_to,
    )
    return Planned(authority, reference, rendered.subject, rendered.body, message_id, reply_to, raw)


def _fresh_reference(taken: set[str]) -> str:
    while True:
        reference = new_reference()
        if reference not in taken:
            taken.add(reference)
            return reference


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
    with open_readonly(config.database_path) as conn:
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
    stored = row["template_sha256"] if "template_sha256" in row.keys() else None  # noqa: SIM118 (a Row)
    if stored and stored != template_sha:
        raise InputError(
            f"template {template.name} has changed since run {run} was started, so its requests would not "
            "all say the same: restore the template, or start a new run (--run NEW-NAME)"
        )


def _refuse_duplicate(conn: sqlite3.Connection, template_sha: str, authorities_sha: str) -> None:
    if "template_sha256" not in table_columns(conn, "runs"):
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
                "jurisdiction, regime, status, created_at, channel) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                [plan.run, a.id, item.reference, a.name, a.email, a.jurisdiction, a.regime, iso(now), a.channel],
            )
            request_id = int(cursor.lastrowid or 0)
            outbox.enqueue(store, request_id=request_id, stage="request", raw=item.raw,
                           message_id=item.message_id, to_addr=a.email, from_addr=config.requester.email,
                           subject=item.subject, now=now)
            store.add_event(request_id, "queued_request", now,
                            {"reference": item.reference, "to": a.email, "template": plan.template.name,
                             "channel": a.channel})
            queued += 1
    return queued


def _json(value: dict[str, str]) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


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
    text = body.get_content().replace("\r\n", "\n") if body is not None else ""  # type: ignore[attr-defined]
    return "\n".join(lines) + "\n\n" + text.rstrip("\n")
