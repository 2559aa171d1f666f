"""The daemon as a real process: the lock, the catch-up rule, and a run against real local mail servers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner
from support.campaigns import StoreCampaign, when
from support.imap import PASSWORD_ENV as IMAP_PASSWORD_ENV
from support.imap import Dovecot
from support.mail import reply_to
from support.smtp import sent_folder_of

from foibot.cli import cli
from foibot.config import load_config
from foibot.daemon import Daemon, acquire_lock, lock_path
from foibot.errors import AlreadyRunningError


def start_daemon(folder: Path, env: dict[str, str] | None = None,
                 stderr: IO[str] | int = subprocess.PIPE) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
    environment.update(env or {})
    environment["FOIBOT_CONFIG"] = str(folder / "config.toml")
    return subprocess.Popen([sys.executable, "-m", "foibot", "daemon"], cwd=folder, env=environment,
                            stdout=subprocess.DEVNULL, stderr=stderr, text=True)


def test_a_second_daemon_on_the_same_database_refuses(tmp_path: Path) -> None:
    c = StoreCampaign.create(tmp_path, '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n')
    held = acquire_lock(lock_path(c.config))
    try:
        with pytest.raises(AlreadyRunningError, match=f"pid {os.getpid()}"):
            acquire_lock(lock_path(c.config))
        process = start_daemon(tmp_path)
        _out, err = process.communicate(timeout=30)
        assert process.returncode == 1
        assert err.startswith(f"Error: another foibot daemon (pid {os.getpid()}) is already running")
        assert "Traceback" not in err
    finally:
        held.close()
    acquire_lock(lock_path(c.config)).close()  # released with its holder


def test_the_daemon_needs_a_database_and_a_mailbox(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[requester]\nname = "A"\nemail = "a@foibot.test"\n')
    process = start_daemon(tmp_path)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1 and "needs an [imap] section" in err and "Traceback" not in err
    (tmp_path / "config.toml").write_text('[requester]\nname = "A"\nemail = "a@foibot.test"\n'
                                          '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\n')
    process = start_daemon(tmp_path)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1 and "does not exist yet" in err and "Traceback" not in err


@pytest.mark.parametrize(("now", "catch_up"), [
    ("2023-05-18T09:29:00+01:00", False),  # before today's chase time: the cron job will run it
    ("2023-05-18T09:30:00+01:00", True),
    ("2023-05-18T22:00:00+01:00", True),   # late: chasers wait for office hours, complaints are written
    ("2023-05-20T11:00:00+01:00", False),  # a Saturday
])
def test_a_missed_chase_is_caught_up_at_start(tmp_path: Path, now: str, catch_up: bool) -> None:
    StoreCampaign.create(tmp_path)
    daemon = Daemon(load_config(tmp_path / "config.toml"), now=lambda: when(now))
    assert daemon.missed_chase_today() is catch_up


# --- a real run against the local servers ----------------------------------------------------------------

NOT_HELD = "Dear Alex Campaigner,\n\nI can confirm that the council does not hold any information within the " \
           "scope of your request: we have had no contact with Fusus.\n\nYours sincerely,\nFOI Officer\n"
ACKNOWLEDGEMENT = "Dear Alex Campaigner,\n\nThank you for your request for information, which we received " \
                  "today. You should receive a response within 20 working days.\n\nFOI Team\n"


def wait_until(check: Callable[[], object], what: str, log: Path | None = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"; the daemon's log:\n{log.read_text()}" if log else ""))


def sent_from_the_cli(folder: Path, dovecot: Dovecot, user: str, smtp_server: Any, monkeypatch: pytest.MonkeyPatch,
                      authorities: str, poll_minutes: float, **smtp: Any) -> tuple[Path, str]:
    """The request sent on Monday 17 April 2023 through the real `foibot send` to `authorities` (CSV rows),
    the campaign's daemon polling every `poll_minutes` and chasing at 09:30: its database and the output."""
    (folder / "authorities.csv").write_text("id,name,email,kind,jurisdiction\n" + authorities)
    dovecot.write_config(folder / "config.toml", user, smtp=smtp_server.smtp_section(**smtp),
                         requester={"name": "Alex Campaigner", "email": user},
                         daemon={"poll_minutes": poll_minutes, "chase_time": "09:30"})
    monkeypatch.setenv("FOIBOT_CONFIG", str(folder / "config.toml"))
    monkeypatch.setenv("FOIBOT_NOW", "2023-04-17T10:00:00+01:00")
    result = CliRunner().invoke(cli, ["send", "--run", "fusus", "--authorities", "authorities.csv", "--yes"], obj={})
    assert result.exit_code == 0, result.output
    return load_config(folder / "config.toml").database_path, result.output


