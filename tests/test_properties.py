"""Property tests for what takes open-ended input, through the layers that really use it.

Mangled and look-alike references go through the whole matcher with several real requests; CSV fields,
the requester's name and template output go through planning to the bytes that would be sent; any bytes go
through the poller's own store-then-file path; due dates are checked from stored rows against a brute-force
count. (Single-module properties live beside their modules: test_references, test_compose,
test_authorities, test_parsing, test_deadlines.)
"""

from __future__ import annotations

import csv
import email
import email.policy
import functools
import hashlib
import io
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import holidays
import pytest
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st
from support.inbox import ScratchInbox

from foibot.addresses import AddressError, check_address
from foibot.authorities import JURISDICTIONS, KINDS, load_authorities, parse_authorities
from foibot.clock import LONDON, iso, london_date
from foibot.collect.imap import dedupe_key
from foibot.collect.matching import Directory, ReplyFacts, RequestInfo, match_reply
from foibot.collect.triage import list_triage, triage_text
from foibot.config import Config, from_dict
from foibot.deadlines import is_overdue, request_deadline, working_days_taken
from foibot.errors import ConfigError, InputError, TemplateError
from foibot.references import ALPHABET, check_char
from foibot.send.compose import build_message
from foibot.send.plan import plan_run

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh folder per example (hypothesis runs many examples inside one test)."""
    with tempfile.TemporaryDirectory(prefix="fbprop-") as folder:
        yield Path(folder)


# --- references through the whole matcher -------------------------------------------------------------------

PAYLOADS = st.text(alphabet=ALPHABET, min_size=5, max_size=5)
CYRILLIC = {"A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "P": "Р", "C": "С", "T": "Т", "X": "Х"}
# Manglings that keep the reference readable (the matcher must still find it) and ones that damage it
# (the matcher may give up, but must never pick another request).
BENIGN = ("lower", "space", "separator", "cyrillic", "fullwidth")
DAMAGING = ("delete", "insert", "substitute", "swap", "double", "truncate")
SEPARATORS = ("-", "", " ", "_", "\u2013", ":", " - ", "/", "\u2011")


def ref_of(payload: str) -> str:
    return f"FB-{payload}{check_char(payload)}"


def mangle(ref: str, how: str, at: int, char: str, separator: str) -> str:
    code = ref[3:]
    text = list(ref)
    at = at % len(text)
    if how == "lower":
        return ref.lower()
    if how == "space":
        # A break inside the reference (a wrapped line, "7K3 Q9X"); a lone last symbol after a break reads
        # as the next word, so the split leaves at least two symbols on each side of it.
        split = 2 + at % 3
        return f"FB-{code[:split]} {code[split:]}"
    if how == "separator":
        return "FB" + separator + code
    if how == "cyrillic":
        return "FB-" + "".join(CYRILLIC.get(c, c) for c in code)
    if how == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in ref)
    if how == "delete":
        del text[at]
    elif how == "insert":
        text.insert(at, char)
    elif how == "substitute":
        text[at] = char if text[at] != char else ("2" if char != "2" else "3")
    elif how == "swap":
        at = min(at, len(text) - 2)
        text[at], text[at + 1] = text[at + 1], text[at]
    elif how == "double":
        text.insert(at, text[at])
    elif how == "truncate":
        text = text[:-1]
    return "".join(text)


def look_alikes(payload: str, changes: list[str]) -> list[str]:
    """References one symbol away from ours in the payload (their check characters differ too)."""
    out = []
    for i, new in enumerate(changes):
        if new == payload[i]:
            new = ALPHABET[(ALPHABET.index(new) + 1) % len(ALPHABET)]
        out.append(ref_of(payload[:i] + new + payload[i + 1:]))
    return out


def directory_for(ours: str, neighbours: list[str], others: list[str]) -> Directory:
    """Our request (id 1, Alpha), the look-alikes (each its own authority), an answered request of Alpha's,
    and unrelated ones: every request has its outgoing Message-ID."""
    requests = [RequestInfo(1, ours, "alpha", "foi@alpha.gov.uk", authority_name="Alpha")]
    for n, reference in enumerate(neighbours + others, start=2):
        requests.append(RequestInfo(n, reference, f"body{n}", f"foi@body{n}.gov.uk", authority_name=f"Body {n}"))
    requests.append(RequestInfo(len(requests) + 1, ref_of("APHX2"), "alpha", "foi@alpha.gov.uk",
                                status="answered", authority_name="Alpha"))
    requests = [r for i, r in enumerate(requests) if r.reference not in {q.reference for q in requests[:i]}]
    outgoing = {f"<{r.reference.lower()}.request.0a1b2c3d@example.org>": r.id for r in requests}
    return Directory(requests, outgoing, {}, ("campaigner@example.org",))


def facts_with(where: str, mangled: str, ours: str, sender: str, noise: tuple[str, str]) -> ReplyFacts:
    before, after = noise
    text = f"{before}\nRe: {mangled} is the reference.\n{after}"
    base: dict[str, Any] = {"from_addr": sender, "to_addrs": ("campaigner@example.org",)}
    if where == "subject":
        return ReplyFacts(subject=f"RE: {mangled} is the reference", text=before, **base)
    if where == "body":
        return ReplyFacts(subject="Your request", text=text, **base)
    if where == "attachment":
        return ReplyFacts(subject="Response", text=before, attachment_texts=(text,), **base)
    if where == "forwarded":
        inner = ReplyFacts(subject=f"Freedom of Information request [ref {mangled}]", text=after)
        return ReplyFacts(subject="FW: your request", text=before, forwarded=(inner,), **base)
    if where == "plus_address":
        base["to_addrs"] = (f"campaigner+{mangled.lower()}@example.org",)
        return ReplyFacts(subject="Your request", text=before, **base)
    assert where == "in_reply_to"
    mid = f"<{ours.lower()}.request.0a1b2c3d@example.org>".replace(ours.lower(), mangled)
    return ReplyFacts(subject="Re: your request", text=before, in_reply_to=(mid,), **base)


@settings(max_examples=400, deadline=None)
@given(payload=PAYLOADS, changes=st.lists(st.sampled_from(ALPHABET), min_size=5, max_size=5),
       others=st.lists(PAYLOADS.map(ref_of), max_size=6),
       how=st.sampled_from(BENIGN + DAMAGING), at=st.integers(0, 20), char=st.sampled_from(ALPHABET + "01OIL"),
       separator=st.sampled_from(SEPARATORS),
       where=st.sampled_from(["subject", "body", "attachment", "forwarded", "plus_address", "in_reply_to"]),
       sender=st.sampled_from(["someone@elsewhere.example", "foi@alpha.gov.uk", "records@alpha.gov.uk",
                               "clerk@gmail.com"]),
       noise=st.tuples(ANY_TEXT, ANY_TEXT))
def test_a_mangled_reference_never_files_a_reply_under_another_request(
        payload: str, changes: list[str], others: list[str], how: str, at: int, char: str, separator: str,
        where: str, sender: str, noise: tuple[str, str]) -> None:
    ours = ref_of(payload)
    neighbours = look_alikes(payload, changes)
    directory = directory_for(ours, neighbours, [o for o in others if o != ours])
    assume(directory.by_id[1].reference == ours)
    mangled = mangle(ours, how, at, char, separator)
    match = match_reply(facts_with(where, mangled, ours, sender, noise), directory)
    # Filed under our request, or left for the campaigner: never under a look-alike or another request.
    assert match.request_id in (None, 1), (mangled, match)
    if how in BENIGN and where in ("subject", "body", "attachment", "forwarded"):
        assert match.request_id == 1, (mangled, match)


@settings(max_examples=150, deadline=None)
@given(payload=PAYLOADS, changes=st.lists(st.sampled_from(ALPHABET), min_size=5, max_size=5),
       position=st.integers(0, 4), noise=st.tuples(ANY_TEXT, ANY_TEXT))
def test_a_look_alike_reference_is_filed_under_its_own_request_only(payload: str, changes: list[str], position: int,
                                                                    noise: tuple[str, str]) -> None:
    """Two live requests one symbol apart: a reply quoting either goes to that one, exactly."""
    ours = ref_of(payload)
    neighbours = look_alikes(payload, changes)
    directory = directory_for(ours, neighbours, [])
    quoted = neighbours[position]
    expected = directory.by_reference[quoted]
    for where in ("subject", "body", "plus_address"):
        match = match_reply(facts_with(where, quoted, ours, "someone@elsewhere.example", noise), directory)
        assert match.request_id == expected, (where, quoted, match)


# --- CSV fields, requester names and template output: exactly the headers we mean --------------------------

# Values a CSV accepts that mean something to a mail reader, then values it must refuse (line breaks and
# controls of every kind).
ACCEPTED_TRAPS = [
    "=?utf-8?q?=0D=0ABcc:_x@evil.example?=", "=?utf-8?b?DQpCY2M6IHhAZXZpbC5leGFtcGxl?=", "=?", "?=",
    "Bcc: z@evil.example", "a@evil.example, b@evil.example", '"q" <c@evil.example>', "%0d%0aBcc:x@evil.example",
    "\u202e", "\ufeff", "\u200b", "{{ 7*191 }}", "{% raw %}", "  ", "é", "😀", ";", ",", '"', "<", ">", "(", ")",
    "\\", ":", "Subject: x", "\u00a0", "\u3000", "x" * 120,
]
REFUSED_TRAPS = ["\r\nBcc: x@evil.example", "\nTo: y@evil.example", "\rCc: z@evil.example", "\u2028X-Injected: 1",
                 "\u2029", "\x85", "\x00", "\x1b[2J", "\x7f", "\x0b", "\x0c", "\t"]
PRINTABLE = st.text(st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"], blacklist_characters="\x85"),
                    max_size=30)
ACCEPTED = st.lists(st.one_of(st.sampled_from(ACCEPTED_TRAPS), PRINTABLE), min_size=1, max_size=4).map("".join)
FIELD = st.lists(st.one_of(st.sampled_from(ACCEPTED_TRAPS + REFUSED_TRAPS), ANY_TEXT), max_size=4).map("".join)
EMAIL_TRAPS = st.sampled_from([
    "foi@trap.gov.uk\r\nBcc: x@evil.example", "foi@trap.gov.uk, x@evil.example", "Trap <foi@trap.gov.uk>",
    "foi@trap.gov.uk\nBcc:x@evil.example", "=?utf-8?q?=0D=0A?=@trap.gov.uk", "foi@trap.gov.uk>", "<foi@trap.gov.uk",
    "foi@trap.gov.uk\u2028", "foi@trap.gov.uk;x@evil.example", "foi(comment)@trap.gov.uk", '"a b"@trap.gov.uk',
    "foi@[127.0.0.1]", "foi@trap.gov.uk%0ABcc:x@evil.example", "foi+=?x?=@trap.gov.uk", " foi@Trap.GOV.uk ",
    "o'brien@trap.gov.uk", "foi@trap.gov.uk\t", "{{x}}@trap.gov.uk",
])


@st.composite
def csv_rows(draw: st.DrawFn) -> list[dict[str, str]]:
    """Rows that are plain but for a field or two: a name or note a mail reader might misread (accepted),
    or anything at all (often refused)."""
    rows = []
    for i in range(draw(st.integers(1, 4))):
        row = {"id": f"body-{i}", "name": f"Council {i}", "email": f"foi{i}@body{i}.gov.uk", "kind": "council",
               "jurisdiction": "england", "note": "CCTV", "bcc": "everyone@evil.example"}
        for column in draw(st.sets(st.sampled_from(sorted(row)), max_size=3)):
            how = draw(st.sampled_from(["accepted", "accepted", "accepted", "anything"]))
            if column == "email":
                row[column] = draw(EMAIL_TRAPS if how == "accepted" else FIELD)
            elif column in ("kind", "jurisdiction"):
                row[column] = draw(st.sampled_from(KINDS if column == "kind" else JURISDICTIONS) | FIELD)
            else:
                row[column] = draw(ACCEPTED if how == "accepted" else FIELD)
        rows.append(row)
    return rows


SUBJECT_TEMPLATE = "{{ regime.request_name }}: {{ authority.name }} {{ authority.note }} [ref {{ reference }}]\n"
BODY_TEMPLATE = (
    "Dear {{ authority.name }},\n\nAbout {{ authority.note }} ({{ authority.kind }}, {{ authority.jurisdiction }}).\n"
    "{% for q in questions %}{{ loop.index }}. {{ q }}\n{% endfor %}\nReference {{ reference }}.\n\n"
    "{{ requester.name }}\n"
)
QUESTIONS = 'title = "Trap"\n[[questions]]\nid = "q1"\ntext = "Do you hold records about {{ authority.note }}?"\n'


@pytest.fixture(scope="module")
def template_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A campaign folder with the template `mine`: the authority's name and an extra column in the subject."""
    folder = tmp_path_factory.mktemp("headers")
    mine = folder / "templates" / "mine"
    mine.mkdir(parents=True, exist_ok=True)
    (mine / "subject.j2").write_text(SUBJECT_TEMPLATE, encoding="utf-8")
    (mine / "body.j2").write_text(BODY_TEMPLATE, encoding="utf-8")
    (mine / "request.toml").write_text(QUESTIONS, encoding="utf-8")
    return folder


