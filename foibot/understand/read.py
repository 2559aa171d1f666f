"""One path from a reply (raw message bytes, a body text, or a file) to its reading.

The poller's filing, `foibot classify`, `foibot assign` and the benchmarks all read replies through here, so a
reply is understood the same way wherever it comes from. Reading a message is two steps, because the poller
must match a reply to a request (which tells which questions were asked) between them:

    opened = open_message(raw)               parse, extract the attachments' text, find forwarded messages
    reading = read_opened(opened, questions) classify with the questions of the request it answers

`read_message(raw, questions)` does both at once. (Many files at once, on every core: collect.read_files.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .classify import Classification, QuestionLike, classify_message, classify_text
from .extract import Extracted, decode_text, extract_text
from .parsing import ParsedMessage, parse_message

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024  # the default of [storage] max_attachment_bytes
MAX_FORWARDED = 3  # attached messages read for clues


@dataclass
class Opened:
    """A message parsed, before it is classified: what matching needs and what classifying reads."""

    parsed: ParsedMessage
    extracted: list[Extracted]  # one per attachment, in order
    forwarded: list[ParsedMessage]  # attached messages (message/rfc822), parsed, at most MAX_FORWARDED
    error: str | None  # why the message cannot count as an e-mail (kept, listed for the campaigner)

    @property
    def letter_texts(self) -> list[str]:
        """The text of the attached letters (PDF, DOCX, text...) that could be read; not forwarded messages,
        whose own headers and text the matcher reads as forwarded mail."""
        return [e.text for a, e in zip(self.parsed.attachments, self.extracted, strict=True)
                if e.status == "ok" and e.text and a.content_type != "message/rfc822"]

    @property
    def texts_to_classify(self) -> list[str]:
        """Every attachment's text that could be read, letters and forwarded messages alike: a cover note
        forwarding the authority's letter is decided by that letter."""
        return [e.text for e in self.extracted if e.status == "ok" and e.text]


@dataclass
class Reading:
    classification: Classification
    parsed: ParsedMessage | None = None  # None for a bare body text
    extracted: list[Extracted] = field(default_factory=list)  # one per attachment, in order


def open_message(raw: bytes, max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> Opened:
    """Parse a whole message and extract its attachments' text; never raises on a malformed message."""
    parsed = parse_message(raw)
    extracted = []
    for a in parsed.attachments:
        if a.size > max_attachment_bytes:
            extracted.append(Extracted("", "too_large", f"{a.size} bytes, more than {max_attachment_bytes}"))
        else:
            extracted.append(extract_text(a.data, a.content_type, a.filename))
    forwarded = [parse_message(a.data) for a in parsed.attachments
                 if a.content_type == "message/rfc822"][:MAX_FORWARDED]
    error = None
    unparseable = [d for d in parsed.defects if d.startswith("unparseable message")]
    if unparseable:
        error = unparseable[0]
    elif not any(name in parsed.header_block for name in ("from", "subject", "date", "message-id", "to")):
        error = "no From, To, Subject, Date or Message-ID header: not an e-mail message"
    return Opened(parsed, extracted, forwarded, error)


def read_opened(opened: Opened, questions: Sequence[QuestionLike] = ()) -> Reading:
    """Classify an opened message, answers cut to `questions` (those of the request it answers)."""
    return Reading(classify_message(opened.parsed, opened.texts_to_classify, questions), opened.parsed,
                   opened.extracted)


def read_message(raw: bytes, questions: Sequence[QuestionLike] = (),
                 max_attachment_bytes: int = MAX_ATTACHMENT_BYTES) -> Reading:
    """A whole message: parsed, its attachments' text extracted, classified."""
    return read_opened(open_message(raw, max_attachment_bytes), questions)


def read_text(text: str, questions: Sequence[QuestionLike] = ()) -> Reading:
    """A reply's body text alone."""
    return Reading(classify_text(text, questions=questions))


def read_file(path: Path, questions: Sequence[QuestionLike] = ()) -> Reading:
    """A `.eml` file (a whole message) or any other file read as a body text (`.txt`)."""
    try:
        if path.is_dir():
            raise InputError(f"{path} is a folder, not a reply file (.eml or .txt)")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path} is {size} bytes, too big for a reply (the limit is {MAX_FILE_BYTES})")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"reply file {path} does not exist") from exc
    except PermissionError as exc:
        raise InputError(f"reply file {path} cannot be read: permission denied") from exc
    except OSError as exc:
        raise InputError(f"reply file {path} cannot be read: {exc.strerror}") from exc
    if path.suffix.lower() in (".eml", ".msg", ".mbox"):
        return read_message(data, questions)
    return read_text(decode_text(data), questions)
