"""`foibot readdress`: a request sent again, same reference and text, to a corrected address.

For a bounced address (or a request written out for lack of one): the new message is queued as stage
`readdress` (`readdress_2`, ... if it happens again), the request changes through `lifecycle.record_readdress`
(the wrong address kept), and it goes through the same sending path as every request.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from ..addresses import AddressError, check_address, is_noreply, same_mailbox
from ..config import Config
from ..errors import FoibotError
from ..lifecycle import find_request, record_readdress
from ..store import Store, json_column
from .by_hand import pending_by_hand
from .compose import build_message, new_message_id
from .outbox import enqueue


@dataclass
class Readdressed:
    """A request sent again to a corrected address: the addresses, its new stage and what the server did."""

    reference: str
    authority: str
    old_address: str
    new_address: str
    stage: str
    report: Any = None


def alternative_address(store: Store, row: dict[str, Any]) -> str | None:
    """An address for the request's authority not tried yet: its row's alt_email, else the register's."""
    tried = {a.lower() for a in (row.get("authority_email") or "", *(row.get("wrong_addresses") or "").split(";"))
             if a}
    found = store.db.execute("SELECT extra FROM authorities WHERE id = ?", [row["authority_id"]]).fetchone()
    extra = json_column(found[0] if found else None, {})
    candidates = [str(extra.get("alt_email") or "")]
    from ..register import load_register

    for entry in load_register():
        if entry.id == row["authority_id"]:
            candidates += [entry.email, entry.alt_email]
    return next((c for c in candidates if c and c.lower() not in tried), None)


def _message_parts(raw: bytes) -> tuple[str, str | None, str]:
    """Subject, reply address and text of the request as first built."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content().replace("\r\n", "\n") if part is not None else ""  # type: ignore[attr-defined]
    reply_to = parseaddr(str(message["Reply-To"]))[1] if message["Reply-To"] else None
    return str(message["Subject"] or ""), reply_to or None, text.rstrip("\n")


def readdress_request(store: Store, config: Config, reference: str, address: str, now: datetime) -> Readdressed:
    """Send the request again, same reference, to a corrected address (`alt`: the row's or the register's
    other address); the old one is kept as wrong, and the clock starts anew when the new message goes."""
    row = find_request(store, reference)
    if row["status"] in ("answered", "internal_review", "withdrawn"):
        raise FoibotError(f"{row['reference']} is {row['status'].replace('_', ' ')}: its address was not wrong")
    if address.strip().lower() == "alt":
        alt = alternative_address(store, row)
        if alt is None:
            raise FoibotError(f"{row['reference']}: no other address is known for {row['authority_name']} "
                              "(give the new address: foibot readdress REF ADDRESS)")
        address = alt
    try:
        new = check_address(address)
    except AddressError as exc:
        raise FoibotError(f"the new address {exc}") from exc
    old = row.get("authority_email") or ""
    if old and same_mailbox(new, old):
        raise FoibotError(f"{row['reference']} was sent to {old} already: give the corrected address")
    if same_mailbox(new, config.requester.email) or is_noreply(new):
        raise FoibotError(f"{new} is your own or a no-reply address: nobody there would read the request")
    stages = {r["stage"] for r in store.db.query(
        "SELECT stage FROM messages WHERE request_id = ? AND direction = 'out'", [row["id"]])}
    stage = next(s for s in ("readdress", *(f"readdress_{n}" for n in range(2, 100))) if s not in stages)
    original = next(iter(store.db.query(
        "SELECT raw FROM messages WHERE request_id = ? AND direction = 'out' AND (stage = 'request' OR stage "
        "LIKE 'readdress%') ORDER BY id DESC LIMIT 1", [row["id"]])))
    subject, reply_to, body = _message_parts(original["raw"])
    sender = config.requester.email
    message_id = new_message_id(sender)
    raw = build_message(from_name=config.requester.name, from_addr=sender, to_addr=new, subject=subject,
                        body=body + "\n", message_id=message_id, date=now, reply_to=reply_to)
    stale = [item.path for item in pending_by_hand(store, config, row["id"])]
    with store.transaction():
        record_readdress(store, row, new, stage, now)
        enqueue(store, request_id=row["id"], stage=stage, raw=raw, message_id=message_id, to_addr=new,
                from_addr=sender, subject=subject, now=now)
    for path in stale:  # the texts written to send by hand: the request now goes by mail
        path.unlink(missing_ok=True)
    from .run import send_pending  # the same sending path as every request (rate limits, retries)

    report = send_pending(store, config, now, stages=(stage,))
    return Readdressed(row["reference"], row["authority_name"], old, new, stage, report)