@dataclass
class Running:
    process: subprocess.Popen[str]
    log: Path
    code: int | None = None  # its exit code, once stopped


@contextmanager
def running_daemon(folder: Path, env: dict[str, str], stop: signal.Signals = signal.SIGTERM) -> Iterator[Running]:
    """The daemon in its own process, logging to folder/daemon.log; sent `stop` when the block ends, however
    it ends, and waited for."""
    log_path = folder / "daemon.log"
    with log_path.open("w") as log:
        daemon = Running(start_daemon(folder, env, stderr=log), log_path)
        try:
            yield daemon
        finally:
            daemon.process.send_signal(stop)
            daemon.code = daemon.process.wait(timeout=60)


def test_the_daemon_polls_chases_survives_the_imap_server_and_stops_cleanly(
        tmp_path: Path, smtp_server: Any, own_dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> None:
    user = own_dovecot.new_user()
    monkeypatch.setenv(IMAP_PASSWORD_ENV, own_dovecot.password)
    database, _ = sent_from_the_cli(tmp_path, own_dovecot, user, smtp_server, monkeypatch,
                                    "answers,Answers Council,foi@answers.gov.example,council,england\n"
                                    "silent,Silent Council,foi@silent.gov.example,council,england\n", 0.02)
    originals = {m.rcpt_tos[0]: m.message for m in smtp_server.received}
    own_dovecot.deliver(user, reply_to(originals["foi@answers.gov.example"], to=user, body=NOT_HELD,
                                       date=when("2023-05-10T12:00:00+01:00")))

    def count(sql: str) -> int:
        with sqlite3.connect(database) as conn:
            return int(conn.execute(sql).fetchone()[0])

    env = {IMAP_PASSWORD_ENV: own_dovecot.password, "FOIBOT_NOW": "2023-05-18T10:00:00+01:00"}
    with running_daemon(tmp_path, env) as daemon:
        log_path = daemon.log
        # At start (10:00, after the 09:30 chase time) it catches up the day's chase, polling first:
        # the answer is filed, so only the silent authority gets a reminder.
        wait_until(lambda: len(smtp_server.received) == 3, "the reminder", log_path)
        wait_until(lambda: "chase: sent 1 reminder" in log_path.read_text(), "the chase log line", log_path)
        assert [m.rcpt_tos for m in smtp_server.received[2:]] == [["foi@silent.gov.example"]]
        assert count("SELECT count(*) FROM requests WHERE status = 'answered'") == 1

        second = start_daemon(tmp_path, env)
        _, err = second.communicate(timeout=30)
        assert second.returncode == 1 and "already running" in err

        own_dovecot.stop()
        wait_until(lambda: "poll failed" in log_path.read_text(), "a logged poll failure", log_path)
        own_dovecot.start()
        own_dovecot.deliver(user, reply_to(originals["foi@silent.gov.example"], to=user, body=ACKNOWLEDGEMENT,
                                           date=when("2023-05-18T09:00:00+01:00")))
        wait_until(lambda: count("SELECT count(*) FROM messages WHERE direction = 'in' AND kind = "
                                 "'acknowledgement'") == 1, "the acknowledgement to be filed after the restart",
                   log_path)
        assert daemon.process.poll() is None, "the daemon must survive the IMAP server going away"
    text = log_path.read_text()
    assert daemon.code == 0, text
    assert "SIGTERM received: finishing the job in hand, then stopping" in text
    assert text.rstrip().endswith("foibot daemon stopped")
    assert "Traceback" not in text
    quiet = [line for line in text.splitlines() if "no new mail" in line]
    assert len(quiet) <= 3, f"a quiet pass is logged once after a busy one, not every interval: {quiet}"
    failures = [line for line in text.splitlines() if "poll failed" in line]
    assert failures and all(str(own_dovecot.imap_port) in line or "IMAP" in line for line in failures)
    assert len(smtp_server.received) == 3  # nothing sent twice across all those passes


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_lets_the_chase_in_hand_finish(tmp_path: Path, smtp_server: Any, own_dovecot: Dovecot,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     stop_signal: signal.Signals) -> None:
    dovecot, imap_user = own_dovecot, own_dovecot.new_user()
    # The provider files what it accepts in Sent (as Gmail does): the reminder whose answer never came is
    # looked for there, certainly absent, and sent again.
    smtp_server.file_copies(sent_folder_of(dovecot, imap_user))
    database, _ = sent_from_the_cli(tmp_path, dovecot, imap_user, smtp_server, monkeypatch,
                                    "silent,Silent Council,foi@silent.gov.example,council,england\n", 0.05,
                                    saves_sent_copies=True)

    def reminder_state() -> str | None:
        with sqlite3.connect(database) as conn:
            row = conn.execute("SELECT state FROM messages WHERE stage = 'reminder'").fetchone()
        return row[0] if row else None

    smtp_server.stall_next(1, seconds=2)  # the far end is slow to answer the reminder's DATA
    env = {IMAP_PASSWORD_ENV: dovecot.password, "FOIBOT_NOW": "2023-05-18T10:00:00+01:00"}
    with running_daemon(tmp_path, env, stop=stop_signal) as daemon:
        wait_until(lambda: reminder_state() == "sending", "the reminder to be in the SMTP conversation", daemon.log)
    text = daemon.log.read_text()
    assert daemon.code == 0, text
    assert reminder_state() == "sent"  # finished (absent from Sent: sent again), not abandoned mid-send
    lines = [line.split(" ", 2)[2] for line in text.splitlines()]  # without the time stamps
    # The signal came while the reminder was being sent; the job finished, then the daemon stopped.
    assert lines.index(f"{stop_signal.name} received: finishing the job in hand, then stopping") < lines.index(
        "chase: sent 1 reminder"), text
    assert lines[-1] == "foibot daemon stopped"
    assert [m.rcpt_tos for m in smtp_server.received] == [["foi@silent.gov.example"]] * 2


def test_a_reply_is_filed_within_seconds_while_the_daemon_idles(tmp_path: Path, smtp_server: Any, dovecot: Dovecot,
                                                               imap_user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Polls every 10 minutes, yet a reply delivered (LMTP) while the daemon waits is filed in seconds: IDLE."""
    database, _ = sent_from_the_cli(tmp_path, dovecot, imap_user, smtp_server, monkeypatch,
                                    "answers,Answers Council,foi@answers.gov.example,council,england\n", 10)

    def filed() -> int:
        with sqlite3.connect(database) as conn:
            return int(conn.execute("SELECT count(*) FROM messages WHERE direction = 'in' AND request_id IS NOT NULL"
                                    ).fetchone()[0])

    env = {IMAP_PASSWORD_ENV: dovecot.password, "FOIBOT_NOW": "2023-04-18T08:00:00+01:00"}  # before chase time
    with running_daemon(tmp_path, env) as daemon:
        wait_until(lambda: "poll: INBOX: no new mail" in daemon.log.read_text(), "the first poll", daemon.log)
        time.sleep(1.5)  # the watcher is in IDLE by now
        started = time.monotonic()
        dovecot.deliver(imap_user, reply_to(smtp_server.received[0].message, to=imap_user, body=NOT_HELD,
                                            date=when("2023-04-18T07:59:00+01:00")))
        wait_until(lambda: filed() == 1, "the reply to be filed", daemon.log, timeout=20)
        seconds = time.monotonic() - started
    text = daemon.log.read_text()
    assert daemon.code == 0 and "Traceback" not in text, text
    assert seconds < 10, f"filed after {seconds:.1f} s: the 10-minute poll did not do it, IDLE did"
    print(f"IDLE: a reply delivered while the daemon waited was filed in {seconds:.2f} s (polls every 10 min)")


def test_the_daemon_sends_what_the_daily_limit_held_back_when_the_window_allows(
        tmp_path: Path, smtp_server: Any, dovecot: Dovecot, imap_user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, output = sent_from_the_cli(tmp_path, dovecot, imap_user, smtp_server, monkeypatch, "".join(
        f"c{i},Council {i},foi@c{i}.gov.example,council,england\n" for i in range(5)), 0.02, daily_limit=3)
    assert "2 queued: the daily limit of 3 messages" in output and len(smtp_server.received) == 3
    for now, expected in (("2023-04-18T09:59:00+01:00", 3), ("2023-04-18T10:00:30+01:00", 5)):
        env = {IMAP_PASSWORD_ENV: dovecot.password, "FOIBOT_NOW": now}
        with running_daemon(tmp_path, env) as daemon:
            if expected == 5:
                wait_until(lambda: len(smtp_server.received) == 5, "the held requests", daemon.log)
                wait_until(lambda: "send: sent 2 queued requests" in daemon.log.read_text(), "its log line",
                           daemon.log)
            else:  # still inside the 24 hours: the daemon waits
                wait_until(lambda: "poll:" in daemon.log.read_text(), "a poll", daemon.log)
                time.sleep(1.5)
        assert daemon.code == 0, daemon.log.read_text()
        assert len(smtp_server.received) == expected, daemon.log.read_text()
