"""What a reply can carry, and what foibot does with it: attachments stored only under generated names inside
the files folder (whatever their names or sizes), HTML never run or fetched, template syntax never evaluated,
terminal escapes never printed. Replies arrive through a real Dovecot and the real poller, or through the
poller's own store-then-file path for the property tests.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from email.header import Header
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from support.campaigns import MailCampaign, sent_campaign
from support.inbox import ScratchInbox
from support.outcomes import elements

from foibot.cli import cli
from foibot.config import Config

NOW = "2026-03-20T12:00:00+00:00"
GENERATED = re.compile(r"^(\d+)/(\d+)-([0-9a-f]{16})\.[a-z0-9]{1,5}$")
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # ESC, BEL, CSI...: drive a terminal


def disposition(name: str) -> str:
    """The filename as RFC 2231 writes any text at all (percent-encoded UTF-8, in continuations when long)."""
    encoded = quote(name.encode("utf-8", "surrogatepass"), safe="")
    if len(encoded) <= 800:
        return f"attachment; filename*=utf-8''{encoded}"
    chunks = [encoded[i:i + 800] for i in range(0, len(encoded), 800)]
    # Never split a %XX escape across two continuations.
    fixed: list[str] = []
    carry = ""
    for chunk in chunks:
        chunk = carry + chunk
        cut = chunk.rfind("%", max(0, len(chunk) - 2))
        carry, chunk = (chunk[cut:], chunk[:cut]) if cut != -1 else ("", chunk)
        fixed.append(chunk)
    if carry:
        fixed.append(carry)
    first = f"attachment;\r\n filename*0*=utf-8''{fixed[0]}"
    return first + "".join(f";\r\n filename*{i}*={part}" for i, part in enumerate(fixed[1:], start=1))


def reply_with_files(files: list[tuple[str, str, bytes]], *, to: str, sender: str = "foi@barnet.gov.uk",
                     subject: str = "RE: your request", body: str = "Please find our response attached.",
                     message_id: str = "<files-1@barnet.gov.uk>") -> bytes:
    """A reply written by hand, so that names no mail library would write can be sent: (name, type, data)."""
    boundary = "files-boundary-7"
    head = (f"From: FOI Team <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            "Date: Fri, 20 Mar 2026 11:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")
    parts = [head]
    for name, content_type, data in files:
        encoded = base64.encodebytes(data).decode().replace("\n", "\r\n")
        parts.append(f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Disposition: {disposition(name)}\r\n"
                     f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}")
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode("utf-8")


def check_attachment(config: Config, attachment: dict[str, Any], max_bytes: int) -> None:
    """Stored under a generated name inside the files folder with exactly its bytes; or, too big, not at all."""
    name = attachment["filename"]
    assert name is None or (not re.search(r"[/\\\x00-\x1f\x7f-\x9f]", name) and len(name) <= 200), repr(name)
    if attachment["size"] > max_bytes:
        assert attachment["status"] == "too_large" and attachment["stored_path"] is None
        return
    found = GENERATED.match(attachment["stored_path"] or "")
    assert found, attachment["stored_path"]
    assert (int(found.group(1)), int(found.group(2))) == (attachment["message_id"], attachment["part_index"])
    path = (config.files_dir / attachment["stored_path"]).resolve()
    assert path.parent == (config.files_dir / found.group(1)).resolve()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == attachment["sha256"]


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


# --- attachments: hostile names and sizes -----------------------------------------------------------------

HOSTILE_NAMES = [
    "../../../../tmp/foibot-escape.sh", "/etc/cron.d/foibot-evil", "..\\..\\Windows\\System32\\evil.dll",
    "C:\\Users\\Public\\evil.exe", "con.txt", "CON", "NUL.pdf", "aux", "com1.docx", "letter\x00.pdf.exe",
    "x" * 10_000 + ".pdf", "invoice\u202efdp.exe", "..", ".", "", " ", ".bashrc", "~/.ssh/authorized_keys",
    "file\r\nContent-Type: text/html\r\n\r\n<script>.txt", "\x1b]52;c;ZXZpbA==\x07clip.txt", "%2e%2e%2fesc.txt",
    "name with spaces and ünïcödé 漢字.pdf", "a/" * 300 + "deep.txt", "\udcff-not-utf8.bin",
]


@pytest.fixture
def campaign(tmp_path: Path, dovecot: Any, imap_user: str, smtp_server: Any) -> MailCampaign:
    built = sent_campaign(tmp_path, dovecot, imap_user, smtp_server)
    text = built.config_path.read_text()
    built.config_path.write_text(text.replace('[storage]\n', '[storage]\nmax_attachment_bytes = 5000\n'))
    assert built.config.storage.max_attachment_bytes == 5000
    return built


def poll(campaign: MailCampaign) -> str:
    result = CliRunner().invoke(cli, ["--config", str(campaign.config_path), "poll"], obj={},
                                env={"FOIBOT_NOW": NOW})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_hostile_attachment_names_become_generated_names_inside_the_files_folder(campaign: MailCampaign) -> None:
    barnet = campaign.requests["barnet"]
    before = files_under(campaign.folder)
    files = [(name, "application/octet-stream", f"#!/bin/sh\necho {i}\n".encode()) for i, name in
             enumerate(HOSTILE_NAMES)]
    files += [("big-but-allowed.pdf", "application/pdf", b"%PDF-1.4 " + b"a" * 4990),  # 4999 bytes: kept
              ("too-big.zip", "application/zip", b"PK" + b"z" * 5999)]  # over the cap: not written
    raw = reply_with_files(files, to=barnet.plus_address)
    campaign.deliver(raw, to=barnet.plus_address)
    poll(campaign)
    [row] = campaign.rows("SELECT id, raw, request_id, state FROM messages WHERE direction = 'in'")
    assert row["request_id"] == barnet.id and row["state"] == "parsed"
    assert raw in bytes(row["raw"])  # kept whole (Dovecot adds its trace headers in front)
    attachments = campaign.rows("SELECT * FROM attachments WHERE message_id = ? ORDER BY part_index", [row["id"]])
    assert len(attachments) == len(files)
    for attachment in attachments:
        check_attachment(campaign.config, attachment, 5000)
    allowed, too_big = attachments[-2:]
    assert allowed["stored_path"] is not None and allowed["size"] == 4999
    assert too_big["stored_path"] is None and too_big["status"] == "too_large" and too_big["size"] == 6001
    written = files_under(campaign.folder) - before
    expected = {(campaign.config.files_dir / a["stored_path"]).resolve() for a in attachments if a["stored_path"]}
    assert {p.resolve() for p in written if campaign.config.files_dir in p.parents} == expected
    assert not [p for p in written if campaign.config.files_dir not in p.parents
                and not p.name.startswith("foibot.db")]  # nothing written anywhere else
    assert not Path("/tmp/foibot-escape.sh").exists() and not Path("/etc/cron.d/foibot-evil").exists()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=300), st.sampled_from(["application/pdf", "text/plain", "text/html",
                                                                  "application/x-evil", "message/rfc822", "image/png"]),
                          st.binary(max_size=3000)), min_size=1, max_size=4))
def test_any_attachment_name_and_size(inbox: ScratchInbox, files: list[tuple[str, str, bytes]]) -> None:
    raw = reply_with_files(files, to="campaigner@example.org")
    inbox.deliver([raw])
    [row] = inbox.rows("SELECT id, raw FROM messages")
    assert bytes(row["raw"]) == raw  # the message itself, byte for byte, whatever became of its parts
    for attachment in inbox.rows("SELECT * FROM attachments"):
        check_attachment(inbox.config, attachment, 2000)
    on_disk = {p.resolve() for p in files_under(inbox.config.files_dir)} if inbox.config.files_dir.exists() else set()
    assert on_disk == {(inbox.config.files_dir / a["stored_path"]).resolve()
                       for a in inbox.rows("SELECT stored_path FROM attachments WHERE stored_path IS NOT NULL")}


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    scratch = ScratchInbox(tmp_path_factory.mktemp("attachments"), max_attachment_bytes=2000)
    yield scratch
    scratch.close()


@pytest.mark.parametrize("size, written", [(1999, True), (2000, True), (2001, False), (250_000, False)])
def test_the_attachment_size_cap(inbox: ScratchInbox, size: int, written: bool) -> None:
    raw = reply_with_files([("scan.tif", "image/tiff", b"I" * size), ("note.txt", "text/plain", b"small")],
                           to="campaigner@example.org")
    inbox.deliver([raw])
    [message] = inbox.rows("SELECT id, raw, state FROM messages")
    assert bytes(message["raw"]) == raw and message["state"] == "parsed"  # the message is kept and read
    scan, note = inbox.rows("SELECT * FROM attachments ORDER BY part_index")
    assert (scan["stored_path"] is not None) is written
    assert scan["status"] == ("too_large" if not written else scan["status"]) and scan["size"] == size
    assert note["stored_path"] is not None and note["status"] == "ok"
    assert len(files_under(inbox.config.files_dir)) == (2 if written else 1)


# --- active content and template syntax in replies: shown as text, never run, never evaluated ---------------

TEMPLATE_BAIT = "{{ 7*191 }} {% raw %} {{ config }} {{ ''.__class__.__mro__ }} ${7*191} #{7*191} <%= 7*191 %>"
HOSTILE_HTML = f"""<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/">
<link rel="stylesheet" href="https://cdn.evil.example/x.css"><script src="https://cdn.evil.example/x.js"></script>
<style>body {{ background: url(https://tracker.evil.example/bg.png) }}</style></head>
<body onload="alert(1)"><p>Dear requester, {TEMPLATE_BAIT}</p>
<script>document.write('pwned')</script><img src="https://tracker.evil.example/p.gif" onerror="alert(2)">
<a href="javascript:alert(3)">click</a><iframe src="https://evil.example/"></iframe><svg onload="alert(4)"></svg>
<object data="https://evil.example/x.swf"></object><form action="https://evil.example/"><input name=x></form>
<p>The council does not hold the information you asked for.</p></body></html>"""
ESCAPES = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[1A\x9b31m\x07"


def hostile_replies(campaign: MailCampaign) -> tuple[bytes, bytes]:
    barnet = campaign.requests["barnet"]
    subject = f"RE: [ref {barnet.reference}] {TEMPLATE_BAIT} <script>alert(5)</script>"
    filed = (f"From: FOI Team <foi@barnet.gov.uk>\r\nTo: {barnet.plus_address}\r\n"
             f"Subject: {Header(subject, 'utf-8').encode()}\r\nMessage-ID: <html-1@barnet.gov.uk>\r\n"
             "Date: Fri, 20 Mar 2026 11:00:00 +0000\r\nMIME-Version: 1.0\r\n"
             "Content-Type: text/html; charset=utf-8\r\n\r\n" + HOSTILE_HTML + "\r\n").encode()
    # Unmatched, so it is listed in triage and status: escapes in the subject and the sender's name.
    sneaky = Header(f"Urgent {ESCAPES} {TEMPLATE_BAIT}", "utf-8").encode()
    name = Header(f"Evil{ESCAPES}", "utf-8").encode()
    triaged = (f"From: {name} <someone@unknown.example>\r\nTo: {campaign.user}\r\nSubject: {sneaky}\r\n"
               "Message-ID: <esc-1@unknown.example>\r\nDate: Fri, 20 Mar 2026 11:05:00 +0000\r\n\r\n"
               f"Hello {ESCAPES} {TEMPLATE_BAIT}\r\n").encode()
    return filed, triaged


def run(campaign: MailCampaign, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(campaign.config_path), *args], obj={},
                                env={"FOIBOT_NOW": NOW})
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_html_and_template_syntax_from_replies_are_only_ever_text(campaign: MailCampaign) -> None:
    filed, triaged = hostile_replies(campaign)
    campaign.deliver(filed, to=campaign.requests["barnet"].plus_address)
    campaign.deliver(triaged)
    poll(campaign)
    rows = {r["message_id"]: r for r in campaign.rows(
        "SELECT message_id, request_id, subject, from_addr, text, triage FROM messages WHERE direction = 'in'")}
    assert rows["<html-1@barnet.gov.uk>"]["request_id"] == campaign.requests["barnet"].id
    assert rows["<esc-1@unknown.example>"]["triage"] == 1
    assert TEMPLATE_BAIT in rows["<html-1@barnet.gov.uk>"]["subject"]  # kept literally, not evaluated
    assert "pwned" not in (rows["<html-1@barnet.gov.uk>"]["text"] or "")  # the script is not text either

    report_path = campaign.folder / "report.html"
    run(campaign, "report", "-o", str(report_path))
    page = report_path.read_text(encoding="utf-8")
    tags_and_attrs = elements(page)
    # The page's own favicon link is `data:,` (so the browser asks nothing); nothing else may load or run.
    tags = {tag for tag, attrs in tags_and_attrs if not (tag == "link" and attrs.get("href") == "data:,")}
    assert not tags & {"script", "iframe", "img", "object", "embed", "form", "input", "link", "base", "frame"}
    assert not [attrs for tag, attrs in tags_and_attrs if tag == "meta" and attrs.get("http-equiv") == "refresh"]
    for tag, attrs in tags_and_attrs:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert "javascript:" not in (value or "").lower() and "evil.example" not in (value or ""), (tag, value)
    assert not re.search(r"<\s*script", page, re.IGNORECASE) and "1337" not in page
    assert "{{ 7*191 }} {% raw %} {{ config }}" in page  # shown as the authority wrote it
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in page

    export = run(campaign, "export")
    cells = [cell for row in csv.reader(io.StringIO(export)) for cell in row]
    assert "1337" not in export and not any("<script" in c.lower() or "onerror" in c.lower() for c in cells)
    assert not any(TERMINAL_CONTROL.search(c) for c in cells)

    for command in (["triage"], ["status"]):
        shown = run(campaign, *command)
        assert not TERMINAL_CONTROL.search(shown), (command, repr(shown))
        assert "1337" not in shown
    assert TEMPLATE_BAIT.split(" {% raw")[0] in run(campaign, "triage")  # the subject, literally
