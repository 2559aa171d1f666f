"""Hostile replies built in code: each shape an attacker (or bad luck) can send foibot, as bytes.

Every generator here is the project's own, written from the shapes in issue 13 (nothing copied from real
mail): a Date past the last datetime, a PDF whose pages share one huge content stream, digit runs that made a
classifier phrase quadratic, header values of unterminated encoded words, DOCX bombs, a huge HTML-only reply,
forged bounces and forged senders. `message()` wraps a body or an attachment in an ordinary reply's headers.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from email.message import EmailMessage

from support.mail import pdf_file

AUTHORITY = "foi@barnet.gov.uk"


def message(body: str = "Thank you for your request.", *, subject: str = "Your FOI request",
            sender: str = AUTHORITY, to: str = "campaigner@example.org", message_id: str = "<h1@barnet.gov.uk>",
            date: str = "Tue, 16 May 2023 10:00:00 +0100", html: str | None = None,
            attachment: tuple[bytes, str, str] | None = None, headers: dict[str, str] | None = None) -> bytes:
    """An ordinary reply's headers around a body (text, or HTML only) and at most one attachment."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    if attachment is not None:
        data, ctype, filename = attachment
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def raw_message(head: str, body: str = "Thank you for your request.\r\n") -> bytes:
    """Headers written by hand (shapes EmailMessage would refuse to make), then the body."""
    return (head.replace("\r\n", "\n").replace("\n", "\r\n").rstrip("\r\n") + "\r\n\r\n" + body).encode(
        "utf-8", errors="surrogateescape")


# --- headers -------------------------------------------------------------------------------------------

def future_date() -> bytes:
    """Defect 1: year 9999 with a negative offset is past datetime.max once in UTC."""
    return raw_message("From: foi@barnet.gov.uk\nTo: campaigner@example.org\nSubject: Your request\n"
                       "Date: Fri, 31 Dec 9999 23:59:59 -1200\nMessage-ID: <future@barnet.gov.uk>")


def long_encoded_subject(size: int = 128 * 1024) -> bytes:
    """Defect 4: a Subject of unterminated encoded words (quadratic in the standard library's parsers)."""
    word = "=?utf-8?q?a"
    subject = word * (size // len(word))
    return raw_message(f"From: foi@barnet.gov.uk\nTo: campaigner@example.org\nSubject: {subject}\n"
                       "Date: Tue, 16 May 2023 10:00:00 +0100\nMessage-ID: <subject@barnet.gov.uk>")


# --- bodies ----------------------------------------------------------------------------------------------

def digit_run(size: int = 200_000) -> bytes:
    """Defect 3: a run of digits (the shape that made `\\b\\d[\\d,]* (?:incidents?|...)` quadratic)."""
    return message("We hold the following figures: " + "1" * size, message_id="<digits@barnet.gov.uk>")


def huge_html(size: int = 12 * 1024 * 1024) -> bytes:
    """Defect 7: an HTML-only reply of many small elements (BeautifulSoup: over 1.5 GB for 12 MB)."""
    cell = "<div><p>x</p></div>"
    return message(html="<html><body>" + cell * (size // len(cell)) + "</body></html>",
                   message_id="<html@barnet.gov.uk>")


def huge_text(size: int = 30 * 1024 * 1024) -> bytes:
    """Low: a 30 MB plain-text reply (minutes and 660 MB before the caps)."""
    line = "Please find our response to your request below and the figures in the table.\n"
    return message(line * (size // len(line)), message_id="<text@barnet.gov.uk>")


# --- attachments -------------------------------------------------------------------------------------------

def shared_stream_pdf(pages: int = 300, stream_bytes: int = 4 * 1024 * 1024) -> bytes:
    """Defect 2: a small PDF whose pages all share one big compressed content stream."""
    line = b"BT /F1 11 Tf 50 790 Td (We hold no information) Tj ET\n"
    stream = zlib.compress(line * (stream_bytes // len(line)), 9)
    kids = " ".join(f"{4 + n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream
        + b"\nendstream",
    ]
    font = 4 + pages
    for _ in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_file(objects)


_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                  b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
                  b'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                  b'xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" '
                  b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                  b'</Types>')
_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(document_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document_xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_letter(text: str) -> bytes:
    """A plain, small DOCX letter (for the tests that a normal one still reads)."""
    return _docx(b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + _W + b'><w:body><w:p><w:r><w:t>'
                 + text.encode() + b'</w:t></w:r></w:p></w:body></w:document>')


def docx_xml_bomb(paragraphs: int = 3_000_000) -> bytes:
    """Defect 5: a document.xml that compresses to a few hundred KB and parses to gigabytes."""
    body = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * paragraphs
    return _docx(b'<?xml version="1.0" encoding="UTF-8"?><w:document ' + _W + b"><w:body>" + body
                 + b"</w:body></w:document>")


def docx_entity_bomb() -> bytes:
    """Defect 5: the billion laughs, in document.xml."""
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{n} "{("&a" + str(n - 1) + ";") * 10}">'
                                              for n in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document '
           f'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&a9;'
           f'</w:t></w:r></w:p></w:body></w:document>').encode()
    return _docx(xml)


def docx_image_bomb(size: int = 2 * 1024 * 1024 * 1024) -> bytes:
    """Defect 5: a DOCX with an image part that inflates to `size` bytes (python-docx loads every part).
    Written as a stored zip entry header claiming the size, with the deflated zeros streamed in."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", b'<?xml version="1.0"?><w:document ' + _W
                         + b"><w:body><w:p><w:r><w:t>Letter</w:t></w:r></w:p></w:body></w:document>")
        with archive.open("word/media/image1.png", "w", force_zip64=True) as handle:
            chunk = bytes(16 * 1024 * 1024)
            for _ in range(size // len(chunk)):
                handle.write(chunk)
    return out.getvalue()
