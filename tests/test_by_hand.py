"""A campaign mixing e-mail and web-form authorities against the real local servers, and a readdressed bounce.

Sent on Monday 17 April 2023 to four authorities:
- `mailer`: by e-mail, answers nothing (the control: due 17 May);
- `former`: web form only: written out, never mailed; sent by hand on 19 April (due 19 May), answers by mail;
- `silentform`: web form only, sent by hand on 17 April, never answers: its reminder is written out on time;
- `bouncer`: its address bounces; `readdress ... alt` sends the request once to the register's other address.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from support.mail import reply
from test_chase_scenario import NOT_HELD, Scenario

from foibot.clock import parse_now

AUTHORITIES = """\
id,name,email,kind,jurisdiction,channel,form_url,alt_email
mailer,Mailer Borough Council,foi@mailer.gov.example,council,england,email,,
former,Former District Council,,council,england,web_form,https://former.gov.example/foi/form,
silentform,Silentform County Council,,council,england,web_form,https://silentform.gov.example/ask,
bouncer,Bouncer City Council,foi@old.bouncer.gov.example,council,england,email,,foi@bouncer.gov.example
"""


class Mixed(Scenario):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        (self.folder / "authorities.csv").write_text(AUTHORITIES)
        self.dovecot.write_config(self.folder / "config.toml", self.user, smtp=self.smtp.smtp_section(),
                                  requester={"name": "Alex Campaigner", "email": self.user,
                                             "reply_address": "plus"})

    def requests(self, at: str = "2023-09-01T12:00:00+01:00") -> dict[str, dict[str, str]]:
        """The outcome CSV's rows by authority id (form requests have no address)."""
        out = self.run(at, "export").output
        return {row["authority_id"]: row for row in csv.DictReader(io.StringIO(out))}

    def mail_from(self, authority: str, at: str, subject: str, body: str) -> None:
        """A reply by e-mail to a request sent by web form: it quotes our reference in the subject."""
        sender = f"foi@{authority}.gov.example"
        self.dovecot.deliver(self.user, reply(from_addr=sender, to=self.user, subject=subject, body=body,
                                              date=parse_now(at)), sender=sender)


@pytest.fixture
def mixed(tmp_path: Path, smtp_server: Any, dovecot: Any, imap_user: str, monkeypatch: pytest.MonkeyPatch) -> Mixed:
    return Mixed(tmp_path, smtp_server, dovecot, imap_user, monkeypatch)


