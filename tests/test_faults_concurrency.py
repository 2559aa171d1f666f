"""The daemon and the campaigner on one database at once: a real `foibot daemon` polls every second or so
and chases, while `foibot status`, `foibot export`, `foibot assign` and `foibot send` of a second run run
beside it in a loop, and replies keep arriving.

The promise: no "database is locked" (or any other failure) reaches the campaigner, and no write is lost:
every reply delivered is stored once, every assignment stays, every request of the second run and every
chaser is sent once and recorded as sent.
"""

from __future__ import annotations

import collections
import signal
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from conftest import long_tests_enabled
from support.faults import (
    Done,
    SlowSmtp,
    foibot_process,
    query,
    run_foibot,
    scalar,
    wait_until,
)
from support.imap import PASSWORD_ENV, Dovecot
from support.run import authorities_csv
from support.smtp import SmtpServer

from foibot.clock import parse_now

SENT = "2023-04-17T10:00:00+01:00"
LATER = "2023-05-18T10:00:00+01:00"  # the day after the due date, after chase time: reminders are due
FIRST = 24  # authorities in the first run
SECONDS = 40 if long_tests_enabled() else 12  # how long the campaigner keeps working beside the daemon
ENV = {"FOIBOT_NOW": LATER}


def letter(user: str, sender: str, subject: str, body: str, in_reply_to: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = user
    message["Subject"] = subject
    message["Date"] = format_datetime(parse_now("2023-05-18T08:00:00+01:00"))
    message["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


class Campaigner:
    """Runs one kind of command again and again in a thread and keeps every result."""

    def __init__(self, name: str, step: Callable[[int], Done | None], stop: threading.Event) -> None:
        self.name, self.step, self.stop = name, step, stop
        self.results: list[Done] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                result = self.step(n)
                if result is not None:
                    self.results.append(result)
                n += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test, in its own thread
            self.error = exc


def test_the_daemon_and_the_campaigners_commands_share_the_database(
        tmp_path: Path, smtp_server: SmtpServer, own_dovecot: Dovecot,
        monkeypatch: pytest.MonkeyPatch) -> None:
    dovecot = own_dovecot
    user = dovecot.new_user()
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    authorities_csv(tmp_path, FIRST)
    second_lists = []
    for k in range(50):
        rows = [f"second-{k}-{i},Second Council {k}-{i},foi@second{k}-{i}.example,council,england" for i in range(9)]
        second_lists.append(tmp_path / f"second-{k}.csv")
        second_lists[-1].write_text("id,name,email,kind,jurisdiction\n" + "\n".join(rows) + "\n")
    dovecot.write_config(tmp_path / "config.toml", user, smtp=smtp_server.smtp_section(),
                         requester={"name": "Alex Campaigner", "email": user},
                         daemon={"poll_minutes": 0.015, "chase_time": "09:30"})
    first = run_foibot(tmp_path, "send", "--run", "first", "--yes", env={"FOIBOT_NOW": SENT})
    assert first.code == 0, first.stderr
    database = tmp_path / "foibot.db"
    ours = {r["authority_email"]: (r["reference"], r["message_id"]) for r in query(
        database, "SELECT q.authority_email, q.reference, m.message_id FROM requests q JOIN messages m "
                  "ON m.request_id = q.id AND m.stage = 'request'")}
    answered = sorted(ours)[:FIRST // 3]  # these answer before the chase: no reminder for them

    delivered: list[bytes] = []

    def deliver(raw: bytes) -> None:
        dovecot.deliver(user, raw)
        delivered.append(raw)

    for address in answered:
        deliver(letter(user, address, "RE: your request", "We do not hold any information about Fusus.",
                       in_reply_to=ours[address][1]))

    stop = threading.Event()
    log_path = tmp_path / "daemon.log"
    slow = SlowSmtp(smtp_server, 0.25)  # at first the provider is slow: the daemon's chase and a send overlap
    with log_path.open("w") as log:
        daemon = foibot_process(tmp_path, "daemon", env=ENV, stderr=log)
        try:
            wait_until(lambda: "catching up today's chase" in log_path.read_text(), "the daemon to start",
                       timeout=60, every=0.01)

            def arrive(n: int) -> None:  # replies keep coming: some for triage, some filed by the daemon
                if n % 2:
                    deliver(letter(user, f"someone{n}@elsewhere.example", f"Question {n}", "Is this yours?"))
                else:
                    address = sorted(ours)[FIRST // 3 + n % (FIRST - FIRST // 3)]
                    deliver(letter(user, address, "Acknowledgement", "Thank you for your request, which we "
                                   "received today.", in_reply_to=ours[address][1]))
                time.sleep(0.15)

            assigned: dict[int, str] = {}

            def assign(n: int) -> Done | None:
                waiting = [r[0] for r in query(database, "SELECT id FROM messages WHERE direction = 'in' AND "
                                                         "triage = 1 AND state = 'parsed' ORDER BY id")
                           if r[0] not in assigned]
                if not waiting:
                    time.sleep(0.2)
                    return None
                reference = ours[sorted(ours)[n % FIRST]][0]
                result = run_foibot(tmp_path, "assign", str(waiting[0]), reference, env=ENV)
                if result.code == 0:
                    assigned[waiting[0]] = reference
                return result

            busy: list[Done] = []

            def send_second(n: int) -> Done | None:
                k = n - len(busy)
                if k >= len(second_lists):
                    time.sleep(0.2)
                    return None
                result = run_foibot(tmp_path, "send", "--run", f"second-{k}", "--authorities",
                                    second_lists[k].name, "--yes", env=ENV)
                if result.code == 1 and result.stderr.startswith("Error: another foibot is sending from"):
                    # The daemon's chase was sending: a deliberate, clear refusal before anything is
                    # written (tests/test_send.py); the campaigner runs the same command again.
                    assert result.stderr.count("\n") == 1 and "locked" not in result.stderr
                    busy.append(result)
                    time.sleep(0.5)
                    return None
                return result

            exports: list[int] = []

            def status_and_export(n: int) -> Done:
                shown = run_foibot(tmp_path, "status", env=ENV)
                if shown.code != 0:
                    return shown
                target = tmp_path / f"export-{n}.csv"
                written = run_foibot(tmp_path, "export", "-o", target.name, env=ENV)
                if written.code == 0:
                    exports.append(len(target.read_text().splitlines()) - 1)
                return written

            workers = [Campaigner("arrive", lambda n: arrive(n), stop), Campaigner("assign", assign, stop),
                       Campaigner("send", send_second, stop), Campaigner("status/export", status_and_export, stop)]
            for worker in workers:
                worker.thread.start()
            time.sleep(4)
            slow.active = False
            time.sleep(SECONDS - 4)
            stop.set()
            for worker in workers:
                worker.thread.join(180)

            # Then the daemon catches up with the last replies.
            wait_until(lambda: scalar(database, "SELECT COUNT(*) FROM messages WHERE direction = 'in' AND "
                                                "state != 'stored'") == len(delivered),
                       f"the daemon to store and file all {len(delivered)} replies", timeout=120)
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=120)
    text = log_path.read_text()
    assert code == 0, text

    # Nothing failed for the campaigner, and nothing said "locked" anywhere.
    results = [(w.name, r) for w in workers for r in w.results]
    for worker in workers:
        assert worker.error is None, f"{worker.name}: {worker.error!r}"
    failures = [(name, r.code, r.stderr) for name, r in results if r.code != 0]
    assert not failures, failures
    everything = text + "".join(r.stderr + r.stdout for _, r in results)
    assert "locked" not in everything.lower() and "Traceback" not in everything, everything[-3000:]

    # No write lost. Replies: each stored once.
    stored = query(database, "SELECT message_id, request_id, triage, match_method FROM messages "
                             "WHERE direction = 'in'")
    expected = {raw.split(b"Message-ID: ")[1].split(b"\n")[0].strip().decode() for raw in delivered}
    assert sorted(r["message_id"] for r in stored) == sorted(expected)
    # Assignments: each one stands, with its manual event.
    by_id = {r["id"]: r for r in query(database, "SELECT m.id, m.triage, m.match_method, q.reference FROM "
                                                 "messages m LEFT JOIN requests q ON q.id = m.request_id")}
    for message, reference in assigned.items():
        row = by_id[message]
        assert (row["reference"], row["triage"], row["match_method"]) == (reference, 0, "manual")
    manual = {r[0] for r in query(database, "SELECT message_id FROM events WHERE type = 'reply_assigned' "
                                            "AND source = 'manual'")}
    assert manual == set(assigned)
    # Second runs: every request sent once and recorded as sent.
    sent_runs = [r for name, r in results if name == "send"]
    second = query(database, "SELECT q.run, q.authority_email, m.state FROM requests q JOIN messages m ON "
                             "m.request_id = q.id AND m.stage = 'request' WHERE q.run LIKE 'second-%'")
    assert len(second) == 9 * len(sent_runs) and {r["state"] for r in second} == {"sent"}
    at_server = collections.Counter(r.header("Message-ID") for r in smtp_server.received)
    assert set(at_server.values()) == {1}, [k for k, n in at_server.items() if n > 1]
    recorded = {r[0] for r in query(database, "SELECT message_id FROM messages WHERE direction = 'out' AND "
                                              "state = 'sent'")}
    assert recorded == set(at_server), "every message the server accepted is recorded as sent, and only those"
    # The daemon's chase: a reminder for each silent request, sent once, none for the answered ones.
    # A reminder still queued is one the outbox held back because a reply to its request arrived after the
    # ladder queued it and that reading waits for a person (issue 12: never chase an authority that may
    # have answered); nothing else may leave a reminder unsent.
    reminders = {r["to_addrs"]: r["state"] for r in query(
        database, "SELECT to_addrs, state FROM messages WHERE stage = 'reminder'")}
    held = {r[0] for r in query(database, "SELECT m.to_addrs FROM messages m WHERE m.stage = 'reminder' AND "
                                          "m.state = 'queued' AND EXISTS (SELECT 1 FROM messages r WHERE "
                                          "r.request_id = m.request_id AND r.direction = 'in' AND r.needs_review = 1)")}
    assert {a for a, state in reminders.items() if state != "sent"} == held
    assert not set(reminders) & set(answered)
    assert len(smtp_server.received) == FIRST + len(second) + len(reminders) - len(held)
    counts = collections.Counter(name for name, _ in results)
    print(f"concurrency: {SECONDS} s beside the daemon: {dict(counts)} commands, {len(delivered)} replies, "
          f"{len(assigned)} assigned, {len(sent_runs)} second runs ({len(second)} requests), {len(reminders)} "
          f"reminders; exports of {min(exports, default=0)}-{max(exports, default=0)} rows; {len(busy)} sends "
          "refused while the daemon's chase was sending; 0 failures")
