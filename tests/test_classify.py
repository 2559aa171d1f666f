"""The classifier over the project's own labelled replies, the traps real replies set, and `foibot classify`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from support.mail import FIXTURES

from foibot.cli import cli
from foibot.render import load_template_set
from foibot.understand.classify import classify_message, classify_text
from foibot.understand.exemptions import parse_list
from foibot.understand.parsing import parse_message
from foibot.understand.read import read_file
from foibot.vocab import KINDS, SUBSTANTIVE

QUESTIONS = load_template_set("fusus").questions

with (FIXTURES / "labels.csv").open(newline="", encoding="utf-8") as _handle:
    LABELS = list(csv.DictReader(_handle))


def test_fixtures_cover_every_kind() -> None:
    assert {row["kind"] for row in LABELS} == set(KINDS)
    assert {Path(row["file"]).suffix for row in LABELS} == {".txt", ".eml"}


@pytest.mark.parametrize("row", LABELS, ids=[row["file"] for row in LABELS])
def test_labelled_fixture(row: dict[str, str]) -> None:
    c = read_file(FIXTURES / row["file"], QUESTIONS).classification
    assert c.kind == row["kind"], c.evidence
    assert (c.authority_ref or "") == row["authority_ref"]
    assert c.exemptions == parse_list(row["exemptions"])
    if row["new_due_date"]:
        assert c.new_due_date == date.fromisoformat(row["new_due_date"])
    assert 0 < c.confidence <= 1
    assert c.rule.split(".")[0] in KINDS + ("provided", "partially_provided", "information_provided")
    if c.kind not in ("other", "bounce") and not c.rule.endswith("header"):
        assert c.evidence, "the deciding sentences are reported"


def test_evidence_is_the_authoritys_own_sentences() -> None:
    c = read_file(FIXTURES / "not_held_boilerplate_trap.txt", QUESTIONS).classification
    assert c.kind == "not_held"
    assert "No contact has been received from Fusus." in c.evidence
    assert not any("holds the information requested" in e for e in c.evidence)


def test_quoted_request_never_decides() -> None:
    # Our own request says "exempt", "withheld", "section 43(2)", "cost limit" and "clarify"; quoted alone it is
    # nothing the authority said.
    text = (FIXTURES / "not_held_quoted_request.txt").read_text(encoding="utf-8")
    quoted_only = text.split('A. Campaigner"')[0] + 'A. Campaigner"\n\nYours sincerely\n\nFOI Officer\n'
    c = classify_text(quoted_only, questions=QUESTIONS)
    assert c.kind in ("acknowledgement", "other")
    assert c.exemptions == ()


@pytest.mark.parametrize(("text", "kind"), [
    (("Thank you for your request.\n\nIf you are unhappy with the way we handled your request you may ask for an "
     "internal review. If you are not content with the outcome of the internal review, you may apply to the "
     "Information Commissioner."), "acknowledgement"),
    (("The council does not hold the information you asked for.\n\nYou have the right to request an internal review "
     "of our decision and to complain to the ICO."), "not_held"),
])
def test_appeal_paragraphs_do_not_drive_the_kind(text: str, kind: str) -> None:
    assert classify_text(text).kind == kind


VARIED = [
    ("We have decided not to release the report, as it is exempt under section 31(1)(a).", "refused"),
    ("The information is reasonably accessible to you by other means: it is published on our website.", "refused"),
    ("Your request is refused under section 14(1) because it is vexatious.", "refused"),
    ("The council has never been approached by Fusus and holds no information about it.", "not_held"),
    ("No such records exist.", "not_held"),
    ("I am pleased to provide the information you requested. The council spent £24,000 on the cameras.",
     "information_provided"),
    ("Some names have been redacted under section 40(2). Please find attached copies of the e-mails.",
     "partially_provided"),
    ("Unfortunately we will not be able to respond within 20 working days. We will reply by 30 June 2023.",
     "extension"),
    ("Please can you clarify which years your request covers?", "clarification_requested"),
    ("I have reviewed the handling of your request and the original decision is upheld.", "internal_review_result"),
    ("I'm away until Monday with limited access to e-mail.", "auto_reply"),
    ("Your request has been received and will be processed under the Freedom of Information Act 2000.",
     "acknowledgement"),
    ("Thank you for your email.", "acknowledgement"),
    ("", "other"),
    ("The force will not confirm or deny whether it holds information about covert drones.",
     "neither_confirm_nor_deny"),
    ("Information not held.", "not_held"),
    ("Section 40(2) of the Act applies to the names of junior staff. Please find attached the remaining documents.",
     "partially_provided"),
    ("Section 43(2) applies to the whole of the contract, which is therefore withheld.", "refused"),
    (("Having reviewed the original response, I am satisfied that the exemption was correctly applied and I uphold "
     "it."), "internal_review_result"),
    ("Can you please provide further clarification of the dates you are interested in?", "clarification_requested"),
    ("We have not been able to complete your request within 20 working days and will respond by 30 June.",
     "extension"),
    ("We have released part of the information; the rest is exempt under section 31.", "partially_provided"),
    ("The data you asked for is not available.", "not_held"),
    ("Your message was rejected by the recipient's server.", "bounce"),
    ("Please find attached our response, which provides the information you requested.", "information_provided"),
    ("We are able to provide the following information: 14 cameras were installed in 2021.", "information_provided"),
    ("Under section 14(1) we are not obliged to provide this information.", "refused"),
    ("Apologies for the delay. We are still gathering the information and hope to respond shortly.", "other"),
    (("Further to your request, I can advise that no correspondence with the company has been found following "
     "searches of the Planning mailboxes."), "not_held"),
    (("I can confirm that the Council holds the information. During 2018 the Council issued 1,245 penalty charge "
     "notices; a breakdown by month is provided in the attached spreadsheet."), "information_provided"),
    ("The duty to confirm or deny is set out in section 1(1)(a). Please find attached the information you requested.",
     "information_provided"),
]


@pytest.mark.parametrize(("text", "kind"), VARIED)
def test_varied_wording(text: str, kind: str) -> None:
    assert classify_text(f"Dear Requester\n\n{text}\n\nRegards").kind == kind


def test_acknowledgement_due_date_and_extension_date() -> None:
    ack = read_file(FIXTURES / "ack_logged_due_date.txt").classification
    assert ack.response_due == date(2023, 5, 16) and ack.new_due_date is None
    ext = classify_text("We need to extend the time for our response. I plan to let you have a response by "
                        "5th September 2012.")
    assert (ext.kind, ext.new_due_date) == ("extension", date(2012, 9, 5))


def test_internal_review_result_states_its_outcome() -> None:
    c = read_file(FIXTURES / "internal_review_upheld.txt").classification
    assert (c.kind, c.review_outcome) == ("internal_review_result", "refused")


def test_auto_reply_header_alone_marks_a_generic_message() -> None:
    raw = b"From: info@council.gov.uk\r\nAuto-Submitted: auto-generated\r\nSubject: Thanks\r\n\r\nThank you for your email.\r\n"
    assert classify_message(parse_message(raw)).kind == "auto_reply"
    ack = (b"From: foi@council.gov.uk\r\nAuto-Submitted: auto-generated\r\nSubject: FOI\r\n\r\nYour request has been "
           b"logged under reference 55012 and we will respond within 20 working days.\r\n")
    c = classify_message(parse_message(ack))
    assert (c.kind, c.authority_ref) == ("acknowledgement", "55012")


def test_bounce_from_a_report_is_permanent_or_not() -> None:
    hard = read_file(FIXTURES / "dsn_bounce.eml").classification
    soft = read_file(FIXTURES / "dsn_delayed.eml").classification
    assert (hard.kind, hard.bounce_permanent) == ("bounce", True)
    assert (soft.kind, soft.bounce_permanent) == ("bounce", False)
    assert "foi@oldname.gov.uk" in hard.evidence[0]


def test_substantive_kinds_are_the_contracts_starred_ones() -> None:
    assert SUBSTANTIVE == ("information_provided", "partially_provided", "not_held", "refused",
                           "neither_confirm_nor_deny")


# --- foibot classify -----------------------------------------------------------------------------------

def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "foibot", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_cli_json_lines(campaign: Path) -> None:
    files = [str(FIXTURES / name) for name in ("not_held_boilerplate_trap.txt", "cover_pdf_refused.eml",
                                                "ref_two_split.txt", "bounce.txt")]
    result = CliRunner().invoke(cli, ["classify", "--json", *files], obj={})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert all(list(row)[:4] == ["file", "kind", "authority_ref", "exemptions"] for row in rows)
    assert all({"confidence", "evidence"} <= set(row) for row in rows)
    assert all(0 <= row["confidence"] <= 1 and isinstance(row["evidence"], list) for row in rows)
    assert all(row["needs_review"] == (row["confidence"] < 0.8) for row in rows)
    core = [{k: row[k] for k in ("file", "kind", "authority_ref", "exemptions")} for row in rows]
    assert core[0] == {"file": files[0], "kind": "not_held", "authority_ref": "7731204", "exemptions": []}
    assert core[1] == {"file": files[1], "kind": "refused", "authority_ref": "NS-FOI-23-0871",
                       "exemptions": ["s43(2)"]}
    assert core[2]["authority_ref"] == "FOI/23/101;FOI/23/102"
    assert core[3] == {"file": files[3], "kind": "bounce", "authority_ref": None, "exemptions": []}
    assert rows[0]["evidence"] and not rows[0]["needs_review"]
    assert list(campaign.iterdir()) == []  # writes nothing


def test_cli_readable_line_with_evidence(campaign: Path) -> None:
    path = str(FIXTURES / "refused_s12_cost.txt")
    result = CliRunner().invoke(cli, ["classify", path], obj={})
    assert result.exit_code == 0
    line = result.output.strip()
    assert "\n" not in line
    assert line.startswith(f"{path}: refused (")
    assert "ref 4471/23" in line and "exemptions s12(1)" in line and "Section 12(1)" in line
    assert list(campaign.iterdir()) == []


def test_cli_missing_file_is_a_one_line_error(campaign: Path) -> None:
    result = _run("classify", "--json", str(FIXTURES / "bounce.txt"), "no-such-reply.eml")
    assert result.returncode == 1
    assert result.stdout == ""  # nothing half-done
    assert result.stderr.strip() == "Error: reply file no-such-reply.eml does not exist"
    assert list(campaign.iterdir()) == []


def test_cli_needs_a_file() -> None:
    assert _run("classify").returncode == 2


def _many_replies(folder: Path, count: int) -> list[Path]:
    """`count` reply files: the labelled fixtures, cycled, each copy numbered (enough for the workers)."""
    sources = [FIXTURES / row["file"] for row in LABELS]
    paths = []
    for n in range(count):
        source = sources[n % len(sources)]
        path = folder / f"{n:03d}-{source.name}"
        path.write_bytes(source.read_bytes())
        paths.append(path)
    return paths


def test_cli_many_files_read_on_workers_print_what_one_process_prints_in_order(campaign: Path) -> None:
    from foibot.collect.batch import MIN_FILES_FOR_WORKERS

    paths = _many_replies(campaign, MIN_FILES_FOR_WORKERS + 40)
    names = [str(p) for p in paths]
    pooled = _run("classify", "--json", "--workers", "2", *names)
    alone = _run("classify", "--json", "--workers", "1", *names)
    assert pooled.returncode == alone.returncode == 0, pooled.stderr + alone.stderr
    rows = [json.loads(line) for line in pooled.stdout.splitlines()]
    assert [row["file"] for row in rows] == names  # every file once, in the order given
    assert pooled.stdout == alone.stdout  # the same readings, word for word
    by_file = {row["file"]: row["kind"] for row in LABELS}
    assert [row["kind"] for row in rows] == [by_file[p.name.split("-", 1)[1]] for p in paths]


def test_read_files_reads_in_worker_processes_and_raises_a_bad_file_in_its_turn(tmp_path: Path) -> None:
    import resource

    from foibot.collect.batch import MIN_FILES_FOR_WORKERS, read_files
    from foibot.errors import InputError
    from foibot.understand.read import MAX_FILE_BYTES

    paths = _many_replies(tmp_path, MIN_FILES_FOR_WORKERS + 20)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    pooled = [(path, c.kind, c.authority_refs, c.exemptions) for path, c in read_files(paths, QUESTIONS, 2)]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert after.ru_utime + after.ru_stime > children.ru_utime + children.ru_stime  # the workers did the reading
    alone = [(path, c.kind, c.authority_refs, c.exemptions) for path, c in read_files(paths, QUESTIONS, 1)]
    assert pooled == alone and [p for p, *_ in pooled] == paths

    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # (sparse: its size is refused before anything is read)
    given = paths[:30] + [huge] + paths[30:]
    read: list[Path] = []
    with pytest.raises(InputError, match=f"{huge} is {MAX_FILE_BYTES + 1} bytes, too big for a reply"):
        for path, _ in read_files(given, (), 2):
            read.append(path)
    assert read == paths[:30]  # every file before it, in order, and nothing after


def test_ctrl_c_stops_the_workers_at_once_without_a_trace(campaign: Path) -> None:
    import os
    import signal
    import time

    longest = sorted((FIXTURES / row["file"] for row in LABELS if row["file"].endswith(".txt")),
                     key=lambda path: path.stat().st_size)[-10:]
    paths = []
    for n in range(5000):  # seconds of reading: still at it when Ctrl-C comes
        path = campaign / f"{n:04d}.txt"
        path.write_bytes(longest[n % len(longest)].read_bytes())
        paths.append(str(path))
    # A handler here (not "ignored", as a background job's is) makes the command's Ctrl-C the default one.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen([sys.executable, "-m", "foibot", "classify", *paths], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, before)
    assert process.stdout is not None
    process.stdout.readline()  # the workers are reading
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: to the command and its workers
    pressed = time.monotonic()
    out, err = process.communicate(timeout=60)
    assert time.monotonic() - pressed < 5
    assert process.returncode != 0 and out.count("\n") < len(paths) - 1
    assert err.strip() in ("Aborted.", "Interrupted.") and "Traceback" not in err
    time.sleep(0.5)
    workers = subprocess.run(["pgrep", "-f", str(campaign)], capture_output=True, text=True, check=False)
    assert workers.stdout == ""  # no worker left behind


def test_cli_workers_must_be_at_least_one(campaign: Path) -> None:
    result = _run("classify", "--workers", "0", str(FIXTURES / "bounce.txt"))
    assert result.returncode == 2 and "--workers" in result.stderr


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_classifies_without_raising(text: str) -> None:
    c = classify_text(text, subject=text[:80], questions=QUESTIONS)
    assert c.kind in KINDS and 0 < c.confidence <= 1


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_any_message_classifies_without_raising(raw: bytes) -> None:
    from foibot.understand.read import read_message

    assert read_message(raw, QUESTIONS).classification.kind in KINDS
