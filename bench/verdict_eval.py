"""Measure the per-question verdicts on labelled replies: accuracy per verdict, overall, and where answers came from.

    python bench/verdict_eval.py [--errors] [FOLDER ...]

Without FOLDER: the project's own labelled Fusus replies (tests/fixtures/verdicts/, labels.csv with the
columns `file, q1, q2, q3, exemption, source`) and the two seed replies of ../shared/seeds when that folder
is there (Barnet answers question 1 "no", the combined authority "no"; skipped cleanly when absent).
Each reply is read exactly as the poller reads it (foibot.understand.read.read_file, the Fusus questions),
then judged by foibot.understand.question_verdicts.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foibot.render import load_template_set
from foibot.understand import judge_reply, locate, page_texts, vocabularies
from foibot.understand.read import Reading, read_file

FIXTURES = ROOT / "tests" / "fixtures" / "verdicts"
SEEDS = ROOT.parent / "shared" / "seeds"
# The seeds' labels.csv labels the kind, not the verdicts: question 1's verdict, as the issue gives it.
SEED_VERDICTS = {"barnet_reply.txt": {"q1": "no"}, "cpca_reply.txt": {"q1": "no"}}


def _source(reading: Reading, sentence: str) -> str:
    attachments = []
    if reading.parsed is not None:
        for a in reading.parsed.attachments:
            attachments.append((a.filename or "attachment", page_texts(a.data, a.content_type, a.filename)))
        email_text = reading.parsed.text or ""
    else:
        email_text = sentence  # a bare body text: the e-mail itself
    name, page = locate(sentence, email_text, attachments)
    return name + (f" p{page}" if page else "")


def cases() -> list[tuple[str, Path, dict[str, str], dict[str, str]]]:
    """(label set, file, {question: verdict}, the label row)."""
    out = []
    folders = [FIXTURES]
    for folder in folders:
        with (folder / "labels.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                gold = {q: row[q].strip() for q in ("q1", "q2", "q3") if row.get(q, "").strip()}
                out.append(("fixtures", folder / row["file"], gold, row))
    if SEEDS.is_dir():
        for name, gold in SEED_VERDICTS.items():
            if (SEEDS / name).is_file():
                out.append(("seeds", SEEDS / name, gold, {}))
    return out


def evaluate(show_errors: bool) -> int:
    template = load_template_set("fusus")
    vocab = vocabularies(template.questions)
    per_verdict: dict[str, Counter[str]] = defaultdict(Counter)
    per_set: dict[str, Counter[str]] = defaultdict(Counter)
    errors: list[str] = []
    sources = Counter[str]()
    exemption_hits = exemption_total = 0
    found = cases()
    if not SEEDS.is_dir():
        print(f"seeds: {SEEDS} not found, skipped")
    for label_set, path, gold, row in found:
        reading = read_file(path, template.questions)
        c = reading.classification
        got = judge_reply(c.answers, c.kind, c.exemptions, vocab, c.evidence)
        for qid, expected in gold.items():
            verdict = got[qid]
            per_verdict[expected]["total"] += 1
            per_set[label_set]["total"] += 1
            if verdict.verdict == expected:
                per_verdict[expected]["correct"] += 1
                per_set[label_set]["correct"] += 1
            else:
                errors.append(f"  {path.name} {qid}: expected {expected}, got {verdict.verdict} "
                              f"({c.kind}; {verdict.sentence[:90]!r}; answer {c.answers.get(qid, '')[:80]!r})")
            if expected == "withheld" and row.get("exemption"):
                exemption_total += 1
                if verdict.exemption == row["exemption"]:
                    exemption_hits += 1
                else:
                    errors.append(f"  {path.name} {qid}: exemption expected {row['exemption']!r}, "
                                  f"got {verdict.exemption!r}")
        if row.get("source"):
            decided = [v for v in got.values() if v.sentence]
            where = _source(reading, decided[0].sentence) if decided else ""
            expected_source = row["source"]
            sources["total"] += 1
            if where == expected_source:
                sources["correct"] += 1
            else:
                errors.append(f"  {path.name}: source expected {expected_source!r}, got {where!r}")
    print(f"{'verdict':<14}{'correct':>9}{'total':>7}{'accuracy':>10}")
    for verdict in sorted(per_verdict):
        counts = per_verdict[verdict]
        print(f"{verdict:<14}{counts['correct']:>9}{counts['total']:>7}{counts['correct'] / counts['total']:>10.0%}")
    total = sum(c["total"] for c in per_verdict.values())
    correct = sum(c["correct"] for c in per_verdict.values())
    print(f"{'all':<14}{correct:>9}{total:>7}{(correct / total if total else 0):>10.0%}")
    for label_set, counts in sorted(per_set.items()):
        print(f"  {label_set}: {counts['correct']}/{counts['total']} questions")
    if exemption_total:
        print(f"exemption of withheld answers: {exemption_hits}/{exemption_total}")
    if sources["total"]:
        print(f"source (e-mail or attachment and page): {sources['correct']}/{sources['total']}")
    if show_errors and errors:
        print("errors:")
        print("\n".join(errors))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="List every wrong verdict.")
    args = parser.parse_args()
    return evaluate(args.errors)


if __name__ == "__main__":
    raise SystemExit(main())
