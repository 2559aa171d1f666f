"""Bounces (failures and delay warnings), auto-replies and list mail told apart, in the shapes real MTAs and
mail programs send them (tests/mail_shapes.py), read as `foibot classify` and the poller read them; and what a
delay warning and a failure do to a request, through the lifecycle."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import mail_shapes as shapes

from foibot.config import load_config
from foibot.lifecycle import apply_reply
from foibot.store import Store, open_store
from foibot.understand import read_message
from foibot.understand.classify import classify_text

FAILURES = ["QMAIL", "EXIM", "EXCHANGE_NDR", "GMAIL_PLAIN", "LOTUS_NOTES", "GAVE_UP_4XX", "HARD_REPORT",
            "SIEVE_REJECT", "CHALLENGE", "GERMAN", "BY_DISPLAY_NAME", "MBOX_DAEMON",
            "SES_JSON", "LIST_REFUSAL", "EXPIRED", "QUOTED_RETURN", "SENDMAIL_QUEUE_TIMEOUT", "GATEWAY_NO_SUCH_USER",
            "HTML_POLICY_REJECTION"]
DELAYS = ["DELAY_REPORT", "POSTFIX_DELAY_INLINE", "SENDMAIL_WARNING", "NESTED_DELAY"]
AUTO_REPLIES = ["RFC3834", "X_AUTOREPLY", "PRECEDENCE_AUTO", "APPLE_VACATION", "GERMAN_SUBJECT", "FRENCH_SUBJECT",
                "WELSH_SUBJECT", "BRACKETED_SUBJECT", "DUTCH_TEXT", "SPANISH_TEXT", "READ_RECEIPT", "OLD_VACATION_JUNK",
                "BULK_VACATION", "MAILER_VACATION", "JAPANESE_SUBJECT",
                "BULK_VACATION_REPLY", "BULK_VACATION_GERMAN", "EXCHANGE_2003", "WELSH_GENERIC_RECEIPT"]
NOT_AUTOMATIC = ["LIST_OUT_OF_OFFICE_WORDS", "BULK_NEWSLETTER", "MAILMAN_BOUNCE_DISCUSSION", "PERSON",
                 "FORWARDED_BOUNCE_ATTACHED", "BACK_FROM_LEAVE", "ANSWERING_AN_AUTO_REPLY", "ABOUT_OUR_AUTO_REPLY"]


@pytest.mark.parametrize("name", FAILURES)
def test_a_failure_is_a_permanent_bounce_naming_the_recipient(name: str) -> None:
    reading = read_message(getattr(shapes, name))
    c, parsed = reading.classification, reading.parsed
    assert (c.kind, c.bounce_permanent) == ("bounce", True), c
    assert parsed is not None
    if name != "CHALLENGE":  # a challenge names nobody: it comes from the recipient itself
        assert shapes.THEIRS in parsed.dsn_failed_recipients
    assert shapes.OURS not in parsed.dsn_failed_recipients
    assert c.authority_refs == ()


@pytest.mark.parametrize("name", DELAYS)
def test_a_delay_warning_is_a_bounce_that_is_not_permanent(name: str) -> None:
    reading = read_message(getattr(shapes, name))
    assert (reading.classification.kind, reading.classification.bounce_permanent) == ("bounce", False)
    assert reading.parsed is not None and shapes.THEIRS in reading.parsed.dsn_failed_recipients


@pytest.mark.parametrize("name", ["HARD_REPORT", "QMAIL", "EXIM", "QUOTED_RETURN"])
def test_the_bounce_carries_our_message_id(name: str) -> None:
    parsed = read_message(getattr(shapes, name)).parsed
    assert parsed is not None and parsed.dsn_original_message_id == shapes.OUR_ID


@pytest.mark.parametrize("name", AUTO_REPLIES)
def test_auto_replies_with_and_without_rfc3834_headers(name: str) -> None:
    c = read_message(getattr(shapes, name)).classification
    assert c.kind == "auto_reply", c


@pytest.mark.parametrize("name", NOT_AUTOMATIC)
def test_list_bulk_and_personal_mail_is_neither_auto_reply_nor_bounce(name: str) -> None:
    reading = read_message(getattr(shapes, name))
    assert reading.classification.kind not in ("auto_reply", "bounce"), reading.classification
    assert reading.parsed is not None and not reading.parsed.is_dsn and not reading.parsed.is_auto_reply


def test_an_acknowledgement_with_a_null_sender_and_our_request_attached_is_no_bounce() -> None:
    reading = read_message(shapes.NULL_SENDER_ACKNOWLEDGEMENT)
    assert reading.parsed is not None and not reading.parsed.is_dsn
    assert reading.classification.kind == "acknowledgement"


def test_a_bounce_passed_on_by_a_person_is_for_a_person_to_read() -> None:
    reading = read_message(shapes.FORWARDED_BOUNCE)
    assert reading.parsed is not None and not reading.parsed.is_dsn
    assert (reading.classification.kind, reading.classification.rule) == ("other", "other.about_a_bounce")


def test_an_automatic_receipt_that_logs_nothing_is_an_auto_reply() -> None:
    generic = ("Thank you for contacting the Records Office.\nThis is an automated confirmation that your request "
               "for information has been received by our mailbox and will be processed accordingly. Valid requests "
               "receive a response within 20 working days.\n")
    assert classify_text(generic).kind == "auto_reply"
    specific = generic + "Your request has been logged under reference IRO-5521.\n"
    assert classify_text(specific).kind == "acknowledgement"
    assert classify_text(specific).authority_refs == ("IRO-5521",)


def test_list_mail_is_other() -> None:
    assert read_message(shapes.LIST_OUT_OF_OFFICE_WORDS).classification.kind == "other"
    assert read_message(shapes.MAILMAN_BOUNCE_DISCUSSION).classification.kind == "other"


def test_an_automatic_acknowledgement_of_this_request_is_an_acknowledgement() -> None:
    c = read_message(shapes.AUTOMATIC_ACKNOWLEDGEMENT).classification
    assert c.kind == "acknowledgement"
    assert c.authority_refs == ("FOI-2023-0412",)
    # the same headers and subject over a generic note are an auto-reply
    generic = shapes.AUTOMATIC_ACKNOWLEDGEMENT.split(b"\r\n\r\n")[0] + b"\r\n\r\nThanks, I will read it later.\r\n"
    assert read_message(generic).classification.kind == "auto_reply"


# --- through the lifecycle ---------------------------------------------------------------------------

SENT = "2023-05-22T08:00:00+00:00"
NOW = datetime(2023, 5, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    config = load_config(None)
    opened = open_store(config.database_path, config.files_dir)
    opened.db.table("authorities").insert({"id": "millbrook", "name": "Borough of Millbrook", "email": shapes.THEIRS,
                                           "kind": "council", "jurisdiction": "england", "extra": "{}",
                                           "updated_at": SENT})
    opened.db.table("runs").insert({"id": "fusus-2023", "template": "fusus", "created_at": SENT})
    opened.db.table("requests").insert({
        "id": 1, "run": "fusus-2023", "authority_id": "millbrook", "reference": "FB-7K3Q98",
        "authority_name": "Borough of Millbrook", "authority_email": shapes.THEIRS, "jurisdiction": "england",
        "regime": "foia", "status": "awaiting_response", "created_at": SENT, "sent_at": SENT})
    yield opened
    opened.close()


def _file(store: Store, raw: bytes) -> str:
    reading = read_message(raw)
    row = int(store.db.table("messages").insert({  # type: ignore[arg-type]
        "direction": "in", "request_id": 1, "state": "parsed", "raw": raw, "created_at": SENT,
        "dedupe_key": "sha:" + hashlib.sha256(raw).hexdigest(), "date_header": SENT,
        "text": reading.parsed.text if reading.parsed else ""}).last_pk)
    apply_reply(store, 1, row, reading.classification, NOW)
    return str(store.db.table("requests").get(1)["status"])


@pytest.mark.parametrize("name", DELAYS)
def test_a_delay_warning_leaves_the_request_awaiting_its_response(store: Store, name: str) -> None:
    assert _file(store, getattr(shapes, name)) == "awaiting_response"
    assert store.db.table("requests").get(1)["failed_reason"] is None


@pytest.mark.parametrize("name", ["GAVE_UP_4XX", "QMAIL", "EXCHANGE_NDR"])
def test_a_failure_fails_the_request(store: Store, name: str) -> None:
    assert _file(store, getattr(shapes, name)) == "failed"


# --- through a real poll -----------------------------------------------------------------------------

def _addressed(raw: bytes, sent: Any, user: str) -> bytes:
    """A shape re-addressed to one request of a sent campaign: its authority, our Message-ID, our mailbox."""
    return (raw.replace(shapes.THEIRS.encode(), sent.authority_email.encode())
            .replace(shapes.OUR_ID.encode(), sent.message_id.encode()).replace(shapes.OURS.encode(), user.encode()))


def test_a_polled_delay_warning_leaves_the_request_waiting_and_the_failure_then_fails_it(
        tmp_path: Path, dovecot: Any, imap_user: str, smtp_server: Any) -> None:
    from support.campaigns import sent_campaign

    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server)
    sent = next(iter(campaign.requests.values()))
    campaign.deliver(_addressed(shapes.DELAY_REPORT, sent, imap_user), sender="")
    report = campaign.poll()
    assert (report.bounces, report.delay_warnings, report.failed_requests) == (1, 1, 0)
    assert "1 bounce (1 only delayed)" in report.summary()
    assert campaign.request(sent.authority_id)["status"] == "awaiting_response"
    rows = campaign.incoming()
    assert [(r["request_id"], r["kind"]) for r in rows] == [(sent.id, "bounce")]
    campaign.deliver(_addressed(shapes.HARD_REPORT, sent, imap_user).replace(b"<m.1@mx.example>", b"<m.2@mx.example>"),
                     sender="")
    report = campaign.poll()
    assert (report.bounces, report.delay_warnings, report.failed_requests) == (1, 0, 1)
    assert campaign.request(sent.authority_id)["status"] == "failed"


@pytest.mark.parametrize("header", ["List-Id", "List-Unsubscribe", "List-Post", "X-Mailman-Version", "X-BeenThere",
                                    "Mailing-List", "X-Mailing-List", "X-Ezmlm-Version", "X-Sympa-Version"])
def test_any_list_header_makes_an_out_of_office_list_mail(header: str) -> None:
    raw = shapes.message({"From": "member@lists.example", "Subject": "Automatic reply: meeting notes",
                          "Auto-Submitted": "auto-replied", header: "<records.lists.example>"},
                         "I am out of the office until Monday.\n")
    assert read_message(raw).classification.kind == "other"


@pytest.mark.parametrize("line", [
    "Diagnostic-Code: " + " " * 60000 + "x",
    "Final-Recipient: " + " " * 60000,
    " " * 60000 + "x",
    "-" * 60000 + "x",
    "\t-" * 30000,
    "Our ref:\n" * 5000,
], ids=["diagnostic-spaces", "recipient-spaces", "spaces", "dashes", "tab-dashes", "labels"])
def test_a_hostile_bounce_reads_in_linear_time(line: str) -> None:
    import time

    raw = shapes.message({"From": "MAILER-DAEMON@mx.example", "Subject": "Undeliverable"},
                         "Delivery has failed to these recipients.\n" + line + "\n", null_sender=True)
    start = time.perf_counter()
    read_message(raw)
    # Quadratic backtracking over 60,000 characters takes minutes; a linear reading, milliseconds.
    assert time.perf_counter() - start < 5


def test_an_automatic_acknowledgement_counts_as_the_first_reply_and_an_auto_reply_does_not(store: Store) -> None:
    assert _file(store, shapes.RFC3834) == "awaiting_response"
    row = store.db.table("requests").get(1)
    assert (row["first_reply_at"], row["authority_ref"]) == (None, None)
    assert _file(store, shapes.AUTOMATIC_ACKNOWLEDGEMENT) == "awaiting_response"
    row = store.db.table("requests").get(1)
    assert row["first_reply_at"] is not None and row["authority_ref"] == "FOI-2023-0412"
