"""The house you can see: imports run one way, each library lives in the module that owns it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "foibot"

# Third-party libraries and the only modules allowed to import them.
OWNERS = {
    "click": {"cli"},
    "jinja2": {"render"},
    "aiosmtplib": {"mailer"},
    "imapclient": {"poller"},
    "apscheduler": {"daemon"},
    "sqlite_utils": {"store"},
    "bs4": {"html_text", "extract"},
    "pypdf": {"extract"},
    "docx": {"extract"},
    "aiosmtpd": {"sandbox"},
    "pymap": {"sandbox"},
    "holidays": {"deadlines"},
}
PURE = {"deadlines", "matching", "classify", "answers", "references", "addresses", "clock"}
IO_LIBRARIES = {"sqlite3", "sqlite_utils", "aiosmtplib", "imapclient", "smtplib", "imaplib", "socket",
                "asyncio", "subprocess", "apscheduler", "aiosmtpd", "pymap"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .x import y
                found.add("." + (node.module or ""))
            elif node.module:
                found.add(node.module)
    return found


MODULES = sorted(p for p in PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_libraries_live_in_their_owner(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        if top in OWNERS:
            assert path.stem in OWNERS[top], f"{path.name} imports {top}, which belongs to {OWNERS[top]}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_nothing_imports_the_cli_or_the_daemon(path: Path) -> None:
    if path.stem in ("cli", "__main__"):
        return
    for name in _imports(path):
        assert name not in (".cli", ".daemon", "foibot.cli", "foibot.daemon") or path.stem == "cli", (
            f"{path.name} imports {name}"
        )


@pytest.mark.parametrize("stem", sorted(PURE))
def test_pure_logic_does_no_io(stem: str) -> None:
    path = PACKAGE / f"{stem}.py"
    if not path.exists():
        pytest.skip(f"{stem}.py not written yet")
    bad = {n for n in _imports(path) if n.split(".")[0] in IO_LIBRARIES}
    assert not bad, f"{path.name} is pure logic but imports {bad}"


def test_cli_starts_without_heavy_imports() -> None:
    code = (
        "import sys, foibot.cli; heavy = {'jinja2','aiosmtplib','imapclient','apscheduler','sqlite_utils',"
        "'bs4','pypdf','docx','aiosmtpd','pymap','holidays'}; print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"the CLI imports heavy modules at start-up: {out}"
