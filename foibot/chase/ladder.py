"""The chase ladder: what each late request is owed today, chasers queued once per stage, complaints written.

Stages (design.md), each at most once per request; a later stage is never followed by an earlier one:
1. `reminder`: from the first working day after the due date;
2. `internal_review`: `review_after_working_days` after the due date, still with no substantive reply;
3. `complaint`: `complaint_after_working_days` (20) working days after the review was requested, with no
   result: a file for the campaigner to submit to the ICO or the Scottish Information
   Commissioner; foibot never sends it.
When a run finds more than one stage due (the machine was off for weeks), only the latest goes.
Chasers go on the request's working days, in office hours, threaded to the original request, through the
once-only outbox. Everything is decided from stored facts and `now`, so running it twice sends nothing new.
"""

from __future__ import annotations

import email
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..clock import from_iso, london_date, when_text
from ..config import Config
from ..deadlines import RequestFacts, add_working_days, due_date, working_days
from ..errors import ConfigError, FoibotError, StoreError, TemplateError
from ..files import write_atomic
from ..lifecycle import REVIEW_HOLD, cancel_stopped_chasers, chase_stop_reason
from ..references import plus_address
from ..render import (
    BODY_WORDING,
    REGIMES,
    TemplateEnvironment,
    long_date,
    make_environment,
    render_file,
    template_dirs,
)
from ..send import ByHand, build_message, enqueue, new_message_id, queued, write_by_hand
from ..store import PENDING_REVIEW_REQUESTS, Store
from ..vocab import EMAIL_STAGES, LADDER
from .evidence import closing_windows, complaint_evidence, evidence_text

STAGE_NAMES = {"reminder": ("reminder", "reminders"),
               "internal_review": ("internal review request", "internal review requests"),
               "complaint": ("complaint file", "complaint files")}
REGULATORS = {"foia": "ico", "foisa": "sic"}


@dataclass(frozen=True)
class ChaseSettings:
    """The `[chase]` section, typed."""

    enabled: bool = True
    stages: tuple[str, ...] = LADDER
    review_after: int = 20
    complaint_after: int = 20
    office_start: time = time(9, 0)
    office_end: time = time(17, 0)
    timezone: str = "Europe/London"
    complaints_dir: Path = Path("complaints")

    @classmethod
    def from_config(cls, config: Config) -> ChaseSettings:
        c = config.chase
        for key in ("review_after_working_days", "complaint_after_working_days"):
            if not 1 <= getattr(c, key) <= 100:
                raise ConfigError(f"{config.source}: [chase] {key} must be between 1 and 100, not "
                                  f"{getattr(c, key)}")
        start, end = _clock_time(c.office_hours_start), _clock_time(c.office_hours_end)
        if start >= end:
            raise ConfigError(f"{config.source}: [chase] office_hours_start must be before office_hours_end")
        return cls(
            enabled=c.enabled,
            stages=tuple(s for s in LADDER if c.stage_enabled(s)),
            review_after=c.review_after_working_days,
            complaint_after=c.complaint_after_working_days,
            office_start=start,
            office_end=end,
            timezone=c.timezone,
            complaints_dir=(config.base_dir / c.complaints_folder).resolve(),
        )

    def closed_now(self, now: datetime, regime: str) -> str | None:
        """Why no e-mail may go at this moment for this regime, or None in office hours on a working day."""
        local = now.astimezone(ZoneInfo(self.timezone))
        if not working_days(regime).is_working_day(local.date()):
            return f"{local.date().isoformat()} is not a working day"
        if not self.office_start <= local.time() < self.office_end:
            return (f"outside office hours ({self.office_start:%H:%M}-{self.office_end:%H:%M} "
                    f"{self.timezone})")
        return None


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")  # checked as "H:MM" / "HH:MM" by config
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class ChaseItem:
    """One stage owed to one request: who gets what, why, and (`held`) why it does not go now."""

    request_id: int
    reference: str
    authority: str
    to_addr: str
    regime: str
    stage: str
    due_on: date  # the day this stage became due
    why: str
    held: str | None = None


