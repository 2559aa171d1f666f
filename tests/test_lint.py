"""The code stays as clean as it is now: ruff (its default rules, with pyproject.toml's settings) over the
package, the benchmarks and the tests, and mypy over the package. Both are pinned in the test extras, so a
new release of either cannot turn the suite red on its own."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: run scripts/test.sh (it installs the test extras)")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          check=False, timeout=300)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "--no-cache", "foibot", "bench", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing(tmp_path: Path) -> None:
    done = _run("mypy", "--cache-dir", str(tmp_path / "mypy"), "foibot")
    assert done.returncode == 0, done.stdout + done.stderr
