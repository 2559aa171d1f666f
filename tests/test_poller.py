"""The poller against a real Dovecot: replies delivered over LMTP, each matching layer on its own, bounces,
auto-replies, attachments (PDF, hostile names), HTML-only mail, a 20 MB message, TLS and the empty pass."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.campaigns import MailCampaign, sent_campaign
from support.mail import dsn, minimal_pdf, reply

from foibot.cli import cli
from foibot.config import load_config
from foibot.errors import MailServerError
from foibot.store import open_store

ROOT = Path(__file__).resolve().parent.parent
ELSEWHERE = "responses@shared-services.example"  # a sender no layer but the one under test knows


@pytest.fixture
def campaign(tmp_path: Path, dovecot, imap_user: str, smtp_server) -> MailCampaign:
    return sent_campaign(tmp_path, dovecot, imap_user, smtp_server)


def only_row(campaign: MailCampaign) -> dict:
    rows = campaign.incoming()
    assert len(rows) == 1, rows
    return rows[0]


# --- each layer on its own ------------------------------------------------------------------------------

def test_in_reply_to_alone_files_the_reply(campaign: MailCampaign) -> None:
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject="Re: your e-mail",
                           in_reply_to=barnet.message_id, body="We do not hold any of the information."))
    report = campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"], row["triage"]) == (barnet.id, "in_reply_to", 0)
    assert row["match_confidence"] >= 0.9
    assert report.filed == {"in_reply_to": 1} and report.triage == 0
    assert campaign.request("barnet")["status"] == "answered"


def test_reference_in_a_rewritten_subject_files_it_and_learns_their_reference(campaign: MailCampaign) -> None:
    camden = campaign.requests["camden"]
    subject = f"FOI 9645568 - your request [ref {camden.reference.lower().replace('-', ' ')}]"
    campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject=subject,
                           body="Your request has been logged. Our ref: 9645568. We will respond within 20 "
                                "working days."))
    campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"]) == (camden.id, "reference_subject")
    assert campaign.request("camden")["authority_ref"] == "9645568"
    # Their reference alone now finds the request from the authority's own domain; from another system's
    # address it waits in triage (references collide across authorities: issue 13).
    campaign.deliver(reply(from_addr="casework@icasework.example", to=campaign.user,
                           subject="Response to request 9645568", body="Please find our response below. "
                           "The council does not hold the information you asked for."))
    campaign.deliver(reply(from_addr="records@camden.gov.uk", to=campaign.user, message_id="<r3@camden.gov.uk>",
                           subject="Response to request 9645568", body="Please find our response below. "
                           "The council does not hold the information you asked for."))
    campaign.poll()
    second, third = campaign.incoming()[1:3]
    assert (second["request_id"], second["triage"]) == (None, 1)
    assert (third["request_id"], third["match_method"]) == (camden.id, "authority_ref")


def test_plus_address_from_a_no_reply_case_system(campaign: MailCampaign) -> None:
    met = campaign.requests["met"]
    campaign.deliver(reply(from_addr="no-reply@casework.example", to=met.plus_address,
                           subject="Case update", body="A response to your case is available."),
                     to=met.plus_address)
    campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"]) == (met.id, "plus_address")


def test_sender_domain_with_no_clue_at_all(campaign: MailCampaign) -> None:
    harrow = campaign.requests["harrow"]
    campaign.deliver(reply(from_addr="j.smith@foi.harrow.gov.uk", to=campaign.user, subject="Information request",
                           body="Please see our response: we do not hold this information."))
    campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"]) == (harrow.id, "sender_domain")
    assert row["match_confidence"] == pytest.approx(0.6)


def test_a_reply_naming_two_of_our_references_goes_to_triage_with_both(campaign: MailCampaign) -> None:
    barnet, camden = campaign.requests["barnet"], campaign.requests["camden"]
    campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user,
                           subject=f"Joint response {barnet.reference} and {camden.reference}",
                           body="One answer for both councils."))
    report = campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"], row["triage"]) == (None, "ambiguous", 1)
    candidates = {c["reference"] for c in json.loads(row["match_detail"])["candidates"]}
    assert candidates == {barnet.reference, camden.reference}
    assert report.triage == 1


def test_a_forwarded_reply_is_filed_through_the_attached_message(campaign: MailCampaign) -> None:
    met = campaign.requests["met"]
    original = reply(from_addr="foi@met.police.uk", to=campaign.user, subject=f"RE: {met.subject}",
                     body="The MPS neither confirms nor denies that it holds the information.")
    campaign.deliver(reply(from_addr="colleague@campaign.example", to=campaign.user, subject="Fwd: FOI answer",
                           body="Forwarding this one, it came to my address.",
                           attachments=[("answer.eml", "message/rfc822", original)]))
    campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"]) == (met.id, "forwarded")


def test_html_only_reply(campaign: MailCampaign) -> None:
    barnet = campaign.requests["barnet"]
    html = (f"<html><head><style>p {{color: red}}</style></head><body><p>Dear requester,</p>"
            f"<p>Your request <b>{barnet.reference}</b> has been answered: we do not hold the information."
            f"</p></body></html>")
    campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject="Our response", body=None, html=html))
    campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"]) == (barnet.id, "reference_body")
    text = campaign.rows("SELECT text FROM messages WHERE id = ?", [row["id"]])[0]["text"]
    assert "we do not hold the information" in text and "<b>" not in text and "color" not in text


def test_reply_with_a_pdf_letter(campaign: MailCampaign) -> None:
    camden = campaign.requests["camden"]
    letter = minimal_pdf("Our ref: FOI 11611", "We are withholding the information under section 43(2)",
                         "of the Freedom of Information Act (commercial interests).")
    campaign.deliver(reply(from_addr="foi@camden.gov.uk", to=camden.plus_address, subject=f"RE: {camden.subject}",
                           body="Please find attached our response to your request.",
                           attachments=[("Response letter.pdf", "application/pdf", letter)]), to=camden.plus_address)
    campaign.poll()
    row = only_row(campaign)
    assert row["request_id"] == camden.id
    attachment = campaign.rows("SELECT * FROM attachments WHERE message_id = ?", [row["id"]])[0]
    assert attachment["filename"] == "Response letter.pdf"
    assert attachment["content_type"] == "application/pdf" and attachment["size"] == len(letter)
    assert attachment["status"] == "ok" and "section 43(2)" in attachment["text"]
    path = campaign.config.files_dir / attachment["stored_path"]
    assert attachment["stored_path"] == f"{row['id']}/0-{attachment['sha256'][:16]}.pdf"
    assert path.read_bytes() == letter
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(campaign.config.files_dir.stat().st_mode) == 0o700


def test_a_malicious_attachment_name_never_becomes_a_path(campaign: MailCampaign, tmp_path: Path) -> None:
    barnet = campaign.requests["barnet"]
    names = ["../../../../tmp/foibot-evil.sh", "..\\..\\windows\\evil.exe", "/etc/cron.d/evil", "CON",
             "invoice\u202efdp.exe", ".bashrc"]
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject="RE: request",
                           attachments=[(n, "application/octet-stream", b"#!/bin/sh\necho owned\n") for n in names]),
                     to=barnet.plus_address)
    campaign.poll()
    row = only_row(campaign)
    stored = campaign.rows("SELECT filename, stored_path FROM attachments WHERE message_id = ? ORDER BY part_index",
                           [row["id"]])
    assert len(stored) == len(names)
    files_dir = campaign.config.files_dir
    for item in stored:
        assert item["stored_path"].startswith(f"{row['id']}/") and ".." not in item["stored_path"]
        assert (files_dir / item["stored_path"]).resolve().parent == (files_dir / str(row["id"])).resolve()
        assert item["filename"] is None or ("/" not in item["filename"] and "\\" not in item["filename"])
    assert not Path("/tmp/foibot-evil.sh").exists()
    assert sorted(p.name for p in files_dir.rglob("*") if p.is_file()) == sorted(
        Path(s["stored_path"]).name for s in stored)


def test_a_20_mb_message_is_stored_whole(campaign: MailCampaign) -> None:
    harrow = campaign.requests["harrow"]
    blob = os.urandom(20 * 1024 * 1024)
    raw = reply(from_addr="info@harrow.gov.uk", to=harrow.plus_address, subject="Large files",
                attachments=[("cctv-footage.zip", "application/zip", blob)])
    campaign.deliver(raw, to=harrow.plus_address)
    report = campaign.poll()
    row = only_row(campaign)
    assert row["request_id"] == harrow.id and row["stored"] == row["size"] > 20 * 1024 * 1024
    assert report.truncated == 0
    attachment = campaign.rows("SELECT * FROM attachments WHERE message_id = ?", [row["id"]])[0]
    assert (campaign.config.files_dir / attachment["stored_path"]).read_bytes() == blob


@pytest.fixture
def capped(tmp_path: Path, dovecot, imap_user: str, smtp_server) -> MailCampaign:
    """A campaign polled with a 200,000-byte cap, and a 1 MB reply to Barnet waiting in its mailbox."""
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server, imap={"max_message_bytes": 200_000})
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject="Big",
                           attachments=[("scan.tif", "image/tiff", os.urandom(1_000_000))]), to=barnet.plus_address)
    return campaign


def test_a_message_over_the_size_cap_is_stored_truncated_and_filed(capped: MailCampaign) -> None:
    report = capped.poll()
    row = only_row(capped)
    assert report.truncated == 1 and row["stored"] == 200_000 and row["size"] > 1_000_000
    assert row["request_id"] == capped.requests["barnet"].id and "truncated" in row["last_error"]


def test_the_size_cap_holds_when_the_server_understates_a_messages_size(capped: MailCampaign) -> None:
    # Issue 13 (Low): max_message_bytes trusted the size the server reported; a hostile server stored 400 MB
    # under a 1 MB cap. Here a proxy makes Dovecot's RFC822.SIZE answers say 1,000 bytes.
    import re

    campaign = capped
    with campaign.through_proxy() as proxy:
        proxy.rewrite_reply = lambda data: re.sub(rb"RFC822\.SIZE \d+", b"RFC822.SIZE 1000", data)
        report = campaign.poll()
    row = only_row(campaign)
    assert report.truncated == 1 and row["stored"] == 200_000 and row["size"] > 1_000_000
    assert "truncated" in row["last_error"]


def test_a_different_message_reusing_a_message_id_is_kept(campaign: MailCampaign) -> None:
    # Issue 13 (Low): a second, different message with a stored Message-ID was dropped, its bytes lost. The
    # same message delivered twice (other trace headers, the same body) is still one message.
    barnet = campaign.requests["barnet"]
    first = reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject=f"RE: {barnet.subject}",
                  message_id="<same@barnet.gov.uk>", body="We do not hold the information.")
    campaign.deliver(first, to=barnet.plus_address)
    campaign.deliver(first, to=barnet.plus_address)  # delivered again: a second Received header
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject="Another letter",
                           message_id="<same@barnet.gov.uk>", body="Please find the information attached."),
                     to=barnet.plus_address)
    report = campaign.poll()
    rows = campaign.incoming()
    assert (report.stored, report.duplicates) == (2, 1), report.problems
    assert sorted(r["subject"] for r in rows) == ["Another letter", f"RE: {barnet.subject}"]
    assert any("Message-ID of message" in p for p in report.problems)


# --- bounces and auto-replies -----------------------------------------------------------------------------

def test_a_dsn_marks_its_request_failed(campaign: MailCampaign, smtp_server) -> None:
    woodparish = campaign.requests["woodparish"]
    sent_before = len(smtp_server.received)
    campaign.deliver(dsn(failed=woodparish.authority_email, original_message_id=woodparish.message_id,
                         original_subject=woodparish.subject, to=campaign.user), sender="")
    report = campaign.poll()
    assert len(smtp_server.received) == sent_before  # never a reply to a bounce
    row = only_row(campaign)
    assert (row["request_id"], row["match_method"], row["kind"]) == (woodparish.id, "bounce_message_id", "bounce")
    request = campaign.request("woodparish")
    assert request["status"] == "failed" and "5.1.1" in request["failed_reason"]
    assert request["first_reply_at"] is None
    assert report.bounces == 1 and report.failed_requests == 1


def test_a_dsn_without_our_message_id_is_linked_by_the_failed_address(campaign: MailCampaign) -> None:
    met = campaign.requests["met"]
    # Anyone can send this one (issue 13): to the shared address it fails nothing and waits in triage.
    campaign.deliver(dsn(failed="foi@met.police.uk", original_message_id=None, original_subject="(lost)",
                         to=campaign.user), sender="")
    campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["triage"]) == (None, 1)
    assert campaign.request("met")["status"] != "failed"
    # To the request's own reply address, naming its recipient: that request failed.
    campaign.deliver(dsn(failed="foi@met.police.uk", original_message_id=None, original_subject="(lost again)",
                         to=met.plus_address, reporter="mx2.mail.example"), sender="")
    campaign.poll()
    row = campaign.incoming()[1]
    assert (row["request_id"], row["match_method"]) == (met.id, "bounce_address")
    assert campaign.request("met")["status"] == "failed"


def test_a_bounce_without_a_dsn_part_is_recognised(campaign: MailCampaign) -> None:
    camden = campaign.requests["camden"]
    raw = reply(from_addr="postmaster@camden.gov.uk", to=camden.plus_address, subject="Undeliverable: " + camden.subject,
                body="Delivery has failed to these recipients or groups:\n\nfoi@camden.gov.uk\n"
                     "The e-mail address you entered couldn't be found.",
                headers={"X-Failed-Recipients": "foi@camden.gov.uk"})
    campaign.deliver(raw, sender="")
    report = campaign.poll()
    row = only_row(campaign)
    assert row["request_id"] == camden.id and row["kind"] == "bounce" and report.bounces == 1


def test_a_bounce_in_plain_words_from_a_server_that_sends_no_dsn(campaign: MailCampaign) -> None:
    camden = campaign.requests["camden"]
    body = ("This message was created automatically by mail delivery software.\n\n"
            "A message that you sent could not be delivered to one or more of its recipients. This is a "
            "permanent error. The following address(es) failed:\n\n  foi@camden.gov.uk\n"
            "    SMTP error from remote mail server after RCPT TO:<foi@camden.gov.uk>:\n"
            "    550 5.1.1 User unknown\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n"
            f"Message-ID: {camden.message_id}\nSubject: {camden.subject}\n")
    campaign.deliver(reply(from_addr="Mailer-Daemon@mx.camden.gov.uk", to=campaign.user,
                           subject="Mail delivery failed: returning message to sender", body=body), sender="")
    report = campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["kind"]) == (camden.id, "bounce")
    assert campaign.request("camden")["status"] == "failed" and report.bounces == 1


def test_an_out_of_office_is_filed_and_counted_but_is_no_answer(campaign: MailCampaign, smtp_server) -> None:
    harrow = campaign.requests["harrow"]
    campaign.deliver(reply(from_addr="info@harrow.gov.uk", to=campaign.user, subject=f"Automatic reply: {harrow.subject}",
                           body="I am out of the office until Monday with no access to e-mail.",
                           headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}))
    report = campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["kind"]) == (harrow.id, "auto_reply")
    request = campaign.request("harrow")
    assert request["status"] == "awaiting_response" and request["first_reply_at"] is None
    assert report.auto_replies == 1
    assert len(smtp_server.received) == len(campaign.requests)  # only the requests: never a reply to it


# --- nothing dropped, nothing changed on the server ---------------------------------------------------------

def test_an_unrelated_message_goes_to_triage(campaign: MailCampaign) -> None:
    campaign.deliver(reply(from_addr="offers@shop.example", to=campaign.user, subject="Spring sale",
                           body="Everything must go."))
    report = campaign.poll()
    row = only_row(campaign)
    assert (row["request_id"], row["triage"], row["match_method"]) == (None, 1, "none")
    assert report.triage == 1


def test_a_reply_to_an_answered_request_is_still_filed(campaign: MailCampaign) -> None:
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=campaign.user, subject=f"RE: {barnet.subject}",
                           body="We do not hold the information."))
    campaign.poll()
    assert campaign.request("barnet")["status"] == "answered"
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=campaign.user, subject="Apologies",
                           in_reply_to=barnet.message_id, body="A correction to our earlier letter."))
    campaign.poll()
    assert [r["request_id"] for r in campaign.incoming()] == [barnet.id, barnet.id]


# --- a mailbox with other mail in it -----------------------------------------------------------------------

def test_mail_from_before_the_first_request_is_left_alone(campaign: MailCampaign, dovecot) -> None:
    # The campaign was sent on 2 March 2026 (SENT_AT): a mailbox that has been in use for years holds mail
    # from long before, which cannot be a reply; the first pass stores none of it, nor lists it in triage.
    old = [dovecot.append(campaign.user, reply(from_addr=f"friend{n}@home.example", to=campaign.user,
                                               subject=f"old news {n}", date=datetime(2025, 6, n + 1, tzinfo=UTC)),
                          when=datetime(2025, 6, n + 1, 12, 0, tzinfo=UTC)) for n in range(3)]
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address,
                           subject=f"RE: {barnet.subject}", in_reply_to=barnet.message_id), to=barnet.plus_address)
    late_old = dovecot.append(campaign.user, reply(from_addr="friend9@home.example", to=campaign.user,
                                                   subject="older still"),
                              when=datetime(2024, 1, 5, 9, 0, tzinfo=UTC))  # a higher UID with an old date
    report = campaign.poll()
    assert (report.new, report.stored, report.before_run) == (1, 1, 4)
    assert "4 older messages from before the first request was sent left alone" in report.summary()
    assert [(r["request_id"], r["triage"]) for r in campaign.incoming()] == [(barnet.id, 0)]
    assert max(old) < late_old
    # The next pass starts after all of them; mail moved in later is taken whatever its date.
    assert campaign.poll().new == 0
    dovecot.append(campaign.user, reply(from_addr="foi@barnet.gov.uk", to=campaign.user,
                                        subject=f"Fwd: {barnet.subject}", in_reply_to=barnet.message_id),
                   when=datetime(2024, 2, 1, 9, 0, tzinfo=UTC))
    report = campaign.poll()
    assert (report.stored, report.before_run) == (1, 0)
    assert len(campaign.incoming()) == 2


def test_a_server_that_cannot_search_by_date_still_gets_polled(campaign: MailCampaign, dovecot) -> None:
    # SEARCH ... SINCE is standard IMAP, but a server that refuses it must not stop the poll for good: the
    # first pass then takes everything, old mail too, and says so.
    dovecot.append(campaign.user, reply(from_addr="friend@home.example", to=campaign.user, subject="old news"),
                   when=datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address,
                           subject=f"RE: {barnet.subject}", in_reply_to=barnet.message_id), to=barnet.plus_address)
    with campaign.through_proxy() as proxy:
        proxy.rewrite = lambda data: data.replace(b" SINCE ", b" NOTAKEYWORD ")  # Dovecot answers BAD
        report = campaign.poll()
    assert (report.stored, report.before_run) == (2, 0)
    assert any("refused to search by date" in p for p in report.problems), report.problems
    assert sorted(r["triage"] for r in campaign.incoming()) == [0, 1]


def test_a_poll_before_anything_was_sent_stores_nothing(tmp_path: Path, dovecot, imap_user: str) -> None:
    for n in range(2):
        dovecot.deliver(imap_user, reply(from_addr=ELSEWHERE, to=imap_user, subject=f"note {n}"))
    config_path = dovecot.write_config(tmp_path / "config.toml", imap_user)
    result = CliRunner().invoke(cli, ["--config", str(config_path), "poll"], obj={})
    assert result.exit_code == 0, result.output
    assert "2 older messages from before the first request was sent left alone" in result.output
    config = load_config(config_path)
    store = open_store(config.database_path, config.files_dir)
    try:
        assert store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
        assert store.db.execute("SELECT last_uid FROM mailbox_state").fetchone()[0] == 2
    finally:
        store.close()


def test_mail_stays_unread_and_in_place(campaign: MailCampaign, dovecot) -> None:
    for n in range(3):
        campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject=f"note {n}"))
    campaign.poll()
    flags = dovecot.flags(campaign.user)
    assert len(flags) == 3 and not any(b"\\Seen" in f or b"\\Deleted" in f for f in flags.values())
    assert dovecot.folders(campaign.user) == ["INBOX"]


def test_processed_folder_receives_stored_messages(tmp_path: Path, dovecot, imap_user: str, smtp_server) -> None:
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server, imap={"processed_folder": "foibot/done"})
    for n in range(3):
        campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject=f"note {n}"))
    report = campaign.poll()
    assert report.moved == 3 and report.stored == 3
    assert dovecot.status(campaign.user)["messages"] == 0
    assert dovecot.status(campaign.user, "foibot/done")["messages"] == 3
    assert not any(b"\\Seen" in f for f in dovecot.flags(campaign.user, "foibot/done").values())


def test_processed_folder_moves_only_what_foibot_stored(tmp_path: Path, dovecot, imap_user: str, smtp_server) -> None:
    # Issue 13 (defect 13): the sweep of leftovers moved every INBOX message up to the last UID, old personal
    # mail the first poll had reported as left alone too, under a summary that said "INBOX: no new mail".
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server, imap={"processed_folder": "foibot/done"})
    for n in range(3):
        dovecot.append(campaign.user, reply(from_addr=f"friend{n}@home.example", to=campaign.user,
                                            subject=f"personal {n}"), when=datetime(2024, 1, n + 1, 9, 0, tzinfo=UTC))
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address,
                           subject=f"RE: {barnet.subject}", in_reply_to=barnet.message_id), to=barnet.plus_address)
    first = campaign.poll()
    assert (first.stored, first.before_run, first.moved) == (1, 3, 1)
    second = campaign.poll()
    assert second.moved == 0, second.summary()
    assert dovecot.status(campaign.user)["messages"] == 3  # the personal mail stays where it was
    assert dovecot.status(campaign.user, "foibot/done")["messages"] == 1


def test_a_pass_with_no_new_mail_is_four_commands(campaign: MailCampaign, monkeypatch) -> None:
    for n in range(5):
        campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject=f"note {n}"))
    assert campaign.poll().stored == 5
    with campaign.through_proxy() as proxy:
        report = campaign.poll()
    assert (report.new, report.fetched, report.stored) == (0, 0, 0)
    # imaplib asks for CAPABILITY on connecting; then LOGIN, EXAMINE (UIDNEXT tells nothing is new), LOGOUT.
    assert proxy.commands == ["CAPABILITY", "LOGIN", "EXAMINE", "LOGOUT"]
    assert report.summary() == "INBOX: no new mail"


def test_a_poll_with_nothing_new_does_not_load_the_readers(campaign: MailCampaign) -> None:
    # A cron or daemon poll every few minutes mostly finds nothing: it must not pay for importing the
    # parsers, BeautifulSoup and the classifier's rules (a third of a second) to learn that.
    campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject="note"))
    assert campaign.poll().stored == 1
    code = ("import sys; from foibot.cli import main; sys.argv = ['foibot', '--config', sys.argv[1], 'poll']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = ('foibot.collect.filing', 'foibot.understand.classify', 'bs4')\n"
            "print('LOADED', ' '.join(m for m in heavy if m in sys.modules))")
    command = [sys.executable, "-c", code, str(campaign.config_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=60)
    assert "no new mail" in done.stdout, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "LOADED", done.stdout
    # ... while a message waiting to be filed is filed by that same command.
    campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject="another note"))
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=env, timeout=60)
    assert "1 stored" in done.stdout and "foibot.collect.filing" in done.stdout.splitlines()[-1], done.stdout
    assert [r["state"] for r in campaign.incoming()] == ["parsed", "parsed"]


# --- counts in the export -----------------------------------------------------------------------------------

def test_first_reply_and_reply_counts_reach_the_export(campaign: MailCampaign) -> None:
    harrow = campaign.requests["harrow"]
    campaign.deliver(reply(from_addr="info@harrow.gov.uk", to=harrow.plus_address, subject="Automatic reply",
                           headers={"Auto-Submitted": "auto-replied"}, body="I am away."), to=harrow.plus_address)
    campaign.deliver(reply(from_addr="info@harrow.gov.uk", to=harrow.plus_address, subject=f"RE: {harrow.subject}",
                           body="We do not hold the information you asked for."), to=harrow.plus_address)
    campaign.poll()
    result = CliRunner().invoke(cli, ["--config", str(campaign.config_path), "export"], obj={},
                                env={"FOIBOT_NOW": "2026-03-21"})
    assert result.exit_code == 0, result.output
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert rows[harrow.reference]["replies"] == "2"
    assert rows[harrow.reference]["first_reply_at"].startswith("2026-03-20")
    assert rows[campaign.requests["barnet"].reference]["replies"] == "0"


# --- the command and the connection -------------------------------------------------------------------------

def test_poll_command_prints_a_summary(campaign: MailCampaign) -> None:
    barnet = campaign.requests["barnet"]
    campaign.deliver(reply(from_addr=ELSEWHERE, to=barnet.plus_address, subject="x"), to=barnet.plus_address)
    campaign.deliver(reply(from_addr="offers@shop.example", to=campaign.user, subject="Spring sale"))
    result = CliRunner().invoke(cli, ["--config", str(campaign.config_path), "poll"], obj={},
                                env={"FOIBOT_NOW": "2026-03-20T12:00:00+00:00"})
    assert result.exit_code == 0, result.output
    assert "2 fetched, 2 stored, 1 filed (1 by plus address), 1 to triage" in result.output
    assert "1 message(s) wait in triage" in result.output


def test_tls_with_the_servers_ca(tmp_path: Path, dovecot, imap_user: str, smtp_server) -> None:
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server)
    text = campaign.config_path.read_text().replace('security = "none"', 'security = "tls"').replace(
        f"port = {dovecot.imap_port}", f'port = {dovecot.imaps_port}\nca_file = "{dovecot.ca_file}"')
    campaign.config_path.write_text(text)
    campaign.deliver(reply(from_addr=ELSEWHERE, to=campaign.user, subject="over TLS"))
    assert campaign.poll().stored == 1


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_an_untrusted_certificate_is_refused(tmp_path: Path, dovecot, imap_user: str, smtp_server,
                                             security: str) -> None:
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server)
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    text = campaign.config_path.read_text().replace('security = "none"', f'security = "{security}"').replace(
        f"port = {dovecot.imap_port}", f"port = {port}")
    campaign.config_path.write_text(text)
    with pytest.raises(MailServerError, match=r"127\.0\.0\.1.*certificate is not trusted"):
        campaign.poll()


def test_a_wrong_password_is_one_clear_line(campaign: MailCampaign, monkeypatch) -> None:
    monkeypatch.setenv("FOIBOT_IMAP_PASSWORD", "not-the-password")
    result = CliRunner().invoke(cli, ["--config", str(campaign.config_path), "poll"], obj={})
    assert result.exit_code == 1
    assert isinstance(result.exception, MailServerError)
    assert "refused the login" in str(result.exception) and "FOIBOT_IMAP_PASSWORD" in str(result.exception)


def test_an_unreachable_server_is_one_clear_line(campaign: MailCampaign) -> None:
    from support.imap import free_port

    port = free_port()
    text = campaign.config_path.read_text().replace(f"port = {campaign.dovecot.imap_port}", f"port = {port}")
    campaign.config_path.write_text(text)
    with pytest.raises(MailServerError, match=rf"cannot reach IMAP server 127\.0\.0\.1:{port}: connection refused"):
        campaign.poll()
