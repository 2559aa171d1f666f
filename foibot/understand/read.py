"""One path from a reply (raw message bytes, a body text, or a file) to its classification.

The poller, `foibot classify` and the benchmark all read replies through here, so a reply is understood
the same way wherever it comes from: parse, extract the attachments' text, classify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .classify import Classification, QuestionLike, classify_message, classify_text
from .extract import Extracted, attachment_texts, decode_text
from .parsing import ParsedMessage, parse_message

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class Reading:
    classification: Classification
    parsed: ParsedMessage | None = None  # None for a bare body text
    extracted: list[Extracted] = field(default_factory=list)  # one per attachment, in order


def read_message(raw: bytes, questions: Sequence[QuestionLike] = ()) -> Reading:
    """A whole message: parsed, its attachments' text extracted, classified."""
    parsed = parse_message(raw)
    extracted = attachment_texts(parsed)
    # Letters are read with the e-mail; an attached message is a forwarded e-mail, not the authority's letter.
    texts = [e.text for a, e in zip(parsed.attachments, extracted, strict=True)
             if e.status == "ok" and e.text and a.content_type != "message/rfc822"]
    return Reading(classify_message(parsed, texts, questions), parsed, extracted)


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
