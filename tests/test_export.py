"""The outcome CSV: every contract column, right for every status and reply kind; spreadsheet-safe; fast."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from support import outcomes as outcomes_db
from support.outcomes import FORMULA_NAME, NOW, RUN, build

from foibot.cli import cli
from foibot.publish.export import CONTRACT_COLUMNS, neutralise, write_csv

# reference -> the cells a campaigner should see, worked out by hand from the facts in outcomes_db.build
# (sent 2023-04-17, due 2023-05-17; 1 May, 8 May and 29 May 2023 are bank holidays; "now" is 2023-07-03).
EXPECTED: dict[str, dict[str, str]] = {
    "FB-AAAAA2": {
        "authority": "London Borough of Barnet",
        "status": "answered",
        "outcome": "not_held",
        "authority_ref": "9645568",
        "exemptions": "",
        "sent_at": "2023-04-17T09:00:00+00:00",
        "due_date": "2023-05-17",
        "first_reply_at": "2023-04-18T08:00:00+00:00",
        "outcome_at": "2023-05-16T10:00:00+00:00",
        "working_days_taken": "19",
        "chases": "0",
        "replies": "2",
        "days_late": "0",
        "chase_stage": "",
        "kind": "council",
        "q1_answer": "No contact with Fusus.",
        "q2_answer": "N/A",
        "q3_answer": "No communications received.",
    },
    "FB-BBBBB2": {
        "status": "answered",
        "outcome": "refused",
        "exemptions": "s43(2);s12(1)",
        "due_date": "2023-05-17",
        "outcome_at": "2023-06-01T11:00:00+00:00",
        "working_days_taken": "30",
        "chases": "1",
        "replies": "1",
        "days_late": "10",
        "chase_stage": "reminder",
    },
    "FB-CCCCC2": {
        "status": "overdue",
        "outcome": "",
        "due_date": "2023-05-17",
        "first_reply_at": "",
        "outcome_at": "",
        "working_days_taken": "",
        "chases": "1",
        "replies": "0",
        "days_late": "32",
        "chase_stage": "reminder",
        "complaint_file": "",
    },
    "FB-DDDDD2": {
        "status": "internal_review",
        "outcome": "",
        "authority_ref": "CA226",
        "due_date": "2023-05-17",
        "first_reply_at": "2023-06-16T09:00:00+00:00",
        "working_days_taken": "",
        "chases": "2",
        "replies": "2",
        "days_late": "32",
        "chase_stage": "complaint",
        "kind": "police_force",
        "complaint_file": "complaints/FB-DDDDD2-complaint-ico.txt",
    },
    "FB-EEEEE2": {
        "status": "awaiting_clarification",
        "outcome": "",
        "due_date": "",
        "days_late": "",
        "chases": "0",
        "replies": "1",
        "kind": "combined_authority",
        "first_reply_at": "2023-04-20T12:00:00+00:00",
    },
    "FB-FFFFF2": {
        "status": "failed",
        "outcome": "",
        "due_date": "",
        "days_late": "",
        "replies": "1",
        "chases": "0",
        "failed_reason": "550 5.1.1 no such user",
        "jurisdiction": "wales",
    },
    "FB-GGGGG2": {
        "status": "withdrawn",
        "outcome": "",
        "due_date": "2023-05-17",
        "days_late": "",
        "replies": "0",
        "jurisdiction": "northern_ireland",
    },
    "FB-HHHHH2": {
        "status": "queued",
        "outcome": "",
        "sent_at": "",
        "due_date": "",
        "days_late": "",
        "chases": "0",
        "replies": "0",
        "working_days_taken": "",
    },
    "FB-JJJJJ2": {
        "status": "awaiting_response",
        "sent_at": "2023-06-26T09:00:00+00:00",
        "due_date": "2023-07-25",  # 12 July (Battle of the Boyne, NI) counts for FOIA
        "days_late": "0",
        "replies": "1",
        "first_reply_at": "",
    },  # an auto-reply is not an answer
    "FB-KKKKK2": {
        "status": "answered",
        "outcome": "partially_provided",
        "exemptions": "s40(2)",
        "due_date": "2023-06-14",
        "working_days_taken": "32",
        "days_late": "0",
        "replies": "2",
        "kind": "police_commissioner",
        "q1_answer": "'-1 meetings",
        "q2_answer": "Attached, redacted.",
        "q3_answer": "",
    },
    "FB-MMMMM2": {
        "status": "answered",
        "outcome": "information_provided",
        "regime": "foisa",
        "jurisdiction": "scotland",
        "due_date": "2023-05-17",
        "working_days_taken": "17",
        "days_late": "0",
        "replies": "1",
    },
    "FB-NNNNN2": {
        "status": "answered",
        "outcome": "neither_confirm_nor_deny",
        "exemptions": "s23(5);s24(2)",
        "jurisdiction": "uk",
        "regime": "foia",
        "working_days_taken": "20",
        "days_late": "0",
    },
    "FB-PPPPP2": {
        "authority": "'" + FORMULA_NAME,
        "authority_ref": "'@ref-1",
        "outcome": "not_held",
        "working_days_taken": "10",
        "days_late": "0",
    },
}


def _export(folder: Path, *args: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    result = CliRunner().invoke(cli, ["export", *args], obj={}, env={"FOIBOT_NOW": NOW.isoformat()})
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout, newline=""))
    rows = {row["reference"]: row for row in reader}
    return list(reader.fieldnames or []), rows


@pytest.fixture
def campaign_db(campaign: Path) -> Path:
    build(campaign).store.close()
    return campaign


def test_every_contract_column_is_present(campaign_db: Path) -> None:
    header, rows = _export(campaign_db)
    for column in (
        *CONTRACT_COLUMNS,
        "authority_id",
        "kind",
        "jurisdiction",
        "days_late",
        "chase_stage",
        "q1_answer",
        "q2_answer",
        "q3_answer",
        "reply_files",
    ):
        assert column in header
    assert set(rows) == set(EXPECTED), "one row per request, the triaged reply in none"


@pytest.mark.parametrize("reference", sorted(EXPECTED))
def test_each_request_comes_out_right(campaign_db: Path, reference: str) -> None:
    _, rows = _export(campaign_db)
    row = rows[reference]
    assert row["run"] == RUN
    for column, value in EXPECTED[reference].items():
        assert row[column] == value, f"{reference} {column}: {row[column]!r} != {value!r}"


def test_reply_files_are_the_stored_attachments(campaign_db: Path) -> None:
    _, rows = _export(campaign_db)
    files = rows["FB-AAAAA2"]["reply_files"].split(";")
    assert len(files) == 1 and files[0].startswith("files/")
    assert (campaign_db / files[0]).read_bytes() == b"%PDF-1.4 fake"
    assert rows["FB-CCCCC2"]["reply_files"] == ""


def test_one_run_or_all_runs(campaign_db: Path) -> None:
    store = outcomes_db.open_campaign(campaign_db)
    outcomes_db.add_second_run(store, "second-run", "FB-QQQQQ2")
    store.close()
    _, every = _export(campaign_db)
    _, first = _export(campaign_db, "--run", RUN)
    _, second = _export(campaign_db, "--run", "second-run")
    assert len(every) == len(EXPECTED) + 1
    assert set(first) == set(EXPECTED)
    assert set(second) == {"FB-QQQQQ2"} and second["FB-QQQQQ2"]["run"] == "second-run"


def test_unknown_run_is_a_clear_error(campaign_db: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "--run", "nope"], obj={})
    assert result.exit_code == 1
    assert "no run named 'nope'" in str(result.exception) and RUN in str(result.exception)


def test_export_to_a_file(campaign_db: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "-o", "out.csv"], obj={}, env={"FOIBOT_NOW": NOW.isoformat()})
    assert result.exit_code == 0, result.output
    with open(campaign_db / "out.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(EXPECTED)
    assert "Wrote 13 row(s)" in result.stderr


def test_no_database_yet_is_a_clear_error(campaign: Path) -> None:
    result = CliRunner().invoke(cli, ["export"], obj={})
    assert result.exit_code == 1
    assert "does not exist yet" in str(result.exception)


@pytest.mark.parametrize(
    "value, shown",
    # A cell a spreadsheet would take for a formula gets a leading quote; any other is left as it is.
    [(cell, "'" + cell) for cell in ("=1+1", "+44 20", "-3", "@SUM(A1)", "\tx", "\rx")]
    + [(cell, cell) for cell in ("Barnet", "", "1=1")],
)
def test_formula_cells_are_neutralised(value: str, shown: str) -> None:
    assert neutralise(value) == shown


@given(st.text())
def test_no_cell_starts_like_a_formula(value: str) -> None:
    cell = neutralise(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell.removeprefix("'") == value or cell == value


def test_ten_thousand_requests_export_in_seconds(campaign: Path) -> None:
    store = outcomes_db.open_campaign(campaign)
    with store.transaction():
        outcomes_db.add_run(store)
        store.db["authorities"].insert_all(
            {
                "id": f"a{i}",
                "name": f"Authority {i}",
                "email": f"foi@a{i}.gov.uk",
                "kind": "council",
                "jurisdiction": "scotland" if i % 7 == 0 else "england",
                "extra": "{}",
                "updated_at": "x",
            }
            for i in range(10_000)
        )
        store.db["requests"].insert_all(
            {
                "id": i + 1,
                "run": RUN,
                "authority_id": f"a{i}",
                "reference": f"R{i}",
                "authority_name": f"Authority {i}",
                "authority_email": f"foi@a{i}.gov.uk",
                "jurisdiction": "england",
                "regime": "foia",
                "status": "answered" if i % 2 else "awaiting_response",
                "created_at": outcomes_db.SENT,
                "sent_at": f"2023-0{4 + i % 5}-{10 + i % 18}T09:00:00+00:00",
                "outcome": "not_held" if i % 2 else None,
                "outcome_at": "2023-06-30T09:00:00+00:00" if i % 2 else None,
                "exemptions": "s43(2)" if i % 3 else "",
                "answers": outcomes_db.ANSWERS,
            }
            for i in range(10_000)
        )
        store.db["messages"].insert_all(
            {
                "direction": d,
                "request_id": i + 1,
                "stage": "request" if d == "out" else None,
                "state": "sent",
                "dedupe_key": f"k{i}" if d == "in" else None,
                "created_at": outcomes_db.SENT,
            }
            for i in range(10_000)
            for d in ("out", "in")
        )
    out = io.StringIO()
    started = time.perf_counter()
    count = write_csv(store, out, NOW)
    elapsed = time.perf_counter() - started
    print(f"exported 10,000 requests in {elapsed:.2f} s")
    assert count == 10_000
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert len(rows) == 10_000 and rows[0]["replies"] == "1" and rows[0]["chases"] == "0"
    assert elapsed < 10, f"10,000 requests took {elapsed:.1f} s"
