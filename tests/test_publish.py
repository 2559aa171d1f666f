"""`foibot publish DIR`: the folder a newsroom cites, built from a campaign whose replies are our labelled fixtures."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.published import (
    AUTHORITIES,
    NOW,
    PERSONAL,
    RUN,
    SILENT,
    PublishCampaign,
    fixture_campaign,
    labels,
)
from support.web import open_file

from foibot.cli import cli
from foibot.clock import parse_now
from foibot.config import load_config
from foibot.publish import outcomes, to_review
from foibot.publish.findings import findings  # the front door's `findings` is shadowed by its module
from foibot.review import VerdictItem
from foibot.store import open_store

FILES = ("outcomes.csv", "answers.csv", "datapackage.json", "report.html", "README.md")
SCREENSHOT = Path(__file__).resolve().parent / "screenshots" / "publish-report.png"


def _invoke(folder: Path, *args: str) -> tuple[int, str]:
    env = {"FOIBOT_CONFIG": str(folder / "config.toml"), "FOIBOT_NOW": NOW}
    result = CliRunner().invoke(cli, list(args), obj={}, env=env)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> PublishCampaign:
    return fixture_campaign(tmp_path_factory.mktemp("publish") / "campaign")


@pytest.fixture(scope="module")
def published(campaign: PublishCampaign) -> Path:
    out = campaign.folder / "published"
    code, output = _invoke(campaign.folder, "publish", str(out))
    assert code == 0, output
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_the_folder_has_every_file(published: Path) -> None:
    assert sorted(p.name for p in published.iterdir()) == sorted(FILES)


def test_answers_csv_has_a_verdict_per_request_and_question(published: Path, campaign: PublishCampaign) -> None:
    rows = _rows(published / "answers.csv")
    assert list(rows[0])[:7] == ["run", "reference", "authority", "question", "verdict", "answer", "source"]
    assert len(rows) == (len(AUTHORITIES) + 1) * 3
    by = {(r["reference"], r["question"]): r for r in rows}
    vocabulary = {"yes", "no", "not_held", "withheld", "not_answered", "unclear"}
    assert {r["verdict"] for r in rows} <= vocabulary
    # Every question an authority answered has a verdict other than not_answered, with the sentence quoted.
    answered = [r for r in rows if r["answer"]]
    assert answered and all(r["verdict"] != "not_answered" and r["sentence"] for r in answered)
    northmoor = campaign.references["northmoor"]
    assert by[(northmoor, "q1")]["verdict"] == "no"
    assert by[(northmoor, "q1")]["source"] == "email (2026-03-27)"
    assert by[(northmoor, "q1")]["run"] == RUN
    s12 = campaign.references["marlow-vale"]
    assert [by[(s12, q)]["verdict"] for q in ("q1", "q2", "q3")] == ["withheld"] * 3
    assert {by[(s12, q)]["exemption"] for q in ("q1", "q2", "q3")} == {"s12(1)"}
    # Answered only in a letter: the attachment and its page.
    letter = campaign.references["kingsmere"]
    assert by[(letter, "q1")]["verdict"] == "no"
    assert by[(letter, "q1")]["source"] == "IG-26-0588 response.pdf, page 2 (2026-03-27)"
    silent = campaign.references[SILENT[0]]
    assert {by[(silent, q)]["verdict"] for q in ("q1", "q2", "q3")} == {"not_answered"}
    assert by[(silent, "q1")]["status"] == "overdue"


def test_most_verdicts_match_the_labels(published: Path, campaign: PublishCampaign) -> None:
    rows = {(r["reference"], r["question"]): r["verdict"] for r in _rows(published / "answers.csv")}
    wanted = [(AUTHORITIES[label["file"]][0], q, label[q]) for label in labels() for q in ("q1", "q2", "q3")]
    right = sum(1 for ident, q, verdict in wanted if rows[(campaign.references[ident], q)] == verdict)
    assert right >= len(wanted) - 2, f"{right} of {len(wanted)}"


def test_outcomes_csv_keeps_every_column_of_export(published: Path, campaign: PublishCampaign) -> None:
    code, exported = _invoke(campaign.folder, "export")
    assert code == 0
    export_header = next(csv.reader(io.StringIO(exported)))
    published_header = next(csv.reader(io.StringIO((published / "outcomes.csv").read_text(encoding="utf-8"))))
    assert published_header == export_header
    assert len(_rows(published / "outcomes.csv")) == len(AUTHORITIES) + 1


def test_datapackage_validates_with_frictionless(published: Path) -> None:
    import frictionless  # the test extra: a missing package fails here, loudly
    descriptor = json.loads((published / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in descriptor["resources"]] == ["outcomes.csv", "answers.csv"]
    report = frictionless.validate(str(published / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "message"])[:5]


def test_datapackage_rejects_a_verdict_outside_the_vocabulary(published: Path, tmp_path: Path) -> None:
    import frictionless  # the test extra: a missing package fails here, loudly
    copy = tmp_path / "copy"
    shutil.copytree(published, copy)
    text = (copy / "answers.csv").read_text(encoding="utf-8")
    (copy / "answers.csv").write_text(text.replace(",not_answered,", ",maybe,", 1), encoding="utf-8")
    assert not frictionless.validate(str(copy / "datapackage.json")).valid


def test_personal_data_is_out_of_every_published_file(published: Path, campaign: PublishCampaign) -> None:
    for name in FILES:
        text = (published / name).read_text(encoding="utf-8")
        leaked = [p for p in PERSONAL if p.lower() in text.lower()]
        assert not leaked, f"{name} keeps {leaked}"
    report = (published / "report.html").read_text(encoding="utf-8")
    assert "[name redacted]" in report and "[phone redacted]" in report and "[e-mail redacted]" in report
    for kept in ("Kingsmere Borough Council", "foi@kingsmere.gov.uk", "Westshire Constabulary",
                 "foi@northgate.police.uk"):
        assert kept in report
    assert "Northmoor District Council" in (published / "answers.csv").read_text(encoding="utf-8")
    # The database keeps the messages as they came.
    db = sqlite3.connect(campaign.folder / "foibot.db")
    raw = b"".join(r[0] for r in db.execute("SELECT raw FROM messages WHERE direction = 'in'"))
    db.close()
    assert b"Priya Ramanathan" in raw and b"01632 960 418" in raw


def test_keep_officials_keeps_a_senior_name(campaign: PublishCampaign, tmp_path: Path) -> None:
    out = tmp_path / "with-officials"
    code, output = _invoke(campaign.folder, "publish", str(out), "--keep-officials")
    assert code == 0, output
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Chief Inspector Alan Pearce" in report  # signed above "Head of Information Management"
    assert "Priya Ramanathan" not in report and "0117 496 0184" not in report


def test_a_verdict_set_by_hand_wins_and_says_so(campaign: PublishCampaign, tmp_path: Path) -> None:
    reference = campaign.references["harbury"]
    code, output = _invoke(campaign.folder, "verdict", reference, "q3", "yes")
    assert code == 0, output
    assert "q3: yes" in output
    out = tmp_path / "after"
    assert _invoke(campaign.folder, "publish", str(out))[0] == 0
    row = next(r for r in _rows(out / "answers.csv") if r["reference"] == reference and r["question"] == "q3")
    assert (row["verdict"], row["confirmed"]) == ("yes", "yes")
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "1 of 39 verdicts were set or confirmed by a person" in readme
    assert "request outcomes were set or confirmed by a person (`outcome_confirmed` = yes" in readme
    code, output = _invoke(campaign.folder, "verdict", reference, "q3", "auto")
    assert code == 0, output
    assert _invoke(campaign.folder, "publish", str(out))[0] == 0
    row = next(r for r in _rows(out / "answers.csv") if r["reference"] == reference and r["question"] == "q3")
    assert row["confirmed"] == "auto"


def test_unclear_verdicts_wait_in_the_review_queue_until_a_person_settles_them(campaign: PublishCampaign,
                                                                               tmp_path: Path) -> None:
    """`foibot review` lists the unclear verdicts beside the readings; `review set` corrects one,
    `review confirm` keeps foibot's, both as a person's (they leave the queue, answers.csv says confirmed)."""
    reference = campaign.references["harbury"]
    code, output = _invoke(campaign.folder, "review")
    assert code == 0, output
    assert "3 verdict(s) wait for review" in output
    waiting = [line.split()[1] for line in output.splitlines() if line.strip().startswith(reference)]
    assert waiting == ["q1", "q2", "q3"]
    assert "procurement register" in output
    code, output = _invoke(campaign.folder, "review", "--json")
    assert code == 0, output
    items = [json.loads(line) for line in output.splitlines()]
    assert [(i["request"], i["question"], i["verdict"]) for i in items if "question" in i] == [
        (reference, q, "unclear") for q in ("q1", "q2", "q3")]

    code, output = _invoke(campaign.folder, "review", "set", reference, "q1", "--verdict", "no")
    assert code == 0, output
    assert f"{reference} (Harbury Metropolitan Borough Council) q1: no" in output
    code, output = _invoke(campaign.folder, "review", "confirm", reference, "q2")
    assert code == 0, output
    assert "q2: confirmed as unclear" in output
    output = _invoke(campaign.folder, "review")[1]
    assert [line.split()[1] for line in output.splitlines() if line.strip().startswith(reference)] == ["q3"]
    assert _invoke(campaign.folder, "publish", str(tmp_path / "p"))[0] == 0
    rows = {r["question"]: r for r in _rows(tmp_path / "p" / "answers.csv") if r["reference"] == reference}
    assert [(rows[q]["verdict"], rows[q]["confirmed"]) for q in ("q1", "q2", "q3")] == [
        ("no", "yes"), ("unclear", "yes"), ("unclear", "auto")]
    store = sqlite3.connect(campaign.folder / "foibot.db")
    events = store.execute("SELECT e.type, e.source FROM events e JOIN requests r ON r.id = e.request_id "
                           "WHERE e.type LIKE 'verdict%' AND r.reference = ? ORDER BY e.id", [reference]).fetchall()
    store.close()
    assert ("verdict_set", "manual") in events and ("verdict_confirmed", "manual") in events
    # Handed back to foibot, both wait again.
    for q in ("q1", "q2"):
        assert _invoke(campaign.folder, "review", "set", reference, q, "--verdict", "auto")[0] == 0
    output = _invoke(campaign.folder, "review")[1]
    assert [line.split()[1] for line in output.splitlines() if line.strip().startswith(reference)] == [
        "q1", "q2", "q3"]


@pytest.mark.parametrize(("args", "message"), [
    (["review", "set", "harbury-ref", "q1", "--kind", "refused"], "give --verdict VERDICT"),
    (["review", "set", "harbury-ref", "--kind", "refused"], "is not a reply's number"),
    (["review", "set", "harbury-ref", "q1"], "give --verdict VERDICT"),
])
def test_review_of_a_verdict_says_how_to_ask(campaign: PublishCampaign, args: list[str], message: str) -> None:
    args = [campaign.references["harbury"] if a == "harbury-ref" else a for a in args]
    code, output = _invoke(campaign.folder, *args)
    assert code == 2 and message in output, output


def test_confirm_keeps_foibots_verdict(campaign: PublishCampaign, tmp_path: Path) -> None:
    reference = campaign.references["northgate-police"]
    code, output = _invoke(campaign.folder, "verdict", reference, "q2", "confirm")
    assert code == 0, output
    assert "q2: confirmed as withheld (s43(2))" in output
    assert _invoke(campaign.folder, "publish", str(tmp_path / "p"))[0] == 0
    row = next(r for r in _rows(tmp_path / "p" / "answers.csv") if r["reference"] == reference and r["question"] == "q2")
    assert (row["verdict"], row["exemption"], row["confirmed"]) == ("withheld", "s43(2)", "yes")


@pytest.mark.parametrize(("args", "message"), [
    (["verdict", "FB-XXXXXX", "q1", "no"], "no request"),
    (["verdict", "northmoor-ref", "q9", "no"], "no question 'q9'"),
    (["verdict", "northmoor-ref", "q1", "maybe"], "'maybe' is not a verdict of q1"),
    (["review", "set", "northmoor-ref", "q1", "--verdict", "maybe"], "'maybe' is not a verdict of q1"),
    (["review", "confirm", "northmoor-ref", "q9"], "no question 'q9'"),
    (["review", "confirm", "FB-XXXXXX", "q1"], "no request"),
    (["publish", "out", "--run", "nope"], "no run named 'nope'"),
    (["publish", "config.toml/out"], "cannot create the folder config.toml/out"),
])
def test_bad_input_is_one_line_and_exit_1(campaign: PublishCampaign, args: list[str], message: str) -> None:
    args = [campaign.references["northmoor"] if a == "northmoor-ref" else a for a in args]
    env = {**os.environ, "FOIBOT_CONFIG": str(campaign.folder / "config.toml"), "FOIBOT_NOW": NOW}
    done = subprocess.run([sys.executable, "-m", "foibot", *args], capture_output=True, text=True, env=env,
                          cwd=campaign.folder, check=False)
    assert done.returncode == 1, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_report_leads_with_findings_in_a_browser_that_fetches_and_runs_nothing(published: Path,
                                                                               chromium: object) -> None:
    seen = open_file(chromium, published / "report.html", height=1400)
    page = seen.page
    assert seen.requests == [seen.url], f"the page asked for {seen.requests}"
    assert seen.errors == [] and seen.console == []
    assert page.evaluate("document.scripts.length") == 0
    handlers = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
        ".filter(n => n.startsWith('on')).length")
    assert handlers == 0
    headings = page.locator("h2").all_inner_texts()
    assert headings[:2] == ["Findings", "Timeliness"]
    findings = page.locator("#findings")
    assert findings.bounding_box()["y"] < page.locator("#timeliness").bounding_box()["y"]
    text = findings.inner_text()
    assert "q1: Contact with Fusus" in text and "Westshire Constabulary" in text
    assert page.locator("#finding-q1 tr.v-withheld td.num").inner_text() == "2"  # the s12 refusal, the NCND
    timeliness = page.locator("#timeliness").inner_text()
    assert "answered within 20 working days" in timeliness and "by nation" in timeliness
    assert "Refusals by exemption: s12(1): 1, s24(2): 1, s31(3): 1, s43(2): 1." in timeliness
    # Sorting without a script: following a link shows that order of the table, and only it.
    page.click("a[href='#by-days-late']")
    assert page.locator("#by-days-late").is_visible()
    assert not page.locator(".sorted.default").is_visible()
    page.goto(seen.url)  # the top of the page: the findings come first
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 10_000
    page.context.close()


def _judging_every_request(folder: Path) -> list[VerdictItem]:
    """What judging every request of the campaign lists as waiting (the rule the narrowing must keep)."""
    config = load_config(folder / "config.toml")
    store = open_store(config.database_path, config.files_dir)
    now = parse_now(NOW)
    try:
        items = list(outcomes(store, now, None, folder))
        return [VerdictItem(f.outcome.reference, f.outcome.authority, f.question.id, f.verdict, f.exemption,
                            f.answer, f.sentence, f.source) for f in findings(store, items, None, folder)
                if f.answered and f.verdict == "unclear" and not f.confirmed]
    finally:
        store.close()


def _to_review(folder: Path) -> list[VerdictItem]:
    config = load_config(folder / "config.toml")
    store = open_store(config.database_path, config.files_dir)
    try:
        return to_review(store, parse_now(NOW), None, folder)
    finally:
        store.close()


def test_only_the_requests_whose_verdicts_could_wait_are_judged_and_none_is_missed(campaign: PublishCampaign,
                                                                                  tmp_path: Path) -> None:
    """`to_review` judges only requests with an answer's words, or all of a run whose vocabulary can leave a
    question without words unclear; it lists exactly what judging every request lists."""
    assert _to_review(campaign.folder) == _judging_every_request(campaign.folder)
    assert {v.reference for v in _to_review(campaign.folder)} == {campaign.references["harbury"]}
    # The same campaign, its template's questions without `not_answered`: a question a reply leaves without
    # words now comes out unclear, on requests that have no answer's words at all.
    narrow = tmp_path / "narrow"
    shutil.copytree(campaign.folder, narrow)
    template = narrow / "templates" / "fusus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates" / "fusus", template)
    meta = template / "request.toml"
    meta.write_text(meta.read_text(encoding="utf-8").replace('"not_answered", ', ""), encoding="utf-8")
    silent = campaign.references[SILENT[0]]  # no reply at all: its outcome set by hand, no answer's words
    code, output = _invoke(narrow, "mark", silent, "--outcome", "information_provided")
    assert code == 0, output
    waiting = _to_review(narrow)
    assert waiting == _judging_every_request(narrow)
    assert [v.question for v in waiting if v.reference == silent] == ["q1", "q2", "q3"]
    assert len({v.reference for v in waiting}) > 2
