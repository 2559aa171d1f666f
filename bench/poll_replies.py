"""Replies for the poll benchmark, shaped as the ones a campaign's mailbox really holds (in our own words).

Each is a few KB: a dozen and more trace and transport headers as Microsoft 365 and Exchange add them
(Received, DKIM, ARC, Thread-Index, ...), a letter (acknowledgement, refusal, answers to the questions,
extension, clarification, not held) with a signature and a disclaimer, usually quoting our request with its
reference. Most are Outlook-style multipart/alternative (plain and HTML, quoted-printable), some plain text
quoted with "> ", some HTML only; a few are out-of-office replies, delivery failures (DSNs) and newsletters.
Every tenth message exercises one matching layer in turn (In-Reply-To, plus address, reference in the
subject or body, sender domain, a stranger), as before, so the pass files and triages in the same shares.
"""

from __future__ import annotations

import html
import quopri
import random
from datetime import datetime, timedelta
from email.utils import format_datetime

LETTERS = {
    "acknowledgement": [
        "Thank you for your request for information, which we received on {received}.",
        ("Your request has been logged under reference FOI-{n} and will be dealt with under the Freedom of "
        "Information Act 2000. We aim to respond within 20 working days, that is by {due}."),
        ("If you have any questions about the progress of your request, please contact the Information "
        "Governance Team quoting the reference above."),
    ],
    "not_held": [
        ("Thank you for your request for information received on {received}, which has been logged as "
        "FOI-{n}."),
        ("We have processed your request under the Freedom of Information Act 2000. Having searched the "
        "records of the services most likely to hold it, including Community Safety and Procurement, the "
        "council does not hold the information you asked for: we have had no contact with the company named "
        "in your request and have not been approached by it."),
        ("If you are unhappy with the way your request has been handled, you may ask for an internal review "
        "within 40 working days of the date of this letter. If you remain dissatisfied you may complain to "
        "the Information Commissioner's Office."),
    ],
    "refused": [
        "Thank you for your request received on {received} (our reference FOI-{n}).",
        ("We hold some of the information you asked for. We are withholding the remainder under section 43(2) "
        "of the Act (commercial interests); the public interest in maintaining the exemption outweighs the "
        "public interest in disclosure, because release would prejudice the supplier's position in a live "
        "procurement."),
        "Names of junior officers have been withheld under section 40(2) (personal information).",
        "You may ask for an internal review of this decision within 40 working days.",
    ],
    "provided": [
        ("Thank you for your request received on {received}; please find our response below (reference "
        "FOI-{n})."),
        ("1. Has the council been in communication with Fusus? Yes. The council received two unsolicited "
        "e-mails from the company's sales team in March 2023; neither was answered."),
        ("2. Copies of those communications: please see the text of both e-mails reproduced at the end of "
        "this letter, with the names of the sender's staff removed."),
        ("3. Has the use of council CCTV for a real-time crime centre been discussed? No. There has been no "
        "discussion with the company about CCTV or any other infrastructure."),
        "If you are unhappy with this response you may ask for an internal review within 40 working days.",
    ],
    "extension": [
        "We are writing about your request for information received on {received} (FOI-{n}).",
        ("We are considering whether the public interest favours disclosure under section 43 and need more "
        "time to do so. Section 10(3) of the Act allows a reasonable extension; we now expect to respond by "
        "{extended}."),
        "We apologise for the delay.",
    ],
    "clarification": [
        "Thank you for your request received on {received} (FOI-{n}).",
        ("Before we can deal with it, could you please clarify what period your request covers, and whether by "
        "'communications' you mean e-mails only or also meeting notes and call logs? The time for our "
        "response starts again when we receive your clarification."),
    ],
}
SIGNATURE = ("Kind regards,\n\n{person}\nInformation Governance Officer\nInformation Governance Team\n"
             "Public Body {n_body} | Civic Centre, High Street\nTel: 020 7946 {phone:04d}")
DISCLAIMER = ("This e-mail and any attachments are confidential and intended solely for the addressee. If you "
              "have received it in error, please tell the sender and delete it. Any views expressed are "
              "those of the author and not necessarily those of the council. This e-mail has been scanned "
              "for viruses, but we cannot accept liability for any damage it may cause.")
PEOPLE = ("Sam Okafor", "Priya Raman", "Tom Hughes", "Alison Grey", "Kwame Mensah", "Joanna Wild")
OUT_OF_OFFICE = ("Thank you for your e-mail. I am out of the office until Monday with limited access to "
                 "e-mail. For urgent matters please contact the Information Governance Team on 020 7946 0000.")
NEWSLETTER = ("<p>This week's offers on garden furniture: up to 40% off selected lines.</p>"
              "<p><a href='https://shop.example/unsubscribe'>Unsubscribe</a></p>")


