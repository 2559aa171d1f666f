"""Helpers for the sending tests: run the real `foibot` entry point in-process, write authorities lists."""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from foibot.cli import main

NOW = "2023-04-17T10:00:00+01:00"
NOW_UTC = "2023-04-17T09:00:00+00:00"


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def foibot(*args: str, input: str | None = None) -> Run:
    """`foibot ARGS` through `cli.main` (the real error handling: `Error: ...` and exit 1), in-process."""
    runner = CliRunner()
    with runner.isolation(input=input) as (out, err, _mixed):
        saved = sys.argv
        sys.argv = ["foibot", *args]
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = saved
        return Run(code, out.getvalue().decode(), err.getvalue().decode())


def authorities_csv(folder: Path, count: int, *, domains: int | None = None, name: str = "authorities.csv",
                    extra_rows: list[str] = ()) -> Path:
    """`count` English councils, foi@council<i>.example (or spread over `domains` domains)."""
    rows = ["id,name,email,kind,jurisdiction"]
    for i in range(count):
        domain = f"council{i % domains if domains else i}.example"
        local = f"foi{i}" if domains else "foi"
        rows.append(f"council-{i},Council Number {i},{local}@{domain},council,england")
    rows.extend(extra_rows)
    path = folder / name
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def rows(database: Path, sql: str, params: list[Any] = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(database)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()