EXPECTED_HEADERS = ["content-transfer-encoding", "content-type", "date", "from", "message-id", "mime-version",
                    "subject", "to"]


def folded(text: str) -> str:
    """Whitespace as a mail reader gives it back (runs folded, ends trimmed, as the RFCs allow)."""
    return " ".join(text.split())


def check_message(raw: bytes, planned: Any, config: Config) -> None:
    assert raw.isascii()
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    expected = EXPECTED_HEADERS + (["reply-to"] if planned.reply_to else [])
    # Read line by line, without any mail library: every line is a header we write, or a folded continuation.
    names = []
    for line in head.split("\r\n"):
        if line[:1] in (" ", "\t"):
            continue
        names.append(line.split(":", 1)[0].lower())
    assert sorted(names) == sorted(expected)
    assert "\r" not in head.replace("\r\n", "") and "\n" not in head.replace("\r\n", "")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert sorted(k.lower() for k in message) == sorted(expected)
    assert [a.addr_spec for a in message["To"].addresses] == [planned.authority.email]
    assert [a.addr_spec for a in message["From"].addresses] == [config.requester.email]
    assert folded(message["From"].addresses[0].display_name) == folded(config.requester.name)
    subject = str(message["Subject"])
    assert "\r" not in subject and "\n" not in subject
    assert folded(subject) == folded(planned.subject)
    for name in message:
        assert not message[name].defects, (name, message[name].defects)
    assert message.get_content().replace("\r\n", "\n") == planned.body


