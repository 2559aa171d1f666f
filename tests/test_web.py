"""The workspace clicked through in a real headless Chromium, checked in the database and at the SMTP server.

review (the queue `foibot review` lists) -> confirm; triage -> assign (the likely request offered first); withdraw -> no chaser leaves; bulk hold
of the Scottish requests; approve the chasers -> each arrives at the server once; the request list's filters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.mail import LATER_REFUSAL, SURE_NOT_HELD, VAGUE_REPLY, dsn, reply
from support.run import foibot
from support.web import NOW, PHONE, WebCampaign, build, go, nav, no_horizontal_scroll, open_page, shoot

from foibot.web import serving


@pytest.fixture
def web(tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch) -> WebCampaign:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    return build(tmp_path, smtp_server)


def cli_queue(web: WebCampaign) -> list[dict]:
    """What `foibot review --json` lists, run as a campaigner runs it."""
    done = foibot("--config", str(web.campaign.folder / "config.toml"), "review", "--json")
    assert done.code == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_browser_shows_the_cli_review_queue_and_confirm_releases_the_ladder(web: WebCampaign, chromium,
                                                                             smtp_server) -> None:
    vague = web.reply_to("barnet", VAGUE_REPLY)  # unsure: waits
    web.reply_to("kent", SURE_NOT_HELD)  # sure: never listed
    changed = web.reply_to("kent", LATER_REFUSAL, subject=f"Further records [ref {web.requests['kent']['reference']}]")
    queue = cli_queue(web)
    assert [i["message"] for i in queue] == [vague, changed]
    assert queue[0]["reason"].startswith("low confidence") and "not_held to refused" in queue[1]["reason"]
    barnet = web.requests["barnet"]["reference"]
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        assert "2\nreadings to review" in page.locator(".cards").inner_text()
        nav(page, "Review")
        assert page.locator("#review-count").inner_text().startswith("2 readings wait")
        shown = page.locator("article.item")
        assert [a.get_attribute("id") for a in shown.all()] == [f"m{i['message']}" for i in queue]
        for item in queue:  # the same reasons and evidence as the CLI, word for word
            article = page.locator(f"#m{item['message']}")
            assert article.locator(".reason").inner_text() == f"Why it waits: {item['reason']}"
            assert article.locator(".evidence li").all_inner_texts() == item["evidence"]
            assert f"Read as {item['kind'].replace('_', ' ')} ({item['confidence']:.2f})" in article.inner_text()
        # Held: the ladder will not chase Barnet while its reading waits.
        nav(page, "Chase")
        held = page.locator("table.list").nth(1).inner_text()
        assert barnet in held and "waits for review" in held
        # Confirm Barnet's reading in the browser, correct Kent's (it really was the refusal: confirm it too).
        page.goto(running.base + "/review")
        go(page, page.locator(f"#m{vague}").get_by_role("button", name=f"Confirm: {queue[0]['kind'].replace('_', ' ')}"))
        assert f"Message {vague}: reading confirmed" in page.locator(".flash").inner_text()
        assert [a.get_attribute("id") for a in page.locator("article.item").all()] == [f"m{changed}"]
        assert cli_queue(web) == queue[1:]  # `foibot review` no longer lists it
        page.locator(f"#m{changed}").locator("select[name=kind]").select_option("refused")
        go(page, page.locator(f"#m{changed}").get_by_role("button", name="Set"))
        assert "outcome refused" in page.locator(".flash").inner_text()
        assert "Nothing waits for review" in page.locator("main").inner_text()
        assert cli_queue(web) == []
        nav(page, "Today")
        assert "0\nreadings to review" in page.locator(".cards").inner_text()
        # The ladder no longer holds Barnet: its reminder is on the list and arrives once when approved.
        nav(page, "Chase")
        going = page.locator("table.list").first.inner_text()
        assert barnet in going and web.requests["kent"]["reference"] not in going
        assert page.get_by_text("Held for now").count() == 0
        go(page, page.get_by_role("button", name="Approve and send 4 chasers"))
        assert "sent 4 reminders" in page.locator(".flash").inner_text()
        assert w.errors == [] and w.dialogs == []
    assert len(smtp_server.messages_to(web.requests["barnet"]["authority_email"])) == 1
    assert not smtp_server.messages_to(web.requests["kent"]["authority_email"])
    events = [(e["message_id"], e["type"], e["source"]) for e in web.store.db.query(
        "SELECT message_id, type, source FROM events WHERE type LIKE 'review_%' ORDER BY id")]
    assert events == [(vague, "review_confirmed", "manual"), (changed, "review_set", "manual")]  # as the CLI records
    assert web.request("kent")["outcome"] == "refused" and web.request("kent")["outcome_confirmed"] == 1


def test_triage_offers_the_authority_the_message_names_and_assigns(web: WebCampaign, chromium) -> None:
    number = web.deliver(reply(from_addr="j.smith@outsourced-records.example", to="campaigner@foibot.test",
                               subject="Your information request",
                               body="I am writing on behalf of Glasgow City Council about your request. "
                                    "We hold no information about Fusus."))
    junk = web.deliver(reply(from_addr="news@shop.example", to="campaigner@foibot.test", subject="Spring sale",
                             body="Half price this week only."))
    assert web.row("SELECT triage FROM messages WHERE id = ?", [number])["triage"] == 1
    glasgow = web.requests["glasgow"]["reference"]
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        nav(page, "Triage")
        item = page.locator(f"#m{number}")
        first = item.get_by_role("button").first
        assert first.inner_text() == f"File under {glasgow} (Glasgow City Council)"
        # The newsletter is nobody's: dismissed, it stops being listed.
        go(page, page.locator(f"#m{junk}").get_by_role("button", name="Dismiss: nobody's"))
        assert f"Message {junk} dismissed" in page.locator(".flash").inner_text()
        assert page.locator(f"#m{junk}").count() == 0
        go(page, page.locator(f"#m{number}").get_by_role("button").first)
        assert f"filed under {glasgow}" in page.locator(".flash").inner_text()
        assert "Nothing waits in triage" in page.locator("main").inner_text()
        assert w.errors == []
    filed = web.row("SELECT request_id, triage, match_method FROM messages WHERE id = ?", [number])
    assert filed == {"request_id": web.requests["glasgow"]["id"], "triage": 0, "match_method": "manual"}
    assert web.request("glasgow")["outcome"] == "not_held"
    assert web.row("SELECT triage, match_method FROM messages WHERE id = ?", [junk]) == {
        "triage": 0, "match_method": "dismissed"}


def test_withdraw_then_no_chaser_leaves_and_approved_chasers_arrive_once(web: WebCampaign, chromium,
                                                                       smtp_server) -> None:
    camden = web.requests["camden"]
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        page.goto(f"{running.base}/r/{camden['reference']}")
        go(page, page.get_by_role("button", name="Withdraw"))
        assert "withdrawn: no more chasers will go" in page.locator(".flash").inner_text()
        nav(page, "Chase")
        listed = page.locator("table.list").first.inner_text()
        assert camden["reference"] not in listed
        assert all(web.requests[a]["reference"] in listed for a in ("barnet", "glasgow", "edinburgh", "kent"))
        stale = page.context.new_page()  # the same list open in a second tab
        stale.goto(running.base + "/chase")
        go(page, page.get_by_role("button", name="Approve and send 4 chasers"))
        assert "sent 4 reminders" in page.locator(".flash").inner_text()
        assert "Nothing is due now" in page.locator("main").inner_text()
        # Approving the old list again (the second tab, a double click) sends nothing more.
        go(stale, stale.get_by_role("button", name="Approve and send 4 chasers"))
        assert "changed from 4 to 0" in stale.locator(".flash").inner_text()
        assert w.errors == []
    received = sorted(m.to for m in smtp_server.received)
    assert received == sorted(f"foi@{a}.gov.uk" for a in ("barnet", "glasgow", "edinburgh", "kent"))
    assert not smtp_server.messages_to(camden["authority_email"])
    assert web.request("camden")["status"] == "withdrawn"
    assert web.row("SELECT source FROM events WHERE type = 'withdrawn'") == {"source": "manual"}


def test_bulk_hold_of_every_scottish_request(web: WebCampaign, chromium, smtp_server) -> None:
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        nav(page, "Requests")
        page.locator("select[name=jurisdiction]").select_option("scotland")
        go(page, page.get_by_role("button", name="Show"))
        assert page.locator("#count").inner_text().startswith("2 of 5 requests")
        page.locator("form.bulk select[name=action]").select_option("hold")
        go(page, page.get_by_role("button", name="Review and confirm"))
        assert page.locator("h1").inner_text() == "Hold 2 requests?"
        go(page, page.get_by_role("button", name="Yes: hold 2 requests"))
        assert "On hold: 2 requests." in page.locator(".flash").inner_text()
        nav(page, "Chase")
        go(page, page.get_by_role("button", name="Approve and send 3 chasers"))
        assert w.errors == []
    held = {r["authority_id"]: r["on_hold"] for r in web.store.db.query("SELECT authority_id, on_hold FROM requests")}
    assert held == {"barnet": 0, "camden": 0, "glasgow": 1, "edinburgh": 1, "kent": 0}
    assert sorted(m.to for m in smtp_server.received) == ["foi@barnet.gov.uk", "foi@camden.gov.uk",
                                                             "foi@kent.gov.uk"]
    assert [r["type"] for r in web.store.db.query("SELECT type FROM events WHERE type = 'hold'")] == ["hold"] * 2


def test_request_list_filters_sorts_and_opens_a_timeline(web: WebCampaign, chromium) -> None:
    web.reply_to("kent", "We do not hold the information you asked for. Our ref: FOI-2023-0042.")
    kent = web.requests["kent"]["reference"]
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        page.goto(running.base + "/requests?outcome=not_held")
        assert page.locator("#count").inner_text().startswith("1 of 5")
        page.goto(running.base + "/requests?status=overdue&sort=authority&desc=1")
        names = page.locator("tbody tr td:nth-child(2)").all_inner_texts()
        assert [n.split(" council")[0] for n in names] == sorted([n.split(" council")[0] for n in names],
                                                                 reverse=True)
        assert len(names) == 4
        page.goto(running.base + "/requests?q=kent")
        go(page, page.get_by_role("link", name=kent))
        timeline = page.locator("ol.timeline").inner_text()
        assert "request sent" in timeline and "reply: not held" in timeline
        assert "FOI-2023-0042" in page.locator("dl.facts").inner_text()
        assert re.search(r"due 2023-05-17", page.locator("dl.facts").inner_text())
        assert w.errors == []


CLARIFY = ("Dear Requester,\n\nBefore we can answer your request, could you please clarify which period your "
           "request covers? The clock stops until we hear from you.\n\nInformation Governance Team\n")


def test_today_shows_what_needs_the_campaigner(web: WebCampaign, chromium) -> None:
    camden = web.requests["camden"]
    web.deliver(dsn(failed=camden["authority_email"], original_message_id=web.row(
        "SELECT message_id FROM messages WHERE request_id = ? AND direction = 'out'", [camden["id"]])["message_id"],
        original_subject=f"Freedom of Information request: Fusus [ref {camden['reference']}]",
        to="campaigner@foibot.test"))
    web.reply_to("glasgow", CLARIFY)
    web.reply_to("barnet", VAGUE_REPLY)
    web.deliver(reply(from_addr="news@shop.example", to="campaigner@foibot.test", subject="Spring sale",
                      body="Half price this week only."))
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        cards = page.locator(".cards").inner_text()
        for count in ("1\nreading to review", "1\nin triage", "1\nclarification to answer", "1\nbounced",
                      "2\nchasers due now", "3\nlate"):
            assert count in cards, (count, cards)
        assert page.locator("#today-review").inner_text().startswith("London Borough of Barnet: read as")
        assert "low confidence" in page.locator("#today-review").inner_text()
        assert "Spring sale" in page.locator("#today-triage").inner_text()
        assert page.locator("#today-clarifications").inner_text().startswith("Glasgow City Council")
        bounced = page.locator("#today-bounces").inner_text()
        assert bounced.startswith("London Borough of Camden") and "550 5.1.1" in bounced
        # The ladder: Edinburgh's and Kent's reminders go now, Barnet's waits for its review, and what comes next.
        assert page.locator("#due-now").inner_text().startswith("2 due now")
        held = page.locator("#held-now").inner_text()
        assert held.startswith("1 owed but held: reminder to London Borough of Barnet") and "review" in held
        coming = page.locator("#coming").all_inner_texts()[0].splitlines()
        assert "2023-06-15: internal review to Kent County Council" in coming
        late = page.locator("#today-late tbody").inner_text()
        assert all(name in late for name in ("City of Edinburgh Council", "Kent County Council",
                                             "London Borough of Barnet"))
        counts = page.locator("#today-counts").inner_text()
        assert "5 requests." in counts and "awaiting clarification\t1" in counts and "failed\t1" in counts
        assert "overdue\t3" in counts and "none yet\t5" in counts
        # Each count leads to its list.
        go(page, page.locator(".cards").get_by_role("link", name="1 bounced"))
        assert page.locator("#count").inner_text().startswith("1 of 5")
        assert w.errors == []
        # With something in every list, every page still fits a phone (the demo's triage is empty).
        phone = open_page(chromium, running, *PHONE)
        for name, path in (("today", "/"), ("review", "/review"), ("triage", "/triage"), ("chase", "/chase"),
                           ("request", f"/r/{camden['reference']}"), ("requests", "/requests?status=overdue")):
            phone.page.goto(running.base + path)
            scroll, client = no_horizontal_scroll(phone.page)
            assert scroll <= client, f"{name} scrolls sideways on a phone ({scroll} > {client})"
            shoot(phone.page, f"busy-{name}-phone")
        assert phone.errors == []


def test_triage_files_by_the_authority_id_and_offers_the_domain_it_mentions(web: WebCampaign, chromium) -> None:
    unnamed = web.deliver(reply(from_addr="pat.jones@mail-host.example", to="campaigner@foibot.test",
                                subject="your question", body="We do not hold any information about Fusus."))
    mentions = web.deliver(reply(from_addr="clerk@records-team.example", to="campaigner@foibot.test",
                                 subject="FOI", body="Please send future mail to foi@camden.gov.uk instead."))
    camden, edinburgh = web.requests["camden"], web.requests["edinburgh"]
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        nav(page, "Triage")
        first = page.locator(f"#m{mentions}").get_by_role("button").first
        assert first.inner_text() == f"File under {camden['reference']} (London Borough of Camden)"
        assert "the message mentions" in page.locator(f"#m{mentions}").inner_text()
        # The message names nobody: the campaigner knows it is Edinburgh's and types the authority's id.
        page.locator(f"#m{unnamed}").locator("input[name=target]").fill("edinburgh")
        go(page, page.locator(f"#m{unnamed}").get_by_role("button", name="File", exact=True))
        assert f"filed under {edinburgh['reference']}" in page.locator(".flash").inner_text()
        assert page.locator(f"#m{unnamed}").count() == 0
        # The whole text of a waiting message, from its page.
        go(page, page.locator(f"#m{mentions}").get_by_role("link").first)
        assert "foi@camden.gov.uk instead" in page.locator("pre.body").inner_text()
        assert w.errors == []
    assert web.row("SELECT request_id, triage FROM messages WHERE id = ?", [unnamed]) == {
        "request_id": edinburgh["id"], "triage": 0}
    assert web.request("edinburgh")["outcome"] == "not_held"
    assert web.row("SELECT type, source FROM events WHERE message_id = ? AND type = 'reply_assigned'",
                   [unnamed])["source"] == "manual"


def test_outputs_download_the_same_csv_and_report_as_the_cli(web: WebCampaign, chromium, tmp_path: Path) -> None:
    web.reply_to("kent", SURE_NOT_HELD)
    config = str(web.campaign.folder / "config.toml")
    exported = foibot("--config", config, "export", "-o", str(tmp_path / "cli.csv"))
    assert exported.code == 0, exported.stderr
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        nav(page, "Outputs")
        with page.expect_download() as csv_download:
            page.get_by_role("link", name="The outcome CSV").click()
        with page.expect_download() as report_download:
            page.get_by_role("link", name="report").last.click()
        assert w.errors == []
    got = csv_download.value
    assert got.suggested_filename == "outcomes.csv"
    assert Path(got.path()).read_bytes() == (tmp_path / "cli.csv").read_bytes()  # byte for byte `foibot export`
    assert "not_held" in Path(got.path()).read_text(encoding="utf-8")
    report = report_download.value
    assert report.suggested_filename == "report-fusus.html"
    assert "Kent County Council" in Path(report.path()).read_text(encoding="utf-8")


def test_clarified_hold_and_resume_on_one_request(web: WebCampaign, chromium, smtp_server) -> None:
    glasgow, kent = web.requests["glasgow"], web.requests["kent"]
    web.reply_to("glasgow", CLARIFY)
    assert web.request("glasgow")["status"] == "awaiting_clarification"
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        page.goto(f"{running.base}/r/{glasgow['reference']}")
        page.locator("input[name=on]").fill("2023-05-22")
        go(page, page.get_by_role("button", name="Clarified: restart the clock"))
        flash = page.locator(".flash").inner_text()
        assert flash.startswith("Clock restarted: the response is now due on 2023-06-")
        due = flash.rsplit(" ", 1)[1].rstrip(".")
        assert f"due {due}" in page.locator("dl.facts").inner_text()
        nav(page, "Today")
        assert "0\nclarifications to answer" in page.locator(".cards").inner_text()
        # Hold one request, and its reminder stays; resume it, and it goes.
        page.goto(f"{running.base}/r/{kent['reference']}")
        go(page, page.get_by_role("button", name="Hold chasing"))
        assert "on hold: no chasers until you resume it" in page.locator(".flash").inner_text()
        assert "on hold" in page.locator("dl.facts").inner_text()
        nav(page, "Chase")
        assert kent["reference"] not in page.locator("table.list").first.inner_text()
        page.goto(f"{running.base}/r/{kent['reference']}")
        go(page, page.get_by_role("button", name="Resume chasing"))
        assert "will be chased again when due" in page.locator(".flash").inner_text()
        nav(page, "Chase")
        assert kent["reference"] in page.locator("table.list").first.inner_text()
        assert glasgow["reference"] not in page.locator("table.list").first.inner_text()  # not due: clock restarted
        go(page, page.get_by_role("button", name="Approve and send 4 chasers"))
        assert w.errors == []
    assert len(smtp_server.messages_to(kent["authority_email"])) == 1
    assert not smtp_server.messages_to(glasgow["authority_email"])
    row = web.request("glasgow")
    assert row["status"] == "awaiting_response" and row["clarification_answered_at"].startswith("2023-05-22")
    types = [e["type"] for e in web.store.db.query("SELECT type FROM events WHERE source = 'manual' ORDER BY id")]
    assert types == ["clarification_answered", "hold", "resume"], types  # what `foibot clarified`, `hold`, `resume` record


def test_a_bounce_is_re_addressed_from_today_and_arrives_once(web: WebCampaign, chromium, smtp_server) -> None:
    camden = web.requests["camden"]
    web.deliver(dsn(failed=camden["authority_email"], original_message_id=web.row(
        "SELECT message_id FROM messages WHERE request_id = ? AND direction = 'out'", [camden["id"]])["message_id"],
        original_subject=f"Freedom of Information request: Fusus [ref {camden['reference']}]",
        to="campaigner@foibot.test"))
    assert web.request("camden")["status"] == "failed"
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        go(page, page.locator("#today-bounces").get_by_role("link", name="re-address"))
        page.locator("#readdress input[name=address]").fill("foi@camden.gov.uk")  # the same: refused, says why
        go(page, page.get_by_role("button", name="Re-address and send"))
        assert "was sent to foi@camden.gov.uk already" in page.locator(".flash").inner_text()
        page.locator("#readdress input[name=address]").fill("information.requests@camden.gov.uk")
        go(page, page.get_by_role("button", name="Re-address and send"))
        assert (f"{camden['reference']} (London Borough of Camden): sent again to information.requests@camden.gov.uk "
                "instead of foi@camden.gov.uk.") == page.locator(".flash").inner_text()
        assert page.locator("#readdress").count() == 0  # no longer failed
        nav(page, "Today")
        assert "0\nbounced" in page.locator(".cards").inner_text()
        assert w.errors == []
    (sent,) = smtp_server.messages_to("information.requests@camden.gov.uk")
    assert camden["reference"] in str(sent.message["Subject"])  # the same request, same reference
    assert [m.to for m in smtp_server.received] == ["information.requests@camden.gov.uk"]
    row = web.request("camden")
    assert row["status"] == "awaiting_response" and row["authority_email"] == "information.requests@camden.gov.uk"