@dataclass
class ChaseReport:
    now: datetime
    dry_run: bool
    enabled: bool = True
    planned: list[ChaseItem] = field(default_factory=list)
    sent: Counter[str] = field(default_factory=Counter)  # stage -> chasers the server accepted
    failed: list[str] = field(default_factory=list)  # "FB-...: reminder: <server's words>"
    waiting: int = 0  # queued but not sent (a temporary failure: retried at the next run)
    limit_next: datetime | None = None  # [smtp] daily_limit held chasers back until then
    complaints: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # per-item problems (a template that does not render)
    by_hand: list[ByHand] = field(default_factory=list)  # chasers of by-hand requests, written out to send
    closing: list[str] = field(default_factory=list)  # complaints whose regulator's window closes soon

    @property
    def held(self) -> list[ChaseItem]:
        return [i for i in self.planned if i.held]

    def summary(self) -> str:
        """One line a campaigner can read: "sent 3 reminders, 1 internal review request; 2 held (...)"."""
        if not self.enabled:
            return "chasing is switched off ([chase] enabled = false)"
        held = f"{len(self.held)} held ({self._held_reasons()})" if self.held else ""
        if self.dry_run:
            going = Counter(i.stage for i in self.planned if not i.held)
            parts = [_count(going[s], *STAGE_NAMES[s]) for s in LADDER if going[s]]
            clauses = ["would prepare " + ", ".join(parts) if parts else "", held]
        else:
            sent = sorted(self.sent.items(), key=lambda x: LADDER.index(x[0]))
            parts = [_count(n, *STAGE_NAMES[s]) for s, n in sent]
            if self.waiting and self.limit_next is not None:
                waiting = (f"{self.waiting} wait for [smtp] daily_limit (the next go after "
                           f"{when_text(self.limit_next, self.now)})")
            else:
                waiting = f"{self.waiting} to retry" if self.waiting else ""
            clauses = [
                "sent " + ", ".join(parts) if parts else "",
                f"wrote {_count(len(self.complaints), *STAGE_NAMES['complaint'])}" if self.complaints else "",
                f"{_count(len(self.by_hand), 'chaser', 'chasers')} to send by hand" if self.by_hand else "",
                f"{len(self.failed)} refused by the server" if self.failed else "",
                waiting,
                held,
                f"{len(self.errors)} could not be prepared" if self.errors else "",
            ]
        return "; ".join(c for c in clauses if c) or "nothing due"

    def _held_reasons(self) -> str:
        return "; ".join(sorted({i.held for i in self.held if i.held}))


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- deciding ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """What the ladder already did for a request: stages with a message or a complaint, and when."""

    stages: frozenset[str]
    review_sent_at: datetime | None = None
    reminder_sent_at: datetime | None = None


def next_stage(row: dict[str, Any], done: Done, today: date, settings: ChaseSettings) -> tuple[str, date, str] | None:
    """The stage owed today (the latest one whose day has come), its day and why; None when none is."""
    owed = [c for c in _stages_ahead(row, done, today, settings) if c[1] <= today]
    return owed[-1] if owed else None


def coming_stage(row: dict[str, Any], done: Done, today: date,
                 settings: ChaseSettings) -> tuple[str, date, str] | None:
    """The next stage whose day has not come yet (what the ladder will do next, and when), or None."""
    ahead = [c for c in _stages_ahead(row, done, today, settings) if c[1] > today]
    return ahead[0] if ahead else None


