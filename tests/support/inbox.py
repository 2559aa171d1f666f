"""A campaign database that takes fetched bytes the way a poll pass does, reusable across hypothesis examples.

`ScratchInbox(folder, **storage)` opens a real store once; `deliver(raws)` empties it and runs exactly what
`poller.poll_once` runs on fetched messages: `store_batch` (one transaction, the dedupe key) and then
`filing.file_stored` (parse, save attachments, match, classify, record). Opening a fresh SQLite file for
each example costs ~0.1 s; emptying the tables costs nothing.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from foibot.collect.filing import file_stored
from foibot.collect.imap import PollReport, _Fetched, store_batch
from foibot.config import Config, from_dict
from foibot.store import Store, open_store

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


class ScratchInbox:
    def __init__(self, folder: Path, **storage: Any) -> None:
        self.config: Config = from_dict({"storage": {"database": "foibot.db", **storage}},
                                        str(folder / "config.toml"), folder)
        self.store: Store = open_store(self.config.database_path, self.config.files_dir)

    def deliver(self, raws: list[bytes]) -> PollReport:
        with self.store.transaction():
            for table in ("attachments", "events", "messages", "mailbox_state"):
                self.store.db.execute(f"DELETE FROM {table}")
        shutil.rmtree(self.config.files_dir, ignore_errors=True)
        report = PollReport(folder="INBOX")
        fetched = [_Fetched(uid, raw, len(raw), None) for uid, raw in enumerate(raws, start=1)]
        store_batch(self.store, "imap://u@h/INBOX", "INBOX", 7, fetched, len(raws), NOW, report)
        file_stored(self.store, self.config, NOW, report)
        return report

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return list(self.store.db.query(sql, params or []))

    def close(self) -> None:
        self.store.close()
