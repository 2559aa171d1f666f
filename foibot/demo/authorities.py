"""The simulated authorities of `foibot demo`: who answers, when, and in what words.

The replies are our own text, written the way UK authorities write (a letter restating the questions, a
reference of their own in the subject, an attached PDF letter behind a one-line cover e-mail, a delivery
failure report, an out-of-office), so the demo shows foibot reading what real mailboxes receive.
Every builder gets the request exactly as the authority received it over SMTP and returns the reply's bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True)
class Received:
    """A request as its authority received it (read back from what the SMTP server was given)."""

    authority_id: str
    authority_name: str
    to_addr: str  # the authority's address
    from_name: str
    from_addr: str  # the campaigner
    reply_to: str  # where the campaigner asked replies to go
    message_id: str
    subject: str
    body: str


@dataclass(frozen=True)
class Script:
    """One authority's scripted behaviour: when it answers (days after sending, London time) and how."""

    authority_id: str
    behaviour: str  # what the demo says it will do
    arrives: str  # what the demo says when its mail comes
    after_days: int
    at: str  # "HH:MM", London time
    build: Callable[[Received, datetime], bytes]
    status: str  # what foibot should conclude: the request's status and outcome at the end
    outcome: str
    # Sent by the campaigner's own mail provider (a bounce) to the address the request came from,
    # rather than by the authority to the reply address.
    from_mail_system: bool = False
    # Once the bounce is filed, the campaigner sends the request again to the other address known for the
    # authority (`foibot readdress REF alt`).
    readdress: bool = False
    # The authority takes requests by web form only: the campaigner pastes the request into it by hand on
    # the day it is written (`foibot sent-by-hand`); the answer comes by e-mail.
    web_form: bool = False


def _reply(received: Received, when: datetime, subject: str, text: str, *, sender: str | None = None,
           sender_name: str = "", threaded: bool = True, to: str | None = None) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    domain = received.to_addr.rpartition("@")[2]
    msg["From"] = (
        f"{sender_name} <{sender or received.to_addr}>" if sender_name else (sender or received.to_addr)
    )
    msg["To"] = to or received.reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=domain)
    if threaded:
        msg["In-Reply-To"] = received.message_id
        msg["References"] = received.message_id
    msg.set_content(text)
    return msg


def _quoted(received: Received) -> str:
    """The request quoted under a reply, as most mail clients do it."""
    lines = [f"From: {received.from_name} <{received.from_addr}>", f"Subject: {received.subject}", ""]
    lines += received.body.splitlines()
    return "\n".join("> " + line if line else ">" for line in lines)


# --- the behaviours ---------------------------------------------------------------------------------------


def acknowledgement(received: Received, when: datetime) -> bytes:
    """Receipt confirmed under the authority's own reference; then nothing (so the chase ladder runs)."""
    text = f"""Dear {received.from_name},

Freedom of Information Request Reference No: 01/FOI/26/004512

Thank you for your e-mail of 2 March 2026 asking for information about contact between the
{received.authority_name} and the company Fusus.

Your request has been logged and will be dealt with under the Freedom of Information Act 2000. We aim
to send you a response within 20 working days of receiving it. Please quote the reference above in any
further correspondence about this request.

Yours sincerely,

Information Rights Unit
{received.authority_name}
"""
    subject = "Freedom of Information Request Reference No: 01/FOI/26/004512"
    return _reply(received, when, subject, text, sender_name="Information Rights Unit").as_bytes()


def not_held(received: Received, when: datetime) -> bytes:
    """A full answer in the body: each question restated, then "no contact, nothing held"."""
    text = f"""Our ref: 10482215
Your ref: {received.subject.rpartition("ref ")[2].rstrip("]")}

Dear {received.from_name},

Thank you for your request for information, which we received on 2 March 2026. We have dealt with it
under the Freedom of Information Act 2000.

1. Please confirm whether the council has been in contact with Fusus, and whether Fusus has approached
the council to sell its products or services.

We have searched the records of the teams responsible for CCTV, community safety and procurement. The
council has had no contact with Fusus, and Fusus has not approached the council. The council does not
hold any information falling within this part of your request.

2. Copies of those communications and any other documents that name Fusus.

Not applicable: as there has been no contact, no such communications or documents are held.

3. Has Fusus discussed using the council's CCTV or other infrastructure for a real-time crime centre?

No such discussions have taken place, and the council has not approached any organisation about
connecting its CCTV to Fusus products or to a real-time crime centre. No information is held.

If you are unhappy with how we have handled your request you may ask for an internal review within
40 working days of this response. If you remain dissatisfied you may then complain to the Information
Commissioner's Office.

Yours sincerely,

Alex Morgan
Information Management Officer
Information Management Team
{received.authority_name}
Direct line: 020 7946 0321
alex.morgan@{received.to_addr.rpartition("@")[2]}

{_quoted(received)}
"""
    subject = f"RE: {received.subject}"
    return _reply(received, when, subject, text, sender_name="Information Management Team").as_bytes()