def _stages_ahead(row: dict[str, Any], done: Done, today: date,
                  settings: ChaseSettings) -> list[tuple[str, date, str]]:
    """The stages still to come for this request, in ladder order, each with its day and why."""
    if not settings.enabled or chase_stop_reason(row):
        return []
    regime = row["regime"]
    calendar = working_days(regime)
    reached = [s for s in LADDER if s in done.stages]
    after = LADDER.index(reached[-1]) + 1 if reached else 0
    candidates: list[tuple[str, date, str]] = []
    review_requested = from_iso(row.get("review_requested_at")) or done.review_sent_at
    if review_requested is None:
        if row["status"] != "awaiting_response" or row.get("outcome"):
            return []
        facts = RequestFacts.from_row(row)
        due = due_date(facts, regime)
        if due is None:
            return []
        late = calendar.between(due, today)
        candidates.append(("reminder", calendar.next_working_day(due),
                           f"due {due}, no substantive reply; {_count(late, 'working day', 'working days')} late"))
        reminded = f" (reminder sent {london_date(done.reminder_sent_at)})" if done.reminder_sent_at else ""
        candidates.append(("internal_review", calendar.add(due, settings.review_after),
                           (f"due {due}, still no substantive reply {settings.review_after} working days "
                           f"later{reminded}")))
    elif not row.get("review_result_at"):
        outcome_at = from_iso(row.get("outcome_at"))
        if row.get("outcome") and (outcome_at is None or outcome_at >= review_requested):
            return []  # they answered after we asked for the review
        asked = london_date(review_requested)
        # Like the internal review (due + 20), the complaint comes 20 working days after asking (the issue's
        # ladder); it is a file for the campaigner, so nothing reaches the authority on its last day.
        complaint_on = calendar.add(asked, settings.complaint_after)
        candidates.append(("complaint", complaint_on,
                           (f"internal review requested {asked}, no result {settings.complaint_after} "
                            "working days later")))
    return [c for c in candidates if LADDER.index(c[0]) >= after and c[0] in settings.stages]


def _done_by_request(store: Store, ids: list[int]) -> dict[int, Done]:
    stages: dict[int, set[str]] = {i: set() for i in ids}
    review: dict[int, datetime] = {}
    reminder: dict[int, datetime] = {}
    # One request (rendering a chaser) reads its own rows; a whole plan reads the table once.
    only = " AND request_id = ?" if len(ids) == 1 else ""
    params = ids if len(ids) == 1 else []
    for r in store.db.query(
        "SELECT request_id, stage, state, sent_at FROM messages WHERE direction = 'out' "
        f"AND stage IN ('reminder', 'internal_review'){only}", params
    ):
        if r["request_id"] not in stages:
            continue
        stages[r["request_id"]].add(r["stage"])
        sent_at = from_iso(r["sent_at"]) if r["state"] == "sent" else None
        if sent_at and r["stage"] == "internal_review":
            review[r["request_id"]] = sent_at
        if sent_at and r["stage"] == "reminder":
            reminder[r["request_id"]] = sent_at
    for r in store.db.query(f"SELECT DISTINCT request_id FROM events WHERE type = 'complaint_written'{only}",
                            params):
        if r["request_id"] in stages:
            stages[r["request_id"]].add("complaint")
    return {i: Done(frozenset(s), review.get(i), reminder.get(i)) for i, s in stages.items()}


def _open_requests(store: Store) -> list[dict[str, Any]]:
    return list(store.db.query(
        f"SELECT *, id IN ({PENDING_REVIEW_REQUESTS}) AS review_pending FROM requests "
        "WHERE status IN ('awaiting_response', 'internal_review') AND sent_at IS NOT NULL ORDER BY id"
    ))


_StageFinder = Callable[[dict[str, Any], Done, date, ChaseSettings], tuple[str, date, str] | None]


def _items(store: Store, settings: ChaseSettings, now: datetime,
           find: _StageFinder) -> Iterator[tuple[dict[str, Any], ChaseItem]]:
    """Each open request with the stage `find` gives it (`next_stage`: owed now; `coming_stage`: next ahead)."""
    if not settings.enabled:
        return
    rows = _open_requests(store)
    done = _done_by_request(store, [r["id"] for r in rows])
    today = london_date(now)
    for row in rows:
        found = find(row, done[row["id"]], today, settings)
        if found is not None:
            stage, day, why = found
            yield row, ChaseItem(row["id"], row["reference"], row["authority_name"], row["authority_email"],
                                 row["regime"], stage, day, why)


def plan(store: Store, settings: ChaseSettings, now: datetime) -> list[ChaseItem]:
    """Every stage owed now, each marked `held` when it cannot go at this moment."""
    items = []
    for row, item in _items(store, settings, now, next_stage):
        # A reply that may be the answer (or may not) is read by a person before the ladder moves on.
        held = REVIEW_HOLD if row.get("review_pending") else None
        held = held or (settings.closed_now(now, row["regime"]) if item.stage in EMAIL_STAGES else None)
        items.append(replace(item, held=held))
    return items


