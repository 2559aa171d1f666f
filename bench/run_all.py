"""Every benchmark in one command, one after another, then a summary table (see BENCHMARKS.md).

    python bench/run_all.py [--quick] [--only NAME ...] [--skip NAME ...] [--corpus FOLDER ...] [--json FILE]

NAMEs: startup, send, poll, classify, scale, faults, web. Each benchmark starts its own servers (an aiosmtpd sink
in its own process, a Dovecot of its own on 127.0.0.1) and cleans up after itself; nothing needs to be
running first. Labelled reply folders (each with a labels.csv, e.g. a corpus kept outside the repository)
come from --corpus or from FOIBOT_BENCH_CORPUS (folders separated by ':'); the project's own labelled
replies (tests/fixtures/replies) are always measured. --quick runs every benchmark at small sizes (a check
that the command works, not figures to quote). Full size takes about 40 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from benchlib import BENCH, ROOT, child_env, machine, measure

NAMES = ("startup", "send", "poll", "classify", "scale", "faults", "web")


@dataclass
class Row:
    """One line of the summary: foibot's figure, the bare library's next to it, and the aim."""

    benchmark: str
    measure: str
    foibot: str
    bare: str = ""
    ratio: str = ""
    aim: str = ""
    met: bool | None = None


def _run(title: str, args: list[str], env: dict[str, str] | None = None, timeout: float = 7200) -> tuple[str, float]:
    """Run one benchmark with its output shown as it goes; returns (output, seconds)."""
    print(f"\n##### {title}\n$ {' '.join(args)}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            env=env or child_env())
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    code = proc.wait(timeout)
    seconds = time.perf_counter() - started
    print(f"##### {title}: exit {code}, {seconds:.0f} s ({machine()})", flush=True)
    output = "".join(lines)
    if code != 0:
        raise _Failed(f"{title} exited {code}", output)
    return output, seconds


class _Failed(Exception):
    def __init__(self, message: str, output: str):
        super().__init__(message)
        self.output = output


def _num(pattern: str, text: str, group: int = 1) -> float | None:
    found = re.search(pattern, text)
    return float(found.group(group).replace(",", "")) if found else None


def _fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "?" if value is None else f"{value:.{digits}f}{unit}"


# --- the benchmarks ------------------------------------------------------------------------------------

def startup(quick: bool) -> list[Row]:
    """`foibot --help`, best of 10, next to a bare interpreter's start."""
    print(f"\n##### startup\n({machine()})", flush=True)
    runs = 3 if quick else 10
    env = child_env()
    entry = shutil.which("foibot")
    commands = {"foibot --help": [entry, "--help"] if entry else [sys.executable, "-m", "foibot", "--help"],
                "python -m foibot send --help": [sys.executable, "-m", "foibot", "send", "--help"],
                "python -c pass": [sys.executable, "-c", "pass"]}
    best = {name: min(measure(cmd, env=env).check(name).seconds for _ in range(runs)) for name, cmd in commands.items()}
    for name, seconds in best.items():
        print(f"{name:32} {seconds * 1000:6.0f} ms (best of {runs})")
    bare = best["python -c pass"]
    return [Row("startup", name, f"{best[name] * 1000:.0f} ms", f"{bare * 1000:.0f} ms (bare python)",
                f"+{(best[name] - bare) * 1000:.0f} ms", "< 300 ms", best[name] < 0.3)
            for name in ("foibot --help", "python -m foibot send --help")]


def send(quick: bool) -> list[Row]:
    args = [sys.executable, str(BENCH / "send_bench.py")] + (["--messages", "300", "--rounds", "1"] if quick else [])
    out, _ = _run("send: foibot send vs a bare aiosmtplib loop", args)
    n = _num(r"^(\d+) messages of", out.strip())
    end_to_end = _num(r"ratio \(foibot / bare\)\s+([\d.]+)x end to end", out)
    stage = _num(r"end to end, ([\d.]+)x sending stage", out)
    bare_rate = _num(r"bare aiosmtplib loop\s+(\d+) msg/s", out)
    foibot_rate = _num(r"foibot send \(end to end\)\s+(\d+) msg/s", out)
    stage_rate = _num(r"foibot sending stage only\s+(\d+) msg/s", out)
    cpu = re.search(r"client CPU per message\s+bare (\d+) us, foibot sending (\d+) us \(([\d.]+)x\), foibot end to "
                    r"end (\d+) us \(([\d.]+)x\)", out)
    label = f"{n:.0f} requests" if n else "requests"
    rows = [Row("send", f"{label}, end to end (render, queue, send)", f"{_fmt(foibot_rate, ' msg/s', 0)}",
                f"{_fmt(bare_rate, ' msg/s', 0)}", _fmt(end_to_end, "x"), "within 1.5x",
                end_to_end is not None and end_to_end <= 1.5),
            Row("send", f"{label}, sending stage (outbox + mailer)", f"{_fmt(stage_rate, ' msg/s', 0)}",
                f"{_fmt(bare_rate, ' msg/s', 0)}", _fmt(stage, "x"), "within 1.5x",
                stage is not None and stage <= 1.5)]
    if cpu:
        rows.append(Row("send", "client CPU per message, sending stage", f"{cpu.group(2)} us", f"{cpu.group(1)} us",
                        f"{cpu.group(3)}x", "", None))
    return rows