def form_answer(received: Received, when: datetime) -> bytes:
    """The answer to a request sent through the authority's web form: by e-mail from its casework system,
    quoting our reference (the form had a box for it), not threaded to any message of ours."""
    text = f"""Dear {received.from_name},

Thank you for your request for information submitted through our online form on 2 March 2026, which we
have dealt with under the Freedom of Information Act 2000.

We have searched the records of our fire protection, procurement and control room teams. The fire
authority has had no contact with Fusus, and does not hold any information falling within the scope of
your request.

If you are unhappy with how we have handled your request you may ask for an internal review.

Information Governance
{received.authority_name}
"""
    return _reply(received, when, f"Your information request {received.subject.rpartition('[')[2].rstrip(']')}",
                  text, sender_name="Information Governance", threaded=False).as_bytes()


def refused(received: Received, when: datetime) -> bytes:
    """Held, but withheld under s43(2), with the public interest test written out."""
    text = f"""Dear {received.from_name},

Freedom of Information Request – Reference 1873/26

I write in response to your request for information about Fusus, received on 2 March 2026.

Having made enquiries, I must tell you that the information you asked for is exempt from disclosure
under section 43(2) of the Freedom of Information Act 2000 (commercial interests), and it will not be
released.

Section 43(2) is a qualified exemption, so we have considered the public interest.

Factors favouring disclosure: openness about how the force assesses new technology, and public
confidence in how public money might be spent.

Factors favouring non-disclosure: releasing a supplier's product roadmap and pricing, shared with us in
confidence during market engagement, would be likely to prejudice that supplier's commercial interests
and the force's ability to obtain best value in any future procurement.

Having weighed these factors, we consider that the public interest favours withholding the information.
Your request is therefore refused, and this e-mail is a refusal notice.

You may ask for an internal review of this decision within 40 working days. If you remain dissatisfied
after the review, you may complain to the Information Commissioner.

Yours sincerely,

Chris Doyle
Disclosure Officer
Information Management
{received.authority_name}
Tel: 0161 496 0550
"""
    subject = "Freedom of Information Request – Reference 1873/26"
    return _reply(received, when, subject, text, sender_name="Disclosure Officer", threaded=False).as_bytes()


def partially_provided(received: Received, when: datetime) -> bytes:
    """A one-line cover e-mail; the answer is the attached PDF letter (some released, names withheld)."""
    cover = f"""Dear {received.from_name},

Please find attached our response to your Freedom of Information request.

Kind regards,

Freedom of Information Office
{received.authority_name}
"""
    letter = [
        received.authority_name,
        "Freedom of Information Office",
        "",
        "Our reference: FOI/26/0412",
        f"Date: {when:%d %B %Y}",
        "",
        f"Dear {received.from_name},",
        "",
        "Thank you for your request for information about Fusus, received on 2 March 2026.",
        "We apologise for the delay in responding.",
        "",
        "1. Contact with Fusus",
        "The force holds some information. Fusus sent unsolicited marketing e-mails to two officers",
        "in 2025, offering a demonstration of its real-time crime centre software. No meeting took place.",
        "",
        "2. Copies of communications",
        "We have provided copies of the two e-mails with this letter. The names and contact details of",
        "the staff involved have been withheld under section 40(2) of the Act (personal information),",
        "because releasing them would breach the data protection principles.",
        "",
        "3. CCTV and a real-time crime centre",
        "No. Fusus has not discussed the use of the force's CCTV or other infrastructure, and the force",
        "has not approached any other organisation about connecting CCTV to Fusus products.",
        "",
        "We are therefore able to provide part of the information you asked for.",
        "",
        "If you are not satisfied with this response you may ask for an internal review.",
        "",
        "Freedom of Information Office",
    ]
    msg = _reply(
        received, when, f"RE: {received.subject}", cover, sender_name="Freedom of Information Office"
    )
    msg.add_attachment(
        simple_pdf(letter), maintype="application", subtype="pdf", filename="FOI 26-0412 response letter.pdf"
    )
    return msg.as_bytes()


def clarification(received: Received, when: datetime) -> bytes:
    """A question back: the clock stops until the campaigner answers."""
    text = f"""Dear {received.from_name},

Freedom of Information request ref CA3107

Thank you for your request of 2 March 2026.

Before we can respond we need you to clarify part of it. Question 3 asks about CCTV and other
infrastructure, including that of schools and hospitals. The Combined Authority does not own or operate
CCTV. Could you please clarify whether you are asking only about infrastructure that the Combined
Authority itself owns, or also about schemes that it funds but which are run by its constituent councils?

Under section 1(3) of the Freedom of Information Act 2000 we do not have to comply with your request
until we receive this clarification. The 20 working day period will start again on the day we receive
your reply.

Kind regards,

Democratic Services
{received.authority_name}
"""
    subject = f"RE: {received.subject} - clarification needed"
    return _reply(received, when, subject, text, sender_name="Democratic Services").as_bytes()


