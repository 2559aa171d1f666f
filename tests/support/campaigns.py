"""Campaigns for the tests, built through foibot's own code paths (never by writing its tables by hand).

- `StoreCampaign` (no mail server): requests recorded exactly as a successful `foibot send` leaves them,
  through the real store and outbox; `reply(...)` files an incoming message and applies it with the real
  lifecycle, so the ladder sees the facts it sees in production. For the chase, daemon and stop tests.
- `MailCampaign` / `sent_campaign(...)`: the request sent to five authorities through the real `foibot send`
  (aiosmtpd on loopback), the campaigner's mailbox on a real Dovecot, replies delivered over LMTP as an MTA
  would; `poll()` runs one real pass, `through_proxy()` puts a TcpProxy between it and Dovecot. For the
  poller, filing and triage tests.
Mail to deliver is built with `support.mail`; a finished campaign's database for the publishing tests comes
from `support.outcomes`; foibot itself is run with `support.run.foibot`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from foibot.cli import cli
from foibot.clock import iso, parse_now
from foibot.collect import PollReport, poll_once
from foibot.config import Config, load_config
from foibot.references import new_reference
from foibot.send.compose import build_message, new_message_id
from foibot.send.outbox import enqueue, mark_sending, mark_sent, queued
from foibot.store import Store, open_store

REQUESTER = "campaigner@foibot.test"


def when(text: str) -> datetime:
    """`FOIBOT_NOW` syntax: a bare date is 09:00 in London."""
    return parse_now(text)


@dataclass
class StoreCampaign:
    folder: Path
    config: Config
    store: Store

    @classmethod
    def create(cls, folder: Path, extra_toml: str = "") -> StoreCampaign:
        (folder / "config.toml").write_text(
            f'[requester]\nname = "Alex Campaigner"\nemail = "{REQUESTER}"\n{extra_toml}', encoding="utf-8")
        config = load_config(folder / "config.toml")
        store = open_store(config.database_path, config.files_dir)
        with store.transaction():
            store.db["runs"].insert({"id": "fusus", "template": "fusus", "created_at": iso(when("2023-04-01"))})
        return cls(folder, config, store)

    def send(self, authority_id: str, sent: str, jurisdiction: str = "england", name: str | None = None,
             email: str | None = None) -> dict[str, Any]:
        """A request to a new authority, sent (accepted by the server) at `sent`."""
        moment = when(sent)
        name = name or f"{authority_id.replace('-', ' ').title()} Council"
        email = email or f"foi@{authority_id}.gov.example"
        reference = new_reference()
        regime = "foisa" if jurisdiction == "scotland" else "foia"
        with self.store.transaction():
            self.store.db["authorities"].insert({
                "id": authority_id, "name": name, "email": email, "kind": "council",
                "jurisdiction": jurisdiction, "extra": json.dumps({"region": "test"}), "updated_at": iso(moment)})
            request_id = self.store.db["requests"].insert({
                "run": "fusus", "authority_id": authority_id, "reference": reference, "authority_name": name,
                "authority_email": email, "jurisdiction": jurisdiction, "regime": regime, "status": "queued",
                "created_at": iso(moment)}).last_pk
            subject = f"Freedom of Information request: Fusus [ref {reference}]"
            message_id = new_message_id(REQUESTER)
            raw = build_message(from_name="Alex Campaigner", from_addr=REQUESTER, to_addr=email, subject=subject,
                                body=f"Dear {name},\n\nPlease tell me about Fusus.\n\nOur reference {reference}.\n",
                                message_id=message_id, date=moment)
            enqueue(self.store, request_id=request_id, stage="request", raw=raw, message_id=message_id,
                    to_addr=email, from_addr=REQUESTER, subject=subject, now=moment)
        (outgoing,) = [m for m in queued(self.store, ("request",)) if m.request_id == request_id]
        assert mark_sending(self.store, outgoing, moment) == "go"
        mark_sent(self.store, outgoing, moment, "250 OK")
        return self.request(reference)

    def request(self, reference: str) -> dict[str, Any]:
        return next(iter(self.store.db.query("SELECT * FROM requests WHERE reference = ?", [reference])))

    def reply(self, reference: str, kind: str, at: str, **facts: Any) -> None:
        """An incoming message of `kind` filed under the request and applied by the real lifecycle (the
        same `apply_reply` the poller calls), so the request moves exactly as it would in production.
        facts: `to` (an extension's new due date, ISO), `review_outcome`, `exemptions`."""
        from datetime import date

        from foibot.lifecycle import apply_reply
        from foibot.understand import Classification

        moment = when(at)
        row = self.request(reference)
        with self.store.transaction():
            message_id = self.store.db["messages"].insert({
                "direction": "in", "request_id": row["id"], "state": "parsed",
                "dedupe_key": f"sha:{reference}-{kind}-{at}", "created_at": iso(moment), "triage": 0,
                "from_addr": row["authority_email"], "subject": f"RE: {reference}",
                "date_header": iso(moment)}).last_pk
        apply_reply(self.store, row["id"], message_id, Classification(
            kind=kind, confidence=1.0, evidence=("a test reply",), rule="test",
            new_due_date=date.fromisoformat(facts["to"]) if facts.get("to") else None,
            review_outcome=facts.get("review_outcome"), exemptions=tuple(facts.get("exemptions", ())),
            bounce_permanent=True), moment)

    def outgoing(self, stage: str) -> list[dict[str, Any]]:
        return list(self.store.db.query(
            "SELECT m.*, q.reference FROM messages m JOIN requests q ON q.id = m.request_id "
            "WHERE m.direction = 'out' AND m.stage = ? ORDER BY m.id", [stage]))


AUTHORITIES_CSV = """\
id,name,email,kind,jurisdiction,alt_email
barnet,London Borough of Barnet,foi@barnet.gov.uk,council,england,
camden,London Borough of Camden,foi@camden.gov.uk,council,england,
met,Metropolitan Police Service,foi@met.police.uk,police_force,england,foi@met.pnn.police.uk
woodparish,Wood Parish Council,woodparishclerk@gmail.com,council,england,
harrow,London Borough of Harrow,info@harrow.gov.uk,council,england,
"""
SENT_AT = "2026-03-02T10:00:00+00:00"
POLLED_AT = parse_now("2026-03-20T12:00:00+00:00")  # a fortnight on: every request is still within its 20 days


@dataclass
class Sent:
    id: int
    reference: str
    authority_id: str
    authority_email: str
    message_id: str  # our outgoing Message-ID
    subject: str
    plus_address: str


@dataclass
class MailCampaign:
    folder: Path
    config_path: Path
    dovecot: Any
    user: str
    requests: dict[str, Sent] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def store(self) -> Store:
        config = self.config
        return open_store(config.database_path, config.files_dir)

    def poll(self, now: datetime = POLLED_AT) -> PollReport:
        """One pass of the real poller over the mailbox, on a store opened and closed for it."""
        store = self.store()
        try:
            return poll_once(store, self.config, now)
        finally:
            store.close()

    @contextmanager
    def through_proxy(self) -> Iterator[Any]:
        """For the block, the mailbox is reached through a `support.imap.TcpProxy` in front of Dovecot (to
        rewrite, count or cut what passes); afterwards the proxy is closed and the config names Dovecot again."""
        from support.imap import TcpProxy

        proxy = TcpProxy(self.dovecot.imap_port)
        text = self.config_path.read_text()
        try:
            self.config_path.write_text(text.replace(f"port = {self.dovecot.imap_port}\n", f"port = {proxy.port}\n"))
            yield proxy
        finally:
            proxy.close()
            self.config_path.write_text(text)

    def deliver(self, raw: bytes, to: str | None = None, sender: str = "bounces@mail.example") -> None:
        self.dovecot.deliver(to or self.user, raw, sender=sender)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        store = self.store()
        try:
            return list(store.db.query(sql, params or []))
        finally:
            store.close()

    def incoming(self) -> list[dict[str, Any]]:
        return self.rows("SELECT id, request_id, match_method, match_confidence, match_detail, triage, state, kind, "
                         "subject, from_addr, parse_error, dedupe_key, uid, last_error, size, length(raw) AS stored "
                         "FROM messages WHERE direction = 'in' ORDER BY id")

    def request(self, authority_id: str) -> dict[str, Any]:
        return self.rows("SELECT * FROM requests WHERE authority_id = ?", [authority_id])[0]


def sent_campaign(folder: Path, dovecot: Any, user: str, smtp_server: Any, imap: dict[str, Any] | None = None,
                  authorities: str = AUTHORITIES_CSV) -> MailCampaign:
    """Send the Fusus request to the authorities through the real `foibot send`; replies come to `user`."""
    from support.imap import toml_text

    (folder / "authorities.csv").write_text(authorities, encoding="utf-8")
    tables = {
        "requester": {"name": "A. Campaigner", "email": user, "reply_address": "plus"},
        "smtp": smtp_server.smtp_section(),
        "imap": dovecot.imap_section(user, **(imap or {})),
        "storage": {"database": "foibot.db"},
    }
    config_path = folder / "config.toml"
    config_path.write_text(toml_text(tables), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config_path), "send", "--run", "fusus", "--yes"], obj={},
                                env={"FOIBOT_NOW": SENT_AT})
    assert result.exit_code == 0, result.output
    campaign = MailCampaign(folder, config_path, dovecot, user)
    for row in campaign.rows(
            "SELECT q.id, q.reference, q.authority_id, q.authority_email, m.message_id, m.subject FROM requests q "
            "JOIN messages m ON m.request_id = q.id AND m.direction = 'out' AND m.stage = 'request'"):
        local, _, domain = user.rpartition("@")
        campaign.requests[row["authority_id"]] = Sent(
            row["id"], row["reference"], row["authority_id"], row["authority_email"], row["message_id"],
            row["subject"], f"{local}+{row['reference'].lower()}@{domain}")
    return campaign
