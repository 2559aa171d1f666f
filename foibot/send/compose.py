"""Building outgoing messages: every header value checked, our own Message-ID, bytes ready for SMTP."""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import datetime
from email.charset import Charset
from email.header import Header
from email.utils import format_datetime, formataddr

from ..addresses import AddressError, check_address, check_header_value, domain_of
from ..errors import TemplateError


def new_message_id(sender: str) -> str:
    """<k7p2m4q9x3bd5wthn6ya2c8rje@example.org>: unique (128 random bits), on the requester's own domain, and
    saying nothing of the tool or the round, the way a mail client's ids look; replies are matched to it by
    the stored id, never by its shape. (Databases from before keep their <fb-7k3q9x.request.1f2e...@> ids.)"""
    token = base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()
    return f"<{token}@{domain_of(sender)}>"


_LINE = 78  # the recommended header line length (RFC 5322 2.1.1); 998 is the hard limit


def _looks_encoded(value: str) -> bool:
    """Text a reader would decode as RFC 2047 (`=?utf-8?q?=0D=0A...?=`): it must be encoded itself, or a name
    or subject could read back as something else, line breaks included."""
    return "=?" in value


def _mailbox(name: str, address: str) -> str:
    check_header_value("From name", name)
    address = check_address(address)
    if name and _looks_encoded(name):
        return f"{Charset('utf-8').header_encode(name)} <{address}>"  # one encoded word, as formataddr writes
    return formataddr((name, address), charset="utf-8") if name else address


def _unstructured(name: str, value: str) -> str:
    """A checked header value, RFC 2047-encoded when it is not ASCII (or a subject that would read as encoded),
    folded at spaces when long."""
    check_header_value(name, value)
    if not value.isascii() or (name == "Subject" and _looks_encoded(value)):
        return Header(value, "utf-8", header_name=name, maxlinelen=_LINE).encode(linesep="\r\n")
    if len(name) + 2 + len(value) <= _LINE:
        return value
    lines: list[str] = []
    current = ""
    width = _LINE - len(name) - 2
    for word in value.split(" "):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current, width = word, _LINE - 1
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\r\n ".join(lines)


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
) -> bytes:
    """The message as bytes (CRLF line ends); a bad header value is a TemplateError, never a silent fix.

    Written out directly rather than through EmailMessage, which costs ~1 ms a message: a run of a
    thousand requests is built in well under a second. Plain text, UTF-8, quoted-printable. No header
    names the tool (no X-Mailer, no X-Foibot-*): an authority sees a message from the requester.
    """
    try:
        headers = [
            ("From", _mailbox(from_name, from_addr)),
            ("To", _mailbox("", to_addr)),
        ]
        if reply_to:
            headers.append(("Reply-To", _mailbox(from_name, reply_to)))
        headers += [
            ("Subject", _unstructured("Subject", subject)),
            ("Date", format_datetime(date)),
            ("Message-ID", _unstructured("Message-ID", message_id)),
        ]
        if in_reply_to:
            headers.append(("In-Reply-To", _unstructured("In-Reply-To", in_reply_to)))
        if references:
            headers.append(("References", _unstructured("References", " ".join(references))))
        headers += [
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "quoted-printable"),
            ("MIME-Version", "1.0"),
        ]
    except (AddressError, ValueError) as exc:
        raise TemplateError(f"cannot build the message to {to_addr!r}: {exc}") from exc
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    encoded = binascii.b2a_qp(text.encode("utf-8"), quotetabs=False, istext=True, header=False)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode("ascii")
    return head + b"\r\n" + encoded.replace(b"\n", b"\r\n")
