"""The README's first command, run as a newcomer would: the demo, in under a minute, with the right outcomes.

Also `foibot init` and config.example.toml, the path from the demo to a real run.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.web import SCREENSHOTS, open_file

from foibot.cli import cli
from foibot.config import _SCHEMA, load_config
from foibot.demo.authorities import SCRIPTS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def readme_commands() -> list[str]:
    """The fenced code blocks before the README's first section heading."""
    text = README.read_text(encoding="utf-8")
    top = text.split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```(?:sh|bash|console)?\n(.*?)```", top, re.DOTALL)]


def test_readme_starts_with_the_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert commands[0] == "pip install -e . && foibot demo"
    assert commands[1] == "bash scripts/test.sh"
    assert (ROOT / "scripts" / "test.sh").is_file()
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _demo_command() -> list[str]:
    """`foibot demo` as the README's first command runs it (after `pip install -e .`)."""
    assert readme_commands()[0].split("&&")[1].split() == ["foibot", "demo"]
    script = shutil.which("foibot")
    # Not on PATH (installed for another interpreter): the same entry point through this Python.
    return [script, "demo"] if script else [sys.executable, "-m", "foibot", "demo"]


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], float, Path]:
    where = tmp_path_factory.mktemp("newcomer")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
    env["TMPDIR"] = str(where)  # the demo's "fresh temporary folder" lands here
    started = time.monotonic()
    result = subprocess.run(_demo_command(), check=False, cwd=where, env=env, capture_output=True, text=True,
                            timeout=300)
    return result, time.monotonic() - started, where


def _csv_rows(demo_run: tuple[subprocess.CompletedProcess[str], float, Path]) -> tuple[Path, dict[str, dict]]:
    result = demo_run[0]
    found = re.search(r"^Outcome CSV: (.+)$", result.stdout, re.MULTILINE)
    assert found, result.stdout[-3000:]
    path = Path(found.group(1).strip())
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {row["authority_id"]: row for row in csv.DictReader(handle)}
    return path, rows


def test_demo_runs_under_a_minute(demo_run: tuple[subprocess.CompletedProcess[str], float, Path]) -> None:
    result, seconds, where = demo_run
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
    assert "Traceback" not in result.stderr
    assert seconds < 60, f"the demo took {seconds:.1f} s"
    path, _ = _csv_rows(demo_run)
    assert path.is_relative_to(where), "the demo works in a fresh temporary folder"
    assert not (where / "foibot.db").exists(), "nothing is written where it was started"


def test_demo_csv_has_one_row_per_authority(
    demo_run: tuple[subprocess.CompletedProcess[str], float, Path],
) -> None:
    _, rows = _csv_rows(demo_run)
    with (ROOT / "authorities.csv").open(encoding="utf-8", newline="") as handle:
        ids = {row["id"] for row in csv.DictReader(handle)}
    web_forms = {s.authority_id for s in SCRIPTS if s.web_form}
    assert set(rows) == ids | web_forms and len(ids) == 86 and web_forms == {"avon-fire"}


def test_demo_sends_one_request_by_web_form_and_readdresses_one_bounce(
    demo_run: tuple[subprocess.CompletedProcess[str], float, Path],
) -> None:
    path, rows = _csv_rows(demo_run)
    form = rows["avon-fire"]
    assert (form["channel"], form["authority_email"], form["status"], form["outcome"]) == (
        "web_form", "", "answered", "not_held")
    assert form["sent_at"].startswith("2026-03-02T11:00")  # the day it was pasted into the form
    (written,) = (path.parent / "by-hand").glob(f"{form['reference']}-request-avon-fire.txt")
    assert "Web form:" in written.read_text(encoding="utf-8").splitlines()[2]
    essex = rows["essex-police"]
    assert essex["wrong_addresses"] == "info.rights.freedom@essex.police.uk"
    assert essex["authority_email"] == "info.rights@essex.police.uk" and essex["status"] == "internal_review"
    out = demo_run[0].stdout
    assert f"readdress: {essex['reference']} sent again to info.rights@essex.police.uk" in out
    assert f"sent by hand: the campaigner pastes {form['reference']}" in out


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.authority_id)
def test_demo_outcomes_of_the_scripted_authorities(
    demo_run: tuple[subprocess.CompletedProcess[str], float, Path], script
) -> None:
    _, rows = _csv_rows(demo_run)
    row = rows[script.authority_id]
    assert (row["status"], row["outcome"]) == (script.status, script.outcome), row
    assert int(row["replies"]) >= 1


