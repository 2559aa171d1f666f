"""The workspace's locks, tried as an attacker would: no token, a wrong token, a rebinding Host, a form without
its CSRF token or from another site, a read-only workspace, hostile file names; and a hostile reply shown in
a real Chromium, where it must read as text and run nothing."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from support.mail import reply
from support.web import NOW, WebCampaign, build, http, nav, open_page, post_form, session_cookie

from foibot.web import serving

HOSTILE = ('<script>window.__pwned = 1</script> <a href="javascript:window.__pwned=2">click me</a> '
           '<style>main { display: none }</style> <img src=x onerror="window.__pwned=3"> '
           '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:red">cover</div> '
           '{{ 7*7 }} &lt;b&gt;')


@pytest.fixture
def web(tmp_path: Path, smtp_server, monkeypatch: pytest.MonkeyPatch) -> WebCampaign:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    return build(tmp_path, smtp_server)


def test_every_request_needs_the_token(web: WebCampaign) -> None:
    with serving(web.config) as running:
        for path in ("/", "/requests", "/outcomes.csv", "/report.html", "/static/workspace.css", "/files/1"):
            answer = http(running, "GET", path)
            assert answer.status == 403, path
            assert b"FB-" not in answer.body and b"Barnet" not in answer.body
        assert http(running, "GET", "/?token=wrong-" + running.workspace.keys.token).status == 403
        assert http(running, "GET", "/", headers={"Cookie": f"{running.workspace.keys.cookie}=guess"}).status == 403
        first = http(running, "GET", "/requests?" + urlencode({"token": running.workspace.keys.token, "q": "x"}))
        assert first.status == 303
        assert first.headers["location"] == "/requests?q=x"  # the token leaves the address at once
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert http(running, "GET", "/requests", headers=session_cookie(running)).status == 200


def test_the_report_download_is_redacted_like_foibot_report(web: WebCampaign) -> None:
    """Outputs' report is the one `foibot report` writes: an officer's name, direct address and phone number
    in a reply are gone; the authority's name and its FOI address stay."""
    web.reply_to("barnet", "Dear Alex Campaigner,\n\nThe council does not hold any information about Fusus.\n\n"
                           "Yours sincerely,\n\nJanet Ormsby\nInformation Governance Officer\n"
                           "janet.ormsby@barnet.gov.uk | 020 7946 0999\n")
    with serving(web.config) as running:
        answer = http(running, "GET", "/report.html", headers=session_cookie(running))
    assert answer.status == 200
    page = answer.body.decode("utf-8")
    for personal in ("Janet Ormsby", "janet.ormsby@", "020 7946 0999", "Alex Campaigner"):
        assert personal not in page, personal
    assert "London Borough of Barnet" in page and "foi@barnet.gov.uk" in page and "[phone redacted]" in page


def test_the_printed_address_is_the_contract_line(web: WebCampaign) -> None:
    with serving(web.config) as running:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{20,}", running.url)


def test_a_wrong_host_header_is_refused(web: WebCampaign) -> None:
    with serving(web.config) as running:
        headers = session_cookie(running)
        port = urlsplit(running.base).port
        for host in (f"evil.example:{port}", "127.0.0.1", f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}"):
            answer = http(running, "GET", "/", headers={**headers, "Host": host})
            assert answer.status == 400, host
            assert b"Barnet" not in answer.body
        assert http(running, "GET", "/", headers={**headers, "Host": f"localhost:{port}"}).status == 200


def test_forms_need_their_csrf_token_and_our_origin(web: WebCampaign) -> None:
    camden = web.requests["camden"]["reference"]
    with serving(web.config) as running:
        headers = session_cookie(running)
        path = f"/r/{camden}/act"
        assert post_form(running, path, {"action": "withdraw"}, headers).status == 403
        assert post_form(running, path, {"action": "withdraw", "csrf": "0" * 64}, headers).status == 403
        csrf = running.workspace.keys.csrf
        foreign = post_form(running, path, {"action": "withdraw", "csrf": csrf}, {**headers, "Origin": "http://evil.example"})
        assert foreign.status == 403
        assert web.request("camden")["status"] == "awaiting_response"
        done = post_form(running, path, {"action": "withdraw", "csrf": csrf}, headers)
        assert done.status == 303
    assert web.request("camden")["status"] == "withdrawn"


def test_read_only_shows_but_never_changes(web: WebCampaign) -> None:
    camden = web.requests["camden"]["reference"]
    with serving(web.config, read_only=True) as running:
        headers = session_cookie(running)
        page = http(running, "GET", f"/r/{camden}", headers=headers)
        assert page.status == 200 and b"read-only" in page.body
        assert b'method="post"' not in page.body
        answer = post_form(running, f"/r/{camden}/act", {"action": "withdraw", "csrf": running.workspace.keys.csrf},
                       headers)
        assert answer.status == 403 and b"read-only" in answer.body
        chase = post_form(running, "/chase/send", {"expected": "5", "csrf": running.workspace.keys.csrf}, headers)
        assert chase.status == 403
    assert web.request("camden")["status"] == "awaiting_response"


