"""`foibot triage` and `foibot assign`: what waits, with what was found and the best candidates; filing by hand
moves the request on and teaches the matcher the sender."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.campaigns import MailCampaign, sent_campaign
from support.mail import reply

from foibot.cli import cli

NOW = "2026-03-20T12:00:00+00:00"


@pytest.fixture
def campaign(tmp_path: Path, dovecot, imap_user: str, smtp_server) -> MailCampaign:
    return sent_campaign(tmp_path, dovecot, imap_user, smtp_server)


def run(campaign: MailCampaign, *args: str):
    return CliRunner().invoke(cli, ["--config", str(campaign.config_path), *args], obj={}, env={"FOIBOT_NOW": NOW})


def test_triage_lists_what_was_found_and_the_candidates(campaign: MailCampaign) -> None:
    barnet, camden = campaign.requests["barnet"], campaign.requests["camden"]
    campaign.deliver(reply(from_addr="offers@shop.example", to=campaign.user, subject="Spring sale"))
    campaign.deliver(reply(from_addr="team@shared-services.example", to=campaign.user,
                           subject=f"Joint reply {barnet.reference} {camden.reference}",
                           body="Our ref: SS/2231. One reply for both councils."))
    assert run(campaign, "poll").exit_code == 0
    result = run(campaign, "triage")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 message(s) wait in triage" in out
    assert "offers@shop.example" in out and "Spring sale" in out and "no clue" in out
    assert f"our refs {barnet.reference}, {camden.reference}" in out
    assert "their refs SS/2231" in out
    assert f"candidates: {barnet.reference} (London Borough of Barnet), {camden.reference}" in out


def test_triage_when_nothing_waits(campaign: MailCampaign) -> None:
    assert run(campaign, "poll").exit_code == 0
    assert run(campaign, "triage").output == "Nothing waits in triage: every reply is filed.\n"


def test_assign_files_the_reply_and_teaches_the_sender(campaign: MailCampaign) -> None:
    met = campaign.requests["met"]
    campaign.deliver(reply(from_addr="helpdesk@outsourced-foi.example", to=campaign.user, subject="Acknowledgement",
                           body="We have received your request and will respond within 20 working days."))
    run(campaign, "poll")
    message = campaign.incoming()[0]
    assert message["triage"] == 1
    result = run(campaign, "assign", str(message["id"]), met.reference.lower())
    assert result.exit_code == 0, result.output
    assert f"filed under {met.reference} (Metropolitan Police Service)" in result.output
    assert "read as acknowledgement" in result.output
    assert "helpdesk@outsourced-foi.example will be filed" in result.output
    row = campaign.incoming()[0]
    assert (row["request_id"], row["triage"], row["match_method"], row["kind"]) == (met.id, 0, "manual",
                                                                                     "acknowledgement")
    events = campaign.rows("SELECT source FROM events WHERE type = 'reply_assigned'")
    assert events == [{"source": "manual"}]
    # The next mail from that sender, with no other clue, finds the request by itself.
    campaign.deliver(reply(from_addr="helpdesk@outsourced-foi.example", to=campaign.user, subject="Our response",
                           body="We do not hold the information you asked for."))
    run(campaign, "poll")
    second = campaign.incoming()[1]
    assert (second["request_id"], second["match_method"]) == (met.id, "sender_hint")
    assert campaign.request("met")["status"] == "answered"
    assert run(campaign, "triage").output.startswith("Nothing waits")


def test_a_sender_that_writes_for_two_authorities_is_not_learned(campaign: MailCampaign) -> None:
    barnet, camden = campaign.requests["barnet"], campaign.requests["camden"]
    for n in range(2):
        campaign.deliver(reply(from_addr="casework@shared-services.example", to=campaign.user, subject=f"Update {n}"))
    run(campaign, "poll")
    first, second = campaign.incoming()
    assert run(campaign, "assign", str(first["id"]), barnet.reference).exit_code == 0
    result = run(campaign, "assign", str(second["id"]), str(camden.id))
    assert result.exit_code == 0, result.output
    assert "writes for more than one authority" in result.output
    assert campaign.rows("SELECT * FROM sender_hints") == []


def test_no_reply_addresses_are_not_learned(campaign: MailCampaign) -> None:
    campaign.deliver(reply(from_addr="no-reply@casework.example", to=campaign.user, subject="Case update"))
    run(campaign, "poll")
    result = run(campaign, "assign", str(campaign.incoming()[0]["id"]), campaign.requests["barnet"].reference)
    assert "shared or no-reply address: not learned" in result.output
    assert campaign.rows("SELECT * FROM sender_hints") == []


def test_assign_moves_a_wrongly_filed_reply(campaign: MailCampaign) -> None:
    harrow, camden = campaign.requests["harrow"], campaign.requests["camden"]
    campaign.deliver(reply(from_addr="info@harrow.gov.uk", to=campaign.user, subject="Forwarded to us by Camden"))
    run(campaign, "poll")
    message = campaign.incoming()[0]
    assert message["request_id"] == harrow.id
    result = run(campaign, "assign", str(message["id"]), camden.reference)
    assert result.exit_code == 0 and f"(moved from {harrow.reference})" in result.output
    assert campaign.incoming()[0]["request_id"] == camden.id


def test_unreadable_messages_are_listed(campaign: MailCampaign, dovecot) -> None:
    dovecot.append(campaign.user, b"\x00\x01\x02 not an e-mail at all \xff\xfe" * 10)
    run(campaign, "poll")
    out = run(campaign, "triage").output
    assert "could not be read" in out and "1 of them could not be read" in out
    assert "error: no From, To, Subject, Date or Message-ID header" in out


@pytest.mark.parametrize("args, message", [
    (["assign", "999", "FB-2222222"], "no incoming message number 999"),
    (["assign", "{message}", "FB-ZZZZZZ"], "no request 'FB-ZZZZZZ'"),
])
def test_assign_errors_are_one_line(campaign: MailCampaign, args: list[str], message: str) -> None:
    campaign.deliver(reply(from_addr="offers@shop.example", to=campaign.user, subject="Spring sale"))
    run(campaign, "poll")
    args = [a.replace("{message}", str(campaign.incoming()[0]["id"])) for a in args]
    result = run(campaign, *args)
    assert result.exit_code == 1
    assert message in str(result.exception)


def test_assign_rejects_an_outgoing_message(campaign: MailCampaign) -> None:
    out_id = campaign.rows("SELECT id FROM messages WHERE direction = 'out' LIMIT 1")[0]["id"]
    result = run(campaign, "assign", str(out_id), campaign.requests["barnet"].reference)
    assert result.exit_code == 1 and "no incoming message number" in str(result.exception)
