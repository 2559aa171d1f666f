"""The triage list: replies no clue filed (and those that could not be read), and filing one by hand.

`assign_message` files a message under a request the way the poller would have (the classification applied
by lifecycle.apply_reply) and teaches the matcher the sender: the next mail from that address finds its
authority's request by itself. An address that writes for several authorities is never taught.
`dismiss_message` takes mail that is nobody's (a newsletter, personal mail) off the list, so triage can
shrink; `restore_message` puts it back. `likely_requests` offers the requests a person would think of first:
the matcher's candidates, then the authorities whose name or mail domain the message itself mentions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..addresses import is_noreply
from ..config import Config
from ..errors import InputError
from ..store import Store, json_column
from .matching import OPEN_STATUSES, SHARED_DOMAINS, organisation_domain

# A dismissed message leaves triage but is kept (bytes and all), marked so it can be put back.
DISMISSED = "dismissed"
# Words that name the kind of body rather than the place: "Barnet" is what a reply says, not "Council".
_GENERIC = frozenset("""the of and london borough council county district city metropolitan royal
    police constabulary service commissioner crime combined authority for office""".split())
MAX_CANDIDATES = 8


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


def list_triage(store: Store, limit: int | None = None) -> list[TriageItem]:
    """Every incoming message waiting for the campaigner, oldest first (the first `limit` of them)."""
    items = []
    known: _Authorities | None = None  # read at the first message waiting (nothing waits: nothing read)
    for row in store.db.query(
            "SELECT id, date_header, created_at, from_addr, subject, kind, match_detail, parse_error, state, text "
            "FROM messages WHERE direction = 'in' AND triage = 1 ORDER BY id" + (" LIMIT ?" if limit else ""),
            [limit] if limit else []):
        detail = json_column(row["match_detail"], {})
        found = detail.get("found", {})
        known = known or _Authorities(store)
        items.append(TriageItem(
            id=row["id"], date=row["date_header"] or row["created_at"], from_addr=row["from_addr"],
            subject=row["subject"] or "", kind=row["kind"],
            why=("could not be read" if row["state"] == "parse_error" else
                 f"quarantined: foibot retry {row['id']} reads it again" if row["state"] == "quarantined" else
                 detail.get("why", "not matched yet")),
            references=list(found.get("references", [])) + list(found.get("unknown_references", [])),
            authority_refs=list(found.get("authority_refs", [])),
            candidates=_likely(known, detail, row["from_addr"], row["subject"], row["text"]),
            parse_error=row["parse_error"] if row["state"] in ("parse_error", "quarantined") else None,
        ))
    return items


# --- the likely requests --------------------------------------------------------------------------------

def _words(text: str | None) -> str:
    """Lower-case words separated by single spaces, padded, so a name is found only as whole words."""
    return " " + " ".join("".join(ch if ch.isalnum() else " " for ch in (text or "").lower()).split()) + " "


class _Authorities:
    """Every authority's name, core name and mail domain, and its requests (open ones first), read once."""

    def __init__(self, store: Store) -> None:
        self.requests: dict[str, list[dict[str, Any]]] = {}
        for r in store.db.query(
                "SELECT q.id, q.reference, q.authority_id, q.authority_name, q.status, q.sent_at FROM requests q "
                "ORDER BY q.authority_id, (q.status IN ('awaiting_response', 'awaiting_clarification', "
                "'internal_review')) DESC, q.sent_at DESC, q.id DESC"):
            self.requests.setdefault(r["authority_id"], []).append(r)
        self.names: list[tuple[str, str, str]] = []  # (authority id, whole name as words, core name as words)
        self.domains: dict[str, set[str]] = {}
        for a in store.db.query("SELECT id, name, email FROM authorities"):
            if a["id"] not in self.requests:
                continue
            whole = _words(a["name"])
            core = " ".join(w for w in whole.split() if w not in _GENERIC)
            self.names.append((a["id"], whole, f" {core} " if len(core) >= 4 else ""))
            domain = organisation_domain(str(a["email"]).rpartition("@")[2])
            if domain and domain not in SHARED_DOMAINS:
                self.domains.setdefault(domain, set()).add(a["id"])

    def mentioned(self, sender: str | None, subject: str | None, text: str | None) -> list[tuple[str, str]]:
        """(authority id, why) for each authority the message names or writes from, the surest first."""
        found: dict[str, tuple[int, str]] = {}
        words = _words(f"{subject or ''} {text or ''}")
        lowered = f"{subject or ''} {text or ''}".lower()
        sender_domain = organisation_domain((sender or "").rpartition("@")[2]) if sender and "@" in sender else ""
        for ident in self.domains.get(sender_domain, ()):
            found[ident] = (0, f"writes from {sender_domain}")
        for ident, whole, core in self.names:
            if ident in found:
                continue
            if len(whole) > 6 and whole in words:
                found[ident] = (1, "the message names the authority")
            elif core and core in words:
                found[ident] = (3, f"the message mentions {core.strip()!r}")
        for domain, idents in self.domains.items():
            if domain in lowered:
                for ident in idents:
                    if ident not in found:
                        found[ident] = (2, f"the message mentions {domain}")
        return [(ident, why) for ident, (_, why) in sorted(found.items(), key=lambda kv: (kv[1][0], kv[0]))]

    def candidate(self, request: dict[str, Any], why: str) -> dict[str, Any]:
        return {"request_id": request["id"], "reference": request["reference"],
                "authority": request["authority_name"], "authority_id": request["authority_id"],
                "status": request["status"], "why": why}


