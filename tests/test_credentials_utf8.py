"""Passwords of any characters (issue 13): a non-ASCII password logs in to a real Dovecot and to aiosmtpd.

IMAP's LOGIN command carries ASCII only, so foibot logs in with AUTHENTICATE PLAIN (UTF-8) when the user name
or password is not ASCII; SMTP's AUTH carries the password UTF-8 encoded. Each test fails, with the refused
login's one line, when the password does not reach the server as the campaigner typed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.campaigns import SENT_AT, MailCampaign, sent_campaign
from support.imap import PASSWORD_ENV, Dovecot, serving
from support.mail import reply

from foibot.cli import cli
from foibot.errors import FoibotError

PASSWORD = "pässwörd-€"
NOW = "2026-03-20T12:00:00+00:00"


@pytest.fixture
def utf8_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of the test's own whose passdb holds the non-ASCII password (the shared one has "secret")."""
    with serving(Dovecot(password=PASSWORD)) as server:
        yield server


def _run(campaign: MailCampaign, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(campaign.config_path), *args], obj={},
                                env={"FOIBOT_NOW": NOW})
    failed = result.exception
    if failed is not None and not isinstance(failed, SystemExit | FoibotError):
        raise failed  # a traceback, which is the bug (`foibot` prints a FoibotError as its one line)
    return result.exit_code, result.output + (result.stderr or "") + (str(failed) if failed else "")


def test_a_non_ascii_imap_password_polls_and_files_a_reply(tmp_path: Path, utf8_dovecot: Dovecot, smtp_server,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    user = utf8_dovecot.new_user()
    campaign = sent_campaign(tmp_path, utf8_dovecot, user, smtp_server)
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr=barnet.authority_email, to=barnet.plus_address,
                           subject=f"RE: {barnet.subject}", in_reply_to=barnet.message_id,
                           body="Dear Requester,\n\nThe council does not hold any of the information you asked "
                                "for.\n\nYours sincerely,\nInformation Governance\n"))
    code, output = _run(campaign, "poll")
    assert code == 0, output
    assert "Traceback" not in output
    (row,) = campaign.incoming()
    assert row["request_id"] == barnet.id and row["kind"] == "not_held", row
    assert campaign.request("barnet")["outcome"] == "not_held"
    # The password really is checked: a wrong one is refused in one line, nothing else is said.
    monkeypatch.setenv(PASSWORD_ENV, "passwörd-€")
    code, output = _run(campaign, "poll")
    assert code != 0 and "refused the login" in output and "Traceback" not in output, output


def test_a_non_ascii_smtp_password_logs_in_and_sends(tmp_path: Path, make_smtp_server) -> None:
    server = make_smtp_server(username="campaigner", password=PASSWORD)
    from support.smtp import toml_text

    (tmp_path / "authorities.csv").write_text("id,name,email,kind,jurisdiction\n"
                                              "barnet,London Borough of Barnet,foi@barnet.gov.uk,council,england\n",
                                              encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(toml_text({"requester": {"name": "A. Campaigner", "email": "campaigner@example.test"},
                                 "smtp": server.smtp_section(), "storage": {"database": "foibot.db"}}),
                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "send", "--run", "fusus", "--authorities",
                                      str(tmp_path / "authorities.csv"), "--yes"], obj={}, env={"FOIBOT_NOW": SENT_AT})
    assert result.exit_code == 0, result.output
    (sent,) = server.wait_for(1)
    assert sent.to == "foi@barnet.gov.uk"