def test_demo_details_an_authority_would_check(
    demo_run: tuple[subprocess.CompletedProcess[str], float, Path],
) -> None:
    path, rows = _csv_rows(demo_run)
    assert rows["gmp"]["exemptions"] == "s43(2)" and rows["gmp"]["authority_ref"] == "1873/26"
    assert rows["barnet"]["authority_ref"] == "10482215" and rows["barnet"]["days_late"] == "0"
    assert rows["the-met"]["authority_ref"] == "01/FOI/26/004512"
    assert rows["cambridgeshire-peterborough-ca"]["due_date"] == "", "a clarification request stops the clock"
    kent = rows["kent-police"]
    assert kent["exemptions"] == "s40(2)" and int(kent["days_late"]) > 0 and kent["chase_stage"] == "reminder"
    letter = path.parent / kent["reply_files"]
    assert letter.suffix == ".pdf" and letter.read_bytes().startswith(b"%PDF")
    assert rows["cumbria-pfcc"]["failed_reason"] or rows["cumbria-pfcc"]["status"] == "failed"


def test_demo_runs_the_chase_ladder_for_the_silent(
    demo_run: tuple[subprocess.CompletedProcess[str], float, Path],
) -> None:
    path, rows = _csv_rows(demo_run)
    scripted = {s.authority_id for s in SCRIPTS}
    silent = [row for key, row in rows.items() if key not in scripted]
    assert len(silent) == 78
    for row in silent:
        assert (row["status"], row["chases"], row["chase_stage"]) == ("internal_review", "2", "complaint"), (
            row
        )
        assert (path.parent / row["complaint_file"]).is_file()
    # Police Scotland works to the Scottish calendar: due a day earlier than the English bodies.
    assert rows["police-scotland"]["due_date"] < rows["barnet"]["due_date"]
    # The acknowledgement and the out-of-office did not stop the ladder.
    assert rows["the-met"]["chase_stage"] == rows["dorset-pcc"]["chase_stage"] == "complaint"


def test_demo_prints_as_it_goes_and_ends_with_the_table(
    demo_run: tuple[subprocess.CompletedProcess[str], float, Path],
) -> None:
    out = demo_run[0].stdout
    for line in (
        "send: the Fusus request",
        "poll: filed under",
        "chase: sent",
        "reminders",
        "internal review requests",
        "complaint files",
        "foibot status:",
        "Report:",
    ):
        assert line in out
    report = Path(re.search(r"^Report: +(.+)$", out, re.MULTILINE).group(1).strip())  # type: ignore[union-attr]
    page = report.read_text(encoding="utf-8")
    assert page.count('<svg class="chart"') >= 4 and "Greater Manchester Police" in page


# --- from the demo to a real run ---------------------------------------------------------------------------


def test_init_makes_a_campaign_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", "fusus"], obj={})
    assert result.exit_code == 0, result.output
    folder = tmp_path / "fusus"
    config = load_config(folder / "config.toml")
    assert config.database_path == (folder / "foibot.db").resolve()
    assert (folder / "authorities.csv").read_bytes() == (ROOT / "authorities.csv").read_bytes()
    assert "cp -r" in (folder / "templates" / "README.txt").read_text(encoding="utf-8")
    again = CliRunner().invoke(cli, ["init", "fusus"], obj={})
    assert again.exit_code == 1 and "never overwrites" in str(again.exception)


def test_config_example_documents_every_key() -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    load_config(ROOT / "config.example.toml")  # valid as it stands
    lines = text.splitlines()
    for section, keys in _SCHEMA.items():
        for key in keys:
            assert key in data.get(section, {}), f"[{section}] {key} is not in config.example.toml"
            index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
            explained = "#" in lines[index] or lines[index - 1].startswith("#")
            assert explained, f"[{section}] {key} has no comment"
    # The contract's keys come first in their sections.
    assert list(data["smtp"])[:7] == [
        "host",
        "port",
        "security",
        "username",
        "password_env",
        "connections",
        "rate_per_minute",
    ]
    assert list(data["imap"])[:6] == ["host", "port", "security", "username", "password_env", "folder"]


