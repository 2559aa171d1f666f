"""The scale benchmark's measured processes other than `foibot` itself; each prints one JSON line.

    python bench/scale_workers.py phases FOLDER RUN        foibot's send path step by step (API calls)
    python bench/scale_workers.py bare-send DB PORT CONNECTIONS
    python bench/scale_workers.py bare-fetch PORT USER PASSWORD BATCH
    python bench/scale_workers.py bare-export DB OUT

The bare workers import only the library they stand for (aiosmtplib, imapclient, sqlite3 + csv), so their
peak memory is the bare library's, not foibot's: that is what foibot's figures are set against.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phases(folder: str, run: str) -> dict[str, float]:
    """Render+check, queue and send timed apart, with the peak memory reached after each."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from foibot.clock import now as clock_now
    from foibot.config import load_config
    from foibot.send import plan as planning
    from foibot.send import run as sending
    from foibot.store import open_store

    base = Path(folder)
    config = load_config(base / "config.toml")
    now = clock_now()
    out: dict[str, float] = {"rss_start": _rss_mb()}
    t0 = time.perf_counter()
    plan = planning.plan_run(config, run, "fusus", base / "authorities.csv", now)
    t1 = time.perf_counter()
    out.update(render=t1 - t0, rss_render=_rss_mb(), planned=plan.to_send)
    store = open_store(config.database_path, config.files_dir)
    with sending.send_lock(store.path):
        queued = planning.queue_run(store, config, plan, now)
        t2 = time.perf_counter()
        out.update(queue=t2 - t1, rss_queue=_rss_mb(), queued=queued)
        del plan  # what `foibot send` holds while sending is what send_pending reads back
        report = sending.send_pending(store, config, now)
    t3 = time.perf_counter()
    out.update(send=t3 - t2, rss_send=_rss_mb(), sent=report.sent, ok=float(report.ok))
    store.close()
    return out


def bare_send(db: str, port: int, connections: int) -> dict[str, float]:
    """The same messages (the bytes foibot built, read from its database) over the same number of reused
    aiosmtplib connections; records nothing."""
    import asyncio
    import sqlite3

    from bare_smtp import bare_loop

    conn = sqlite3.connect(db)
    wire = conn.execute("SELECT from_addr, to_addrs, raw FROM messages WHERE direction = 'out' ORDER BY id").fetchall()
    conn.close()
    seconds = asyncio.run(bare_loop(port, wire, connections))
    return {"send": seconds, "sent": len(wire), "rss": _rss_mb()}


def fetch_all(port: int, user: str, password: str, batch: int,
              each: Callable[[bytes], object] | None = None) -> tuple[float, int, int]:
    """One connection, EXAMINE, UID SEARCH, BODY.PEEK[] in batches; keeps nothing. With `each`, every
    message's bytes also go through it. Returns (seconds, messages, bytes). Imports imapclient only."""
    from imapclient import IMAPClient

    t0 = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=120)
    client.login(user, password)
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["UID", "1:*"])
    count = size = 0
    for start in range(0, len(uids), batch):
        for data in client.fetch(uids[start:start + batch], ["BODY.PEEK[]", "INTERNALDATE"]).values():
            count += 1
            size += len(data[b"BODY[]"])
            if each is not None:
                each(data[b"BODY[]"])
    client.logout()
    return time.perf_counter() - t0, count, size


def bare_fetch(port: int, user: str, password: str, batch: int) -> dict[str, float]:
    """The bare imapclient fetch of the whole folder (fetch_all), with the peak memory it reached."""
    seconds, count, size = fetch_all(port, user, password, batch)
    return {"fetch": seconds, "count": count, "bytes": size, "rss": _rss_mb()}


def bare_export(db: str, out: str) -> dict[str, float]:
    """The requests table as CSV with sqlite3 and csv: no outcome, due date or lateness worked out."""
    import csv
    import sqlite3

    t0 = time.perf_counter()
    conn = sqlite3.connect(db)
    cursor = conn.execute("SELECT * FROM requests ORDER BY id")
    rows = 0
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([d[0] for d in cursor.description])
        for row in cursor:
            writer.writerow(row)
            rows += 1
    conn.close()
    return {"export": time.perf_counter() - t0, "rows": rows, "rss": _rss_mb()}


def main(argv: list[str]) -> None:
    what, *args = argv
    if what == "phases":
        result = phases(args[0], args[1])
    elif what == "bare-send":
        result = bare_send(args[0], int(args[1]), int(args[2]))
    elif what == "bare-fetch":
        result = bare_fetch(int(args[0]), args[1], args[2], int(args[3]))
    elif what == "bare-export":
        result = bare_export(args[0], args[1])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
