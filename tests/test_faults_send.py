"""Faults on the way out, the way a bad month brings them: a 1,000-request send killed (SIGKILL) at random
moments and resumed each time, and one run through a server that answers 451, drops connections after the
data, cuts them mid-DATA, stalls past the timeout and refuses everything with 421 for a while.

The promise: each authority gets its request once, ever; a message whose fate a crash made unknown is
reported by reference (never resent blindly) and, once the campaigner has checked, settles to exactly one.
CI kills the run at 5 moments; FOIBOT_LONG_TESTS=1 (the benchmark command) at 20.
The random moments and faults come from a seed printed with every failure (replay: FOIBOT_FAULT_SEED=...).
"""

from __future__ import annotations

import collections
import random
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import long_tests_enabled
from support.faults import (
    SmtpChaos,
    SmtpCutProxy,
    fault_seed,
    foibot_process,
    query,
    run_foibot,
    smtp_fault_plan,
)
from support.run import NOW, authorities_csv, foibot
from support.smtp import SmtpServer, sent_folder_of, write_config

COUNT = 1_000
KILLS = 20 if long_tests_enabled() else 5
ENV = {"FOIBOT_NOW": NOW}


def kill_moments(rng: random.Random, kills: int, below: int = COUNT) -> list[tuple[str, float]]:
    """("after", n): once the server holds n messages (n below `below`); ("at", s): s seconds after the start
    (start-up, planning, the queueing transaction, the first sends). Spread over the whole run, in order."""
    counts = sorted(rng.sample(range(1, below), kills))
    return [("at", round(rng.uniform(0.0, 1.6), 3)) if rng.random() < 0.25 else ("after", float(n))
            for n in counts]


def kill_at(proc: Any, moment: tuple[str, float], server: SmtpServer) -> tuple[str, str]:
    """SIGKILL `proc` at `moment` (see kill_moments), unless it ends by itself first; its output."""
    kind, value = moment
    begun = time.monotonic()
    while proc.poll() is None:
        if kind == "at" and time.monotonic() - begun >= value:
            break
        if kind == "after" and len(server.received) >= value:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    return out, err


def outgoing(database: Path) -> dict[str, dict[str, str]]:
    return {r["to_addrs"]: dict(r) for r in query(
        database, "SELECT m.to_addrs, m.state, q.reference, q.status FROM messages m JOIN requests q "
                  "ON q.id = m.request_id WHERE m.direction = 'out' AND m.stage = 'request'")}


