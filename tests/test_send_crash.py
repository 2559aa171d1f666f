"""kill -9 during a 500-request run, then a rerun: nothing doubled, nothing skipped, the unknown reported.

The SMTP server runs in this test process; only the foibot subprocess is killed, at several moments.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import long_tests_enabled
from support.run import NOW, authorities_csv, rows
from support.smtp import SmtpServer, write_config

ROOT = Path(__file__).resolve().parent.parent
COUNT = 500


def start_send(campaign: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "FOIBOT_NOW": NOW, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "foibot", "--config", str(campaign / "config.toml"), "send", "--run", "crash",
         "--yes"],
        cwd=campaign, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


def kill_points() -> list[str]:
    points = ["after-1", "after-137", "early"]
    if long_tests_enabled():
        points += ["after-480", "early", "early", "after-250", "after-499"]
    return points


@pytest.mark.parametrize("when", kill_points())
def test_sigkill_then_rerun_sends_each_request_once(smtp_server: SmtpServer, campaign: Path, when: str) -> None:
    write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, COUNT, domains=40)
    proc = start_send(campaign)
    try:
        if when == "early":  # anywhere from start-up through rendering, queueing and the first sends
            time.sleep(random.uniform(0.0, 1.5))
        else:
            smtp_server.wait_for(int(when.split("-")[1]), timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL or proc.returncode == 0  # 0: it finished before the kill
    at_kill = len(smtp_server.received)

    rerun = start_send(campaign)
    _, stderr = rerun.communicate(timeout=120)

    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    doubled = {address: n for address, n in received.items() if n > 1}
    assert not doubled, f"sent twice: {doubled}"
    state = {r["to_addrs"]: (r["state"], r["reference"]) for r in rows(
        campaign / "foibot.db",
        "SELECT m.to_addrs, m.state, q.reference FROM messages m JOIN requests q ON q.id = m.request_id")}
    assert len(state) == COUNT
    unknown = {address for address, (s, _) in state.items() if s == "unknown"}
    assert {s for s, _ in state.values()} <= {"sent", "unknown"}
    assert {a for a, (s, _) in state.items() if s == "sent"} <= set(received)  # a "sent" row is at the server
    assert set(received) | unknown == set(state)  # none skipped: delivered, or reported as unknown
    for address in unknown:
        assert state[address][1] in stderr  # every unknown one is named to the campaigner
    if unknown:
        assert rerun.returncode == 1 and "may or may not have been sent" in stderr
    else:
        assert rerun.returncode == 0, stderr
    assert len(unknown) <= 2  # at most one in flight per connection when the kill came
    assert len(received) >= at_kill


def test_ctrl_c_finishes_the_message_in_hand_and_leaves_the_rest_queued(smtp_server: SmtpServer,
                                                                      campaign: Path) -> None:
    write_config(campaign, smtp=smtp_server.smtp_section(rate_per_minute=120, connections=1))
    authorities_csv(campaign, 6)
    proc = start_send(campaign)
    try:
        smtp_server.wait_for(1, timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith("Error: interrupted: every message the server accepted is recorded")
    state = collections.Counter(r["state"] for r in rows(campaign / "foibot.db", "SELECT state FROM messages"))
    assert set(state) <= {"sent", "queued"}  # nothing left in doubt
    assert state["sent"] == len(smtp_server.received) < 6
    rerun = start_send(campaign)
    _, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, stderr
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [f"foi@council{i}.example" for i in range(6)]
