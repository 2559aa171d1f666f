"""The workspace stays a front end: Starlette and uvicorn live in foibot/web/ only, nothing but the CLI
imports it, and it imports the library (never the CLI or the daemon) and holds no SQL of its own."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "foibot"
WEB = PACKAGE / "web"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def test_web_libraries_live_in_the_web_folder() -> None:
    for path in PACKAGE.rglob("*.py"):
        if WEB in path.parents:
            continue
        heavy = {n for n in _imports(path) if n.split(".")[0] in ("starlette", "uvicorn")}
        assert not heavy, f"{path.relative_to(PACKAGE)} imports {heavy}"


def test_only_the_cli_imports_the_workspace() -> None:
    for path in PACKAGE.rglob("*.py"):
        if WEB in path.parents or path.name == "cli.py":
            continue
        names = _imports(path)
        assert not {n for n in names if n.lstrip(".") in ("web", "foibot.web") or n.lstrip(".").startswith("web.")}, (
            f"{path.relative_to(PACKAGE)} imports the workspace")


def test_the_workspace_imports_no_front_end_and_holds_no_sql() -> None:
    for path in WEB.rglob("*.py"):
        names = {n.lstrip(".") for n in _imports(path)}
        assert not names & {"cli", "daemon", "foibot.cli", "foibot.daemon"}, path.name
        text = path.read_text(encoding="utf-8")
        for word in ("SELECT ", "UPDATE ", "INSERT ", "DELETE "):
            assert word not in text, f"{path.name} holds SQL ({word.strip()}): it belongs in the library"


def test_the_cli_holds_no_sql() -> None:
    text = (PACKAGE / "cli.py").read_text(encoding="utf-8")
    for word in ("SELECT ", "UPDATE ", "INSERT ", "DELETE "):
        assert word not in text, f"cli.py holds SQL ({word.strip()})"
