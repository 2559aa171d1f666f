"""`foibot status`: counts by status and outcome, the late requests oldest first, what waits in triage and for review.

Plain text that fits an 80-column terminal: long names are cut with an ellipsis, never wrapped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..clock import from_iso, london_date, when_text
from ..review import pending_count
from ..send import next_slot
from ..store import Store
from ..vocab import OUTCOMES, STATUSES
from .export import Outcome, outcomes

WIDTH = 80
STATUS_ORDER = STATUSES
OUTCOME_ORDER = OUTCOMES
MAX_LATE_SHOWN = 20
MAX_TRIAGE_SHOWN = 15


@dataclass
class Summary:
    """What the status table shows, gathered in one pass over the outcomes."""

    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    on_time: int = 0
    answered_late: int = 0
    late: list[Outcome] = field(default_factory=list)  # still owed past the due date
    triage: list[dict] = field(default_factory=list)
    triage_total: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    by_hand_waiting: list[Outcome] = field(default_factory=list)  # by-hand requests not recorded as sent
    by_hand_chasers: list[dict] = field(default_factory=list)  # their chasers written out, not recorded as sent
    readdressed: int = 0  # requests whose first address was wrong
    review_total: int = 0  # readings waiting for a person (foibot review)
    verdicts_waiting: int = 0  # unclear verdicts per question waiting for a person (foibot review)
    quarantined: int = 0  # messages set aside because reading them failed (foibot retry MESSAGE)
    queued: int = 0  # outgoing messages waiting to be sent (requests and chasers)
    unknown: int = 0  # outgoing messages that may or may not have been sent
    next_at: datetime | None = None  # when [smtp] daily_limit lets the next one go, if it holds them now


def summarise(store: Store, now: datetime, run: str | None = None, daily_limit: int = 0,
              base_dir: Path | None = None) -> Summary:
    from .findings import to_review

    summary = Summary()
    summary.queued, summary.unknown = _outgoing(store, run)
    if summary.queued and daily_limit:
        slot = next_slot(store, now, daily_limit)
        summary.next_at = slot if slot is not None and slot > now else None
    items = list(outcomes(store, now, run))
    for item in items:
        summary.total += 1
        summary.by_status[item.status] += 1
        summary.by_outcome[item.outcome or "(none yet)"] += 1
        summary.by_channel[item.channel] += 1
        if item.channel != "email" and item.base_status == "queued":
            summary.by_hand_waiting.append(item)
        if item.wrong_addresses:
            summary.readdressed += 1
        if item.outcome and item.days_late is not None:
            if item.days_late == 0:
                summary.on_time += 1
            else:
                summary.answered_late += 1
        elif item.on_time is False:
            summary.late.append(item)
    summary.late.sort(key=lambda o: (o.due_date, o.authority.lower()))
    summary.triage_total, summary.triage = _triage(store, run)
    summary.by_hand_chasers = list(store.db.query(
        "SELECT q.reference, q.channel, q.authority_name, m.stage FROM messages m JOIN requests q ON q.id = "
        "m.request_id WHERE m.direction = 'out' AND m.state = 'by_hand' AND m.stage != 'request'"
        + (" AND q.run = ?" if run else "") + " ORDER BY m.id", [run] if run else []))
    summary.review_total = pending_count(store, run)
    summary.verdicts_waiting = len(to_review(store, now, run, base_dir, items))
    summary.quarantined = store.quarantine_count()
    return summary


def _outgoing(store: Store, run: str | None) -> tuple[int, int]:
    where, params = ("AND q.run = ?", [run]) if run else ("", [])
    counts = dict(store.db.execute(
        "SELECT m.state, COUNT(*) FROM messages m JOIN requests q ON q.id = m.request_id WHERE m.direction = 'out' "
        f"AND m.state IN ('queued', 'unknown') {where} GROUP BY m.state", params).fetchall())
    return int(counts.get("queued", 0)), int(counts.get("unknown", 0))


def _triage(store: Store, run: str | None) -> tuple[int, list[dict]]:
    """Replies not filed under any request. They belong to no run, so they are shown whatever --run says."""
    total = store.triage_count()
    rows = list(store.db.query(
        "SELECT id, created_at, from_addr, subject FROM messages WHERE direction = 'in' AND triage = 1 "
        "ORDER BY created_at, id LIMIT ?", [MAX_TRIAGE_SHOWN]))
    return total, rows


def cut(text: str | None, width: int) -> str:
    """`text` on one line in at most `width` characters (an ellipsis marks a cut)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"