def test_every_answer_carries_a_strict_policy(web: WebCampaign) -> None:
    with serving(web.config) as running:
        headers = session_cookie(running)
        for path in ("/", "/requests", "/triage", "/static/workspace.css", "/nowhere"):
            answer = http(running, "GET", path, headers=headers)
            policy = answer.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
            assert "frame-ancestors 'none'" in policy
            assert answer.headers["x-content-type-options"] == "nosniff"
        assert b"<script" not in http(running, "GET", "/", headers=headers).body  # no script at all, inline or not


def test_attachments_are_downloads_with_a_safe_name_and_type(web: WebCampaign) -> None:
    number = web.reply_to("barnet", "We do not hold the information. Please see the attached letter.",
                          attachments=[('../../<img src=x onerror=alert(1)>.html', "text/html",
                                        b"<script>alert(1)</script>")])
    (attachment,) = web.store.db.query("SELECT id, stored_path FROM attachments WHERE message_id = ?", [number])
    with serving(web.config) as running:
        answer = http(running, "GET", f"/files/{attachment['id']}", headers=session_cookie(running))
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition.split("filename=", 1)[1] and "<" not in disposition
    assert "sandbox" in answer.headers["content-security-policy"]


def test_a_hostile_reply_reads_as_text_and_runs_nothing(web: WebCampaign, chromium) -> None:
    barnet = web.requests["barnet"]
    filed = web.reply_to("barnet", f"We do not hold the information.\n\n{HOSTILE}",
                         subject=f'RE: [ref {barnet["reference"]}] <img src=x onerror="window.__pwned=4">',
                         from_name='<script>window.__pwned=5</script>',
                         attachments=[('<img src=x onerror="window.__pwned=6">.pdf', "application/pdf", b"%PDF-1.4")])
    waiting = web.deliver(reply(from_addr="x@hostile.example", to="campaigner@foibot.test",
                                subject='<script>window.__pwned=7</script> javascript:alert(1)',
                                body=HOSTILE, html=f"<p>{HOSTILE}</p>"))
    assert web.row("SELECT triage FROM messages WHERE id = ?", [waiting])["triage"] == 1
    # One the reader is unsure of waits in the review queue, where its subject and evidence are shown too.
    kent = web.requests["kent"]["reference"]
    unsure = web.reply_to("kent", f"Hello,\n\nPlease see below.\n\n{HOSTILE}\n\nRegards",
                          subject=f'RE: [ref {kent}] <script>window.__pwned=8</script>')
    assert web.row("SELECT needs_review FROM messages WHERE id = ?", [unsure])["needs_review"] == 1
    with serving(web.config) as running:
        w = open_page(chromium, running)
        page = w.page
        for path in (f"/r/{barnet['reference']}", f"/messages/{filed}", f"/messages/{waiting}", "/triage", "/",
                     "/review", "/requests?q=%3Cscript%3E"):
            page.goto(running.base + path)
            assert page.evaluate("typeof window.__pwned") == "undefined", path
            assert page.locator("script").count() == 0, path
            assert page.locator("[onerror], [style], a[href^='javascript:'], img").count() == 0, path
            assert page.locator("main").is_visible(), path  # no stylesheet of theirs hid the page
        page.goto(f"{running.base}/messages/{filed}")
        body = page.locator("pre.body").inner_text()
        assert "<script>window.__pwned = 1</script>" in body
        assert '<a href="javascript:window.__pwned=2">click me</a>' in body
        assert "{{ 7*7 }} &lt;b&gt;" in body  # no template ran and no entity was decoded
        assert '<img src=x onerror="window.__pwned=6">.pdf' in page.locator("ul.files").inner_text()
        nav(page, "Triage")
        assert "<script>window.__pwned=7</script>" in page.locator(f"#m{waiting}").inner_text()
        nav(page, "Review")
        assert "<script>window.__pwned=8</script>" in page.locator(f"#m{unsure}").inner_text()
        assert w.errors == [] and w.dialogs == []


def test_bulk_withdraw_of_a_run_is_confirmed_and_never_unfiltered(web: WebCampaign) -> None:
    with serving(web.config) as running:
        headers = session_cookie(running)
        csrf = running.workspace.keys.csrf
        everything = post_form(running, "/requests/bulk", {"action": "withdraw", "csrf": csrf, "confirm": "yes",
                                                       "expected": "5"}, headers)
        assert everything.status == 303  # refused, back to the list with the reason
        assert http(running, "GET", everything.headers["location"], headers=headers).body.count(
            b"a bulk action never acts on every request at once") == 1
        asked = post_form(running, "/requests/bulk", {"action": "withdraw", "run": "fusus", "csrf": csrf}, headers)
        assert asked.status == 200 and b"Withdraw 5 requests?" in asked.body  # a confirmation, nothing done yet
        assert web.request("barnet")["status"] == "awaiting_response"
        stale = post_form(running, "/requests/bulk", {"action": "withdraw", "run": "fusus", "csrf": csrf,
                                                  "confirm": "yes", "expected": "4"}, headers)
        assert stale.status == 303 and web.request("barnet")["status"] == "awaiting_response"
        done = post_form(running, "/requests/bulk", {"action": "withdraw", "run": "fusus", "csrf": csrf,
                                                 "confirm": "yes", "expected": "5"}, headers)
        assert done.status == 303
    statuses = {r["status"] for r in web.store.db.query("SELECT status FROM requests")}
    assert statuses == {"withdrawn"}
    assert len(list(web.store.db.query("SELECT 1 FROM events WHERE type = 'withdrawn' AND source = 'manual'"))) == 5
