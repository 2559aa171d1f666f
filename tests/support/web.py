"""A real headless Chromium (Debian's `chromium`, driven by Playwright) and the workspace served on 127.0.0.1.

Loaded by tests/conftest.py as a pytest plugin. How to use it:

    def test_page(chromium, tmp_path):
        with serving(config) as running:              # foibot.web.serving: a free port, a thread
            page = open_page(chromium, running)       # a fresh browser context, logged in with the token
            page.get_by_role("link", name="Requests").click()

`chromium` is one browser per test module (Playwright's own browsers are never downloaded: the Debian one
is launched by path). `open_page(chromium, running, width=390)` gives a phone-sized page; every page fails
the test when the browser reports a script error or a dialog (nothing a reply says may run).
Screenshots go to tests/screenshots/ (ignored by git).

`session_cookie(running)` and `post_form(running, path, fields, headers)` talk to the workspace without a
browser (the security tests).

`open_file(chromium, path)` opens a page foibot wrote to disk (the report) and gives a `Seen`: every URL the
page asked for (its own included), script errors, console messages; the browser's own background traffic is
switched off by FLAGS, so any request is the page's doing.

`build(folder, smtp_server)` gives a `WebCampaign`: five requests recorded through the real store and outbox
(StoreCampaign), chasing through that SMTP server, and `deliver(raw)` / `reply_to(authority, body)` storing a
message as the poller does and filing it with the real filing (read, matched, classified).
"""

from __future__ import annotations

import hashlib
import http.client as httpclient
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from foibot.clock import iso
from foibot.collect.filing import file_stored

from .campaigns import StoreCampaign, when
from .mail import reply
from .smtp import toml_text

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"  # tests/screenshots/, as said above
LAPTOP = (1280, 800)
PHONE = (390, 844)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One browser per test module, not per session: Playwright's sync API keeps an asyncio loop running in
    the main thread while it is open, and `asyncio.run()` in a later module (the mailer's, the SMTP
    fixture's) fails under it; the report tests (demo, publish) run before those."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives the browser a fresh temporary profile of its own (it refuses --user-data-dir).
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@dataclass
class Watched:
    """A page and what the browser said while it was open: script errors, dialogs, console errors."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


def open_page(chromium: Any, running: Any, width: int = LAPTOP[0], height: int = LAPTOP[1]) -> Watched:
    """A new browser context at this size, given the token once (as a campaigner's first visit)."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watched = Watched(page)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    page.on("console", lambda msg: watched.console.append(msg.text) if msg.type == "error" else None)

    def dialog(d: Any) -> None:
        watched.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(running.url)
    return watched


@dataclass
class Seen:
    """A page opened from a file, and what happened while it loaded."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, its own included
    errors: list[str] = field(default_factory=list)  # script errors
    console: list[str] = field(default_factory=list)  # console messages (a script that ran would log here)


def open_file(chromium: Any, path: Path, width: int = LAPTOP[0], height: int = 900) -> Seen:
    """A page written to disk, opened in a new browser context; anything deferred has had its chance."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    seen = Seen(page, path.resolve().as_uri())
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on("console", lambda msg: seen.console.append(f"{msg.type}: {msg.text}"))
    page.goto(seen.url, wait_until="load")
    page.wait_for_timeout(300)  # an image, a font, a timer
    return seen


def nav(page: Any, name: str) -> None:
    """Follow one of the links at the top of every page (and wait for the page it leads to)."""
    go(page, page.locator("header nav").get_by_role("link", name=name, exact=True))


def go(page: Any, target: Any) -> None:
    """Click a link or a form's button and wait until the page it leads to has loaded: a locator used right
    after a bare click() may still find the old page (its flash, its tables)."""
    with page.expect_navigation():
        target.click()


def shoot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page: Any) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def http(running: Any, method: str, path: str, *, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> Answer:
    """One raw HTTP request to the workspace (no browser), for the checks a browser would never make."""
    where = urlsplit(running.base)
    conn = httpclient.HTTPConnection(where.hostname, where.port, timeout=30)
    sent = {"Host": f"{where.hostname}:{where.port}", **(headers or {})}
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    conn.close()
    return answer



def session_cookie(running: Any) -> dict[str, str]:
    """The workspace's session cookie, got as a browser gets it: the token once, then a redirect."""
    answer = http(running, "GET", "/?" + urlencode({"token": running.workspace.keys.token}))
    assert answer.status == 303
    return {"Cookie": answer.headers["set-cookie"].split(";", 1)[0]}


def post_form(running: Any, path: str, fields: dict[str, str], headers: dict[str, str]) -> Any:
    """A form POST (urlencoded) with the given headers (a cookie, an Origin, ...)."""
    return http(running, "POST", path, body=urlencode(fields).encode(),
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})

# --- a campaign for the workspace tests ---------------------------------------------------------------

SENT = "2023-04-17T10:00:00+01:00"  # due 2023-05-17 (FOIA); 2023-05-18 for FOISA
NOW = "2023-05-22T10:00:00+01:00"  # a Monday in office hours: every reminder is due
AUTHORITIES = [
    ("barnet", "London Borough of Barnet", "england"),
    ("camden", "London Borough of Camden", "england"),
    ("glasgow", "Glasgow City Council", "scotland"),
    ("edinburgh", "City of Edinburgh Council", "scotland"),
    ("kent", "Kent County Council", "england"),
]


@dataclass
class WebCampaign:
    campaign: StoreCampaign
    requests: dict[str, dict[str, Any]]

    @property
    def config(self) -> Any:
        return self.campaign.config

    @property
    def store(self) -> Any:
        return self.campaign.store

    def deliver(self, raw: bytes, at: str = NOW) -> int:
        """Store one message as the poller does, file everything stored; returns the message's number."""
        moment = when(at)
        digest = hashlib.sha256(raw).hexdigest()
        with self.store.transaction():
            cursor = self.store.db.execute(
                "INSERT INTO messages (direction, state, dedupe_key, sha256, size, raw, created_at, folder) "
                "VALUES ('in', 'stored', ?, ?, ?, ?, ?, 'INBOX')",
                [f"sha:{digest}", digest, len(raw), raw, iso(moment)])
            number = int(cursor.lastrowid or 0)
        file_stored(self.store, self.config, moment)
        return number

    def reply_to(self, authority: str, body: str, subject: str | None = None, **extra: Any) -> int:
        r = self.requests[authority]
        return self.deliver(reply(from_addr=r["authority_email"], to="campaigner@foibot.test",
                                  subject=subject or f"RE: Freedom of Information request [ref {r['reference']}]",
                                  body=body, date=datetime(2023, 5, 19, 11, 0).astimezone(), **extra))

    def row(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> dict[str, Any]:
        found = list(self.store.db.query(sql, list(params)))
        assert found, sql
        return found[0]

    def request(self, authority: str) -> dict[str, Any]:
        return self.row("SELECT * FROM requests WHERE authority_id = ?", [authority])


def build(folder: Path, smtp_server: Any) -> WebCampaign:
    campaign = StoreCampaign.create(folder, toml_text({"smtp": smtp_server.smtp_section()}))
    requests = {ident: campaign.send(ident, SENT, jurisdiction, name=name, email=f"foi@{ident}.gov.uk")
                for ident, name, jurisdiction in AUTHORITIES}
    return WebCampaign(campaign, requests)