def render(summary: Summary, now: datetime, run: str | None = None) -> str:
    lines: list[str] = []
    scope = f"run {run}" if run else "all runs"
    lines.append(cut(f"foibot status: {scope}, {summary.total} request(s), on "
                     f"{london_date(now).isoformat()}", WIDTH))
    if not summary.total:
        lines.append("No requests yet: send a run first (foibot send --run NAME).")
    else:
        lines.append("")
        left = _counts("Status", summary.by_status, STATUS_ORDER)
        right = _counts("Outcome", summary.by_outcome, OUTCOME_ORDER + ("(none yet)",))
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else ""
            b = right[i] if i < len(right) else ""
            lines.append(f"{a:<38}  {b}".rstrip())
        if set(summary.by_channel) != {"email"} or summary.readdressed:
            lines.append("")
            lines.append("Channel: " + ", ".join(f"{c} {n}" for c, n in sorted(summary.by_channel.items()))
                         + (f"; {summary.readdressed} sent again to a corrected address" if summary.readdressed
                            else ""))
            waiting = [(i.reference, "request", i.channel, i.authority) for i in summary.by_hand_waiting] + [
                (r["reference"], r["stage"], r["channel"], r["authority_name"]) for r in summary.by_hand_chasers]
            if waiting:
                lines.append(f"To send by hand: {len(waiting)} (texts in by-hand/; then "
                             "foibot sent-by-hand REF --on DATE)")
                for reference, stage, channel, authority in waiting[:MAX_LATE_SHOWN]:
                    head = f"  {reference:<9}  {stage:<15}  {channel:<8}  "
                    lines.append(head + cut(authority, WIDTH - len(head)))
        answered = summary.on_time + summary.answered_late
        if answered:
            lines.append("")
            lines.append(f"Answered on time: {summary.on_time} of {answered}; late: {summary.answered_late}.")
        lines.append("")
        if summary.late:
            lines.append(f"Late: {len(summary.late)} still owed past the due date (oldest first; "
                         "late = working days)")
            lines.append(f"  {'due':<10}  {'late':>4}  {'reference':<9}  {'chased':<15}  authority")
            for item in summary.late[:MAX_LATE_SHOWN]:
                chased = item.chase_stage or "-"
                head = (
                    f"  {item.due_date.isoformat() if item.due_date else '':<10}  {item.days_late or 0:>4}  "
                    f"{item.reference:<9}  {chased:<15}  "
                )
                lines.append(head + cut(item.authority, WIDTH - len(head)))
            if len(summary.late) > MAX_LATE_SHOWN:
                lines.append(
                    f"  ... and {len(summary.late) - MAX_LATE_SHOWN} more (foibot export has them all)"
                )
        else:
            lines.append("Late: none.")
    if summary.queued:
        lines.append("")
        if summary.next_at is not None:
            lines.append(f"{summary.queued} queued: the next go after {when_text(summary.next_at, now)} "
                         "([smtp] daily_limit; foibot daemon sends them then)")
        else:
            lines.append(f"{summary.queued} queued: not sent yet (run the same foibot send again, or foibot chase)")
    if summary.unknown:
        lines.append(f"{summary.unknown} may or may not have been sent: foibot send says which (--mark-sent or "
                     "--resend-unknown once you checked)")
    lines.append("")
    if summary.triage_total:
        lines.append(
            f"Waiting in triage: {summary.triage_total} repl{'y' if summary.triage_total == 1 else 'ies'}"
            " (file them with foibot assign MESSAGE REFERENCE)"
        )
        for row in summary.triage:
            moment = from_iso(row["created_at"])
            day = london_date(moment).isoformat() if moment else ""
            head = f"  #{row['id']:<6} {day:<10}  {cut(row['from_addr'], 26):<26}  "
            lines.append(head + cut(row["subject"] or "(no subject)", WIDTH - len(head)))
        if summary.triage_total > len(summary.triage):
            lines.append(f"  ... and {summary.triage_total - len(summary.triage)} more (foibot triage)")
    else:
        lines.append("Waiting in triage: nothing.")
    if summary.review_total:  # each line fits the 80 columns whatever the counts
        lines.append(f"Waiting for review: {summary.review_total} reading(s), not chased until settled "
                     "(foibot review)")
    if summary.verdicts_waiting:
        lines.append(f"Waiting for review: {summary.verdicts_waiting} verdict(s), answers that decide nothing "
                     "(foibot review)")
    if not summary.review_total and not summary.verdicts_waiting:
        lines.append("Waiting for review: nothing.")
    if summary.quarantined:
        lines.append(f"Quarantined: {summary.quarantined} message(s) could not be read within the limits; their "
                     "bytes are kept (foibot triage says why; foibot retry MESSAGE reads one again)")
    else:
        lines.append("Quarantined: none.")
    # A last guard: whatever a row holds, no line is wider than the terminal.
    return "\n".join(line if len(line) <= WIDTH else line[: WIDTH - 1] + "…" for line in lines) + "\n"


def _counts(title: str, counter: Counter[str], order: tuple[str, ...]) -> list[str]:
    names = [n for n in order if counter.get(n)] + sorted(n for n in counter if n not in order)
    rows = [f"{title}:"]
    rows += [f"  {cut(name, 28):<28} {counter[name]:>6}" for name in names]
    return rows


def status_text(store: Store, now: datetime, run: str | None = None, daily_limit: int = 0,
                base_dir: Path | None = None) -> str:
    """The whole `foibot status` output (`daily_limit`: [smtp] daily_limit, to say when the queue goes;
    `base_dir`: the config's folder, where the runs' templates, and so their questions, are found)."""
    return render(summarise(store, now, run, daily_limit, base_dir), now, run)
