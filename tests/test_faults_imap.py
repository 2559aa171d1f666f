"""Faults on the way in, all in one campaign: 1,000 replies (5,000 with FOIBOT_LONG_TESTS=1) collected
while Dovecot is stopped in the middle of a poll and restarted, connections are cut at random points over
repeated passes, the folder's UIDVALIDITY changes, and the same messages are appended again.

The promise: every reply is stored exactly once, byte for byte, and filed once; none is lost. Checked by
comparing what the database holds with what was delivered (Message-IDs and SHA-256 of the raw bytes).
The random cut points come from a seed printed with every failure (replay: FOIBOT_FAULT_SEED=...).
"""

from __future__ import annotations

import collections
import hashlib
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import long_tests_enabled
from support.campaigns import MailCampaign, sent_campaign
from support.faults import (
    fault_seed,
    foibot_process,
    query,
    scalar,
    stop_dovecot_hard,
    wait_until,
)
from support.imap import PASSWORD_ENV, Dovecot, TcpProxy
from support.mail import reply

from foibot.errors import MailServerError, PollInterruptedError

COUNT = 5_000 if long_tests_enabled() else 1_000


def replies(campaign: MailCampaign, count: int, rng: random.Random) -> list[tuple[bytes, int | None]]:
    """(raw, the request it belongs to or None): by plus address, by In-Reply-To, or unrelated (triage).
    Sizes vary from a line to ~7 KB, so cuts land in headers, bodies and between messages."""
    sent = list(campaign.requests.values())
    out: list[tuple[bytes, int | None]] = []
    start = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    for n in range(count):
        target = sent[n % len(sent)]
        body = f"Reply {n}. " + "We are looking into your request. " * rng.choice((1, 2, 8, 30, 200))
        date = start + timedelta(minutes=n)
        mid = f"<fault-{n}-{rng.randrange(10**9)}@{target.authority_email.split('@')[1]}>"
        kind = n % 5
        if kind < 3:
            raw = reply(from_addr=target.authority_email, to=target.plus_address, subject=f"RE: {target.subject}",
                        body=body, message_id=mid, date=date)
            out.append((raw, target.id))
        elif kind == 3:
            raw = reply(from_addr=target.authority_email, to=campaign.user, subject="Your enquiry", body=body,
                        in_reply_to=target.message_id, message_id=mid, date=date)
            out.append((raw, target.id))
        else:
            raw = reply(from_addr=f"press{n}@newsroom.example", to=campaign.user, subject=f"Newsletter {n}",
                        body=body, message_id=mid, date=date)
            out.append((raw, None))
    return out


def stored(campaign: MailCampaign) -> int:
    return int(scalar(campaign.folder / "foibot.db", "SELECT COUNT(*) FROM messages WHERE direction = 'in'"))


