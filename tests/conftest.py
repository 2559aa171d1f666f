"""Shared fixtures. The mail servers live in their own plugin modules (real servers on 127.0.0.1)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Subprocesses (`python -m foibot ...`) import this checkout's package, not whichever one pip installed last
# (several checkouts of the project can share one Python).
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)

pytest_plugins = [f"support.{p}" for p in ("smtp", "imap", "oauth", "postfix", "web")
                  if (Path(__file__).parent / "support" / f"{p}.py").exists()]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's config, clock or passwords."""
    for name in list(os.environ):
        if name.startswith("FOIBOT_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def campaign(tmp_path: Path) -> Path:
    """An empty campaign folder (the current directory of the test)."""
    return tmp_path


def long_tests_enabled() -> bool:
    return os.environ.get("FOIBOT_LONG_TESTS") == "1"
