"""The workspace's request list at 10,000 requests: how long one page takes, next to a bare SQLite page.

    python bench/web_bench.py [--requests 10000] [--rounds 10]

Builds a campaign database of N requests (every kind, nation, status and outcome, a third with a reply, a
fifth chased), serves the workspace on it (`foibot serve --port 0` in a process of its own),
and times whole HTTP answers for pages over filters and orders (first, middle and last pages; by status,
nation, kind, days late, text search). "warm" is the steady state (the table is computed once and kept while
the database is unchanged); "after a write" is the first page after another process (a plain sqlite3
connection, as the daemon's would be) committed an event on a request picked at random, so the list reads
that request again from the change log (3 x rounds pages). The Today page is timed the same way, and
`foibot status` on the same database as a process of its own (best and median of 5). The bare figure is
sqlite3 alone selecting and sorting the same page of rows from the requests table, with nothing computed.
"""

from __future__ import annotations

import argparse
import http.client
import random
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from benchlib import child_env, foibot_command, machine

SENT = "2026-01-05T10:00:00+00:00"
NOW = "2026-04-01T10:00:00+01:00"
KINDS = ("council", "police_force", "police_commissioner", "combined_authority", "fire_authority", "nhs_body")
NATIONS = ("england", "wales", "scotland", "northern_ireland", "uk")
OUTCOMES = ("information_provided", "partially_provided", "not_held", "refused", "neither_confirm_nor_deny")


def build(folder: Path, count: int, seed: int = 11) -> Path:
    """A campaign folder with config.toml and a database of `count` requests, written the store's way."""
    from foibot.store import open_store

    rng = random.Random(seed)
    (folder / "config.toml").write_text('[requester]\nname = "Bench"\nemail = "bench@campaign.example"\n',
                                        encoding="utf-8")
    store = open_store(folder / "foibot.db", folder / "files")
    authorities, requests, messages = [], [], []
    for n in range(count):
        nation = NATIONS[n % len(NATIONS)]
        ident = f"body-{n:05d}"
        name = f"{rng.choice(('North', 'South', 'East', 'West', 'Upper', 'Lower'))} {ident.title()} " \
               f"{rng.choice(('Council', 'Police', 'Trust', 'Authority'))}"
        authorities.append((ident, name, f"foi@{ident}.gov.uk", KINDS[n % len(KINDS)], nation, "{}", SENT))
        day = 5 + n % 20
        sent = f"2026-01-{day:02d}T10:00:00+00:00"
        roll = rng.random()
        status, outcome, outcome_at = "awaiting_response", None, None
        if roll < 0.35:
            status, outcome, outcome_at = "answered", rng.choice(OUTCOMES), "2026-02-10T10:00:00+00:00"
        elif roll < 0.40:
            status = "failed"
        elif roll < 0.45:
            status = "withdrawn"
        elif roll < 0.55:
            status = "internal_review"
        requests.append((n + 1, "bench-run", ident, f"FB-{n:06d}", name, f"foi@{ident}.gov.uk", nation,
                         "foisa" if nation == "scotland" else "foia", status, sent, sent, outcome, outcome_at,
                         f"REF/{n}" if n % 3 == 0 else None))
        messages.append(("out", n + 1, "request", "sent", f"<{n}.request@bench>", sent, sent))
        if n % 5 == 0:
            messages.append(("out", n + 1, "reminder", "sent", f"<{n}.reminder@bench>", sent, "2026-02-05T10:00:00+00:00"))
    with store.transaction():
        store.db.execute("INSERT INTO runs (id, template, created_at) VALUES ('bench-run', 'fusus', ?)", [SENT])
        store.db.conn.executemany("INSERT INTO authorities (id, name, email, kind, jurisdiction, extra, updated_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)", authorities)
        store.db.conn.executemany(
            "INSERT INTO requests (id, run, authority_id, reference, authority_name, authority_email, jurisdiction, "
            "regime, status, created_at, sent_at, outcome, outcome_at, authority_ref) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", requests)
        store.db.conn.executemany(
            "INSERT INTO messages (direction, request_id, stage, state, message_id, created_at, sent_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", messages)
        store.db.conn.executemany(
            "INSERT INTO messages (direction, request_id, state, dedupe_key, created_at, kind, confidence, triage) "
            "VALUES ('in', ?, 'parsed', ?, ?, ?, 0.9, 0)",
            [(r[0], f"sha:{r[0]}", r[12] or "2026-01-20T10:00:00+00:00", r[11] or "acknowledgement")
             for r in requests if r[0] % 3 == 0])
    store.close()
    return folder


PAGES = [
    {}, {"page": "2"}, {"page": "100"}, {"page": "200"},
    {"status": "overdue"}, {"status": "answered", "sort": "due"}, {"jurisdiction": "scotland"},
    {"kind": "police_force", "sort": "late", "desc": "1"}, {"late": "10", "sort": "late", "desc": "1"},
    {"q": "body-0042"}, {"outcome": "refused", "page": "3"}, {"stage": "reminder", "sort": "sent"},
]


def _get(conn: http.client.HTTPConnection, path: str, cookie: str, shows: bytes = b"<table") -> float:
    started = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read()
    seconds = time.perf_counter() - started
    if response.status != 200 or shows not in body:
        raise SystemExit(f"GET {path}: {response.status}")
    return seconds


