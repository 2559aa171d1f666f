"""A campaign whose replies are the labelled Fusus fixtures (tests/fixtures/verdicts/), for the publishing tests.

`fixture_campaign(folder)` sends the Fusus request to one authority per fixture through the real
`foibot send` (the embedded sandbox), then puts each fixture reply in the database the way the poller
stores a fetched message and files it with the poller's own filing code (read, match, classify, apply).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from click.testing import CliRunner

from foibot.cli import cli
from foibot.clock import iso
from foibot.collect.filing import file_stored
from foibot.config import load_config
from foibot.store import open_store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "verdicts"
SENT = "2026-03-02T10:00:00+00:00"
FILED = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
NOW = "2026-05-01T10:00:00+01:00"
RUN = "fusus-test"
# One authority per fixture: (id, name, FOI address, kind, jurisdiction).
AUTHORITIES = {
    "numbered_no.txt": ("northmoor", "Northmoor District Council", "foi@northmoor.gov.uk", "council", "england"),
    "numbered_yes.txt": ("westshire-police", "Westshire Constabulary", "foi@westshire.police.uk", "police_force",
                         "england"),
    "restated_not_held.txt": ("llanfair", "Llanfair County Council", "foi@llanfair.gov.wales", "council", "wales"),
    "prose_no.txt": ("eastvale-pcc", "Office of the Police and Crime Commissioner for Eastvale",
                     "info@eastvale-pcc.gov.uk", "police_commissioner", "england"),
    "s12_refusal.txt": ("marlow-vale", "Marlow Vale District Council", "foi@marlowvale.gov.uk", "council",
                        "england"),
    "s43_partial.txt": ("northgate-police", "Northgate Police", "foi@northgate.police.uk", "police_force",
                        "england"),
    "ncnd.txt": ("carrick-police", "Carrick Police", "foi@carrick.police.uk", "police_force", "england"),
    "partly_answered.txt": ("ashbridge", "Ashbridge Borough Council", "foi@ashbridge.gov.uk", "council", "england"),
    "unclear.txt": ("harbury", "Harbury Metropolitan Borough Council", "foi@harbury.gov.uk", "council", "england"),
    "foisa_not_held.txt": ("glenard", "Glenard Council", "foi@glenard.gov.scot", "council", "scotland"),
    "prose_yes.txt": ("riverside-ca", "Riverside Combined Authority", "foi@riverside-ca.gov.uk",
                      "combined_authority", "england"),
    "letter_only.eml": ("kingsmere", "Kingsmere Borough Council", "foi@kingsmere.gov.uk", "council", "england"),
}
SILENT = ("quiet-council", "Quiet Town Council", "foi@quiet.gov.uk", "council", "england")
# What each fixture's signature gives away, which nothing published may keep.
PERSONAL = [
    "Priya Ramanathan", "01632 960 418", "priya.ramanathan@northmoor.gov.uk",
    "Tom Whitlock", "07700 900 123", "tom.whitlock@westshire.police.uk",
    "Gareth Pryce", "01632 960 771",
    "Helen O'Connor", "helen.oconnor@eastvale-pcc.gov.uk", "0161 496 0773",
    "Daniel Okafor", "01632 960 902",
    "Alan Pearce", "0117 496 0184",
    "Ruth Kellerman",
    "Mark Ellison", "mark.ellison@harbury.gov.uk",
    "Fiona MacLeod", "01632 961 330",
    "Olu Adeyemi", "olu.adeyemi@riverside-ca.gov.uk",
    "Imogen Fairclough", "01632 962 540", "imogen.fairclough@kingsmere.gov.uk",
    "Sam Campaigner", "sam@campaign.example",
]


@dataclass
class PublishCampaign:
    folder: Path
    references: dict[str, str]  # authority id -> reference


def labels() -> list[dict[str, str]]:
    with (FIXTURES / "labels.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _reply(fixture: str, authority: tuple[str, str, str, str, str], reference: str) -> bytes:
    to = f"sam+{reference.lower()}@campaign.example"
    subject = f"RE: Freedom of Information request [ref {reference}]"
    if fixture.endswith(".eml"):
        msg = message_from_bytes((FIXTURES / fixture).read_bytes(), policy=policy.SMTP)
        for name, value in (("To", to), ("Subject", subject)):
            del msg[name]
            msg[name] = value
        return msg.as_bytes()
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = f"Information Governance <{authority[2]}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 3, 27, 11, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<{authority[0]}-{reference.lower()}@{authority[2].partition('@')[2]}>"
    msg.set_content((FIXTURES / fixture).read_text(encoding="utf-8"))
    return msg.as_bytes()


def fixture_campaign(folder: Path) -> PublishCampaign:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(
        '[requester]\nname = "Sam Campaigner"\nemail = "sam@campaign.example"\nreply_address = "plus"\n',
        encoding="utf-8")
    rows = [*AUTHORITIES.values(), SILENT]
    (folder / "authorities.csv").write_text(
        "id,name,email,kind,jurisdiction\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    env = {"FOIBOT_CONFIG": str(folder / "config.toml"), "FOIBOT_NOW": SENT}
    result = CliRunner().invoke(cli, ["send", "--run", RUN, "--template", "fusus", "--authorities",
                                      str(folder / "authorities.csv"), "--yes"], obj={}, env=env)
    assert result.exit_code == 0, result.output
    config = load_config(folder / "config.toml")
    store = open_store(config.database_path, config.files_dir)
    references = {r[0]: r[1] for r in store.db.execute("SELECT authority_id, reference FROM requests")}
    with store.transaction():
        for fixture, authority in AUTHORITIES.items():
            raw = _reply(fixture, authority, references[authority[0]])
            store.db.execute(
                "INSERT INTO messages (direction, state, dedupe_key, sha256, size, raw, created_at, triage) "
                "VALUES ('in', 'stored', ?, ?, ?, ?, ?, 0)",
                ["sha:" + hashlib.sha256(raw).hexdigest(), hashlib.sha256(raw).hexdigest(), len(raw), raw,
                 iso(FILED)])
    file_stored(store, config, FILED)
    store.close()
    return PublishCampaign(folder, references)