def _qp(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")


def _transport_headers(rng: random.Random, sender_domain: str, n: int, moment: datetime) -> str:
    """What a Microsoft 365 tenant and two relays add: about 2 KB, the bulk of a short reply's header."""
    date = format_datetime(moment)
    hexid = f"{rng.getrandbits(64):016x}"
    lines = [
        (f"Received: from mx.campaign.example (mx.campaign.example [192.0.2.{n % 250 + 1}])\r\n\tby imap.campaign"
        f".example with LMTP id {hexid}\r\n\tfor <campaigner@campaign.example>; {date}"),
        (f"Received: from EUR02-AM0-obe.outbound.protection.outlook.com (mail-am0eur02on{n % 900 + 100}.outbound"
        f".protection.outlook.com [40.107.{n % 250}.{n % 200}])\r\n\tby mx.campaign.example (Postfix) with ESMTPS "
        f"id {hexid[:10].upper()}\r\n\tfor <campaigner@campaign.example>; {date}"),
        (f"Received: from DB9PR01MB{n % 9000:04d}.eurprd01.prod.exchangelabs.com\r\n\t(2603:10a6:10:{n % 999:x}::"
        f"{n % 77:x}) by AM0PR01MB{n % 8000:04d}.eurprd01.prod.exchangelabs.com with HTTPS; {date}"),
        (f"ARC-Seal: i=1; a=rsa-sha256; s=arcselector9901; d=microsoft.com; cv=none;\r\n b={hexid * 6}\r\n "
        f"{hexid * 5}=="),
        (f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={sender_domain};\r\n s=selector1; "
        f"h=From:Date:Subject:Message-ID:Content-Type:MIME-Version;\r\n bh={hexid * 2}=;\r\n "
        f"b={hexid * 5}\r\n {hexid * 4}=="),
        (f"Authentication-Results: mx.campaign.example; dkim=pass (2048-bit key) header.d={sender_domain};\r\n"
        f" spf=pass smtp.mailfrom={sender_domain}; dmarc=pass header.from={sender_domain}"),
        f"Thread-Topic: {'Freedom of Information request' if n % 3 else 'FOI request'}",
        f"Thread-Index: AQHZ{hexid[:12]}{hexid[:14]}==",
        "Accept-Language: en-GB, en-US",
        "Content-Language: en-GB",
        "X-MS-Has-Attach: ",
        "X-MS-TNEF-Correlator: ",
        f"x-ms-publictraffictype: Email\r\nx-ms-traffictypediagnostic: DB9PR01MB{n % 9000:04d}:EE_",
        (f"X-MS-Exchange-Organization-SCL: 1\r\nX-MS-Exchange-CrossTenant-id: {hexid[:8]}-{hexid[8:12]}-"
        f"{hexid[12:16]}-0000-{hexid[:12]}"),
        "X-MS-Exchange-CrossTenant-originalarrivaltime: " + date,
    ]
    return "\r\n".join(lines) + "\r\n"


def _letter(kind: str, n: int, rng: random.Random, sent: datetime, name: str) -> list[str]:
    values = {"received": format(sent + timedelta(days=1), "%-d %B %Y"), "n": 900000 + n,
              "due": format(sent + timedelta(days=29), "%-d %B %Y"),
              "extended": format(sent + timedelta(days=49), "%-d %B %Y")}
    paragraphs = [f"Dear {name},"] + [p.format(**values) for p in LETTERS[kind]]
    signature = SIGNATURE.format(person=PEOPLE[n % len(PEOPLE)], n_body=n % 300, phone=n % 10000)
    return paragraphs + [signature]


def _plain(paragraphs: list[str], quoted: str | None, style: str) -> str:
    text = "\n\n".join(paragraphs)
    if quoted and style == ">":
        text += "\n\n" + "\n".join("> " + line if line else ">" for line in quoted.split("\n"))
    elif quoted:
        text += "\n\n" + quoted
    return text + "\n\n" + DISCLAIMER + "\n"


def _html(paragraphs: list[str], quoted: str | None) -> str:
    body = "".join(f'<p class="MsoNormal">{html.escape(p).replace(chr(10), "<br>")}</p>\n' for p in paragraphs)
    quote = ""
    if quoted:
        quote = ('<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
                 + "".join(f'<p class="MsoNormal">{html.escape(line) or "&nbsp;"}</p>\n'
                           for line in quoted.split("\n")) + "</div>\n")
    return ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>\n<meta http-equiv="Content-Type" '
            'content="text/html; charset=utf-8">\n<style><!--\np.MsoNormal, li.MsoNormal {margin:0cm; '
            'font-size:11.0pt; font-family:"Calibri",sans-serif;}\na:link {color:#0563C1;}\n'
            '.MsoChpDefault {mso-style-type:export-only;}\n--></style></head>\n<body lang="EN-GB" '
            'link="#0563C1" vlink="#954F72" style="word-wrap:break-word">\n<div class="WordSection1">\n'
            f"{body}{quote}"
            f'<p class="MsoNormal"><span style="font-size:8.0pt;color:gray">{html.escape(DISCLAIMER)}</span></p>\n'
            '<div style="display:none">tracking 1x1</div>\n</div>\n</body>\n</html>\n')


