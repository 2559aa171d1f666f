"""The outcome table: one row per request, computed from the database in one query, written as safe CSV.

`outcomes()` streams typed `Outcome` records (the CSV, `foibot status` and the report all read them, so
the three always agree); `write_csv()` turns them into the contract's CSV, every cell neutralised so a
spreadsheet never runs a formula that an authority's name or reply happened to start with.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from ..clock import from_iso, london_date
from ..deadlines import CLOCK_RUNNING, RequestFacts, due_date, working_days_between
from ..store import Store, json_column
from ..vocab import LADDER

# The contract's columns first (contract.md, "Outcome CSV"), then ours; q<n>_answer columns go before
# reply_files, one per question of the runs exported.
CONTRACT_COLUMNS = (
    "run", "reference", "authority", "authority_email", "status", "outcome", "authority_ref", "exemptions",
    "sent_at", "due_date", "first_reply_at", "outcome_at", "working_days_taken", "chases", "replies",
)
EXTRA_COLUMNS = (
    "outcome_confirmed",
    "authority_id",
    "kind",
    "jurisdiction",
    "regime",
    "days_late",
    "chase_stage",
    "complaint_file",
    "failed_reason",
    "channel",
    "wrong_addresses",
)
# The chase ladder in order; a later stage reached is the one reported in `chase_stage`.
CHASE_LADDER = LADDER
# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Base statuses in which, without an outcome, the authority still owes the response (so lateness grows).
_OWED = ("awaiting_response", "internal_review")
_SEPARATOR = "\x1f"  # between values aggregated by SQLite (never in a path or a stage name)
# A run's requests share a handful of dates: remember the calendar's answers instead of re-counting days.
_due_date = functools.lru_cache(maxsize=65_536)(due_date)
_between = functools.lru_cache(maxsize=65_536)(working_days_between)


@dataclass
class Outcome:
    """One request as the outcome table shows it; `status` is the contract's (overdue derived)."""

    id: int
    run: str
    reference: str
    authority: str
    authority_email: str
    authority_id: str
    kind: str
    jurisdiction: str
    regime: str
    status: str
    base_status: str
    outcome: str | None
    authority_ref: str | None
    exemptions: list[str]
    sent_at: datetime | None
    due_date: date | None
    first_reply_at: datetime | None
    outcome_at: datetime | None
    working_days_taken: int | None
    days_late: int | None
    chases: int
    chase_stage: str | None
    replies: int
    answers: dict[str, str] = field(default_factory=dict)
    reply_files: list[str] = field(default_factory=list)
    failed_reason: str | None = None
    complaint_file: str | None = None
    channel: str = "email"  # how the request went: email, or by hand (web_form, post, unknown)
    wrong_addresses: list[str] = field(default_factory=list)  # addresses it went to first, found wrong
    outcome_confirmed: str = "auto"  # yes: a person confirmed or set it; no: a reading waits for review
    extension_at: datetime | None = None  # an extension notice came
    review_requested_at: datetime | None = None
    review_result_at: datetime | None = None

    @property
    def on_time(self) -> bool | None:
        """True: answered by the due date; False: answered late, or still owed past it; None: unknown yet."""
        if self.days_late is None:
            return None
        if self.outcome:
            return self.days_late == 0
        return False if self.days_late > 0 else None


