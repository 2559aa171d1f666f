"""Raw message bytes to a `ParsedMessage` (pure): headers, readable text, attachments, bounce, auto-reply facts.

Uses the standard library's e-mail parser: the MIME structure and bodies with its fast compat32 reader, the
headers as the modern policy decodes them (headers.py: only those foibot reads are decoded, and a plain
value costs a string operation instead of the header registry), HTML through html_text.py. It never raises,
whatever the bytes: what was broken is listed in `defects`, and what can be read is read.
"""

# ruff: noqa: BLE001, S110 - parse_message never raises, whatever the bytes: the standard library
# parser and decoders raise many exception types on hostile input, so those guards catch Exception on purpose.
from __future__ import annotations

import email
import email.policy
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from .bounces import disposition_of, has_null_sender, is_auto_reply, is_list_mail, read_dsn
from .headers import STRUCTURE_POLICY, HeaderBlock, bounded, header_text
from .html_text import html_to_text, tidy_text

__all__ = ["MAX_FILENAME", "ParsedAttachment", "ParsedMessage", "html_to_text", "parse_message", "tidy_text"]

MAX_FILENAME = 200
# The machine-readable parts of a delivery or disposition report: read by bounces.py, never attachments.
_REPORT_PARTS = ("message/delivery-status", "message/global-delivery-status", "text/rfc822-headers",
                 "message/disposition-notification")
# What is read of a message's body (the rest stays in the raw bytes): a 30 MB text part took minutes and
# 660 MB to tidy and classify, a 12 MB HTML part over 1.5 GB in BeautifulSoup. A long letter is 100,000
# characters; an HTML mail carries about five times its text in markup.
MAX_TEXT_CHARS = 1_000_000  # the body's text as read (each text part, and all of them together)
MAX_HTML_CHARS = 2_000_000  # of an HTML part, before BeautifulSoup sees it


@dataclass
class ParsedAttachment:
    index: int  # position among the message's attachment parts
    filename: str | None  # the sender's name, sanitised for display only (never used as a path)
    content_type: str
    data: bytes
    size: int
    sha256: str


@dataclass
class ParsedMessage:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_addr: str | None = None
    from_name: str = ""
    to_addrs: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    # The message's headers, each decoded when first read; `headers` gives them all as a dict.
    header_block: HeaderBlock = field(default_factory=HeaderBlock, repr=False, compare=False)
    text: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    is_auto_reply: bool = False
    is_list_mail: bool = False  # mailing-list or bulk mail: never an auto-reply, never a bounce by wording
    is_dsn: bool = False
    dsn_failed_recipients: list[str] = field(default_factory=list)
    dsn_original_message_id: str | None = None
    dsn_status: str | None = None
    dsn_permanent: bool = False
    dsn_diagnostic: str | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, list[str]]:
        """Every header: lower-case name -> values decoded as the modern policy decodes them, in order."""
        return self.header_block.as_dict()

    def header(self, name: str) -> str | None:
        """The first value of a header (name case-insensitive), or None."""
        return self.header_block.first(name)


# --- headers -----------------------------------------------------------------------------------------

_RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")
_MSGID = re.compile(r"<[^<>\s]+>")
_PATH_SEPARATORS = re.compile(r"[\\/]")


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    if not values:
        return []
    try:
        pairs = getaddresses(values)
    except Exception:
        return []
    found = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if "@" in addr and " " not in addr:
            found.append((name.strip(), addr))
    return found


def _message_ids(values: list[str]) -> list[str]:
    ids: list[str] = []
    for value in values:
        for mid in _MSGID.findall(value):
            if mid not in ids:
                ids.append(mid)
    return ids


def _date(values: list[str], defects: list[str]) -> datetime | None:
    if not values:
        return None
    try:
        moment = parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append(f"malformed Date header {values[0][:60]!r}")
        return None
    if moment is None:
        defects.append(f"malformed Date header {values[0][:60]!r}")
        return None
    if moment.tzinfo is None:  # "-0000": the time is UTC but the zone unknown
        moment = moment.replace(tzinfo=UTC)
    try:  # year 9999 with a negative offset is past the last datetime once in UTC, where foibot keeps it
        moment.astimezone(UTC)
    except (OverflowError, ValueError):
        defects.append(f"Date header out of range {values[0][:60]!r}")
        return None
    return moment


