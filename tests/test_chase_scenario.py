"""A whole chase campaign against the real local servers, driven by FOIBOT_NOW through the commands.

Five authorities get the request on Monday 17 April 2023 (due Wednesday 17 May):
- `answers`: says it holds nothing on 10 May: never chased;
- `acks`: only acknowledges: reminder, internal review request, then the complaint to the ICO;
- `asks`: asks for clarification; we answer on 24 April, so the clock restarts (due 24 May);
- `bounces`: the address bounces: never chased;
- `silent` (a Scottish body): reminder, requirement for review, then the application to the SIC.
At each date exactly the right chasers reach the SMTP server, and a second `chase` the same day sends nothing.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support.mail import dsn, reply_to

from foibot import references
from foibot.cli import cli
from foibot.clock import parse_now

AUTHORITIES = """\
id,name,email,kind,jurisdiction
answers,Answers Borough Council,foi@answers.gov.example,council,england
acks,Acks District Council,foi@acks.gov.example,council,england
asks,Asks County Council,foi@asks.gov.example,council,wales
bounces,Bounces City Council,foi@bounces.gov.example,council,england
silent,Silent Council,foi@silent.gov.example,council,scotland
"""

ACKNOWLEDGEMENT = """\
Dear Alex Campaigner,

Thank you for your request for information, which we received on 17 April 2023. It is being handled under
the Freedom of Information Act 2000 and you should receive a response within 20 working days.

Our reference: FOI-4471

Information Governance Team
"""

NOT_HELD = """\
Dear Alex Campaigner,

Our reference: FOI-2210

I have now completed my searches in response to your request. I can confirm that the council does not
hold any information within the scope of your request: we have had no contact with Fusus, and no records
naming the company exist.

If you are unhappy with the way your request has been handled you may ask for an internal review.

Yours sincerely,
Information Governance Officer
"""

CLARIFICATION = """\
Dear Alex Campaigner,

Before we can deal with your request we need you to clarify it. Please could you tell us what you mean by
"other infrastructure" and which period your request covers?

The 20 working day period for responding will begin once we receive your clarification.

Kind regards,
FOI Team
"""


class Scenario:
    """The campaign folder, the servers, and the commands run at a given FOIBOT_NOW."""

    def __init__(self, folder: Path, smtp: Any, dovecot: Any, user: str, monkeypatch: pytest.MonkeyPatch):
        self.folder, self.smtp, self.dovecot, self.user = folder, smtp, dovecot, user
        self.monkeypatch = monkeypatch
        (folder / "authorities.csv").write_text(AUTHORITIES)
        dovecot.write_config(folder / "config.toml", user, smtp=smtp.smtp_section(),
                             requester={"name": "Alex Campaigner", "email": user})
        monkeypatch.setenv("FOIBOT_CONFIG", str(folder / "config.toml"))
        self.originals: dict[str, EmailMessage] = {}

    def run(self, now: str, *args: str, code: int = 0) -> Result:
        self.monkeypatch.setenv("FOIBOT_NOW", now)
        result = CliRunner().invoke(cli, list(args), obj={})
        assert result.exit_code == code, (args, result.output, result.exception)
        return result

    def chase(self, now: str) -> list[tuple[str, str]]:
        """`foibot chase` at `now`: (recipient, stage) of every message the server received from it."""
        before = len(self.smtp.received)
        self.run(now, "chase", "--yes")
        with sqlite3.connect(self.folder / "foibot.db") as db:  # the stage, by the stored Message-ID
            stages = dict(db.execute("SELECT message_id, stage FROM messages WHERE direction = 'out'").fetchall())
        return [(m.rcpt_tos[0], stages[m.header("Message-ID")]) for m in self.smtp.received[before:]]

    def reply(self, authority: str, at: str, body: str) -> None:
        """The authority answers our request, as its mail system would deliver it to our inbox."""
        message = reply_to(self.originals[authority], to=self.user, body=body, date=parse_now(at), references=True)
        self.dovecot.deliver(self.user, message, sender=f"foi@{authority}.gov.example")

    def bounce(self, authority: str, at: str) -> None:
        """The far end's mail server refuses the address after accepting the message: a DSN comes back."""
        original = self.originals[authority]
        bounce = dsn(failed=original["To"].addresses[0].addr_spec, original_message_id=original["Message-ID"],
                     original_subject=original["Subject"], to=self.user, reporter="mx.gov.example", date=parse_now(at))
        self.dovecot.deliver(self.user, bounce, sender="")

    def requests(self) -> dict[str, dict[str, str]]:
        out = self.run("2023-09-01T12:00:00+01:00", "export").output
        return {row["authority_email"].split("@")[1].split(".")[0]: row for row in csv.DictReader(io.StringIO(out))}


