"""Requests and chasers that go by hand (web form, post): each written out ready to paste, never mailed.

A message of such a request is stored like any other (state `by_hand`, see outbox.py); this module writes its
text to `by-hand/` beside the database, with what the campaigner needs at the top (the form's address or the
postal address, the reply address to give, the command that records it as sent), and lists what still waits.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from ..config import Config
from ..files import write_atomic
from ..store import Store, json_column

BY_HAND_DIR = "by-hand"
HOW = {"web_form": "by the authority's web form", "post": "by post",
       "unknown": "by hand: no address or form is known yet"}


@dataclass(frozen=True)
class ByHand:
    """One message waiting to be sent by hand, and the file that holds it."""

    message_id: int
    reference: str
    authority: str
    stage: str
    channel: str
    path: Path


def by_hand_folder(config: Config) -> Path:
    return config.database_path.parent / BY_HAND_DIR


def _parts(raw: bytes) -> tuple[str, str, str]:
    """Subject, reply address and body text of a built message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content().replace("\r\n", "\n") if body is not None else ""  # type: ignore[attr-defined]
    reply_to = parseaddr(str(message["Reply-To"] or message["From"] or ""))[1]
    return str(message["Subject"] or ""), reply_to, text.rstrip("\n")


def _authority_extra(store: Store, authority_id: str) -> dict[str, Any]:
    row = store.db.execute("SELECT extra FROM authorities WHERE id = ?", [authority_id]).fetchone()
    return json_column(row[0] if row else None, {})


def render_text(row: dict[str, Any], extra: dict[str, Any]) -> str:
    """The file's text: how to send it, then the subject and the body to paste."""
    subject, reply_to, body = _parts(row["raw"])
    channel, reference = row["channel"], row["reference"]
    what = "request" if row["stage"] == "request" else f"{row['stage'].replace('_', ' ')} (chaser)"
    lines = [f"{reference}: {what} to {row['authority_name']}, to send {HOW.get(channel, 'by hand')}", ""]
    form, postal, source = (str(extra.get(k) or "") for k in ("form_url", "postal_address", "source"))
    if form:
        lines.append(f"Web form:      {form}")
    if postal:
        lines.append(f"Postal address: {row['authority_name']}, {postal}")
    if channel == "unknown" or not (form or postal):
        lines.append("Where to look: " + (source or "the authority's website (its freedom of information page)"))
        lines.append("Found an e-mail address? `foibot readdress " + reference + " ADDRESS` sends it by mail.")
    if reply_to:
        lines.append(f"Your e-mail:   {reply_to}  (give this one, so the answer is filed under {reference})")
    lines += [f"Once sent:     foibot sent-by-hand {reference} --on YYYY-MM-DD [--their-ref THEIR-REFERENCE]"
              + ("" if row["stage"] == "request" else f" --stage {row['stage']}"),
              "", "----- subject -----", subject, "", "----- text -----", body, ""]
    return "\n".join(lines)


def pending_by_hand(store: Store, config: Config, request_id: int | None = None) -> list[ByHand]:
    """Every message still waiting to be sent by hand (oldest first), with the path of its file."""
    where = " AND m.request_id = ?" if request_id is not None else ""
    rows = store.db.query(
        "SELECT m.id, m.stage, q.reference, q.authority_id, q.authority_name, q.channel FROM messages m "
        "JOIN requests q ON q.id = m.request_id WHERE m.direction = 'out' AND m.state = 'by_hand'"
        f"{where} ORDER BY m.id", [request_id] if request_id is not None else [])
    folder = by_hand_folder(config)
    return [ByHand(r["id"], r["reference"], r["authority_name"], r["stage"], r["channel"],
                   folder / f"{r['reference']}-{r['stage']}-{r['authority_id']}.txt") for r in rows]


def write_by_hand(store: Store, config: Config) -> list[ByHand]:
    """Write a file for every message waiting to be sent by hand that has none yet; returns them all."""
    waiting = pending_by_hand(store, config)
    if not waiting:
        return []
    for item in waiting:
        if item.path.exists():
            continue
        row = next(iter(store.db.query(
            "SELECT m.raw, m.stage, q.reference, q.authority_id, q.authority_name, q.channel FROM messages m "
            "JOIN requests q ON q.id = m.request_id WHERE m.id = ?", [item.message_id])))
        write_atomic(item.path, render_text(row, _authority_extra(store, row["authority_id"])),
                     what="request to send by hand")
    return waiting