# --- bodies and attachments --------------------------------------------------------------------------

def _decode_part(part: Message, defects: list[str]) -> str:
    """A text part's content as str, tolerant of wrong and unknown charsets."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None:
        raw = part.get_payload()
        return raw[:MAX_TEXT_CHARS] if isinstance(raw, str) else ""
    if not isinstance(payload, bytes):
        return str(payload)[:MAX_TEXT_CHARS]
    charset = None
    try:
        charset = part.get_content_charset()
    except Exception:
        pass
    limit = MAX_HTML_CHARS if part.get_content_type() == "text/html" else MAX_TEXT_CHARS
    if len(payload) > 4 * limit:  # four bytes at most a character: decoding the rest would only be cut off
        defects.append(f"{part.get_content_type()} part of {len(payload)} bytes: the first {4 * limit} read")
        payload = payload[:4 * limit]
    for candidate in (charset, "utf-8", "cp1252"):
        if not candidate:
            continue
        try:
            return _cut(payload.decode(candidate), limit, part.get_content_type(), defects)
        except LookupError:
            defects.append(f"unknown charset {candidate!r}")
        except UnicodeDecodeError:
            if candidate == charset:
                defects.append(f"text not valid {candidate}")
    return _cut(payload.decode("utf-8", errors="replace"), limit, part.get_content_type(), defects)


def _cut(text: str, limit: int, ctype: str, defects: list[str]) -> str:
    if len(text) <= limit:
        return text
    defects.append(f"{ctype} part of {len(text)} characters: the first {limit} read")
    return text[:limit]


def _is_attachment(part: Message) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    ctype = part.get_content_type()
    if disposition == "attachment":
        return True
    if ctype in ("text/plain", "text/html") and not _filename(part):
        return False
    if ctype.startswith("multipart/") or ctype in _REPORT_PARTS:
        return False
    return ctype not in ("text/plain", "text/html") or bool(_filename(part))


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        return None
    name = header_text(name)
    name = unicodedata.normalize("NFC", name)
    # Display only: keep the last path component, drop control characters.
    name = _PATH_SEPARATORS.split(name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[:MAX_FILENAME] or None


def _leaves(part: Message) -> Iterator[Message]:
    """Leaf parts in order, not descending into attached messages (message/rfc822 is one leaf)."""
    if part.is_multipart() and not part.get_content_type().startswith("message/"):
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _leaves(sub)
        return
    yield part


def _choose_body(part: Message, defects: list[str]) -> list[tuple[str, str]]:
    """(content type, text) of the parts that make up the readable body, honouring multipart/alternative."""
    ctype = part.get_content_type()
    if ctype == "multipart/alternative" and isinstance(part.get_payload(), list):
        options = [p for p in part.get_payload() if isinstance(p, Message)]
        chosen: dict[str, list[tuple[str, str]]] = {}
        for option in options:
            bodies = _choose_body(option, defects)
            if bodies:
                chosen.setdefault(bodies[0][0], bodies)
        plain = chosen.get("text/plain")
        html = chosen.get("text/html")
        # A plain part that is only a stub ("view this in HTML") loses to the HTML part.
        if plain and (not html or len("".join(t for _, t in plain).strip()) >= 40):
            return plain
        return html or plain or []
    if part.is_multipart() and not ctype.startswith("message/"):
        payload = part.get_payload()
        found: list[tuple[str, str]] = []
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    found.extend(_choose_body(sub, defects))
        return found
    payload = part.get_payload()
    if part.get_content_maintype() == "multipart" and isinstance(payload, str):
        # A nested multipart whose boundary was lost (its Content-Type line folded badly): its parts as text.
        text = _unstructured(payload)
        if text.strip():
            defects.append("multipart part without its boundary: read as plain text")
            return [("text/plain", text)]
        return []
    if ctype in ("text/plain", "text/html") and not _is_attachment(part):
        return [(ctype, _decode_part(part, defects))]
    return []


# --- bounces ---------------------------------------------------------------------------------------

def _dsn(msg: Message, leaves: list[Message], parsed: ParsedMessage) -> None:
    """Collect the report parts of a delivery status notification and let bounces.read_dsn judge them."""
    report_type = ""
    try:
        report_type = str(msg.get_param("report-type") or "").lower()
    except Exception:
        pass
    status_texts: list[str] = []
    nested_status: list[str] = []
    returned_ids: list[str] = []
    returned_headers = ""
    disposition = ""
    for part in leaves:
        pctype = part.get_content_type()
        if pctype == "message/disposition-notification" and report_type == "disposition-notification":
            try:
                disposition = disposition_of(part.as_string(policy=email.policy.compat32))
            except Exception:
                disposition = disposition_of(str(part.get_payload()))
        elif pctype in ("message/delivery-status", "message/global-delivery-status"):
            try:
                status_texts.append(part.as_string(policy=email.policy.compat32))
            except Exception:
                status_texts.append(str(part.get_payload()))
        elif pctype == "message/rfc822" and not returned_ids:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                inner = payload[0]
                if inner.get_content_type() == "multipart/report":
                    # A gateway or filter passing on the report it received: its status parts, its message.
                    nested_status.extend(_status_parts(list(_leaves(inner))))
                try:
                    returned_ids = _message_ids([_first_decoded(inner, "message-id")])
                except Exception:
                    returned_ids = []
        elif pctype == "text/rfc822-headers":
            returned_headers += _decode_part(part, parsed.defects)
    failed_header = [a for _, a in _addresses(parsed.header_block.all("x-failed-recipients"))]
    if not disposition and "rejected" in (parsed.header_block.first("auto-submitted") or "").lower():
        disposition = "rejected"  # a Sieve reject (RFC 5429): "Auto-Submitted: auto-replied (rejected)"
    facts = read_dsn(
        is_report=msg.get_content_type() == "multipart/report" and report_type in ("delivery-status", ""),
        status_texts=status_texts, returned_ids=returned_ids, returned_headers=returned_headers,
        failed_header=failed_header, has_failed_header="x-failed-recipients" in parsed.header_block,
        sender=parsed.from_addr or "", subject=parsed.subject, text=parsed.text,
        null_sender=has_null_sender(parsed.header_block), daemon_envelope=_daemon_envelope(msg),
        list_mail=parsed.is_list_mail,
        sender_name=parsed.from_name,
        disposition=disposition, own_addresses=tuple(parsed.to_addrs), nested_status_texts=nested_status,
    )
    if facts is None:
        return
    parsed.is_dsn = True
    parsed.dsn_failed_recipients = facts.failed_recipients
    parsed.dsn_status = facts.status
    parsed.dsn_permanent = facts.permanent
    parsed.dsn_diagnostic = facts.diagnostic
    parsed.dsn_original_message_id = facts.original_message_id


def _status_parts(leaves: list[Message]) -> list[str]:
    """The text of the delivery-status parts among `leaves`."""
    found = []
    for part in leaves:
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            try:
                found.append(part.as_string(policy=email.policy.compat32))
            except Exception:
                found.append(str(part.get_payload()))
    return found


def _daemon_envelope(msg: Message) -> bool:
    """An mbox "From " line naming an empty or daemon envelope sender (mail saved from a mailbox file)."""
    try:
        line = (msg.get_unixfrom() or "").split()
    except Exception:
        return False
    return len(line) > 1 and line[0] == "From" and line[1].strip("<>").lower() in ("", "mailer-daemon", "postmaster")


# --- the whole message -------------------------------------------------------------------------------

def parse_message(raw: bytes) -> ParsedMessage:
    """Parse any bytes into a ParsedMessage; never raises (what went wrong is in `defects`)."""
    parsed = ParsedMessage()
    try:
        _parse_into(raw, parsed)
    except Exception as exc:  # the last guard: a parser bug must not lose a reply
        parsed.defects.append(f"unparseable message: {type(exc).__name__}: {exc}"[:300])
        if not parsed.text:
            parsed.text = tidy_text(bytes(raw or b"")[:MAX_TEXT_CHARS].decode("utf-8", errors="replace"))
    return parsed


def _first_decoded(msg: Message, name: str) -> str:
    """The first value of a header as the modern policy's Message.get gives it ("" when absent)."""
    for key, value in _raw_items(msg):
        if key.lower() == name:
            return str(email.policy.default.header_fetch_parse(key, bounded(value)))
    return ""


