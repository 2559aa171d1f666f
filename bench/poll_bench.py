"""Poll benchmark: foibot's ingest of replies from Dovecot against a bare imapclient fetch of the same messages.

    python bench/poll_bench.py [--messages 5000] [--large 50000] [--batch-size 100] [--rounds 3]

A Dovecot of its own (mail on /dev/shm when there is one) is seeded by MULTIAPPEND with replies to a sent
campaign of 300 requests, shaped as real ones (bench/poll_replies.py): a few KB each, Exchange-style
transport headers, mostly Outlook plain+HTML, some plain text quoted with ">", some HTML only, usually
quoting our request and its reference; acknowledgements, refusals, answers, extensions, out-of-office
replies, bounces (DSNs) and mail that is no reply at all; each filed by one matching layer or sent to triage.
foibot polls the folder into a fresh database with the real `poll_once`; the bare loop fetches the same
messages (`BODY.PEEK[]`, same batches, one connection) and keeps nothing. Rounds are interleaved; the
best of each side counts. These figures, each with its ratio to the bare fetch:

- bare imapclient fetch;
- the floors: the same fetch with every message also parsed by the standard library's `email` (its compat32
  policy, and the modern policy the issue names) and nothing else: what parsing alone costs, in the same
  process, before anything is stored, read out or matched;
- foibot ingest, as the issue defines it: fetch, store, parse, match (and record the parsed message and its
  match), i.e. the poll's time without classification and request updates (from the poll's step timings);
- the whole `foibot poll` (wall clock): ingest plus classification and request updates.

Then the time of a pass with no new mail, with --messages and with --large messages in the folder
(median of 20 passes, each a new connection as `foibot poll` makes).
Aim (the issue): ingest within 3x of the bare fetch; the empty pass the same at both sizes, in milliseconds.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import poll_replies
from benchlib import mail_base
from scale_workers import fetch_all
from support.imap import Dovecot, toml_text

from foibot.collect.imap import poll_once
from foibot.config import load_config
from foibot.send import outbox
from foibot.send import plan as planning
from foibot.store import open_store

SENT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = SENT + timedelta(days=30)
AUTHORITIES = 300
PASSWORD_ENV = "FOIBOT_BENCH_IMAP_PASSWORD"


# Floors: the bare fetch with each message also handed to the standard library's parser, keeping nothing
# (no text read out, no store, no match). No ingest that parses with it in the same process can be faster.
FLOORS: dict[str, Callable[[bytes], object]] = {
    "  + stdlib parse (compat32), nothing kept": lambda raw: email.message_from_bytes(
        raw, policy=email.policy.compat32),
    "  + stdlib parse (modern policy), nothing kept": lambda raw: email.message_from_bytes(
        raw, policy=email.policy.default),
}


# The filing steps (PollReport.timings) that belong to ingest as the issue defines it; "classify" and
# "update_request" are the rest of a poll.
INGEST_STEPS = ("load", "parse", "match", "record")


def _shape(raw: bytes) -> str:
    """What kind of message a seeded reply is, for the benchmark's description of its mix."""
    head = raw.split(b"\r\n\r\n", 1)[0].lower()
    for marker, shape in ((b"multipart/report", "bounces (DSN)"), (b"auto-submitted: auto-replied", "out-of-office"),
                          (b"multipart/alternative", "plain+HTML"), (b"text/html", "HTML only")):
        if marker in head:
            return shape
    return "plain text"


def campaign(folder: Path, dovecot: Dovecot, user: str) -> list[dict]:
    """A sent run of AUTHORITIES requests (rendered and recorded the real way; the SMTP leg skipped)."""
    rows = ["id,name,email,kind,jurisdiction"]
    for i in range(AUTHORITIES):
        rows.append(f"body-{i},Public Body {i},foi@body{i}.gov.uk,council,england")
    (folder / "authorities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "config.toml").write_text(toml_text({
        "requester": {"name": "Bench Campaigner", "email": user, "reply_address": "plus"},
        "imap": {**dovecot.imap_section(user), "password_env": PASSWORD_ENV},
        "storage": {"database": "foibot.db"},
    }), encoding="utf-8")
    config = load_config(folder / "config.toml")
    plan = planning.plan_run(config, "bench", "fusus", folder / "authorities.csv", SENT)
    store = open_store(config.database_path, config.files_dir)
    planning.queue_run(store, config, plan, SENT)
    for item in outbox.queued(store):
        assert outbox.mark_sending(store, item, SENT) == "go"
        outbox.mark_sent(store, item, SENT, "250 2.0.0 Ok")
    requests = list(store.db.query(
        "SELECT q.reference, q.authority_email, m.message_id, m.subject, m.raw FROM requests q JOIN messages m "
        "ON m.request_id = q.id AND m.direction = 'out'"))
    store.close()
    for r in requests:  # the text a reply quotes
        sent = email.message_from_bytes(r.pop("raw"), policy=email.policy.default)
        r["text"] = sent.get_body(("plain",)).get_content().replace("\r\n", "\n").strip()
    return requests