def reply(r: dict, user: str, n: int, sent: datetime, seed: int) -> bytes:
    """The n-th reply: request r's authority answering (or a stranger, or a machine)."""
    rng = random.Random(seed * 1_000_003 + n)
    local, _, domain = user.rpartition("@")
    layer = n % 10
    sender = r["authority_email"].replace("foi@", "records@") if layer == 7 else r["authority_email"]
    sender_domain = sender.rpartition("@")[2]
    to = user
    subject = "Your request for information"
    extra = ""
    quoted = None
    moment = sent + timedelta(days=1 + n % 20, minutes=n)
    original = (f"From: Bench Campaigner <{user}>\nSent: {format(sent, '%d %B %Y %H:%M')}\nTo: "
                f"{r['authority_email']}\nSubject: {r['subject']}\n\n{r['text']}")
    if layer in (0, 1, 2):
        extra += f"In-Reply-To: {r['message_id']}\r\nReferences: {r['message_id']}\r\n"
        subject = "RE: " + r["subject"]
        quoted = original
    elif layer in (3, 4):
        to = f"{local}+{r['reference'].lower()}@{domain}"
        quoted = original if n % 2 else None
    elif layer == 5:
        subject = f"FOI {9000000 + n} - your request [ref {r['reference']}]"
    elif layer == 6:
        quoted = original
    kind = list(LETTERS)[rng.randrange(len(LETTERS))]
    shape = ("alternative", "alternative", "alternative", "alternative", "plain", "plain", "plain",
             "html", "html", "alternative")[rng.randrange(10)]
    if layer == 8:  # a stranger's newsletter
        sender, sender_domain, subject, kind, shape = f"offers{n}@shop.example", "shop.example", \
            "Offers this week", "newsletter", "html"
    elif layer == 9 and n % 20 == 9:
        extra += "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n"
        subject = "Automatic reply: " + r["subject"]
        kind, shape, quoted = "out_of_office", "plain", None
    elif layer == 9 and n % 100 == 19:
        return _dsn(r, user, n, moment, rng)
    head = (_transport_headers(rng, sender_domain, n, moment)
            + f"From: FOI Team <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {format_datetime(moment)}\r\n"
            f"Message-ID: <bench.{n}.{seed}.{rng.getrandbits(32):08x}@{sender_domain}>\r\n{extra}MIME-Version: 1.0\r\n")
    if kind == "newsletter":
        return _bytes(head + "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: "
                      f"quoted-printable\r\n\r\n{_qp('<html><body>' + NEWSLETTER + '</body></html>')}")
    if kind == "out_of_office":
        return _bytes(head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + OUT_OF_OFFICE + "\r\n")
    paragraphs = _letter(kind, n, rng, sent, "Bench Campaigner")
    if shape == "plain":
        text = _plain(paragraphs, quoted, ">" if layer in (0, 1, 2) else "outlook")
        return _bytes(head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                      + text)
    page = _html(paragraphs, quoted)
    if shape == "html":
        return _bytes(head + "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: "
                      f"quoted-printable\r\n\r\n{_qp(page)}")
    boundary = f"_000_DB9PR01MB{n:06d}eurprd01prod_"
    return _bytes(
        head + f'Content-Type: multipart/alternative;\r\n\tboundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: "
        f"quoted-printable\r\n\r\n{_qp(_plain(paragraphs, quoted, 'outlook'))}\r\n"
        f"--{boundary}\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: "
        f"quoted-printable\r\n\r\n{_qp(page)}\r\n--{boundary}--\r\n")


def _dsn(r: dict, user: str, n: int, moment: datetime, rng: random.Random) -> bytes:
    """A Postfix-style delivery failure of our request to the authority."""
    boundary = f"{rng.getrandbits(40):010X}.{n}/mx.campaign.example"
    return _bytes(
        f"From: MAILER-DAEMON@mx.campaign.example (Mail Delivery System)\r\nTo: {user}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nDate: {format_datetime(moment)}\r\n"
        f"Message-ID: <dsn.{n}.{rng.getrandbits(32):08x}@mx.campaign.example>\r\nAuto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\n\r\n--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
        "This is the mail system at host mx.campaign.example.\r\n\r\nI'm sorry to have to inform you that your "
        "message could not be delivered to one or more recipients.\r\n\r\n"
        f"<{r['authority_email']}>: host mail.example said: 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.campaign.example\r\n"
        f"\r\nFinal-Recipient: rfc822; {r['authority_email']}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n--{boundary}\r\n"
        f"Content-Type: text/rfc822-headers\r\n\r\nFrom: Bench Campaigner <{user}>\r\nTo: {r['authority_email']}\r\n"
        f"Subject: {r['subject']}\r\nMessage-ID: {r['message_id']}\r\n\r\n--{boundary}--\r\n")


def _bytes(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def replies(requests: list[dict], user: str, count: int, sent: datetime, seed: int = 1) -> list[bytes]:
    """`count` replies to `requests` (dicts with reference, authority_email, message_id, subject and the
    text of our request as sent)."""
    return [reply(requests[n % len(requests)], user, n, sent, seed) for n in range(count)]
