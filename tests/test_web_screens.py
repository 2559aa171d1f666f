"""Every page of the demo campaign in Chromium at a laptop's and a phone's width: screenshots saved under
tests/screenshots/, each page readable without scrolling sideways and showing the demo's own facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.web import LAPTOP, PHONE, no_horizontal_scroll, open_page, shoot

from foibot.config import load_config
from foibot.demo.run import run_demo
from foibot.web import serving


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("demo")
    result = run_demo(folder, say=lambda _: None)
    picks = {"now": result.ended.isoformat()}
    config = load_config(folder / "config.toml")
    from foibot.store import open_store

    store = open_store(config.database_path, config.files_dir, create=False)
    picks |= {
        "total": str(store.db.execute("SELECT COUNT(*) FROM requests").fetchone()[0]),
        "answered": store.db.execute("SELECT reference FROM requests WHERE outcome = 'partially_provided'").fetchone()[0],
        "late": store.db.execute("SELECT reference FROM requests WHERE status = 'internal_review' "
                                 "ORDER BY id LIMIT 1").fetchone()[0],
        "message": str(store.db.execute("SELECT MAX(id) FROM messages WHERE direction = 'in'").fetchone()[0]),
    }
    store.close()
    with serving(config) as running:
        yield running, picks


PAGES = [
    ("today", "/", "Today"),
    ("requests", "/requests", "of {total} requests"),
    ("requests-late", "/requests?late=1&sort=late&desc=1", "Late"),
    ("request-answered", "/r/{answered}", "Timeline"),
    ("request-late", "/r/{late}", "internal review"),
    ("review", "/review", "Readings to review"),
    ("message", "/messages/{message}", "The message as text"),
    ("triage", "/triage", "Triage"),
    ("chase", "/chase", "Chasers due"),
    ("outputs", "/outputs", "outcome CSV"),
]


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_fits_and_is_saved(demo_workspace, chromium, size: tuple[int, int],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    running, picks = demo_workspace
    monkeypatch.setenv("FOIBOT_NOW", picks["now"])  # the demo's last day (the server reads it per request)
    w = open_page(chromium, running, *size)
    tag = "laptop" if size == LAPTOP else "phone"
    saved: list[Path] = []
    for name, path, expected in PAGES:
        w.page.goto(running.base + path.format(**picks))
        assert expected.format(**picks) in w.page.locator("main").inner_text(), name
        scroll, client = no_horizontal_scroll(w.page)
        assert scroll <= client, f"{name} at {size[0]} px scrolls sideways ({scroll} > {client})"
        saved.append(shoot(w.page, f"{name}-{tag}"))
    assert all(p.stat().st_size > 5000 for p in saved)
    assert w.errors == [] and w.console == []
