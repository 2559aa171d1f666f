"""The chase ladder on a real SQLite store built through the real store and outbox functions.

These tests stop at the outbox: a chaser "goes" when it is queued, and `accept()` marks queued chasers as
accepted by the server exactly as the mailer does. tests/test_chase_scenario.py drives the whole path
(real SMTP and IMAP servers, the commands, FOIBOT_NOW).
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.campaigns import StoreCampaign, when

from foibot import references
from foibot.chase.ladder import (
    ChaseItem,
    ChaseSettings,
    chase_due,
    plan,
    queue_chaser,
    record_review_requests,
    write_complaint,
)
from foibot.cli import cli
from foibot.errors import FoibotError, TemplateError
from foibot.lifecycle import cancel_stopped_chasers, record_clarified, set_hold, withdraw
from foibot.render import make_environment, template_dirs
from foibot.send.outbox import mark_sending, mark_sent, queued

SENT = "2023-04-17T10:00:00+01:00"  # due 2023-05-17 (FOIA and FOISA alike)


@pytest.fixture
def campaign(tmp_path: Path) -> StoreCampaign:
    return StoreCampaign.create(tmp_path)


def stages_at(c: StoreCampaign, now: str) -> dict[str, str]:
    """reference -> stage owed at `now` (held or not)."""
    return {i.reference: i.stage for i in plan(c.store, ChaseSettings.from_config(c.config), when(now))}


def act(c: StoreCampaign, now: str) -> list[ChaseItem]:
    """What `chase` does at `now`, stopping at the outbox; then the server accepts every queued chaser."""
    moment = when(now)
    settings = ChaseSettings.from_config(c.config)
    env = make_environment(template_dirs(c.config.base_dir))
    record_review_requests(c.store, moment)
    cancel_stopped_chasers(c.store, moment)
    items = [i for i in plan(c.store, settings, moment) if not i.held]
    for item in items:
        if item.stage == "complaint":
            write_complaint(c.store, c.config, settings, env, item, moment)
        else:
            queue_chaser(c.store, c.config, env, item, moment)
    for message in queued(c.store, ("reminder", "internal_review")):
        assert mark_sending(c.store, message, moment) == "go"
        mark_sent(c.store, message, moment, "250 accepted")
    record_review_requests(c.store, moment)
    return items


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


# --- when each stage is owed ----------------------------------------------------------------------------

# (sent, jurisdiction, now, stage owed or None); due dates counted by hand in test_deadlines.py
LADDER_DATES = [
    (SENT, "england", "2023-05-17T10:00", None),                 # the due date itself: not late yet
    (SENT, "england", "2023-05-18T10:00", "reminder"),           # the first working day after it
    (SENT, "england", "2023-06-14T10:00", "reminder"),           # 19 working days after: still the reminder
    (SENT, "england", "2023-06-15T10:00", "internal_review"),    # 20 working days after the due date
    ("2023-03-08", "england", "2023-04-06T10:00", None),         # due Thu 6 April 2023
    ("2023-03-08", "england", "2023-04-10T10:00", None),         # Easter Monday: still within the grace day
    ("2023-03-08", "england", "2023-04-11T10:00", "reminder"),   # Tuesday after Easter
    ("2023-03-08", "scotland", "2023-04-06T10:00", "reminder"),  # FOISA: St Patrick's Day counted, due 5 April
]


@pytest.mark.parametrize(("sent", "jurisdiction", "now", "stage"), LADDER_DATES)
def test_stage_owed_on_each_date(campaign: StoreCampaign, sent: str, jurisdiction: str, now: str,
                                 stage: str | None) -> None:
    request = campaign.send("barnet", sent, jurisdiction=jurisdiction)
    assert stages_at(campaign, now).get(request["reference"]) == stage


STOPS = [
    ("information_provided", {}, None),
    ("refused", {}, None),
    ("clarification_requested", {}, None),
    ("bounce", {}, None),
    ("acknowledgement", {}, "reminder"),  # an acknowledgement does not stop the ladder
    ("auto_reply", {}, "reminder"),
    ("extension", {"to": "2023-06-01"}, None),  # due moved to 1 June: not late on 18 May
]


@pytest.mark.parametrize(("kind", "facts", "stage"), STOPS, ids=[s[0] for s in STOPS])
def test_what_stops_the_ladder(campaign: StoreCampaign, kind: str, facts: dict[str, str], stage: str | None) -> None:
    request = campaign.send("barnet", SENT)
    campaign.reply(request["reference"], kind, "2023-05-02", **facts)
    assert stages_at(campaign, "2023-05-18T10:00").get(request["reference"]) == stage


def test_withdrawn_and_held_requests_are_not_chased(campaign: StoreCampaign) -> None:
    a = campaign.send("barnet", SENT)
    b = campaign.send("camden", SENT)
    d = campaign.send("dover", SENT)
    withdraw(campaign.store, a["reference"], when("2023-05-01"))
    set_hold(campaign.store, b["reference"].lower(), True, when("2023-05-01"))  # references are case-tolerant
    assert stages_at(campaign, "2023-05-18T10:00") == {d["reference"]: "reminder"}
    set_hold(campaign.store, b["reference"], False, when("2023-05-19"))
    assert stages_at(campaign, "2023-05-19T10:00") == {b["reference"]: "reminder", d["reference"]: "reminder"}
    events = [r["type"] for r in campaign.store.db.query(
        "SELECT type FROM events WHERE source = 'manual' ORDER BY id")]
    assert events == ["withdrawn", "hold", "resume"]
    assert campaign.request(a["reference"])["status"] == "withdrawn"


def test_extension_moves_the_reminder(campaign: StoreCampaign) -> None:
    request = campaign.send("barnet", SENT)
    campaign.reply(request["reference"], "extension", "2023-05-10", to="2023-06-14")
    ref = request["reference"]
    assert ref not in stages_at(campaign, "2023-06-14T10:00")
    assert stages_at(campaign, "2023-06-15T10:00")[ref] == "reminder"
    assert [i.stage for i in act(campaign, "2023-06-15T10:00")] == ["reminder"]
    body = parsed(campaign.outgoing("reminder")[0]["raw"]).get_body().get_content()  # type: ignore[union-attr]
    assert "10 May 2023" in body and "14 June 2023" in body


def test_clarification_stops_the_clock_and_the_answer_restarts_it(campaign: StoreCampaign) -> None:
    request = campaign.send("barnet", SENT)
    ref = request["reference"]
    campaign.reply(ref, "clarification_requested", "2023-04-20")
    assert stages_at(campaign, "2023-05-18T10:00") == {}
    due = record_clarified(campaign.store, ref, when("2023-04-24"), when("2023-04-25"))
    assert due.isoformat() == "2023-05-24"
    assert campaign.request(ref)["status"] == "awaiting_response"
    assert ref not in stages_at(campaign, "2023-05-24T10:00")
    assert stages_at(campaign, "2023-05-25T10:00")[ref] == "reminder"


@pytest.mark.parametrize(("answered", "message"), [
    ("2023-04-19", "cannot come before"),
    ("2023-05-30", "in the future"),
])
def test_clarified_refuses_impossible_dates(campaign: StoreCampaign, answered: str, message: str) -> None:
    request = campaign.send("barnet", SENT)
    campaign.reply(request["reference"], "clarification_requested", "2023-04-20")
    with pytest.raises(FoibotError, match=message):
        record_clarified(campaign.store, request["reference"], when(answered), when("2023-05-01"))


def test_clarified_without_a_clarification_request_is_refused(campaign: StoreCampaign) -> None:
    request = campaign.send("barnet", SENT)
    with pytest.raises(FoibotError, match="no clarification request is recorded"):
        record_clarified(campaign.store, request["reference"], when("2023-04-24"), when("2023-04-25"))
    with pytest.raises(FoibotError, match="no request 'FB-222222'"):
        withdraw(campaign.store, "FB-222222", when("2023-04-25"))


# --- office hours and working days ----------------------------------------------------------------------


@pytest.mark.parametrize(("now", "held"), [
    ("2023-05-18T08:59:00+01:00", "outside office hours"),
    ("2023-05-18T09:00:00+01:00", None),
    ("2023-05-18T16:59:00+01:00", None),
    ("2023-05-18T17:00:00+01:00", "outside office hours"),
    ("2023-05-20T10:00:00+01:00", "2023-05-20 is not a working day"),   # a Saturday
    ("2023-05-29T10:00:00+01:00", "2023-05-29 is not a working day"),   # spring bank holiday
])
def test_chasers_wait_for_office_hours_on_working_days(campaign: StoreCampaign, now: str, held: str | None) -> None:
    campaign.send("barnet", SENT)
    (item,) = plan(campaign.store, ChaseSettings.from_config(campaign.config), when(now))
    assert item.stage == "reminder"
    if held is None:
        assert item.held is None
    else:
        assert item.held is not None and item.held.startswith(held)


def test_a_scottish_chaser_may_go_on_easter_monday(campaign: StoreCampaign) -> None:
    english = campaign.send("barnet", "2023-03-01")
    scottish = campaign.send("glasgow", "2023-03-01", jurisdiction="scotland")
    items = {i.reference: i for i in plan(campaign.store, ChaseSettings.from_config(campaign.config),
                                          when("2023-04-10T10:00"))}
    assert items[scottish["reference"]].held is None
    assert items[english["reference"]].held == "2023-04-10 is not a working day"


def test_office_hours_and_timezone_are_configurable(tmp_path: Path) -> None:
    c = StoreCampaign.create(tmp_path, '[chase]\noffice_hours_start = "07:00"\noffice_hours_end = "08:00"\n'
                                  'timezone = "Europe/Paris"\n')
    c.send("barnet", SENT)
    (item,) = plan(c.store, ChaseSettings.from_config(c.config), when("2023-05-18T06:30:00+01:00"))
    assert item.held is None  # 07:30 in Paris
    (item,) = plan(c.store, ChaseSettings.from_config(c.config), when("2023-05-18T07:30:00+01:00"))
    assert item.held and "07:00-08:00 Europe/Paris" in item.held


# --- once per stage, the whole ladder ----------------------------------------------------------------


def test_the_whole_ladder_once_per_stage(campaign: StoreCampaign) -> None:
    english = campaign.send("barnet", SENT)
    scottish = campaign.send("glasgow", SENT, jurisdiction="scotland")
    campaign.reply(english["reference"], "acknowledgement", "2023-04-18")
    assert [i.stage for i in act(campaign, "2023-05-18T10:00")] == ["reminder", "reminder"]
    assert act(campaign, "2023-05-18T11:00") == []  # the same day again: nothing
    assert act(campaign, "2023-06-14T10:00") == []
    assert [i.stage for i in act(campaign, "2023-06-15T10:00")] == ["internal_review", "internal_review"]
    for request in (english, scottish):
        row = campaign.request(request["reference"])
        assert row["status"] == "internal_review" and row["review_requested_at"] == "2023-06-15T09:00:00+00:00"
    # 20 working days after asking: FOISA 13 July, FOIA 14 July (12 July, a Northern Irish holiday, is
    # skipped under FOIA).
    assert act(campaign, "2023-07-12T10:00") == []
    assert [(i.reference, i.stage) for i in act(campaign, "2023-07-13T10:00")] == [
        (scottish["reference"], "complaint")]
    assert [(i.reference, i.stage) for i in act(campaign, "2023-07-14T10:00")] == [
        (english["reference"], "complaint")]
    assert act(campaign, "2023-07-14T11:00") == []
    assert act(campaign, "2023-09-01T11:00") == []
    files = sorted(p.name for p in (campaign.folder / "complaints").iterdir())
    assert files == sorted([f"{english['reference']}-complaint-ico.txt",
                            f"{scottish['reference']}-complaint-sic.txt"])
    written = list(campaign.store.db.query("SELECT request_id FROM events WHERE type = 'complaint_written'"))
    assert len(written) == 2
    assert len(campaign.outgoing("reminder")) == 2 and len(campaign.outgoing("internal_review")) == 2


def test_a_late_start_sends_only_the_latest_stage(campaign: StoreCampaign) -> None:
    request = campaign.send("barnet", SENT)
    assert [i.stage for i in act(campaign, "2023-06-20T10:00")] == ["internal_review"]
    assert campaign.outgoing("reminder") == []
    assert act(campaign, "2023-06-21T10:00") == []
    assert campaign.request(request["reference"])["status"] == "internal_review"


def test_an_answer_after_the_review_request_stops_the_complaint(campaign: StoreCampaign) -> None:
    answered = campaign.send("barnet", SENT)
    reviewed = campaign.send("camden", SENT)
    act(campaign, "2023-06-15T10:00")
    campaign.reply(answered["reference"], "not_held", "2023-07-01")
    campaign.reply(reviewed["reference"], "internal_review_result", "2023-07-03")
    assert act(campaign, "2023-07-17T10:00") == []
    assert not (campaign.folder / "complaints").exists()


def test_disabled_stages_are_skipped(tmp_path: Path) -> None:
    c = StoreCampaign.create(tmp_path, "[chase]\nreminder = false\ncomplaint = false\n")
    c.send("barnet", SENT)
    assert act(c, "2023-05-18T10:00") == []
    assert [i.stage for i in act(c, "2023-06-15T10:00")] == ["internal_review"]
    assert act(c, "2023-07-17T10:00") == []


def test_chasing_switched_off(tmp_path: Path) -> None:
    c = StoreCampaign.create(tmp_path, "[chase]\nenabled = false\n")
    c.send("barnet", SENT)
    report = chase_due(c.store, c.config, when("2023-05-18T10:00"))
    assert report.planned == [] and report.summary() == "chasing is switched off ([chase] enabled = false)"


def test_a_queued_chaser_is_not_sent_after_an_answer(campaign: StoreCampaign) -> None:
    request = campaign.send("barnet", SENT)
    settings = ChaseSettings.from_config(campaign.config)
    env = make_environment(template_dirs(campaign.config.base_dir))
    (item,) = plan(campaign.store, settings, when("2023-05-18T10:00"))
    assert queue_chaser(campaign.store, campaign.config, env, item, when("2023-05-18T10:00")) is not None
    assert queue_chaser(campaign.store, campaign.config, env, item, when("2023-05-18T10:00")) is None
    campaign.reply(request["reference"], "information_provided", "2023-05-18T10:05")
    cancel_stopped_chasers(campaign.store, when("2023-05-18T10:10"))  # the reply itself may have done it
    (row,) = campaign.outgoing("reminder")
    assert row["state"] == "failed" and row["last_error"] == "not sent: a substantive reply came"
    assert queued(campaign.store) == []


# --- what a chaser says ---------------------------------------------------------------------------------


def test_reminder_is_short_threaded_and_cites_what_matters(campaign: StoreCampaign) -> None:
    request = campaign.send("barnet", SENT, name="London Borough of Barnet")
    ref = request["reference"]
    campaign.reply(ref, "acknowledgement", "2023-04-18")
    campaign.store.db["requests"].update(request["id"], {"authority_ref": "9645568"})
    act(campaign, "2023-05-18T10:00")
    (row,) = campaign.outgoing("reminder")
    (original,) = campaign.outgoing("request")
    message = parsed(row["raw"])
    assert message["In-Reply-To"] == original["message_id"]
    assert message["References"] == original["message_id"]
    assert message["Message-ID"] != original["message_id"]
    assert message["To"] == "foi@barnet.gov.example"
    assert ref in message["Subject"] and "9645568" in message["Subject"]
    body = message.get_body().get_content()  # type: ignore[union-attr]
    for needed in (ref, "9645568", "17 April 2023", "17 May 2023", "Section 10", "Freedom of Information Act 2000",
                   "London Borough of Barnet", "Alex Campaigner"):
        assert needed in body
    assert "Please tell me about Fusus" not in body  # nothing more of the thread
    assert len(body.split()) < 120


def test_scottish_review_request_is_a_section_20_requirement(campaign: StoreCampaign) -> None:
    campaign.send("glasgow", SENT, jurisdiction="scotland", name="Glasgow City Council")
    act(campaign, "2023-06-15T10:00")
    (row,) = campaign.outgoing("internal_review")
    body = parsed(row["raw"]).get_body().get_content()  # type: ignore[union-attr]
    assert "Freedom of Information (Scotland) Act 2002" in body
    assert "section 20" in body and "campaigner@foibot.test" in body and "Section 21" in body


def test_complaint_file_names_the_regulator_and_the_history(campaign: StoreCampaign) -> None:
    english = campaign.send("barnet", SENT)
    scottish = campaign.send("glasgow", SENT, jurisdiction="scotland")
    campaign.reply(english["reference"], "acknowledgement", "2023-04-18")
    for day in ("2023-05-18T10:00", "2023-06-15T10:00", "2023-07-17T10:00"):
        act(campaign, day)
    ico = (campaign.folder / "complaints" / f"{english['reference']}-complaint-ico.txt").read_text()
    sic = (campaign.folder / "complaints" / f"{scottish['reference']}-complaint-sic.txt").read_text()
    assert "Information Commissioner's Office" in ico and "section 50" in ico
    assert "Scottish Information Commissioner" in sic and "section 47" in sic
    for text, ref in ((ico, english["reference"]), (sic, scottish["reference"])):
        assert ref in text and "foibot has NOT sent it" in text
        assert "17 April 2023" in text and "18 May 2023" in text and "15 June 2023" in text
    assert "received: acknowledgement" in ico
    mode = (campaign.folder / "complaints" / f"{english['reference']}-complaint-ico.txt").stat().st_mode
    assert mode & 0o077 == 0  # the campaigner's name and address: readable by the owner only


def test_a_campaign_template_without_the_reference_is_refused(campaign: StoreCampaign) -> None:
    campaign.send("barnet", SENT)
    override = campaign.folder / "templates" / "chase" / "reminder"
    override.mkdir(parents=True)
    (override / "subject.j2").write_text("A gentle reminder")
    (override / "body.j2").write_text("Dear {{ authority.name }}, any news? {{ reference }}")
    report = chase_due(campaign.store, campaign.config, when("2023-05-18T10:00"))
    assert len(report.errors) == 1 and "must include the reference" in report.errors[0]
    assert campaign.outgoing("reminder") == []
    with pytest.raises(TemplateError):
        settings = ChaseSettings.from_config(campaign.config)
        (item,) = plan(campaign.store, settings, when("2023-05-18T10:00"))
        queue_chaser(campaign.store, campaign.config, make_environment(template_dirs(campaign.folder)), item,
                     when("2023-05-18T10:00"))


# --- dry run and the commands ---------------------------------------------------------------------------


def test_dry_run_lists_who_what_why_and_writes_nothing(campaign: StoreCampaign, monkeypatch: pytest.MonkeyPatch) -> None:
    a = campaign.send("barnet", SENT)
    b = campaign.send("glasgow", "2023-03-01", jurisdiction="scotland")
    act(campaign, "2023-04-11T10:00")  # glasgow's reminder went
    before = campaign.store.db.execute("SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM events)"
                                       ).fetchone()
    monkeypatch.setenv("FOIBOT_CONFIG", str(campaign.folder / "config.toml"))
    monkeypatch.setenv("FOIBOT_NOW", "2023-05-18T10:00:00+01:00")
    result = CliRunner().invoke(cli, ["chase", "--dry-run"], obj={})
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "Dry run, nothing sent: would prepare 1 reminder, 1 internal review request"
    assert any(a["reference"] in ln and "reminder" in ln and "foi@barnet.gov.example" in ln
               and "due 2023-05-17" in ln for ln in lines)
    assert any(b["reference"] in ln and "internal_review" in ln and "(reminder sent 2023-04-11)" in ln
               for ln in lines)
    after = campaign.store.db.execute("SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM events)"
                                      ).fetchone()
    assert before == after


def test_dry_run_outside_office_hours_says_why_nothing_goes(campaign: StoreCampaign,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    campaign.send("barnet", SENT)
    monkeypatch.setenv("FOIBOT_CONFIG", str(campaign.folder / "config.toml"))
    monkeypatch.setenv("FOIBOT_NOW", "2023-05-20T10:00:00+01:00")
    result = CliRunner().invoke(cli, ["chase", "--dry-run"], obj={})
    assert result.exit_code == 0
    assert "[not now: 2023-05-20 is not a working day]" in result.output
    assert result.output.strip().endswith("1 held (2023-05-20 is not a working day)")


def test_commands_withdraw_hold_resume_clarified(campaign: StoreCampaign, monkeypatch: pytest.MonkeyPatch) -> None:
    a = campaign.send("barnet", SENT)
    b = campaign.send("camden", SENT)
    campaign.reply(b["reference"], "clarification_requested", "2023-04-20")
    monkeypatch.setenv("FOIBOT_CONFIG", str(campaign.folder / "config.toml"))
    monkeypatch.setenv("FOIBOT_NOW", "2023-04-25T10:00:00+01:00")
    runner = CliRunner()
    result = runner.invoke(cli, ["hold", a["reference"]], obj={})
    assert result.exit_code == 0 and "on hold" in result.output
    result = runner.invoke(cli, ["resume", a["reference"]], obj={})
    assert result.exit_code == 0 and campaign.request(a["reference"])["on_hold"] == 0
    result = runner.invoke(cli, ["clarified", b["reference"], "--on", "2023-04-24"], obj={})
    assert result.exit_code == 0, result.output
    assert "now due on 2023-05-24" in result.output
    result = runner.invoke(cli, ["clarified", b["reference"], "--on", "last tuesday"], obj={})
    assert result.exit_code == 2 and "not a date" in result.output
    result = runner.invoke(cli, ["withdraw", a["reference"]], obj={})
    assert result.exit_code == 0 and "withdrawn" in result.output
    assert campaign.request(a["reference"])["withdrawn_at"] == "2023-04-25T09:00:00+00:00"
    result = runner.invoke(cli, ["withdraw", "FB-NOPE22"], obj={})
    assert result.exit_code != 0


# --- through a real SMTP server -------------------------------------------------------------------------


def smtp_campaign(folder: Path, server: object) -> StoreCampaign:
    from support.smtp import toml_text

    return StoreCampaign.create(folder, toml_text({"smtp": server.smtp_section()}))  # type: ignore[attr-defined]


def test_chase_sends_through_the_server_once(tmp_path: Path, smtp_server: object) -> None:
    c = smtp_campaign(tmp_path, smtp_server)
    a = c.send("barnet", SENT)
    b = c.send("camden", SENT)
    report = chase_due(c.store, c.config, when("2023-05-18T10:00"))
    assert report.summary() == "sent 2 reminders" and not report.errors
    received = smtp_server.received  # type: ignore[attr-defined]
    assert sorted(r.rcpt_tos[0] for r in received) == ["foi@barnet.gov.example", "foi@camden.gov.example"]
    originals = {r["reference"]: r["message_id"] for r in c.outgoing("request")}
    for message in received:
        ref = references.find_references(message.subject)[0]
        assert ref in (a["reference"], b["reference"])
        assert message.header("In-Reply-To") == originals[ref] and ref in message.subject
    again = chase_due(c.store, c.config, when("2023-05-18T15:00"))
    assert again.summary() == "nothing due" and len(smtp_server.received) == 2  # type: ignore[attr-defined]
    assert {r["state"] for r in c.outgoing("reminder")} == {"sent"}


def test_a_chaser_the_server_defers_goes_at_the_next_run(tmp_path: Path, smtp_server: object) -> None:
    c = smtp_campaign(tmp_path, smtp_server)
    c.send("barnet", SENT)
    smtp_server.fail_next(4)  # type: ignore[attr-defined]  # 451 to each of the [smtp] max_attempts = 4
    report = chase_due(c.store, c.config, when("2023-05-18T10:00"))
    assert report.waiting == 1 and report.sent == {} and "1 to retry" in report.summary()
    assert [r["state"] for r in c.outgoing("reminder")] == ["queued"]
    report = chase_due(c.store, c.config, when("2023-05-18T11:00"))
    assert report.summary() == "sent 1 reminder"
    assert len(smtp_server.received) == 1  # type: ignore[attr-defined]
    assert chase_due(c.store, c.config, when("2023-05-19T11:00")).summary() == "nothing due"


def test_a_refused_chaser_is_reported_and_not_retried(tmp_path: Path, smtp_server: object) -> None:
    c = smtp_campaign(tmp_path, smtp_server)
    c.send("barnet", SENT)
    smtp_server.reject_recipient("foi@barnet.gov.example")  # type: ignore[attr-defined]
    report = chase_due(c.store, c.config, when("2023-05-18T10:00"))
    assert len(report.failed) == 1 and "550" in report.failed[0]
    assert chase_due(c.store, c.config, when("2023-05-19T10:00")).summary() == "nothing due"


@pytest.mark.parametrize(("toml", "message"), [
    ('office_hours_start = "17:00"\noffice_hours_end = "09:00"\n', "must be before office_hours_end"),
    ("review_after_working_days = 0\n", "[chase] review_after_working_days must be between 1 and 100"),
])
def test_a_bad_chase_section_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str,
                                                message: str) -> None:
    c = StoreCampaign.create(tmp_path, "[chase]\n" + toml)
    c.send("barnet", SENT)
    monkeypatch.setenv("FOIBOT_CONFIG", str(tmp_path / "config.toml"))
    result = CliRunner().invoke(cli, ["chase"], obj={})
    assert result.exit_code == 1 and isinstance(result.exception, FoibotError)
    assert message in str(result.exception) and str(tmp_path / "config.toml") in str(result.exception)


def test_office_hours_may_be_written_without_a_leading_zero(tmp_path: Path) -> None:
    c = StoreCampaign.create(tmp_path, '[chase]\noffice_hours_start = "8:30"\n')
    assert ChaseSettings.from_config(c.config).office_start.isoformat() == "08:30:00"
