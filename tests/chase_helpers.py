"""A campaign built through the real store and outbox, for the chase and daemon tests (no mail server needed).

`Campaign.send(...)` records a request exactly as a successful `foibot send` leaves it (a request row, its
outgoing message queued then marked sent); `reply(...)` files an incoming message and applies what the
lifecycle concludes from its kind, so the ladder sees the same facts it sees in production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from foibot.clock import iso, parse_now
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
class Campaign:
    folder: Path
    config: Config
    store: Store

    @classmethod
    def create(cls, folder: Path, extra_toml: str = "") -> Campaign:
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
        """An incoming message of `kind` filed under the request, and the request facts it implies."""
        moment = when(at)
        row = self.request(reference)
        updates: dict[str, Any] = {"first_reply_at": row["first_reply_at"] or iso(moment)}
        if kind in ("information_provided", "partially_provided", "not_held", "refused",
                    "neither_confirm_nor_deny"):
            updates.update(status="answered", outcome=kind, outcome_at=iso(moment))
        elif kind == "clarification_requested":
            updates.update(status="awaiting_clarification", clarification_at=iso(moment))
        elif kind == "extension":
            updates.update(extension_at=iso(moment), extension_to=facts.get("to"))
        elif kind == "bounce":
            updates.update(status="failed", failed_reason="550 no such mailbox")
        elif kind == "internal_review_result":
            updates.update(review_result_at=iso(moment))
        with self.store.transaction():
            self.store.db["messages"].insert({
                "direction": "in", "request_id": row["id"], "state": "parsed", "kind": kind,
                "dedupe_key": f"sha:{reference}-{kind}-{at}", "created_at": iso(moment), "triage": 0,
                "from_addr": row["authority_email"], "subject": f"RE: {reference}"})
            self.store.db["requests"].update(row["id"], updates)

    def outgoing(self, stage: str) -> list[dict[str, Any]]:
        return list(self.store.db.query(
            "SELECT m.*, q.reference FROM messages m JOIN requests q ON q.id = m.request_id "
            "WHERE m.direction = 'out' AND m.stage = ? ORDER BY m.id", [stage]))
