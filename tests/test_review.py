"""The review queue through the CLI: readings that wait for a person, the ladder's hold, confirm and set.

Replies are read by the real reader (foibot.understand) and applied by the real lifecycle on a real SQLite
store; `foibot review`, `chase --dry-run`, `export` and `status` run through click as a campaigner runs them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.campaigns import StoreCampaign as Campaign
from support.campaigns import when
from support.mail import LATER_REFUSAL, SURE_NOT_HELD, VAGUE_REPLY

from foibot.chase.ladder import ChaseSettings, plan, queue_chaser
from foibot.cli import cli
from foibot.clock import iso
from foibot.lifecycle import apply_reply
from foibot.render import make_environment, template_dirs
from foibot.understand.read import read_text

SENT = "2023-04-17T10:00:00+01:00"  # due 2023-05-17
LATE = "2023-05-18T10:00"  # the reminder is owed

@pytest.fixture
def campaign(tmp_path: Path) -> Campaign:
    return Campaign.create(tmp_path)


def file_reply(c: Campaign, request: dict[str, Any], text: str, at: str) -> int:
    """An incoming message stored and filed under `request`, read by the real reader, applied as the poller does."""
    moment = when(at)
    with c.store.transaction():
        message_id = c.store.db["messages"].insert({
            "direction": "in", "request_id": request["id"], "state": "parsed", "triage": 0,
            "dedupe_key": f"sha:{at}", "created_at": iso(moment), "from_addr": request["authority_email"],
            "subject": f"RE: {request['reference']}", "text": text, "date_header": iso(moment)}).last_pk
    apply_reply(c.store, request["id"], message_id, read_text(text).classification, moment)
    return int(message_id)


def run(c: Campaign, *args: str, now: str = LATE) -> Any:
    result = CliRunner().invoke(cli, ["--config", str(c.folder / "config.toml"), *args], env={"FOIBOT_NOW": now},
                                catch_exceptions=False)
    return result


def export_rows(c: Campaign) -> list[dict[str, str]]:
    result = run(c, "export")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_an_unsure_reading_waits_and_holds_the_ladder_until_set(campaign: Campaign) -> None:
    request = campaign.send("barnet", SENT)
    message = file_reply(campaign, request, VAGUE_REPLY, "2023-05-16T11:00")

    listed = run(campaign, "review", "--json")
    (item,) = [json.loads(line) for line in listed.output.splitlines()]
    assert item["message"] == message and item["request"] == request["reference"]
    assert item["confidence"] < 0.8 and item["reason"].startswith("low confidence")
    assert "Waiting for review: 1 reading(s)" in run(campaign, "status").output

    # Past the due date: the reminder is owed, but the ladder holds it while the reading waits.
    dry = run(campaign, "chase", "--dry-run")
    assert dry.exit_code == 0 and "held" in dry.output and "review" in dry.output, dry.output
    chased = run(campaign, "chase")
    assert chased.exit_code == 0, chased.output
    assert campaign.outgoing("reminder") == []
    assert export_rows(campaign)[0]["outcome_confirmed"] == "no"

    # The person says it was only an acknowledgement: the queue empties and the reminder goes.
    settled = run(campaign, "review", "set", str(message), "--kind", "acknowledgement")
    assert settled.exit_code == 0, settled.output
    assert run(campaign, "review").output.strip() == "Nothing waits for review."
    events = list(campaign.store.db.query("SELECT type, source FROM events WHERE message_id = ? AND "
                                          "source = 'manual' ORDER BY id", [message]))
    assert ("review_set", "manual") in [(e["type"], e["source"]) for e in events]
    assert run(campaign, "chase").exit_code == 0
    (reminder,) = campaign.outgoing("reminder")
    assert reminder["state"] == "sent"


def test_confirm_settles_and_the_export_says_so(campaign: Campaign) -> None:
    request = campaign.send("barnet", SENT)
    first = file_reply(campaign, request, SURE_NOT_HELD, "2023-05-10T11:00")
    assert run(campaign, "review").output.strip() == "Nothing waits for review."
    row = export_rows(campaign)[0]
    assert (row["outcome"], row["outcome_confirmed"]) == ("not_held", "auto")

    # A later reply that would change the outcome waits, whatever its confidence.
    second = file_reply(campaign, request, LATER_REFUSAL, "2023-05-12T11:00")
    (item,) = [json.loads(line) for line in run(campaign, "review", "--json").output.splitlines()]
    assert item["message"] == second and "not_held to refused" in item["reason"]
    assert any("exempt" in sentence for sentence in item["evidence"])
    assert export_rows(campaign)[0]["outcome_confirmed"] == "no"

    confirmed = run(campaign, "review", "confirm", str(second))
    assert confirmed.exit_code == 0 and "confirmed as refused" in confirmed.output
    row = export_rows(campaign)[0]
    assert (row["outcome"], row["outcome_confirmed"]) == ("refused", "yes")
    # Confirmed is manual: the same message read again never changes its kind.
    apply_reply(campaign.store, request["id"], second, read_text(SURE_NOT_HELD).classification, when(LATE))
    assert campaign.store.db["messages"].get(second)["kind"] == "refused"
    assert first != second


def test_review_of_an_unknown_message_is_a_one_line_error(campaign: Campaign) -> None:
    campaign.send("barnet", SENT)
    result = CliRunner().invoke(cli, ["--config", str(campaign.folder / "config.toml"), "review", "confirm", "999"],
                                env={"FOIBOT_NOW": LATE})
    assert result.exit_code == 1 or "no reply with number 999" in str(result.exception)
    bad = CliRunner().invoke(cli, ["--config", str(campaign.folder / "config.toml"), "review", "set", "1",
                                   "--kind", "maybe"], env={"FOIBOT_NOW": LATE})
    assert "not a reply kind" in str(bad.exception) or "not a reply kind" in bad.output


def test_a_chaser_already_queued_waits_in_the_outbox_and_goes_once_settled(campaign: Campaign) -> None:
    request = campaign.send("barnet", SENT)
    # A reminder queued by an earlier run (the server was down then), before the vague reply arrived.
    settings = ChaseSettings.from_config(campaign.config)
    (item,) = plan(campaign.store, settings, when(LATE))
    env = make_environment(template_dirs(campaign.config.base_dir))
    assert queue_chaser(campaign.store, campaign.config, env, item, when(LATE)) is not None
    message = file_reply(campaign, request, VAGUE_REPLY, "2023-05-18T10:30")

    assert run(campaign, "chase", now="2023-05-18T11:00").exit_code == 0
    (reminder,) = campaign.outgoing("reminder")
    assert reminder["state"] == "queued"  # held, not sent and not refused

    assert run(campaign, "review", "confirm", str(message), now="2023-05-18T11:05").exit_code == 0
    assert run(campaign, "chase", now="2023-05-18T11:10").exit_code == 0
    (reminder,) = campaign.outgoing("reminder")
    assert reminder["state"] == "sent"
