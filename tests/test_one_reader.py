"""One reader: a reply read by `foibot classify` and the same bytes filed by a real poll agree on everything.

Every fixture reply is wrapped as the authority's e-mail, classified by the command, then delivered to a
real Dovecot and filed by `foibot poll`; kind, references, exemptions and answers must be the same.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from click.testing import CliRunner
from support.campaigns import sent_campaign
from support.mail import reply

from foibot.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "replies"


def _bodies() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".eml"))


def _as_mail(path: Path, to: str, subject: str, n: int) -> bytes:
    if path.suffix == ".eml":
        raw = path.read_bytes()
        # The fixture's own message, readdressed to the request's reply address so the poll files it.
        from email import message_from_bytes

        msg = message_from_bytes(raw, _class=EmailMessage, policy=SMTP)
        del msg["To"]
        msg["To"] = to
        del msg["Message-ID"]
        msg["Message-ID"] = f"<fixture{n}@barnet.gov.uk>"
        return msg.as_bytes()
    return reply(from_addr="foi@barnet.gov.uk", to=to, subject=subject, body=path.read_text(encoding="utf-8"),
                 message_id=f"<fixture{n}@barnet.gov.uk>")


def test_classify_and_poll_read_every_fixture_the_same(tmp_path: Path, dovecot, imap_user, smtp_server) -> None:
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server)
    barnet = campaign.requests["barnet"]
    mails = tmp_path / "mails"
    mails.mkdir()
    files = []
    for n, body in enumerate(_bodies()):
        raw = _as_mail(body, barnet.plus_address, f"Re: {barnet.subject}", n)
        target = mails / f"{n:03d}-{body.stem}.eml"
        target.write_bytes(raw)
        files.append(target)
    # A cover note forwarding the authority's letter as an attached message: decided by that letter.
    letter = reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject=f"Re: {barnet.subject}",
                   body="Dear requester,\n\nHaving searched our records, the council does not hold any "
                        "information falling within the scope of your request.\n\nInformation Governance")
    cover = reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject=f"Fwd: {barnet.subject}",
                  body="Please see the message below.", attachments=[("letter.eml", "message/rfc822", letter)],
                  message_id=f"<fixture{len(files)}@barnet.gov.uk>")
    files.append(mails / "999-forwarded-letter.eml")
    files[-1].write_bytes(cover)
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(campaign.config_path), "classify", "--json",
                                 *map(str, files)], obj={})
    assert result.exit_code == 0, result.output
    by_command = {Path(o["file"]).name: o for o in map(json.loads, result.output.splitlines())}
    assert len(by_command) == len(files) > 50

    for target in files:
        campaign.deliver(target.read_bytes(), to=barnet.plus_address)
    result = runner.invoke(cli, ["--config", str(campaign.config_path), "poll"], obj={},
                           env={"FOIBOT_IMAP_PASSWORD": "secret", "FOIBOT_NOW": "2026-03-25T10:00:00+00:00"})
    assert result.exit_code == 0, result.output
    stored = {r["message_id"]: r for r in campaign.rows(
        "SELECT message_id, kind, authority_ref, exemptions, answers, request_id FROM messages "
        "WHERE direction = 'in'")}
    disagreements = []
    for n, target in enumerate(files):
        row = stored[f"<fixture{n}@barnet.gov.uk>"]
        mine = by_command[target.name]
        polled = {"kind": row["kind"], "authority_ref": row["authority_ref"],
                  "exemptions": [e for e in (row["exemptions"] or "").split(";") if e],
                  "answers": json.loads(row["answers"] or "{}")}
        command = {k: mine[k] for k in polled}
        if row["request_id"] == barnet.id and polled != command:
            disagreements.append((target.name, command, polled))
        elif row["request_id"] != barnet.id and polled["kind"] != command["kind"]:
            disagreements.append((target.name, command["kind"], polled["kind"]))
    assert not disagreements, disagreements
    filed = sum(1 for n in range(len(files)) if stored[f"<fixture{n}@barnet.gov.uk>"]["request_id"] == barnet.id)
    assert filed >= len(files) - 10  # nearly all filed under the request, so answers were compared too
