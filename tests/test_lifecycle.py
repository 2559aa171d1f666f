"""What a classified reply does to its request, and the campaigner's corrections (`foibot mark`), on a real store."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.mail import FIXTURES

from foibot.cli import cli
from foibot.config import load_config
from foibot.errors import InputError
from foibot.lifecycle import apply_reply, mark_message, mark_request
from foibot.publish.export import write_csv
from foibot.render import load_template_set
from foibot.store import Store, open_store
from foibot.understand.classify import Classification, classify_text
from foibot.understand.read import read_file

SENT = "2023-04-17T09:00:00+00:00"
NOW = datetime(2023, 5, 20, 10, 0, tzinfo=UTC)
REF = "FB-7K3Q98"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    config = load_config(None)  # the built-in defaults: ./foibot.db in the campaign folder
    opened = open_store(config.database_path, config.files_dir)
    opened.db.table("authorities").insert({"id": "millbrook", "name": "Borough of Millbrook", "email": "foi@millbrook.gov.uk",
                                     "kind": "council", "jurisdiction": "england", "extra": "{}", "updated_at": SENT})
    opened.db.table("runs").insert({"id": "fusus-2023", "template": "fusus", "created_at": SENT})
    opened.db.table("requests").insert({
        "id": 1, "run": "fusus-2023", "authority_id": "millbrook", "reference": REF,
        "authority_name": "Borough of Millbrook", "authority_email": "foi@millbrook.gov.uk",
        "jurisdiction": "england", "regime": "foia", "status": "awaiting_response", "created_at": SENT,
        "sent_at": SENT,
    })
    yield opened
    opened.close()


def add_reply(store: Store, date_header: str | None = "2023-05-12T10:00:00+00:00", text: str = "reply") -> int:
    raw = text.encode()
    digest = hashlib.sha256(raw + str(date_header).encode()).hexdigest()
    return int(store.db.table("messages").insert({  # type: ignore[arg-type]
        "direction": "in", "request_id": 1, "state": "parsed", "dedupe_key": f"sha:{digest}", "raw": raw,
        "created_at": "2023-05-12T10:01:00+00:00", "date_header": date_header, "text": text,
    }).last_pk)


def request(store: Store) -> dict[str, Any]:
    return dict(store.db.table("requests").get(1))


def events(store: Store) -> list[tuple[str, str]]:
    return [(row["type"], row["source"]) for row in store.db.query("SELECT * FROM events ORDER BY id")]


def c(kind: str, **kw: Any) -> Classification:
    return Classification(kind=kind, confidence=0.9, evidence=(f"a {kind} sentence",), rule=f"{kind}.test", **kw)


def test_acknowledgement_keeps_waiting_and_records_their_reference(store: Store) -> None:
    message = add_reply(store)
    effect = apply_reply(store, 1, message, c("acknowledgement", authority_refs=("9645568",)), NOW)
    row = request(store)
    assert (row["status"], row["authority_ref"], row["first_reply_at"]) == (
        "awaiting_response", "9645568", "2023-05-12T10:00:00+00:00")
    assert row["outcome"] is None
    assert (effect.status_before, effect.status_after) == ("awaiting_response", "awaiting_response")
    stored = store.db.table("messages").get(message)
    assert (stored["kind"], stored["authority_ref"], json.loads(stored["evidence"])) == (
        "acknowledgement", "9645568", ["a acknowledgement sentence"])
    assert ("reply_classified", "auto") in events(store)


def test_the_first_learned_reference_is_kept(store: Store) -> None:
    apply_reply(store, 1, add_reply(store, text="a"), c("acknowledgement", authority_refs=("111",)), NOW)
    apply_reply(store, 1, add_reply(store, text="b"), c("not_held", authority_refs=("222",)), NOW)
    assert request(store)["authority_ref"] == "111"


def test_clarification_stops_the_clock(store: Store) -> None:
    apply_reply(store, 1, add_reply(store), c("clarification_requested"), NOW)
    row = request(store)
    assert (row["status"], row["clarification_at"]) == ("awaiting_clarification", "2023-05-12T10:00:00+00:00")


def test_extension_records_the_named_date(store: Store) -> None:
    apply_reply(store, 1, add_reply(store, text="a"), c("extension", new_due_date=date(2023, 6, 14)), NOW)
    row = request(store)
    assert (row["extension_at"], row["extension_to"], row["status"]) == (
        "2023-05-12T10:00:00+00:00", "2023-06-14", "awaiting_response")
    apply_reply(store, 1, add_reply(store, "2023-05-15T10:00:00+00:00", text="b"), c("extension"), NOW)
    assert request(store)["extension_to"] == "2023-06-14"  # a later notice naming no date keeps the named one


def test_substantive_reply_answers_the_request(store: Store) -> None:
    message = add_reply(store)
    apply_reply(store, 1, message, c("refused", exemptions=("s43(2)", "s40(2)"), answers={"q1": "Exempt."}), NOW)
    row = request(store)
    assert (row["status"], row["outcome"], row["outcome_at"], row["exemptions"]) == (
        "answered", "refused", "2023-05-12T10:00:00+00:00", "s43(2);s40(2)")
    assert json.loads(row["answers"]) == {"q1": "Exempt."}
    assert ("request_updated", "auto") in events(store)


def test_a_real_reply_read_end_to_end_fills_the_export(store: Store) -> None:
    questions = load_template_set("fusus").questions
    classification = read_file(FIXTURES / "not_held_boilerplate_trap.txt", questions).classification
    apply_reply(store, 1, add_reply(store), classification, NOW)
    out = io.StringIO()
    write_csv(store, out, NOW)
    row = next(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["status"], row["outcome"], row["authority_ref"], row["exemptions"]) == (
        "answered", "not_held", "7731204", "")
    assert row["outcome_at"].startswith("2023-05-12")
    assert row["q1_answer"] == "No contact has been received from Fusus."
    assert row["q2_answer"] == "N/A"
    assert row["q3_answer"].startswith("No discussions have taken place")


@pytest.mark.parametrize("status", ["internal_review", "awaiting_clarification", "failed"])
def test_a_substantive_reply_answers_from_any_open_status(store: Store, status: str) -> None:
    store.db.table("requests").update(1, {"status": status})
    apply_reply(store, 1, add_reply(store), c("information_provided"), NOW)
    assert request(store)["status"] == "answered"


def test_a_withdrawn_request_keeps_its_status(store: Store) -> None:
    store.db.table("requests").update(1, {"status": "withdrawn", "status_manual": 1})
    apply_reply(store, 1, add_reply(store), c("not_held", authority_refs=("77",)), NOW)
    row = request(store)
    assert (row["status"], row["authority_ref"]) == ("withdrawn", "77")


def test_outcome_is_that_of_the_latest_substantive_reply(store: Store) -> None:
    newer = add_reply(store, "2023-05-15T10:00:00+00:00", text="newer")
    older = add_reply(store, "2023-05-10T10:00:00+00:00", text="older")
    apply_reply(store, 1, newer, c("information_provided"), NOW)
    apply_reply(store, 1, older, c("not_held"), NOW)  # polled late: does not override the newer answer
    row = request(store)
    assert (row["outcome"], row["outcome_at"]) == ("information_provided", "2023-05-15T10:00:00+00:00")


def test_a_missing_or_implausible_date_means_now(store: Store) -> None:
    apply_reply(store, 1, add_reply(store, "not a date"), c("not_held"), NOW)
    assert request(store)["outcome_at"] == "2023-05-20T10:00:00+00:00"


def test_internal_review_result_sets_the_outcome_it_states(store: Store) -> None:
    store.db.table("requests").update(1, {"status": "internal_review"})
    apply_reply(store, 1, add_reply(store), c("internal_review_result", review_outcome="refused"), NOW)
    row = request(store)
    assert (row["status"], row["outcome"], row["review_result_at"]) == (
        "answered", "refused", "2023-05-12T10:00:00+00:00")


def test_a_permanent_bounce_fails_an_unanswered_request(store: Store) -> None:
    bounce = Classification(kind="bounce", confidence=0.95, evidence=("delivery to foi@x failed", "5.1.1 User unknown"),
                            rule="bounce.dsn", bounce_permanent=True)
    apply_reply(store, 1, add_reply(store), bounce, NOW)
    row = request(store)
    assert row["status"] == "failed"
    assert row["failed_reason"] == "bounced: delivery to foi@x failed; 5.1.1 User unknown"
    assert row["first_reply_at"] is None


def test_a_soft_bounce_or_a_bounce_after_a_reply_changes_nothing(store: Store) -> None:
    soft = Classification(kind="bounce", confidence=0.95, evidence=("delayed",), rule="bounce.dsn")
    apply_reply(store, 1, add_reply(store, text="a"), soft, NOW)
    assert request(store)["status"] == "awaiting_response"
    apply_reply(store, 1, add_reply(store, text="b"), c("acknowledgement"), NOW)
    hard = Classification(kind="bounce", confidence=0.95, evidence=("x",), rule="bounce.dsn", bounce_permanent=True)
    apply_reply(store, 1, add_reply(store, text="c"), hard, NOW)
    assert request(store)["status"] == "awaiting_response"


def test_an_auto_reply_is_only_counted(store: Store) -> None:
    message = add_reply(store)
    apply_reply(store, 1, message, c("auto_reply", authority_refs=("999",)), NOW)
    row = request(store)
    assert (row["status"], row["first_reply_at"], row["authority_ref"]) == ("awaiting_response", None, None)
    assert store.db.table("messages").get(message)["kind"] == "auto_reply"


def test_applying_the_same_reply_twice_adds_no_second_event(store: Store) -> None:
    message = add_reply(store)
    apply_reply(store, 1, message, c("not_held"), NOW)
    before = len(events(store))
    apply_reply(store, 1, message, c("not_held"), NOW)
    assert len(events(store)) == before


# --- corrections -----------------------------------------------------------------------------------

def test_manual_outcome_wins_over_later_replies(store: Store) -> None:
    row = mark_request(store, REF.lower(), outcome="refused", now=NOW)
    assert (row["outcome"], row["outcome_manual"], row["status"]) == ("refused", 1, "answered")
    apply_reply(store, 1, add_reply(store), c("information_provided", exemptions=("s43(2)",)), NOW)
    row = request(store)
    assert (row["outcome"], row["exemptions"]) == ("refused", "s43(2)")  # empty exemptions still filled
    assert ("marked", "manual") in events(store)


def test_manual_status_wins_and_auto_hands_it_back(store: Store) -> None:
    mark_request(store, "1", status="internal_review", now=NOW)
    apply_reply(store, 1, add_reply(store, text="a"), c("clarification_requested"), NOW)
    assert request(store)["status"] == "internal_review"
    mark_request(store, REF, status="auto", now=NOW)
    apply_reply(store, 1, add_reply(store, text="b"), c("not_held"), NOW)
    assert request(store)["status"] == "answered"


def test_manual_reference_and_exemptions(store: Store) -> None:
    apply_reply(store, 1, add_reply(store), c("refused", authority_refs=("111",), exemptions=("s43(2)",)), NOW)
    row = mark_request(store, REF, authority_ref="FOI 2023/77", exemptions="section 40(2); s43(2)", now=NOW)
    assert (row["authority_ref"], row["exemptions"]) == ("FOI 2023/77", "s40(2);s43(2)")


def test_manual_message_kind_wins_and_moves_the_request(store: Store) -> None:
    message = add_reply(store)
    apply_reply(store, 1, message, c("other"), NOW)
    mark_message(store, message, "not_held", NOW, request=REF)
    assert (request(store)["status"], request(store)["outcome"]) == ("answered", "not_held")
    apply_reply(store, 1, message, c("acknowledgement"), NOW)  # a later re-classification
    assert store.db.table("messages").get(message)["kind"] == "not_held"
    assert request(store)["outcome"] == "not_held"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"outcome": "acknowledgement"}, "is not an outcome"),
    ({"status": "overdue"}, "worked out from the due date"),
    ({"status": "lost"}, "is not a status"),
    ({}, "nothing to mark"),
])
def test_mark_rejects_what_it_cannot_set(store: Store, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        mark_request(store, REF, now=NOW, **kwargs)


def test_mark_names_an_unknown_request(store: Store) -> None:
    with pytest.raises(InputError, match="no request 'FB-M4T8RD'"):
        mark_request(store, "FB-M4T8RD", outcome="refused", now=NOW)


def test_cli_mark(store: Store) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["mark", REF, "--outcome", "not_held", "--authority-ref", "9645568"], obj={})
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"{REF} (Borough of Millbrook): status answered, outcome not_held, authority "
                                     "ref 9645568, exemptions - (set by hand: outcome)")
    assert (request(store)["outcome"], request(store)["authority_ref"]) == ("not_held", "9645568")
    bad = runner.invoke(cli, ["mark", REF, "--outcome", "maybe"], obj={})
    assert bad.exit_code == 1 and "is not an outcome" in str(bad.exception)
    message = add_reply(store)
    result = runner.invoke(cli, ["mark", REF, "--message", str(message), "--kind", "refused"], obj={})
    assert result.exit_code == 0, result.output
    assert store.db.table("messages").get(message)["kind_manual"] == 1
    usage = runner.invoke(cli, ["mark", REF, "--message", str(message)], obj={})
    assert usage.exit_code == 2


def test_classification_of_a_text_applies_like_any_other(store: Store) -> None:
    text = (FIXTURES / "extension_pit.txt").read_text(encoding="utf-8")
    apply_reply(store, 1, add_reply(store), classify_text(text), NOW)
    row = request(store)
    assert (row["extension_to"], row["authority_ref"], row["status"]) == ("2023-06-14", "DRG-FOI-7781",
                                                                          "awaiting_response")