def _likely(known: _Authorities, detail: dict[str, Any], sender: str | None, subject: str | None,
            text: str | None) -> list[dict[str, Any]]:
    """The matcher's candidates, then each request of an authority the message names, without repeats."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for c in detail.get("candidates", []):
        if c.get("reference") and c["reference"] not in seen:
            seen.add(c["reference"])
            out.append(dict(c))
    for ident, why in known.mentioned(sender, subject, text):
        for request in known.requests.get(ident, []):
            if request["reference"] not in seen:
                seen.add(request["reference"])
                out.append(known.candidate(request, why))
    return out[:MAX_CANDIDATES]


def likely_requests(store: Store, message_row_id: int) -> list[dict[str, Any]]:
    """The requests a waiting (or any incoming) message most likely answers, the likeliest first."""
    message = _incoming(store, message_row_id)
    detail = json_column(message["match_detail"], {})
    return _likely(_Authorities(store), detail, message["from_addr"], message["subject"], message["text"])


def _incoming(store: Store, message_row_id: int) -> dict[str, Any]:
    rows = list(store.db.query("SELECT id, direction, request_id, triage, from_addr, subject, text, match_detail, "
                               "match_method, state, date_header, created_at, raw, parse_error "
                               "FROM messages WHERE id = ?", [message_row_id]))
    if not rows or rows[0]["direction"] != "in":
        raise InputError(f"no incoming message number {message_row_id}: `foibot triage` lists the numbers")
    return rows[0]


# --- reading one and dismissing it ---------------------------------------------------------------------

@dataclass
class MessageText:
    id: int
    date: str | None
    from_addr: str | None
    subject: str
    text: str
    attachments: list[dict[str, Any]]
    dismissed: bool


def message_text(store: Store, message_row_id: int) -> MessageText:
    """What an incoming message says, as plain text (the bytes themselves when it could not be read)."""
    m = _incoming(store, message_row_id)
    text = m["text"]
    if text is None:  # never parsed: show its bytes as text, nothing interpreted
        text = bytes(m["raw"] or b"")[:200_000].decode("utf-8", errors="replace")
    files = list(store.db.query("SELECT id, filename, content_type, size, status FROM attachments "
                                "WHERE message_id = ? ORDER BY part_index", [message_row_id]))
    return MessageText(m["id"], m["date_header"] or m["created_at"], m["from_addr"], m["subject"] or "", text,
                       files, m["match_method"] == DISMISSED and not m["triage"])


def dismiss_message(store: Store, message_row_id: int, now: datetime) -> MessageText:
    """Take a waiting message that is nobody's off the triage list (it is kept; `restore_message` undoes)."""
    m = _incoming(store, message_row_id)
    if not m["triage"]:
        where = "was dismissed already" if m["match_method"] == DISMISSED else "is filed under a request"
        raise InputError(f"message {message_row_id} {where}: only messages waiting in triage can be dismissed")
    with store.transaction():
        store.db.execute("UPDATE messages SET triage = 0, match_method = ? WHERE id = ?", [DISMISSED, m["id"]])
        store.add_event(None, "message_dismissed", now, {"before": m["match_method"]}, message_id=m["id"],
                        source="manual")
    return message_text(store, message_row_id)