def poll(quick: bool) -> list[Row]:
    args = [sys.executable, str(BENCH / "poll_bench.py")]
    if quick:
        args += ["--messages", "500", "--large", "2000", "--rounds", "1"]
    out, _ = _run("poll: foibot poll vs a bare imapclient fetch; empty passes", args)
    n = _num(r"Seeded (\d+) replies", out)
    bare_rate = _num(r"bare imapclient fetch:\s+(\d+) msg/s", out)
    ingest = re.search(r"foibot ingest \(([^)]*)\):\s+(\d+) msg/s .*?([\d.]+)x the bare fetch", out)
    whole = re.search(r"foibot poll \(([^)]*)\):\s+(\d+) msg/s .*?([\d.]+)x the bare fetch", out)
    floors = re.findall(r"\+ (stdlib parse \([^)]*\)), nothing kept:\s+(\d+) msg/s .*?([\d.]+)x the bare fetch", out)
    bare = _fmt(bare_rate, " msg/s", 0)
    rows = []
    for what, rate, ratio in floors:  # what parsing alone costs: the floor under any ingest that parses
        rows.append(Row("poll", f"floor: bare fetch + {what} only, nothing kept", f"{rate} msg/s", bare,
                        f"{float(ratio):.1f}x", "", None))
    if ingest:
        ratio = float(ingest.group(3))
        rows.append(Row("poll", f"ingest {_fmt(n, '', 0)} replies ({ingest.group(1)})", f"{ingest.group(2)} msg/s",
                        bare, f"{ratio:.1f}x", "within 3x", ratio <= 3))
    if whole:
        rows.append(Row("poll", f"whole poll of {_fmt(n, '', 0)} ({whole.group(1).lstrip('+ ')} too)",
                        f"{whole.group(2)} msg/s", bare, f"{float(whole.group(3)):.1f}x", "", None))
    if not rows:
        rows.append(Row("poll", "ingest", "? (see the output above)"))
    empties = re.findall(r"empty pass, (\d+) messages in the folder: ([\d.]+) ms", out)
    for size, ms in empties:
        rows.append(Row("poll", f"pass with nothing new, {int(size):,} in the folder", f"{float(ms):.1f} ms", "",
                        "", "the same at both sizes, ms", None))
    if len(empties) == 2:
        small, large = float(empties[0][1]), float(empties[1][1])
        rows[-1].ratio = f"{large / small:.2f}x the smaller"
        # "The same, in milliseconds": a few ms of scheduling noise on a shared machine is not growth.
        rows[-1].met = large < 100 and large - small < 25
    return rows


def _corpus_folders(given: list[Path]) -> list[Path]:
    folders = list(given)
    folders += [Path(p) for p in os.environ.get("FOIBOT_BENCH_CORPUS", "").split(os.pathsep) if p]
    for folder in folders:
        if not (folder / "labels.csv").is_file():
            raise SystemExit(f"{folder}: no labels.csv (labelled folders: --corpus or FOIBOT_BENCH_CORPUS)")
    return folders