@settings(max_examples=200, deadline=None)
@example(rows=[{"id": "x", "name": "=?utf-8?q?=0D=0ABcc:_x@evil.example?=", "email": "foi@x.gov.uk", "kind": "council",
                "jurisdiction": "england", "note": "CCTV", "bcc": "x"}], requester="=?utf-8?q?=0D=0A?=", plus=True)
@example(rows=[{"id": "x", "name": "X", "email": "=?utf-8?q?=0D=0A?=@trap.gov.uk", "kind": "council",
                "jurisdiction": "england", "note": "CCTV", "bcc": "x"}], requester="A", plus=False)
@given(rows=csv_rows(), requester=st.sampled_from(["A. Campaigner"]) | ACCEPTED | FIELD, plus=st.booleans())
def test_any_csv_field_or_name_is_refused_with_its_line_or_sent_with_exactly_our_headers(
        template_folder: Path, rows: list[dict[str, str]], requester: str, plus: bool) -> None:
    folder = template_folder
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "name", "email", "kind", "jurisdiction", "note", "bcc"])
    for row in rows:
        writer.writerow([row[c] for c in ("id", "name", "email", "kind", "jurisdiction", "note", "bcc")])
    (folder / "list.csv").write_text(out.getvalue(), encoding="utf-8")
    tables = {"requester": {"name": requester, "email": "campaigner@example.org",
                            "reply_address": "plus" if plus else "none"}}
    try:
        config = from_dict(tables, str(folder / "config.toml"), folder)
    except ConfigError as exc:
        assert "[requester] name" in str(exc)
        event("refused: config")
        return
    try:
        plan = plan_run(config, "r1", "mine", folder / "list.csv", NOW)
    except InputError as exc:
        assert re.search(r"list\.csv(:\d+: |: no authorities)", str(exc)), str(exc)
        event("refused: csv")
        return
    except TemplateError as exc:  # names the template line and the authority's CSV line
        assert re.search(r"\(rendering for .*line \d+\)", str(exc), re.DOTALL), str(exc)
        event("refused: template")
        return
    event(f"sent {len(plan.new)}")
    for planned in plan.new:
        check_message(planned.raw, planned, config)