def test_a_1000_request_send_killed_at_random_moments_sends_each_once(smtp_server: SmtpServer,
                                                                      campaign: Path) -> None:
    seed = fault_seed()
    rng = random.Random(seed)
    moments = kill_moments(rng, KILLS)
    write_config(campaign, smtp=smtp_server.smtp_section(connections=3))
    authorities_csv(campaign, COUNT, domains=50)
    started = time.monotonic()
    killed = finished_first = 0
    for moment in moments:
        proc = foibot_process(campaign, "send", "--run", "crash", "--yes", env=ENV)
        _out, err = kill_at(proc, moment, smtp_server)
        if proc.returncode == -signal.SIGKILL:
            killed += 1
        else:  # it ended by itself first: done, or stopped on the unknown ones
            finished_first += 1
            assert proc.returncode in (0, 1) and "Traceback" not in err, f"seed {seed}: {err}"

    final = run_foibot(campaign, "send", "--run", "crash", "--yes", env=ENV)
    context = f"seed {seed}, moments {moments}"
    assert "Traceback" not in final.stderr, context

    # At the server: nobody twice. In the database: the run whole, each message sent or unknown.
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert not {a: n for a, n in received.items() if n > 1}, f"sent twice ({context})"
    database = campaign / "foibot.db"
    state = outgoing(database)
    assert len(state) == COUNT, context
    assert {s["state"] for s in state.values()} <= {"sent", "unknown"}, context
    sent = {a for a, s in state.items() if s["state"] == "sent"}
    unknown = {a for a, s in state.items() if s["state"] == "unknown"}
    assert sent <= set(received), f"recorded as sent but never at the server ({context})"
    assert sent | unknown == set(state) and set(received) <= set(state), context
    assert len(unknown) <= 3 * KILLS, context  # at most one in flight per connection at each kill
    if unknown:  # each one named to the campaigner, with what to do
        assert final.code == 1 and "may or may not have been sent" in final.stderr, context
        assert all(state[a]["reference"] in final.stderr for a in unknown), context
        assert "--resend-unknown" in final.stderr and "--mark-sent" in final.stderr
    else:
        assert final.code == 0, final.stderr

    # The campaigner checks each unknown one (here: against the server) and settles it.
    arrived = sorted(state[a]["reference"] for a in unknown if a in received)
    lost = sorted(state[a]["reference"] for a in unknown if a not in received)
    if unknown:
        flags = [f for ref in arrived for f in ("--mark-sent", ref)] + \
                [f for ref in lost for f in ("--resend-unknown", ref)]
        settled = run_foibot(campaign, "send", *flags, "--yes", env=ENV)
        assert settled.code == 0, f"{context}: {settled.stderr}"
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert len(received) == COUNT and set(received.values()) == {1}, context
    state = outgoing(database)
    assert {s["state"] for s in state.values()} == {"sent"}
    assert {s["status"] for s in state.values()} == {"awaiting_response"}
    events = collections.Counter(r[0] for r in query(
        database, "SELECT request_id FROM events WHERE type = 'sent_request'"))
    assert len(events) == COUNT and set(events.values()) == {1}, "one 'sent' in each request's history"
    early = sum(1 for kind, _ in moments if kind == "at")
    print(f"kill campaign: {COUNT} requests, {len(moments)} kills ({early} timed from the start, the rest at a "
          f"count of messages at the server; {killed} mid-run, {finished_first} after the run had ended), "
          f"{len(unknown)} unknown ({len(arrived)} had arrived, {len(lost)} had not), "
          f"0 doubled, {time.monotonic() - started:.1f} s")


def gmail_like(campaign: Path, smtp: dict[str, Any], dovecot: Any, user: str, **sections: Any) -> Path:
    """A campaign whose provider files every message it accepts in the Sent folder (as Gmail does) and
    whose mailbox is the suite's Dovecot: a message of unknown fate is looked for there."""
    return dovecot.write_config(campaign / "config.toml", user, smtp={**smtp, "saves_sent_copies": True},
                                requester={"name": "Alex Campaigner", "email": user}, **sections)