def restore_message(store: Store, message_row_id: int, now: datetime) -> MessageText:
    """Put a dismissed message back on the triage list."""
    m = _incoming(store, message_row_id)
    if m["match_method"] != DISMISSED or m["triage"]:
        raise InputError(f"message {message_row_id} was not dismissed: nothing to restore")
    with store.transaction():
        store.db.execute("UPDATE messages SET triage = 1, match_method = ? WHERE id = ?",
                         ["none" if m["state"] != "parse_error" else None, m["id"]])
        store.add_event(None, "message_restored", now, message_id=m["id"], source="manual")
    return message_text(store, message_row_id)


def resolve_target(store: Store, target: str) -> dict[str, Any]:
    """The request to file under: our reference or its number, or the authority's id (its open request)."""
    from ..lifecycle import find_request

    try:
        return find_request(store, target)
    except InputError:
        rows = list(store.db.query("SELECT * FROM requests WHERE lower(authority_id) = lower(?) "
                                   "ORDER BY sent_at DESC, id DESC", [target.strip()]))
        if not rows:
            raise InputError(f"no request {target!r}: give our reference (FB-...), the request's number or the "
                             "authority's id, as `foibot export` lists them") from None
    open_rows = [r for r in rows if r["status"] in OPEN_STATUSES]
    chosen = open_rows or rows
    if len(chosen) > 1:
        refs = ", ".join(f"{r['reference']} (run {r['run']})" for r in chosen)
        raise InputError(f"authority {target!r} has {len(chosen)} {'open ' if open_rows else ''}requests: "
                         f"give one of {refs}")
    return chosen[0]


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
    """File one incoming message under a request (reference, number or authority id) by hand; learn its sender."""
    from ..lifecycle import apply_reply
    from .filing import RequestQuestions, classify, read

    rows = list(store.db.query("SELECT id, direction, request_id, raw, from_addr, match_detail FROM messages "
                               "WHERE id = ?", [message_row_id]))
    if not rows or rows[0]["direction"] != "in":
        raise InputError(f"no incoming message number {message_row_id}: `foibot triage` lists the numbers")
    message = rows[0]
    target = resolve_target(store, request)
    before = None
    if message["request_id"] and message["request_id"] != target["id"]:
        row = store.db.execute("SELECT reference FROM requests WHERE id = ?", [message["request_id"]]).fetchone()
        before = row[0] if row else None
    reading = read(bytes(message["raw"] or b""), config.storage.max_attachment_bytes)
    classification = classify(reading, RequestQuestions(store, config).for_request(target["id"]))
    detail = json_column(message["match_detail"], {})
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
    lines = [(f"{len(items)} message(s) wait in triage. File one with: foibot assign NUMBER REFERENCE "
              "(or the authority's id); read one with foibot triage --show NUMBER; dismiss one that is nobody's "
              "with foibot triage --dismiss NUMBER"), ""]
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
