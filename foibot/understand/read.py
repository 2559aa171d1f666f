"""One path from a reply (raw message bytes, a body text, or a file) to its reading.

The poller's filing, `foibot classify`, `foibot assign` and the benchmarks all read replies through here, so a
reply is understood the same way wherever it comes from. Reading a message is two steps, because the poller
must match a reply to a request (which tells which questions were asked) between them:

    opened = open_message(raw)               parse, extract the attachments' text, find forwarded messages
    reading = read_opened(opened, questions) classify with the questions of the request it answers

`read_message(raw, questions)` does both at once. `read_files(paths, questions)` reads many reply files, on
every core the machine lets foibot use (each file read the same way, by read_file), in the order given.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FoibotError, InputError
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


# Many reply files are read in worker processes, one per core (the reader is pure Python: threads would take
# turns on one core). Below this many files a pool costs more to start than it saves.
MIN_FILES_FOR_WORKERS = 64
CHUNK_FILES = 16  # files handed to a worker at a time (fewer round trips; still an even share at the end)

_WORKER_QUESTIONS: Sequence[QuestionLike] = ()


def usable_cores() -> int:
    """How many cores this process may run on (its CPU affinity where the system tells it, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def read_files(paths: Sequence[Path], questions: Sequence[QuestionLike] = (),
               workers: int | None = None) -> Iterator[tuple[Path, Classification]]:
    """Each file's classification, in the order given, read as `read_file` reads it; on `workers` processes
    (default: every usable core) when there are enough files to be worth it. A file that cannot be read
    raises its InputError when its turn comes, as reading them one by one would."""
    workers = usable_cores() if workers is None else workers
    if workers < 1:
        raise InputError(f"workers must be 1 or more, not {workers}")
    if workers == 1 or len(paths) < MIN_FILES_FOR_WORKERS:
        for path in paths:
            yield path, read_file(path, questions).classification
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # fork where there is one (the workers start with the reader already imported); else the platform's way
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    workers = min(workers, len(paths) // CHUNK_FILES or 1)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(tuple(questions),)) as pool:
        try:
            for path, outcome in zip(paths, pool.map(_read_in_worker, paths, chunksize=CHUNK_FILES)):
                if isinstance(outcome, FoibotError):
                    raise outcome
                yield path, outcome
        except BrokenProcessPool as exc:
            raise FoibotError("a worker reading the replies stopped unexpectedly (out of memory?); "
                              "run again with --workers 1") from exc


def _start_worker(questions: tuple[QuestionLike, ...]) -> None:
    global _WORKER_QUESTIONS
    _WORKER_QUESTIONS = questions


def _read_in_worker(path: Path) -> Classification | FoibotError:
    """One file's classification in a worker; an expected failure is handed back to be raised in its turn."""
    try:
        return read_file(path, _WORKER_QUESTIONS).classification
    except FoibotError as exc:
        return exc
