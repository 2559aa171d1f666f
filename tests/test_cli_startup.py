"""`foibot --help` starts in under 0.3 s: the CLI imports nothing heavy until a command needs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("jinja2", "aiosmtplib", "aiosmtpd", "imapclient", "apscheduler", "sqlite_utils", "sqlite3", "bs4", "pypdf",
         "docx", "holidays", "pymap", "asyncio", "email.message", "foibot.send.run", "foibot.send.mailer",
         "foibot.store", "foibot.render", "starlette", "uvicorn", "foibot.web.app")


def best_of(args: list[str], runs: int = 5) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


def test_the_cli_module_imports_nothing_heavy() -> None:
    code = "import sys, foibot.cli; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                cwd=ROOT).stdout.split())
    assert not loaded & set(HEAVY), f"imported at start-up: {sorted(loaded & set(HEAVY))}"


def test_help_starts_in_under_a_third_of_a_second() -> None:
    help_time = best_of([sys.executable, "-m", "foibot", "--help"])
    bare = best_of([sys.executable, "-c", "pass"])
    # What foibot adds to a bare interpreter is what we control, and it must stay small on any machine.
    assert help_time - bare < 0.15, f"foibot --help {help_time:.3f} s, bare Python {bare:.3f} s"
    if bare > 0.15:
        pytest.skip(f"this machine is too busy to time 0.3 s fairly (bare Python takes {bare:.3f} s)")
    assert help_time < 0.3, f"foibot --help took {help_time:.3f} s"


def test_send_help_is_just_as_quick_and_lists_the_options() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "foibot", "send", "--help"], capture_output=True, text=True,
                         check=True, env=env).stdout
    for option in ("--run", "--template", "--authorities", "--dry-run", "--yes", "--allow-duplicate-run",
                   "--resend-unknown", "--mark-sent", "--config"):
        assert option in out