@pytest.fixture
def scenario(tmp_path: Path, smtp_server: Any, dovecot: Any, imap_user: str,
             monkeypatch: pytest.MonkeyPatch) -> Scenario:
    return Scenario(tmp_path, smtp_server, dovecot, imap_user, monkeypatch)


def test_five_authorities_through_the_whole_ladder(scenario: Scenario) -> None:
    s = scenario
    s.run("2023-04-17T10:00:00+01:00", "send", "--run", "fusus", "--template", "fusus", "--authorities",
          "authorities.csv", "--yes")
    assert len(s.smtp.received) == 5
    for message in s.smtp.received:
        s.originals[message.rcpt_tos[0].split("@")[1].split(".")[0]] = message.message

    s.bounce("bounces", "2023-04-17T10:05:00+01:00")
    s.reply("acks", "2023-04-18T11:00:00+01:00", ACKNOWLEDGEMENT)
    s.reply("asks", "2023-04-20T14:00:00+01:00", CLARIFICATION)
    s.run("2023-04-20T16:00:00+01:00", "poll")
    s.run("2023-04-24T15:00:00+01:00", "clarified", s.requests()["asks"]["reference"], "--on", "2023-04-24")
    s.reply("answers", "2023-05-10T12:00:00+01:00", NOT_HELD)
    s.run("2023-05-10T16:00:00+01:00", "poll")
    rows = s.requests()
    assert {k: r["status"] for k, r in rows.items()} == {
        "answers": "answered", "acks": "overdue", "asks": "overdue", "bounces": "failed", "silent": "overdue",
    }
    assert rows["acks"]["due_date"] == "2023-05-17" and rows["asks"]["due_date"] == "2023-05-24"

    dry = s.run("2023-05-18T10:00:00+01:00", "chase", "--dry-run").output
    assert "would prepare 2 reminders" in dry and len(s.smtp.received) == 5

    assert s.chase("2023-05-17T10:00:00+01:00") == []  # the due date itself
    assert sorted(s.chase("2023-05-18T10:00:00+01:00")) == [
        ("foi@acks.gov.example", "reminder"), ("foi@silent.gov.example", "reminder")]
    assert s.chase("2023-05-18T14:00:00+01:00") == []  # a second chase the same day sends nothing
    assert s.chase("2023-05-24T10:00:00+01:00") == []
    assert s.chase("2023-05-25T10:00:00+01:00") == [("foi@asks.gov.example", "reminder")]
    assert s.chase("2023-06-14T10:00:00+01:00") == []
    assert sorted(s.chase("2023-06-15T10:00:00+01:00")) == [
        ("foi@acks.gov.example", "internal_review"), ("foi@silent.gov.example", "internal_review")]
    assert s.chase("2023-06-15T16:00:00+01:00") == []
    assert s.chase("2023-06-22T10:00:00+01:00") == [("foi@asks.gov.example", "internal_review")]

    complaints = s.folder / "complaints"
    # The complaint comes 20 working days after the review was asked for (15 June): FOISA 13 July,
    # FOIA 14 July (12 July, a Northern Irish holiday, is skipped under FOIA).
    assert s.chase("2023-07-12T10:00:00+01:00") == [] and not complaints.exists()
    assert s.chase("2023-07-13T10:00:00+01:00") == []  # a file, not a message
    rows = s.requests()
    assert [p.name for p in complaints.iterdir()] == [f"{rows['silent']['reference']}-complaint-sic.txt"]
    assert s.chase("2023-07-14T10:00:00+01:00") == []
    assert sorted(p.name for p in complaints.iterdir()) == sorted([
        f"{rows['silent']['reference']}-complaint-sic.txt", f"{rows['acks']['reference']}-complaint-ico.txt"])
    assert s.chase("2023-09-01T10:00:00+01:00") == []

    # Every chaser is threaded to the request it chases and quotes our reference and theirs when known.
    originals = {m["Message-ID"]: m for m in s.originals.values()}
    chasers = s.smtp.received[5:]
    assert len(chasers) == 6
    for chaser in chasers:
        parent = originals[chaser.header("In-Reply-To")]
        assert chaser.rcpt_tos == [parent["To"].addresses[0].addr_spec]
        assert chaser.header("X-Foibot-Reference") is None and references.find_references(chaser.subject)
    acks = [c for c in chasers if c.rcpt_tos == ["foi@acks.gov.example"]]
    assert all("FOI-4471" in c.subject and "FOI-4471" in c.body for c in acks)

    rows = s.requests()
    assert rows["answers"]["chases"] == "0" and rows["bounces"]["chases"] == "0"
    assert rows["acks"]["chases"] == "2" and rows["silent"]["chases"] == "2" and rows["asks"]["chases"] == "2"
    assert rows["silent"]["status"] == "internal_review"
    ico = (complaints / f"{rows['acks']['reference']}-complaint-ico.txt").read_text()
    assert "Acks District Council" in ico and "FOI-4471" in ico and "section 50" in ico
