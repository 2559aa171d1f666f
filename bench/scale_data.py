"""Data for the scale benchmark: an authorities list of any size, and a mailbox of replies to a sent run.

Both are generated (deterministic for a seed) and written in the project's own words. The authorities are
spread as real UK ones are: most have a domain of their own (.gov.uk, .police.uk, .nhs.uk, .gov.scot,
.gov.wales), a police force and its commissioner often share one, and a few case-management services
receive the requests of many bodies. The replies are the mix a campaign's mailbox holds: answers quoting
our reference in each of the ways the matcher looks for it, HTML-only mail, letters as small PDF
attachments, out-of-office replies, delivery failures (DSNs), and mail that is no reply at all.
"""

from __future__ import annotations

import base64
import quopri
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

from support.mail import make_pdf  # tests/support: the hand-written PDF the reader tests use

_FIRST = ("ash", "brad", "chel", "dun", "el", "far", "glen", "hal", "kings", "lang", "mar", "nor", "old", "pen",
          "rad", "sal", "thorn", "up", "wal", "whit", "ave", "bar", "cran", "dor", "har", "lin", "mel", "rother",
          "stan", "wes")
_SECOND = ("", "bridge", "church", "dale", "green", "hill", "lee", "more", "stone", "water", "wood", "brook",
           "cliffe", "ing", "over", "well", "ridge", "marsh", "mill", "ton")
_SUFFIX = ("ford", "ham", "ton", "bury", "field", "wick", "ley", "mouth", "port", "stead", "by", "worth",
           "minster", "chester", "shire", "borough", "combe")
_LOCALS = ("foi", "foi", "foi", "FOI", "foirequests", "information.governance", "dataprotection",
           "info.requests", "freedomofinformation", "foi.team")
_PLATFORMS = ("casework-hub.co.uk", "foi-requests.org.uk", "infogov-services.co.uk", "publicbody-mail.net")
# (kind, share, jurisdictions with weights, domain ending, name pattern)
_KINDS = (
    ("council", 40, "{Place} Borough Council", ".gov.uk"),
    ("nhs_body", 18, "{Place} NHS Foundation Trust", ".nhs.uk"),
    ("other_public_body", 17, "{Place} Valley Parks Authority", ".org.uk"),
    ("police_force", 6, "{Place} Constabulary", ".police.uk"),
    ("police_commissioner", 6, "Police and Crime Commissioner for {Place}", ".police.uk"),
    ("fire_authority", 6, "{Place} Fire and Rescue Authority", ".gov.uk"),
    ("government_department", 4, "Office for {Place} Affairs", ".gov.uk"),
    ("combined_authority", 3, "{Place} Combined Authority", ".gov.uk"),
)
_JURISDICTIONS = (("england", 80), ("scotland", 9), ("wales", 6), ("northern_ireland", 3), ("uk", 2))