# A copy of one of our own messages that came back into the mailbox is filed, but it is not a reply.
_THEIRS = "COALESCE({m}match_method, '') != 'own_message'"
# One statement: the per-request figures are aggregated once each (not a sub-query per row), then joined.
_QUERY = """
WITH {wanted}chasers AS (
    SELECT request_id, COUNT(*) AS chases, group_concat(stage, char(31)) AS chase_stages FROM (
        SELECT request_id, stage FROM messages
        WHERE direction = 'out' AND stage != 'request' AND stage NOT LIKE 'readdress%' AND state = 'sent'
        AND request_id IS NOT NULL{only}
        ORDER BY request_id, sent_at, id)
    GROUP BY request_id
), inbound AS (
    SELECT request_id, COUNT(*) AS replies FROM messages
    WHERE direction = 'in' AND triage = 0 AND request_id IS NOT NULL AND {theirs}{only}
    GROUP BY request_id
), files AS (
    SELECT request_id, group_concat(stored_path, char(31)) AS files FROM (
        SELECT m.request_id, f.stored_path FROM attachments f JOIN messages m ON m.id = f.message_id
        WHERE m.direction = 'in' AND m.triage = 0 AND m.request_id IS NOT NULL AND f.stored_path IS NOT NULL
        AND {theirs_m}{only_m}
        ORDER BY m.request_id, m.id, f.part_index)
    GROUP BY request_id
), complaints AS (
    SELECT request_id, MAX(json_extract(detail, '$.path')) AS complaint_file FROM events
    WHERE type = 'complaint_written' AND request_id IS NOT NULL{only}
    GROUP BY request_id
), reviews AS (
    SELECT request_id, COUNT(*) AS waiting FROM messages
    WHERE needs_review = 1 AND direction = 'in' AND request_id IS NOT NULL{only}
    GROUP BY request_id
)
SELECT r.id, r.run, r.reference, r.authority_id, r.authority_name, r.authority_email, r.jurisdiction,
       r.regime,
       r.status, r.sent_at, r.failed_reason, r.first_reply_at, r.authority_ref, r.outcome, r.outcome_at,
       r.exemptions, r.answers, r.clarification_at, r.clarification_answered_at, r.extension_to,
       r.extension_at, r.review_requested_at, r.review_result_at, r.withdrawn_at, r.channel, r.wrong_addresses,
       a.kind AS authority_kind,
       COALESCE(c.chases, 0) AS chases, c.chase_stages,
       COALESCE(i.replies, 0) AS replies,
       f.files, k.complaint_file, r.outcome_manual, r.outcome_confirmed, COALESCE(v.waiting, 0) AS waiting
FROM requests r
LEFT JOIN authorities a ON a.id = r.authority_id
LEFT JOIN chasers c ON c.request_id = r.id
LEFT JOIN inbound i ON i.request_id = r.id
LEFT JOIN files f ON f.request_id = r.id
LEFT JOIN complaints k ON k.request_id = r.id
LEFT JOIN reviews v ON v.request_id = r.id
{where}
ORDER BY r.run, r.authority_name COLLATE NOCASE, r.id
"""


Memo = dict[int, tuple[tuple[Any, ...], Outcome]]
_ONLY = " AND {m}request_id IN (SELECT id FROM wanted)"


def outcomes(
    store: Store, now: datetime, run: str | None = None, base_dir: Path | None = None, memo: Memo | None = None,
    ids: Iterable[int] | None = None,
) -> Iterator[Outcome]:
    """Every request (of one run, or all), streamed from one query; `base_dir` makes file paths relative.

    `ids`: only these requests (the same query, each of its aggregates narrowed to them: what a reader of
    the change log reads again). `memo` (kept by a long-lived caller for one day and one `base_dir`) holds
    each request's row and record: a request whose row has not changed since is not worked out again."""
    conditions, params = (["r.run = ?"], [run]) if run else ([], [])
    wanted = only = only_m = ""
    if ids is not None:
        wanted = "wanted(id) AS (SELECT value FROM json_each(?)), "
        only, only_m = _ONLY.format(m=""), _ONLY.format(m="m.")
        conditions.append("r.id IN (SELECT id FROM wanted)")
        params = [json.dumps(sorted(set(ids))), *params]
    query = _QUERY.format(where=f"WHERE {' AND '.join(conditions)}" if conditions else "", wanted=wanted,
                          only=only, only_m=only_m, theirs=_THEIRS.format(m=""), theirs_m=_THEIRS.format(m="m."))
    cursor = store.db.execute(query, params)
    names = [d[0] for d in cursor.description]
    today = london_date(now)
    for values in cursor:
        if memo is not None:
            held = memo.get(values[0])
            if held is not None and held[0] == values:
                yield held[1]
                continue
        item = _outcome(dict(zip(names, values, strict=True)), now, today, store.files_dir, base_dir)
        if memo is not None:
            memo[values[0]] = (tuple(values), item)
        yield item


