"""Outgoing messages: what any mail reader parses back is exactly what we meant; nothing can inject a header."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.errors import TemplateError
from foibot.send.compose import build_message, new_message_id

WHEN = datetime(2023, 4, 17, 9, 0, tzinfo=UTC)
# Printable text from any script, no control characters (those are refused, tested below), spaced the way
# a name or a rendered subject is (readers drop leading, trailing and doubled whitespace, by the RFCs).
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=200).map(
    lambda s: " ".join(s.split())).filter(bool)


def build(**overrides: object) -> bytes:
    fields: dict[str, object] = {
        "from_name": "A. Campaigner", "from_addr": "campaigner@example.org", "to_addr": "foi@council.example",
        "subject": "Freedom of Information request: Fusus [ref FB-7K3Q9X]", "body": "Dear Council,\n\nHello.\n",
        "message_id": "<k7p2m4q9x3bd5wthn6ya2c8rje@example.org>", "date": WHEN,
        "reply_to": "campaigner+fb-7k3q9x@example.org",
    }
    fields.update(overrides)
    return build_message(**fields)  # type: ignore[arg-type]


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_the_headers_a_request_carries() -> None:
    message = parse(build(in_reply_to="<a@x.example>", references=["<a@x.example>", "<b@x.example>"]))
    assert message["From"] == '"A. Campaigner" <campaigner@example.org>'
    assert message["To"] == "foi@council.example"
    assert message["Reply-To"] == '"A. Campaigner" <campaigner+fb-7k3q9x@example.org>'
    assert message["Subject"] == "Freedom of Information request: Fusus [ref FB-7K3Q9X]"
    assert message["Date"].datetime == WHEN
    assert message["Message-ID"] == "<k7p2m4q9x3bd5wthn6ya2c8rje@example.org>"
    assert message["In-Reply-To"] == "<a@x.example>"
    assert message["References"] == "<a@x.example> <b@x.example>"
    tool_headers = [name for name in message if name.lower().startswith(("x-foibot", "x-mailer", "user-agent"))]
    assert tool_headers == []  # nothing tells the authority a tool sent the round
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == "Dear Council,\n\nHello.\n"


@settings(max_examples=150, deadline=None)
@given(name=TEXT, subject=TEXT, body=st.text(max_size=3000))
def test_any_name_subject_and_body_come_back_unchanged(name: str, subject: str, body: str) -> None:
    raw = build(from_name=name, subject=subject, body=body)
    assert raw.isascii()  # 7-bit clean: RFC 2047 headers, quoted-printable body
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    message = parse(raw)
    assert message["From"].addresses[0].display_name == name
    assert message["From"].addresses[0].addr_spec == "campaigner@example.org"
    assert str(message["Subject"]) == subject
    expected = body.replace("\r\n", "\n").replace("\r", "\n")
    expected = expected if expected.endswith("\n") else expected + "\n"
    assert message.get_content().replace("\r\n", "\n") == expected


@pytest.mark.parametrize("field, value", [
    ("subject", "Hello\r\nBcc: everyone@example.org"),
    ("subject", "Hello\nX-Injected: 1"),
    ("from_name", "Campaigner\r\nBcc: x@example.org"),
    ("message_id", "<a@b>\r\nBcc: x@example.org"),
    ("to_addr", "foi@council.example\r\nBcc: x@example.org"),
    ("to_addr", "foi@council.example, other@example.org"),
    ("reply_to", "not an address"),
    ("subject", "x" * 1000),
])
def test_header_injection_and_bad_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(TemplateError):
        build(**{field: value})


def test_a_long_subject_is_folded_and_reads_back_whole() -> None:
    subject = "Freedom of Information request: Fusus [ref FB-7K3Q9X] " + "and more words " * 8
    raw = build(subject=subject.strip())
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))
    assert parse(raw)["Subject"] == subject.strip()


def test_message_ids_are_unique_opaque_and_on_the_requesters_domain() -> None:
    ids = {new_message_id("campaigner@Example.org") for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"<[a-z2-7]{26}@example\.org>", i) for i in ids), ids
    assert not any("fb-" in i or "request" in i or "foibot" in i for i in ids)  # names neither tool nor stage
