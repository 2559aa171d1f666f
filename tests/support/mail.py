"""Mail built in code for the tests: an authority's reply (`reply`), a bounce (`dsn`), PDF and DOCX letters and
whole messages carrying them.

The PDF is written by hand (a few objects and a cross-reference table), so that the test of the PDF reader
does not depend on the PDF writer it tests against; DOCX comes from python-docx, as an authority's would.
"""


from __future__ import annotations

import email
import io
import itertools
from collections.abc import Iterable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "replies"


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds `lines` (Helvetica, one line each)."""
    content = ["BT", "/F1 11 Tf", "14 TL", "50 790 Td"]
    for line in lines:
        content.append(f"({_pdf_escape(line)}) Tj T*")
    content.append("ET")
    stream = "\n".join(content).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return pdf_file(objects, header=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")


def pdf_file(objects: list[bytes], header: bytes = b"%PDF-1.4\n") -> bytes:
    """A PDF file around its objects, numbered from 1 (the first is the catalog): each `n 0 obj`, the
    cross-reference table of their offsets and the trailer."""
    out = io.BytesIO()
    out.write(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypt_pdf(data: bytes, user_password: str) -> bytes:
    """The same PDF, encrypted (an empty user password opens it; any other needs that password)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def message(body: str | None = None, *, subject: str = "RE: Freedom of Information request: Fusus [ref FB-7K3Q98]",
            html: str | None = None, attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
            headers: dict[str, str] | None = None, sender: str = "FOI Team <foi@northshire.gov.uk>") -> bytes:
    """A whole reply as bytes: plain and/or HTML body, attachments as (filename, content type, data)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "campaigner+fb-7k3q98@example.org"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2023, 5, 12, 14, 30, tzinfo=UTC))
    msg["Message-ID"] = "<reply-1@northshire.gov.uk>"
    msg["In-Reply-To"] = "<fb-7k3q98.request@example.org>"
    for name, value in (headers or {}).items():
        msg[name] = value
    add_content(msg, body, html, attachments)
    return msg.as_bytes()


def add_content(msg: EmailMessage, body: str | None, html: str | None,
                attachments: Iterable[tuple[str, str, bytes]] = ()) -> None:
    """Plain and/or HTML body (multipart/alternative when both), then attachments as (filename, content
    type, data); a message/rfc822 one is attached whole, as a forwarded message is."""
    if body is not None:
        msg.set_content(body)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for filename, ctype, data in attachments:
        maintype, _, subtype = ctype.partition("/")
        if ctype == "message/rfc822":
            msg.add_attachment(email.message_from_bytes(data, policy=msg.policy))
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)


COVER_NOTE = "Dear A. Campaigner,\n\nPlease find attached our response to your request.\n\nInformation Rights Team\n"

REFUSAL_LETTER = [
    "Our ref: NS-FOI-23-0871",
    "Dear A. Campaigner",
    "Freedom of Information Act 2000: Fusus",
    "The force holds correspondence with Fusus. We have decided that it is exempt from",
    "disclosure under section 43(2) of the Act, because its release would be likely to",
    "prejudice the commercial interests of the company.",
    "If you are dissatisfied you may ask for an internal review.",
]

NOT_HELD_LETTER = [
    "Our reference: 7720431",
    "Dear A. Campaigner",
    "The council does not hold any information within the scope of your request.",
    "The council has not been in contact with Fusus.",
]


# For the review queue (test_review, test_web): a reply that says little (the reader cannot be sure what it
# is), a plain answer it is sure of, and a later refusal that would change that outcome.
VAGUE_REPLY = ("Hello,\n\nPlease see the information below regarding the matter you raised.\n\nRegards,\n"
               "Information Team\n")
SURE_NOT_HELD = ("Dear Requester,\n\nThank you for your request for information.\n\nThe council does not hold "
                 "any information about Fusus. No communications with Fusus have been received.\n\nYours "
                 "sincerely,\nInformation Governance Team\n")
LATER_REFUSAL = ("Dear Requester,\n\nFurther to our earlier letter, we have located further records. The "
                 "information you requested is exempt under section 43(2) of the Freedom of Information Act 2000 "
                 "and is withheld.\n\nYours sincerely,\nInformation Governance Team\n")


_counter = itertools.count(1)


def reply(*, from_addr: str, to: str, subject: str, body: str | None = "Thank you for your request.",
          html: str | None = None, in_reply_to: str | None = None, references: list[str] | None = None,
          attachments: list[tuple[str, str, bytes]] = (), headers: dict[str, str] | None = None,
          message_id: str | None = None, date: datetime | None = None, from_name: str = "FOI Team") -> bytes:
    """An authority's reply as bytes. attachments: (filename, content type, data)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{from_name} <{from_addr}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 3, 20, 11, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(f"r{next(_counter)}", domain=from_addr.rpartition("@")[2])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    add_content(msg, body, html, attachments)
    return msg.as_bytes()


def reply_to(original: EmailMessage, *, to: str, body: str, date: datetime, references: bool = False) -> bytes:
    """The authority's answer to a request we sent (`original`, as the SMTP server received it): from the
    address it went to, "RE:" its subject, In-Reply-To (and, with `references`, References) its Message-ID."""
    return reply(from_addr=original["To"].addresses[0].addr_spec, to=to, subject=f"RE: {original['Subject']}",
                 body=body, in_reply_to=original["Message-ID"],
                 references=[original["Message-ID"]] if references else None, date=date)


def minimal_pdf(*lines: str) -> bytes:
    """A small valid PDF whose text pypdf can read (one page, Helvetica): the classifier tests' builder."""
    return make_pdf(list(lines))


def dsn(*, failed: str, original_message_id: str | None, original_subject: str, to: str,
        status: str = "5.1.1", diagnostic: str = "smtp; 550 5.1.1 <{failed}>: Recipient address rejected: "
        "User unknown in virtual mailbox table", reporter: str = "mx.mail.example",
        date: datetime | None = None) -> bytes:
    """A delivery status notification (RFC 3464) as a mail server sends it: report, status, returned headers."""
    boundary = "dsn-boundary-42"
    returned = f"From: A. Campaigner <{to}>\r\nTo: {failed}\r\nSubject: {original_subject}\r\n"
    if original_message_id:
        returned += f"Message-ID: {original_message_id}\r\n"
    text = (
        f"From: Mail Delivery System <MAILER-DAEMON@{reporter}>\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(date or datetime(2026, 3, 20, 10, 5, tzinfo=UTC))}\r\n"
        f"Message-ID: <dsn.{abs(hash((failed, original_message_id)))}@{reporter}>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host {reporter}.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<{failed}>: host {reporter} said: 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {reporter}\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\n"
        f"Original-Recipient: rfc822; {failed}\r\n"
        "Action: failed\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: {diagnostic.format(failed=failed)}\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"{returned}\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode()
