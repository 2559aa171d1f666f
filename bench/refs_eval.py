"""Measure how foibot finds the authority's own reference, as `foibot classify` and as `foibot poll` read replies.

    python bench/refs_eval.py [FOLDER ...] [--split write|held|all] [--errors]

Each FOLDER (default: ../shared/seeds and ../shared/corpus/dev beside the repository) holds reply texts and a
labels.csv with the columns `file, authority, authority_ref` (two references joined with `;`). Each reply is
read twice: as the file it is (foibot.understand.read_file, what `foibot classify` does), and as the e-mail
a poll would fetch: sent to our reply address, `RE:` our request's subject (which carries our reference),
our request quoted below it. The second must find the same reference, never ours. A reply counts when the
references found are exactly the labelled ones (both empty counts).

`--split` keeps one fixed half of the authorities: `held` when the first byte of the SHA-256 of the
authority's name (stripped, lower-cased) is odd, `write` otherwise (the same halves as
`bench/classify_eval.py --split`). Rules are written reading the `write` half only.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchlib import evaluation_parser, half, print_errors

from foibot.understand import read_file, read_message

DEFAULT_FOLDERS = [ROOT.parent / "shared" / "seeds", ROOT.parent / "shared" / "corpus" / "dev"]
OUR_REF = "FB-7K3Q98"
SUBJECT = f"Freedom of Information request: Fusus [ref {OUR_REF}]"
QUOTED = (f"\n\n-----Original Message-----\nFrom: A. Campaigner <campaigner+{OUR_REF.lower()}@example.org>\n"
          f"Sent: 17 April 2023 10:00\nSubject: {SUBJECT}\n\nDear Council,\n\nUnder the Freedom of Information "
          "Act 2000, I would like to request the following information.\n\n1. Please confirm whether the "
          f"council has been in contact with Fusus.\n\nPlease quote our reference {OUR_REF} in your reply.\n\n"
          "Yours faithfully,\n\nA. Campaigner\n")


def split_of(authority: str) -> str:
    """`held` or `write`: a fixed half of the authorities, by a hash of the name (see the module docstring)."""
    return half(authority.strip().lower())


def as_reply(text: str) -> bytes:
    """The reply text as the e-mail a poll fetches: to our reply address, RE: our subject, our request quoted."""
    headers = (f"From: FOI Team <foi@council.example.gov.uk>\nTo: campaigner+{OUR_REF.lower()}@example.org\n"
               f"Subject: RE: {SUBJECT}\nMessage-ID: <reply.1@council.example.gov.uk>\n"
               f"In-Reply-To: <{OUR_REF.lower()}.request@example.org>\nMIME-Version: 1.0\n"
               "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
    return (headers + text + QUOTED).encode("utf-8")


def evaluate(folders: list[Path], split: str, show_errors: bool) -> int:
    rows: list[dict[str, str]] = []
    for folder in folders:
        labels = folder / "labels.csv"
        if not labels.is_file():
            print(f"no labelled replies at {folder} (no labels.csv): skipped (../shared is only present on the "
                  "project's own machine; give folders as arguments)")
            continue
        with labels.open(newline="", encoding="utf-8") as handle:
            rows.extend(dict(row, _path=str(folder / row["file"])) for row in csv.DictReader(handle))
    if split != "all":
        rows = [r for r in rows if split_of(r.get("authority") or r["file"]) == split]
    if not rows:
        print("nothing measured")
        return 1
    hits = {"classify": 0, "poll": 0}
    errors: list[str] = []
    for row in rows:
        path = Path(row["_path"])
        gold = ";".join(r.strip() for r in (row.get("authority_ref") or "").split(";") if r.strip())
        text = path.read_text(encoding="utf-8", errors="replace")
        got = {"classify": read_file(path).classification, "poll": read_message(as_reply(text)).classification}
        for how, c in got.items():
            found = ";".join(c.authority_refs)
            if found == gold:
                hits[how] += 1
            else:
                errors.append(f"  {row['file']} ({how}): expected {gold!r}, got {found!r}")
            if OUR_REF in c.authority_refs:
                errors.append(f"  {row['file']} ({how}): our own reference taken for theirs")
    print(f"replies: {len(rows)} from {', '.join(str(f) for f in folders)} (split: {split})")
    for how in ("classify", "poll"):
        print(f"authority_ref exact match, as `foibot {how}` reads it: {hits[how]}/{len(rows)} = "
              f"{hits[how] / len(rows):.1%}")
    print_errors(show_errors, errors)
    return 0


def main() -> int:
    parser = evaluation_parser(__doc__, "Only the authorities of one fixed half (by a hash of the name): write "
                               "or held.", "List every reply whose reference is wrong.")
    parser.add_argument("folders", nargs="*", type=Path)
    args = parser.parse_args()
    return evaluate(args.folders or DEFAULT_FOLDERS, args.split, args.errors)


if __name__ == "__main__":
    sys.exit(main())