# --- CSV loading: any text loads or is one InputError; what loads reads back the same -----------------------

CELL = st.one_of(st.sampled_from(["x", "", " ", '"', ",", "\n", "\r\n", '""', "foi@a.gov.uk", "council", "england"]),
                 ANY_TEXT)
CSV_SHAPED = st.tuples(
    st.sampled_from(["id,name,email,kind,jurisdiction", "id,name,email,kind,jurisdiction,note",
                     "\ufeffid,name,email,kind,jurisdiction", "id, name ,email,kind,jurisdiction", "id,name", ""]),
    st.lists(st.lists(CELL, max_size=7).map(lambda cells: ",".join(cells)), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
).map(lambda parts: parts[2].join([parts[0], *parts[1]]))
GOOD_ROWS = st.lists(st.fixed_dictionaries({
    "name": ANY_TEXT.filter(lambda s: s.strip()),
    "kind": st.sampled_from(KINDS),
    "jurisdiction": st.sampled_from(JURISDICTIONS),
    "note": ANY_TEXT,
}), min_size=1, max_size=5)


def as_csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def loaded(text: str) -> list[tuple[Any, ...]] | None:
    try:
        authorities = parse_authorities(text, "list.csv")
    except InputError as exc:
        assert str(exc).startswith("list.csv"), str(exc)
        return None
    return [(a.id, a.name, a.email, a.kind, a.jurisdiction, tuple(sorted(a.extra.items()))) for a in authorities]


def round_trip(first: list[tuple[Any, ...]]) -> None:
    """What loaded, written back out as CSV, loads as the very same authorities."""
    extra = sorted({k for row in first for k, _ in row[5]})
    rows = [dict(zip(["id", "name", "email", "kind", "jurisdiction"], row[:5]), **dict(row[5])) for row in first]
    assert loaded(as_csv(rows, ["id", "name", "email", "kind", "jurisdiction", *extra])) == first


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), CSV_SHAPED))
def test_any_text_loads_or_is_one_input_error_and_what_loads_round_trips(text: str) -> None:
    first = loaded(text)
    event("loaded" if first is not None else "refused")
    if first is not None:
        round_trip(first)


