"""The workspace clicked through in a real headless Chromium, checked in the database and at the SMTP server.

review -> confirm; triage -> assign (the likely request offered first); withdraw -> no chaser leaves; bulk hold
of the Scottish requests; approve the chasers -> each arrives at the server once; the request list's filters.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.mail import reply
from support.web import NOW, WebCampaign, build, nav, open_page

from foibot.web import serving


@pytest.fixture
def web(tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch) -> WebCampaign:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    return build(tmp_path, smtp_server)


def test_review_then_confirm(web: WebCampaign, chromium) -> None:
    number = web.reply_to("barnet", "Please find attached our response to your request.")
    reading = web.row("SELECT kind, confidence, kind_manual FROM messages WHERE id = ?", [number])
    assert reading["kind"] == "other" and reading["kind_manual"] == 0
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        assert "1\nreading to review" in page.locator(".cards").inner_text()
        nav(page, "Review")
        article = page.locator(f"#m{number}")
        assert "London Borough of Barnet" in article.inner_text()
        article.get_by_role("button", name="Confirm: other").click()
        assert "reading confirmed as other" in page.locator(".flash").inner_text()
        assert "Nothing to review" in page.locator("main").inner_text()
        # Correcting another reading: set it to what the reply really is, and the request follows.
        second = web.reply_to("kent", "Thank you for your email. I have passed it to the relevant team.")
        page.goto(running.base + "/review")
        page.locator(f"#m{second}").locator("select[name=kind]").select_option("not_held")
        page.locator(f"#m{second}").get_by_role("button", name="Set").click()
        assert w.errors == [] and w.dialogs == []
    assert web.row("SELECT kind, kind_manual FROM messages WHERE id = ?", [number]) == {"kind": "other",
                                                                                       "kind_manual": 1}
    assert web.request("kent")["outcome"] == "not_held"
    events = list(web.store.db.query("SELECT type, source FROM events WHERE message_id IN (?, ?) AND "
                                     "type = 'message_marked'", [number, second]))
    assert events == [{"type": "message_marked", "source": "manual"}] * 2  # what `foibot mark` records


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
        page.locator(f"#m{junk}").get_by_role("button", name="Dismiss: nobody's").click()
        assert f"Message {junk} dismissed" in page.locator(".flash").inner_text()
        assert page.locator(f"#m{junk}").count() == 0
        page.locator(f"#m{number}").get_by_role("button").first.click()
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
        page.get_by_role("button", name="Withdraw").click()
        assert "withdrawn: no more chasers will go" in page.locator(".flash").inner_text()
        nav(page, "Chase")
        listed = page.locator("table.list").first.inner_text()
        assert camden["reference"] not in listed
        assert all(web.requests[a]["reference"] in listed for a in ("barnet", "glasgow", "edinburgh", "kent"))
        stale = page.context.new_page()  # the same list open in a second tab
        stale.goto(running.base + "/chase")
        page.get_by_role("button", name="Approve and send 4 chasers").click()
        assert "sent 4 reminders" in page.locator(".flash").inner_text()
        assert "Nothing is due now" in page.locator("main").inner_text()
        # Approving the old list again (the second tab, a double click) sends nothing more.
        stale.get_by_role("button", name="Approve and send 4 chasers").click()
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
        page.get_by_role("button", name="Show").click()
        assert page.locator("#count").inner_text().startswith("2 of 5 requests")
        page.locator("form.bulk select[name=action]").select_option("hold")
        page.get_by_role("button", name="Review and confirm").click()
        assert page.locator("h1").inner_text() == "Hold 2 requests?"
        page.get_by_role("button", name="Yes: hold 2 requests").click()
        assert "On hold: 2 requests." in page.locator(".flash").inner_text()
        nav(page, "Chase")
        page.get_by_role("button", name="Approve and send 3 chasers").click()
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
        page.get_by_role("link", name=kent).click()
        timeline = page.locator("ol.timeline").inner_text()
        assert "request sent" in timeline and "reply: not held" in timeline
        assert "FOI-2023-0042" in page.locator("dl.facts").inner_text()
        assert re.search(r"due 2023-05-17", page.locator("dl.facts").inner_text())
        assert w.errors == []