def _write(database: Path, rng: random.Random, count: int) -> None:
    """Another process's commit: one event on a request picked at random (what the daemon does all day)."""
    writer = sqlite3.connect(database)
    writer.execute("INSERT INTO events (request_id, at, type) VALUES (?, ?, 'bench_touch')",
                   [rng.randint(1, count), NOW])
    writer.commit()
    writer.close()


def _status(folder: Path, times: int = 5) -> list[float]:
    """`foibot status` on the campaign, each a process of its own, as a campaigner runs it."""
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        done = subprocess.run(foibot_command("--config", str(folder / "config.toml"), "status"),
                              capture_output=True, text=True, env=child_env(FOIBOT_NOW=NOW), check=False)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"foibot status: {done.stderr}")
    return seconds


def _bare(database: Path, rounds: int, per_page: int = 50) -> list[float]:
    """The same pages' rows straight from SQLite: select, filter on stored columns, sort, slice."""
    conn = sqlite3.connect(database)
    times = []
    for _ in range(rounds):
        for params in PAGES:
            where, args = [], []
            for column, key in (("status", "status"), ("jurisdiction", "jurisdiction"), ("outcome", "outcome")):
                if key in params and params[key] != "overdue":
                    where.append(f"r.{column} = ?")
                    args.append(params[key])
            offset = (int(params.get("page", "1")) - 1) * per_page
            started = time.perf_counter()
            conn.execute(
                "SELECT r.id, r.reference, r.authority_name, r.status, r.outcome, r.sent_at, a.kind FROM requests r "
                "JOIN authorities a ON a.id = r.authority_id"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY r.authority_name COLLATE NOCASE LIMIT ? OFFSET ?", [*args, per_page, offset]).fetchall()
            times.append(time.perf_counter() - started)
    conn.close()
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    print(f"web list benchmark: {args.requests:,} requests, {len(PAGES)} pages x {args.rounds} rounds; {machine()}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="foibot-web-bench-") as tmp:
        started = time.perf_counter()
        folder = build(Path(tmp), args.requests)
        print(f"built the database in {time.perf_counter() - started:.1f} s", flush=True)
        # The workspace as a campaigner runs it: `foibot serve` in a process of its own.
        server = subprocess.Popen(foibot_command("--config", str(folder / "config.toml"), "serve", "--port", "0"),
                                  stdout=subprocess.PIPE, text=True, env=child_env(FOIBOT_NOW=NOW))
        try:
            assert server.stdout is not None
            address = ""
            for _ in range(5):
                line = server.stdout.readline().strip()
                if "?token=" in line:
                    address = line
                    break
            if not address:
                raise SystemExit("foibot serve printed no address")
            where = urlsplit(address)
            conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
            conn.request("GET", "/?" + where.query)
            first = conn.getresponse()
            first.read()
            cookie = first.getheader("set-cookie", "").split(";", 1)[0]
            cold = _get(conn, "/requests", cookie)  # the first page ever: the table is worked out
            warm = [_get(conn, "/requests?" + urlencode(p), cookie) for _ in range(args.rounds) for p in PAGES]
            rng = random.Random(5)
            after_write = []
            for n in range(3 * args.rounds):
                _write(folder / "foibot.db", rng, args.requests)
                after_write.append(_get(conn, "/requests?" + urlencode(PAGES[n % len(PAGES)]), cookie))
            today_warm = [_get(conn, "/", cookie, b"Today") for _ in range(5)]
            today_after = []
            for _ in range(5):
                _write(folder / "foibot.db", rng, args.requests)
                today_after.append(_get(conn, "/", cookie, b"Today"))
            conn.close()
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
        bare = _bare(folder / "foibot.db", args.rounds)
        status = _status(folder)
    ms = 1000
    print(f"first page ever (cold): {cold * ms:.0f} ms")
    print(f"list page warm: p50 {_pct(warm, 0.5) * ms:.1f} ms, p95 {_pct(warm, 0.95) * ms:.1f} ms, "
          f"max {max(warm) * ms:.1f} ms over {len(warm)} pages")
    print(f"list page after a write by another process: p50 {_pct(after_write, 0.5) * ms:.0f} ms, "
          f"p95 {_pct(after_write, 0.95) * ms:.0f} ms, max {max(after_write) * ms:.0f} ms over {len(after_write)} pages")
    print(f"Today page: warm median {statistics.median(today_warm) * ms:.0f} ms, max {max(today_warm) * ms:.0f} ms; "
          f"after a write median {statistics.median(today_after) * ms:.0f} ms, max {max(today_after) * ms:.0f} ms")
    print(f"foibot status (a process): best {min(status):.2f} s, median {statistics.median(status):.2f} s")
    print(f"bare sqlite page: p50 {statistics.median(bare) * ms:.2f} ms, p95 {_pct(bare, 0.95) * ms:.2f} ms")
    print(f"aim: under 200 ms a page: warm p95 {'met' if _pct(warm, 0.95) < 0.2 else 'MISSED'}; after a write "
          f"p50 {'met' if _pct(after_write, 0.5) < 0.2 else 'MISSED'}, max {'met' if max(after_write) < 0.2 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
