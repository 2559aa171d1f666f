"""Issue 13's hostile cases, each under a watchdog (pytest-timeout plus an in-test bound on time and memory):
the message is read or quarantined, the next normal reply is filed, errors are one line.

Generators are in support/hostile.py (the project's own). Real parts only: a SQLite file, the worker process
with its real limits, the CLI as a subprocess.
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import pytest
from support import hostile as hm
from support.inbox import NOW, ScratchInbox

from foibot.collect.filing import retry_message
from foibot.config import from_dict
from foibot.errors import ConfigError, TemplateError
from foibot.understand.classify import classify_text
from foibot.understand.extract import extract_text
from foibot.understand.parsing import parse_message

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NORMAL = hm.message("We do not hold the information you asked for.", message_id="<normal@barnet.gov.uk>")


def _rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class Bound:
    """Time (and peak memory growth of this process) under a limit for the block."""

    def __init__(self, seconds: float, mb: int = 400) -> None:
        self.seconds, self.mb = seconds, mb

    def __enter__(self) -> Self:
        self.started, self.rss = time.monotonic(), _rss_mb()
        return self

    def __exit__(self, *exc: object) -> None:
        took = time.monotonic() - self.started
        assert took < self.seconds, f"took {took:.1f} s (limit {self.seconds} s)"
        assert _rss_mb() - self.rss < self.mb, f"memory grew {_rss_mb() - self.rss} MB (limit {self.mb} MB)"


@pytest.fixture
def inbox(tmp_path: Path):
    scratch = ScratchInbox(tmp_path, read_timeout_seconds=20, read_memory_mb=1024)
    yield scratch
    scratch.close()


def states(inbox: ScratchInbox) -> dict[str, str]:
    return {r["message_id"]: r["state"] for r in inbox.rows("SELECT message_id, state FROM messages")}


# --- defects 1-5, 7 and the 30 MB text: read within bounds, and never blocking the next reply -----------

@pytest.mark.timeout(120)
@pytest.mark.parametrize("make", [hm.future_date, hm.long_encoded_subject, hm.digit_run, hm.huge_html,
                                  lambda: hm.message(attachment=(hm.shared_stream_pdf(), "application/pdf", "l.pdf"),
                                                     message_id="<pdf@barnet.gov.uk>"),
                                  lambda: hm.message(attachment=(hm.docx_xml_bomb(), DOCX, "l.docx"),
                                                     message_id="<docx@barnet.gov.uk>")],
                         ids=["future-date", "encoded-subject", "digit-run", "huge-html", "shared-stream-pdf",
                              "docx-xml-bomb"])
def test_a_hostile_message_is_read_within_bounds_and_the_next_reply_is_filed(inbox: ScratchInbox, make) -> None:
    raw = make()
    with Bound(60):
        report = inbox.deliver([raw, NORMAL])
    found = states(inbox)
    assert "stored" not in found.values(), found  # nothing left for every later poll to hit again
    assert found["<normal@barnet.gov.uk>"] == "parse_error" or found["<normal@barnet.gov.uk>"] == "parsed"
    assert report.quarantined == 0, report.problems  # read, not set aside: the caps keep each one cheap


def test_a_date_past_the_last_datetime_is_a_defect_not_a_crash() -> None:
    parsed = parse_message(hm.future_date())
    assert parsed.date is None and any("out of range" in d for d in parsed.defects)


@pytest.mark.timeout(60)
def test_a_long_encoded_subject_is_cut_before_the_stdlib_parser() -> None:
    with Bound(5, mb=100):
        parsed = parse_message(hm.long_encoded_subject(1024 * 1024))
    assert any("Subject header too long" in d for d in parsed.defects)


@pytest.mark.timeout(60)
def test_a_digit_run_classifies_in_linear_time() -> None:
    with Bound(10):
        classify_text("We hold " + "1" * 200_000 + " incidents of that kind.")


@pytest.mark.timeout(60)
def test_pdf_pages_sharing_one_stream_are_read_once() -> None:
    with Bound(20):
        got = extract_text(hm.shared_stream_pdf(), "application/pdf", "letter.pdf")
    assert got.status == "ok" and "too big to read" in got.detail


@pytest.mark.timeout(120)
@pytest.mark.parametrize("make", [hm.docx_xml_bomb, hm.docx_entity_bomb,
                                  lambda: hm.docx_image_bomb(200 * 1024 * 1024)], ids=["xml", "entities", "image"])
def test_docx_bombs_are_refused_before_python_docx(make) -> None:
    data = make()
    with Bound(10, mb=200):
        got = extract_text(data, DOCX, "letter.docx")
    assert got.status == "broken" and got.detail.startswith("DOCX not read")
    assert extract_text(hm.docx_letter("We do not hold it."), DOCX, "ok.docx").text == "We do not hold it."


@pytest.mark.timeout(120)
def test_a_30_mb_text_reply_is_read_capped() -> None:
    with Bound(60, mb=700):
        parsed = parse_message(hm.huge_text())
    assert len(parsed.text) <= 1_000_000 and any("first" in d for d in parsed.defects)


# --- quarantine: out of memory or time in the worker, listed, retried ------------------------------------

@pytest.mark.timeout(180)
def test_a_message_that_runs_out_of_memory_is_quarantined_and_retry_reads_it_again(tmp_path: Path) -> None:
    tight = ScratchInbox(tmp_path, read_memory_mb=200)
    try:
        report = tight.deliver([hm.huge_text(60 * 1024 * 1024), NORMAL])
        found = {r["message_id"]: r for r in tight.rows("SELECT * FROM messages")}
        bad = found["<text@barnet.gov.uk>"]
        assert bad["state"] == "quarantined" and "memory" in bad["quarantine_reason"]
        assert bad["raw"] and len(bad["raw"]) > 60 * 1024 * 1024 * 0.9  # nothing lost
        assert found["<normal@barnet.gov.uk>"]["state"] != "stored"
        assert report.quarantined == 1 and "quarantined" in report.summary()
        assert tight.store.quarantine_count() == 1
        again = retry_message(tight.store, tight.config, bad["id"], NOW)
        assert again.state == "quarantined"
        roomy = from_dict({"storage": {"database": "foibot.db", "read_memory_mb": 2048}},
                          str(tmp_path / "config.toml"), tmp_path)
        assert retry_message(tight.store, roomy, bad["id"], NOW).state in ("parsed", "parse_error")
    finally:
        tight.close()


@pytest.mark.timeout(120)
def test_a_message_that_runs_out_of_time_is_quarantined(tmp_path: Path) -> None:
    hurried = ScratchInbox(tmp_path, read_timeout_seconds=0.01)
    try:
        with Bound(30):
            hurried.deliver([hm.message(attachment=(hm.shared_stream_pdf(), "application/pdf", "l.pdf"),
                                        message_id="<pdf@barnet.gov.uk>"), NORMAL])
        found = {r["message_id"]: r for r in hurried.rows("SELECT * FROM messages")}
        assert found["<pdf@barnet.gov.uk>"]["state"] == "quarantined"
        assert "took more than" in found["<pdf@barnet.gov.uk>"]["quarantine_reason"]
        assert found["<normal@barnet.gov.uk>"]["state"] != "stored"
    finally:
        hurried.close()


# --- store and config --------------------------------------------------------------------------------------

def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "foibot", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120, check=False)


@pytest.mark.timeout(120)
def test_a_damaged_database_is_one_line_saying_how_to_restore(tmp_path: Path) -> None:
    inbox = ScratchInbox(tmp_path)
    inbox.deliver([hm.message(f"Reply {n}. " * 400, message_id=f"<m{n}@barnet.gov.uk>") for n in range(40)])
    from foibot.store import integrity_check

    assert integrity_check(inbox.store) == []
    inbox.close()
    path = tmp_path / "foibot.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data)):  # every page but the first (the schema) is garbage
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    (tmp_path / "config.toml").write_text('[storage]\ndatabase = "foibot.db"\n')
    done = _cli("status", "--config", str(tmp_path / "config.toml"), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "is damaged" in done.stderr and "backup" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    checked = _cli("check", "--config", str(tmp_path / "config.toml"), cwd=tmp_path)
    assert checked.returncode == 1 and "FAILED" in checked.stderr and "Traceback" not in checked.stderr


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_numeric_config_refuses_inf_and_nan(tmp_path: Path, value: str) -> None:
    import tomllib

    data = tomllib.loads(f"[daemon]\npoll_minutes = {value}\n")
    with pytest.raises(ConfigError, match="finite number"):
        from_dict(data, "c.toml", tmp_path)


def test_a_password_given_as_password_env_is_refused_without_echoing_it(tmp_path: Path) -> None:
    data = {"imap": {"host": "imap.example.org", "username": "u", "password_env": "hunter2 secret!"}}
    with pytest.raises(ConfigError) as caught:
        from_dict(data, "c.toml", tmp_path)
    assert "hunter2" not in str(caught.value) and "NAME of an environment variable" in str(caught.value)


def test_a_relative_ca_file_is_relative_to_the_config_folder(tmp_path: Path) -> None:
    config = from_dict({"imap": {"host": "imap.example.org", "ca_file": "ca.pem"}}, "c.toml", tmp_path)
    assert config.imap is not None and config.imap.ca_file == str(tmp_path / "ca.pem")


# --- templates and the export --------------------------------------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("source, words", [
    ("{{ 'x' * 3000000000 }}", "repeats text"),
    ("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}", "loops"),
    ("{{ 'x'|center(3000000000) }}", "too big"),
    ("{% include 't/self.j2' %}", "itself"),
    ("{% for i in range(90000) %}{{ 'y' * 50 }}{% endfor %}", "more than"),
])
def test_a_hostile_template_is_one_clear_error(tmp_path: Path, source: str, words: str) -> None:
    from foibot.render import make_environment, render_file

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "self.j2").write_text(source)
    with Bound(20, mb=200), pytest.raises(TemplateError, match=words):
        render_file(make_environment([tmp_path]), "t/self.j2", {}, "barnet")


def test_the_export_header_row_is_neutralised(tmp_path: Path) -> None:
    # Issue 13: a question id from the campaigner's template such as =HYPERLINK(...) became a live formula in
    # the name of its "..._answer" column.
    import csv
    import io

    from foibot.publish.export import write_csv
    from foibot.store import open_store

    template = tmp_path / "templates" / "evil"
    template.mkdir(parents=True)
    (template / "request.toml").write_text('[[questions]]\nid = "=HYPERLINK(\\"http://x.example\\")"\n'
                                           'text = "How many?"\n')
    (template / "subject.j2").write_text("FOI {{ reference }}\n")
    (template / "body.j2").write_text("Dear {{ authority.name }}, {{ reference }}\n")
    store = open_store(tmp_path / "foibot.db", tmp_path / "files")
    with store.transaction():
        store.db.execute("INSERT INTO runs (id, template, created_at) VALUES ('r', 'evil', '2026-03-02T10:00:00+00:00')")
    out = io.StringIO()
    write_csv(store, out, NOW, base_dir=tmp_path)
    store.close()
    header = next(csv.reader(io.StringIO(out.getvalue())))
    assert any("HYPERLINK" in name for name in header)
    assert not any(name.startswith(("=", "+", "-", "@")) for name in header), header


def test_foibot_check_runs_the_integrity_check(tmp_path: Path) -> None:
    inbox = ScratchInbox(tmp_path)
    inbox.close()
    (tmp_path / "config.toml").write_text('[storage]\ndatabase = "foibot.db"\n')
    done = _cli("check", "--config", str(tmp_path / "config.toml"), cwd=tmp_path)
    assert "integrity check finds it whole" in done.stdout, done.stdout + done.stderr


def test_dmarc_fail_in_the_received_headers_reaches_the_matcher() -> None:
    # Issue 13 (defect 8), through the real parser: foibot never read Authentication-Results.
    from foibot.collect.filing import read

    raw = hm.message("We do not hold the information.", sender="foi@barnet.gov.uk",
                     headers={"Authentication-Results": "mx.example.org; spf=softfail smtp.mailfrom=barnet.gov.uk; "
                                                        "dmarc=fail (p=reject) header.from=barnet.gov.uk"})
    assert read(raw, 1024 * 1024).facts.auth_failed in ("dmarc", "spf")


def test_the_default_authorities_csv_is_beside_the_config_whatever_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 13 (defect 14): `send`/`preview` looked for authorities.csv in the current folder, the config's
    # other paths from the config's folder; run from another folder, they failed.
    from support.run import authorities_csv, foibot

    campaign, elsewhere = tmp_path / "campaign", tmp_path / "elsewhere"
    campaign.mkdir()
    elsewhere.mkdir()
    (campaign / "config.toml").write_text('[requester]\nname = "A. Campaigner"\nemail = "me@example.org"\n')
    authorities_csv(campaign, 3)
    monkeypatch.chdir(elsewhere)
    done = foibot("preview", "council-2", "--config", str(campaign / "config.toml"))
    assert done.code == 0, done.stderr
    assert "To: foi@council2.example" in done.stdout
    # A path given on the command line is the shell's: from the current folder.
    authorities_csv(elsewhere, 1, name="other.csv")
    given = foibot("preview", "council-0", "--config", str(campaign / "config.toml"), "--authorities", "other.csv")
    assert given.code == 0, given.stderr


@pytest.mark.timeout(120)
def test_a_quarantined_message_is_listed_in_status_triage_and_the_report_and_foibot_retry_files_it(
        tmp_path: Path) -> None:
    from support.run import foibot

    from foibot.collect.triage import list_triage
    from foibot.publish.report import build_report
    from foibot.publish.status import render, summarise

    hurried = ScratchInbox(tmp_path, read_timeout_seconds=0.01)
    try:
        hurried.deliver([hm.message(attachment=(hm.shared_stream_pdf(), "application/pdf", "l.pdf"),
                                    message_id="<pdf@barnet.gov.uk>"), NORMAL])
        bad = hurried.rows("SELECT id, state FROM messages WHERE message_id = '<pdf@barnet.gov.uk>'")
        assert bad[0]["state"] == "quarantined"
        number = bad[0]["id"]
        assert "Quarantined: " in render(summarise(hurried.store, NOW), NOW)
        item = next(i for i in list_triage(hurried.store) if i.id == number)
        assert f"foibot retry {number}" in item.why and "took more than" in (item.parse_error or "")
        assert "quarantined" in build_report(hurried.store, NOW)
    finally:
        hurried.close()
    (tmp_path / "config.toml").write_text('[storage]\ndatabase = "foibot.db"\nread_timeout_seconds = 60\n')
    done = foibot("retry", str(number), "--config", str(tmp_path / "config.toml"))
    assert done.code == 0, done.stderr
    assert f"Message {number} " in done.stdout and "quarantined again" not in done.stdout
    again = foibot("retry", str(number), "--config", str(tmp_path / "config.toml"))
    assert again.code == 1 and "is not quarantined" in again.stderr