@settings(max_examples=100, deadline=None)
@given(GOOD_ROWS, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_well_formed_lists_with_any_names_load_and_round_trip(rows: list[dict[str, str]], newline: str,
                                                              bom: bool) -> None:
    full = [dict(r, id=f"body-{i}", email=f"foi{i}@body{i}.gov.uk") for i, r in enumerate(rows)]
    text = as_csv(full, ["id", "name", "email", "kind", "jurisdiction", "note"]).replace("\r\n", newline)
    first = loaded(("\ufeff" if bom else "") + text)
    clean = all(not re.search(r"[\x00-\x1f\x7f\x85\u2028\u2029]", r["name"] + r["note"]) for r in rows)
    if clean:
        assert first is not None and [row[1] for row in first] == [r["name"].strip() for r in rows]
        round_trip(first)
    else:
        assert first is None  # a control character or line break in a cell: refused, with its line


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_any_file_bytes_load_or_are_one_input_error(data: bytes) -> None:
    with scratch() as folder:
        path = folder / "list.csv"
        path.write_bytes(b"id,name,email,kind,jurisdiction\n" + data)
        try:
            load_authorities(path)
        except InputError as exc:
            assert str(exc).startswith(str(path)), str(exc)


# --- MIME: any bytes through the poller's own store-then-file path -----------------------------------------

HEADER_LINES = st.sampled_from([
    b"From: FOI Team <foi@council.gov.uk>", b"From: =?utf-8?b?w6k=?= <a@b.gov.uk>", b"From: <>", b"From: @@@",
    b"To: campaigner+fb-7k3q98@example.org", b"Subject: RE: [ref FB-7K3Q98]", b"Subject: =?utf-8?q?bad=ZZ?=",
    b"Subject: =?x-unknown?b?////?=",
    b"Subject: =?utf-8?b?G1syShtdNTI7YztaWFpwYkE9PQfCmzMxbQ==?=",  # terminal escapes
    b"From: =?utf-8?b?G1syShtdNTI7YztaWFpwYkE9PQfCmzMxbQ==?= <evil@unknown.example>", b"Date: Mon, 99 Foo 2023 25:61:00 +9999", b"Date: Fri, 20 Mar 2026 10:00:00 +0000",
    b"Message-ID: <r1@council.gov.uk>", b"Message-ID:", b"In-Reply-To: <fb-7k3q98.request.1@example.org>",
    b"Auto-Submitted: auto-replied", b"MIME-Version: 1.0", b"Content-Transfer-Encoding: base64",
    b"Content-Transfer-Encoding: quoted-printable", b"Content-Transfer-Encoding: x-uuencode",
    b"Content-Type: text/plain; charset=utf-7", b"Content-Type: text/plain; charset=iso-2022-jp",
    b"Content-Type: text/html; charset=unknown-8bit", b"Content-Type: text/plain; charset=\"", b"X-\xff\xfe: \xff",
    b"Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Fpasswd", b"Content-Type: ;;;",
    b"Content-Disposition: attachment; filename=\"\x00evil\r.pdf\"", b"Content-Type: message/rfc822",
    b" folded continuation", b"no colon at all", b":", b"\t",
])
BODY_CHUNKS = st.sampled_from([
    b"Dear requester,", b"<p>Not held</p><script>alert(1)</script>", b"SGVsbG8gd29ybGQ=", b"=E9=3D=\r\n", b"=ZZ",
    b"%PDF-1.4 garbage", b"PK\x03\x04garbage", b"begin 644 x\n#0V%T\n`\nend", b"\x00\xff\xfe", b"\xe9t\xe9",
    b"Status: 5.1.1\r\nAction: failed\r\nFinal-Recipient: rfc822; foi@x.gov.uk", b"From nobody Mon Jan 1",
])


@st.composite
def mime_messages(draw: st.DrawFn, depth: int = 0) -> bytes:
    """Messages shaped like real and broken MIME: random headers, boundaries that match or not, nesting."""
    headers = draw(st.lists(HEADER_LINES, max_size=6))
    eol = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    if depth < 2 and draw(st.booleans()):
        boundary = draw(st.sampled_from([b"zz", b"a b", b"", b"=_\xff", b"-" * 80]))
        subtype = draw(st.sampled_from([b"mixed", b"alternative", b"report; report-type=delivery-status", b"related"]))
        headers.append(b'Content-Type: multipart/' + subtype + b'; boundary="' + boundary + b'"')
        parts = draw(st.lists(mime_messages(depth + 1), max_size=3))
        closing = draw(st.sampled_from([b"--" + boundary + b"--", b"", b"--other--"]))
        body = eol.join([b"preamble", *[b"--" + boundary + eol + p for p in parts], closing])
    else:
        body = eol.join(draw(st.lists(st.one_of(BODY_CHUNKS, st.binary(max_size=40)), max_size=4)))
    return eol.join(headers) + eol + eol + body


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScratchInbox]:
    scratch_inbox = ScratchInbox(tmp_path_factory.mktemp("inbox"))
    yield scratch_inbox
    scratch_inbox.close()