def test_publish_works_on_the_demo_folder(demo_run: tuple[subprocess.CompletedProcess[str], float, Path]) -> None:
    result = demo_run[0]
    assert "foibot publish published" in result.stdout
    folder = Path(re.search(r"^Outcome CSV: (.+)$", result.stdout, re.MULTILINE).group(1).strip()).parent  # type: ignore[union-attr]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
    done = subprocess.run([sys.executable, "-m", "foibot", "publish", "published"], cwd=folder, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    with (folder / "published" / "answers.csv").open(encoding="utf-8", newline="") as handle:
        rows = {(r["authority_id"], r["question"]): r for r in csv.DictReader(handle)}
    # Every authority that answered has a verdict for every question, each resting on a quoted sentence.
    answered = {a for (a, _q), r in rows.items() if r["outcome"]}
    assert answered == {"avon-fire", "barnet", "gmp", "kent-police"}  # avon-fire: answered a web-form request
    for (authority, _q), row in rows.items():
        if authority in answered:
            assert row["verdict"] not in ("", "not_answered", "unclear") and row["sentence"] and row["source"]
    assert rows[("barnet", "q1")]["verdict"] == "no"
    assert {rows[("avon-fire", q)]["verdict"] for q in ("q1", "q2", "q3")} == {"not_held"}  # "within the scope"
    assert {rows[("gmp", q)]["exemption"] for q in ("q1", "q2", "q3")} == {"s43(2)"}
    assert rows[("kent-police", "q1")]["verdict"] == "yes"
    assert rows[("kent-police", "q1")]["source"].startswith("FOI 26-0412 response letter.pdf, page 1")
    for name in ("answers.csv", "outcomes.csv", "report.html", "README.md", "datapackage.json"):
        text = (folder / "published" / name).read_text(encoding="utf-8")
        for personal in ("Alex Morgan", "020 7946 0321", "alex.morgan@", "Chris Doyle", "0161 496 0550",
                         "Sam Campaigner", "sam@campaign.example"):
            assert personal not in text, f"{name} keeps {personal}"
    report = (folder / "report.html").read_text(encoding="utf-8")  # the demo's own report is redacted too
    assert "Alex Morgan" not in report and "London Borough of Barnet" in report
    import frictionless

    assert frictionless.validate(str(folder / "published" / "datapackage.json")).valid


def test_the_demos_published_report_leads_with_the_findings(
    demo_run: tuple[subprocess.CompletedProcess[str], float, Path], chromium: object,
) -> None:
    folder = Path(re.search(r"^Outcome CSV: (.+)$", demo_run[0].stdout, re.MULTILINE).group(1).strip()).parent  # type: ignore[union-attr]
    report = folder / "published" / "report.html"
    if not report.exists():  # the test above publishes; alone, publish here
        env = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
        subprocess.run([sys.executable, "-m", "foibot", "publish", "published"], cwd=folder, env=env, check=True,
                       capture_output=True, timeout=120)
    seen = open_file(chromium, report, height=1200)
    assert seen.requests == [seen.url] and seen.errors == [] and seen.console == []
    assert seen.page.evaluate("document.scripts.length") == 0
    assert seen.page.locator("h2").first.inner_text() == "Findings"
    findings = seen.page.locator("#findings").inner_text()
    assert "London Borough of Barnet" in findings and "Greater Manchester Police" in findings
    assert "Kent Police" in findings and "FOI 26-0412 response letter.pdf, page 1" in findings
    # Main's channel column stays in the per-authority table: the fire authority took the request by web form.
    table = seen.page.locator("#every-authority .sorted.default table")
    assert "channel" in table.locator("thead").inner_text()
    assert "web form" in table.locator("tr", has_text="Avon Fire Authority").inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "demo-publish-report.png"  # the first screen a reader sees: the findings
    seen.page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    seen.page.context.close()
