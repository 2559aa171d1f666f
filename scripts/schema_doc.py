"""Write docs/schema.md from the store's migrations: the tables and columns a fresh database has.

    python scripts/schema_doc.py          rewrite docs/schema.md
    python scripts/schema_doc.py --check  exit 1 when docs/schema.md is not what the migrations make

tests/test_docs.py runs the check, so the document cannot drift from the code.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "schema.md"


def schema_markdown() -> str:
    from foibot.store import migrations, open_store

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "foibot.db", Path(folder) / "files")
        try:
            db = store.db
            lines = ["# The database (generated)", "",
                     ("Written by `python scripts/schema_doc.py` from the migrations in `foibot/store/`; "
                     "`tests/test_docs.py` fails when it is out of date. Dates and times are ISO 8601 text "
                     "in UTC; the raw bytes of every message are kept in `messages.raw`."), "",
                     "Migrations, in order: " + ", ".join(f"`{m.name}`" for m in migrations._migrations) + ".",
                     ""]
            for name in sorted(db.table_names()):
                if name.startswith(("_", "sqlite_")):
                    continue
                table = db.table(name)
                lines += [f"## `{name}`", "", "| column | type | not null | default | primary key |",
                          "|---|---|---|---|---|"]
                for c in table.columns:
                    lines.append(f"| `{c.name}` | {c.type or ''} | {'yes' if c.notnull else ''} | "
                                 f"{'' if c.default_value is None else c.default_value} | "
                                 f"{'yes' if c.is_pk else ''} |")
                indexes = [i for i in table.indexes if not i.name.startswith("sqlite_autoindex")]
                if indexes:
                    lines += ["", "Indexes: " + "; ".join(
                        f"`{i.name}` ({', '.join(i.columns)}{', unique' if i.unique else ''})"
                        for i in sorted(indexes, key=lambda i: i.name))]
                lines.append("")
            return "\n".join(lines)
        finally:
            store.close()


def main() -> int:
    text = schema_markdown()
    if "--check" in sys.argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is out of date: run python scripts/schema_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
