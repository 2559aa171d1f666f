"""Hostile mailbox benchmark: one `foibot poll` over every hostile message of issue 13 plus 100 normal replies.

    python bench/hostile_bench.py [--normal 100]

A Dovecot of its own holds the replies to a sent campaign (the poll benchmark's campaign and reply shapes),
with the hostile messages of tests/support/hostile.py mixed in among them: a Date past datetime.max, a Subject of
unterminated encoded words, a 200,000-digit run, a 12 MB HTML-only reply, a 30 MB text reply, a PDF of 300
pages sharing one 4 MB stream, DOCX XML, entity and image bombs, a forged bounce and a forged sender. The
real `poll_once` files them into a fresh database. It passes when all the normal replies are filed (none
left `stored`), and the poll stays under 60 s and 1 GB (peak RSS of the poller and of its reader process).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import poll_bench
from benchlib import mail_base
from support import hostile as hm
from support.imap import Dovecot

from foibot.collect.imap import poll_once
from foibot.config import load_config
from foibot.store import open_store

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def hostile(user: str) -> list[bytes]:
    """Every hostile shape, addressed to the campaign's mailbox."""
    attach = hm.message  # the same reply headers around each attachment
    return [
        hm.future_date(), hm.long_encoded_subject(), hm.digit_run(), hm.huge_html(), hm.huge_text(),
        attach(attachment=(hm.shared_stream_pdf(), "application/pdf", "letter.pdf"), message_id="<h-pdf@x>"),
        attach(attachment=(hm.docx_xml_bomb(), DOCX, "letter.docx"), message_id="<h-docx1@x>"),
        attach(attachment=(hm.docx_entity_bomb(), DOCX, "letter.docx"), message_id="<h-docx2@x>"),
        attach(attachment=(hm.docx_image_bomb(1024 * 1024 * 1024), DOCX, "letter.docx"), message_id="<h-docx3@x>"),
        hm.message("Delivery to the following recipient failed permanently: foi@body1.gov.uk",
                   sender="MAILER-DAEMON@mx.example", subject="Undeliverable", message_id="<h-bounce@x>"),
        hm.message("We do not hold the information.", sender="foi@body2.gov.uk", message_id="<h-forged@x>",
                   headers={"Authentication-Results": "mx.example; dmarc=fail header.from=body2.gov.uk"}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--normal", type=int, default=100)
    args = parser.parse_args()
    os.environ[poll_bench.PASSWORD_ENV] = "secret"
    dovecot = Dovecot(mail_base())
    dovecot.start()
    work = Path(tempfile.mkdtemp(prefix="foibot-hostilebench-"))
    try:
        user = dovecot.new_user("bench")
        requests = poll_bench.campaign(work, dovecot, user)
        normal = poll_bench.replies(requests, user, args.normal)
        bad = hostile(user)
        mixed: list[bytes] = []
        for n, raw in enumerate(normal):  # the hostile ones spread among the normal ones
            mixed.append(raw)
            if n % max(1, len(normal) // len(bad)) == 0 and bad:
                mixed.append(bad.pop(0))
        mixed.extend(bad)
        dovecot.multiappend(user, mixed)
        print(f"Seeded {len(normal)} normal replies and {len(mixed) - len(normal)} hostile messages "
              f"({sum(map(len, mixed)) / 1e6:.0f} MB)")
        config = load_config(work / "config.toml")
        store = open_store(config.database_path, config.files_dir)
        started = time.perf_counter()
        report = poll_once(store, config, poll_bench.NOW)
        seconds = time.perf_counter() - started
        ids = {r[0] for r in store.db.execute(
            "SELECT message_id FROM messages WHERE direction = 'in' AND state = 'stored'")}
        states = dict(store.db.execute(
            "SELECT state, COUNT(*) FROM messages WHERE direction = 'in' GROUP BY state").fetchall())
        store.close()
        me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
        print(report.summary())
        print("seconds per step: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(report.timings.items())))
        for problem in report.problems:
            print(f"  {problem}")
        print(f"poll: {seconds:.1f} s; peak RSS {me} MB (poller), {children} MB (largest child: the reader or "
              f"the fork server); messages by state: {states}")
        ok = not ids and seconds < 60 and max(me, children) < 1024
        print("PASS" if ok else "FAIL")
        sys.exit(0 if ok else 1)
    finally:
        dovecot.stop()


if __name__ == "__main__":
    main()
