"""Text from attachments (PDF via pypdf, DOCX via python-docx, plain text, HTML); pure, never raises.

Authorities often put the real answer in a letter attached to a one-line cover e-mail, so the letter's text
is what the classifier reads. A broken, encrypted or unknown file is recorded as such, never fatal.
"""

# ruff: noqa: BLE001 - extract_text never raises: PDF and DOCX readers raise many exception types on
# hostile files, so the outer guards catch Exception on purpose.
from __future__ import annotations

import io
import logging
import re
import time
import zipfile
from dataclasses import dataclass
from typing import Any

from .parsing import html_to_text, tidy_text

MAX_BYTES = 25 * 1024 * 1024  # bigger files are kept but not read (status too_large)
MAX_PAGES = 300
MAX_CHARS = 500_000
# pypdf reads a page's content stream in Python, about a second per 100 KB here: a letter's page holds
# 2-50 KB. Bigger pages are skipped, pages sharing a stream are read once (300 pages sharing one 4 MB stream
# took tens of minutes a poll), and one attachment's reading stops at a byte and a time budget.
MAX_PAGE_CONTENT_BYTES = 512 * 1024
MAX_PDF_CONTENT_BYTES = 4 * 1024 * 1024
MAX_SECONDS = 20.0
# A DOCX is a zip: what its parts inflate to is checked before python-docx (which loads every part) or lxml
# sees them. A letter's document.xml is well under 5 MB; images are not read but would still be inflated.
MAX_DOCX_XML_BYTES = 20 * 1024 * 1024
MAX_DOCX_TOTAL_BYTES = 100 * 1024 * 1024
MAX_DOCX_RATIO = 200  # inflated / compressed, for a part over 1 MB

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Extracted:
    text: str
    status: str  # ok | encrypted | broken | unsupported | too_large
    detail: str


def sniff(data: bytes, content_type: str, filename: str | None) -> str:
    """pdf | docx | html | text | encrypted_office | other: by the bytes first, then the name and type."""
    head = data[:1024].lstrip()
    name = (filename or "").lower()
    ctype = (content_type or "").lower()
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if name.endswith((".docx", ".docm", ".dotx")) or "wordprocessingml" in ctype:
            return "docx"
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
            return "docx" if name.endswith(".docx") else "other"
        return "other"
    if data.startswith(_OLE_MAGIC):
        # Encrypted OOXML documents are stored inside an OLE container; old .doc files are OLE too.
        if name.endswith(".docx") or "wordprocessingml" in ctype:
            return "encrypted_office"
        return "other"
    if name.endswith(".pdf") or ctype == "application/pdf":
        return "pdf"
    if name.endswith(".docx") or "wordprocessingml" in ctype:
        return "docx"
    if ctype == "text/html" or name.endswith((".html", ".htm")) or re.match(rb"(?i)\s*<(!doctype html|html)", head):
        return "html"
    if ctype.startswith("text/") or name.endswith((".txt", ".csv", ".eml")) or ctype == "message/rfc822":
        return "text"
    return "other"


def extract_text(data: bytes, content_type: str, filename: str | None) -> Extracted:
    """The readable text of one attachment and how reading it went; never raises."""
    try:
        if len(data) > MAX_BYTES:
            return Extracted("", "too_large", f"{len(data)} bytes, more than {MAX_BYTES}")
        kind = sniff(data, content_type, filename)
        if kind == "pdf":
            return _pdf(data)
        if kind == "docx":
            return _docx(data)
        if kind == "encrypted_office":
            return Extracted("", "encrypted", "a password-protected Office document")
        if kind == "html":
            return Extracted(html_to_text(decode_text(data))[:MAX_CHARS], "ok", "html")
        if kind == "text":
            return Extracted(tidy_text(decode_text(data))[:MAX_CHARS], "ok", "text")
        return Extracted("", "unsupported", f"cannot read {content_type or 'this type'}")
    except Exception as exc:  # a library bug on hostile input is a broken file, not a crash
        return Extracted("", "broken", f"{type(exc).__name__}: {exc}"[:300])