def _outcome(
    row: dict[str, Any], now: datetime, today: date, files_dir: Path, base_dir: Path | None
) -> Outcome:
    # A request that never reached the authority (rejected, bounced) owes nothing: no due date.
    due = _due_date(RequestFacts.from_row(row), row["regime"]) if row["status"] != "failed" else None
    outcome_at = from_iso(row["outcome_at"])
    days_late: int | None = None
    if due is not None:
        # Late by the working days between the due date and the answer, or today while it is still owed.
        end = london_date(outcome_at) if outcome_at else (today if row["status"] in _OWED else None)
        if end is not None:
            days_late = max(0, _between(due, end, row["regime"]))
    stages = (row["chase_stages"] or "").split(_SEPARATOR) if row["chase_stages"] else []
    reached = [s for s in stages if s in CHASE_LADDER]
    if row["complaint_file"]:  # the last stage is a file written for the campaigner, not a message sent
        reached.append("complaint")
    taken = None
    if row["sent_at"] and outcome_at:
        taken = _between(
            london_date(from_iso(row["sent_at"])),  # type: ignore[arg-type]
            london_date(outcome_at),
            row["regime"],
        )
    return Outcome(
        id=row["id"],
        run=row["run"],
        reference=row["reference"],
        authority=row["authority_name"],
        authority_email=row["authority_email"],
        authority_id=row["authority_id"],
        kind=row["authority_kind"] or "",
        jurisdiction=row["jurisdiction"],
        regime=row["regime"],
        status=_status(row, due, today),
        base_status=row["status"],
        outcome=row["outcome"] or None,
        authority_ref=row["authority_ref"] or None,
        exemptions=parse_exemptions(row["exemptions"]),
        sent_at=from_iso(row["sent_at"]),
        due_date=due,
        first_reply_at=from_iso(row["first_reply_at"]),
        outcome_at=outcome_at,
        working_days_taken=taken,
        days_late=days_late,
        chases=row["chases"],
        chase_stage=max(reached, key=CHASE_LADDER.index) if reached else None,
        replies=row["replies"],
        answers=_answers(row["answers"]),
        reply_files=[
            _display_path(files_dir / p, base_dir) for p in (row["files"] or "").split(_SEPARATOR) if p
        ],
        failed_reason=row["failed_reason"] or None,
        complaint_file=_display_path(Path(row["complaint_file"]), base_dir)
        if row["complaint_file"]
        else None,
        channel=row["channel"] or "email",
        wrong_addresses=[a for a in (row["wrong_addresses"] or "").split(";") if a],
        outcome_confirmed=_confirmed(row),
        extension_at=from_iso(row["extension_at"]),
        review_requested_at=from_iso(row["review_requested_at"]),
        review_result_at=from_iso(row["review_result_at"]),
    )


def _confirmed(row: dict[str, Any]) -> str:
    """yes: a person set or confirmed the outcome; no: a reading of a reply waits for review; auto: neither."""
    if row["outcome_manual"]:
        return "yes"
    if row["waiting"]:
        return "no"
    return "yes" if row["outcome_confirmed"] and row["outcome"] else "auto"


def _status(row: dict[str, Any], due: date | None, today: date) -> str:
    """`deadlines.effective_status` from the due date already worked out (the calendar is counted once a row)."""
    if row["status"] in CLOCK_RUNNING and not row["outcome"] and due is not None and today > due:
        return "overdue"
    return str(row["status"])


def parse_exemptions(stored: str | None) -> list[str]:
    """The stored exemptions (a JSON list, or text separated by `;`), in order, without repeats."""
    if not stored:
        return []
    text = stored.strip()
    items: list[Any]
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = [text]
    else:
        items = re.split(r"\s*[;\n]\s*", text)
    seen: list[str] = []
    for item in items:
        value = str(item).strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _answers(stored: str | None) -> dict[str, str]:
    return {str(k): _answer_text(v) for k, v in json_column(stored, {}).items()}


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " / ".join(_answer_text(v) for v in value if v)
    if isinstance(value, dict):  # e.g. {"text": ..., "evidence": ...}
        return _answer_text(value.get("text") or value.get("answer") or "")
    return " ".join(str(value).split())