NOT_MAIL = "no From, To, Subject, Date or Message-ID header: not an e-mail message"
ATTACHMENT_PATH = re.compile(r"^(\d+)/(\d+)-([0-9a-f]{16})\.[a-z0-9]{1,5}$")


def _body(raw: bytes) -> bytes:
    text = raw.replace(b"\r\n", b"\n")
    return text.split(b"\n\n", 1)[1] if b"\n\n" in text else b""


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=1500), mime_messages()), min_size=1, max_size=4))
def test_any_bytes_are_stored_exactly_filed_or_listed_never_a_crash(inbox: ScratchInbox, raws: list[bytes]) -> None:
    report = inbox.deliver(raws)
    rows = inbox.rows("SELECT * FROM messages WHERE direction = 'in' ORDER BY id")
    # Every message kept byte for byte; the same message twice (by Message-ID, or by its bytes with line ends
    # and trace headers set aside) is one message: the first copy. A different message reusing a Message-ID
    # (another body) is kept too, under a key of its own body.
    first: dict[str, bytes] = {}
    for raw in raws:
        key = dedupe_key(raw)
        if key in first and _body(first[key]) != _body(raw):
            key = f"{key}#body:{hashlib.sha256(_body(raw)).hexdigest()[:32]}"
        first.setdefault(key, raw)
    assert {r["dedupe_key"]: bytes(r["raw"]) for r in rows} == first
    assert len(rows) == report.stored
    for row in rows:
        assert row["sha256"] == hashlib.sha256(row["raw"]).hexdigest()
        assert row["state"] in ("parsed", "parse_error"), row["state"]
        # Only the reason filing gives; an exception's name here would mean a parser bug was caught.
        assert row["parse_error"] in (None, NOT_MAIL), row["parse_error"]
        assert row["triage"] == 1 or row["match_method"] == "own_message" or row["request_id"]
    listed = {item.id: item for item in list_triage(inbox.store)}
    for row in rows:
        if row["state"] == "parse_error":
            assert listed[row["id"]].parse_error == row["parse_error"]
    shown = triage_text(list(listed.values()))
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown), repr(shown)  # nothing that drives a terminal
    for attachment in inbox.rows("SELECT * FROM attachments"):
        check_stored_attachment(inbox.config, attachment)


