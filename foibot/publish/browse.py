"""What the workspace shows: requests filtered, sorted and paged; one request's timeline; what needs a person.

What waits for review is the review queue of `foibot review` (foibot.review.list_reviews), never a rule of
its own here.

Read-only views over the store, built from the same `Outcome` records as the CSV, `foibot status` and the
report (so the four always agree). Every change a page offers is made by the library function the CLI calls
(lifecycle, campaigner, triage, the chase ladder), never here.

The outcome table of a whole campaign is computed once and kept while nothing was committed to the database
(by this process or another: `store.change_stamp`) and the day is the same: paging and filtering 10,000
requests then costs a sort and a slice, not the calendar arithmetic of every row. After a commit only the
requests the store's change log names (`Store.changes_since`, kept by SQLite triggers whichever process
writes) are read again, through the same `export.outcomes` query narrowed to their ids.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..clock import from_iso, from_iso_lenient, london_date
from ..deadlines import EXTENSION_WORKING_DAYS, RESPONSE_WORKING_DAYS, RequestFacts, due_date
from ..errors import InputError
from ..review import ReviewItem, VerdictItem, list_reviews
from ..store import Store, change_stamp, json_column
from .export import Memo, Outcome, outcomes

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
SORTS = ("authority", "reference", "status", "outcome", "due", "late", "sent", "replies", "stage", "run")
STAGE_NONE = "none"


# --- the whole table, cached -----------------------------------------------------------------------------

@dataclass
class _Table:
    """The whole campaign's outcomes, the values each filter can take, and each order, worked out once;
    `seen`: the change log's newest number when it was read, `stamp` the store's change stamp then."""

    items: list[Outcome]
    counts: dict[str, Counter[str]]  # filter -> how many requests have each value
    day: date
    seen: int
    stamp: int
    orders: dict[tuple[str, bool], list[Outcome]] = field(default_factory=dict)

    @property
    def choices(self) -> dict[str, list[tuple[str, int]]]:
        return {k: sorted((v, n) for v, n in c.items() if n > 0) for k, c in self.counts.items()}

    def ordered(self, sort: str, descending: bool) -> list[Outcome]:
        key = (sort, descending)
        if key not in self.orders:  # two stable sorts: the ties stay A to Z whichever way the order goes
            self.orders[key] = sorted(sorted(self.items, key=_ties), key=_SORT_KEYS[sort], reverse=descending)
        return self.orders[key]


_cache_lock = threading.Lock()
_cache: dict[str, _Table] = {}
_memos: dict[str, tuple[date, Memo]] = {}  # each request's row and record, for one day: only changed rows redone
# More requests changed than this since the table was read: the whole query again (with the memo).
REREAD_AT_MOST = 2_000
# The order of export.outcomes' query (run, authority name without ASCII case as SQLite's NOCASE, id).
_NOCASE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _query_order(o: Outcome) -> tuple[str, str, int]:
    return (o.run, o.authority.translate(_NOCASE), o.id)


def _table(store: Store, now: datetime) -> _Table:
    """The table, as true as the database: kept while nothing was committed (by any connection: the store's
    change stamp) on the same day; after a commit, only the requests the change log names are read again;
    the whole table when the day changed or the log no longer reaches back (cut, another file)."""
    key = str(Path(store.path).resolve())
    today = london_date(now)
    stamp = change_stamp(store.path)  # before the log and the rows: what is read is at least this new
    with _cache_lock:
        held = _cache.get(key)
    if held is not None and held.day == today:
        if held.stamp == stamp:
            return held
        seen, changed = store.changes_since(held.seen)
        if changed is not None and len(changed) <= REREAD_AT_MOST:
            table = _changed(store, now, held, changed, seen, stamp) if changed else replace(held, stamp=stamp)
            return _keep(key, table)
    with _cache_lock:
        day, memo = _memos.get(key, (today, {}))
        if day != today:
            memo = {}
        _memos[key] = (today, memo)
    seen = store.last_change()
    items = list(outcomes(store, now, memo=memo))
    return _keep(key, _Table(items, _counts(items), today, seen, stamp))


def _keep(key: str, table: _Table) -> _Table:
    with _cache_lock:
        held = _cache.get(key)
        if held is None or (held.day, held.seen) <= (table.day, table.seen):  # never a staler one over it
            _cache[key] = table
    return table


def _changed(store: Store, now: datetime, held: _Table, changed: set[int], seen: int, stamp: int) -> _Table:
    """`held` with the changed requests read again (export.outcomes for those ids: the rows the whole query
    gives), the deleted ones gone, new ones in the query's order; the filters' counts moved with them."""
    fresh = {o.id: o for o in outcomes(store, now, ids=changed)}
    counts = {k: Counter(c) for k, c in held.counts.items()}
    items: list[Outcome] = []
    moved = False
    for o in held.items:
        if o.id not in changed:
            items.append(o)
            continue
        for name, value in _values(o):
            counts[name][value] -= 1
        new = fresh.pop(o.id, None)
        if new is None:  # deleted
            continue
        moved = moved or (new.run, new.authority) != (o.run, o.authority)
        items.append(new)
        for name, value in _values(new):
            counts[name][value] += 1
    for new in fresh.values():  # new requests
        for name, value in _values(new):
            counts[name][value] += 1
    if fresh or moved:
        items.extend(fresh.values())
        items.sort(key=_query_order)
    return _Table(items, counts, held.day, seen, stamp)


def all_outcomes(store: Store, now: datetime) -> list[Outcome]:
    """Every request's outcome record (the table behind the list page), from the cache when still true."""
    return _table(store, now).items


