"""`[smtp] daily_limit`: what fits goes, the rest waits with the time when more may go; chasers count too.

The count is the outbox's own: messages claimed in the 24 hours before each claim that may have gone (sent,
sending, unknown), taken in the claim's transaction (the 1,000-request kill test is in test_faults_send.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.run import authorities_csv, foibot, rows
from support.smtp import SmtpServer, write_config

DAY0 = "2023-04-17T10:00:00+01:00"


def send(config: Path, run: str = "r", csv: str = "authorities.csv") -> Any:
    return foibot("--config", str(config), "send", "--run", run, "--authorities", str(config.parent / csv), "--yes")


def test_a_send_past_the_limit_sends_what_fits_and_says_when_the_rest_goes(
        smtp_server: SmtpServer, campaign: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", DAY0)
    config = write_config(campaign, smtp=smtp_server.smtp_section(daily_limit=3))
    authorities_csv(campaign, 5)
    first = send(config)
    assert first.code == 0, first.stderr
    assert len(smtp_server.received) == 3
    assert ("2 queued: the daily limit of 3 messages ([smtp] daily_limit) is reached; the next go after 10:00 "
            "tomorrow.") in first.stdout
    status = foibot("--config", str(config), "status")
    assert "2 queued: the next go after 10:00 tomorrow" in status.stdout

    monkeypatch.setenv("FOIBOT_NOW", "2023-04-18T09:59:00+01:00")  # 23 h 59 min later: still the same day
    again = send(config)
    assert again.code == 0 and len(smtp_server.received) == 3
    assert "the next go after 10:00 today" in again.stdout and "Nothing to send" not in again.stdout

    monkeypatch.setenv("FOIBOT_NOW", "2023-04-18T10:00:01+01:00")
    last = send(config)
    assert last.code == 0 and len(smtp_server.received) == 5
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [f"foi@council{i}.example" for i in range(5)]
    assert "queued" not in foibot("--config", str(config), "status").stdout.split("Late:")[1].split("Waiting")[0]


def test_chasers_count_against_the_same_limit(smtp_server: SmtpServer, campaign: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", DAY0)
    config = write_config(campaign, smtp=smtp_server.smtp_section(daily_limit=3))
    authorities_csv(campaign, 2)
    assert send(config).code == 0 and len(smtp_server.received) == 2
    # A month later the two reminders are due, and a second run of two requests goes first that morning.
    monkeypatch.setenv("FOIBOT_NOW", "2023-05-18T10:00:00+01:00")
    authorities_csv(campaign, 4, name="more.csv")
    (campaign / "more.csv").write_text((campaign / "more.csv").read_text().replace("council-0,", "later-0,")
                                       .replace("council-1,", "later-1,").replace("council0.", "later0.")
                                       .replace("council1.", "later1."))
    second = send(config, run="r2", csv="more.csv")
    assert second.code == 0, second.stderr
    assert len(smtp_server.received) == 5  # 3 in the window: the limit is reached
    assert "1 queued: the daily limit of 3 messages" in second.stdout
    chase = foibot("--config", str(config), "chase", "--yes")
    assert len(smtp_server.received) == 5, chase.stdout  # no reminder went: the day's 3 are used
    assert "2 wait for [smtp] daily_limit (the next go after 10:00 tomorrow)" in chase.stdout, chase.stdout
    reminders = rows(campaign / "foibot.db", "SELECT state FROM messages WHERE stage = 'reminder'")
    assert [r["state"] for r in reminders] == ["queued", "queued"]
    within = rows(campaign / "foibot.db", "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND claimed_at > ?",
                  ["2023-05-17T09:00:00+00:00"])
    assert within[0][0] == 3
