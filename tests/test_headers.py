"""HeaderBlock: the shortcut for plain header values gives exactly the standard registry's text, and defects."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from foibot.understand.headers import STRUCTURE_POLICY, HeaderBlock, header_text

NAMES = ["From", "To", "Cc", "Reply-To", "Sender", "Resent-From", "Date", "Resent-Date", "Message-ID", "Subject",
         "In-Reply-To", "References", "Received", "X-Auto-Response-Suppress", "MIME-Version", "Content-Type",
         "Content-Disposition", "Content-Transfer-Encoding", "DKIM-Signature"]

_WORD = st.text("abcXYZ019.!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=6)
_ADDR = st.builds(lambda a, b: f"{a}@{b}", _WORD, _WORD)
_PIECES = st.sampled_from([" ", "  ", "\t", "\r\n ", "\r\n\t", ",", ";", ":", "<", ">", '"', "\\", "(", ")", "@",
                           ".", "[", "]", "=?utf-8?q?caf=C3=A9?=", "=?", "?=", "é", "\udce9", "\x00", "\x7f"])
_TOKEN = st.text("abcXY09!#$%&'*+.^_`|~-", min_size=1, max_size=5)
_SPACE = st.sampled_from(["", " ", "\t", "  "])
_PARAM = st.builds(lambda w, n, v: f"{w};{w}{n}={v}", _SPACE, _TOKEN,
                   st.one_of(_TOKEN, st.text(" !#$%()*+,-./:;<=>?@[]^_{|}~abc", max_size=6).map(lambda s: f'"{s}"')))
_SHAPES = st.one_of(
    _ADDR,
    st.builds(lambda a, b, ps, end: f"{a}/{b}{''.join(ps)}{end}", _TOKEN, _TOKEN, st.lists(_PARAM, max_size=3),
              st.sampled_from(["", ";", " ", "; "])),
    st.builds(lambda w, a, b: f"{w}<{a}@{b}>{w}", _SPACE, _TOKEN, _TOKEN),
    st.builds(lambda n, a: f"{n} <{a}>", st.lists(_WORD, min_size=1, max_size=3).map(" ".join), _ADDR),
    st.builds(lambda n, a: f'"{n}" <{a}>', st.text("ab ,.;:<>@()[]'\t", max_size=8), _ADDR),
    st.builds(lambda a: f"<{a}>", _ADDR),
    st.sampled_from(["Mon, 12 Jun 2023 14:30:00 +0100", "12 Jun 23 14:30 GMT", "Mon, 12 Jun 2023 14:30:00 -0000",
                     "Tue, 31 Feb 2023 25:00:00 +0000", "yesterday", "", " ", "Mon, 1 Jan 0099 00:00:00 +0000",
                     "text/plain; charset=utf-8", 'multipart/alternative;\r\n\tboundary="=_x y"', "TEXT/HTML",
                     "attachment; filename=\"a b.pdf\"", "inline", "1.0", "1.0 (produced by x)", "base64 ",
                     "quoted-printable", "text/plain; charset=", "text/", "/plain", "auto-replied"]),
    _WORD,
)
VALUES = st.lists(st.one_of(_SHAPES, _PIECES), min_size=1, max_size=6).map("".join)


def _registry(name: str, raw: str) -> tuple[str, bool]:
    """What parsing did before HeaderBlock: every header through the registry, a defect if it raised."""
    try:
        return header_text(email.policy.default.header_fetch_parse(name, raw)), False
    except Exception:  # noqa: BLE001 - any exception is the registry refusing the value
        return header_text(raw), True


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NAMES), VALUES), min_size=1, max_size=5))
@example([("From", 'FOI  Team <foi@x.gov.uk>, "Smith, J" <j@x.gov.uk>,c@d')])
@example([("To", "a@b,")])
@example([("Date", "Mon, 12 Jun 2023 14:30:00 -0000")])
@example([("Message-ID", " <a.b@c.d> ")])
def test_every_value_reads_as_the_registry_reads_it(items: list[tuple[str, str]]) -> None:
    defects: list[str] = []
    block = HeaderBlock(items, defects)
    expected: dict[str, list[str]] = {}
    expected_defects = []
    for name, raw in items:
        text, failed = _registry(name, raw)
        expected.setdefault(name.lower(), []).append(text)
        if failed:
            expected_defects.append(f"undecodable {name} header")
    assert block.as_dict() == expected
    assert defects == expected_defects  # found when the block is made, whatever is read later


@pytest.mark.parametrize("value, text", [
    ("FOI  Team <foi@x.gov.uk>", "FOI Team <foi@x.gov.uk>"),
    ('"Smith, Jo" <jo@x.gov.uk>', '"Smith, Jo" <jo@x.gov.uk>'),
    ("J. Smith <j@x.gov.uk>", '"J. Smith" <j@x.gov.uk>'),
    ("foi@x.gov.uk (FOI Team)", "foi@x.gov.uk"),
    ("=?utf-8?q?Cyngor_Sir_Afonw=C3=AAn?= <foi@afonwen.gov.uk>", "Cyngor Sir Afonwên <foi@afonwen.gov.uk>"),
])
def test_addresses_are_rewritten_as_the_registry_does(value: str, text: str) -> None:
    assert HeaderBlock([("From", value)]).first("from") == text


def test_lookup_is_case_insensitive_and_keeps_order() -> None:
    block = HeaderBlock([("Received", "a"), ("X-Thing", "1"), ("received", "b\r\n c")])
    assert block.all("RECEIVED") == ["a", "b c"] and block["received"] == ["a", "b c"]
    assert "x-thing" in block and "X-Other" not in block
    assert block.first("x-other") is None
    assert block.names() == ["received", "x-thing"] == list(block)
    assert block.get("x-other") is None and block.all("x-other") == []
    assert dict(block.items()) == block.as_dict() == {"received": ["a", "b c"], "x-thing": ["1"]}


_MIME_VALUES = st.one_of(VALUES, _SHAPES)


@settings(max_examples=300, deadline=None)
@given(content_type=_MIME_VALUES, disposition=_MIME_VALUES, encoding=_MIME_VALUES)
@example(content_type="text/plain; charset=utf-8", disposition='attachment; filename="a b.pdf"', encoding="base64 ")
@example(content_type='text/plain; charset="', disposition='attachment; filename="\x00evil', encoding="7bit")
def test_parts_read_as_with_the_modern_policy(content_type: str, disposition: str, encoding: str) -> None:
    raw = (f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n"
           f"Content-Transfer-Encoding: {encoding}\r\n\r\nSGVsbG8=\r\n").encode("utf-8", "surrogateescape")

    def facts(policy: Any) -> list[Any]:
        try:
            part = email.message_from_bytes(raw, policy=policy)
            return [part.get_content_type(), part.get_params(), part.get_filename(), part.get_content_charset(),
                    part.get_boundary(), part.get_content_disposition(), part.get_payload(decode=True)]
        except Exception as exc:  # noqa: BLE001 - the same failure either way is the same behaviour
            return [type(exc)]

    assert facts(STRUCTURE_POLICY) == facts(email.policy.default)
