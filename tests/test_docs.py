"""Docs that stay true: every command and CSV column in the README, the schema page generated from the
migrations, every earlier schema migrating to the current one with its rows kept, and a CHANGELOG."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import sqlite_utils

from foibot import __version__
from foibot.cli import cli
from foibot.publish.export import columns
from foibot.store import migrations, open_store

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        full = f"{prefix}{name}"
        found.append(full)
        if isinstance(command, click.Group):
            found.extend(_commands(command, full + " "))
    return found


@pytest.mark.parametrize("command", _commands(cli))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"foibot {command}" in README, f"`foibot {command}` is not documented in README.md"


@pytest.mark.parametrize("column", columns(["q1", "q2", "q3"]))
def test_every_outcome_column_is_in_the_readme(column: str) -> None:
    shown = re.sub(r"^q\d+_", "q1_", column)  # the per-question columns are described once
    assert f"`{shown}`" in README, f"the outcome CSV column {column!r} is not described in README.md"


def test_the_schema_page_is_generated_from_the_migrations() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "schema_doc.py"), "--check"],
                          check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_a_changelog_names_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(__version__)}\b", text, flags=re.MULTILINE), f"CHANGELOG.md has no {__version__}"


# --- migrations ---------------------------------------------------------------------------------------

NAMES = [m.name for m in migrations._migrations]


def _filler(column: Any, n: int) -> Any:
    kind = (column.type or "").upper()
    if "INT" in kind:
        return n
    if "REAL" in kind or "FLOA" in kind:
        return 0.5
    if "BLOB" in kind:
        return b"raw"
    return f"{column.name}-{n}"


def _populate(db: sqlite_utils.Database) -> dict[str, int]:
    """One row in every table, every column filled (foreign keys off: the rows only need to exist)."""
    db.execute("PRAGMA foreign_keys = OFF")
    counts = {}
    for name in db.table_names():
        if name.startswith(("_", "sqlite_")):
            continue
        table = db.table(name)
        if not table.count:  # the change log (m009) already has the rows its triggers wrote
            table.insert({c.name: _filler(c, 1) for c in table.columns})
        counts[name] = table.count
    return counts


def _shape(db: sqlite_utils.Database) -> dict[str, list[tuple[str, str]]]:
    return {name: sorted((c.name, (c.type or "").upper()) for c in db.table(name).columns)
            for name in db.table_names() if not name.startswith("sqlite_")}


def _objects(db: sqlite_utils.Database) -> list[tuple[str, str, str]]:
    return sorted(db.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger')"
                             " AND name NOT LIKE 'sqlite_%'").fetchall())


@pytest.mark.parametrize("stop_before", NAMES[1:] or ["(only one migration)"])
def test_every_earlier_schema_migrates_with_its_rows(stop_before: str, tmp_path: Path) -> None:
    if stop_before not in NAMES:
        pytest.skip("only one migration so far")
    old = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(str(old), isolation_level=None))
    migrations.apply(db, stop_before=stop_before)
    assert [m.name for m in migrations.applied(db)] == NAMES[:NAMES.index(stop_before)]
    before = _populate(db)
    db.conn.close()
    store = open_store(old, tmp_path / "files")  # what a campaigner's next command does
    fresh = open_store(tmp_path / "fresh.db", tmp_path / "files2")
    try:
        assert _shape(store.db) == _shape(fresh.db)
        assert _objects(store.db) == _objects(fresh.db)  # the indexes and the change log's triggers too
        for table, count in before.items():
            assert store.db.table(table).count == count, f"{table} lost rows migrating past {stop_before}"
    finally:
        store.close()
        fresh.close()