def classify(quick: bool, corpus: list[Path]) -> list[Row]:
    script = str(BENCH / "classify_eval.py")
    count = 2000 if quick else 10_000
    out, _ = _run(f"classify: {count:,} replies", [sys.executable, script, "--speed", str(count), *map(str, corpus)])
    seconds = _num(r"classified \d+ replies .* in ([\d.]+) s", out)
    each = _num(r"([\d.]+) ms each", out)
    rows = [Row("classify", f"classify {count:,} reply texts", _fmt(seconds, " s"), ratio=_fmt(each, " ms each"),
                aim="seconds, not minutes", met=seconds is not None and seconds < 60)]
    command = _num(r"`foibot classify --json` on the \d+ files \(start-up included\): ([\d.]+) s", out)
    rows.append(Row("classify", f"foibot classify on {count:,} reply files (every core)", _fmt(command, " s"),
                    ratio=_fmt(seconds, " s in one process"), aim="under 10 s for 10,000 (issue 12)",
                    met=command is not None and command * 10_000 / count < 10))
    for folder in [ROOT / "tests" / "fixtures" / "replies", *corpus]:
        out, _ = _run(f"classify: accuracy on {folder}", [sys.executable, script, str(folder)])
        name = "the project's own labelled replies" if folder.parent.parent == ROOT / "tests" else str(folder)
        kind = re.search(r"kind accuracy:\s+(\d+)/(\d+) = ([\d.]+)%", out)
        ref = re.search(r"authority_ref exact match: (\d+)/(\d+) = ([\d.]+)%", out)
        ex = re.search(r"exemptions: precision ([\d.]+)% .*recall ([\d.]+)%", out)
        rows.append(Row("classify", f"kind accuracy, {name}",
                        f"{kind.group(3)}% ({kind.group(1)}/{kind.group(2)})" if kind else "?"))
        rows.append(Row("classify", f"authority_ref exact, {name}", f"{ref.group(3)}%" if ref else "?"))
        rows.append(Row("classify", f"exemptions precision / recall, {name}",
                        f"{ex.group(1)}% / {ex.group(2)}%" if ex else "?"))
    return rows


def scale(quick: bool) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="foibot-runall-") as tmp:
        figures = Path(tmp) / "scale.json"
        args = [sys.executable, str(BENCH / "scale.py"), "--json", str(figures)]
        if quick:
            args += ["--authorities", "1000", "--messages", "4000", "--small", "1000"]
        _run("scale: a run of 10,000 authorities, a mailbox of 100,000 messages", args)
        r = json.loads(figures.read_text())
    rows = []
    s = r.get("send")
    if s:
        n, cli, bare = s["authorities"], s["send_cli"], s["bare_send"]
        rows.append(Row("scale", f"foibot send, {n:,} authorities ({s['connections']} connections)",
                        f"{cli['seconds']:.1f} s, {cli['rss_mb']:.0f} MB", f"{bare['seconds']:.1f} s, "
                        f"{bare['rss_mb']:.0f} MB", f"{cli['seconds'] / bare['seconds']:.2f}x", "", None))
        steps = s["send_steps"]
        rows.append(Row("scale", "  step by step: render+check / queue / send",
                        f"{steps['render']:.1f} / {steps['queue']:.1f} / {steps['send']:.1f} s", "",
                        f"send {steps['send'] / bare['seconds']:.2f}x", "", None))
        ex, bex = s["export"], s["bare_export"]
        rows.append(Row("scale", f"foibot export, {n:,} rows", f"{ex['seconds']:.2f} s, {ex['rss_mb']:.0f} MB",
                        f"{bex['seconds']:.2f} s, {bex['rss_mb']:.0f} MB (sqlite3+csv dump)",
                        f"{ex['seconds'] / bex['seconds']:.1f}x", "", None))
    p = r.get("poll")
    if p:
        for size, entry in sorted(p["sizes"].items(), key=lambda kv: int(kv[0])):
            rows.append(Row("scale", f"foibot poll, {int(size):,} messages", f"{entry['seconds']:.0f} s, "
                            f"{entry['rss_mb']:.0f} MB", f"{entry['bare_seconds']:.1f} s, {entry['bare_rss_mb']:.0f} MB",
                            f"{entry['seconds'] / entry['bare_seconds']:.0f}x", "", None))
        per = p.get("rss_kb_per_extra_message")
        if per is not None:
            sizes = sorted(p["sizes"].values(), key=lambda e: e["bytes"])
            growth = sizes[-1]["rss_mb"] / sizes[0]["rss_mb"]
            rows.append(Row("scale", f"poll memory, {p['small']:,} -> {p['messages']:,} messages",
                            f"{growth:.2f}x ({per:.2f} KB per extra message)", "", "",
                            "bounded (not proportional)", growth < 1.5))
        empty = p.get("empty_pass")
        if empty:
            rows.append(Row("scale", f"`foibot poll` with nothing new, {p['messages']:,} in the folder",
                            f"{empty['seconds'] * 1000:.0f} ms (whole process)", "", "", "", None))
    return rows