def replies(requests: list[dict], user: str, count: int, seed: int = 1) -> list[bytes]:
    return poll_replies.replies(requests, user, count, SENT, seed)


def bare_fetch(dovecot: Dovecot, user: str, batch_size: int,
               each: Callable[[bytes], object] | None = None) -> tuple[float, int, int]:
    """The scale benchmark's bare imapclient fetch (one connection, BODY.PEEK[] in batches, nothing kept), in
    this process. With `each`, every message's bytes also go through it (the floors: the stdlib parser and
    nothing else)."""
    return fetch_all(dovecot.imap_port, user, dovecot.password, batch_size, each)


def foibot_ingest(folder: Path, requests_folder: Path) -> tuple[float, object]:
    """poll_once into a copy of the freshly sent campaign's database."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(requests_folder, folder)
    config = load_config(folder / "config.toml")
    store = open_store(config.database_path, config.files_dir)
    t0 = time.perf_counter()
    report = poll_once(store, config, NOW)
    seconds = time.perf_counter() - t0
    store.close()
    return seconds, report


def empty_pass_ms(folder: Path, passes: int = 20) -> float:
    config = load_config(folder / "config.toml")
    store = open_store(config.database_path, config.files_dir)
    times = []
    for _ in range(passes):
        t0 = time.perf_counter()
        report = poll_once(store, config, NOW)
        times.append((time.perf_counter() - t0) * 1000)
        assert report.new == 0 and report.fetched == 0, report.summary()
    store.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--large", type=int, default=50000, help="folder size for the second empty pass (0: skip)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ[PASSWORD_ENV] = "secret"
    dovecot = Dovecot(mail_base())
    dovecot.start()
    work = Path(tempfile.mkdtemp(prefix="foibot-pollbench-"))
    try:
        user = dovecot.new_user("bench")
        sent_folder = work / "sent"
        sent_folder.mkdir()
        requests = campaign(sent_folder, dovecot, user)
        raws = replies(requests, user, args.messages)
        t0 = time.perf_counter()
        dovecot.multiappend(user, raws)
        seeded = time.perf_counter() - t0
        total_bytes = sum(len(r) for r in raws)
        print(f"Seeded {len(raws)} replies ({total_bytes / len(raws):.0f} bytes on average) by MULTIAPPEND in "
              f"{seeded:.2f} s; mail on {dovecot.base}")
        shapes = Counter(_shape(raw) for raw in raws)
        print("  " + ", ".join(f"{n} {shape}" for shape, n in shapes.most_common()))
        bare_runs, foibot_runs = [], []
        floors: dict[str, list[float]] = {name: [] for name in FLOORS}
        report = None
        for _ in range(args.rounds):
            bare_runs.append(bare_fetch(dovecot, user, args.batch_size))
            for name, parse in FLOORS.items():
                floors[name].append(bare_fetch(dovecot, user, args.batch_size, parse)[0])
            seconds, report = foibot_ingest(work / "run", sent_folder)
            foibot_runs.append((seconds, report))
        bare_s, count, _size = min(bare_runs)
        foibot_s, report = min(foibot_runs, key=lambda x: x[0])
        assert count == args.messages and report.stored == args.messages, (count, report.summary())
        n = args.messages
        steps = dict(report.timings)
        ingest_s = report.seconds_fetching + sum(steps.get(k, 0.0) for k in INGEST_STEPS)
        def line(label: str, seconds: float, aim: str = "") -> None:
            ratio = f"  {seconds / bare_s:5.1f}x the bare fetch{aim}" if seconds is not bare_s else ""
            print(f"{label + ':':48s} {n / seconds:7.0f} msg/s  ({seconds:.2f} s){ratio}")

        line("bare imapclient fetch", bare_s)
        for name, runs in floors.items():
            line(name, min(runs))
        line("foibot ingest (fetch, store, parse, match)", ingest_s, " (aim: within 3x)")
        line("foibot poll (+ classify, update requests)", foibot_s)
        per = {"fetch+store": report.seconds_fetching, **steps}
        print("per message, ms: " + ", ".join(f"{k.replace('_', ' ')} {v / n * 1000:.2f}" for k, v in per.items()
                                               if v >= 0.0005 * n / 1000))
        print(f"  (ingest = fetch+store, {', '.join(INGEST_STEPS)}; record includes the batch commits)")
        print(f"  {report.summary()}")
        small = empty_pass_ms(work / "run")
        print(f"empty pass, {args.messages} messages in the folder: {small:.1f} ms (median of 20)")
        if args.large > args.messages:
            more = replies(requests, user, args.large - args.messages, seed=2)
            dovecot.multiappend(user, more)
            t0 = time.perf_counter()
            config = load_config(work / "run" / "config.toml")
            store = open_store(config.database_path, config.files_dir)
            big = poll_once(store, config, NOW)
            store.close()
            ingest = time.perf_counter() - t0
            print(f"ingested {big.stored} more ({big.stored / ingest:.0f} msg/s) -> {args.large} in the folder")
            large = empty_pass_ms(work / "run")
            print(f"empty pass, {args.large} messages in the folder: {large:.1f} ms (median of 20)")
    finally:
        dovecot.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
