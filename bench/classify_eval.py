"""Measure the reply classifier on folders of labelled replies, and its speed.

    python bench/classify_eval.py FOLDER [FOLDER ...] [--errors] [--questions fusus] [--split write|held|all]
    python bench/classify_eval.py --speed 10000 [FOLDER ...] [--sample] [--workers N]

Each FOLDER holds reply files (.txt bodies or .eml messages) and a labels.csv with at least the columns
`file, kind, authority_ref, exemptions` (as in ../shared/corpus/dev/). Prints accuracy per kind, overall
kind accuracy, the exact-match rate of authority_ref (after trimming; both empty counts as a match) and
exemption precision/recall (normalised, micro-averaged). The classifier is run exactly as `foibot classify`
runs it (foibot.understand.read.read_file).

`--split` measures on a fixed half of the authorities only: an authority belongs to `held` when the first
byte of the SHA-256 of its name (stripped, lower-cased) is odd, to `write` otherwise. Rules are written
reading the `write` half only; the `held` half is scored, never read, so its figure says how the reader does
on authorities it was not written for. The split is by authority, so one authority's replies stay together.

`--speed N` classifies N reply texts, cycled, each varied so that no cache helps: the `.txt` replies of the
FOLDERs given, else the project's own labelled replies (tests/fixtures/replies and its subfolders: every
kind, the shapes the rules were written for), so that the figure is a mix of real shapes, not one letter.
`--sample` times the single built-in sample instead (one short not-held letter), the input issue 12's first
figures were measured on: kept to compare with them, not a fair mix. Beside foibot's time it prints the bare
library's on the same texts the same minute: `re` searching each rule phrase once through each whole reply
(the machine's speed moves both alike, so their ratio is what compares from one run to another). Then the same
replies are written as files and read as `foibot classify` reads many files (read_files: one process per usable
core, `--workers N` to choose), and by the command itself, start-up and output included: the time a campaigner
waits for 10,000 readings.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foibot.understand.classify import REVIEW_BELOW
from foibot.understand.exemptions import parse_list
from foibot.understand.read import read_file

FIXTURES = ROOT / "tests" / "fixtures" / "replies"


def _questions(name: str | None):  # type: ignore[no-untyped-def]
    if not name:
        return ()
    from foibot.render import load_template_set

    return load_template_set(name).questions


def load_labels(folder: Path) -> list[dict[str, str]]:
    labels = folder / "labels.csv"
    if not labels.is_file():
        raise SystemExit(f"{folder}: no labels.csv")
    with labels.open(newline="", encoding="utf-8") as handle:
        return [dict(row, _path=str(folder / row["file"])) for row in csv.DictReader(handle)]


BANDS = ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0))


def _band(confidence: float) -> int:
    for index, (low, high) in enumerate(BANDS):
        if low <= confidence < high or (high == 1.0 and confidence >= low):
            return index
    return 0


def split_of(authority: str) -> str:
    """`held` or `write`: a fixed half of the authorities, by a hash of the name (see the module docstring)."""
    digest = hashlib.sha256(authority.strip().lower().encode("utf-8")).digest()
    return "held" if digest[0] % 2 else "write"


def evaluate(folders: list[Path], show_errors: bool, questions, split: str = "all") -> int:  # type: ignore[no-untyped-def]
    rows = [row for folder in folders for row in load_labels(folder)]
    if split != "all":
        rows = [row for row in rows if split_of(row.get("authority") or row["file"]) == split]
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    confusion: Counter[tuple[str, str]] = Counter()
    ref_hits = ref_total = ref_labelled_hits = ref_labelled = 0
    tp = fp = fn = 0
    errors: list[str] = []
    bands: dict[int, Counter[str]] = defaultdict(Counter)
    for row in rows:
        gold_kind = row["kind"].strip()
        reading = read_file(Path(row["_path"]), questions)
        got = reading.classification
        per_kind[gold_kind]["total"] += 1
        band = bands[_band(got.confidence)]
        band["total"] += 1
        band["correct"] += got.kind == gold_kind
        if got.kind == gold_kind:
            per_kind[gold_kind]["correct"] += 1
        else:
            confusion[(gold_kind, got.kind)] += 1
            errors.append(f"  {row['file']}: expected {gold_kind}, got {got.kind} ({got.rule}) "
                          f"{' | '.join(got.evidence)[:160]}")
        gold_ref = ";".join(r.strip() for r in (row.get("authority_ref") or "").split(";") if r.strip())
        got_ref = ";".join(r.strip() for r in got.authority_refs)
        ref_total += 1
        if gold_ref == got_ref:
            ref_hits += 1
        else:
            errors.append(f"  {row['file']}: authority_ref expected {gold_ref!r}, got {got_ref!r}")
        if gold_ref:
            ref_labelled += 1
            ref_labelled_hits += gold_ref == got_ref
        gold_ex = set(parse_list(row.get("exemptions") or ""))
        got_ex = set(got.exemptions)
        tp += len(gold_ex & got_ex)
        fp += len(got_ex - gold_ex)
        fn += len(gold_ex - got_ex)
        if gold_ex != got_ex:
            errors.append(f"  {row['file']}: exemptions expected {sorted(gold_ex)}, got {sorted(got_ex)}")
    total = sum(c["total"] for c in per_kind.values())
    correct = sum(c["correct"] for c in per_kind.values())
    print(f"replies: {total} from {', '.join(str(f) for f in folders)} (split: {split})")
    print("accuracy per kind:")
    for kind in sorted(per_kind):
        c = per_kind[kind]
        print(f"  {kind:26} {c['correct']:3}/{c['total']:<3} {c['correct'] / c['total']:6.1%}")
    print(f"kind accuracy:             {correct}/{total} = {correct / max(total, 1):.1%}")
    print(f"authority_ref exact match: {ref_hits}/{ref_total} = {ref_hits / max(ref_total, 1):.1%} "
          f"(on replies with a labelled ref: {ref_labelled_hits}/{ref_labelled})")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"exemptions: precision {precision:.1%} ({tp}/{tp + fp}), recall {recall:.1%} ({tp}/{tp + fn})")
    print("reliability (confidence band: readings right, share of all replies):")
    for index, (low, high) in enumerate(BANDS):
        c = bands.get(index, Counter())
        right = f"{c['correct'] / c['total']:6.1%}" if c["total"] else "     -"
        print(f"  {low:.1f}-{high:.1f}  {right} ({c['correct']}/{c['total']})  share {c['total'] / max(total, 1):6.1%}")
    sure = [bands[i] for i, (low, _) in enumerate(BANDS) if low >= REVIEW_BELOW and i in bands]
    sure_total = sum(c["total"] for c in sure)
    sure_right = sum(c["correct"] for c in sure)
    print(f"confidence >= {REVIEW_BELOW}: {sure_right}/{sure_total} right = {sure_right / max(sure_total, 1):.1%}; "
          f"{total - sure_total} of {total} ({(total - sure_total) / max(total, 1):.0%}) would wait for review")
    if confusion:
        print("confusions (expected -> got):")
        for (gold, got_kind), n in confusion.most_common():
            print(f"  {gold} -> {got_kind}: {n}")
    if show_errors and errors:
        print("errors:")
        print("\n".join(errors))
    return 0


def speed(count: int, folders: list[Path], questions, sample: bool = False,  # type: ignore[no-untyped-def]
          workers: int | None = None) -> int:
    """Classify `count` replies (the folders' texts or the project's own labelled replies, cycled; or the
    built-in sample) and report the rate."""
    from foibot.understand.classify import classify_text

    if sample:
        paths: list[Path] = []
    elif folders:
        paths = [path for folder in folders for path in sorted(folder.iterdir()) if path.suffix == ".txt"]
    else:
        paths = sorted(FIXTURES.rglob("*.txt"))
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in paths] or [_SAMPLE]
    source = "the built-in sample" if not paths else f"{len(texts)} texts from {', '.join(map(str, folders or [FIXTURES]))}"
    print(f"inputs: {source}, cycled")
    # Vary each text a little so that no cache can make repeated inputs look fast.
    inputs = [f"{texts[i % len(texts)]}\n\nRef {i}" for i in range(count)]
    start, cpu_start = time.perf_counter(), time.process_time()
    kinds: Counter[str] = Counter()
    for text in inputs:
        kinds[classify_text(text, questions=questions).kind] += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    chars = sum(len(t) for t in inputs)
    print(f"one process: classified {count} replies ({chars / count:.0f} characters on average) in {elapsed:.2f} s "
          f"({cpu:.2f} s of CPU): {count / elapsed:.0f} replies/s, {1000 * elapsed / count:.2f} ms each")
    print("kinds: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))
    _bare(inputs, elapsed)
    if workers != 1:
        _as_files(inputs, questions, workers, kinds)
    return 0


def _as_files(inputs: list[str], questions, workers: int | None, kinds: Counter[str]) -> None:  # type: ignore[no-untyped-def]
    """The same replies as files, read the way `foibot classify FILE ...` reads them (read_files: every usable
    core, in the order given), and then by the command itself, its output (one JSON line each) thrown away."""
    import subprocess
    import tempfile

    from foibot.collect.batch import read_files, usable_cores

    cores = usable_cores() if workers is None else workers
    with tempfile.TemporaryDirectory(prefix="foibot-speed-") as folder:
        paths = [Path(folder, f"reply-{i:05d}.txt") for i in range(len(inputs))]
        for path, text in zip(paths, inputs, strict=True):
            path.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        got = Counter(c.kind for _, c in read_files(paths, questions, workers))
        elapsed = time.perf_counter() - start
        same = "the same kinds" if got == kinds else f"DIFFERENT kinds: {dict(got)}"
        print(f"as {len(paths)} files, read_files on {cores} core(s): {elapsed:.2f} s, "
              f"{len(paths) / elapsed:.0f} replies/s ({same})")
        command = [sys.executable, "-m", "foibot", "classify", "--json"]
        if workers is not None:
            command += ["--workers", str(workers)]
        start = time.perf_counter()
        done = subprocess.run(command + [str(p) for p in paths], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            print(f"foibot classify failed: {done.stderr.strip()[-300:]}")
            return
        lines = done.stdout.count("\n")
        print(f"`foibot classify --json` on the {len(paths)} files (start-up included): {elapsed:.2f} s, "
              f"{lines} readings, {len(paths) / elapsed:.0f} replies/s")


BARE_SAMPLE = 1000


def _bare(inputs: list[str], elapsed: float) -> None:
    """The bare library on the same texts, timed the same minute: Python's re searching each of the rules'
    phrases once through each whole reply, case-insensitively (what a reader without foibot's cues, zones and
    sentences would do, and no more). The machine's own speed moves both alike, so the ratio is the figure to
    compare from one run to another."""
    from foibot.understand.rules import RULES

    patterns = [re.compile(phrase, re.IGNORECASE | re.MULTILINE) for rule in RULES for phrase in rule.phrases]
    sample = inputs[:BARE_SAMPLE]
    start = time.perf_counter()
    for text in sample:
        for pattern in patterns:
            pattern.search(text)
    bare = (time.perf_counter() - start) * len(inputs) / len(sample)
    print(f"bare re ({len(patterns)} rule phrases searched through each reply, case-insensitive; timed on "
          f"{len(sample)} and scaled): {bare:.2f} s for {len(inputs)}; foibot {elapsed / bare:.2f}x that")


_SAMPLE = """Our ref: 123456