def decode_text(data: bytes) -> str:
    """Text of unknown encoding: a BOM wins, then UTF-8, then Windows-1252 (what Word and Outlook write)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _pdf(data: bytes) -> Extracted:
    import pypdf
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns loudly about every odd PDF
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many letters are "encrypted" only against editing, with an empty password to open them.
            try:
                opened = reader.decrypt("")
            except Exception as exc:
                return Extracted("", "encrypted", f"cannot decrypt: {type(exc).__name__}")
            if not opened:
                return Extracted("", "encrypted", "needs a password to open")
        pages = reader.pages
        texts, notes = _pdf_pages(pages)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, AssertionError, ZeroDivisionError) as exc:
        return Extracted("", "broken", f"unreadable PDF: {type(exc).__name__}: {exc}"[:300])
    if not pages:
        return Extracted("", "broken", "a PDF with no pages")
    text = tidy_text("\n\n".join(texts))[:MAX_CHARS]
    note = f" ({'; '.join(notes)})" if notes else ""
    if not text:
        return Extracted("", "ok", f"PDF with {len(pages)} page(s) and no text layer (a scan?){note}")
    return Extracted(text, "ok", f"PDF, {len(pages)} page(s){note}")


def _pdf_pages(pages: Any) -> tuple[list[str], list[str]]:
    """The text of each page worth reading, within the budgets; and notes on what was skipped."""
    texts: list[str] = []
    notes: list[str] = []
    seen: set[object] = set()
    skipped: list[int] = []
    budget = MAX_PDF_CONTENT_BYTES
    deadline = time.monotonic() + MAX_SECONDS
    for number, page in enumerate(pages):
        if number >= MAX_PAGES:
            notes.append(f"only the first {MAX_PAGES} pages read")
            break
        if time.monotonic() > deadline:
            notes.append(f"reading stopped after {number} pages ({MAX_SECONDS:.0f} s)")
            break
        try:
            key = _contents_key(page)
            if key is not None and key in seen:  # the same content as an earlier page: the same text
                continue
            seen.add(key)
            contents = page.get_contents()
            size = len(contents.get_data()) if contents is not None else 0
            if size > MAX_PAGE_CONTENT_BYTES or size > budget:
                skipped.append(number + 1)
                continue
            budget -= size
            texts.append(page.extract_text() or "")
        except Exception:  # one bad page does not spoil the letter
            texts.append("")
    if skipped:
        shown = ", ".join(map(str, skipped[:5])) + (", ..." if len(skipped) > 5 else "")
        notes.append(f"{len(skipped)} page(s) too big to read: {shown}")
    return texts, notes


def _contents_key(page: Any) -> object:
    """Which stream objects make the page's content (None when they are not indirect objects)."""
    raw = page.raw_get("/Contents") if hasattr(page, "raw_get") and "/Contents" in page else None
    refs = list(raw) if isinstance(raw, list) else [raw]
    keys = tuple((getattr(r, "idnum", None), getattr(r, "generation", None)) for r in refs)
    return keys if keys and all(k[0] is not None for k in keys) else None


def _docx_refusal(data: bytes) -> str | None:
    """Why this DOCX must not be opened (a zip or XML bomb), or None; reads no more than a few KB a part."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_DOCX_TOTAL_BYTES:
                return f"its parts inflate to {total} bytes (more than {MAX_DOCX_TOTAL_BYTES})"
            for member in members:
                if member.file_size > 1024 * 1024 and member.file_size > MAX_DOCX_RATIO * max(member.compress_size, 1):
                    return f"part {member.filename[:80]} inflates {member.file_size // max(member.compress_size, 1)} times"
                if member.filename.lower().endswith((".xml", ".rels")):
                    if member.file_size > MAX_DOCX_XML_BYTES:
                        return (f"part {member.filename[:80]} is {member.file_size} bytes of XML "
                                f"(more than {MAX_DOCX_XML_BYTES})")
                    with archive.open(member) as handle:
                        head = handle.read(8192)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        return f"part {member.filename[:80]} declares a DTD (a Word document never does)"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, EOFError) as exc:
        return f"not a readable zip: {type(exc).__name__}"
    return None


def _docx(data: bytes) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    refusal = _docx_refusal(data)
    if refusal is not None:
        return Extracted("", "broken", f"DOCX not read: {refusal}"[:300])
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        return Extracted("", "broken", f"unreadable DOCX: {type(exc).__name__}: {exc}"[:300])
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = []
            for cell in row.cells:
                if cell.text not in cells:  # merged cells repeat
                    cells.append(cell.text)
            lines.append(" | ".join(cells))
    return Extracted(tidy_text("\n".join(lines))[:MAX_CHARS], "ok", "DOCX")


def page_texts(data: bytes, content_type: str, filename: str | None) -> list[str]:
    """An attachment's text page by page (a PDF's pages; one page for anything else); never raises.

    For saying where an answer was found ("page 2 of the letter"); the classifier reads the whole text.
    """
    try:
        if len(data) <= MAX_BYTES and sniff(data, content_type, filename) == "pdf":
            import pypdf

            logging.getLogger("pypdf").setLevel(logging.ERROR)
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                return []
            return [tidy_text(page.extract_text() or "") for page in list(reader.pages)[:MAX_PAGES]]
    except Exception:  # a broken letter has no pages to point at
        return []
    extracted = extract_text(data, content_type, filename)
    return [extracted.text] if extracted.text else []