def check_stored_attachment(config: Config, attachment: dict[str, Any]) -> None:
    """A generated name inside the files folder, holding exactly the attachment's bytes; or nothing written."""
    name = attachment["filename"]
    assert name is None or not re.search(r"[/\\\x00-\x1f\x7f]", name)
    if attachment["stored_path"] is None:
        assert attachment["status"] == "too_large"
        return
    found = ATTACHMENT_PATH.match(attachment["stored_path"])
    assert found, attachment["stored_path"]
    assert int(found.group(1)) == attachment["message_id"] and int(found.group(2)) == attachment["part_index"]
    path = (config.files_dir / attachment["stored_path"]).resolve()
    assert path.is_relative_to(config.files_dir.resolve())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == attachment["sha256"]


# --- due dates, from stored rows, against a brute-force count ----------------------------------------------

SUBDIVISIONS = {"foia": ("ENG", "WLS", "SCT", "NIR"), "foisa": ("SCT",)}
MOMENTS = st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2034, 12, 31),
                       timezones=st.sampled_from([UTC, LONDON]))


@functools.cache
def bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


def brute_working(day: date, regime: str) -> bool:
    return day.weekday() < 5 and not any(day in bank_holidays(s, day.year) for s in SUBDIVISIONS[regime])


def brute_due(sent: datetime, regime: str) -> date:
    """Day 0 is the UK day of sending; count 20 working days after it, one day at a time."""
    day, counted = london_date(sent), 0
    while counted < 20:
        day += timedelta(days=1)
        counted += brute_working(day, regime)
    return day


@settings(max_examples=150, deadline=None)
@given(MOMENTS, MOMENTS, st.sampled_from(["foia", "foisa"]), st.integers(-40, 60))
def test_due_dates_from_stored_rows(first: datetime, second: datetime, regime: str, days_after: int) -> None:
    a, b = sorted([first, second])
    row_a = {"sent_at": iso(a), "regime": regime, "status": "awaiting_response"}
    row_b = {"sent_at": iso(b), "regime": regime, "status": "awaiting_response"}
    due_a, due_b = request_deadline(row_a), request_deadline(row_b)
    assert due_a is not None and due_b is not None
    assert due_a == brute_due(a, regime)
    assert brute_working(due_a, regime)  # never a weekend or a bank holiday
    assert due_a <= due_b  # sent later, due no sooner
    now = datetime.combine(due_a + timedelta(days=days_after), time(12), tzinfo=LONDON)
    assert is_overdue(row_a, now) == (days_after > 0)
    answered = datetime.combine(due_a, time(16), tzinfo=LONDON)
    assert working_days_taken({**row_a, "outcome_at": iso(answered)}) == 20


# --- addresses: whatever the check accepts is exactly one recipient, read back as written -----------------

ADDRESS_TEXT = st.one_of(
    st.emails(),
    st.text(st.sampled_from("abz09.-+=?'`{}|~!#$%&*/^_@\"<>,;: \\()[]\r\n\t\u2028é"), min_size=3, max_size=40),
    st.builds(lambda local, domain: f"{local}@{domain}", st.sampled_from(
        ["=?utf-8?q?=0D=0A?=", "a=?b?=c", "x,y", "a.b", "o'brien", "{{x}}", "a+fb-7k3q98", "\"q\"", "a..b"]),
        st.sampled_from(["gov.uk", "x.gov.uk", "EXAMPLE.org", "xn--bcher-kva.example", "a-.b.uk"])),
)


@settings(max_examples=300, deadline=None)
@given(ADDRESS_TEXT)
def test_an_accepted_address_is_one_recipient_read_back_exactly(address: str) -> None:
    try:
        checked = check_address(address)
    except AddressError:
        event("refused")
        return
    event("accepted")
    raw = build_message(from_name="A. Campaigner", from_addr="campaigner@example.org", to_addr=address,
                        subject="s", body="b", message_id="<m@example.org>", date=NOW, reply_to=None)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert [a.addr_spec for a in message["To"].addresses] == [checked]
    assert not message["To"].defects
