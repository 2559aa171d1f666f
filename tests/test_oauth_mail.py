"""Sending, polling and chasing over OAuth2, against real servers on loopback that check every token with
the authorization server: aiosmtpd taking only AUTH XOAUTH2, Dovecot's oauth2 passdb (introspection).

What is faked is only the far end: tokens that expire or are revoked mid-run, a dropped connection.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from support.imap import TcpProxy
from support.mail import reply_to
from support.oauth import AuthServer, OAuthDovecot, OAuthSmtpServer, oauth_tables, seed_login
from support.run import Run, foibot, rows
from support.smtp import sent_folder_of, toml_text

from foibot.clock import parse_now
from foibot.config import load_config

ROOT = Path(__file__).resolve().parent.parent
SENT = "2023-04-17T10:00:00+01:00"
AUTHORITIES = """\
id,name,email,kind,jurisdiction
answers,Answers Borough Council,foi@answers.gov.example,council,england
acks,Acks District Council,foi@acks.gov.example,council,england
silent,Silent Council,foi@silent.gov.example,council,england
"""
NOT_HELD = """\
Dear Alex Campaigner,

Our reference: FOI-2210

I have now completed my searches in response to your request. I can confirm that the council does not
hold any information within the scope of your request.

Yours sincerely,
Information Governance Officer
"""
ACKNOWLEDGEMENT = """\
Dear Alex Campaigner,

Thank you for your request for information, which we received on 17 April 2023. It is being handled under
the Freedom of Information Act 2000 and you should receive a response within 20 working days.

