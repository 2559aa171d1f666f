"""A CI-sized scale check: `foibot poll`'s peak memory does not grow with the mailbox.

The full sizes (a run of 10,000 authorities, a mailbox of 100,000 messages) are in bench/scale.py. Here a
real Dovecot folder of 200, then 700, replies carrying a 64 KB attachment each is polled by `foibot poll`
as a process, into a fresh database each time; its peak RSS is the kernel's (wait4). Holding the messages
(raw or parsed) rather than streaming them in batches would add at least 500 x 64 KB = 31 MB; a pass holds
a fetch batch or two (here 20 messages each) and a filing batch at a time, whatever the folder's size.
"""

from __future__ import annotations

import base64
import random
import shutil
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from foibot.config import load_config
from foibot.send import outbox
from foibot.send import plan as planning
from foibot.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from benchlib import Measured, child_env, foibot_command, measure  # bench/: the lean launcher

SENT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ATTACHMENT = 64 * 1024
SMALL, LARGE = 200, 700
BATCH = 20  # [imap] batch_size; both sizes span several fetch batches and filing batches (100)


def _sent_campaign(folder: Path, dovecot, user: str) -> list[tuple[str, str, str, str]]:  # type: ignore[no-untyped-def]
    rows = ["id,name,email,kind,jurisdiction"] + [
        f"body-{i},Public Body {i},foi@body{i}.gov.uk,council,england" for i in range(20)]
    (folder / "authorities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    dovecot.write_config(folder / "config.toml", user, imap={"batch_size": BATCH},
                         requester={"name": "Scale Campaigner", "email": user, "reply_address": "plus"})
    config = load_config(folder / "config.toml")
    plan = planning.plan_run(config, "scale", "fusus", folder / "authorities.csv", SENT)
    store = open_store(config.database_path, config.files_dir)
    planning.queue_run(store, config, plan, SENT)
    for item in outbox.queued(store):
        assert outbox.mark_sending(store, item, SENT) == "go"
        outbox.mark_sent(store, item, SENT, "250 2.0.0 Ok")
    sent = [(r["reference"], r["authority_email"], r["message_id"], r["subject"]) for r in store.db.query(
        "SELECT q.reference, q.authority_email, m.message_id, m.subject FROM requests q "
        "JOIN messages m ON m.request_id = q.id AND m.direction = 'out'")]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return sent


def _replies(sent: list[tuple[str, str, str, str]], user: str, start: int, stop: int) -> list[bytes]:
    """Replies in the thread, each with a letter and a 64 KB scan attached (random bytes: no two alike)."""
    out = []
    for n in range(start, stop):
        reference, email, message_id, subject = sent[n % len(sent)]
        scan = base64.encodebytes(random.Random(n).randbytes(ATTACHMENT)).decode().replace("\n", "\r\n")
        out.append((
            f"From: FOI Team <{email}>\r\nTo: {user}\r\nSubject: RE: {subject}\r\n"
            f"Date: {format_datetime(SENT + timedelta(days=2, minutes=n))}\r\nMessage-ID: <scale.{n}@test>\r\n"
            f"In-Reply-To: {message_id}\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Dear Scale Campaigner,\r\n\r\nThe council does not hold the information you asked for "
            f"(our reference FOI/{n:05d}; yours {reference}).\r\n\r\nInformation Governance\r\n--b\r\n"
            f'Content-Type: application/octet-stream; name="scan-{n}.bin"\r\n'
            f'Content-Disposition: attachment; filename="scan-{n}.bin"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{scan}--b--\r\n").encode())
    return out


def _poll_fresh(sent_folder: Path, target: Path, password: str) -> Measured:
    shutil.copytree(sent_folder, target)
    env = child_env(FOIBOT_NOW=(SENT + timedelta(days=10)).isoformat(), FOIBOT_IMAP_PASSWORD=password)
    return measure(foibot_command("poll"), env=env, cwd=target, timeout=300).check("foibot poll")


def _stored(folder: Path) -> tuple[int, int]:
    conn = sqlite3.connect(folder / "foibot.db")
    try:
        return conn.execute("SELECT count(*), count(request_id) FROM messages WHERE direction = 'in'").fetchone()
    finally:
        conn.close()


def test_poll_peak_memory_stays_flat_as_the_mailbox_grows(dovecot, imap_user, tmp_path):  # type: ignore[no-untyped-def]
    sent_folder = tmp_path / "sent"
    sent_folder.mkdir()
    sent = _sent_campaign(sent_folder, dovecot, imap_user)

    dovecot.multiappend(imap_user, _replies(sent, imap_user, 0, SMALL), batch=50)
    small = _poll_fresh(sent_folder, tmp_path / "small", dovecot.password)
    dovecot.multiappend(imap_user, _replies(sent, imap_user, SMALL, LARGE), batch=50)
    large = _poll_fresh(sent_folder, tmp_path / "large", dovecot.password)

    assert _stored(tmp_path / "small") == (SMALL, SMALL), small.stdout
    assert _stored(tmp_path / "large") == (LARGE, LARGE), large.stdout
    assert f"{LARGE} fetched, {LARGE} stored, {LARGE} filed" in large.stdout
    held = (LARGE - SMALL) * ATTACHMENT / 2**20  # MB the extra messages would take if kept, raw
    growth = large.peak_rss_mb - small.peak_rss_mb
    assert growth < held * 0.4, (f"peak RSS {small.peak_rss_mb:.0f} MB at {SMALL} messages, "
                                 f"{large.peak_rss_mb:.0f} MB at {LARGE}: grows with the mailbox")
