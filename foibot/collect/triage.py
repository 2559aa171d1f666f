"""The triage list: replies no clue filed (and those that could not be read), and filing one by hand.

`assign_message` files a message under a request the way the poller would have (the classification applied
by lifecycle.apply_reply) and teaches the matcher the sender: the next mail from that address finds its
authority's request by itself. An address that writes for several authorities is never taught.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..addresses import is_noreply
from ..config import Config
from ..errors import InputError
from ..store import Store
from .matching import SHARED_DOMAINS


@dataclass
class TriageItem:
    id: int  # the message's number (messages.id): what `foibot assign` takes
    date: str | None
    from_addr: str | None
    subject: str
    kind: str | None
    why: str
    references: list[str] = field(default_factory=list)  # ours, found in it
    authority_refs: list[str] = field(default_factory=list)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    parse_error: str | None = None


def list_triage(store: Store) -> list[TriageItem]:
    """Every incoming message waiting for the campaigner, oldest first."""
    items = []
    for row in store.db.query(
            "SELECT id, date_header, created_at, from_addr, subject, kind, match_detail, parse_error, state "
            "FROM messages WHERE direction = 'in' AND triage = 1 ORDER BY id"):
        try:
            detail = json.loads(row["match_detail"] or "{}")
        except ValueError:
            detail = {}
        found = detail.get("found", {})
        items.append(TriageItem(
            id=row["id"], date=row["date_header"] or row["created_at"], from_addr=row["from_addr"],
            subject=row["subject"] or "", kind=row["kind"],
            why=("could not be read" if row["state"] == "parse_error" else
                 f"quarantined: foibot retry {row['id']} reads it again" if row["state"] == "quarantined" else
                 detail.get("why", "not matched yet")),
            references=list(found.get("references", [])) + list(found.get("unknown_references", [])),
            authority_refs=list(found.get("authority_refs", [])),
            candidates=list(detail.get("candidates", [])),
            parse_error=row["parse_error"] if row["state"] in ("parse_error", "quarantined") else None,
        ))
    return items


@dataclass
class Assigned:
    message_id: int
    reference: str
    authority: str
    kind: str
    status_after: str
    moved_from: str | None  # the reference it was filed under before, if any
    hint: str  # what the matcher learned about the sender, in words


def _teach(store: Store, sender: str | None, authority_id: str, now: datetime) -> str:
    from ..clock import iso

    if not sender or "@" not in sender:
        return "no sender address to learn"
    sender = sender.lower()
    domain = sender.rpartition("@")[2]
    if is_noreply(sender) or domain in SHARED_DOMAINS:
        return f"{sender} is a shared or no-reply address: not learned"
    row = store.db.execute("SELECT authority_id FROM sender_hints WHERE address = ?", [sender]).fetchone()
    if row and row[0] != authority_id:
        store.db.execute("DELETE FROM sender_hints WHERE address = ?", [sender])
        return f"{sender} writes for more than one authority: forgotten, so it will not be guessed again"
    store.db.execute("INSERT OR REPLACE INTO sender_hints (address, authority_id, created_at) VALUES (?, ?, ?)",
                     [sender, authority_id, iso(now)])
    return f"mail from {sender} will be filed under this authority's open request from now on"


def assign_message(store: Store, config: Config, message_row_id: int, request: str, now: datetime) -> Assigned:
    """File one incoming message under a request (reference or number) by hand, and learn its sender."""
    from ..lifecycle import apply_reply, find_request
    from .filing import RequestQuestions, classify, read

    rows = list(store.db.query("SELECT id, direction, request_id, raw, from_addr, match_detail FROM messages "
                               "WHERE id = ?", [message_row_id]))
    if not rows or rows[0]["direction"] != "in":
        raise InputError(f"no incoming message number {message_row_id}: `foibot triage` lists the numbers")
    message = rows[0]
    target = find_request(store, request)
    before = None
    if message["request_id"] and message["request_id"] != target["id"]:
        row = store.db.execute("SELECT reference FROM requests WHERE id = ?", [message["request_id"]]).fetchone()
        before = row[0] if row else None
    reading = read(bytes(message["raw"] or b""), config.storage.max_attachment_bytes)
    classification = classify(reading, RequestQuestions(store, config).for_request(target["id"]))
    try:
        detail = json.loads(message["match_detail"] or "{}")
    except ValueError:
        detail = {}
    detail["assigned"] = {"by": "campaigner", "request": target["reference"], "before": before}
    with store.transaction():
        store.db.execute(
            "UPDATE messages SET request_id = ?, triage = 0, match_method = 'manual', match_confidence = 1.0, "
            "match_detail = ?, from_addr = ?, state = ? WHERE id = ?",
            [target["id"], json.dumps(detail, ensure_ascii=False, sort_keys=True),
             message["from_addr"] or reading.parsed.from_addr,
             "parsed" if reading.error is None else "parse_error", message_row_id])
        store.add_event(target["id"], "reply_assigned", now, {"message": message_row_id, "before": before},
                        message_id=message_row_id, source="manual")
        hint = _teach(store, message["from_addr"] or reading.parsed.from_addr, target["authority_id"], now)
        effect = apply_reply(store, target["id"], message_row_id, classification, now)
    return Assigned(message_row_id, target["reference"], target["authority_name"], effect.kind,
                    effect.status_after, before, hint)


def triage_text(items: list[TriageItem], width: int = 100) -> str:
    """The table `foibot triage` prints: one block per message, what was found, the best candidates."""
    if not items:
        return "Nothing waits in triage: every reply is filed.\n"
    unreadable = [i for i in items if i.parse_error]
    lines = [f"{len(items)} message(s) wait in triage. File one with: foibot assign NUMBER REFERENCE", ""]
    for item in items:
        date = (item.date or "")[:16].replace("T", " ")
        subject = item.subject if len(item.subject) <= width - 30 else item.subject[:width - 33] + "..."
        lines.append(f"#{item.id:<5} {date:16}  {item.from_addr or '(no sender)'}")
        lines.append(f"       {subject or '(no subject)'}")
        lines.append(f"       why: {item.why}" + (f" [{item.kind}]" if item.kind else ""))
        if item.parse_error:
            lines.append(f"       error: {item.parse_error}")
        found = []
        if item.references:
            found.append("our refs " + ", ".join(item.references))
        if item.authority_refs:
            found.append("their refs " + ", ".join(item.authority_refs))
        if found:
            lines.append("       found: " + "; ".join(found))
        if item.candidates:
            best = ", ".join(f"{c['reference']} ({c['authority']})" for c in item.candidates[:3])
            lines.append(f"       candidates: {best}")
        lines.append("")
    if unreadable:
        lines.append(f"{len(unreadable)} of them could not be read; their bytes are kept in the database "
                     "exactly as they arrived.")
    return "\n".join(lines).rstrip("\n") + "\n"