Information Governance Team
"""


class Mailbox:
    """A campaign whose SMTP and IMAP logins are OAuth2 tokens, and the commands run at a FOIBOT_NOW."""

    def __init__(self, folder: Path, auth: AuthServer, dovecot: OAuthDovecot, smtp: OAuthSmtpServer,
                 monkeypatch: pytest.MonkeyPatch, authorities: str = AUTHORITIES, **imap: Any):
        self.folder, self.auth, self.dovecot, self.smtp = folder, auth, dovecot, smtp
        self.monkeypatch = monkeypatch
        self.user = dovecot.new_user("oauth")
        tables = oauth_tables(auth, self.user, smtp=smtp, dovecot=dovecot)
        tables["imap"].update(imap)
        (folder / "authorities.csv").write_text(authorities)
        self.config_path = folder / "config.toml"
        self.config_path.write_text(toml_text({"requester": {"name": "Alex Campaigner", "email": self.user},
                                               **tables}))
        monkeypatch.setenv("FOIBOT_CONFIG", str(self.config_path))
        self.originals: dict[str, EmailMessage] = {}
        self.outputs: list[str] = []

    def like_gmail(self) -> None:
        """The provider files a copy of every message it accepts in the Sent folder, as Gmail does
        (`[smtp] saves_sent_copies`): a message whose answer a dropped connection lost is looked up there,
        over the same OAuth2 login, and resent only when it is certainly not there."""
        self.smtp.file_copies(sent_folder_of(self.dovecot, self.user))
        text = self.config_path.read_text()
        assert "[smtp]\n" in text
        self.config_path.write_text(text.replace("[smtp]\n", "[smtp]\nsaves_sent_copies = true\n", 1))

    def one_logged_in_connection(self, at_message: int, trouble: Callable[[], None]) -> None:
        """One SMTP connection at a time, already logged in (the tokens a finished `foibot login` leaves),
        the provider filing Sent copies as Gmail does; `trouble` strikes once it has accepted message
        `at_message`."""
        self.config_path.write_text(self.config_path.read_text().replace("connections = 2", "connections = 1"))
        seed_login(load_config(self.config_path), self.user, self.auth)
        self.like_gmail()
        self.smtp.after_message = lambda count: trouble() if count == at_message else None

    def run(self, now: str, *args: str, code: int = 0) -> Run:
        self.monkeypatch.setenv("FOIBOT_NOW", now)
        result = foibot(*args)
        self.outputs.append(result.stdout + result.stderr)
        assert result.code == code, (args, result.stdout, result.stderr)
        return result

    def send(self, now: str = SENT, code: int = 0) -> Run:
        before = len(self.smtp.received)
        result = self.run(now, "send", "--run", "fusus", "--template", "fusus", "--authorities", "authorities.csv",
                          "--yes", code=code)
        for message in self.smtp.received[before:]:
            self.originals[message.rcpt_tos[0].split("@")[1].split(".")[0]] = message.message
        return result

    def reply(self, authority: str, at: str, body: str) -> None:
        message = reply_to(self.originals[authority], to=self.user, body=body, date=parse_now(at))
        self.dovecot.deliver(self.user, message, sender=f"foi@{authority}.gov.example")

    def requests(self) -> dict[str, dict[str, str]]:
        out = self.run("2023-09-01T12:00:00+01:00", "export").stdout
        return {r["authority_email"].split("@")[1].split(".")[0]: r for r in csv.DictReader(io.StringIO(out))}

    def assert_no_token_leaked(self) -> None:
        database = (self.folder / "foibot.db").read_bytes()
        for token in self.auth.issued():
            assert token.encode() not in database, "a token is in the database"
            for output in self.outputs:
                assert token not in output, "a token was printed"


@pytest.fixture
def mailbox(campaign: Path, auth_server: AuthServer, oauth_dovecot: OAuthDovecot,
            make_oauth_smtp: Any, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    return Mailbox(campaign, auth_server, oauth_dovecot, make_oauth_smtp(), monkeypatch)


def login_by_device(box: Mailbox) -> str:
    """The real `foibot login` in its own process; the campaigner approves the code it shows."""
    proc = subprocess.Popen([sys.executable, "-m", "foibot", "--config", str(box.config_path), "login"],
                            cwd=box.folder, text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    code = re.search(r"enter the code (\S+)", line)
    assert code, line
    box.auth.approve(code.group(1), box.user)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    box.outputs.append(line + out + err)
    return out


def test_a_whole_run_poll_and_chase_over_oauth2(mailbox: Mailbox) -> None:
    box = mailbox
    assert login_by_device(box).startswith(f"Logged in as {box.user};")

    box.send()
    assert sorted(m.rcpt_tos[0] for m in box.smtp.received) == [
        "foi@acks.gov.example", "foi@answers.gov.example", "foi@silent.gov.example"]
    assert box.smtp.logins and set(box.smtp.logins) == {box.user}  # every connection logged in by token

    box.reply("answers", "2023-05-10T12:00:00+01:00", NOT_HELD)
    box.reply("acks", "2023-04-18T11:00:00+01:00", ACKNOWLEDGEMENT)
    checked = box.auth.introspections
    poll = box.run("2023-05-10T16:00:00+01:00", "poll")
    assert "2 filed" in poll.stdout, poll.stdout
    assert box.auth.introspections > checked  # Dovecot checked our token with the authorization server
    assert {k: r["status"] for k, r in box.requests().items()} == {
        "answers": "answered", "acks": "overdue", "silent": "overdue"}

    box.run("2023-05-18T10:00:00+01:00", "chase", "--yes")
    chasers = sorted(m.rcpt_tos[0] for m in box.smtp.received[3:])
    assert chasers == ["foi@acks.gov.example", "foi@silent.gov.example"]
    assert all(m.header("In-Reply-To") for m in box.smtp.received[3:])  # each a reply to its request
    requests = box.requests()
    assert (requests["acks"]["chases"], requests["acks"]["chase_stage"]) == ("1", "reminder")
    assert requests["silent"]["chase_stage"] == "reminder"
    assert box.auth.grants == ["urn:ietf:params:oauth:grant-type:device_code"]  # an hour's token: no refresh
    box.assert_no_token_leaked()


def test_an_access_token_that_expires_mid_run_is_refreshed_without_a_lost_or_doubled_message(
    campaign: Path, auth_server: AuthServer, oauth_dovecot: OAuthDovecot, make_oauth_smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    authorities = "id,name,email,kind,jurisdiction\n" + "".join(
        f"c{i},Council {i},foi@c{i}.gov.example,council,england\n" for i in range(6))
    smtp = make_oauth_smtp()
    box = Mailbox(campaign, auth_server, oauth_dovecot, smtp, monkeypatch, authorities=authorities)

    def midway() -> None:  # the token runs out, and the provider closes the connection on the next message
        auth_server.expire_access(box.user)
        smtp.drop_next(1)

    box.one_logged_in_connection(3, midway)
    box.send()
    received = [m.rcpt_tos[0] for m in smtp.received]
    assert sorted(received) == sorted(f"foi@c{i}.gov.example" for i in range(6))  # each exactly once
    assert auth_server.grants == ["refresh_token"]
    # The check before queueing, the run's connection, then the stale token refused and the refreshed one,
    # and the connection that sent the dropped message again once the Sent folder showed it never arrived.
    assert smtp.logins == [box.user] * 5
    assert "1 message of unknown fate certainly not in the Sent folder: sent again." in box.outputs[-1]
    assert auth_server.introspections > 0  # the Sent folder was read over IMAP with the OAuth2 token
    states = rows(campaign / "foibot.db", "SELECT state FROM messages WHERE direction = 'out'")
    assert [r["state"] for r in states] == ["sent"] * 6
    box.assert_no_token_leaked()


def test_a_refused_token_between_two_polls_is_refreshed_and_nothing_is_stored_twice(mailbox: Mailbox) -> None:
    box = mailbox
    seed_login(load_config(box.config_path), box.user, box.auth)
    box.send()
    box.reply("answers", "2023-04-20T12:00:00+01:00", NOT_HELD)
    assert "1 fetched, 1 stored" in box.run("2023-04-20T16:00:00+01:00", "poll").stdout
    box.auth.expire_access(box.user)  # revoked at the provider's end while foibot still thinks it good
    box.reply("acks", "2023-04-21T11:00:00+01:00", ACKNOWLEDGEMENT)
    poll = box.run("2023-04-21T16:00:00+01:00", "poll")
    assert "1 fetched, 1 stored" in poll.stdout, poll.stdout
    assert box.auth.grants == ["refresh_token"]
    incoming = rows(box.folder / "foibot.db", "SELECT COUNT(*) AS n FROM messages WHERE direction = 'in'")
    assert incoming[0]["n"] == 2
    box.assert_no_token_leaked()


def test_a_login_revoked_mid_run_stops_the_run_with_one_line_and_the_rest_stay_queued(mailbox: Mailbox) -> None:
    box = mailbox

    def midway() -> None:  # the campaigner removed foibot's access in their account settings
        box.auth.revoke(box.user)
        box.auth.expire_access(box.user)
        box.smtp.drop_next(1)

    box.one_logged_in_connection(1, midway)
    result = box.send(code=1)
    assert result.stderr.splitlines()[-2:] == [
        (f"Error: refreshing the OAuth2 login for {box.user} was refused by 127.0.0.1:{box.auth.port} "
        "(invalid_grant: The refresh token [token] has been revoked): run `foibot login` again"),
        ("1 sent in this run, 1 still queued, 1 of unknown fate (looked for in the Sent folder before anything "
        "is resent): nothing is lost; fix that, then run the same command again")]
    assert len(box.smtp.received) == 1
    # The dropped message may have arrived: unknown, not resent, until the Sent folder can be read again.
    states = rows(box.folder / "foibot.db", "SELECT state FROM messages WHERE direction = 'out' ORDER BY id")
    assert [r["state"] for r in states] == ["sent", "unknown", "queued"]

    box.smtp.after_message = None
    seed_login(load_config(box.config_path), box.user, box.auth)  # `foibot login` again
    box.send("2023-04-17T11:00:00+01:00")
    assert sorted(m.rcpt_tos[0] for m in box.smtp.received) == [
        "foi@acks.gov.example", "foi@answers.gov.example", "foi@silent.gov.example"]
    box.assert_no_token_leaked()


def test_check_logs_in_to_both_servers_by_token_and_sends_nothing(mailbox: Mailbox) -> None:
    box = mailbox
    seed_login(load_config(box.config_path), box.user, box.auth)
    result = box.run(SENT, "check")
    assert result.stdout.splitlines() == [
        (f"SMTP server 127.0.0.1:{box.smtp.port}: OK: logged in as {box.user} with OAuth2 (XOAUTH2) without "
         "TLS (loopback)"),
        (f"IMAP server 127.0.0.1:{box.dovecot.imap_port}: OK: logged in as {box.user} with OAuth2 without TLS "
         "(loopback); INBOX holds 0 messages"),
        "Both servers work; nothing was sent.",
    ]
    assert box.smtp.received == [] and box.smtp.logins == [box.user]
    assert not (box.folder / "foibot.db").exists()


def test_check_and_dry_run_show_a_revoked_login_before_any_real_send(mailbox: Mailbox) -> None:
    box = mailbox
    seed_login(load_config(box.config_path), box.user, box.auth)
    box.auth.revoke(box.user)
    box.auth.expire_access(box.user)
    failed = (f"refreshing the OAuth2 login for {box.user} was refused by 127.0.0.1:{box.auth.port} "
              "(invalid_grant: The refresh token [token] has been revoked): run `foibot login` again")
    result = box.run(SENT, "check", code=1)
    assert result.stderr.splitlines() == [f"SMTP server 127.0.0.1:{box.smtp.port}: FAILED: {failed}",
                                          f"IMAP server 127.0.0.1:{box.dovecot.imap_port}: FAILED: {failed}"]
    dry = box.run(SENT, "send", "--run", "fusus", "--template", "fusus", "--dry-run", code=1)
    assert "Dry run: 3 requests would go" in dry.stdout and failed in dry.stderr
    assert box.smtp.received == []  # the stale token was tried and refused; nothing else happened
    assert not (box.folder / "foibot.db").exists()


def test_imap_oauthbearer_when_asked_for(campaign: Path, auth_server: AuthServer, oauth_dovecot: OAuthDovecot,
                                         make_oauth_smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = TcpProxy(oauth_dovecot.imap_port)
    sent: list[bytes] = []

    def watch(data: bytes) -> bytes:
        sent.append(data)
        return data

    proxy.rewrite = watch
    try:
        box = Mailbox(campaign, auth_server, oauth_dovecot, make_oauth_smtp(), monkeypatch,
                      oauth_mechanism="oauthbearer", port=proxy.port)
        seed_login(load_config(box.config_path), box.user, auth_server)
        box.run(SENT, "check")
    finally:
        proxy.close()
    assert b" AUTHENTICATE OAUTHBEARER\r\n" in b"".join(sent)
    assert b"XOAUTH2" not in b"".join(sent)


def test_check_over_tls_names_the_protocol_and_refreshes_an_expired_login_once(
    campaign: Path, auth_server: AuthServer, oauth_dovecot: OAuthDovecot, make_oauth_smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp = make_oauth_smtp(security="starttls")
    box = Mailbox(campaign, auth_server, oauth_dovecot, smtp, monkeypatch, security="tls",
                  port=oauth_dovecot.imaps_port, ca_file=oauth_dovecot.ca_file)
    seed_login(load_config(box.config_path), box.user, auth_server)
    auth_server.expire_access(box.user)
    lines = box.run(SENT, "check").stdout.splitlines()
    assert re.fullmatch(rf"SMTP server 127\.0\.0\.1:{smtp.port}: OK: logged in as {box.user} with OAuth2 "
                        r"\(XOAUTH2\) over TLSv1\.[23]", lines[0]), lines[0]
    assert re.fullmatch(rf"IMAP server 127\.0\.0\.1:{oauth_dovecot.imaps_port}: OK: logged in as {box.user} "
                        r"with OAuth2 over TLSv1\.[23]; INBOX holds 0 messages", lines[1]), lines[1]
    assert auth_server.grants == ["refresh_token"]  # SMTP found the token stale; IMAP used the renewed one


def test_the_daemon_says_to_log_in_again_and_takes_the_new_login_without_a_restart(mailbox: Mailbox) -> None:
    import signal
    import sqlite3
    import time

    box = mailbox
    with box.config_path.open("a") as config:
        config.write('\n[daemon]\npoll_minutes = 0.02\nchase_time = "09:30"\n')
    seed_login(load_config(box.config_path), box.user, box.auth)
    box.send()
    box.auth.revoke(box.user)
    box.auth.expire_access(box.user)
    log_path = box.folder / "daemon.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
    env.update(FOIBOT_CONFIG=str(box.config_path), FOIBOT_NOW="2023-04-18T08:00:00+01:00")

    def wait_for(check: Any, what: str) -> None:
        deadline = time.monotonic() + 60
        while not check():
            assert time.monotonic() < deadline, f"no {what}; the log:\n{log_path.read_text()}"
            time.sleep(0.1)

    def filed() -> int:
        with sqlite3.connect(box.folder / "foibot.db") as conn:
            return int(conn.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[0])

    with log_path.open("w") as log:
        daemon = subprocess.Popen([sys.executable, "-m", "foibot", "daemon"], cwd=box.folder, env=env,
                                  stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            wait_for(lambda: "run `foibot login` again" in log_path.read_text(), "poll failure")
            seed_login(load_config(box.config_path), box.user, box.auth)  # the campaigner logs in again
            box.reply("answers", "2023-04-18T07:00:00+01:00", NOT_HELD)
            wait_for(lambda: filed() == 1, "reply filed with the new login")
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
    text = log_path.read_text()
    assert code == 0, text
    failure = next(line for line in text.splitlines() if "poll failed" in line)
    assert failure.endswith(f"poll failed: refreshing the OAuth2 login for {box.user} was refused by "
                            f"127.0.0.1:{box.auth.port} (invalid_grant: The refresh token [token] has been "
                            "revoked): run `foibot login` again (trying again in 1.2 s)"), failure
    assert "Traceback" not in text
    box.outputs.append(text)
    box.assert_no_token_leaked()


def test_servers_that_offer_no_oauth2_login_say_so_and_what_to_set(
    campaign: Path, auth_server: AuthServer, dovecot: Any, make_smtp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp = make_smtp_server(username="someone", password="pw")  # AUTH PLAIN and LOGIN only
    user = dovecot.new_user()
    tables = oauth_tables(auth_server, user, smtp=smtp, dovecot=dovecot)  # this Dovecot takes passwords only
    (campaign / "config.toml").write_text(toml_text({"requester": {"name": "A", "email": user}, **tables}))
    seed_login(load_config(campaign / "config.toml"), user, auth_server)
    result = foibot("check")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        (f"SMTP server 127.0.0.1:{smtp.port}: FAILED: SMTP server 127.0.0.1:{smtp.port} does not offer the "
         "XOAUTH2 login (it offers: LOGIN PLAIN): use [smtp] auth = \"password\""),
        (f"IMAP server 127.0.0.1:{dovecot.imap_port}: FAILED: IMAP server 127.0.0.1:{dovecot.imap_port} offers "
         "no OAuth2 login (AUTH=XOAUTH2 or AUTH=OAUTHBEARER): use [imap] auth = \"password\""),
    ]
    assert smtp.received == []


def test_before_any_login_every_command_says_to_log_in_and_nothing_is_written(mailbox: Mailbox) -> None:
    box = mailbox
    message = f"no OAuth2 login for {box.user} yet: run `foibot login`"
    check = box.run(SENT, "check", code=1)
    assert check.stderr.splitlines() == [f"SMTP server 127.0.0.1:{box.smtp.port}: FAILED: {message}",
                                         f"IMAP server 127.0.0.1:{box.dovecot.imap_port}: FAILED: {message}"]
    assert box.send(code=1).stderr == f"Error: {message}\n"
    assert not (box.folder / "foibot.db").exists()  # nothing queued: the send stopped before writing
    assert box.run(SENT, "poll", code=1).stderr == f"Error: {message}\n"
    assert box.smtp.logins == [] and box.smtp.received == []  # no server was even asked
    assert not (box.folder / "oauth-tokens.json").exists()


def test_a_temporary_auth_failure_mid_run_is_retried_not_taken_for_a_refused_login(mailbox: Mailbox) -> None:
    box = mailbox

    def midway() -> None:  # the provider drops the connection, then is briefly unable to check logins
        box.smtp.drop_next(1)
        box.smtp.fail_auth_next(1)

    box.one_logged_in_connection(1, midway)
    box.send()
    assert sorted(m.rcpt_tos[0] for m in box.smtp.received) == [
        "foi@acks.gov.example", "foi@answers.gov.example", "foi@silent.gov.example"]
    assert box.auth.grants == []  # a 454 is no reason to renew the token


def test_check_with_passwords_shows_a_wrong_one_before_the_real_send(campaign: Path, dovecot: Any,
                                                                      make_smtp_server: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = make_smtp_server(username="campaigner", password="right")
    user = dovecot.new_user()
    dovecot.write_config(campaign / "config.toml", user, smtp=smtp.smtp_section(),
                         requester={"name": "A. Campaigner", "email": user})
    (campaign / "authorities.csv").write_text(AUTHORITIES)
    monkeypatch.setenv("FOIBOT_IMAP_PASSWORD", dovecot.password)
    monkeypatch.setenv(smtp.password_env, "wrong")
    result = foibot("check")
    assert result.code == 1
    assert result.stderr.startswith(f"SMTP server 127.0.0.1:{smtp.port}: FAILED: SMTP server 127.0.0.1:"
                                    f"{smtp.port} refused the login for 'campaigner': 535")
    assert result.stdout.startswith(f"IMAP server 127.0.0.1:{dovecot.imap_port}: OK: logged in as {user} with "
                                    "a password without TLS (loopback); INBOX holds 0 messages")
    dry = foibot("send", "--run", "fusus", "--dry-run")
    assert dry.code == 1 and "Dry run: 3 requests would go" in dry.stdout and "FAILED" in dry.stderr
    assert smtp.received == [] and not (campaign / "foibot.db").exists()


def test_copies_in_the_sent_folder_are_filed_over_oauth2_once_and_seen(
    campaign: Path, auth_server: AuthServer, oauth_dovecot: OAuthDovecot, make_oauth_smtp: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    box = Mailbox(campaign, auth_server, oauth_dovecot, make_oauth_smtp(), monkeypatch, sent_folder="Sent")
    seed_login(load_config(box.config_path), box.user, auth_server)
    result = box.send()
    assert "Filed 3 copies in Sent ([imap] sent_folder)." in result.stdout
    assert auth_server.introspections > 0  # no poll ran: the copies went in with the OAuth2 token
    box.send("2023-04-17T11:00:00+01:00")  # nothing new: no copy filed twice
    client = box.dovecot.client(box.user)
    try:
        client.select_folder("Sent", readonly=True)
        found = client.fetch(client.search(), ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    finally:
        client.logout()
    ids = sorted(d[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip() for d in found.values())
    assert ids == sorted(m.header("Message-ID") for m in box.smtp.received)
    assert all(b"\\Seen" in d[b"FLAGS"] for d in found.values())
    box.assert_no_token_leaked()


def test_idle_logs_in_with_oauth2_and_announces_new_mail(mailbox: Mailbox, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import threading
    import time

    from foibot.collect import watch_folder

    box = mailbox
    config = load_config(box.config_path)
    seed_login(config, box.user, box.auth)
    stop, news = threading.Event(), threading.Event()
    caplog.set_level(logging.WARNING, logger="foibot.daemon")
    watcher = threading.Thread(target=watch_folder, args=(config, news.set, stop), kwargs={"retry_seconds": 0.5},
                               daemon=True)
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while box.auth.introspections == 0 and time.monotonic() < deadline:  # Dovecot checked the token
            time.sleep(0.05)
        time.sleep(1.0)  # in IDLE by now
        box.dovecot.deliver(box.user, b"From: foi@answers.gov.example\r\nTo: " + box.user.encode()
                            + b"\r\nSubject: hello\r\nMessage-ID: <idle-1@answers.gov.example>\r\n\r\nHello.\r\n")
        assert news.wait(10), "IDLE did not announce the new message"
    finally:
        stop.set()
        watcher.join(timeout=10)
    assert not watcher.is_alive()
    assert not [r for r in caplog.records if r.name == "foibot.daemon"], caplog.text  # no failed login, no retry
