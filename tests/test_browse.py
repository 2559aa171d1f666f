"""What the workspace lists (publish.browse), checked against the outcome CSV it must agree with, on the
hand-built campaign of the outcome tests: filters, orders, paging, the due date in words, and that the
table kept between pages follows every commit, by this process or another."""

from __future__ import annotations

import contextlib
import csv
import io
import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from support import mail
from support.campaigns import REQUESTER, StoreCampaign, when
from support.outcomes import NOW, build

from foibot.collect import assign_message
from foibot.collect.filing import file_stored
from foibot.collect.imap import PollReport, _Fetched, store_batch
from foibot.errors import FoibotError, InputError
from foibot.lifecycle import mark_message, mark_request, record_clarified, set_hold, set_verdict, withdraw
from foibot.publish import (
    RequestQuery,
    list_requests,
    outcomes,
    request_detail,
    select_requests,
    to_review,
    verdicts_to_review,
    write_csv,
)
from foibot.publish.browse import all_outcomes
from foibot.review import confirm_reading
from foibot.send.compose import build_message, new_message_id
from foibot.send.outbox import enqueue, mark_sending, mark_sent, queued
from foibot.store import CHANGES_KEPT, CHANGES_TRIM_EVERY, open_store
from foibot.vocab import SUBSTANTIVE


@pytest.fixture
def built(tmp_path: Path):
    return build(tmp_path)


def _csv(store) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    write_csv(store, out, NOW)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_the_filters_agree_with_the_outcome_csv(built) -> None:
    rows = _csv(built.store)
    for status in {r["status"] for r in rows}:
        listed = {o.reference for o in select_requests(built.store, NOW, RequestQuery(status=status))}
        assert listed == {r["reference"] for r in rows if r["status"] == status}, status
    scottish = select_requests(built.store, NOW, RequestQuery(jurisdiction="scotland"))
    assert [o.reference for o in scottish] == [r["reference"] for r in rows if r["jurisdiction"] == "scotland"]
    none_yet = select_requests(built.store, NOW, RequestQuery(outcome="none"))
    assert {o.reference for o in none_yet} == {r["reference"] for r in rows if not r["outcome"]}
    assert [o.reference for o in select_requests(built.store, NOW, RequestQuery(text="ca226"))] == ["FB-DDDDD2"]


def test_descending_orders_keep_ties_a_to_z(built) -> None:
    late = select_requests(built.store, NOW, RequestQuery(sort="late", descending=True))
    keys = [(-(o.days_late or 0), o.authority.lower()) for o in late]
    assert keys == sorted(keys)
    late_enough = select_requests(built.store, NOW, RequestQuery(late=5))
    assert late_enough and all((o.days_late or 0) >= 5 for o in late_enough)