def test_one_run_through_451s_drops_mid_data_cuts_stalls_and_a_421_burst(smtp_server: SmtpServer,
                                                                        campaign: Path, dovecot: Any,
                                                                        imap_user: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Drops after the data, stalls and cuts mid-content leave a message unknown to the client (the
    content went, no answer came): each is looked for in the provider's Sent folder, absent, sent again."""
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    smtp_server.file_copies(sent_folder_of(dovecot, imap_user))
    seed = fault_seed()
    rng = random.Random(seed)
    authorities_csv(campaign, COUNT, domains=50)
    recipients = [f"foi{i}@council{i % 50}.example" for i in range(COUNT)]
    plan = smtp_fault_plan(recipients, rng)
    chaos = SmtpChaos(smtp_server, plan, stall_seconds=2.0, burst_after=COUNT // 3, burst_seconds=2.0)
    proxy = SmtpCutProxy(smtp_server.port, [a for a, f in plan.items() if f == "cut"], rng)
    # Retries sized for a real provider: a 1 s reply timeout; backoff from 0.2 s, doubling, 8 attempts
    # (reconnecting keeps trying for 6 s or more, longer than the 2 s burst).
    gmail_like(campaign, smtp_server.smtp_section(port=proxy.port, connections=3, timeout_seconds=1,
                                                  max_attempts=8, retry_base_seconds=0.2), dovecot, imap_user)
    started = time.monotonic()
    try:
        result = foibot("--config", str(campaign / "config.toml"), "send", "--run", "faults", "--authorities",
                        str(campaign / "authorities.csv"), "--yes")
    finally:
        proxy.close()
    seconds = time.monotonic() - started
    context = f"seed {seed}; faults applied {chaos.log.applied}, cuts {len(proxy.cuts)}"
    assert result.code == 0, f"{context}\n{result.stderr}"
    assert "Traceback" not in result.stderr

    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert sorted(received) == sorted(recipients), context
    assert set(received.values()) == {1}, f"sent twice: {[a for a, n in received.items() if n > 1]} ({context})"
    state = outgoing(campaign / "foibot.db")
    assert {s["state"] for s in state.values()} == {"sent"} and len(state) == COUNT, context
    attempts = {r["to_addrs"]: r["attempts"] for r in query(
        campaign / "foibot.db", "SELECT to_addrs, attempts FROM messages WHERE direction = 'out'")}
    for address, fault in plan.items():  # every planned fault met its message, which then went through
        assert attempts[address] >= (3 if fault == "451x2" else 2), f"{address} ({fault}): {context}"
    burst = chaos.log.burst_started
    assert burst is not None, context
    greeted_421 = sum(1 for t in proxy.opened if burst <= t < burst + 2.0)  # new connections turned away
    assert chaos.log.burst_refusals + greeted_421 > 0, context
    assert proxy.cuts and set(proxy.cuts) == {a for a, f in plan.items() if f == "cut"}, context
    retried = int(result.stdout.split("(")[1].split(" retried")[0]) if "retried" in result.stdout else 0
    found = re.search(r"(\d+) messages? of unknown fate certainly not in the Sent folder: sent again", result.stdout)
    resent = int(found.group(1)) if found else 0
    assert resent >= sum(1 for f in plan.values() if f in ("drop", "stall", "cut")), context  # absent: again
    assert retried + resent >= sum(1 for f in plan.values()), context
    print(f"fault run: {COUNT} messages in {seconds:.1f} s, each accepted once; faults {chaos.log.applied}, "
          f"{len(proxy.cuts)} cut mid-DATA, a 2 s 421 burst ({chaos.log.burst_refusals} commands and "
          f"{greeted_421} new connections refused), "
          f"{retried} retries, {resent} sent again after the Sent folder showed them absent")


def test_a_reply_lost_after_the_final_dot_does_not_double_the_request(smtp_server: SmtpServer, campaign: Path,
                                                                     dovecot: Any, imap_user: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    smtp_server.file_copies(sent_folder_of(dovecot, imap_user))
    authorities_csv(campaign, 3)
    proxy = SmtpCutProxy(smtp_server.port, [], random.Random(1), lose_reply=["foi@council1.example"])
    gmail_like(campaign, smtp_server.smtp_section(port=proxy.port, connections=1), dovecot, imap_user)
    try:
        result = foibot("--config", str(campaign / "config.toml"), "send", "--run", "lost-reply", "--authorities",
                        str(campaign / "authorities.csv"), "--yes")
    finally:
        proxy.close()
    assert proxy.lost == ["foi@council1.example"]  # the server accepted it; its 250 never came back
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    state = outgoing(campaign / "foibot.db")
    assert received["foi@council1.example"] == 1, f"the request went twice: {result.stdout}{result.stderr}"
    assert result.code == 0, result.stderr
    # Found in the Sent folder by its Message-ID: recorded as sent, with nothing left for the campaigner.
    assert state["foi@council1.example"]["state"] == "sent"
    assert "1 message of unknown fate found in the Sent folder: recorded as sent." in result.stdout


def test_without_a_sent_folder_a_lost_reply_is_left_unknown_never_doubled(smtp_server: SmtpServer,
                                                                         campaign: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    authorities_csv(campaign, 3)
    proxy = SmtpCutProxy(smtp_server.port, [], random.Random(1), lose_reply=["foi@council1.example"])
    write_config(campaign, smtp=smtp_server.smtp_section(port=proxy.port, connections=1))
    try:
        result = foibot("--config", str(campaign / "config.toml"), "send", "--run", "lost-reply", "--yes")
    finally:
        proxy.close()
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert received["foi@council1.example"] == 1
    assert outgoing(campaign / "foibot.db")["foi@council1.example"]["state"] == "unknown"
    assert result.code == 1 and "--mark-sent" in result.stderr


def test_the_daily_limit_holds_across_a_1000_request_run_killed_at_random_moments(smtp_server: SmtpServer,
                                                                                 campaign: Path, dovecot: Any,
                                                                                 imap_user: str) -> None:
    """[smtp] daily_limit = 300 over a rolling 24 hours: the run is killed at random moments and resumed,
    then resumed a day later, and again: never more than 300 in any 24 hours, nobody twice, and every
    message a kill left in doubt settled from the provider's Sent folder (Gmail-like: it files its copies)."""
    seed = fault_seed()
    rng = random.Random(seed)
    limit = 300
    smtp_server.file_copies(sent_folder_of(dovecot, imap_user))
    gmail_like(campaign, smtp_server.smtp_section(connections=3, daily_limit=limit), dovecot, imap_user)
    authorities_csv(campaign, COUNT, domains=50)
    moments = kill_moments(rng, KILLS, below=limit)
    days = ["2023-04-17T10:00:00+01:00", "2023-04-18T10:00:01+01:00", "2023-04-19T10:00:02+01:00",
            "2023-04-20T10:00:03+01:00"]
    per_day: list[int] = []
    for day_index, day in enumerate(days):
        before = len(smtp_server.received)
        if day_index == 0:
            for moment in moments:
                proc = foibot_process(campaign, "send", "--run", "quota", "--authorities",
                                      str(campaign / "authorities.csv"), "--yes", env={"FOIBOT_NOW": day})
                kill_at(proc, moment, smtp_server)
        rerun = run_foibot(campaign, "send", "--run", "quota", "--authorities", str(campaign / "authorities.csv"),
                           "--yes", env={"FOIBOT_NOW": day})
        assert "Traceback" not in rerun.stderr, f"seed {seed}: {rerun.stderr}"
        per_day.append(len(smtp_server.received) - before)
        assert per_day[-1] <= limit, f"seed {seed}: {per_day[-1]} sent on day {day_index} (limit {limit})"
        if len(smtp_server.received) < COUNT:
            assert "queued: the daily limit of 300 messages ([smtp] daily_limit) is reached; the next go " \
                   "after 10:0" in rerun.stdout, f"seed {seed}: {rerun.stdout}"
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert not {a: n for a, n in received.items() if n > 1}, f"sent twice (seed {seed})"
    state = outgoing(campaign / "foibot.db")
    assert {s["state"] for s in state.values()} == {"sent"}, f"seed {seed}: every one settled"
    assert set(received) == set(state) and len(state) == COUNT
    settled = collections.Counter(r[0] for r in query(
        campaign / "foibot.db", "SELECT type FROM events WHERE type IN ('send_interrupted', 'unknown_found_sent', "
        "'unknown_absent_resend')"))
    assert settled["unknown_found_sent"] + settled["unknown_absent_resend"] == settled["send_interrupted"]
    print(f"daily limit {limit}: per day {per_day}, {KILLS} kills on day 0, {settled['send_interrupted']} left in "
          f"doubt ({settled['unknown_found_sent']} found in Sent, {settled['unknown_absent_resend']} absent and "
          "sent again), 0 over the limit, 0 doubled")
