"""Send benchmark: foibot's whole send path against a bare aiosmtplib loop, same sink, same connections.

    python bench/send_bench.py [--messages 1000] [--connections 2] [--rounds 3]

A counting aiosmtpd sink runs in its own process (client and server must not share a GIL). foibot sends
N requests the real way (render and check every request, queue them in one transaction, send through
the outbox with a claim before and a record after every message), rate limits off. The bare loop sends the
same N messages (the very bytes foibot built) with `SMTP.sendmail` over the same number of reused
connections, and records nothing. Each side runs `--rounds` times; the best round counts.
Aim: foibot within 1.5x of the bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bare_smtp import bare_loop

from foibot.clock import now as clock_now
from foibot.config import load_config
from foibot.send import outbox
from foibot.send import plan as planning
from foibot.send import run as sending
from foibot.store import open_store

KINDS = ("council", "police_force", "police_commissioner", "combined_authority")


def start_sink() -> tuple[subprocess.Popen[str], int]:
    sink = subprocess.Popen([sys.executable, str(HERE / "smtp_sink.py")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None
    line = sink.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        sink.kill()
        raise SystemExit(f"the sink did not start: {line}")
    return sink, int(line[1])


def sink_count(sink: subprocess.Popen[str]) -> int:
    assert sink.stdin is not None and sink.stdout is not None
    sink.stdin.write("COUNT\n")
    sink.stdin.flush()
    return int(sink.stdout.readline())


def write_campaign(folder: Path, port: int, messages: int, connections: int) -> Path:
    (folder / "config.toml").write_text(
        "[requester]\nname = \"Bench Campaigner\"\nemail = \"campaigner@bench.example\"\n"
        "reply_address = \"plus\"\n\n"
        f"[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nconnections = {connections}\n"
        "rate_per_minute = 0\ndomain_pause_seconds = 0\n",
        encoding="utf-8",
    )
    rows = ["id,name,email,kind,jurisdiction"]
    for i in range(messages):
        rows.append(f"body-{i},Public Body {i},foi{i}@body{i % 97}.example,{KINDS[i % 4]},england")
    (folder / "authorities.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder / "config.toml"


def foibot_round(port: int, messages: int, connections: int) -> tuple[dict[str, float], list[tuple[str, str, bytes]]]:
    with tempfile.TemporaryDirectory(prefix="foibot-bench-") as tmp:
        folder = Path(tmp)
        config = load_config(write_campaign(folder, port, messages, connections))
        now = clock_now()
        c0, t0 = time.process_time(), time.perf_counter()
        plan = planning.plan_run(config, "bench", "fusus", folder / "authorities.csv", now)
        t1 = time.perf_counter()
        store = open_store(config.database_path, config.files_dir)
        planning.queue_run(store, config, plan, now)
        c2, t2 = time.process_time(), time.perf_counter()
        report = sending.send_pending(store, config, now)
        c3, t3 = time.process_time(), time.perf_counter()
        if report.sent != messages or not report.ok:
            raise SystemExit(f"foibot sent {report.sent} of {messages}: {report}")
        sent_rows = store.db.execute(
            "SELECT count(*) FROM messages WHERE direction = 'out' AND state = 'sent'").fetchone()[0]
        assert sent_rows == messages, sent_rows
        wire = [(m.from_addr, m.to_addr, m.raw) for m in _all_outgoing(store)]
        store.close()
    timings = {"render": t1 - t0, "queue": t2 - t1, "send": t3 - t2, "total": t3 - t0,
               "cpu_total": c3 - c0, "cpu_send": c3 - c2}
    return timings, wire


def _all_outgoing(store: object) -> list[outbox.Outgoing]:
    rows = store.db.query(  # type: ignore[attr-defined]
        "SELECT id, request_id, stage, to_addrs, from_addr, message_id, raw, attempts FROM messages "
        "WHERE direction = 'out' ORDER BY id")
    return [outbox.Outgoing(r["id"], r["request_id"], r["stage"], r["to_addrs"], r["from_addr"],
                            r["message_id"], r["raw"], r["attempts"]) for r in rows]


def bare_round(port: int, wire: list[tuple[str, str, bytes]], connections: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for the bare loop."""
    c0 = time.process_time()
    wall = asyncio.run(bare_loop(port, wire, connections))
    return wall, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.pop("FOIBOT_CONFIG", None)
    sink, port = start_sink()
    try:
        foibot_runs: list[dict[str, float]] = []
        bare_runs: list[tuple[float, float]] = []
        wire: list[tuple[str, str, bytes]] = []
        for _ in range(args.rounds):  # interleaved, so a busy moment on the machine hits both sides
            timings, wire = foibot_round(port, args.messages, args.connections)
            foibot_runs.append(timings)
            bare_runs.append(bare_round(port, wire, args.connections))
        expected = 2 * args.rounds * args.messages
        received = sink_count(sink)
        if received != expected:
            raise SystemExit(f"the sink received {received} messages, expected {expected}")
    finally:
        if sink.stdin:
            sink.stdin.close()
        sink.wait(10)
    best = min(foibot_runs, key=lambda t: t["total"])
    bare, bare_cpu = min(bare_runs)
    cpu_total = min(t["cpu_total"] for t in foibot_runs)
    cpu_send = min(t["cpu_send"] for t in foibot_runs)
    bare_cpu = min(c for _, c in bare_runs)
    n = args.messages
    size = sum(len(w[2]) for w in wire) / len(wire)
    print(f"{n} messages of ~{size:.0f} bytes, {args.connections} connections, rate limits off, "
          f"best of {args.rounds} (sink in its own process)")
    print(f"  bare aiosmtplib loop      {n / bare:8.0f} msg/s  ({bare:.3f} s)")
    print(f"  foibot send (end to end)  {n / best['total']:8.0f} msg/s  ({best['total']:.3f} s: render "
          f"{best['render']:.3f} + queue {best['queue']:.3f} + send {best['send']:.3f})")
    print(f"  foibot sending stage only {n / best['send']:8.0f} msg/s")
    print(f"  ratio (foibot / bare)     {best['total'] / bare:8.2f}x end to end, "
          f"{best['send'] / bare:.2f}x sending stage (aim: within 1.5x)")
    print(f"  client CPU per message    bare {bare_cpu / n * 1e6:.0f} us, foibot sending {cpu_send / n * 1e6:.0f} us "
          f"({cpu_send / bare_cpu:.2f}x), foibot end to end {cpu_total / n * 1e6:.0f} us "
          f"({cpu_total / bare_cpu:.2f}x): what the wall-clock ratios tend to on a busy machine")


if __name__ == "__main__":
    main()