def _raw_items(msg: Message) -> list[tuple[str, str]]:
    try:
        return list(msg.raw_items())
    except Exception:
        return list(getattr(msg, "_headers", []))


def _parse_into(raw: bytes, parsed: ParsedMessage) -> None:
    if not isinstance(raw, (bytes, bytearray)):
        raw = str(raw).encode("utf-8", errors="replace")
    # The same MIME tree and part contents as with the modern policy, without running every header it looks
    # at (Content-Type, again and again) through the header registry (headers.StructurePolicy).
    msg = email.message_from_bytes(bytes(raw), policy=STRUCTURE_POLICY)
    defects = parsed.defects
    headers = parsed.header_block = HeaderBlock(_raw_items(msg), defects)
    ids = _message_ids(headers.all("message-id"))
    parsed.message_id = ids[0] if ids else None
    parsed.in_reply_to = _message_ids(headers.all("in-reply-to"))
    parsed.references = _message_ids(headers.all("references"))
    senders = _addresses(headers.all("from"))
    if senders:
        parsed.from_name, parsed.from_addr = senders[0]
    recipients: list[str] = []
    for name in _RECIPIENT_HEADERS:
        for _, addr in _addresses(headers.all(name)):
            if addr not in recipients:
                recipients.append(addr)
    parsed.to_addrs = recipients
    parsed.subject = (headers.all("subject") or [""])[0]
    parsed.date = _date(headers.all("date"), defects)
    parsed.is_list_mail = is_list_mail(headers)
    parsed.is_auto_reply = is_auto_reply(headers, parsed.subject)

    leaves = list(_leaves(msg))
    for part in [msg, *leaves]:
        for defect in getattr(part, "defects", []):
            name = type(defect).__name__
            if name not in defects:
                defects.append(name)

    bodies = _choose_body(msg, defects)
    texts = [html_to_text(text) if ctype == "text/html" else tidy_text(text) for ctype, text in bodies]
    parsed.text = "\n\n".join(t for t in texts if t)
    if len(parsed.text) > MAX_TEXT_CHARS:
        defects.append(f"body text of {len(parsed.text)} characters: the first {MAX_TEXT_CHARS} read")
        parsed.text = parsed.text[:MAX_TEXT_CHARS]
    raw_body = msg.get_payload()
    if not parsed.text and msg.get_content_maintype() == "multipart" and isinstance(raw_body, str):
        # The boundary is missing or wrong: read the body as plain text rather than lose the reply.
        parsed.text = _unstructured(raw_body[:MAX_TEXT_CHARS])
        if parsed.text:
            defects.append("multipart body without its boundary: read as plain text")

    index = 0
    for part in leaves:
        # The body's text parts are not attachments (_is_attachment says so), nor are multipart containers
        # or the report parts of a bounce.
        ctype = part.get_content_type()
        if ctype.startswith("multipart/") or ctype in _REPORT_PARTS:
            continue
        if not _is_attachment(part):
            continue
        data = _part_bytes(part)
        parsed.attachments.append(
            ParsedAttachment(
                index=index,
                filename=_filename(part),
                content_type=ctype,
                data=data,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
        index += 1
    _dsn(msg, leaves, parsed)


_BOUNDARY_LINE = re.compile(r"^--\S+$")
_PART_HEADER = re.compile(r"^[A-Za-z][\w-]*:\s")


def _unstructured(payload: str) -> str:
    """A broken multipart body as text: boundary lines and the part headers after them dropped."""
    lines = payload.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    in_headers = False
    for line in lines:
        if _BOUNDARY_LINE.match(line.strip()):
            in_headers = True
            continue
        if in_headers:
            if _PART_HEADER.match(line) or line.startswith((" ", "\t")):
                continue
            in_headers = False
            if not line.strip():
                continue
        out.append(line)
    return tidy_text("\n".join(out))


def _part_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            try:
                return payload[0].as_bytes(policy=email.policy.compat32)
            except Exception:
                return str(payload[0]).encode("utf-8", errors="replace")
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="replace")
    return b""
