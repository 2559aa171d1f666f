"""The Sent folder: a copy of each request and chaser, filed once; a message of unknown fate looked for there.

Real parts: aiosmtpd on loopback as the provider's SMTP server, the suite's Dovecot as the campaigner's
mailbox. A provider like Gmail files every message its SMTP server accepts in the Sent folder itself:
`SmtpServer.file_copies(sent_folder_of(dovecot, user))` fakes that far end, before its 250.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.run import NOW, authorities_csv, foibot, rows
from support.smtp import SmtpServer, sent_folder_of

from foibot.collect.imap import header_message_id

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", NOW)


def campaign_config(folder: Path, dovecot: Any, user: str, smtp: SmtpServer, *, saves: bool = False,
                    sent_folder: str = "", **smtp_extra: Any) -> Path:
    return dovecot.write_config(
        folder / "config.toml", user, imap={"sent_folder": sent_folder},
        smtp=smtp.smtp_section(saves_sent_copies=saves, **smtp_extra),
        requester={"name": "Alex Campaigner", "email": user})


def send(config: Path, *extra: str) -> Any:
    return foibot("--config", str(config), "send", "--run", "r", "--authorities",
                  str(config.parent / "authorities.csv"), "--yes", *extra)


def outgoing(folder: Path) -> dict[str, dict[str, Any]]:
    return {r["to_addrs"]: dict(r) for r in rows(
        folder / "foibot.db", "SELECT m.id, m.to_addrs, m.state, m.message_id, m.attempts, m.copied_at, "
        "q.reference, q.status FROM messages m JOIN requests q ON q.id = m.request_id WHERE m.direction = 'out'")}


def folder_ids(dovecot: Any, user: str, folder: str) -> collections.Counter[str]:
    if folder not in dovecot.folders(user):
        return collections.Counter()
    client = dovecot.client(user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        data = client.fetch(uids, ["BODY.PEEK[HEADER]"]) if uids else {}
        return collections.Counter(header_message_id(d[b"BODY[HEADER]"]) for d in data.values())
    finally:
        client.logout()


def test_a_message_dropped_after_the_data_and_absent_from_gmails_sent_folder_goes_again_once(
        tmp_path: Path, smtp_server: SmtpServer, dovecot: Any, imap_user: str) -> None:
    smtp_server.file_copies(sent_folder_of(dovecot, imap_user))  # the provider files what it accepts
    config = campaign_config(tmp_path, dovecot, imap_user, smtp_server, saves=True)
    authorities_csv(tmp_path, 5)
    smtp_server.drop_next(2)  # the data arrived, the server kept nothing, no answer came back
    result = send(config)
    assert result.code == 0, result.stderr
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert sorted(received) == [f"foi@council{i}.example" for i in range(5)] and set(received.values()) == {1}
    state = outgoing(tmp_path)
    assert {s["state"] for s in state.values()} == {"sent"}
    assert sorted(s["attempts"] for s in state.values()) == [1, 1, 1, 2, 2]
    assert "2 messages of unknown fate certainly not in the Sent folder: sent again." in result.stdout
    resent = rows(tmp_path / "foibot.db", "SELECT COUNT(*) FROM events WHERE type = 'unknown_absent_resend'")
    assert resent[0][0] == 2
    assert set(folder_ids(dovecot, imap_user, "Sent").values()) == {1}  # Gmail's copies: once each


def test_a_crash_run_settles_every_unknown_from_the_sent_folder(tmp_path: Path, smtp_server: SmtpServer,
                                                                 dovecot: Any, imap_user: str) -> None:
    """SIGKILL in the middle of a run: the messages in flight are unknown; the rerun finds the ones the
    provider accepted in its Sent folder and sends the others, so nobody is left in doubt and nobody twice."""
    smtp_server.file_copies(sent_folder_of(dovecot, imap_user))
    config = campaign_config(tmp_path, dovecot, imap_user, smtp_server, saves=True, connections=3)
    authorities_csv(tmp_path, 120, domains=30)
    env = {**os.environ, "FOIBOT_NOW": NOW, "PYTHONPATH": str(ROOT), "FOIBOT_CONFIG": str(config)}
    settled = 0
    for after in (7, 41, 90):
        proc = subprocess.Popen(
            [sys.executable, "-m", "foibot", "send", "--run", "r", "--authorities", str(tmp_path / "authorities.csv"),
             "--yes"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while proc.poll() is None and len(smtp_server.received) < after and time.monotonic() < deadline:
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        settled += len([s for s in outgoing(tmp_path).values() if s["state"] in ("sending", "unknown")])
    final = send(config)
    assert final.code == 0, final.stderr
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert len(received) == 120 and set(received.values()) == {1}, "nobody twice, nobody left out"
    state = outgoing(tmp_path)
    assert {s["state"] for s in state.values()} == {"sent"}
    events = collections.Counter(r[0] for r in rows(
        tmp_path / "foibot.db", "SELECT type FROM events WHERE type LIKE 'unknown_%' OR type = 'send_interrupted'"))
    assert events["send_interrupted"] >= 1, "the kills left messages in flight"
    assert events["unknown_found_sent"] + events["unknown_absent_resend"] == events["send_interrupted"]
    print(f"crash run: {events['send_interrupted']} in flight at the kills, {events['unknown_found_sent']} found in "
          f"Sent, {events['unknown_absent_resend']} certainly absent and sent again, 0 doubled")


def test_an_unreadable_sent_folder_leaves_the_unknown_ones_to_the_campaigner(
        tmp_path: Path, smtp_server: SmtpServer, dovecot: Any, imap_user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    smtp_server.file_copies(sent_folder_of(dovecot, imap_user))
    config = campaign_config(tmp_path, dovecot, imap_user, smtp_server, saves=True)
    authorities_csv(tmp_path, 3)
    smtp_server.drop_next(1)
    monkeypatch.setenv("FOIBOT_IMAP_PASSWORD", "wrong")  # the mailbox refuses the login
    result = send(config)
    assert result.code == 1
    assert "could not be looked for in the Sent folder" in result.stderr
    assert "may or may not have been sent" in result.stderr and "--mark-sent" in result.stderr
    assert sorted(s["state"] for s in outgoing(tmp_path).values()) == ["sent", "sent", "unknown"]
    assert len(smtp_server.received) == 2


def test_without_the_providers_own_copies_absence_proves_nothing(tmp_path: Path, smtp_server: SmtpServer,
                                                                 dovecot: Any, imap_user: str) -> None:
    # A provider that keeps no copy (saves_sent_copies = false): a message not in Sent may still have arrived.
    config = campaign_config(tmp_path, dovecot, imap_user, smtp_server, sent_folder="Sent")
    authorities_csv(tmp_path, 3)
    smtp_server.drop_next(1)
    result = send(config)
    assert result.code == 1 and "may or may not have been sent" in result.stderr
    assert sorted(s["state"] for s in outgoing(tmp_path).values()) == ["sent", "sent", "unknown"]
    assert len(smtp_server.received) == 2


def test_each_request_and_chaser_is_filed_in_sent_folder_once_and_seen(tmp_path: Path, smtp_server: SmtpServer,
                                                                        dovecot: Any, imap_user: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = campaign_config(tmp_path, dovecot, imap_user, smtp_server, sent_folder="Sent Items")
    authorities_csv(tmp_path, 4)
    result = send(config)
    assert result.code == 0, result.stderr
    assert "Filed 4 copies in Sent Items ([imap] sent_folder)." in result.stdout
    state = outgoing(tmp_path)
    ids = folder_ids(dovecot, imap_user, "Sent Items")
    assert ids == collections.Counter(s["message_id"] for s in state.values())  # each once, ours
    assert all(b"\\Seen" in flags for flags in dovecot.flags(imap_user, "Sent Items").values())
    assert all(s["copied_at"] for s in state.values())

    # A crash after two APPENDs and before they were recorded: the rerun finds them there, files no second.
    database = tmp_path / "foibot.db"
    first_two = sorted(s["id"] for s in state.values())[:2]
    import sqlite3

    with sqlite3.connect(database) as db:
        db.executemany("UPDATE messages SET copied_at = NULL WHERE id = ?", [(i,) for i in first_two])
    again = send(config)
    assert again.code == 0 and "Nothing to send" in again.stdout, again.stderr
    assert folder_ids(dovecot, imap_user, "Sent Items") == ids
    assert all(s["copied_at"] for s in outgoing(tmp_path).values())

    # A chaser is filed too, threaded to its request.
    monkeypatch.setenv("FOIBOT_NOW", "2023-05-18T10:00:00+01:00")
    chase = foibot("--config", str(config), "chase", "--yes")
    assert chase.code == 0, chase.stderr
    after = folder_ids(dovecot, imap_user, "Sent Items")
    reminders = [s for s in outgoing(tmp_path).values()]
    assert len(smtp_server.received) == 8 and sum(after.values()) == 8 and set(after.values()) == {1}
    assert all(s["copied_at"] for s in reminders)