def test_every_reply_is_stored_once_through_stops_cuts_renumbering_and_redelivery(
        tmp_path: Path, own_dovecot: Dovecot, smtp_server: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed = fault_seed()
    rng = random.Random(seed)
    dovecot = own_dovecot
    user = dovecot.new_user()
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    proxy = TcpProxy(dovecot.imap_port)
    campaign = sent_campaign(tmp_path, dovecot, user, smtp_server, imap={"port": proxy.port, "batch_size": 25,
                                                                         "timeout_seconds": 10})
    mail = replies(campaign, COUNT, rng)
    owner = {hashlib.sha256(raw).hexdigest(): request for raw, request in mail}
    bounds = [0, int(COUNT * 0.4), int(COUNT * 0.7), int(COUNT * 0.9), COUNT]
    figures: dict[str, Any] = {"seed": seed}
    started = time.monotonic()
    try:
        # 1. Dovecot stopped in the middle of a `foibot poll`, then restarted.
        dovecot.multiappend(user, [raw for raw, _ in mail[bounds[0]:bounds[1]]])
        proxy.throttle = 0.01  # 800 KB/s: a slower link, so the stop lands while messages are still coming
        stop_at = rng.randint(bounds[1] // 10, bounds[1] // 2)
        log = tmp_path / "poll.err"
        with log.open("w") as err:
            process = foibot_process(tmp_path, "poll", stderr=err)
            try:
                wait_until(lambda: stored(campaign) >= stop_at or process.poll() is not None,
                           f"{stop_at} replies stored", timeout=120, every=0.005)
                stop_dovecot_hard(dovecot)
                code = process.wait(timeout=120)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        message = log.read_text()
        figures["stopped_after"] = stored(campaign)
        assert "Traceback" not in message, message
        assert figures["stopped_after"] < bounds[1], f"the stop came after the pass (seed {seed})"
        assert code == 1 and message.startswith("Error: lost the connection to IMAP server"), message
        assert "the next poll resumes" in message and message.count("\n") == 1, message
        with pytest.raises(MailServerError, match="cannot reach IMAP server"):
            campaign.poll()  # while it is down: one clear error
        dovecot.start()
        proxy.throttle = 0.0
        campaign.poll()
        assert stored(campaign) == bounds[1], f"seed {seed}"

        # 2. Connections cut at random points over repeated passes.
        dovecot.multiappend(user, [raw for raw, _ in mail[bounds[1]:bounds[2]]])
        figures["cut_passes"] = cut_passes(campaign, proxy, rng, passes=8)
        assert stored(campaign) == bounds[2], f"seed {seed}"

        # 3. The server renumbers the folder (new UIDVALIDITY); new mail arrives; the resync is cut too.
        dovecot.set_uidvalidity(user, "INBOX", 900_000 + rng.randrange(1000))
        dovecot.multiappend(user, [raw for raw, _ in mail[bounds[2]:bounds[3]]])
        figures["cut_passes"] += cut_passes(campaign, proxy, rng, passes=3)
        assert stored(campaign) == bounds[3], f"seed {seed}"

        # 4. The same messages appended again (a mail client's import, a provider's redelivery), mixed with
        #    the last new ones, and cut once more.
        again = rng.sample([raw for raw, _ in mail[:bounds[3]]], k=bounds[3] // 3)
        rest = [raw for raw, _ in mail[bounds[3]:]]
        mixed = again + rest
        rng.shuffle(mixed)
        dovecot.multiappend(user, mixed)
        figures["appended_again"] = len(again)
        figures["cut_passes"] += cut_passes(campaign, proxy, rng, passes=3)
    finally:
        proxy.close()
    figures["seconds"] = round(time.monotonic() - started, 1)

    # Everything delivered is stored exactly once, byte for byte, and filed once.
    database = tmp_path / "foibot.db"
    rows = query(database, "SELECT id, sha256, message_id, state, request_id, triage, raw FROM messages "
                           "WHERE direction = 'in'")
    context = f"seed {seed}, figures {figures}"
    assert len(rows) == COUNT, context
    assert {r["sha256"] for r in rows} == set(owner), context
    assert all(hashlib.sha256(r["raw"]).hexdigest() == r["sha256"] for r in rows), context
    assert {r["message_id"] for r in rows} == {f"<{raw.split(b'Message-ID: <')[1].split(b'>')[0].decode()}>"
                                               for raw, _ in mail}, context
    assert {r["state"] for r in rows} == {"parsed"}, context
    for r in rows:  # filed under the request it answers; the unrelated ones wait in triage
        assert (r["request_id"], r["triage"]) == ((owner[r["sha256"]], 0) if owner[r["sha256"]] else (None, 1)), \
            context
    events = collections.Counter((r[0], r[1]) for r in query(
        database, "SELECT message_id, type FROM events WHERE type IN ('reply_matched', 'reply_to_triage')"))
    assert len(events) == COUNT and set(events.values()) == {1}, f"filed twice ({context})"
    status = dovecot.status(user)
    state = query(database, "SELECT uidvalidity, last_uid FROM mailbox_state")[0]
    assert (state["uidvalidity"], state["last_uid"]) == (status["uidvalidity"], status["uidnext"] - 1)
    assert all(b"\\Seen" not in flags for flags in dovecot.flags(user).values())  # still unread for the client
    print(f"IMAP faults: {COUNT} replies, stop after {figures['stopped_after']} stored, {figures['cut_passes']} "
          f"passes cut, {figures['appended_again']} appended again, each stored once; {figures['seconds']} s")


def cut_passes(campaign: MailCampaign, proxy: TcpProxy, rng: random.Random, passes: int) -> int:
    """Up to `passes` polls each cut at a random byte, then clean polls until one finds nothing new;
    returns how many passes the cut interrupted."""
    interrupted = 0
    for _ in range(passes):
        proxy.cut_after(rng.randint(100, 400_000))
        try:
            campaign.poll()
        except PollInterruptedError:
            interrupted += 1
        except MailServerError as exc:  # cut during the greeting or the login
            assert "IMAP server" in str(exc), exc
            interrupted += 1
    for _ in range(5):
        if campaign.poll().new == 0:
            return interrupted
    raise AssertionError("the polls did not catch up")