# --- the verdicts waiting for a person, kept the same way --------------------------------------------------

@dataclass
class _Verdicts:
    """`publish.to_review`'s verdicts by request (only requests with one waiting), in the query's order."""

    questions: Any  # the runs' questions they were judged by (a template edited: all judged again)
    seen: int
    stamp: int
    by_request: dict[int, tuple[tuple[str, str, int], list[VerdictItem]]]

    def listed(self, run: str | None) -> list[VerdictItem]:
        return [v for order, items in sorted(self.by_request.values(), key=lambda held: held[0])
                if run is None or order[0] == run for v in items]


_verdicts: dict[tuple[str, str], _Verdicts] = {}


def verdicts_to_review(store: Store, now: datetime, run: str | None = None,
                       base_dir: Path | None = None) -> list[VerdictItem]:
    """`publish.to_review` (what the Today and Review pages list), kept like the request list: judged again
    only for the requests the change log names since, all of them when a run's questions changed or the log
    no longer reaches back."""
    from .findings import run_questions, waiting_verdicts

    key = (str(Path(store.path).resolve()), str(base_dir.resolve()) if base_dir else "")
    stamp = change_stamp(store.path)
    questions = tuple(sorted((name, tuple(asked)) for name, asked in run_questions(store, base_dir).items()))
    with _cache_lock:
        held = _verdicts.get(key)
    if held is not None and held.questions == questions:
        if held.stamp == stamp:
            return held.listed(run)
        seen, changed = store.changes_since(held.seen)
        if changed is not None and len(changed) <= REREAD_AT_MOST:
            by_request = {i: v for i, v in held.by_request.items() if i not in changed}
            if changed:
                by_request.update(_by_request(waiting_verdicts(store, now, None, base_dir, ids=changed)))
            return _keep_verdicts(key, _Verdicts(questions, seen, stamp, by_request)).listed(run)
    seen = store.last_change()
    table = _Verdicts(questions, seen, stamp, _by_request(waiting_verdicts(store, now, None, base_dir)))
    return _keep_verdicts(key, table).listed(run)


def _by_request(found: list[tuple[Outcome, VerdictItem]]) -> dict[int, tuple[tuple[str, str, int], list[VerdictItem]]]:
    out: dict[int, tuple[tuple[str, str, int], list[VerdictItem]]] = {}
    for outcome, item in found:
        out.setdefault(outcome.id, (_query_order(outcome), []))[1].append(item)
    return out