def test_web_form_requests_are_written_recorded_by_hand_answered_by_mail_and_chased_on_time(mixed: Mixed) -> None:
    s = mixed
    sent = s.run("2023-04-17T10:00:00+01:00", "send", "--run", "fusus", "--authorities", "authorities.csv",
                 "--yes").output
    # only the e-mail ones reach the server; the form ones are written out and listed
    assert sorted(m.rcpt_tos[0] for m in s.smtp.received) == ["foi@mailer.gov.example",
                                                             "foi@old.bouncer.gov.example"]
    rows = s.requests()
    former, silent = rows["former"]["reference"], rows["silentform"]["reference"]
    assert "2 to send by hand" in sent and former in sent and silent in sent
    by_hand = s.folder / "by-hand"
    (former_file,) = by_hand.glob(f"{former}-request-former.txt")
    text = former_file.read_text()
    assert text.splitlines()[2] == "Web form:      https://former.gov.example/foi/form"
    assert f"Freedom of Information request: Fusus [ref {former}]" in text and "Dear Former District Council" in text
    assert f"foibot sent-by-hand {former} --on" in text
    assert f"Your e-mail:   {s.user.replace('@', '+' + former.lower() + '@')}" in text  # replies find their way
    assert rows["former"]["channel"] == "web_form" and rows["mailer"]["channel"] == "email"
    assert rows["former"]["status"] == "queued" and rows["former"]["sent_at"] == ""

    status = s.run("2023-04-18T10:00:00+01:00", "status").output
    assert "To send by hand: 2" in status and "Channel: email 2, web_form 2" in status
    again = s.run("2023-04-18T10:00:00+01:00", "send", "--run", "fusus", "--authorities", "authorities.csv",
                  "--yes")
    assert len(s.smtp.received) == 2 and "2 to send by hand" in again.output  # still waiting, never mailed

    # the campaigner sends them through the forms and records it: the clock starts that day
    done = s.run("2023-04-19T15:00:00+01:00", "sent-by-hand", former, "--on", "2023-04-19", "--their-ref",
                 "WF-77").output
    assert "due on 2023-05-19" in done
    s.run("2023-04-19T15:05:00+01:00", "sent-by-hand", silent, "--on", "2023-04-17")
    twice = s.run("2023-04-19T15:06:00+01:00", "sent-by-hand", former, "--on", "2023-04-19", code=1)
    assert "no message waiting to be sent by hand" in str(twice.exception)
    s.run("2023-04-19T15:06:00+01:00", "sent-by-hand", former, "--on", "2023-05-01", code=1)  # the future
    rows = s.requests("2023-04-19T16:00:00+01:00")
    assert rows["former"]["sent_at"].startswith("2023-04-19") and rows["former"]["due_date"] == "2023-05-19"
    assert rows["former"]["authority_ref"] == "WF-77" and rows["former"]["status"] == "awaiting_response"
    assert rows["silentform"]["due_date"] == rows["mailer"]["due_date"] == "2023-05-17"

    # the form authority answers by e-mail, quoting our reference: matched as usual
    s.mail_from("former", "2023-05-10T12:00:00+01:00", f"Your request {former}: response", NOT_HELD)
    s.run("2023-05-10T16:00:00+01:00", "poll")
    rows = s.requests()
    assert (rows["former"]["status"], rows["former"]["outcome"], rows["former"]["replies"]) == (
        "answered", "not_held", "1")
    assert rows["former"]["working_days_taken"] == "13"  # from the day sent by hand, not the day written

    # chasers on time: the e-mail one is mailed, the form one written out, not mailed
    assert s.chase("2023-05-17T10:00:00+01:00") == []
    chased = s.run("2023-05-18T10:00:00+01:00", "chase", "--yes").output
    assert sorted(m.rcpt_tos[0] for m in s.smtp.received[2:]) == ["foi@mailer.gov.example",
                                                                 "foi@old.bouncer.gov.example"]
    (reminder,) = by_hand.glob(f"{silent}-reminder-silentform.txt")
    assert "Web form:      https://silentform.gov.example/ask" in reminder.read_text()
    assert silent in reminder.read_text() and "--stage reminder" in reminder.read_text()
    assert silent in chased and "1 chaser to send by hand" in chased
    waiting = s.run("2023-05-18T10:30:00+01:00", "status").output
    assert "To send by hand: 1" in waiting and f"{silent}  reminder" in waiting
    assert not list(by_hand.glob(f"{former}-reminder-*"))  # answered: nothing owed
    s.run("2023-05-18T11:00:00+01:00", "sent-by-hand", silent, "--on", "2023-05-18", "--stage", "reminder")
    assert s.chase("2023-05-18T14:00:00+01:00") == [] and len(list(by_hand.glob("*reminder*"))) == 1
    rows = s.requests()
    assert rows["silentform"]["chases"] == "1" and rows["silentform"]["chase_stage"] == "reminder"
    assert rows["mailer"]["chases"] == "1" and rows["former"]["chases"] == "0"


