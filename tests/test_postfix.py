"""A whole run through a real Postfix (submission, STARTTLS, SASL against Dovecot): what a provider does.

The authorities' mail servers are the suite's aiosmtpd (`smtp_server`), to which Postfix relays.
"""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest
from support.run import NOW, authorities_csv, foibot, rows
from support.smtp import SmtpServer, write_config

SAM = "sam@campaign.test"
KIM = "kim@campaign.test"
REQUESTER = {"name": "Sam Campaigner", "email": SAM}


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", NOW)


def send(config: Path) -> Any:
    return foibot("--config", str(config), "send", "--run", "r", "--authorities",
                  str(config.parent / "authorities.csv"), "--yes")


def states(campaign: Path) -> collections.Counter[tuple[str, str]]:
    return collections.Counter((r["state"], r["status"]) for r in rows(
        campaign / "foibot.db", "SELECT m.state, q.status FROM messages m JOIN requests q ON q.id = m.request_id"))


def test_a_whole_run_through_postfix_submission(postfix: Any, smtp_server: SmtpServer, campaign: Path) -> None:
    postfix.own(SAM, SAM)
    config = write_config(campaign, smtp=postfix.smtp_section(username=SAM), requester=REQUESTER)
    authorities_csv(campaign, 20, domains=7)
    result = send(config)
    assert result.code == 0, result.stderr + postfix.mail_log()
    smtp_server.wait_for(20, timeout=60)
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert len(received) == 20 and set(received.values()) == {1}
    assert states(campaign) == {("sent", "awaiting_response"): 20}
    assert "sasl_username=sam@campaign.test" in postfix.mail_log()  # it logged in, over TLS


@pytest.mark.parametrize(("login", "refusal", "advice"), [
    (KIM, f"553 5.7.1 <{SAM}>: Sender address rejected: not owned by user {KIM}",
     f"the login '{KIM}' may not send as {SAM}"),
    ("", "554 5.7.1 <",  # then <localhost[127.0.0.1]> or <unknown[127.0.0.1]>, as the resolver has it
     "check [smtp] username and password_env"),
], ids=["login-does-not-own-the-sender", "no-login"])
def test_postfix_refusing_our_sender_or_client_stops_the_run_and_the_fix_sends_them_all_once(
        postfix: Any, smtp_server: SmtpServer, campaign: Path, login: str, refusal: str, advice: str) -> None:
    postfix.own(SAM, SAM)
    config = write_config(campaign, smtp=postfix.smtp_section(username=login), requester=REQUESTER)
    authorities_csv(campaign, 15, domains=6)
    result = send(config)
    assert result.code == 1 and "Traceback" not in result.stderr
    assert refusal in result.stderr, result.stderr
    assert login or "[127.0.0.1]>: Client host rejected: Access denied" in result.stderr
    assert advice in result.stderr
    assert "0 sent in this run, 15 still queued" in result.stderr and "run the same command again" in result.stderr
    assert states(campaign) == {("queued", "queued"): 15}  # not one marked failed

    config = write_config(campaign, smtp=postfix.smtp_section(username=SAM), requester=REQUESTER)  # the fix
    again = send(config)
    assert again.code == 0, again.stderr
    smtp_server.wait_for(15, timeout=60)
    received = collections.Counter(r.rcpt_tos[0] for r in smtp_server.received)
    assert len(received) == 15 and set(received.values()) == {1}
    assert states(campaign) == {("sent", "awaiting_response"): 15}