def test_pages_and_bad_parameters(built) -> None:
    total = len(select_requests(built.store, NOW, RequestQuery()))
    page = list_requests(built.store, NOW, RequestQuery(per_page=5, page=99))
    assert (page.total, page.pages, page.query.page) == (total, -(-total // 5), -(-total // 5))
    assert len(page.rows) == total - 5 * (page.pages - 1)
    with pytest.raises(InputError, match="page must be a whole number"):
        RequestQuery.from_params({"page": "two"})
    with pytest.raises(InputError, match="sort must be one of"):
        RequestQuery.from_params({"sort": "evil"})


def test_the_kept_table_follows_every_commit(built, tmp_path: Path) -> None:
    store = built.store
    assert list_requests(store, NOW, RequestQuery(status="withdrawn")).total == 1
    other = open_store(tmp_path / "foibot.db", tmp_path / "files")  # another connection, as the daemon's
    withdraw(other, str(built.ids["silent"]), NOW)
    other.close()
    assert list_requests(store, NOW, RequestQuery(status="withdrawn")).total == 2
    withdraw(store, str(built.ids["barnet"]), NOW)  # and this connection's own commit
    assert list_requests(store, NOW, RequestQuery(status="withdrawn")).total == 3


def test_the_due_date_in_words(built) -> None:
    detail = request_detail(built.store, NOW, str(built.ids["barnet"]))
    assert detail.due_why[0] == "sent 2023-04-17: day 0"
    assert detail.due_why[-1] == "due 2023-05-17"
    assert [e.direction for e in detail.entries][:1] == ["out"]


# --- the table read again from the change log ------------------------------------------------------------

# A reply answering the Fusus questions one by one, the third in words that decide nothing (unclear).
ANSWERED = ("Dear Alex,\n\nPlease find our response to your request below.\n\n"
            "1. The council has not been in contact with Fusus.\n"
            "2. Not applicable.\n"
            "3. Suppliers are listed in the procurement register.\n\nYours sincerely,\nFOI Team\n")
KINDS_SENT = ("acknowledgement", "information_provided", "partially_provided", "not_held", "refused",
              "clarification_requested", "extension", "internal_review_result", "bounce", "other")


class _Writes:
    """foibot's own functions, each changing some request: sends, replies applied by the lifecycle, poll
    filing and triage, marks, the review queue, verdicts, holds, withdrawals, chasers sent."""

    def __init__(self, camp, rng: random.Random) -> None:
        self.camp, self.rng, self.uid, self.n = camp, rng, 0, 0

    def refs(self, store) -> list[str]:
        return [r[0] for r in store.db.execute("SELECT reference FROM requests ORDER BY id")]

    def replies(self, store) -> list[int]:
        return [r[0] for r in store.db.execute("SELECT id FROM messages WHERE direction = 'in' ORDER BY id")]

    def send(self, store, now) -> None:
        self.n += 1
        self.camp.send(f"late-body-{self.n}", "2023-04-20", self.rng.choice(("england", "scotland")),
                       name=self.rng.choice(("Aberdeen", "bexley", "Zetland", "ealing")) + f" {self.n} Council")

    def reply(self, store, now) -> None:
        self.camp.reply(self.rng.choice(self.refs(store)), self.rng.choice(KINDS_SENT),
                        f"2023-05-{self.rng.randint(1, 28):02d}", to="2023-06-30")

    def poll(self, store, now) -> None:
        """A reply (or a stranger's mail) stored and filed as a poll pass does; a stranger's goes to triage."""
        row = self.rng.choice(store.db.execute("SELECT reference, authority_email FROM requests ORDER BY id").fetchall())
        ours = self.rng.random() < 0.7
        raw = mail.reply(from_addr=row[1] if ours else "someone@elsewhere.example", to=REQUESTER,
                         subject=f"RE: Freedom of Information request: Fusus [ref {row[0]}]" if ours else "Hello",
                         body=self.rng.choice(("We do not hold the information you asked for.",
                                               "Please find attached the information you requested.",
                                               "Thank you for your request, we will reply shortly.",
                                               ANSWERED)),
                         attachments=[("letter.txt", "text/plain", b"Our answer.")] if ours else ())
        self.uid += 1
        report = PollReport(folder="INBOX")
        store_batch(store, "imap://u@h/INBOX", "INBOX", 7, [_Fetched(self.uid, raw, len(raw), None)], self.uid,
                    now, report)
        file_stored(store, self.camp.config, now, report)

    def assign(self, store, now) -> None:
        waiting = [r[0] for r in store.db.execute("SELECT id FROM messages WHERE triage = 1")]
        if waiting:
            assign_message(store, self.camp.config, waiting[0], self.rng.choice(self.refs(store)), now)

    def mark(self, store, now) -> None:
        mark_request(store, self.rng.choice(self.refs(store)), outcome=self.rng.choice(SUBSTANTIVE), now=now)

    def mark_reply(self, store, now) -> None:
        replies = self.replies(store)
        if replies:
            mark_message(store, self.rng.choice(replies), self.rng.choice(KINDS_SENT), now)

    def review(self, store, now) -> None:
        waiting = [r[0] for r in store.db.execute("SELECT id FROM messages WHERE needs_review = 1")]
        if waiting:
            confirm_reading(store, self.rng.choice(waiting), now)

    def verdict(self, store, now) -> None:
        set_verdict(store, self.rng.choice(self.refs(store)), "q1", self.rng.choice(("yes", "no")), now)

    def hold(self, store, now) -> None:
        set_hold(store, self.rng.choice(self.refs(store)), self.rng.random() < 0.5, now)

    def withdraw(self, store, now) -> None:
        withdraw(store, self.rng.choice(self.refs(store)), now)

    def clarified(self, store, now) -> None:
        record_clarified(store, self.rng.choice(self.refs(store)), now, now)

    def chase(self, store, now) -> None:
        """A reminder through the outbox, as the ladder sends it."""
        row = self.rng.choice(store.db.execute("SELECT id, reference, authority_email FROM requests ORDER BY id").fetchall())
        stage = self.rng.choice(("reminder", "internal_review"))
        message_id = new_message_id(REQUESTER)
        raw = build_message(from_name="Alex", from_addr=REQUESTER, to_addr=row[2], subject=f"Reminder [ref {row[1]}]",
                            body="A reminder.\n", message_id=message_id, date=now)
        enqueue(store, request_id=row[0], stage=stage, raw=raw, message_id=message_id, to_addr=row[2],
                from_addr=REQUESTER, subject="Reminder", now=now)
        for outgoing in [m for m in queued(store, (stage,)) if m.request_id == row[0]]:
            if mark_sending(store, outgoing, now) == "go":
                mark_sent(store, outgoing, now, "250 OK")


@pytest.mark.parametrize("seed", [3, 17, 40])
def test_the_table_read_again_after_each_write_is_the_whole_querys(tmp_path: Path, seed: int) -> None:
    """After each write of a random series (foibot's own functions, on the workspace's connection or on
    another, as the daemon's), the list's table, read again only for the requests the change log names, is
    exactly what the whole query gives: the same records in the same order, the same filter counts; and the
    verdicts waiting, kept the same way, are what `to_review` lists."""
    rng = random.Random(seed)
    camp = StoreCampaign.create(tmp_path, "[storage]\nisolated_reading = false\n")
    for n in range(6):
        camp.send(f"body-{n}", f"2023-04-{10 + n}", ("england", "scotland", "wales")[n % 3])
    other = open_store(camp.config.database_path, camp.config.files_dir)
    writes = _Writes(camp, rng)
    actions = [getattr(writes, name) for name in ("send", "reply", "poll", "assign", "mark", "mark_reply",
                                                  "review", "verdict", "hold", "withdraw", "clarified", "chase")]
    now = when("2023-05-22T11:00")
    waited = False
    try:
        assert all_outcomes(camp.store, now) == list(outcomes(camp.store, now))
        for step in range(40):
            done = [rng.choice(actions) for _ in range(rng.randint(1, 4))]  # between two looks at the list
            for action in done:
                with contextlib.suppress(FoibotError):  # a write refused (withdrawn twice, nothing to clarify)
                    action(rng.choice((camp.store, other)), now)
            if rng.random() < 0.1:
                now += timedelta(hours=rng.choice((1, 30)))  # the same day, or the next (the whole table)
            kept = all_outcomes(camp.store, now)
            whole = list(outcomes(camp.store, now))
            assert kept == whole, f"step {step}: {[a.__name__ for a in done]}"
            listed = verdicts_to_review(camp.store, now, base_dir=camp.folder)
            assert listed == to_review(camp.store, now, None, camp.folder), f"step {step}"
            waited = waited or bool(listed)
            page = list_requests(camp.store, now, RequestQuery())
            assert page.choices == list_requests(other, now, RequestQuery()).choices
        assert waited  # the verdicts kept between pages were put to the test
    finally:
        other.close()


# Whatever writes a table (foibot, or any program on the file), the log names the request it touched.
_WRITES = {
    "a request updated": ("UPDATE requests SET on_hold = 1 WHERE id = :a", {"a"}),
    "a request deleted": ("DELETE FROM requests WHERE id = :a", {"a"}),
    "a message added": (("INSERT INTO messages (direction, request_id, state, created_at) "
                        "VALUES ('in', :a, 'parsed', '2023-05-01')"), {"a"}),
    "a message moved to another request": (("UPDATE messages SET request_id = :b WHERE request_id = :a "
                                           "AND direction = 'in'"), {"a", "b"}),
    "a message deleted": ("DELETE FROM messages WHERE request_id = :a", {"a"}),
    "an attachment added": (("INSERT INTO attachments (message_id, part_index, status) "
                            "SELECT id, 9, 'ok' FROM messages WHERE request_id = :a"), {"a"}),
    "an event added": ("INSERT INTO events (request_id, at, type) VALUES (:a, '2023-05-01', 'note')", {"a"}),
    "an event deleted": ("DELETE FROM events WHERE request_id = :a", {"a"}),
    "an authority's kind changed": (("UPDATE authorities SET kind = 'police_force' WHERE id = "
                                    "(SELECT authority_id FROM requests WHERE id = :a)"), {"a"}),
}


@pytest.mark.parametrize("what", sorted(_WRITES))
def test_every_write_names_its_request_in_the_change_log(tmp_path: Path, what: str) -> None:
    camp = StoreCampaign.create(tmp_path)
    first, second = (camp.send(f"body-{n}", "2023-04-17") for n in range(2))
    camp.reply(first["reference"], "acknowledgement", "2023-04-18")
    a, b = first["id"], second["id"]
    seen = camp.store.last_change()
    assert camp.store.changes_since(seen) == (seen, set())
    sql, touched = _WRITES[what]
    other = sqlite3.connect(camp.config.database_path)  # another program's connection to the same file
    other.execute("PRAGMA foreign_keys = OFF")
    other.execute(sql, {"a": a, "b": b})
    other.commit()
    other.close()
    newest, changed = camp.store.changes_since(seen)
    assert newest > seen
    assert changed == {{"a": a, "b": b}[name] for name in touched}


def test_the_log_stays_bounded_and_a_cut_log_means_the_whole_table(built) -> None:
    store = built.store
    assert all_outcomes(store, NOW) == list(outcomes(store, NOW))
    seen = store.last_change()
    request = built.ids["barnet"]
    with store.transaction():
        for _ in range(CHANGES_KEPT + 2 * CHANGES_TRIM_EVERY):
            store.add_event(request, "note", NOW)
        store.db.execute("UPDATE requests SET outcome = 'refused' WHERE id = ?", [built.ids["silent"]])
    kept = store.db.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
    assert kept <= CHANGES_KEPT + CHANGES_TRIM_EVERY
    assert store.changes_since(seen) == (store.last_change(), None)  # it no longer reaches back
    assert all_outcomes(store, NOW) == list(outcomes(store, NOW))  # so the whole table was read again
    assert next(o for o in all_outcomes(store, NOW) if o.id == built.ids["silent"]).outcome == "refused"
