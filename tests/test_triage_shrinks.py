"""Triage that can shrink, through the CLI: read a waiting message, dismiss mail that is nobody's (and put it
back), the likely requests first (the authority the body names or whose domain it mentions), assign by the
authority's id."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.mail import reply
from support.web import NOW, WebCampaign, build

from foibot.cli import cli


@pytest.fixture
def web(tmp_path: Path, smtp_server) -> WebCampaign:
    return build(tmp_path, smtp_server)


def run(web: WebCampaign, *args: str):
    return CliRunner().invoke(cli, ["--config", str(web.campaign.folder / "config.toml"), *args], obj={},
                              env={"FOIBOT_NOW": NOW})


def run_process(web: WebCampaign, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, as a campaigner runs it: errors are one `Error:` line on stderr, exit 1."""
    return subprocess.run([sys.executable, "-m", "foibot", "--config", str(web.campaign.folder / "config.toml"),
                           *args], capture_output=True, text=True, env={**os.environ, "FOIBOT_NOW": NOW},
                          timeout=60, check=False)


def _one_error(done: subprocess.CompletedProcess[str], text: str) -> None:
    assert done.returncode == 1, done
    assert done.stderr.startswith("Error: ") and text in done.stderr and done.stderr.count("\n") == 1, done.stderr


def _stray(web: WebCampaign, body: str, sender: str = "someone@records-bureau.example", subject: str = "Your request"):
    return web.deliver(reply(from_addr=sender, to="campaigner@foibot.test", subject=subject, body=body))


def test_the_authority_named_in_the_body_is_offered_first(web: WebCampaign) -> None:
    _stray(web, "Writing for the City of Edinburgh Council: we hold nothing on Fusus.")
    _stray(web, "Please see https://www.kent.gov.uk/foi for our publication scheme.", subject="Publication scheme")
    out = run(web, "triage").output
    edinburgh, kent = web.requests["edinburgh"]["reference"], web.requests["kent"]["reference"]
    assert f"candidates: {edinburgh} (City of Edinburgh Council)" in out
    assert f"candidates: {kent} (Kent County Council)" in out


def test_show_prints_the_text_without_control_codes(web: WebCampaign) -> None:
    number = _stray(web, "Line one\x1b[31m red\x07\nLine two", subject="A question")
    result = run(web, "triage", "--show", str(number))
    assert result.exit_code == 0, result.output
    assert "Subject: A question" in result.output and "Line two" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_dismiss_shrinks_the_list_and_restore_undoes_it(web: WebCampaign) -> None:
    junk = _stray(web, "Half price this week only.", sender="news@shop.example", subject="Spring sale")
    keep = _stray(web, "About your FOI request to Glasgow City Council.")
    assert "2 message(s) wait in triage" in run(web, "triage").output
    result = run(web, "triage", "--dismiss", str(junk))
    assert result.exit_code == 0, result.output
    assert f"Message {junk} dismissed (Spring sale)" in result.output
    assert "1 message(s) wait in triage." in result.output
    listed = run(web, "triage").output
    assert "Spring sale" not in listed and f"#{keep}" in listed
    assert web.row("SELECT source FROM events WHERE type = 'message_dismissed'") == {"source": "manual"}
    # poll counts and status agree: the dismissed one no longer waits
    assert "Waiting in triage: 1 reply" in run(web, "status").output
    _one_error(run_process(web, "triage", "--dismiss", str(junk)), "was dismissed already")
    assert run(web, "triage", "--restore", str(junk)).exit_code == 0
    assert "Spring sale" in run(web, "triage").output


def test_dismissing_a_filed_reply_is_refused(web: WebCampaign) -> None:
    filed = web.reply_to("barnet", "We do not hold the information.")
    _one_error(run_process(web, "triage", "--dismiss", str(filed)), "is filed under a request")


def test_assign_takes_the_authority_id(web: WebCampaign) -> None:
    number = _stray(web, "We do not hold the information you asked for.")
    result = run(web, "assign", str(number), "glasgow")
    assert result.exit_code == 0, result.output
    glasgow = web.requests["glasgow"]
    assert f"filed under {glasgow['reference']} (Glasgow City Council)" in result.output
    assert web.row("SELECT request_id FROM messages WHERE id = ?", [number])["request_id"] == glasgow["id"]
    assert web.request("glasgow")["outcome"] == "not_held"


def test_assign_to_an_unknown_id_says_what_it_takes(web: WebCampaign) -> None:
    number = _stray(web, "Hello.")
    _one_error(run_process(web, "assign", str(number), "nowhere-council"), "no request 'nowhere-council'")
