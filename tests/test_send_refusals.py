"""What a real provider does to a run: refusals at RCPT that are about us, not the authority; a run that
dies half-way; the wrong security for the port; `--retry-failed`.

The far end is aiosmtpd answering the way Postfix does (submission with SASL, smtpd_sender_login_maps and
reject_sender_login_mismatch; permit_sasl_authenticated then reject for a client that did not log in):
  553 5.7.1 <sam@campaign.example>: Sender address rejected: not owned by user kim@campaign.example
  554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from support.run import NOW, authorities_csv, foibot, rows
from support.smtp import REQUESTER_EMAIL, SmtpServer, write_config


@pytest.fixture(autouse=True)
def _fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", NOW)


def send(config: Path, *extra: str) -> Any:
    return foibot("--config", str(config), "send", "--run", "r", "--authorities",
                  str(config.parent / "authorities.csv"), *extra)


def states(campaign: Path) -> dict[str, tuple[str, str]]:
    return {r["to_addrs"]: (r["state"], r["status"]) for r in rows(
        campaign / "foibot.db", "SELECT m.to_addrs, m.state, q.status FROM messages m JOIN requests q "
        "ON q.id = m.request_id WHERE m.direction = 'out'")}


POSTFIX_SENDER = (553, f"5.7.1 <{REQUESTER_EMAIL}>: Sender address rejected: not owned by user kim@foibot.test")
POSTFIX_CLIENT = (554, "5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied")


@pytest.mark.parametrize(("refusal", "whom", "advice"), [
    (POSTFIX_SENDER, "sender",
     f"may not send as {REQUESTER_EMAIL}: set [requester] email to an address the account owns"),
    (POSTFIX_CLIENT, "client", "check [smtp] username and password_env"),
], ids=["sender-not-owned", "client-rejected"])
def test_a_refusal_that_names_us_stops_the_run_with_every_request_queued(
        smtp_server: SmtpServer, campaign: Path, refusal: tuple[int, str], whom: str, advice: str) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 12)
    smtp_server.reject_all_recipients(*refusal)
    result = send(config, "--yes")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert f"refused our {whom} at RCPT ({refusal[0]} {refusal[1]})" in result.stderr
    assert advice in result.stderr
    assert "0 sent in this run, 12 still queued: nothing is lost; fix that, then run the same command again" \
        in result.stderr
    assert set(states(campaign).values()) == {("queued", "queued")}  # nobody marked failed
    assert smtp_server.received == []

    smtp_server.reject_all_recipients(None)  # the campaigner fixed the account
    again = send(config, "--yes")
    assert again.code == 0, again.stderr
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(f"foi@council{i}.example" for i in range(12))
    assert set(states(campaign).values()) == {("sent", "awaiting_response")}


def test_the_same_refusal_at_several_domains_in_a_row_is_the_runs_problem(smtp_server: SmtpServer,
                                                                          campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server.smtp_section(connections=1))
    authorities_csv(campaign, 8)
    smtp_server.reject_all_recipients(550, "5.7.1 Message rejected: daily sending quota exceeded")
    result = send(config, "--yes")
    assert result.code == 1
    assert "refused 3 recipients at different domains in a row with the same answer" in result.stderr
    assert set(states(campaign).values()) == {("queued", "queued")}  # the two recorded failed went back
    events = rows(campaign / "foibot.db", "SELECT COUNT(*) FROM events WHERE type = 'failed_requeued'")
    assert events[0][0] == 2
    smtp_server.reject_all_recipients(None)
    assert send(config, "--yes").code == 0 and len(smtp_server.received) == 8


def test_dead_addresses_in_a_row_are_each_the_authoritys_failure(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server.smtp_section(connections=1))
    authorities_csv(campaign, 6)
    for i in range(4):  # 5.1.1: about the recipient, however many in a row
        smtp_server.reject_recipient(f"foi@council{i}.example", 550, "5.1.1 <x@y>: Recipient address rejected")
    result = send(config, "--yes")
    assert result.code == 1
    final = states(campaign)
    assert sorted(s for s, _ in final.values()) == ["failed"] * 4 + ["sent"] * 2


def test_retry_failed_sends_the_refused_requests_again_after_asking(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 3)
    smtp_server.reject_recipient("foi@council1.example", 550, "5.1.1 <foi@council1.example>: user unknown")
    assert send(config, "--yes").code == 1
    assert "Nothing to send" in send(config, "--yes").stdout  # a rerun leaves a refused one alone
    smtp_server._faults.reject.clear()  # the authority's mailbox works again
    asked = foibot("--config", str(config), "send", "--retry-failed")  # no terminal, no --yes
    assert asked.code == 1 and "Send it again: confirm with --yes" in asked.stderr
    assert len(smtp_server.received) == 2
    retried = foibot("--config", str(config), "send", "--retry-failed", "--yes")
    assert retried.code == 0, retried.stderr
    assert "1 request the server refused:" in retried.stdout and "1 request queued again." in retried.stdout
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [f"foi@council{i}.example" for i in range(3)]
    assert set(states(campaign).values()) == {("sent", "awaiting_response")}


def test_a_run_that_dies_half_way_says_what_went_and_what_waits(smtp_server: SmtpServer, campaign: Path) -> None:
    config = write_config(campaign, smtp=smtp_server.smtp_section(connections=1, max_attempts=1))
    authorities_csv(campaign, 6)
    original = smtp_server._controller.handler.handle_DATA
    count = [0]

    async def die_after_two(server: Any, session: Any, envelope: Any) -> str:
        count[0] += 1
        if count[0] > 2:
            threading.Thread(target=smtp_server.stop).start()  # the server goes away in the middle of the run
            return "421 4.3.2 Service shutting down"
        result: str = await original(server, session, envelope)
        return result

    smtp_server._controller.handler.handle_DATA = die_after_two
    result = send(config, "--yes")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "2 sent in this run, 4 still queued: nothing is lost; fix that, then run the same command again" \
        in result.stderr, result.stderr


def test_tls_spoken_to_a_starttls_port_says_which_security_to_try(make_smtp_server: Any, campaign: Path) -> None:
    server = make_smtp_server(security="starttls")
    config = write_config(campaign, smtp=server.smtp_section(security="tls"))
    authorities_csv(campaign, 1)
    result = send(config, "--yes")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "WRONG_VERSION_NUMBER" in result.stderr
    assert f'port {server.port} does not start with TLS: try [smtp] security = "starttls"' in result.stderr


@pytest.mark.parametrize(("security", "port", "timeout", "said"), [
    # STARTTLS at the implicit-TLS port: either line names the way out
    ("starttls", "imaps_port", 1, ("port {port} expects TLS from the start", 'try [imap] security = "tls"')),
    ("tls", "imap_port", 5, ('port {port} does not start with TLS: try [imap] security = "starttls"',)),
], ids=["starttls-at-an-implicit-tls-port", "tls-at-a-plaintext-port"])
def test_the_wrong_imap_security_for_the_port_says_which_security_to_try(
        dovecot: Any, imap_user: str, tmp_path: Path, security: str, port: str, timeout: int,
        said: tuple[str, ...]) -> None:
    number = getattr(dovecot, port)
    config = dovecot.write_config(tmp_path / "config.toml", imap_user, security=security,
                                  imap={"port": number, "timeout_seconds": timeout})
    result = foibot("--config", str(config), "poll")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert any(line.format(port=number) in result.stderr for line in said), result.stderr


def test_chase_asks_before_sending_through_a_real_server(smtp_server: SmtpServer, campaign: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 2)
    assert send(config, "--yes").code == 0
    monkeypatch.setenv("FOIBOT_NOW", "2023-05-18T10:00:00+01:00")  # the reminders are due
    asked = foibot("--config", str(config), "chase")
    assert asked.code == 1 and "Send 2 chasers through 127.0.0.1" in asked.stderr
    assert "confirm with --yes" in asked.stderr and len(smtp_server.received) == 2
    done = foibot("--config", str(config), "chase", "--yes")
    assert done.code == 0, done.stderr
    assert len(smtp_server.received) == 4
