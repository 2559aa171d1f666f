"""parse_message: headers, readable text, attachments, bounces and auto-replies, from any bytes at all."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from support.mail import FIXTURES, make_pdf, message

from foibot.understand.parsing import html_to_text, parse_message


def test_plain_reply_headers_and_text() -> None:
    raw = message("Dear A. Campaigner,\n\nThe council does not hold the information.\n",
                  headers={"Cc": "Other <Other@Example.org>", "References": "<a@x> <fb-7k3q98.request@example.org>"})
    parsed = parse_message(raw)
    assert parsed.message_id == "<reply-1@northshire.gov.uk>"
    assert parsed.in_reply_to == ["<fb-7k3q98.request@example.org>"]
    assert parsed.references == ["<a@x>", "<fb-7k3q98.request@example.org>"]
    assert parsed.from_addr == "foi@northshire.gov.uk"
    assert parsed.from_name == "FOI Team"
    assert parsed.to_addrs == ["campaigner+fb-7k3q98@example.org", "other@example.org"]
    assert parsed.subject == "RE: Freedom of Information request: Fusus [ref FB-7K3Q98]"
    assert parsed.date == datetime(2023, 5, 12, 14, 30, tzinfo=UTC)
    assert "does not hold the information" in parsed.text
    assert parsed.attachments == [] and not parsed.is_auto_reply and not parsed.is_dsn
    assert parsed.defects == []


def test_recipient_headers_include_delivery_ones() -> None:
    raw = (b"From: foi@council.gov.uk\r\nTo: someone@example.org\r\nDelivered-To: Campaigner+FB-7K3Q98@example.org\r\n"
           b"X-Original-To: campaigner+fb-7k3q98@example.org\r\nEnvelope-To: c@example.org\r\n\r\nHello\r\n")
    assert parse_message(raw).to_addrs == ["someone@example.org", "campaigner+fb-7k3q98@example.org",
                                            "c@example.org"]


def test_encoded_subject_and_from_name_are_decoded() -> None:
    raw = (b"From: =?utf-8?q?Cyngor_Sir_Afonw=C3=AAn?= <foi@afonwen.gov.uk>\r\n"
           b"Subject: =?utf-8?b?RGlvbGNoIC8gVGhhbmsgeW91?=\r\n\r\nBody\r\n")
    parsed = parse_message(raw)
    assert parsed.from_name == "Cyngor Sir Afonwên"
    assert parsed.subject == "Diolch / Thank you"


def test_html_only_reply_drops_scripts_hidden_text_and_comments() -> None:
    parsed = parse_message((FIXTURES / "html_only_not_held.eml").read_bytes())
    assert "does not hold any information" in parsed.text
    assert "Our ref: HB/FOI/2305" in parsed.text
    for decoy in ("verdict", "neither confirm", "Internal note", "40(2)", "margin"):
        assert decoy not in parsed.text
    assert "Commissioner’s Office" in parsed.text  # windows-1252 quote decoded


def test_html_to_text_keeps_blocks_and_table_cells_apart() -> None:
    html = ("<p>First paragraph</p><p>Second<br>line</p><table><tr><td>Year</td><td>Cost</td></tr>"
            "<tr><td>2022</td><td>&pound;12</td></tr></table><ul><li>one</li><li>two</li></ul>"
            "<span aria-hidden=\"true\">decoy</span><div style=\"visibility: hidden\">decoy</div>")
    text = html_to_text(html)
    assert [line for line in text.splitlines() if line][:3] == ["First paragraph", "Second", "line"]
    assert "2022 £12" in text and "- one" in text and "- two" in text
    assert "decoy" not in text


def test_plain_part_is_preferred_unless_it_is_a_stub() -> None:
    raw = message("The real plain text of the reply, long enough to be read as the reply.",
                  html="<p>HTML version</p>")
    assert parse_message(raw).text.startswith("The real plain text")
    stub = message("View in HTML", html="<p>The council does not hold the information.</p>")
    assert parse_message(stub).text == "The council does not hold the information."


def test_attachments_are_listed_with_safe_display_names() -> None:
    pdf = make_pdf(["Our ref: 1", "Letter"])
    raw = message("See attached.", attachments=[("../../etc/passwd.pdf", "application/pdf", pdf),
                                                ("notes.txt", "text/plain", b"plain notes")])
    parsed = parse_message(raw)
    assert [a.filename for a in parsed.attachments] == ["passwd.pdf", "notes.txt"]
    assert [a.index for a in parsed.attachments] == [0, 1]
    assert parsed.attachments[0].data == pdf and parsed.attachments[0].size == len(pdf)
    assert parsed.attachments[0].content_type == "application/pdf"
    assert len(parsed.attachments[0].sha256) == 64
    assert parsed.text == "See attached."


def test_delivery_status_notification() -> None:
    parsed = parse_message((FIXTURES / "dsn_bounce.eml").read_bytes())
    assert parsed.is_dsn and parsed.dsn_permanent
    assert parsed.dsn_status == "5.1.1"
    assert parsed.dsn_failed_recipients == ["foi@oldname.gov.uk"]
    assert parsed.dsn_original_message_id == "<fb-m4t8rd.request@example.org>"
    assert parsed.dsn_diagnostic is not None and "User unknown" in parsed.dsn_diagnostic
    assert parsed.attachments == []  # the report parts are not attachments


def test_delayed_delivery_is_a_soft_bounce() -> None:
    parsed = parse_message((FIXTURES / "dsn_delayed.eml").read_bytes())
    assert parsed.is_dsn and not parsed.dsn_permanent
    assert parsed.dsn_status == "4.4.1"
    assert parsed.dsn_original_message_id == "<fb-9zx2dp.request@example.org>"


def test_bounce_recognised_from_headers_and_phrasing_without_a_report() -> None:
    raw = (b"From: Mail Delivery System <Mailer-Daemon@mx.example.org>\r\nSubject: Mail delivery failed: returning "
           b"message to sender\r\nX-Failed-Recipients: foi@gone.gov.uk\r\n\r\nA message that you sent could not be "
           b"delivered to one or more of its recipients. This is a permanent error.\r\n\r\n  foi@gone.gov.uk\r\n"
           b"\r\n------ This is a copy of the message, including all the headers. ------\r\n\r\n"
           b"Message-ID: <fb-h6c3w8.request@example.org>\r\nSubject: Freedom of Information request\r\n")
    parsed = parse_message(raw)
    assert parsed.is_dsn and parsed.dsn_permanent
    assert parsed.dsn_failed_recipients == ["foi@gone.gov.uk"]
    assert parsed.dsn_original_message_id == "<fb-h6c3w8.request@example.org>"


def test_auto_reply_headers() -> None:
    parsed = parse_message((FIXTURES / "ooo_auto_submitted.eml").read_bytes())
    assert parsed.is_auto_reply and not parsed.is_dsn
    for header, value, expected in [("Auto-Submitted", "no", False), ("Auto-Submitted", "auto-generated", True),
                                    ("Precedence", "bulk", False), ("X-Autoreply", "yes", True),
                                    ("X-Autorespond", "x", True), ("Precedence", "first-class", False)]:
        raw = f"From: a@b.gov.uk\r\n{header}: {value}\r\nSubject: x\r\n\r\nbody\r\n".encode()
        assert parse_message(raw).is_auto_reply is expected, (header, value)


def test_broken_mime_is_read_and_its_defects_recorded() -> None:
    parsed = parse_message((FIXTURES / "broken_mime_not_held.eml").read_bytes())
    assert parsed.date is None
    assert "does not hold the information" in parsed.text
    assert "--some-other-boundary" not in parsed.text and "Content-Type" not in parsed.text
    assert any("Date" in d for d in parsed.defects)
    assert any("boundary" in d.lower() for d in parsed.defects)


def test_unknown_charset_falls_back_and_is_recorded() -> None:
    raw = (b"From: a@b.gov.uk\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
           b"Caf\xc3\xa9 closed; the council does not hold the information.\r\n")
    parsed = parse_message(raw)
    assert parsed.text.startswith("Café closed")
    assert any("x-klingon" in d for d in parsed.defects)


def test_missing_headers() -> None:
    parsed = parse_message(b"\r\nJust a body, no headers at all.\r\n")
    assert parsed.message_id is None and parsed.from_addr is None and parsed.date is None
    assert parsed.subject == "" and parsed.to_addrs == []
    assert parsed.text == "Just a body, no headers at all."


def test_header_injection_characters_do_not_leak_into_values() -> None:
    raw = b"From: a@b.gov.uk\r\nSubject: Hello\r\n world\r\n\r\nbody\r\n"
    assert parse_message(raw).subject == "Hello world"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed.text, str)
    assert all(isinstance(d, str) for d in parsed.defects)


_PIECES = [b"From: a@b.gov.uk\r\n", b"Content-Type: multipart/mixed; boundary=\"zz\"\r\n", b"\r\n", b"--zz\r\n",
           b"Content-Type: text/html; charset=utf-8\r\n", b"<p>Not held</p>\r\n", b"--zz--\r\n",
           b"Content-Transfer-Encoding: base64\r\n", b"SGVsbG8=\r\n", b"Content-Type: message/rfc822\r\n",
           b"Date: Mon, 99 Foo 2023 25:61:00 +9999\r\n", b"Subject: =?utf-8?b?broken?=\r\n",
           b"Content-Type: application/pdf; name=\"../x.pdf\"\r\n", b"%PDF-1.4 garbage\r\n",
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=zz\r\n",
           b"Content-Type: message/delivery-status\r\n", b"Status: 5.1.1\r\nAction: failed\r\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25))
def test_mime_shaped_garbage_parses_without_raising(pieces: list[bytes]) -> None:
    parsed = parse_message(b"".join(pieces))
    assert isinstance(parsed.attachments, list)
    for attachment in parsed.attachments:
        assert attachment.filename is None or "/" not in attachment.filename