def _display_path(path: Path, base_dir: Path | None) -> str:
    if base_dir is not None:
        try:
            return str(path.resolve().relative_to(base_dir.resolve()))
        except ValueError:
            pass
    return str(path)


def question_ids(store: Store, run: str | None = None, base_dir: Path | None = None) -> list[str]:
    """The question ids answered in the runs exported, plus the run templates' own (q1, q2, ... in order)."""
    where, params = ("WHERE r.run = ?", [run]) if run else ("", [])
    found = {
        row[0]
        for row in store.db.execute(
            f"SELECT DISTINCT j.key FROM requests r, json_each(CASE WHEN json_valid(r.answers) "
            f"AND json_type(r.answers) = 'object' THEN r.answers ELSE '{{}}' END) j {where}",
            params,
        )
    }
    templates = [
        row[0]
        for row in store.db.execute(
            f"SELECT DISTINCT template FROM runs {'WHERE id = ?' if run else ''}", params
        )
    ]
    found.update(_template_question_ids(templates, base_dir))
    return sorted(found, key=_natural)


def _template_question_ids(templates: list[str], base_dir: Path | None) -> set[str]:
    """The questions a run's template declares, when that template can still be found (else none)."""
    from ..errors import FoibotError
    from ..render import load_template_set  # only here: exporting needs no Jinja2 otherwise

    ids: set[str] = set()
    for name in templates:
        try:
            ids.update(q.id for q in load_template_set(name, base_dir).questions)
        except (FoibotError, OSError):
            continue
    return ids


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


def columns(questions: Iterable[str]) -> list[str]:
    return [*CONTRACT_COLUMNS, *EXTRA_COLUMNS, *(f"{q}_answer" for q in questions), "reply_files"]


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_row(item: Outcome, questions: Iterable[str]) -> dict[str, str]:
    """The CSV cells of one outcome, neutralised."""
    row: dict[str, Any] = {
        "run": item.run,
        "reference": item.reference,
        "authority": item.authority,
        "authority_email": item.authority_email,
        "status": item.status,
        "outcome": item.outcome,
        "authority_ref": item.authority_ref,
        "exemptions": ";".join(item.exemptions),
        "sent_at": item.sent_at,
        "due_date": item.due_date,
        "first_reply_at": item.first_reply_at,
        "outcome_at": item.outcome_at,
        "working_days_taken": item.working_days_taken,
        "chases": item.chases,
        "replies": item.replies,
        "outcome_confirmed": item.outcome_confirmed,
        "authority_id": item.authority_id,
        "kind": item.kind,
        "jurisdiction": item.jurisdiction,
        "regime": item.regime,
        "days_late": item.days_late,
        "chase_stage": item.chase_stage,
        "failed_reason": item.failed_reason,
        "complaint_file": item.complaint_file,
        "channel": item.channel,
        "wrong_addresses": ";".join(item.wrong_addresses),
        "reply_files": ";".join(item.reply_files),
    }
    for q in questions:
        row[f"{q}_answer"] = item.answers.get(q, "")
    return {key: neutralise(_cell(value)) for key, value in row.items()}


def write_csv(
    store: Store, out: IO[str], now: datetime, run: str | None = None, base_dir: Path | None = None
) -> int:
    """Write the outcome CSV to `out` (opened with newline=""); returns the number of rows."""
    questions = question_ids(store, run, base_dir)
    fields = columns(questions)
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    # The header row too: a question id comes from the campaigner's template (`=HYPERLINK(...)` as an id
    # would be a live formula in the `..._answer` column's name).
    csv.writer(out, lineterminator="\r\n").writerow([neutralise(name) for name in fields])
    count = 0
    for item in outcomes(store, now, run, base_dir):
        writer.writerow(csv_row(item, questions))
        count += 1
    return count