def _keep_verdicts(key: tuple[str, str], table: _Verdicts) -> _Verdicts:
    with _cache_lock:
        held = _verdicts.get(key)
        if held is None or held.questions != table.questions or held.seen <= table.seen:
            _verdicts[key] = table
    return table


# --- the request list ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestQuery:
    """The filters, order and page of the request list (each empty filter lets everything through)."""

    status: str = ""
    outcome: str = ""  # an outcome, or "none" for requests without one yet
    kind: str = ""  # the authority's kind
    jurisdiction: str = ""
    run: str = ""
    stage: str = ""  # the chase stage reached, or "none"
    late: int | None = None  # at least this many working days late
    text: str = ""  # in the authority's name or id, our reference or theirs
    sort: str = "authority"
    descending: bool = False
    page: int = 1
    per_page: int = PAGE_SIZE

    @classmethod
    def from_params(cls, params: Any) -> RequestQuery:
        """From a query string's parameters (a mapping of str to str); bad numbers are errors that say so."""
        def number(name: str, default: int | None) -> int | None:
            value = (params.get(name) or "").strip()
            if not value:
                return default
            if not value.isdigit():
                raise InputError(f"{name} must be a whole number, not {value!r}")
            return int(value)

        sort = params.get("sort") or "authority"
        if sort not in SORTS:
            raise InputError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        return cls(
            status=(params.get("status") or "").strip(), outcome=(params.get("outcome") or "").strip(),
            kind=(params.get("kind") or "").strip(), jurisdiction=(params.get("jurisdiction") or "").strip(),
            run=(params.get("run") or "").strip(), stage=(params.get("stage") or "").strip(),
            late=number("late", None), text=(params.get("q") or "").strip()[:200], sort=sort,
            descending=params.get("desc") in ("1", "true", "on"), page=max(1, number("page", 1) or 1),
            per_page=min(MAX_PAGE_SIZE, max(1, number("per_page", PAGE_SIZE) or PAGE_SIZE)),
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string that gives this query (with `changes`), without the empty filters."""
        q = replace(self, **changes)
        values = {"status": q.status, "outcome": q.outcome, "kind": q.kind, "jurisdiction": q.jurisdiction,
                  "run": q.run, "stage": q.stage, "late": "" if q.late is None else str(q.late), "q": q.text,
                  "sort": "" if q.sort == "authority" else q.sort, "desc": "1" if q.descending else "",
                  "page": "" if q.page == 1 else str(q.page),
                  "per_page": "" if q.per_page == PAGE_SIZE else str(q.per_page)}
        return {k: v for k, v in values.items() if v}

    @property
    def filtered(self) -> bool:
        return any((self.status, self.outcome, self.kind, self.jurisdiction, self.run, self.stage, self.text,
                    self.late is not None))

    def keeps(self, o: Outcome) -> bool:
        if self.status and o.status != self.status:
            return False
        if self.outcome and (o.outcome or "none") != self.outcome:
            return False
        if self.kind and o.kind != self.kind:
            return False
        if self.jurisdiction and o.jurisdiction != self.jurisdiction:
            return False
        if self.run and o.run != self.run:
            return False
        if self.stage and (o.chase_stage or STAGE_NONE) != self.stage:
            return False
        if self.late is not None and (o.days_late or 0) < self.late:
            return False
        if self.text:
            needle = self.text.lower()
            hay = f"{o.authority}\x00{o.authority_id}\x00{o.reference}\x00{o.authority_ref or ''}".lower()
            if needle not in hay:
                return False
        return True


_FAR = date(9999, 12, 31)
# Each order's own key; ties always go by authority name, then reference, A to Z (also when descending).
_SORT_KEYS: dict[str, Any] = {
    "authority": lambda o: o.authority.lower(),
    "reference": lambda o: o.reference,
    "status": lambda o: o.status,
    "outcome": lambda o: o.outcome or "~",
    "due": lambda o: o.due_date or _FAR,
    "late": lambda o: o.days_late or 0,
    "sent": lambda o: o.sent_at.isoformat() if o.sent_at else "~",
    "replies": lambda o: o.replies,
    "stage": lambda o: o.chase_stage or "",
    "run": lambda o: o.run,
}


def _ties(o: Outcome) -> tuple[str, str]:
    return (o.authority.lower(), o.reference)


@dataclass
class RequestPage:
    query: RequestQuery
    rows: list[Outcome]
    total: int  # requests that pass the filters
    everything: int  # requests in the campaign
    pages: int
    choices: dict[str, list[tuple[str, int]]]  # filter -> (value, count over the whole campaign)


def select_requests(store: Store, now: datetime, query: RequestQuery) -> list[Outcome]:
    """Every request that passes the query's filters, in its order (what a bulk action acts on)."""
    return [o for o in _table(store, now).ordered(query.sort, query.descending) if query.keeps(o)]


def list_requests(store: Store, now: datetime, query: RequestQuery) -> RequestPage:
    """One page of the request list, with the values each filter can take."""
    table = _table(store, now)
    kept = select_requests(store, now, query)
    pages = max(1, -(-len(kept) // query.per_page))
    page = min(query.page, pages)
    start = (page - 1) * query.per_page
    return RequestPage(replace(query, page=page), kept[start:start + query.per_page], len(kept),
                       len(table.items), pages, table.choices)


_FILTERS = ("status", "outcome", "kind", "jurisdiction", "run", "stage")  # the filters with choices


def _values(o: Outcome) -> tuple[tuple[str, str], ...]:
    """The value of each filter with choices, for one request."""
    return (("status", o.status), ("outcome", o.outcome or "none"), ("kind", o.kind),
            ("jurisdiction", o.jurisdiction), ("run", o.run), ("stage", o.chase_stage or STAGE_NONE))


def _counts(items: list[Outcome]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {name: Counter() for name in _FILTERS}
    for o in items:
        for name, value in _values(o):
            counts[name][value] += 1
    return counts


# --- one request -----------------------------------------------------------------------------------------

@dataclass
class Entry:
    """One message in or out of a request's timeline."""

    id: int
    direction: str  # in | out
    at: datetime | None
    title: str  # "request sent", "reply: not_held", ...
    subject: str
    from_addr: str
    to_addr: str
    state: str
    message_id: str  # the Message-ID header (our reference is in ours)
    kind: str | None = None
    confidence: float | None = None
    evidence: list[str] = field(default_factory=list)
    authority_ref: str | None = None
    exemptions: str = ""
    kind_manual: bool = False
    match: str = ""  # how it was filed under the request
    text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    needs_review: bool = False  # waits in the review queue (`foibot review`), and why
    review_reason: str = ""


@dataclass
class RequestDetail:
    outcome: Outcome
    row: dict[str, Any]
    entries: list[Entry]
    history: list[dict[str, Any]]  # the events, oldest first
    due_why: list[str]  # how the due date was worked out, line by line


def request_detail(store: Store, now: datetime, reference: str) -> RequestDetail:
    """Everything about one request (our reference or its number): its timeline, replies and due date."""
    from ..lifecycle import find_request

    row = find_request(store, reference)
    found = [o for o in all_outcomes(store, now) if o.id == row["id"]]
    outcome = found[0] if found else next(o for o in outcomes(store, now, row["run"]) if o.id == row["id"])
    entries = _entries(store, row["id"])
    history = [{**e, "at": from_iso(e["at"]), "detail": json_column(e["detail"], {})} for e in store.db.query(
        "SELECT id, at, type, detail, source, message_id FROM events WHERE request_id = ? ORDER BY at, id",
        [row["id"]])]
    return RequestDetail(outcome, row, entries, history, due_explanation(row))


def _entries(store: Store, request_id: int) -> list[Entry]:
    files: dict[int, list[dict[str, Any]]] = {}
    for f in store.db.query(
            "SELECT f.id, f.message_id, f.filename, f.content_type, f.size, f.status, f.stored_path FROM attachments f "
            "JOIN messages m ON m.id = f.message_id WHERE m.request_id = ? ORDER BY f.message_id, f.part_index",
            [request_id]):
        files.setdefault(f["message_id"], []).append(f)
    entries = []
    for m in store.db.query(
            "SELECT id, direction, stage, state, sent_at, created_at, date_header, subject, from_addr, to_addrs, "
            "message_id, kind, confidence, evidence, authority_ref, exemptions, kind_manual, match_method, "
            "match_detail, text, triage, needs_review, review_reason FROM messages WHERE request_id = ? "
            "ORDER BY COALESCE(sent_at, date_header, created_at), id", [request_id]):
        if m["direction"] == "out":
            at = from_iso(m["sent_at"] or m["created_at"])
            title = f"{(m['stage'] or 'message').replace('_', ' ')} " + (
                "sent" if m["state"] == "sent" else f"({m['state']})")
            entries.append(Entry(m["id"], "out", at, title, m["subject"] or "", m["from_addr"] or "",
                                 m["to_addrs"] or "", m["state"], m["message_id"] or ""))
            continue
        at = from_iso_lenient(m["date_header"]) or from_iso(m["created_at"])
        detail = json_column(m["match_detail"], {})
        kind = m["kind"]
        entries.append(Entry(
            m["id"], "in", at, f"reply: {(kind or 'not read').replace('_', ' ')}", m["subject"] or "",
            m["from_addr"] or "", m["to_addrs"] or "", m["state"], m["message_id"] or "", kind=kind,
            confidence=m["confidence"], evidence=[str(e) for e in json_column(m["evidence"], [])],
            authority_ref=m["authority_ref"], exemptions=m["exemptions"] or "", kind_manual=bool(m["kind_manual"]),
            match=f"{m['match_method'] or ''}: {detail.get('why') or ''}".strip(": "), text=m["text"] or "",
            attachments=files.get(m["id"], []), needs_review=bool(m["needs_review"]),
            review_reason=m["review_reason"] or ""))
    return entries


def due_explanation(row: dict[str, Any]) -> list[str]:
    """The due date in words: day 0, the working days counted, what stopped or moved the clock."""
    facts = RequestFacts.from_row(row)
    regime = row["regime"]
    law = "FOISA (Scottish bank holidays)" if regime == "foisa" else "FOIA (bank holidays anywhere in the UK)"
    lines: list[str] = []
    if facts.sent_at is None:
        return ["not sent yet: no due date"]
    if row["status"] == "failed":
        return [f"sent {london_date(facts.sent_at)}, but it never reached the authority (failed): nothing is owed"]
    lines.append(f"sent {london_date(facts.sent_at)}: day 0")
    if facts.clarification_at is not None:
        lines.append(f"clarification asked {london_date(facts.clarification_at)}: the clock stopped")
        if facts.clock_stopped:
            lines.append("not answered yet (`clarified` restarts the clock at day 0)")
        else:
            assert facts.clarification_answered_at is not None
            lines.append(f"answered {london_date(facts.clarification_answered_at)}: day 0 again")
    due = due_date(facts, regime)
    if due is not None:
        lines.append(f"{RESPONSE_WORKING_DAYS} working days under {law}")
        if facts.extension_at is not None:
            named = (f"to {facts.extension_to}" if facts.extension_to
                     else f"by {EXTENSION_WORKING_DAYS} working days (no date named)")
            lines.append(f"extension notice {london_date(facts.extension_at)}: moved {named}")
        lines.append(f"due {due.isoformat()}")
    return lines


# --- what needs a person ---------------------------------------------------------------------------------

@dataclass
class Today:
    """The morning page: what waits for the campaigner, what the ladder will do, the counts."""

    total: int
    by_status: list[tuple[str, int]]
    by_outcome: list[tuple[str, int]]
    review_total: int  # the review queue, as `foibot review` lists it (foibot.review)
    review: list[ReviewItem]
    triage_total: int
    triage: list[Any]
    clarifications: list[Outcome]  # the authority asked a question: the campaigner must answer
    bounces: list[Outcome]  # never reached the authority: re-address
    late: list[Outcome]  # still owed past the due date, the latest first
    due_now: list[Any]  # chasers the ladder would send now (ChaseItem)
    held_now: list[Any]  # chasers owed now that wait (a reading to review, office hours): `held` says why
    coming: list[Any]  # the next chasers and their days (ChaseItem)


SHOWN = 10


def today(store: Store, config: Any, now: datetime) -> Today:
    """Everything the Today page shows, each list cut to its first few (the counts are whole)."""
    from ..chase import ChaseSettings, coming, plan
    from ..collect import list_triage
    from .status import OUTCOME_ORDER, STATUS_ORDER

    items = all_outcomes(store, now)
    by_status = Counter(o.status for o in items)
    by_outcome = Counter(o.outcome or "none yet" for o in items)
    queue = list_reviews(store)
    settings = ChaseSettings.from_config(config)
    owed = plan(store, settings, now)
    late = sorted((o for o in items if o.on_time is False and not o.outcome),
                  key=lambda o: (-(o.days_late or 0), o.authority.lower()))
    return Today(
        total=len(items),
        by_status=[(s, by_status[s]) for s in STATUS_ORDER if by_status[s]]
        + sorted((s, n) for s, n in by_status.items() if s not in STATUS_ORDER),
        by_outcome=[(s, by_outcome[s]) for s in (*OUTCOME_ORDER, "none yet") if by_outcome[s]],
        review_total=len(queue), review=queue[:SHOWN],
        triage_total=store.triage_count(), triage=list_triage(store, SHOWN),
        clarifications=[o for o in items if o.base_status == "awaiting_clarification"],
        bounces=[o for o in items if o.base_status == "failed"],
        late=late,
        due_now=[i for i in owed if not i.held],
        held_now=[i for i in owed if i.held],
        coming=coming(store, settings, now)[:SHOWN],
    )


def reading(store: Store, message_row_id: int) -> dict[str, Any]:
    """How one incoming message was read and where it is filed (kind, confidence, request, triage)."""
    rows = list(store.db.query(
        "SELECT m.id, m.direction, m.kind, m.confidence, m.evidence, m.kind_manual, m.triage, m.match_method, "
        "m.needs_review, m.review_reason, q.reference, q.authority_name FROM messages m LEFT JOIN requests q ON q.id = m.request_id WHERE m.id = ?",
        [message_row_id]))
    if not rows or rows[0]["direction"] != "in":
        raise InputError(f"no incoming message number {message_row_id}")
    row = rows[0]
    row["evidence"] = [str(e) for e in json_column(row["evidence"], [])]
    return row


def attachment(store: Store, attachment_id: int) -> tuple[Path, str, str]:
    """An attachment's file, a name safe to offer for download, and its declared type."""
    rows = list(store.db.query("SELECT id, filename, stored_path, content_type FROM attachments WHERE id = ?",
                               [attachment_id]))
    if not rows or not rows[0]["stored_path"]:
        raise InputError(f"no stored attachment number {attachment_id}")
    row = rows[0]
    base = store.files_dir.resolve()
    path = (base / row["stored_path"]).resolve()
    if base not in path.parents or not path.is_file():
        raise InputError(f"attachment {attachment_id}: its file is missing from {base}")
    return path, safe_filename(row["filename"], f"attachment-{attachment_id}"), row["content_type"] or ""


def safe_filename(name: str | None, fallback: str) -> str:
    """A sender's file name reduced to letters, digits, dot, dash and underscore (never a path, never hidden)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._- ") else "_" for ch in base).strip(" .")
    cleaned = "_".join(cleaned.split())[:100]
    return cleaned or fallback
