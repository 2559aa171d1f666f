"""`foibot serve` as a campaigner starts it: the address with its token on a line of its own, pages answered,
Ctrl-C stops it cleanly; a clear error without a database; the demo says how to open its campaign."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

LINE = re.compile(r"^http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]+)$", re.MULTILINE)


def _start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "foibot", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    seen = ""
    for _ in range(5):
        line = proc.stdout.readline()
        seen += line
        if LINE.search(line.strip()):
            return proc, line.strip()
    proc.kill()
    raise AssertionError(f"no address line in {seen!r}; stderr {proc.stderr.read() if proc.stderr else ''}")


def _get(url: str, path: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    r = conn.getresponse()
    body = r.read().decode()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(timeout=20)


def test_the_demo_then_serve_shows_its_campaign(tmp_path: Path) -> None:
    demo = subprocess.run([sys.executable, "-m", "foibot", "demo", "--folder", str(tmp_path / "demo")],
                          capture_output=True, text=True, timeout=300, check=True)
    last = demo.stdout.strip().splitlines()[-1]
    assert last.startswith("Browse it: FOIBOT_NOW=") and last.endswith(" serve")
    words = shlex.split(last.removeprefix("Browse it: "))
    env = {"FOIBOT_NOW": words[0].split("=", 1)[1]}
    proc, line = _start([*words[2:], "--port", "0"], env)  # foibot --config X serve --port 0
    try:
        status, headers, _ = _get(line, urlsplit(line).path + "?" + urlsplit(line).query)
        assert status == 303
        cookie = headers["set-cookie"].split(";", 1)[0]
        status, _, body = _get(line, "/requests", cookie)
        total = sqlite3.connect(tmp_path / "demo" / "foibot.db").execute("SELECT COUNT(*) FROM requests").fetchone()[0]
        assert total > 50
        assert status == 200 and f"of {total} requests" in body
        assert _get(line, "/requests")[0] == 403  # without the token
    finally:
        assert _stop(proc) == 0


def test_serve_read_only_says_so(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "foibot", "demo", "--folder", str(tmp_path)], capture_output=True,
                   timeout=300, check=True)
    proc, line = _start(["--config", str(tmp_path / "config.toml"), "serve", "--port", "0", "--read-only"])
    try:
        _, headers, _ = _get(line, "/?" + urlsplit(line).query)
        _, _, body = _get(line, "/", headers["set-cookie"].split(";", 1)[0])
        assert "read-only" in body and 'method="post"' not in body
    finally:
        _stop(proc)


def test_serve_without_a_database_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[requester]\nname = "A"\nemail = "a@example.org"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "foibot", "--config", str(tmp_path / "config.toml"), "serve"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: database ") and done.stderr.count("\n") == 1
