"""Verdicts waiting for review in the workspace: the same queue as `foibot review`, settled through review.py.

The campaign is the publishing tests' (tests/support/published.py: the labelled Fusus replies filed by the
poller's own filing), whose Harbury reply answers all three questions in words that decide nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.published import FILED, NOW, SILENT, PublishCampaign, fixture_campaign
from support.web import (
    PHONE,
    go,
    http,
    nav,
    no_horizontal_scroll,
    open_page,
    post_form,
    session_cookie,
    shoot,
)

from foibot.cli import cli
from foibot.clock import iso
from foibot.collect.filing import file_stored
from foibot.config import load_config
from foibot.store import open_store
from foibot.web import serving


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> PublishCampaign:
    return fixture_campaign(tmp_path_factory.mktemp("verdicts") / "campaign")


@pytest.fixture
def campaign(built: PublishCampaign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PublishCampaign:
    """A copy of the built campaign for each test (they settle verdicts), its clock at NOW."""
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    folder = tmp_path / "campaign"
    shutil.copytree(built.folder, folder)
    return PublishCampaign(folder, built.references)


def _invoke(campaign: PublishCampaign, *args: str) -> tuple[int, str]:
    env = {"FOIBOT_CONFIG": str(campaign.folder / "config.toml"), "FOIBOT_NOW": NOW}
    result = CliRunner().invoke(cli, list(args), obj={}, env=env)
    return result.exit_code, result.output


def _cli_verdicts(campaign: PublishCampaign) -> list[dict]:
    code, output = _invoke(campaign, "review", "--json")
    assert code == 0, output
    return [item for item in map(json.loads, output.splitlines()) if "question" in item]


def _answers(campaign: PublishCampaign, out: Path) -> dict[tuple[str, str], dict[str, str]]:
    code, output = _invoke(campaign, "publish", str(out))
    assert code == 0, output
    rows = csv.DictReader(io.StringIO((out / "answers.csv").read_text(encoding="utf-8")))
    return {(r["reference"], r["question"]): r for r in rows}


def _config(campaign: PublishCampaign):
    return load_config(campaign.folder / "config.toml")


def test_the_browser_shows_the_cli_verdict_queue_and_a_correction_is_published(campaign: PublishCampaign,
                                                                             chromium, tmp_path: Path) -> None:
    queue = _cli_verdicts(campaign)
    harbury = campaign.references["harbury"]
    assert [(v["request"], v["question"], v["verdict"]) for v in queue] == [
        (harbury, q, "unclear") for q in ("q1", "q2", "q3")]
    code, output = _invoke(campaign, "status")
    assert code == 0 and "Waiting for review: 3 verdict(s), answers that decide nothing (foibot review)" in output, output
    with serving(_config(campaign)) as running:
        page = open_page(chromium, running).page
        assert "3\nverdicts to review" in page.locator(".cards").inner_text()
        today = page.locator("#today-verdicts li").all_inner_texts()
        assert len(today) == 3 and all(text.startswith("Harbury Metropolitan Borough Council q") for text in today)
        nav(page, "Review")
        assert page.locator("#verdict-count").inner_text().startswith("3 verdicts wait")
        shown = page.locator("article.verdict")
        assert [(a.get_attribute("data-request"), a.get_attribute("data-question")) for a in shown.all()] == [
            (v["request"], v["question"]) for v in queue]
        for v in queue:  # what the CLI lists, word for word: verdict, answer, sentence, source
            article = page.locator(f"#v-{v['request']}-{v['question']}")
            assert article.locator(".verdict-value").inner_text() == v["verdict"]
            assert article.locator(".answer").inner_text() == v["answer"]
            if v["sentence"]:
                assert article.locator(".rests").inner_text() == v["sentence"]
            if v["source"]:
                assert article.locator(".where").inner_text() == v["source"]
        assert "procurement register" in page.locator(f"#v-{harbury}-q1 .answer").inner_text()
        phone = open_page(chromium, running, *PHONE).page
        phone.goto(running.base + "/review")
        width, visible = no_horizontal_scroll(phone)
        assert width <= visible, (width, visible)
        shoot(phone, "workspace-review-verdicts-phone")
        # Correct q1 to "no" in the browser; confirm q2 as it stands.
        q1 = page.locator(f"#v-{harbury}-q1")
        q1.locator("select[name=verdict]").select_option("no")
        go(page, q1.get_by_role("button", name="Correct"))
        assert f"{harbury} (Harbury Metropolitan Borough Council) q1: set to no." in page.locator(".flash").inner_text()
        go(page, page.locator(f"#v-{harbury}-q2").get_by_role("button", name="Confirm: unclear"))
        assert "q2: confirmed as unclear" in page.locator(".flash").inner_text()
        left = [a.get_attribute("data-question") for a in page.locator("article.verdict").all()]
        assert left == ["q3"]
    assert [v["question"] for v in _cli_verdicts(campaign)] == ["q3"]  # `foibot review` agrees
    rows = _answers(campaign, tmp_path / "published")
    assert (rows[(harbury, "q1")]["verdict"], rows[(harbury, "q1")]["confirmed"]) == ("no", "yes")
    assert (rows[(harbury, "q2")]["verdict"], rows[(harbury, "q2")]["confirmed"]) == ("unclear", "yes")
    assert rows[(harbury, "q3")]["confirmed"] == "auto"
    assert "Waiting for review: 1 verdict(s), answers that decide nothing" in _invoke(campaign, "status")[1]


def test_a_verdict_outside_the_questions_vocabulary_is_refused_and_nothing_changes(campaign: PublishCampaign,
                                                                                chromium) -> None:
    harbury = campaign.references["harbury"]
    with serving(_config(campaign)) as running:
        headers = session_cookie(running)
        csrf = running.workspace.keys.csrf
        answer = post_form(running, "/verdicts/set", {"request": harbury, "question": "q1", "verdict": "maybe",
                                                  "csrf": csrf, "next": "/review"}, headers)
        assert answer.status == 303
        page = http(running, "GET", answer.headers["location"], headers=headers)
        assert b"Not done: &#39;maybe&#39; is not a verdict of q1" in page.body
        # Confirming a verdict other than the one foibot gives now (the page was stale) is refused too.
        answer = post_form(running, "/verdicts/confirm", {"request": harbury, "question": "q1", "verdict": "yes",
                                                      "csrf": csrf, "next": "/review"}, headers)
        page = http(running, "GET", answer.headers["location"], headers=headers)
        assert b"changed from yes to unclear since you looked" in page.body
    assert len(_cli_verdicts(campaign)) == 3


def test_verdict_forms_need_the_csrf_token_and_read_only_refuses_them(campaign: PublishCampaign) -> None:
    harbury = campaign.references["harbury"]
    fields = {"request": harbury, "question": "q1", "verdict": "no"}
    with serving(_config(campaign)) as running:
        headers = session_cookie(running)
        assert post_form(running, "/verdicts/set", fields, headers).status == 403
        assert post_form(running, "/verdicts/set", {**fields, "csrf": "0" * 64}, headers).status == 403
        assert post_form(running, "/verdicts/confirm", {**fields, "verdict": "unclear"}, headers).status == 403
    assert len(_cli_verdicts(campaign)) == 3
    with serving(_config(campaign), read_only=True) as running:
        headers = session_cookie(running)
        page = http(running, "GET", "/review", headers=headers)
        assert page.status == 200 and b'id="verdict-count">3 verdicts wait' in page.body
        assert b'action="/verdicts/' not in page.body  # no form to act with
        for path in ("/verdicts/set", "/verdicts/confirm"):
            answer = post_form(running, path, {**fields, "csrf": running.workspace.keys.csrf}, headers)
            assert answer.status == 403 and b"read-only" in answer.body
    assert len(_cli_verdicts(campaign)) == 3


HOSTILE = """Dear Sam Campaigner,