def faults(quick: bool) -> list[Row]:
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_faults_*.py"))
    files += [f for f in ["tests/test_send_crash.py"] if (ROOT / f).is_file()]
    if not files:
        return [Row("faults", "fault-injection campaigns", "no test files found")]
    env = child_env() if quick else child_env(FOIBOT_LONG_TESTS="1")
    try:
        out, seconds = _run("faults: the long fault-injection campaigns" if not quick else "faults (short)",
                            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files], env=env)
        ok = True
    except _Failed as exc:
        out, seconds, ok = exc.output, 0.0, False
    tally = re.findall(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)", out.strip().splitlines()[-1] if out.strip() else "")
    summary = ", ".join(f"{n} {word}" for n, word in tally) or "see output"
    return [Row("faults", f"{'long ' if not quick else ''}fault-injection campaigns ({len(files)} files)",
                summary + (f" in {seconds:.0f} s" if seconds else ""), aim="all pass", met=ok)]


# --- the summary ------------------------------------------------------------------------------------------

def web(quick: bool) -> list[Row]:
    """The workspace's request list (bench/web_bench.py): one page over HTTP, warm and after a write."""
    count = 1000 if quick else 10_000
    out, _ = _run("web", [sys.executable, str(BENCH / "web_bench.py"), "--requests", str(count)])
    warm = re.search(r"list page warm: p50 ([\d.]+) ms, p95 ([\d.]+) ms", out)
    after = re.search(r"after a write by another process: p50 (\d+) ms, p95 (\d+) ms, max (\d+) ms", out)
    status = re.search(r"foibot status \(a process\): best ([\d.]+) s, median ([\d.]+) s", out)
    bare = re.search(r"bare sqlite page: p50 ([\d.]+) ms, p95 ([\d.]+) ms", out)
    bare_text = f"{bare.group(1)} / {bare.group(2)} ms (sqlite3 page)" if bare else ""
    rows = [Row("web", f"request list page, {count:,} requests, p50 / p95",
                f"{warm.group(1)} / {warm.group(2)} ms" if warm else "?", bare_text, "", "< 200 ms",
                float(warm.group(2)) < 200 if warm else None)]
    if after:
        rows.append(Row("web", "  first page after another process wrote, p50 / p95 / max",
                        f"{after.group(1)} / {after.group(2)} / {after.group(3)} ms", "", "", "< 200 ms (max)",
                        float(after.group(3)) < 200))
    if status:
        rows.append(Row("web", f"  foibot status on the same {count:,} requests, best / median",
                        f"{status.group(1)} / {status.group(2)} s", "", "", "", None))
    return rows


def table(rows: list[Row]) -> str:
    head = ("benchmark", "what", "foibot", "bare library / server", "ratio", "aim", "")
    body = [(r.benchmark, r.measure, r.foibot, r.bare, r.ratio, r.aim,
             {True: "ok", False: "MISSED", None: ""}[r.met]) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(b, widths)) + " |" for b in body]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the command, not figures")
    parser.add_argument("--only", nargs="+", choices=NAMES, default=None)
    parser.add_argument("--skip", nargs="+", choices=NAMES, default=())
    parser.add_argument("--corpus", nargs="+", type=Path, default=[], help="labelled reply folders (labels.csv)")
    parser.add_argument("--json", type=Path, help="also write the summary rows here")
    args = parser.parse_args()
    corpus = _corpus_folders(args.corpus)
    chosen = [n for n in (args.only or NAMES) if n not in args.skip]
    steps: dict[str, Callable[[], list[Row]]] = {
        "startup": lambda: startup(args.quick), "send": lambda: send(args.quick), "poll": lambda: poll(args.quick),
        "classify": lambda: classify(args.quick, corpus), "scale": lambda: scale(args.quick),
        "faults": lambda: faults(args.quick), "web": lambda: web(args.quick),
    }
    before = machine()
    print(f"foibot benchmarks{' (quick)' if args.quick else ''}: {', '.join(chosen)}; {before}", flush=True)
    started = time.perf_counter()
    rows: list[Row] = []
    failures = []
    for name in chosen:
        try:
            got = steps[name]()
        except (_Failed, SystemExit) as exc:
            failures.append(f"{name}: {exc}")
            rows.append(Row(name, "did not finish", str(exc)[:80], met=False))
            continue
        rows += got
        if name == "faults" and any(r.met is False for r in got):  # a missed speed aim is a figure; a failed test is not
            failures.append("faults: a fault-injection test failed (see its output above)")
    minutes = (time.perf_counter() - started) / 60
    print(f"\n===== summary ({minutes:.0f} min; before: {before}; after: {machine()})\n")
    print(table(rows))
    if failures:
        print("\n" + "\n".join(failures))
    if args.json:
        args.json.write_text(json.dumps({"machine_before": before, "machine_after": machine(),
                                         "rows": [asdict(r) for r in rows]}, indent=2), encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
