"""Measure how foibot tells bounces, delay warnings and auto-replies from other mail, on labelled messages.

    python bench/mail_eval.py [FOLDER] [--split write|held|all] [--errors]

FOLDER (default ../shared/mail/dev beside the repository) holds whole messages (`NNNN.eml`) and a labels.csv
with the columns `file, source, class, failed_recipient` (`class`: bounce, bounce_delay, auto_reply, human).
Every message is read exactly as `foibot classify` reads it (foibot.understand.read.read_file) and put in
one of four classes: `bounce` (kind bounce, a permanent failure), `bounce_delay` (kind bounce, the server
will retry), `auto_reply`, `other` (any other kind). Prints the confusion table, recall and false positives
for each class, and how often the failed recipient the labels give is among those foibot found.

`--split` measures one fixed half only, by mail family: the source project's owner and the family of the
message within it (sisimai's `lhost-exim`, `rfc3834`; the BounceParser corpus's `warning`, `quota`; notmuch's
corpus folder; the fixture folder of the others). A family belongs to `held` when the first byte of the
SHA-256 of its key (`owner:family`, see `family_of`) is odd, to `write` otherwise. Rules are written reading
the `write` half; the `held` half is scored, never read, so its figure says how foibot does on MTAs it was
not written for.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import evaluation_parser, half, print_errors

from foibot.understand import read_file

DEFAULT_FOLDER = ROOT.parent / "shared" / "mail" / "dev"
GOLD = ("bounce", "bounce_delay", "auto_reply", "human")
GOT = ("bounce", "bounce_delay", "auto_reply", "other")


def family_of(source: str) -> str:
    """`owner:family` of a message from its `owner/repo:path@commit` source (see the module docstring)."""
    repo, _, path = source.partition(":")
    path = path.rsplit("@", 1)[0]
    name = path.rsplit("/", 1)[-1]
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    if repo.startswith("sisimai/"):
        family = re.sub(r"-\d+$", "", name.rsplit(".", 1)[0])
    elif repo.startswith("rjbs/"):
        stem = name.rsplit(".msg", 1)[0]
        family = re.sub(r"[-\d]+$", "", stem.split(".")[0]).split("-via-")[-1]
    elif repo.startswith("notmuch/"):
        parts = path.split("/")
        family = parts[2] if len(parts) > 2 else folder
    else:
        family = folder
    return repo.split("/")[0] + ":" + family


def split_of(source: str) -> str:
    """`held` or `write`, by a hash of the message's family (see the module docstring)."""
    return half(family_of(source))


def predicted(path: Path) -> tuple[str, list[str], str]:
    """(class, failed recipients, rule) for one message."""
    reading = read_file(path)
    c = reading.classification
    failed = list(reading.parsed.dsn_failed_recipients) if reading.parsed else []
    if c.kind == "bounce":
        return ("bounce" if c.bounce_permanent else "bounce_delay"), failed, c.rule
    if c.kind == "auto_reply":
        return "auto_reply", failed, c.rule
    return "other", failed, f"{c.kind}/{c.rule}"


def evaluate(folder: Path, split: str, show_errors: bool) -> int:
    labels = folder / "labels.csv"
    if not labels.is_file():
        print(f"no labelled mail at {folder} (no labels.csv): nothing measured. Give the folder as an argument "
              "(../shared/mail/dev is only present on the project's own machine).")
        return 1
    with labels.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if split != "all":
        rows = [r for r in rows if split_of(r["source"]) == split]
    table: Counter[tuple[str, str]] = Counter()
    recipients_ok = recipients_total = 0
    errors: list[str] = []
    for row in rows:
        gold = row["class"].strip()
        got, failed, rule = predicted(folder / row["file"])
        table[(gold, got)] += 1
        expected_class = "other" if gold == "human" else gold
        if got != expected_class:
            errors.append(f"  {row['file']} [{family_of(row['source'])}]: {gold} -> {got} ({rule})")
        want = (row.get("failed_recipient") or "").strip().lower()
        if want and gold in ("bounce", "bounce_delay"):
            recipients_total += 1
            if want in failed:
                recipients_ok += 1
            else:
                errors.append(f"  {row['file']}: failed recipient {want!r}, found {failed}")
    print(f"messages: {len(rows)} from {folder} (split: {split})")
    print("confusion (rows: labelled class, columns: foibot's reading):")
    print(f"  {'':13}" + "".join(f"{g:>14}" for g in GOT))
    for gold in GOLD:
        print(f"  {gold:13}" + "".join(f"{table[(gold, g)]:>14}" for g in GOT))

    def share(hits: int, total: int) -> str:
        return f"{hits}/{total} = {hits / total:.1%}" if total else "0/0"

    n = Counter(r["class"].strip() for r in rows)
    found = table[("bounce", "bounce")]
    print(f"bounces found (hard):          {share(found, n['bounce'])}")
    print(f"bounces found (hard or delay): {share(found + table[('bounce', 'bounce_delay')], n['bounce'])}")
    print(f"delay warnings found as delay: {share(table[('bounce_delay', 'bounce_delay')], n['bounce_delay'])}; "
          f"taken as a failure: {table[('bounce_delay', 'bounce')]}")
    print(f"auto-replies found:            {share(table[('auto_reply', 'auto_reply')], n['auto_reply'])}")
    for got in ("bounce", "bounce_delay", "auto_reply"):
        wrong = sum(table[(g, got)] for g in GOLD if g != got and not (got == "bounce_delay" and g == "bounce"))
        human = table[("human", got)]
        print(f"false {got:13} {wrong} (of them human mail: {human})")
    print(f"failed recipient found:        {share(recipients_ok, recipients_total)}")
    print_errors(show_errors, errors)
    return 0


def main() -> int:
    parser = evaluation_parser(__doc__, "Only the mail families of one fixed half (by a hash of the family): "
                               "write or held.", "List every message read wrongly.")
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args()
    return evaluate(args.folder, args.split, args.errors)


if __name__ == "__main__":
    sys.exit(main())