1. <script>alert('verdict')</script> Details are kept in the <b>register</b> <img src=x onerror="alert(2)"> \
and at <a href="javascript:alert(3)">this page</a>.

2. <style>body{display:none}</style> Please refer to the answer above.

3. The council works with &lt;partners&gt; &amp; others.

Kind regards
Information Team
"""


def _deliver_hostile(campaign: PublishCampaign) -> str:
    """A reply for the request that had none, whose answers carry markup; filed by the poller's filing."""
    config = _config(campaign)
    store = open_store(config.database_path, config.files_dir)
    reference = store.db.execute("SELECT reference FROM requests WHERE authority_id = ?", [SILENT[0]]).fetchone()[0]
    msg = EmailMessage()
    msg["From"] = f"Information Team <{SILENT[2]}>"
    msg["To"] = f"sam+{reference.lower()}@campaign.example"
    msg["Subject"] = f"RE: Freedom of Information request [ref {reference}]"
    msg["Date"] = format_datetime(datetime(2026, 3, 28, 11, 0, tzinfo=UTC))
    msg["Message-ID"] = "<hostile-verdict@quiet.gov.uk>"
    msg.set_content(HOSTILE)
    raw = msg.as_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    with store.transaction():
        store.db.execute("INSERT INTO messages (direction, state, dedupe_key, sha256, size, raw, created_at, triage) "
                         "VALUES ('in', 'stored', ?, ?, ?, ?, ?, 0)", [f"sha:{digest}", digest, len(raw), raw,
                                                                      iso(FILED)])
    file_stored(store, config, FILED)
    store.close()
    return reference


def test_every_piece_of_a_waiting_verdict_is_escaped(campaign: PublishCampaign, chromium) -> None:
    reference = _deliver_hostile(campaign)
    hostile = [v for v in _cli_verdicts(campaign) if v["request"] == reference]
    assert hostile and any("<script>" in v["answer"] for v in hostile), hostile
    with serving(_config(campaign)) as running:
        w = open_page(chromium, running)
        page = w.page
        assert "<script>alert('verdict')</script>" in page.locator("#today-verdicts").inner_text()
        assert page.locator("main script, main img, main style, a[href^=javascript]").count() == 0
        nav(page, "Review")
        for v in hostile:
            article = page.locator(f"#v-{v['request']}-{v['question']}")
            assert article.locator(".answer").inner_text() == v["answer"]  # shown as the words it is
            assert article.locator("script, img, style, b, a[href^=javascript]").count() == 0
        assert page.locator("main script, main img, main style, a[href^=javascript]").count() == 0
        shoot(page, "workspace-review-verdicts")
        assert page.locator("body").is_visible()
        assert w.errors == [] and w.dialogs == []
        html = http(running, "GET", "/review", headers=session_cookie(running)).body
        assert b"<script>alert" not in html and b"&lt;script&gt;alert(&#39;verdict&#39;)" in html
        assert b"&amp;lt;partners&amp;gt;" in html or b"&lt;partners&gt;" in html