def coming(store: Store, settings: ChaseSettings, now: datetime) -> list[ChaseItem]:
    """For each open request, the next stage the ladder will take once its day comes, soonest first."""
    items = [item for _row, item in _items(store, settings, now, coming_stage)]
    return sorted(items, key=lambda i: (i.due_on, i.authority.lower()))


# --- doing ---------------------------------------------------------------------------------------------


def chasers_to_send(store: Store, config: Config, now: datetime) -> int:
    """How many chasers `chase_due` would send now (new ones and earlier ones still queued): for asking."""
    settings = ChaseSettings.from_config(config)
    if not settings.enabled:
        return 0
    # A request that goes by hand (web form, post) has its chasers written out, never mailed: not counted.
    new = sum(1 for item in plan(store, settings, now)
              if not item.held and item.stage in EMAIL_STAGES and item.to_addr)
    return new + len(queued(store, EMAIL_STAGES))


def chase_due(store: Store, config: Config, now: datetime, dry_run: bool = False) -> ChaseReport:
    """Queue and send the chasers due now, write the complaints due; with `dry_run`, only say what would be."""
    settings = ChaseSettings.from_config(config)
    report = ChaseReport(now=now, dry_run=dry_run, enabled=settings.enabled)
    if not dry_run:
        record_review_requests(store, now)
        cancel_stopped_chasers(store, now)
    report.planned = plan(store, settings, now)
    report.closing = closing_windows(store, settings.complaint_after, now)
    if dry_run or not settings.enabled:
        return report
    env = make_environment(template_dirs(config.base_dir))
    for item in report.planned:
        if item.held:
            continue
        try:
            if item.stage == "complaint":
                path = write_complaint(store, config, settings, env, item, now)
                if path:
                    report.complaints.append(path)
            else:
                queue_chaser(store, config, env, item, now)
        except (TemplateError, StoreError) as exc:
            report.errors.append(f"{item.reference}: {item.stage}: {exc}")
    report.by_hand = [m for m in write_by_hand(store, config) if m.stage != "request"]
    # Chasers queued by an earlier run and left by a temporary failure go too, once the office is open.
    pending = [m.id for m in queued(store, EMAIL_STAGES)]
    if pending and any(settings.closed_now(now, regime) is None for regime in REGULATORS):
        from ..collect import sent_folder
        from ..send import send_pending  # the same sending path as requests (rate limits, retries)

        try:
            sent = send_pending(store, config, now, stages=EMAIL_STAGES, sent_folder=sent_folder(config))
            report.limit_next = sent.next_at if sent.limit_reached else None
        except FoibotError as exc:  # the server is down or busy: the chasers stay queued for the next run
            report.errors.append(f"could not send now: {exc}")
        _read_back(store, pending, report)
        record_review_requests(store, now)
    else:
        report.waiting = len(pending)
    return report


def _read_back(store: Store, ids: list[int], report: ChaseReport) -> None:
    marks = ", ".join("?" for _ in ids)
    for r in store.db.query(
        f"SELECT m.stage, m.state, m.last_error, q.reference FROM messages m JOIN requests q "
        f"ON q.id = m.request_id WHERE m.id IN ({marks})", ids
    ):
        if r["state"] == "sent":
            report.sent[r["stage"]] += 1
        elif r["state"] == "failed":
            report.failed.append(f"{r['reference']}: {r['stage']}: {r['last_error']}")
        else:
            report.waiting += 1


def record_review_requests(store: Store, now: datetime) -> None:
    """A review request the server accepted puts the request in `internal_review` from the moment it went."""
    with store.transaction():
        for r in list(store.db.query(
            "SELECT q.id, m.sent_at FROM requests q JOIN messages m ON m.request_id = q.id "
            "AND m.direction = 'out' AND m.stage = 'internal_review' AND m.state = 'sent' "
            "WHERE q.review_requested_at IS NULL"
        )):
            store.db.execute(
                "UPDATE requests SET review_requested_at = ?, status = CASE WHEN status = 'awaiting_response' "
                "AND status_manual = 0 THEN 'internal_review' ELSE status END WHERE id = ?",
                [r["sent_at"], r["id"]],
            )
            store.add_event(r["id"], "review_requested", now, {"at": r["sent_at"]})


