"""The mailer against a real aiosmtpd server: the order of claims and records, and servers that push back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from support.run import NOW, authorities_csv, foibot, rows
from support.smtp import SmtpServer, write_config

from foibot.errors import MailServerError
from foibot.send.mailer import MAX_BACKOFF_SECONDS, Envelope, SmtpSettings, backoff, deliver, run_sync


class Recorder:
    """Hooks that write down every step, the way the outbox records them."""

    def __init__(self, refuse_claims: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.steps: list[tuple[str, str]] = []
        self.refuse = refuse_claims

    def claim(self, envelope: Envelope) -> bool:
        self.steps.append(("claim", envelope.recipient))
        return envelope.recipient not in self.refuse

    def sent(self, envelope: Envelope, reply: str) -> None:
        self.steps.append(("sent", envelope.recipient))

    def failed(self, envelope: Envelope, reason: str) -> None:
        self.steps.append(("failed", envelope.recipient))

    def released(self, envelope: Envelope, reason: str, final: bool) -> None:
        self.steps.append(("released-final" if final else "released", envelope.recipient))


def settings(server: SmtpServer, **overrides: Any) -> SmtpSettings:
    values: dict[str, Any] = {"host": server.host, "port": server.port, "security": "none", "connections": 2,
                              "rate_per_minute": 0, "domain_pause": 0, "max_attempts": 3, "retry_base": 0.01,
                              "timeout": 5, "local_hostname": "foibot.test"}
    values.update(overrides)
    return SmtpSettings(**values)


def envelopes(*recipients: str) -> list[Envelope]:
    return [Envelope("campaigner@foibot.test", r, b"Subject: x\r\n\r\nbody\r\n") for r in recipients]


def test_each_message_is_claimed_before_it_is_sent_and_recorded_after(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 451)
    smtp_server.reject_recipient("gone@b.example")
    hooks = Recorder()
    stats = asyncio.run(deliver(envelopes("a@a.example", "gone@b.example", "c@c.example"), settings(smtp_server),
                                hooks))
    assert (stats.sent, stats.failed, stats.retried, stats.deferred) == (2, 1, 1, 0)
    for recipient in ("a@a.example", "gone@b.example", "c@c.example"):
        mine = [step for step, r in hooks.steps if r == recipient]
        assert mine[0] == "claim" and mine[-1] in ("sent", "failed")
        for i, step in enumerate(mine):  # every send attempt is preceded by its own claim
            if step in ("sent", "failed", "released"):
                assert mine[i - 1] == "claim"
    assert [step for step, r in hooks.steps if r == "gone@b.example"] == ["claim", "failed"]


def test_a_message_claimed_elsewhere_is_skipped(smtp_server: SmtpServer) -> None:
    stats = asyncio.run(deliver(envelopes("a@a.example", "b@b.example"), settings(smtp_server),
                                Recorder(refuse_claims={"a@a.example"})))
    assert (stats.sent, stats.skipped) == (1, 1)
    assert [m.rcpt_tos for m in smtp_server.received] == [["b@b.example"]]


def test_temporary_failures_that_last_are_given_up_for_this_run(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(10, 450, "4.2.1 Mailbox busy")
    hooks = Recorder()
    stats = asyncio.run(deliver(envelopes("a@a.example"), settings(smtp_server, connections=1), hooks))
    assert (stats.sent, stats.deferred) == (0, 1)
    assert [step for step, _ in hooks.steps] == ["claim", "released", "claim", "released", "claim",
                                                  "released-final"]


def test_a_server_that_limits_connections_gets_fewer(smtp_server: SmtpServer, campaign: Path) -> None:
    smtp_server.limit_connections(1)
    config = write_config(campaign, smtp=smtp_server.smtp_section(connections=3))
    authorities_csv(campaign, 8)
    result = foibot("--config", str(config), "send", "--run", "r", "--yes")
    assert result.code == 0, result.stderr
    assert sorted(m.rcpt_tos[0] for m in smtp_server.received) == sorted(f"foi@council{i}.example" for i in range(8))
    assert smtp_server.connections_used == 1


def test_a_refused_sender_stops_the_run_and_keeps_the_requests_queued(smtp_server: SmtpServer,
                                                                      campaign: Path) -> None:
    smtp_server.reject_sender(553, "5.7.1 Sender address rejected: not owned by user")
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 4)
    result = foibot("--config", str(config), "send", "--run", "r", "--yes")
    assert result.code == 1
    assert (f"Error: SMTP server 127.0.0.1:{smtp_server.port} refused our sender address campaigner@foibot.test: "
            "553 5.7.1 Sender address rejected") in result.stderr
    states = {r["state"] for r in rows(campaign / "foibot.db", "SELECT state FROM messages")}
    assert states == {"queued"} and smtp_server.received == []
    smtp_server._faults.sender = None  # the campaigner fixed the account
    assert foibot("--config", str(config), "send", "--run", "r", "--yes").code == 0
    assert len(smtp_server.received) == 4


def test_a_server_that_wants_a_login_says_so(make_smtp_server: Any, campaign: Path) -> None:
    server = make_smtp_server(username="campaigner", password="pw")
    section = server.smtp_section()
    del section["username"], section["password_env"]
    config = write_config(campaign, smtp=section)
    authorities_csv(campaign, 1)
    result = foibot("--config", str(config), "send", "--run", "r", "--yes")
    assert result.code == 1
    assert "requires a login (530" in result.stderr and "set [smtp] username and password_env" in result.stderr


def test_unreachable_before_anything_is_one_error(smtp_server: SmtpServer) -> None:
    target = settings(smtp_server)
    smtp_server.stop()
    with pytest.raises(MailServerError, match=f"cannot reach SMTP server 127.0.0.1:{smtp_server.port}"):
        asyncio.run(deliver(envelopes("a@a.example"), target, Recorder()))


def test_run_sync_works_inside_a_running_event_loop(smtp_server: SmtpServer) -> None:
    async def daemon_job() -> int:  # the daemon calls the same synchronous functions from its loop
        return run_sync(deliver(envelopes("a@a.example"), settings(smtp_server), Recorder())).sent

    assert asyncio.run(daemon_job()) == 1


@pytest.mark.parametrize("attempt", range(1, 15))
def test_backoff_doubles_with_jitter_and_is_capped(attempt: int) -> None:
    delays = [backoff(5.0, attempt) for _ in range(200)]
    nominal = min(MAX_BACKOFF_SECONDS, 5.0 * 2 ** (attempt - 1))
    assert all(nominal * 0.5 <= d <= nominal for d in delays)
    assert len(set(delays)) > 1  # jittered


def test_sent_at_is_the_fixed_now(smtp_server: SmtpServer, campaign: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    config = write_config(campaign, smtp=smtp_server)
    authorities_csv(campaign, 3)
    assert foibot("--config", str(config), "send", "--run", "r", "--yes").code == 0
    assert {r[0] for r in rows(campaign / "foibot.db", "SELECT sent_at FROM messages")} == {"2023-04-17T09:00:00+00:00"}
