"""`foibot send` end to end against a real aiosmtpd server on loopback; only the far end misbehaves."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.run import NOW, NOW_UTC, authorities_csv, foibot, rows
from support.smtp import REQUESTER_EMAIL, REQUESTER_NAME, SmtpServer, write_config

from foibot import references

ROOT = Path(__file__).resolve().parent.parent
PLUS = {"name": REQUESTER_NAME, "email": REQUESTER_EMAIL, "reply_address": "plus"}


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", NOW)


def send(config: Path, *extra: str, run: str = "fusus", authorities: str = "authorities.csv", **kw: str):  # type: ignore[no-untyped-def]
    return foibot("--config", str(config), "send", "--run", run, "--authorities", authorities, *extra, **kw)


def requests_by_email(campaign: Path) -> dict[str, dict]:
    return {r["authority_email"]: dict(r) for r in rows(
        campaign / "foibot.db",
        "SELECT q.*, m.message_id, m.state, m.attempts, m.last_error, m.smtp_reply FROM requests q "
        "JOIN messages m ON m.request_id = q.id AND m.stage = 'request'")}


def test_every_authority_gets_exactly_one_message_with_the_right_headers(
    smtp_server: SmtpServer, campaign: Path
) -> None:
    config = write_config(campaign, smtp=smtp_server, requester=PLUS)
    authorities_csv(campaign, 6)
    result = send(config, "--yes")
    assert result.code == 0, result.stderr
    assert "Sent 6 messages" in result.stdout
    db = requests_by_email(campaign)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(db)
    for message in smtp_server.received:
        to = message.rcpt_tos[0]
        request = db[to]
        reference = request["reference"]
        assert references.is_valid(reference)
        assert message.mail_from == REQUESTER_EMAIL
        assert message.to == to
        assert message.header("From") == f"{REQUESTER_NAME} <{REQUESTER_EMAIL}>"
        assert message.header("Reply-To") == f"{REQUESTER_NAME} <campaigner+{reference.lower()}@foibot.test>"
        assert message.subject == f"Freedom of Information request: Fusus [ref {reference}]"
        assert message.header("Message-ID") == request["message_id"]
        assert f"Please quote our reference {reference}" in message.body
        assert message.body.startswith(f"Dear {request['authority_name']},")
        assert request["status"] == "awaiting_response"
        assert request["sent_at"] == NOW_UTC
        assert request["state"] == "sent" and request["attempts"] == 1
    assert len({r["reference"] for r in db.values()}) == 6
    assert len({r["message_id"] for r in db.values()}) == 6
    assert smtp_server.connections_used <= 2  # connections are reused, not one per message


def test_a_second_send_sends_nothing(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 4)
    assert send(config, "--yes").code == 0
    again = send(config, "--yes")
    assert again.code == 0, again.stderr
    assert "Nothing to send" in again.stdout
    assert len(smtp_server.received) == 4


def test_a_new_authority_added_to_the_list_is_the_only_one_sent(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 3)
    assert send(config, "--yes").code == 0
    authorities_csv(campaign, 4)
    result = send(config, "--yes")
    assert result.code == 0, result.stderr
    assert "1 new request queued, 3 already in the run" in result.stdout
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received).count("foi@council3.example") == 1
    assert len(smtp_server.received) == 4


def test_451_then_250_is_retried(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 3)
    smtp_server.fail_next(2, 451, "4.7.1 Greylisted, try again")
    result = send(config, "--yes")
    assert result.code == 0, result.stderr
    assert "retried" in result.stdout
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [f"foi@council{i}.example" for i in range(3)]
    db = requests_by_email(campaign)
    assert sum(r["attempts"] for r in db.values()) == 5
    assert all(r["state"] == "sent" for r in db.values())


def test_550_marks_that_request_failed_and_the_run_goes_on(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 4)
    smtp_server.reject_recipient("foi@council1.example", 550, "5.1.1 <foi@council1.example>: user unknown")
    result = send(config, "--yes")
    assert result.code == 1
    db = requests_by_email(campaign)
    failed = db["foi@council1.example"]
    assert failed["status"] == "failed" and failed["state"] == "failed"
    assert failed["failed_reason"] == "550 5.1.1 <foi@council1.example>: user unknown"
    assert f"{failed['reference']} Council Number 1 <foi@council1.example>: 550 5.1.1" in result.stderr
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "foi@council0.example", "foi@council2.example", "foi@council3.example"]
    again = send(config, "--yes")  # a refused request is not retried by a rerun
    assert len(smtp_server.received) == 3 and "Nothing to send" in again.stdout


def test_a_connection_dropped_after_the_data_leaves_the_message_unknown_not_resent(smtp_server: SmtpServer,
                                                                                   campaign: Path) -> None:
    # The content and its final dot went; the answer never came. The server may have accepted it: without
    # a Sent folder to look in, it is the campaigner's to settle (tests/test_send_sent_folder.py: with one).
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 5)
    smtp_server.drop_next(2)
    result = send(config, "--yes")
    assert result.code == 1, result.stderr
    db = requests_by_email(campaign)
    unknown = {a for a, r in db.items() if r["state"] == "unknown"}
    assert len(unknown) == 2 and {a for a, r in db.items() if r["state"] == "sent"} == {
        r.rcpt_tos[0] for r in smtp_server.received}
    assert all(db[a]["reference"] in result.stderr for a in unknown)
    assert "may or may not have been sent" in result.stderr and "--resend-unknown" in result.stderr
    assert all(db[a]["attempts"] == 1 for a in unknown)  # not tried again


def test_a_server_stalling_past_the_timeout_after_the_data_leaves_it_unknown(make_smtp_server,  # type: ignore[no-untyped-def]
                                                                             campaign: Path) -> None:
    server = make_smtp_server()
    config = write_config(campaign, smtp=server)
    text = config.read_text().replace("timeout_seconds = 5", "timeout_seconds = 0.5")
    config.write_text(text)
    authorities_csv(campaign, 2)
    server.stall_next(1, seconds=2)
    result = send(config, "--yes")
    assert result.code == 1, result.stderr
    states = sorted(r["state"] for r in requests_by_email(campaign).values())
    assert states == ["sent", "unknown"] and len(server.received) == 1


def test_temporary_failures_that_do_not_clear_leave_the_request_queued(
    smtp_server: SmtpServer, campaign: Path
) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 1)
    smtp_server.fail_next(4, 421, "4.3.2 Service shutting down")  # max_attempts = 4 in the test config
    result = send(config, "--yes")
    assert result.code == 1
    assert "not sent for now" in result.stderr and "421 4.3.2 Service shutting down" in result.stderr
    assert requests_by_email(campaign)["foi@council0.example"]["state"] == "queued"
    assert send(config, "--yes").code == 0  # later, the same command sends it
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_auth(make_smtp_server, campaign: Path, security: str) -> None:  # type: ignore[no-untyped-def]
    server = make_smtp_server(security=security, username="campaigner", password="s3cret pass")
    config = write_config(campaign, smtp=server)
    authorities_csv(campaign, 3)
    result = send(config, "--yes")
    assert result.code == 0, result.stderr
    assert len(server.received) == 3


def test_a_wrong_password_is_a_one_line_error_and_nothing_is_written(
    make_smtp_server, campaign: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    server = make_smtp_server(security="starttls", username="campaigner", password="right")
    config = write_config(campaign, smtp=server)
    authorities_csv(campaign, 3)
    monkeypatch.setenv(server.password_env, "wrong")
    result = send(config, "--yes")
    assert result.code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Error: SMTP server 127.0.0.1:{server.port} refused the login for 'campaigner'")
    assert "535" in result.stderr and server.password_env in result.stderr
    assert "wrong" not in result.stderr  # the password itself is never shown
    assert not (campaign / "foibot.db").exists()
    assert server.received == []


def test_an_untrusted_certificate_is_refused(make_smtp_server, campaign: Path) -> None:  # type: ignore[no-untyped-def]
    server = make_smtp_server(security="tls")
    section = server.smtp_section()
    del section["ca_file"]  # the system CAs do not know the test CA
    write_config(campaign, smtp=section)
    authorities_csv(campaign, 1)
    result = send(campaign / "config.toml", "--yes")
    assert result.code == 1
    assert "certificate could not be verified" in result.stderr and "ca_file" in result.stderr
    assert server.received == [] and not (campaign / "foibot.db").exists()


def test_an_unreachable_server_is_a_clear_error(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    port = smtp_server.port
    smtp_server.stop()
    authorities_csv(campaign, 1)
    result = send(config, "--yes")
    assert result.code == 1
    assert result.stderr.startswith(f"Error: cannot reach SMTP server 127.0.0.1:{port}")
    assert not (campaign / "foibot.db").exists()


def test_a_missing_password_variable_stops_before_anything(make_smtp_server, campaign: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    server = make_smtp_server(username="campaigner", password="pw")
    config = write_config(campaign, smtp=server)
    monkeypatch.delenv(server.password_env)
    authorities_csv(campaign, 2)
    result = send(config, "--yes")
    assert result.code == 1
    assert f"environment variable {server.password_env} is not set" in result.stderr
    assert str(config) in result.stderr and "password_env" in result.stderr
    assert not (campaign / "foibot.db").exists() and server.received == []


def test_dry_run_shows_and_writes_nothing(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server, requester=PLUS)
    authorities_csv(campaign, 3)
    result = send(config, "--dry-run")
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.match(r"authority\s+address\s+subject", lines[0])
    assert re.match(r"council-0\s+foi@council0\.example\s+Freedom of Information request: Fusus \[ref FB-", lines[1])
    assert "To: foi@council0.example" in result.stdout and "Dear Council Number 0," in result.stdout
    assert f"3 requests would go to 3 addresses (3 domains) through 127.0.0.1:{smtp_server.port}" in result.stdout
    assert sorted(p.name for p in campaign.iterdir()) == ["authorities.csv", "config.toml"]
    assert smtp_server.received == []


def test_a_real_server_needs_yes_when_there_is_no_terminal(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 3)
    result = send(config)
    assert result.code == 1
    assert f"Send 3 requests to 3 authorities (3 domains) through 127.0.0.1:{smtp_server.port} as " \
           f"{REQUESTER_EMAIL}: confirm with --yes" in result.stderr
    assert smtp_server.received == [] and not (campaign / "foibot.db").exists()


@pytest.mark.parametrize("answer, sent", [("n", 0), ("y", 2)])
def test_the_confirmation_asks_on_a_terminal(smtp_server: SmtpServer, campaign: Path, answer: str,
                                             sent: int) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 2, domains=1)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "foibot", "--config", str(config), "send", "--run", "r"],
        stdin=slave, stdout=subprocess.PIPE, stderr=slave, cwd=campaign, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 30
    while b"[y/N]" not in seen and time.monotonic() < deadline:
        if select.select([master], [], [], 1)[0]:
            seen += os.read(master, 1024)
    assert b"Send 2 requests to 2 authorities (1 domains) through 127.0.0.1:" in seen
    os.write(master, answer.encode() + b"\n")
    proc.communicate(timeout=30)
    os.close(master)
    assert proc.returncode == (0 if sent else 1)
    assert len(smtp_server.received) == sent
    assert (campaign / "foibot.db").exists() == bool(sent)


def test_the_sandbox_keeps_every_message_in_a_maildir(campaign: Path) -> None:
    authorities_csv(campaign, 3)
    result = foibot("send", "--run", "try-out")  # no config at all: the sandbox, no confirmation needed
    assert result.code == 0, result.stderr
    assert "through the sandbox" in result.stdout
    kept = list((campaign / "sandbox-mail" / "new").iterdir())
    assert len(kept) == 3
    assert all(b"Freedom of Information request: Fusus [ref FB-" in p.read_bytes() for p in kept)


def test_a_run_identical_to_a_sent_one_is_refused_unless_asked_for(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 2)
    assert send(config, "--yes", run="first").code == 0
    again = send(config, "--yes", run="second")
    assert again.code == 1
    assert "run first already sent this same request to this same list" in again.stderr
    assert len(smtp_server.received) == 2
    forced = send(config, "--yes", "--allow-duplicate-run", run="second")
    assert forced.code == 0, forced.stderr
    assert len(smtp_server.received) == 4


def test_a_template_error_names_the_authority_and_line_and_sends_nothing(
    smtp_server: SmtpServer, campaign: Path
) -> None:
    config = write_config(campaign, smtp=smtp_server)
    folder = campaign / "templates" / "mine"
    folder.mkdir(parents=True)
    (folder / "request.toml").write_text('title = "Mine"\n')
    (folder / "subject.j2").write_text("FOI [ref {{ reference }}]\n")
    (folder / "body.j2").write_text(
        "Dear {{ authority.name }},\n{% if authority.id == 'council-1' %}\n{{ authority.postcode }}\n{% endif %}\n"
        "Ref {{ reference }}\n")
    authorities_csv(campaign, 3)
    result = send(config, "--yes", "--template", "mine")
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert "body.j2 line 3" in result.stderr and "council-1 (Council Number 1, line 3)" in result.stderr
    assert "postcode" in result.stderr
    assert smtp_server.received == [] and not (campaign / "foibot.db").exists()


def test_a_bad_authorities_file_sends_nothing_and_writes_nothing(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 3, extra_rows=["dup,Dup,foi@council1.example,council,england"])
    result = send(config, "--yes")
    assert result.code == 1
    assert "authorities.csv:5: duplicate email foi@council1.example (first on line 3)" in result.stderr
    assert smtp_server.received == [] and not (campaign / "foibot.db").exists()


def test_interrupted_messages_are_reported_not_resent_and_the_campaigner_decides(
    smtp_server: SmtpServer, campaign: Path
) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 3)
    assert send(config, "--yes").code == 0
    # What a crash between the claim and the server's answer leaves behind (the crash test does it for real).
    import sqlite3

    conn = sqlite3.connect(campaign / "foibot.db")
    conn.execute("UPDATE messages SET state = 'sending' WHERE to_addrs IN ('foi@council0.example', "
                 "'foi@council1.example')")
    conn.execute("UPDATE requests SET status = 'queued', sent_at = NULL WHERE authority_email IN "
                 "('foi@council0.example', 'foi@council1.example')")
    conn.commit()
    conn.close()
    db = requests_by_email(campaign)
    ref0, ref1 = db["foi@council0.example"]["reference"], db["foi@council1.example"]["reference"]
    result = send(config, "--yes")
    assert result.code == 1
    assert "2 messages may or may not have been sent" in result.stderr
    assert ref0 in result.stderr and ref1 in result.stderr and "--resend-unknown" in result.stderr
    assert len(smtp_server.received) == 3  # nothing resent blindly
    marked = foibot("--config", str(config), "send", "--mark-sent", ref0.lower())
    assert marked.code == 0, marked.stderr
    assert f"{ref0}: request to foi@council0.example recorded as sent" in marked.stdout
    resent = foibot("--config", str(config), "send", "--resend-unknown", ref1, "--yes")
    assert resent.code == 0, resent.stderr
    assert [r.rcpt_tos[0] for r in smtp_server.received].count("foi@council1.example") == 2
    db = requests_by_email(campaign)
    assert {db[a]["state"] for a in db} == {"sent"}
    assert db["foi@council0.example"]["status"] == "awaiting_response"
    assert send(config, "--yes").code == 0  # nothing left to decide
    assert foibot("--config", str(config), "send", "--mark-sent", ref0).code == 1  # not unknown any more


def test_rate_limit_and_domain_pause_space_the_messages(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    text = config.read_text().replace("domain_pause_seconds = 0", "domain_pause_seconds = 0.3")
    config.write_text(text.replace("connections = 2", "connections = 1"))
    rows_ = ["id,name,email,kind,jurisdiction"] + [
        f"{d}-{i},Body {d} {i},foi{i}@{d}.example,council,england" for i in range(3) for d in ("alpha", "beta")]
    (campaign / "authorities.csv").write_text("\n".join(rows_) + "\n")
    started = time.monotonic()
    assert send(config, "--yes").code == 0
    elapsed = time.monotonic() - started
    domains = [r.rcpt_tos[0].split("@")[1] for r in smtp_server.received]
    assert domains == ["alpha.example", "beta.example"] * 3  # a pause for one domain does not hold the other
    assert elapsed >= 0.6  # three messages to one domain, two pauses between them


def test_preview_shows_one_authoritys_request(campaign: Path) -> None:
    authorities_csv(campaign, 3)
    result = foibot("preview", "council-2")
    assert result.code == 0, result.stderr
    assert "To: foi@council2.example" in result.stdout
    assert re.search(r"Subject: Freedom of Information request: Fusus \[ref FB-[A-Z0-9]{6}\]", result.stdout)
    assert "Dear Council Number 2," in result.stdout and "held by the council" in result.stdout
    assert not (campaign / "foibot.db").exists()
    missing = foibot("preview", "nowhere")
    assert missing.code == 1 and "no authority with id 'nowhere'" in missing.stderr


def test_another_sender_on_the_same_database_is_refused(smtp_server: SmtpServer, campaign: Path) -> None:
    import fcntl

    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 2)
    lock = campaign / "foibot.db.send-lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as another process would hold it
    try:
        result = send(config, "--yes")
    finally:
        os.close(fd)
    assert result.code == 1 and "another foibot is sending" in result.stderr
    assert smtp_server.received == []


def test_a_run_keeps_its_template(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    folder = campaign / "templates" / "mine"
    folder.mkdir(parents=True)
    (folder / "request.toml").write_text('title = "Mine"\n')
    (folder / "subject.j2").write_text("FOI [ref {{ reference }}]")
    (folder / "body.j2").write_text("Dear {{ authority.name }},\nRef {{ reference }}\n")
    authorities_csv(campaign, 2)
    assert send(config, "--yes", "--template", "mine").code == 0
    authorities_csv(campaign, 3)
    other = send(config, "--yes")  # the default template, fusus
    assert other.code == 1 and "run fusus was started with template 'mine', not 'fusus'" in other.stderr
    (folder / "body.j2").write_text("Hello {{ authority.name }},\nRef {{ reference }}\n")
    edited = send(config, "--yes", "--template", "mine")
    assert edited.code == 1 and "template mine has changed since run fusus was started" in edited.stderr
    assert len(smtp_server.received) == 2


def test_a_run_name_must_be_plain(campaign: Path) -> None:
    authorities_csv(campaign, 1)
    result = foibot("send", "--run", "../etc", "--dry-run")
    assert result.code == 1 and "run name '../etc' must be" in result.stderr


def test_send_without_a_run_is_a_usage_error(campaign: Path) -> None:
    result = foibot("send")
    assert result.code == 2 and "Missing option '--run'" in result.stderr
