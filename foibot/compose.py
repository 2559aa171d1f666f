"""Building outgoing messages: every header value checked, our own Message-ID, bytes ready for SMTP."""

from __future__ import annotations

import secrets
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from .addresses import AddressError, check_address, check_header_value, domain_of
from .errors import TemplateError


def new_message_id(reference: str, stage: str, sender: str) -> str:
    """<fb-7k3q9x.request.1f2e3d4c5b6a@example.org>: ours, unique, and it names the request."""
    return f"<{reference.lower()}.{stage}.{secrets.token_hex(6)}@{domain_of(sender)}>"


def _mailbox(name: str, address: str) -> Address:
    check_header_value("From name", name)
    local, _, domain = check_address(address).rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def build_message(
    *,
    from_name: str,
    from_addr: str,
    to_addr: str,
    subject: str,
    body: str,
    message_id: str,
    date: datetime,
    reply_to: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    reference: str | None = None,
) -> bytes:
    """The message as bytes (CRLF line ends); a bad header value is a TemplateError, never a silent fix."""
    try:
        msg = EmailMessage(policy=SMTP)
        msg["From"] = _mailbox(from_name, from_addr)
        msg["To"] = _mailbox("", to_addr)
        if reply_to:
            msg["Reply-To"] = _mailbox(from_name, reply_to)
        msg["Subject"] = check_header_value("Subject", subject)
        msg["Date"] = format_datetime(date)
        msg["Message-ID"] = check_header_value("Message-ID", message_id)
        if in_reply_to:
            msg["In-Reply-To"] = check_header_value("In-Reply-To", in_reply_to)
        if references:
            msg["References"] = check_header_value("References", " ".join(references))
        if reference:
            msg["X-Foibot-Reference"] = check_header_value("X-Foibot-Reference", reference)
        msg.set_content(body, charset="utf-8", cte="quoted-printable")
        return msg.as_bytes()
    except (AddressError, ValueError) as exc:
        raise TemplateError(f"cannot build the message to {to_addr!r}: {exc}") from exc