Dear Requester,

Thank you for your request received on 17 April 2023, for the following information:

1. Please confirm whether the council has been in contact with Fusus.

Response

The council does not hold the information you requested. No communications with Fusus were received.

If you are unhappy with the way your request has been handled you can request an internal review.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--errors", action="store_true", help="List every wrong kind, reference and exemption.")
    parser.add_argument("--speed", type=int, default=0, metavar="N", help="Time the classification of N replies.")
    parser.add_argument("--sample", action="store_true",
                        help="With --speed: time the one built-in sample (issue 12's first figures), not a mix.")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="With --speed: processes for the files' pass (default: every usable core; 1: skip it).")
    parser.add_argument("--questions", default=None, metavar="TEMPLATE",
                        help="Also find answers to this template's questions (e.g. fusus), as the poller does.")
    parser.add_argument("--split", choices=("write", "held", "all"), default="all",
                        help="Only the authorities of one fixed half (by a hash of the name): write or held.")
    args = parser.parse_args()
    questions = _questions(args.questions)
    if args.speed:
        return speed(args.speed, args.folders, questions, args.sample, args.workers)
    if not args.folders:
        parser.error("give one or more folders with a labels.csv, or --speed N")
    return evaluate(args.folders, args.errors, questions, args.split)


if __name__ == "__main__":
    sys.exit(main())
