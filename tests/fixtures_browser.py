"""A real headless Chromium (Debian's `chromium`, driven by Playwright) for pages foibot writes to disk.

Loaded by tests/conftest.py as a pytest plugin:

    def test_report(chromium, tmp_path):
        seen = open_file(chromium, tmp_path / "report.html")   # every request the page made, every script error
        assert seen.requests == [seen.url]

`chromium` is one browser per test module, launched by path (Playwright's own browsers are never
downloaded), with the browser's own background traffic (updates, sync) switched off, so any request
a page makes is the page's doing. Per module, not per session: Playwright's sync API keeps an asyncio loop
running in the main thread while it is open, and `asyncio.run()` in a later module (the mailer's tests)
would fail under it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@dataclass
class Seen:
    """A page opened from a file, and what happened while it loaded."""

    page: Any
    url: str
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, its own included
    errors: list[str] = field(default_factory=list)  # script errors
    console: list[str] = field(default_factory=list)  # console messages (a script that ran would log here)
    violations: list[str] = field(default_factory=list)  # what the Content-Security-Policy blocked


def open_file(chromium: Any, path: Path, width: int = 1280, height: int = 900) -> Seen:
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    seen = Seen(page, path.resolve().as_uri())
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    page.on("console", lambda msg: seen.console.append(f"{msg.type}: {msg.text}"))
    page.goto(seen.url, wait_until="load")
    page.wait_for_timeout(300)  # anything deferred (an image, a font, a timer) has had its chance
    return seen
