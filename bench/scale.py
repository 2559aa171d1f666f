"""Scale benchmark: a run of 10,000 authorities and a mailbox of 100,000 messages, time and peak memory.

    python bench/scale.py [--authorities 10000] [--connections 4] [--messages 100000] [--small 10000]
                          [--only send|poll] [--json FILE]

Send: 10,000 generated authorities (scale_data.py), `foibot send --yes` the real way (render, check, queue,
send through the outbox) to an aiosmtpd sink in its own process, rate limits off, N connections; then
`foibot export`. Each is a separate process whose wall time and peak RSS (wait4's ru_maxrss) are measured.
The same send is run again step by step (scale_workers.py phases) for the time and memory of each phase.
Next to them: a bare aiosmtplib loop sending the same bytes over the same connections, and a bare
sqlite3+csv dump of the requests table, each in its own process too.

Poll: a Dovecot of its own (mail on /dev/shm) is seeded by MULTIAPPEND with replies to a sent run of the
same authorities (the mix in scale_data.py). `foibot poll` ingests the folder into a fresh copy of the sent
campaign's database (fetch, store, parse, match, classify) at --small and at --messages messages, next to a
bare imapclient fetch of the same folder; then a pass with nothing new. Memory is bounded when the peak at
--messages is about the peak at --small (the difference per message is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import BENCH, Measured, child_env, foibot_command, machine, mail_base, measure
from fixtures_imap import Dovecot, toml_text  # tests/: the suite's own Dovecot runner
from scale_data import SentRequest, authorities_csv, mailbox

SENT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NOW = SENT + timedelta(days=35)
PASSWORD_ENV = "FOIBOT_SCALE_IMAP_PASSWORD"
RUN = "scale"
WORKERS = str(BENCH / "scale_workers.py")


def _worker(*args: str, env: dict[str, str] | None = None) -> tuple[Measured, dict[str, Any]]:
    m = measure([sys.executable, WORKERS, *args], env=env or child_env()).check(f"scale_workers {args[0]}")
    return m, json.loads(m.stdout.strip().splitlines()[-1])


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _mb(m: Measured | float) -> str:
    return f"{m.peak_rss_mb if isinstance(m, Measured) else m:6.0f} MB"


# --- send and export ------------------------------------------------------------------------------------

def _send_campaign(folder: Path, authorities: str, port: int, connections: int) -> None:
    folder.mkdir(parents=True)
    (folder / "authorities.csv").write_text(authorities, encoding="utf-8")
    (folder / "config.toml").write_text(toml_text({
        "requester": {"name": "Scale Campaigner", "email": "campaigner@scale.example", "reply_address": "plus"},
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "connections": connections,
                 "rate_per_minute": 0, "domain_pause_seconds": 0},
        "storage": {"database": "foibot.db"},
    }), encoding="utf-8")


def scale_send(work: Path, count: int, connections: int) -> dict[str, Any]:
    from send_bench import sink_count, start_sink

    authorities = authorities_csv(count)
    domains = len({line.rsplit(",", 3)[1].rpartition("@")[2] for line in authorities.splitlines()[1:]})
    sink, port = start_sink()
    results: dict[str, Any] = {"authorities": count, "domains": domains, "connections": connections}
    try:
        # 1. The command as a campaigner runs it.
        cli = work / "send-cli"
        _send_campaign(cli, authorities, port, connections)
        env = child_env(FOIBOT_NOW=SENT.isoformat())
        send = measure(foibot_command("send", "--run", RUN, "--template", "fusus", "--yes"), env=env,
                       cwd=cli).check("foibot send")
        db = cli / "foibot.db"
        sent = _count(db, "SELECT count(*) FROM messages WHERE direction = 'out' AND state = 'sent'")
        if sent != count or sink_count(sink) != count:
            raise SystemExit(f"foibot send: {sent} recorded as sent, the sink has {sink_count(sink)}; "
                             f"expected {count}\n{send.stdout}\n{send.stderr[-2000:]}")
        stage = re.search(r"Sent \d+ messages? through .* in ([\d.]+) s", send.stdout)
        results["send_cli"] = {"seconds": send.seconds, "rss_mb": send.peak_rss_mb, "cpu": send.cpu_seconds,
                               "sending_stage": float(stage.group(1)) if stage else None}
        # 2. The same work step by step, on a fresh campaign.
        steps_folder = work / "send-steps"
        _send_campaign(steps_folder, authorities, port, connections)
        steps, phases = _worker("phases", str(steps_folder), RUN, env=child_env(FOIBOT_NOW=SENT.isoformat()))
        if phases["sent"] != count:
            raise SystemExit(f"the step-by-step send sent {phases['sent']} of {count}")
        results["send_steps"] = {**phases, "rss_mb": steps.peak_rss_mb}
        # 3. The bare library, same bytes, same connections.
        bare, bare_out = _worker("bare-send", str(db), str(port), str(connections))
        if sink_count(sink) != 3 * count:
            raise SystemExit(f"the sink has {sink_count(sink)} messages, expected {3 * count}")
        results["bare_send"] = {"seconds": bare_out["send"], "process_seconds": bare.seconds,
                                "rss_mb": bare.peak_rss_mb}
        # 4. Export, next to a bare dump of the requests table.
        export = measure(foibot_command("export", "-o", "outcomes.csv"), env=env, cwd=cli).check("foibot export")
        with open(cli / "outcomes.csv", encoding="utf-8") as handle:
            rows = sum(1 for _ in handle) - 1
        if rows != count:
            raise SystemExit(f"foibot export wrote {rows} rows, expected {count}")
        bare_export, bare_export_out = _worker("bare-export", str(db), str(cli / "bare.csv"))
        results["export"] = {"seconds": export.seconds, "rss_mb": export.peak_rss_mb}
        results["bare_export"] = {"seconds": bare_export.seconds, "inner": bare_export_out["export"],
                                  "rss_mb": bare_export.peak_rss_mb}
    finally:
        if sink.stdin:
            sink.stdin.close()
        sink.wait(30)
    _print_send(results)
    return results


def _print_send(r: dict[str, Any]) -> None:
    n, cli, steps, bare = r["authorities"], r["send_cli"], r["send_steps"], r["bare_send"]
    print(f"\n== send: {n} authorities ({r['domains']} domains), {r['connections']} connections, rate limits off; "
          f"sink in its own process ==")
    print(f"foibot send (whole command)  {cli['seconds']:7.1f} s  {n / cli['seconds']:6.0f} msg/s  "
          f"peak {_mb(cli['rss_mb'])}  (sending stage {cli['sending_stage']} s)")
    print(f"  step by step: render+check {steps['render']:.1f} s (peak {steps['rss_render']:.0f} MB), queue "
          f"{steps['queue']:.1f} s (peak {steps['rss_queue']:.0f} MB), send {steps['send']:.1f} s "
          f"(peak {steps['rss_send']:.0f} MB)")
    print(f"bare aiosmtplib loop         {bare['seconds']:7.1f} s  {n / bare['seconds']:6.0f} msg/s  "
          f"peak {_mb(bare['rss_mb'])}  (process {bare['process_seconds']:.1f} s)")
    print(f"ratio: whole command {cli['seconds'] / bare['seconds']:.2f}x, sending step "
          f"{steps['send'] / bare['seconds']:.2f}x the bare loop; memory {cli['rss_mb'] / bare['rss_mb']:.1f}x")
    ex, bex = r["export"], r["bare_export"]
    print(f"foibot export                {ex['seconds']:7.2f} s  peak {_mb(ex['rss_mb'])}; bare sqlite3+csv dump "
          f"{bex['seconds']:.2f} s, peak {_mb(bex['rss_mb'])} ({ex['seconds'] / bex['seconds']:.1f}x)")


# --- poll -----------------------------------------------------------------------------------------------

def _sent_campaign(folder: Path, authorities: str, dovecot: Dovecot, user: str) -> list[SentRequest]:
    """A run sent the real way up to the wire (render, check, queue, recorded as sent), no SMTP leg."""
    from foibot.config import load_config
    from foibot.send import outbox
    from foibot.send import plan as planning
    from foibot.store import open_store

    folder.mkdir(parents=True)
    (folder / "authorities.csv").write_text(authorities, encoding="utf-8")
    (folder / "config.toml").write_text(toml_text({
        "requester": {"name": "Scale Campaigner", "email": user, "reply_address": "plus"},
        "imap": {**dovecot.imap_section(user), "password_env": PASSWORD_ENV},
        "storage": {"database": "foibot.db"},
    }), encoding="utf-8")
    config = load_config(folder / "config.toml")
    plan = planning.plan_run(config, RUN, "fusus", folder / "authorities.csv", SENT)
    store = open_store(config.database_path, config.files_dir)
    planning.queue_run(store, config, plan, SENT)
    with store.transaction():
        for item in outbox.queued(store):
            assert outbox.mark_sending(store, item, SENT) == "go"
            outbox.mark_sent(store, item, SENT, "250 2.0.0 Ok")
    requests = [SentRequest(r["reference"], r["authority_email"], r["message_id"], r["subject"])
                for r in store.db.query(
                    "SELECT q.reference, q.authority_email, m.message_id, m.subject FROM requests q "
                    "JOIN messages m ON m.request_id = q.id AND m.direction = 'out' ORDER BY q.id")]
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return requests


def _poll_into_copy(sent: Path, target: Path, env: dict[str, str]) -> tuple[Measured, str]:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(sent, target)
    m = measure(foibot_command("poll"), env=env, cwd=target).check("foibot poll")
    return m, m.stdout.strip().splitlines()[0] if m.stdout.strip() else ""


def scale_poll(work: Path, count: int, small: int, authorities_count: int) -> dict[str, Any]:
    dovecot = Dovecot(mail_base())
    dovecot.start()
    results: dict[str, Any] = {"messages": count, "small": small, "authorities": authorities_count, "sizes": {}}
    try:
        user = dovecot.new_user("scale")
        sent = work / "poll-sent"
        t0 = time.perf_counter()
        requests = _sent_campaign(sent, authorities_csv(authorities_count), dovecot, user)
        print(f"\n== poll: a sent run of {len(requests)} requests ({time.perf_counter() - t0:.1f} s to render and "
              f"record); mail on {dovecot.base} ==")
        env = child_env(FOIBOT_NOW=NOW.isoformat(), **{PASSWORD_ENV: dovecot.password})
        seeded = 0
        for size in sorted({small, count}):
            t0 = time.perf_counter()
            dovecot.multiappend(user, mailbox(requests, user, SENT, seeded, size))
            print(f"seeded {size - seeded} messages by MULTIAPPEND in {time.perf_counter() - t0:.1f} s "
                  f"(generated as they go) -> {size} in the folder")
            seeded = size
            bare, bare_out = _worker("bare-fetch", str(dovecot.imap_port), user, dovecot.password, "100")
            if bare_out["count"] != size:
                raise SystemExit(f"the bare fetch saw {bare_out['count']} messages, expected {size}")
            run = work / f"poll-{size}"
            poll, summary = _poll_into_copy(sent, run, env)
            stored = _count(run / "foibot.db", "SELECT count(*) FROM messages WHERE direction = 'in'")
            if stored != size:
                raise SystemExit(f"foibot poll stored {stored} of {size}: {summary}\n{poll.stderr[-2000:]}")
            entry = {"seconds": poll.seconds, "rss_mb": poll.peak_rss_mb, "cpu": poll.cpu_seconds,
                     "summary": summary, "bare_seconds": bare_out["fetch"], "bare_rss_mb": bare.peak_rss_mb,
                     "bytes": bare_out["bytes"]}
            results["sizes"][size] = entry
            print(f"{size:>7} messages ({bare_out['bytes'] / size:.0f} bytes on average):")
            print(f"  foibot poll      {poll.seconds:7.1f} s  {size / poll.seconds:6.0f} msg/s  peak {_mb(poll)}  "
                  f"({poll.cpu_seconds:.0f} s CPU)")
            print(f"  bare imapclient  {bare_out['fetch']:7.1f} s  {size / bare_out['fetch']:6.0f} msg/s  "
                  f"peak {_mb(bare)}")
            print(f"  ratio {poll.seconds / bare_out['fetch']:.1f}x the bare fetch;  {summary}")
        empty, summary = measure(foibot_command("poll"), env=env, cwd=work / f"poll-{count}").check("poll"), ""
        results["empty_pass"] = {"seconds": empty.seconds, "rss_mb": empty.peak_rss_mb}
        print(f"  a pass with nothing new at {count} messages: `foibot poll` {empty.seconds * 1000:.0f} ms "
              f"(whole process), peak {_mb(empty)}; {empty.stdout.strip().splitlines()[0]}")
        if small < count:
            a, b = results["sizes"][small], results["sizes"][count]
            per = (b["rss_mb"] - a["rss_mb"]) * 1024 / (count - small)
            results["rss_kb_per_extra_message"] = per
            print(f"memory: peak {a['rss_mb']:.0f} MB at {small} messages, {b['rss_mb']:.0f} MB at {count} "
                  f"({b['rss_mb'] / a['rss_mb']:.2f}x for {count / small:.0f}x the mail; {per:.2f} KB per extra "
                  f"message, the mail averages {b['bytes'] / count / 1024:.1f} KB)")
    finally:
        dovecot.cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authorities", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="the smaller mailbox, to compare memory")
    parser.add_argument("--only", choices=("send", "poll"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    os.environ.pop("FOIBOT_CONFIG", None)
    print(f"scale benchmark on {machine()}")
    work = Path(tempfile.mkdtemp(prefix="foibot-scale-"))
    results: dict[str, Any] = {"machine": machine()}
    started = time.perf_counter()
    try:
        if args.only in (None, "send"):
            results["send"] = scale_send(work, args.authorities, args.connections)
        if args.only in (None, "poll"):
            results["poll"] = scale_poll(work, args.messages, min(args.small, args.messages), args.authorities)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine_after"] = machine()
    print(f"\nscale benchmark done in {time.perf_counter() - started:.0f} s; {machine()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