def out_of_office(received: Received, when: datetime) -> bytes:
    """An automatic reply from the office's mailbox: not an answer, so it changes nothing."""
    text = """Thank you for your e-mail.

I am out of the office until Monday 16 March 2026 with limited access to e-mail. Your message will be
dealt with on my return. For urgent matters please telephone the office.

This is an automatic reply.
"""
    msg = _reply(received, when, f"Automatic reply: {received.subject}", text, threaded=False)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Autoreply"] = "yes"
    return msg.as_bytes()


def bounce(received: Received, when: datetime) -> bytes:
    """The campaigner's own provider reports that the authority's address does not exist (a DSN)."""
    provider = received.from_addr.rpartition("@")[2]
    their_mx = f"mx.{received.to_addr.rpartition('@')[2]}"
    diagnostic = (
        f"550 5.1.1 <{received.to_addr}>: Recipient address rejected: User unknown in virtual mailbox table"
    )
    boundary = f"bounce-{zlib.crc32(received.message_id.encode()):08x}"
    # Written out by hand, as a mail server writes it: the stdlib's generator cannot build a
    # message/delivery-status part from text.
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@smtp.{provider}>",
        f"To: {received.from_addr}",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {format_datetime(when)}",
        f"Message-ID: {make_msgid(domain=f'smtp.{provider}')}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"This is the mail system at host smtp.{provider}.",
        "",
        "I'm sorry to have to inform you that your message could not be delivered to one or more",
        "recipients.",
        "",
        f"<{received.to_addr}>: host {their_mx} said:",
        f"    {diagnostic}",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; smtp.{provider}",
        f"Arrival-Date: {format_datetime(when)}",
        "",
        f"Final-Recipient: rfc822; {received.to_addr}",
        f"Original-Recipient: rfc822; {received.to_addr}",
        "Action: failed",
        "Status: 5.1.1",
        f"Remote-MTA: dns; {their_mx}",
        f"Diagnostic-Code: smtp; {diagnostic}",
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        f"From: {received.from_name} <{received.from_addr}>",
        f"To: {received.to_addr}",
        f"Subject: {received.subject}",
        f"Message-ID: {received.message_id}",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


# Who does what. Everybody else says nothing at all, so the chase ladder runs for them.
SCRIPTS: tuple[Script, ...] = (
    Script(
        "cumbria-pfcc",
        "its address is dead: the mail system bounces the request",
        "a delivery failure report",
        0,
        "10:01",
        bounce,
        "failed",
        "",
        from_mail_system=True,
    ),
    Script(
        "essex-police",
        "its address bounces; the campaigner sends it again to the other address the register knows",
        "a delivery failure report",
        0,
        "10:02",
        bounce,
        "internal_review",
        "",
        from_mail_system=True,
        readdress=True,
    ),
    Script(
        "avon-fire",
        "takes requests by web form only: the request is written out and pasted into the form by hand",
        "an answer by e-mail to the form request",
        11,
        "11:40",
        form_answer,
        "answered",
        "not_held",
        web_form=True,
    ),
    Script(
        "dorset-pcc",
        "an out-of-office reply, then silence",
        "an out-of-office reply",
        0,
        "10:03",
        out_of_office,
        "internal_review",
        "",
    ),
    Script(
        "the-met",
        "acknowledges with its own reference, then silence",
        "an acknowledgement",
        1,
        "11:20",
        acknowledgement,
        "internal_review",
        "",
    ),
    Script(
        "cambridgeshire-peterborough-ca",
        "asks what question 3 means, which stops the clock",
        "a request for clarification",
        3,
        "15:05",
        clarification,
        "awaiting_clarification",
        "",
    ),
    Script(
        "barnet", "answers on time: nothing held", "an answer", 18, "14:30", not_held, "answered", "not_held"
    ),
    Script(
        "gmp",
        "refuses under section 43(2), commercial interests",
        "a refusal",
        24,
        "16:45",
        refused,
        "answered",
        "refused",
    ),
    Script(
        "kent-police",
        "answers late, after the reminder, in a PDF letter: partly provided",
        "a cover note with a PDF letter",
        37,
        "12:10",
        partially_provided,
        "answered",
        "partially_provided",
    ),
)


# --- a PDF letter, written with nothing but the standard library -------------------------------------------


def simple_pdf(lines: list[str]) -> bytes:
    """A one-page PDF (PDF 1.4, Helvetica) with these lines of text; text extractors read it back."""
    return simple_pdf_pages([lines])


def simple_pdf_pages(pages: list[list[str]]) -> bytes:
    """A PDF with one page per list of lines (PDF 1.4, Helvetica)."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    count = len(pages)
    kids = " ".join(f"{3 + 2 * n} 0 R" for n in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
    ]
    font = 3 + 2 * count
    for n, lines in enumerate(pages):
        body = ["BT", "/F1 11 Tf", "14 TL", "60 790 Td"]
        for line in lines:
            body.append(f"({escape(line)}) Tj T*")
        body.append("ET")
        stream = zlib.compress("\n".join(body).encode("cp1252", "replace"))
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font} 0 R >> >> "
            f"/Contents {4 + 2 * n} 0 R >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n"
                       + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