def test_a_bounced_address_is_readdressed_once_and_counted_as_wrong(mixed: Mixed, tmp_path: Path) -> None:
    s = mixed
    s.run("2023-04-17T10:00:00+01:00", "send", "--run", "fusus", "--authorities", "authorities.csv", "--yes")
    for message in s.smtp.received:
        s.originals[message.rcpt_tos[0].split("@")[1].split(".")[1]] = message.message  # old.bouncer -> bouncer
    s.bounce("bouncer", "2023-04-17T10:05:00+01:00")
    s.run("2023-04-17T12:00:00+01:00", "poll")
    before = s.requests()["bouncer"]
    assert before["status"] == "failed"
    reference = before["reference"]

    out = s.run("2023-04-18T10:00:00+01:00", "readdress", reference, "alt").output
    assert "sent again to foi@bouncer.gov.example instead of foi@old.bouncer.gov.example" in out
    to_new = s.smtp.messages_to("foi@bouncer.gov.example")
    first_id = s.smtp.messages_to("foi@old.bouncer.gov.example")[0].header("Message-ID")
    assert len(to_new) == 1 and reference in to_new[0].subject
    assert to_new[0].header("X-Foibot-Reference") is None  # no header tells the authority a tool sent it
    assert to_new[0].header("Message-ID") != first_id and "fb-" not in to_new[0].header("Message-ID").lower()
    first = s.smtp.messages_to("foi@old.bouncer.gov.example")[0]
    assert to_new[0].header("Reply-To") == first.header("Reply-To") and "+fb-" in first.header("Reply-To")
    assert to_new[0].body == first.body

    # delivered once: neither another readdress nor another send mails it again
    again = s.run("2023-04-18T11:00:00+01:00", "readdress", reference, "alt", code=1)
    assert "no other address is known" in str(again.exception)
    s.run("2023-04-18T11:00:00+01:00", "readdress", reference, "foi@bouncer.gov.example", code=1)
    s.run("2023-04-18T11:00:00+01:00", "send", "--run", "fusus", "--authorities", "authorities.csv", "--yes")
    assert len(s.smtp.messages_to("foi@bouncer.gov.example")) == 1
    assert len(s.smtp.messages_to("foi@old.bouncer.gov.example")) == 1

    row = s.requests("2023-04-18T12:00:00+01:00")["bouncer"]
    assert row["authority_email"] == "foi@bouncer.gov.example"
    assert row["wrong_addresses"] == "foi@old.bouncer.gov.example"
    assert row["status"] == "awaiting_response" and row["failed_reason"] == ""
    assert row["sent_at"].startswith("2023-04-18") and row["due_date"] == "2023-05-18"  # the clock started anew
    assert row["chases"] == "0" and row["channel"] == "email"

    # a late bounce of the old address does not fail the request sent again since
    s.bounce("bouncer", "2023-04-18T13:00:00+01:00")
    s.run("2023-04-18T14:00:00+01:00", "poll")
    assert s.requests("2023-04-18T15:00:00+01:00")["bouncer"]["status"] == "awaiting_response"

    # a reply to the new address is filed under the same request
    s.mail_from("bouncer", "2023-04-20T12:00:00+01:00", f"RE: {to_new[0].subject}", NOT_HELD)
    s.run("2023-04-20T16:00:00+01:00", "poll")
    assert s.requests()["bouncer"]["outcome"] == "not_held"

    report = tmp_path / "report.html"
    s.run("2023-04-21T10:00:00+01:00", "report", "-o", str(report))
    page = report.read_text()
    assert "<b>1</b><span>addresses found wrong</span>" in page
    assert "<b>2</b><span>sent by web form or post</span>" in page


def test_an_address_found_later_sends_the_written_request_by_mail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    import mailbox

    from support.run import foibot

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOIBOT_CONFIG", raising=False)
    (tmp_path / "authorities.csv").write_text(
        "id,name,email,kind,jurisdiction,channel,postal_address\n"
        "lost,Lost Borough Council,,council,wales,unknown,\n"
        "posted,Posted District Council,,council,england,post,\"Town Hall, High Street, AB1 2CD\"\n")
    monkeypatch.setenv("FOIBOT_NOW", "2026-03-02T10:00:00+00:00")
    sent = foibot("send", "--run", "r1", "--authorities", "authorities.csv")
    assert sent.code == 0, sent.stderr
    assert not (tmp_path / "sandbox-mail").exists() or not list(mailbox.Maildir(str(tmp_path / "sandbox-mail")))
    posted = next((tmp_path / "by-hand").glob("*-request-posted.txt"))
    assert "Postal address: Posted District Council, Town Hall, High Street, AB1 2CD" in posted.read_text()
    lost = next((tmp_path / "by-hand").glob("*-request-lost.txt"))
    assert "Found an e-mail address?" in lost.read_text()
    reference = lost.name.split("-request-")[0]

    monkeypatch.setenv("FOIBOT_NOW", "2026-03-04T10:00:00+00:00")
    bad = foibot("readdress", reference, "not an address")
    assert bad.code == 1 and bad.stderr.startswith("Error: the new address") and "Traceback" not in bad.stderr
    done = foibot("readdress", reference, "foi@lost.gov.example")
    assert done.code == 0, done.stderr
    assert not lost.exists() and posted.exists()  # the text to send by hand is gone: it went by mail
    delivered = [m for m in mailbox.Maildir(str(tmp_path / "sandbox-mail"))]
    assert [str(m["To"]) for m in delivered] == ["foi@lost.gov.example"] and reference in str(delivered[0]["Subject"])
    export = foibot("export")
    rows = {r["authority_id"]: r for r in csv.DictReader(io.StringIO(export.stdout))}
    assert (rows["lost"]["channel"], rows["lost"]["wrong_addresses"], rows["lost"]["status"]) == (
        "email", "", "awaiting_response")
    assert rows["lost"]["sent_at"].startswith("2026-03-04") and rows["posted"]["channel"] == "post"
    assert rows["posted"]["status"] == "queued"
    nothing = foibot("sent-by-hand", reference, "--on", "2026-03-04")
    assert nothing.code == 1 and "no message waiting to be sent by hand: it goes by e-mail" in nothing.stderr
