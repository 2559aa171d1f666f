"""Poll benchmark: foibot's whole ingest (fetch, store, parse, match, classify) against a bare imapclient fetch.

    python bench/poll_bench.py [--messages 5000] [--large 50000] [--batch-size 100] [--rounds 3]

A Dovecot of its own (mail on /dev/shm when there is one) is seeded by MULTIAPPEND with replies to a sent
campaign of 300 requests: answers quoting our request, acknowledgements, refusals, out-of-office replies,
bounces, and mail that is no reply at all; each matched by one of the layers (plus address, In-Reply-To,
reference in the subject or body, the sender's domain) or sent to triage. foibot polls the folder into a
fresh database with the real `poll_once`; the bare loop fetches the same messages (`BODY.PEEK[]`, same
batches, one connection) and keeps nothing. Rounds are interleaved; the best of each side counts.
Then the time of a pass with no new mail, with --messages and with --large messages in the folder
(median of 20 passes, each a new connection as `foibot poll` makes).
Aim: foibot within 3x of the bare fetch; the empty pass the same at both sizes, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from fixtures_imap import Dovecot, toml_text
from imapclient import IMAPClient

from foibot import outbox, planning
from foibot.config import load_config
from foibot.poller import poll_once
from foibot.store import open_store

SENT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = SENT + timedelta(days=30)
AUTHORITIES = 300
PASSWORD_ENV = "FOIBOT_BENCH_IMAP_PASSWORD"

ANSWERS = [
    "Thank you for your request for information, which we received on 2 March 2026. Your request has been "
    "logged under reference FOI-{n}. We will respond within 20 working days.",
    "We have processed your request under the Freedom of Information Act 2000. The council does not hold "
    "the information you asked for: we have had no contact with the company named in your request.",
    "We hold some of the information. We are withholding the remainder under section 43(2) of the Act "
    "(commercial interests); the public interest in maintaining the exemption outweighs that in disclosure.",
    "I am out of the office until Monday with limited access to e-mail. For urgent matters please call "
    "the main switchboard.",
    "Please find attached our response to your request. If you are unhappy with the way your request has "
    "been handled you may ask for an internal review within 40 working days.",
]
QUOTED = ("\n\n-----Original Message-----\nFrom: Bench Campaigner\nSubject: {subject}\n\n"
          "Under the Freedom of Information Act 2000 I would like to request the following information: "
          "whether you have been in contact with Fusus, copies of those communications, and whether Fusus "
          "discussed using your CCTV for a real-time crime centre. Our reference: {reference}.\n") * 1


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
        outbox.mark_sending(store, item, SENT)
        outbox.mark_sent(store, item, SENT, "250 2.0.0 Ok")
    requests = list(store.db.query(
        "SELECT q.reference, q.authority_email, m.message_id, m.subject FROM requests q JOIN messages m "
        "ON m.request_id = q.id AND m.direction = 'out'"))
    store.close()
    return requests


def replies(requests: list[dict], user: str, count: int, seed: int = 1) -> list[bytes]:
    """Replies as they arrive: every matching layer, bounces, auto-replies and strangers."""
    rng = random.Random(seed)
    local, _, domain = user.rpartition("@")
    out = []
    for n in range(count):
        r = requests[n % len(requests)]
        layer = n % 10
        sender = r["authority_email"].replace("foi@", "records@") if layer == 7 else r["authority_email"]
        to = user
        subject = "Your request"
        headers = ""
        body = ANSWERS[rng.randrange(len(ANSWERS))].format(n=n)
        if layer in (0, 1, 2):
            headers += f"In-Reply-To: {r['message_id']}\r\nReferences: {r['message_id']}\r\n"
            subject = "RE: " + r["subject"]
            body += QUOTED.format(subject=r["subject"], reference=r["reference"])
        elif layer in (3, 4):
            to = f"{local}+{r['reference'].lower()}@{domain}"
        elif layer == 5:
            subject = f"FOI {9000000 + n} - your request [ref {r['reference']}]"
        elif layer == 6:
            body += QUOTED.format(subject=r["subject"], reference=r["reference"])
        elif layer == 8:
            sender = f"newsletter{n}@shop.example"
            subject = "Offers this week"
        elif layer == 9 and n % 20 == 9:
            headers += "Auto-Submitted: auto-replied\r\n"
            subject = "Automatic reply: " + r["subject"]
        text = (f"From: FOI Team <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
                f"Date: {format_datetime(SENT + timedelta(days=1 + n % 20, minutes=n))}\r\n"
                f"Message-ID: <bench.{n}.{seed}@{sender.rpartition('@')[2]}>\r\n{headers}"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n"
                f"Dear Bench Campaigner,\r\n\r\n{body}\r\n\r\nYours sincerely,\r\nInformation Governance Team\r\n")
        out.append(text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8"))
    return out


def bare_fetch(dovecot: Dovecot, user: str, batch_size: int) -> tuple[float, int, int]:
    """One connection, EXAMINE, UID SEARCH, BODY.PEEK[] in batches; keeps nothing."""
    t0 = time.perf_counter()
    client = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=60)
    client.login(user, dovecot.password)
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["UID", "1:*"])
    count = size = 0
    for start in range(0, len(uids), batch_size):
        for data in client.fetch(uids[start:start + batch_size], ["BODY.PEEK[]", "INTERNALDATE"]).values():
            count += 1
            size += len(data[b"BODY[]"])
    client.logout()
    return time.perf_counter() - t0, count, size


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
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(prefix="fbmail-", dir=str(shm) if shm.is_dir() else "/tmp"))
    dovecot = Dovecot(base)
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
              f"{seeded:.2f} s; mail on {base}")
        bare_runs, foibot_runs = [], []
        report = None
        for _ in range(args.rounds):
            bare_runs.append(bare_fetch(dovecot, user, args.batch_size))
            seconds, report = foibot_ingest(work / "run", sent_folder)
            foibot_runs.append((seconds, report))
        bare_s, count, _size = min(bare_runs)
        foibot_s, report = min(foibot_runs, key=lambda x: x[0])
        assert count == args.messages and report.stored == args.messages, (count, report.summary())
        print(f"foibot poll:  {args.messages / foibot_s:8.0f} msg/s  ({foibot_s:.2f} s: fetch+store "
              f"{report.seconds_fetching:.2f} s, parse+match+classify {report.seconds_filing:.2f} s)")
        print(f"bare fetch:   {args.messages / bare_s:8.0f} msg/s  ({bare_s:.2f} s)")
        print(f"ratio:        {foibot_s / bare_s:8.1f}x  (foibot / bare; aim: within 3x)")
        print(f"fetch+store alone: {report.seconds_fetching / bare_s:.1f}x the bare fetch")
        per = {k: v / args.messages * 1000 for k, v in report.timings.items()}
        print("filing, ms per message: " + ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
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