def _authority_data(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    found = list(store.db.query("SELECT * FROM authorities WHERE id = ?", [row["authority_id"]]))
    data: dict[str, Any] = {}
    if found:
        data.update(json.loads(found[0].get("extra") or "{}"))
        data.update({k: found[0][k] for k in ("id", "name", "email", "kind", "jurisdiction")})
    data.update(name=row["authority_name"], email=row["authority_email"], jurisdiction=row["jurisdiction"])
    data.setdefault("id", row["authority_id"])
    data.setdefault("kind", "other_public_body")
    return data


def _original(store: Store, request_id: int) -> dict[str, Any] | None:
    found = list(store.db.query(
        "SELECT message_id, subject, sent_at, raw FROM messages WHERE request_id = ? AND direction = 'out' "
        "AND stage = 'request'", [request_id]))
    return found[0] if found else None


def _first_in(store: Store, request_id: int, kind: str) -> date | None:
    found = list(store.db.query(
        "SELECT created_at FROM messages WHERE request_id = ? AND direction = 'in' AND kind = ? AND triage = 0 "
        "ORDER BY created_at LIMIT 1", [request_id, kind]))
    moment = from_iso(found[0]["created_at"]) if found else None
    return london_date(moment) if moment else None


def chase_context(store: Store, config: Config, row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What the chase templates may use (templates/chase/README.md lists it)."""
    regime = row["regime"]
    facts = RequestFacts.from_row(row)
    due = due_date(facts, regime)
    done = _done_by_request(store, [row["id"]])[row["id"]]
    original = _original(store, row["id"]) or {}
    authority = _authority_data(store, row)
    sent = from_iso(row["sent_at"])
    review_at = from_iso(row.get("review_requested_at")) or done.review_sent_at
    review_days = ChaseSettings.from_config(config).complaint_after  # the review's deadline, as configured
    review_due = add_working_days(london_date(review_at), review_days, regime) if review_at else None

    def long(day: date | None) -> str | None:
        return long_date(day) if day else None

    return {
        "authority": authority,
        "body": BODY_WORDING.get(authority["kind"], BODY_WORDING["other_public_body"]),
        "regime": REGIMES[regime],
        "requester": {"name": config.requester.name, "email": config.requester.email,
                      "postal_address": config.requester.postal_address},
        "reference": row["reference"],
        "authority_ref": row.get("authority_ref") or None,
        "original_subject": original.get("subject") or f"{REGIMES[regime]['request_name']} [ref {row['reference']}]",
        "sent_on": long(london_date(sent)) if sent else None,
        "due_on": long(due),
        "statutory_due_on": long(add_working_days(london_date(sent), 20, regime)) if sent else None,
        "today": long(london_date(now)),
        "acknowledged_on": long(_first_in(store, row["id"], "acknowledgement")),
        "extension_on": long(london_date(facts.extension_at)) if facts.extension_at else None,
        "extension_named": facts.extension_to is not None,
        "reminder_on": long(london_date(done.reminder_sent_at)) if done.reminder_sent_at else None,
        "review_requested_on": long(london_date(review_at)) if review_at else None,
        "review_due_on": long(review_due),
        "review_working_days": review_days,
    }


def _request_row(store: Store, request_id: int) -> dict[str, Any]:
    return next(iter(store.db.query("SELECT * FROM requests WHERE id = ?", [request_id])))


def render_chaser(env: Any, context: dict[str, Any], stage: str) -> tuple[str, str]:
    """Subject and body of a chaser; both must carry our reference so the reply finds its way back."""
    who = f"{context['reference']} ({context['authority']['name']})"
    subject = render_file(env, f"chase/{stage}/subject.j2", context, who).strip()
    body = render_file(env, f"chase/{stage}/body.j2", context, who).strip() + "\n"
    if "\n" in subject:
        raise TemplateError(f"template chase/{stage}/subject.j2 renders to more than one line (for {who})")
    for part, text in (("subject.j2", subject), ("body.j2", body)):
        if context["reference"] not in text:
            raise TemplateError(f"template chase/{stage}/{part} must include the reference ({{{{ reference }}}})")
    return subject, body


def queue_chaser(store: Store, config: Config, env: TemplateEnvironment, item: ChaseItem, now: datetime) -> int | None:
    """Render, build and queue one chaser, threaded to the original; None if this stage was queued before."""
    row = _request_row(store, item.request_id)
    context = chase_context(store, config, row, now)
    subject, body = render_chaser(env, context, item.stage)
    original = _original(store, item.request_id)
    parent = original["message_id"] if original else None
    sender = config.requester.email
    message_id = new_message_id(sender)
    reply_to = plus_address(sender, row["reference"]) if config.requester.reply_address == "plus" else None
    # A chaser of a request sent by hand goes by hand too (enqueue keeps it out of the mail): addressed to us.
    to_addr = row["authority_email"] or sender
    raw = build_message(
        from_name=config.requester.name, from_addr=sender, to_addr=to_addr, subject=subject,
        body=body, message_id=message_id, date=now, reply_to=reply_to, in_reply_to=parent,
        references=[parent] if parent else None,
    )
    with store.transaction():
        return enqueue(store, request_id=item.request_id, stage=item.stage, raw=raw, message_id=message_id,
                       to_addr=row["authority_email"], from_addr=sender, subject=subject, now=now)


# --- the complaint file --------------------------------------------------------------------------------


def _plain_body(raw: bytes | None) -> str:
    """The text of one of our own messages (a single text/plain part, built by compose)."""
    if not raw:
        return ""
    # compat32 is enough for what we built ourselves, and several times faster than the modern policy.
    message = email.message_from_bytes(raw)
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8", "replace").strip()
    return ""


def _timeline(store: Store, request_id: int) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Dated history for the regulator (what went, what came back) and our own messages' texts."""
    entries: list[tuple[str, str]] = []
    copies: list[dict[str, str]] = []
    names = {"request": "request sent", "reminder": "reminder sent",
             "internal_review": "internal review requested", "readdress": "request sent to a corrected address"}
    for m in store.db.query(
        "SELECT direction, stage, state, sent_at, created_at, kind, raw, subject FROM messages "
        "WHERE request_id = ? AND (direction = 'in' OR state = 'sent') ORDER BY COALESCE(sent_at, created_at), id",
        [request_id],
    ):
        moment = from_iso(m["sent_at"] or m["created_at"])
        day = long_date(london_date(moment)) if moment else "?"
        if m["direction"] == "out":
            what = names.get(m["stage"], f"{m['stage']} sent")
            entries.append((day, what))
            copies.append({"title": f"{what[:1].upper()}{what[1:]} on {day}", "subject": m["subject"] or "",
                           "text": _plain_body(m["raw"])})
        else:
            kind = (m["kind"] or "message").replace("_", " ")
            entries.append((day, f"received: {kind}"))
    return [{"date": d, "what": w} for d, w in entries], copies


def write_complaint(store: Store, config: Config, settings: ChaseSettings, env: TemplateEnvironment, item: ChaseItem,
                    now: datetime) -> Path | None:
    """Write the complaint for the campaigner to submit (once: an event records it); None if written before."""
    if list(store.db.query("SELECT 1 FROM events WHERE request_id = ? AND type = 'complaint_written'",
                           [item.request_id])):
        return None
    row = _request_row(store, item.request_id)
    context = chase_context(store, config, row, now)
    context["timeline"], context["copies"] = _timeline(store, item.request_id)
    context.update(complaint_evidence(store, row, settings.complaint_after, now))
    regulator = REGULATORS[row["regime"]]
    who = f"{row['reference']} ({row['authority_name']})"
    text = render_file(env, f"chase/complaint/{regulator}.j2", context, who).strip() + "\n"
    text += evidence_text(context["messages"])
    # The name comes from our own reference (checked when it was made), never from anything received.
    path = settings.complaints_dir / f"{row['reference']}-complaint-{regulator}.txt"
    write_atomic(path, text, what="complaint file")
    with store.transaction():
        store.add_event(item.request_id, "complaint_written", now,
                        {"path": str(path), "regulator": REGIMES[row["regime"]]["regulator"]})
    return path