def place_name(n: int) -> str:
    """A distinct made-up place name for every n below 30 x 20 x 17 = 10,200 (then numbered)."""
    base = len(_FIRST) * len(_SECOND) * len(_SUFFIX)
    i = n % base
    name = _FIRST[i % len(_FIRST)] + _SECOND[(i // len(_FIRST)) % len(_SECOND)] + \
        _SUFFIX[(i // (len(_FIRST) * len(_SECOND))) % len(_SUFFIX)]
    return name + (str(n // base) if n >= base else "")


def authorities_csv(count: int, seed: int = 7) -> str:
    """`count` valid, distinct authorities (ids, names and addresses) as the CSV `foibot send` reads."""
    rng = random.Random(seed)
    kinds = [k for k in _KINDS for _ in range(k[1])]
    jurisdictions = [j for j, weight in _JURISDICTIONS for _ in range(weight)]
    rows = ["id,name,email,kind,jurisdiction"]
    last_police_domain = ""
    for n in range(count):
        kind, _share, pattern, ending = kinds[rng.randrange(len(kinds))]
        jurisdiction = jurisdictions[rng.randrange(len(jurisdictions))]
        if jurisdiction == "uk" and kind not in ("government_department", "other_public_body"):
            jurisdiction = "england"
        place = place_name(n)
        slug = place.replace(" ", "")
        if jurisdiction == "scotland" and ending == ".gov.uk":
            ending = ".gov.scot"
        elif jurisdiction == "wales" and ending == ".gov.uk" and rng.random() < 0.5:
            ending = ".gov.wales"
        domain = f"{slug}{ending}"
        local = _LOCALS[rng.randrange(len(_LOCALS))]
        roll = rng.random()
        if kind == "police_commissioner" and last_police_domain and roll < 0.5:
            domain, local = last_police_domain, f"opcc.{local.lower()}"  # shares the force's domain, once
            last_police_domain = ""
        elif roll < 0.05:  # a case-management service that receives many bodies' requests
            domain, local = _PLATFORMS[rng.randrange(len(_PLATFORMS))], f"{slug}.foi"
        elif kind == "police_force" and roll < 0.4:
            domain = f"{slug}.pnn.police.uk"
        if kind == "police_force" and domain not in _PLATFORMS:
            last_police_domain = domain
        name = pattern.format(Place=place.capitalize())
        rows.append(f"{kind[:3]}-{slug}-{n},{name},{local}@{domain},{kind},{jurisdiction}")
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class SentRequest:
    """What the replies refer to: one request of the sent run, as stored."""

    reference: str
    authority_email: str
    message_id: str
    subject: str


_OPENINGS = (
    ("Thank you for your request for information received on {day}. It has been logged under our reference "
     "FOI/{n:06d} and we will respond within 20 working days."),
    ("I can confirm that the {body} does not hold the information you have requested. We have no record of "
     "any contact with the company named in your request."),
    ("We hold some of the information. The remainder is withheld under section 43(2) of the Freedom of "
     "Information Act 2000 (commercial interests); the public interest favours maintaining the exemption."),
    ("Please find our response below. We have had no meetings with Fusus. The only record is one unsolicited "
     "marketing e-mail of 3 May 2023, a copy of which is attached with personal data removed under section 40(2)."),
    ("The {body} can neither confirm nor deny whether it holds the information you requested, by virtue of "
     "sections 24(2) and 31(3) of the Act."),
    ("Before we can respond, please could you clarify which period your request covers, and whether by "
     "'infrastructure' you mean cameras owned by the {body} only."),
    "We need more time to consider the public interest test. We now expect to respond by 30 April 2026.",
    ("Your request is refused under section 12 of the Act: complying with it would exceed the appropriate "
     "limit of 18 hours."),
)
_QUOTE = ("\n\n-----Original Message-----\nFrom: Scale Campaigner\nSent: 2 March 2026 10:00\nSubject: {subject}"
          "\n\nUnder the Freedom of Information Act 2000 I would like to request the following information: "
          "whether you have been in contact with Fusus, copies of any communications, and whether Fusus "
          "discussed using your CCTV for a real-time crime centre.\n\nPlease quote our reference {reference} "
          "in your reply.\n")
_UNRELATED = (
    ("Spring offers on office chairs", "Save 20% on ergonomic seating this week only. Unsubscribe below."),
    ("Your parcel is on its way", "Your order 55123 was dispatched today and will arrive tomorrow."),
    ("Team lunch on Friday", "Shall we book the usual place for half past twelve? Let me know by Thursday."),
    ("Newsletter: local democracy digest", "This month: ward boundary reviews and a new planning portal."),
)


_SIGNATURE = ("Information Governance Team\n{body} Offices, Market Street\nTel: 01632 960{n3:03d}\n\n"
              "This e-mail and any attachment are confidential and may be legally privileged. If you are not "
              "the intended recipient, please tell the sender and delete it; do not copy, use or disclose it. "
              "E-mail sent to or from the {body} may be monitored and may be released under the Freedom of "
              "Information Act 2000.")


def _transport(rng: random.Random, domain: str, n: int, date: str) -> str:
    """What mail from a public body collects on its way (relays, Exchange Online, DKIM): about 1.5 KB."""
    token = f"{rng.getrandbits(96):024x}"
    return (
        f"Received: from mx.campaign.example (mx.campaign.example [192.0.2.{n % 250 + 1}])\r\n\tby "
        f"imap.campaign.example with LMTP id {token[:16]}\r\n\tfor <campaigner@campaign.example>; {date}\r\n"
        f"Received: from mail-lo{n % 90 + 10}.outbound.protection.outlook.com (mail-lo{n % 90 + 10}.outbound"
        f".protection.outlook.com [40.107.{n % 250}.{n % 199}])\r\n\tby mx.campaign.example (Postfix) with "
        f"ESMTPS id {token[:10].upper()}; {date}\r\n"
        f"Received: from LO2P265MB{n % 9000:04d}.GBRP265.PROD.OUTLOOK.COM (2603:10a6:600:{n % 999:x}::{n % 77:x})"
        f"\r\n\tby LO0P265MB{n % 8000:04d}.GBRP265.PROD.OUTLOOK.COM with HTTPS; {date}\r\n"
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=selector1;\r\n "
        f"h=From:Date:Subject:Message-ID:Content-Type:MIME-Version;\r\n bh={token}{token[:20]}=;\r\n "
        f"b={token * 3}\r\n {token * 3}\r\n {token * 2}==\r\n"
        f"Authentication-Results: mx.campaign.example; dkim=pass header.d={domain};\r\n spf=pass "
        f"smtp.mailfrom={domain}; dmarc=pass (p=QUARANTINE) header.from={domain}\r\n"
        f"Thread-Topic: Freedom of Information request\r\nThread-Index: AQHZ{token[:20]}{token[4:16]}==\r\n"
        "Accept-Language: en-GB, en-US\r\nContent-Language: en-GB\r\nX-MS-Has-Attach: \r\n"
        f"X-MS-Exchange-Organization-SCL: 1\r\nX-MS-Exchange-CrossTenant-id: {token[:8]}-{token[8:12]}-"
        f"{token[12:16]}-{token[16:20]}-{token[:12]}\r\nX-MS-Exchange-CrossTenant-originalarrivaltime: {date}\r\n")


def _qp(text: str) -> str:
    return quopri.encodestring(text.replace("\r\n", "\n").encode("utf-8")).decode("ascii").replace("\n", "\r\n")


def _date(sent: datetime, n: int) -> str:
    return format_datetime(sent + timedelta(days=1 + n % 25, minutes=n % 1440))


def _sender(request: SentRequest, n: int) -> str:
    domain = request.authority_email.rpartition("@")[2]
    return request.authority_email if n % 3 else f"records.officer@{domain}"


def _text_part(body: str) -> str:
    return ("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body.replace("\n", "\r\n") + "\r\n")


def _headers(sender: str, to: str, subject: str, date: str, message_id: str, extra: str = "",
             transport: str = "") -> str:
    return (f"{transport}From: Information Governance <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: {date}\r\nMessage-ID: {message_id}\r\n{extra}MIME-Version: 1.0\r\n")


def reply(request: SentRequest, campaigner: str, n: int, sent: datetime, rng: random.Random) -> bytes:
    """Message n of the mailbox: which of the mix it is follows from n (see the shares in `MIX`)."""
    shape = MIX[n % len(MIX)]
    body_name = "council"
    sender = _sender(request, n)
    domain = sender.rpartition("@")[2]
    message_id = f"<scale.{n}.{rng.randrange(10**9)}@{domain}>"
    date = _date(sent, n)
    opening = _OPENINGS[rng.randrange(len(_OPENINGS))].format(day="2 March 2026", n=n, body=body_name)
    signature = _SIGNATURE.format(body=body_name.capitalize(), n3=n % 1000)
    letter = f"Dear Scale Campaigner,\n\n{opening}\n\nYours sincerely,\n\n{signature}"
    threaded = f"In-Reply-To: {request.message_id}\r\nReferences: {request.message_id}\r\n"
    transport = _transport(rng, domain, n, date)
    local, _, own_domain = campaigner.rpartition("@")
    if shape == "quoted":  # Outlook: a reply in the thread, plain and HTML, quoting our request and reference
        quote = _QUOTE.format(subject=request.subject, reference=request.reference)
        boundary = f"_000_LO2P265MB{n:07d}_"
        html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style>'
                "p.MsoNormal, li.MsoNormal {margin:0cm; font-size:11.0pt; font-family:\"Calibri\",sans-serif;}"
                '</style></head><body lang="EN-GB"><div class="WordSection1">'
                + "".join(f'<p class="MsoNormal">{p}</p>' for p in letter.split("\n\n"))
                + '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
                + "".join(f'<p class="MsoNormal">{p}</p>' for p in quote.strip().split("\n\n"))
                + "</div></div></body></html>")
        text = (_headers(sender, campaigner, "RE: " + request.subject, date, message_id, threaded, transport)
                + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
                + f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp(letter + quote)}\r\n"
                + f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp(html)}\r\n--{boundary}--\r\n")
    elif shape == "plus":  # answered to our per-request address, no thread headers
        to = f"{local}+{request.reference.lower()}@{own_domain}"
        text = _headers(sender, to, "Your information request", date, message_id, "", transport) + _text_part(letter)
    elif shape == "subject_ref":  # a new message naming our reference in the subject only
        subject = f"FOI {9_000_000 + n} - response [your ref {request.reference}]"
        text = _headers(sender, campaigner, subject, date, message_id, "", transport) + _text_part(letter)
    elif shape == "html":  # HTML only, as some case-management systems send
        html = ("<html><body><p>Dear Scale Campaigner,</p><p>" + opening + "</p><p>Our reference: "
                f"FOI/{n:06d}. Your reference: {request.reference}.</p><table><tr><td>Status</td><td>Closed"
                "</td></tr></table><p>Yours sincerely,<br>Information Governance Team</p></body></html>")
        text = (_headers(sender, campaigner, "Response to your request " + request.reference, date, message_id,
                         "", transport)
                + "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                + html + "\r\n")
    elif shape == "pdf":  # a cover note and the letter as a small PDF
        pdf = make_pdf([f"Our reference: FOI/{n:06d}", f"Your reference: {request.reference}",
                        "Dear Scale Campaigner,", *opening.split(". "), "Yours sincerely,",
                        "Information Governance Team"])
        encoded = base64.encodebytes(pdf).decode("ascii").replace("\n", "\r\n")
        boundary = f"=_scale_{n}"
        text = (_headers(sender, campaigner, "RE: " + request.subject, date, message_id, threaded, transport)
                + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
                + f"--{boundary}\r\n"
                + _text_part("Dear Scale Campaigner,\n\nPlease find attached our response.\n\nInformation "
                             "Governance Team")
                + f"--{boundary}\r\nContent-Type: application/pdf; name=\"FOI-{n:06d}-response.pdf\"\r\n"
                + f"Content-Disposition: attachment; filename=\"FOI-{n:06d}-response.pdf\"\r\n"
                + f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}--{boundary}--\r\n")
    elif shape == "domain":  # from the authority's domain, no reference anywhere
        text = _headers(f"foi.officer{n % 7}@{request.authority_email.rpartition('@')[2]}", campaigner,
                        "Information request", date, message_id, "", transport) + _text_part(letter)
    elif shape == "auto":  # an out-of-office reply to our request
        extra = f"Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n{threaded}"
        text = (_headers(sender, campaigner, "Automatic reply: " + request.subject, date, message_id, extra,
                         transport)
                + _text_part("I am out of the office until 14 April with no access to e-mail. For urgent "
                             "matters please contact the main switchboard."))
    elif shape == "dsn":  # our request bounced
        text = _dsn(request, campaigner, n, date)
    else:  # no reply at all: newsletters, deliveries, colleagues
        subject, body = _UNRELATED[n % len(_UNRELATED)]
        stranger = f"news{n % 50}@mailer{n % 13}.example.com"
        text = (_headers(stranger, campaigner, subject, date, f"<u.{n}@mailer{n % 13}.example.com>")
                + _text_part(body))
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _dsn(request: SentRequest, campaigner: str, n: int, date: str) -> str:
    boundary = f"dsn-{n}"
    mx = f"mx{n % 5}.mail-relay.example.net"
    return (f"From: Mail Delivery System <MAILER-DAEMON@{mx}>\r\nTo: {campaigner}\r\n"
            f"Subject: Undelivered Mail Returned to Sender\r\nDate: {date}\r\nMessage-ID: <dsn.{n}@{mx}>\r\n"
            "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"Your message to {request.authority_email} could not be delivered: the mailbox does not exist.\r\n\r\n"
            f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {mx}\r\n\r\n"
            f"Final-Recipient: rfc822; {request.authority_email}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {campaigner}\r\n"
            f"To: {request.authority_email}\r\nSubject: {request.subject}\r\nMessage-ID: {request.message_id}\r\n"
            f"\r\n--{boundary}--\r\n")


# The mix, in twentieths: what share of the mailbox each shape is.
MIX = (["quoted"] * 5 + ["plus"] * 2 + ["subject_ref"] * 1 + ["html"] * 3 + ["pdf"] * 2 + ["domain"] * 1
       + ["auto"] * 2 + ["dsn"] * 1 + ["unrelated"] * 3)


def mailbox(requests: Sequence[SentRequest], campaigner: str, sent: datetime, start: int, stop: int,
            seed: int = 11) -> Iterator[bytes]:
    """Messages start..stop-1 of the mailbox, generated one at a time (never all held at once)."""
    for n in range(start, stop):
        rng = random.Random(seed * 1_000_003 + n)
        yield reply(requests[(n * 7919) % len(requests)], campaigner, n, sent, rng)
