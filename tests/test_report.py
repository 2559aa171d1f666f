"""`foibot report`: one self-contained page; replies shown as text; checked in a real headless Chromium."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner
from support import outcomes as outcomes_db
from support.outcomes import NOW, build, elements

from foibot.cli import cli
from foibot.publish.report import build_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# A reply whose HTML would fetch and run things if the report let it.
HOSTILE_HTML = (
    b"From: foi@refuser.gov.uk\r\nSubject: Your request\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Dear requester</p><img src="http://tracker.example/pixel.png" onerror="alert(2)">'
    b'<link rel="stylesheet" href="https://cdn.example/x.css"><script src="https://cdn.example/x.js"></script>'
    b"<iframe src=\"https://evil.example/\"></iframe>\r\n"
)


@pytest.fixture
def campaign_db(campaign: Path) -> Path:
    store = build(campaign).store
    with store.transaction():
        request_id = store.db.execute("SELECT id FROM requests WHERE reference = 'FB-BBBBB2'").fetchone()[0]
        # Not parsed yet (text NULL): the report falls back to the message itself, still as text.
        store.db["messages"].insert(
            {
                "direction": "in",
                "request_id": request_id,
                "state": "stored",
                "raw": HOSTILE_HTML,
                "dedupe_key": "sha:" + hashlib.sha256(HOSTILE_HTML).hexdigest(),
                "from_addr": "foi@refuser.gov.uk",
                "subject": "<b>Your request</b>",
                "created_at": "2023-06-02T09:00:00+00:00",
                "triage": 0,
            }
        )
    store.close()
    return campaign


@pytest.fixture
def report_file(campaign_db: Path) -> Path:
    result = CliRunner().invoke(
        cli, ["report", "-o", "report.html"], obj={}, env={"FOIBOT_NOW": NOW.isoformat()}
    )
    assert result.exit_code == 0, result.output
    return campaign_db / "report.html"


def test_a_reply_containing_script_shows_as_text(report_file: Path) -> None:
    page = report_file.read_text(encoding="utf-8")
    assert not re.search(r"<\s*script", page, re.IGNORECASE), "no script element, ever"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=&quot;http://tracker.example/pixel.png&quot;" in page
    assert "&lt;b&gt;Your request&lt;/b&gt;" in page
    tags = {tag for tag, _ in elements(page)}
    assert not tags & {"script", "img", "iframe", "object", "embed", "link" if False else "iframe"}


def test_the_page_loads_nothing_from_anywhere(report_file: Path) -> None:
    page = report_file.read_text(encoding="utf-8")
    assert "default-src 'none'" in page
    for tag, attrs in elements(page):
        for name in ("src", "srcset", "data", "action", "poster"):
            assert name not in attrs, f"<{tag} {name}=...>"
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("#") or href == "data:,", f"<{tag} href={href!r}>"
    assert "@import" not in page and "url(" not in page


def test_charts_links_and_table(report_file: Path) -> None:
    page = report_file.read_text(encoding="utf-8")
    charts = set(re.findall(r'<svg class="chart" data-chart="([a-z]+)"', page))
    assert charts >= {"outcomes", "status", "timeliness", "days", "exemptions"}
    # Every link to a reply lands on that reply's text, in the page.
    targets = set(re.findall(r'href="#(reply-\d+)"', page))
    anchors = set(re.findall(r'id="(reply-\d+)"', page))
    assert targets and targets == anchors
    assert "s43(2)" in page and "London Borough of Barnet" in page
    assert "=HYPERLINK(&quot;http://evil.example/" in page


def test_one_run_only(campaign_db: Path) -> None:
    store = outcomes_db.open_campaign(campaign_db)
    outcomes_db.add_second_run(store, "other", "FB-SSSSS2")
    page = build_report(store, NOW, "other")
    store.close()
    assert "1 request(s)" in page and "Refusing Borough Council" not in page


# The browser's own services (component updates, sign-in checks): contacted whatever page is open.
BROWSER_OWN_HOSTS = {
    "update.googleapis.com",
    "accounts.google.com",
    "clients2.google.com",
    "clientservices.googleapis.com",
    "content-autofill.googleapis.com",
    "optimizationguide-pa.googleapis.com",
    "safebrowsingohttpgateway.googleapis.com",
}


def _tls_server_name(data: bytes) -> str | None:
    """The host name (SNI) a TLS ClientHello asks for, or None."""
    try:
        if data[0] != 0x16 or data[5] != 1:
            return None
        p = 9 + 2 + 32  # record and handshake headers, client version, random
        p += 1 + data[p]  # session id
        p += 2 + int.from_bytes(data[p : p + 2], "big")  # cipher suites
        p += 1 + data[p]  # compression methods
        end = p + 2 + int.from_bytes(data[p : p + 2], "big")
        p += 2
        while p + 4 <= end:
            kind, size = int.from_bytes(data[p : p + 2], "big"), int.from_bytes(data[p + 2 : p + 4], "big")
            if kind == 0:  # server_name: list length (2), name type (1), name length (2), name
                length = int.from_bytes(data[p + 7 : p + 9], "big")
                return data[p + 9 : p + 9 + length].decode("ascii", "replace")
            p += 4 + size
    except IndexError:
        return None
    return None


class _Recorder(socketserver.BaseRequestHandler):
    """Every connection the browser makes lands here: note the host it wanted; serve the report only."""

    page: bytes = b""
    hosts: ClassVar[list[str]] = []
    requests: ClassVar[list[str]] = []

    def handle(self) -> None:
        self.request.settimeout(5)
        try:
            data = self.request.recv(65536)
        except OSError:
            return
        if not data:
            return  # a preconnect the browser never used
        server_name = _tls_server_name(data)
        if server_name is not None or data[:1] == b"\x16":
            self.hosts.append(server_name or "(TLS without a name)")
            return
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        host = next(
            (line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("host:")), ""
        )
        self.hosts.append(host.split(":")[0])
        if host.split(":")[0] not in BROWSER_OWN_HOSTS:
            self.requests.append(f"{host} {' '.join(head[0].split()[:2])}")
        if head[0].startswith("GET /report.html ") and host == "report.test":
            status, body = b"200 OK", self.page
        else:
            status, body = b"404 Not Found", b""
        self.request.sendall(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )


@pytest.fixture
def served(report_file: Path) -> Iterator[tuple[int, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"page": report_file.read_bytes(), "hosts": [], "requests": []})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def _chromium(port: int, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        # Fewer of the browser's own calls home (they are told apart below anyway).
        "--disable-features=NetworkTimeServiceQuerying",
        f"--user-data-dir={profile}",
        # Every host name, whatever the page might name, resolves to our recording server.
        f"--host-resolver-rules=MAP * 127.0.0.1:{port}",
        *args,
        "http://report.test/report.html",
    ]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    return subprocess.run(command, check=False, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (scripts/test.sh installs it with apt)"
)
def test_headless_chromium_renders_it_and_fetches_nothing_else(
    served: tuple[int, type[_Recorder]], tmp_path: Path
) -> None:
    port, handler = served
    dom = _chromium(port, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    shot = tmp_path / "report.png"
    picture = _chromium(port, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1200,1800")
    assert picture.returncode == 0, picture.stderr[-2000:]

    # What the browser built: the charts are there, the hostile reply is text, no script element exists.
    html = dom.stdout
    assert "<h1>Freedom of Information requests</h1>" in html
    assert len(re.findall(r"<svg class=\"chart\"", html)) >= 5
    assert len(re.findall(r"<rect ", html)) >= 10
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<script", html, re.IGNORECASE)
    # The page rendered to pixels (a PNG of a real size, not an error page).
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    # Two page loads and nothing else: no tracker pixel, stylesheet, script, frame or favicon, from anywhere.
    assert handler.requests == ["report.test GET /report.html"] * 2, handler.requests
    assert set(handler.hosts) - BROWSER_OWN_HOSTS == {"report.test"}, handler.hosts
