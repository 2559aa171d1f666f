"""The evidence a complaint to the regulator carries, and the regulator's window for complaining.

A complaint file (templates/chase/complaint/) lists every message of the request with its date, its
Message-ID and its full headers, the authority's own references, and the sections of the Act that apply.
The window: the Scottish Information Commissioner takes an application within six months after the review
response was due or received (FOISA s47(4)); the ICO asks for complaints within six weeks of the final
response or the last substantive contact, and may not consider one after an undue delay. `closing_windows`
lists the complaints written whose window closes soon, for `foibot chase` to say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..clock import from_iso, london_date
from ..deadlines import add_working_days
from ..render import long_date
from ..store import Store

WARN_DAYS = 14  # say so when the window closes within this many days
MAX_HEADER_CHARS = 20_000

SECTIONS = {
    "foia": [
        ("section 1(1)", "the duty to say whether the information is held and, if so, to communicate it"),
        ("section 10(1)", "a response promptly and no later than the twentieth working day after receipt"),
        ("section 17", "a refusal notice naming the exemption, within the same time"),
        ("section 45 code of practice, part 5", "an internal review within 20 working days (40 at most)"),
        ("section 50", "the right to apply to the Information Commissioner for a decision"),
    ],
    "foisa": [
        ("section 1(1)", "the right to be given information held by a Scottish public authority"),
        ("section 10(1)", "a response promptly and no later than the twentieth working day after receipt"),
        ("section 20", "the requirement for review"),
        ("section 21(1)", "a response to the requirement for review within 20 working days"),
        ("section 47(1)", "the right to apply to the Scottish Information Commissioner for a decision"),
        ("section 47(4)", "the application within six months of the review response, or of the time for it"),
    ],
}


@dataclass(frozen=True)
class Window:
    """When the regulator's window for complaining closes, and on what rule."""

    closes_on: date
    rule: str

    def days_left(self, today: date) -> int:
        return (self.closes_on - today).days


def _header_block(raw: bytes | None) -> str:
    if not raw:
        return ""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end >= 0:
            raw = raw[:end]
            break
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    return text[:MAX_HEADER_CHARS]


def messages(store: Store, request_id: int) -> list[dict[str, Any]]:
    """Every message of the request, in and out, oldest first: date, Message-ID, headers, what it was."""
    out = []
    for m in store.db.query(
        "SELECT direction, stage, state, sent_at, created_at, date_header, message_id, kind, subject, raw, "
        "from_addr, authority_ref FROM messages WHERE request_id = ? AND (direction = 'in' OR state = 'sent') "
        "AND COALESCE(match_method, '') != 'own_message' "
        "ORDER BY COALESCE(sent_at, date_header, created_at), id", [request_id]):
        moment = from_iso(m["sent_at"] or m["date_header"] or m["created_at"])
        what = (f"sent by us: {m['stage'] or 'message'}" if m["direction"] == "out"
                else f"received: {(m['kind'] or 'message').replace('_', ' ')}")
        out.append({
            "date": moment.isoformat(timespec="seconds") if moment else "",
            "what": what.replace("_", " "),
            "message_id": m["message_id"] or "(none)",
            "subject": m["subject"] or "",
            "from_addr": m["from_addr"] or "",
            "headers": _header_block(m["raw"]),
        })
    return out


def authority_refs(store: Store, request: dict[str, Any]) -> list[str]:
    """The authority's own references, the request's first, then any other its replies quoted."""
    refs: list[str] = []
    for value in [request.get("authority_ref")] + [r[0] for r in store.db.execute(
            "SELECT authority_ref FROM messages WHERE request_id = ? AND direction = 'in' ORDER BY id",
            [request["id"]])]:
        for ref in (value or "").split(";"):
            if ref.strip() and ref.strip() not in refs:
                refs.append(ref.strip())
    return refs


def _last_contact(store: Store, request_id: int) -> date | None:
    row = store.db.execute(
        "SELECT MAX(COALESCE(date_header, created_at)) FROM messages WHERE request_id = ? AND direction = 'in' "
        "AND kind NOT IN ('auto_reply', 'bounce')", [request_id]).fetchone()
    moment = from_iso(row[0]) if row and row[0] else None
    return london_date(moment) if moment else None


def window(store: Store, request: dict[str, Any], review_days: int) -> Window | None:
    """The regulator's window for this request, once an internal review has been asked for."""
    asked = from_iso(request.get("review_requested_at"))
    if asked is None:
        return None
    regime = request["regime"]
    review_due = add_working_days(london_date(asked), review_days, regime)
    result = from_iso(request.get("review_result_at"))
    if regime == "foisa":
        start = london_date(result) if result else review_due
        closes = add_months(start, 6)
        why = "the review response" if result else "the time for the review response"
        return Window(closes, f"FOISA s47(4): six months after {why} ({long_date(start)})")
    last = max(d for d in (review_due, _last_contact(store, request["id"]), london_date(result) if result else None)
               if d is not None)
    return Window(last + timedelta(weeks=6), f"the ICO asks for complaints within six weeks of the final response "
                                             f"or last substantive contact ({long_date(last)})")


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def complaint_evidence(store: Store, request: dict[str, Any], review_days: int, now: datetime) -> dict[str, Any]:
    """The complaint template's extra variables: messages, authority_refs, sections, window, window_warning."""
    found = window(store, request, review_days)
    today = london_date(now)
    warning = None
    if found is not None and found.days_left(today) <= WARN_DAYS:
        left = found.days_left(today)
        warning = (f"the window for complaining closed on {long_date(found.closes_on)}: submit at once and say why"
                   if left < 0 else f"the window for complaining closes on {long_date(found.closes_on)}, in {left} "
                                    "day(s): submit this now")
    return {
        "messages": messages(store, request["id"]),
        "authority_refs": authority_refs(store, request),
        "sections": [{"section": s, "what": w} for s, w in SECTIONS[request["regime"]]],
        "window_closes_on": long_date(found.closes_on) if found else None,
        "window_rule": found.rule if found else None,
        "window_warning": warning,
    }


def closing_windows(store: Store, review_days: int, now: datetime) -> list[str]:
    """Complaints written but whose window closes within WARN_DAYS (or has closed): one line each."""
    today = london_date(now)
    out = []
    for row in store.db.query(
        "SELECT r.*, MAX(json_extract(e.detail, '$.path')) AS complaint_path FROM requests r "
        "JOIN events e ON e.request_id = r.id AND e.type = 'complaint_written' "
        "WHERE r.status NOT IN ('answered', 'withdrawn') GROUP BY r.id ORDER BY r.reference"):
        found = window(store, row, review_days)
        if found is None or found.days_left(today) > WARN_DAYS:
            continue
        left = found.days_left(today)
        when = (f"closed on {long_date(found.closes_on)}" if left < 0
                else f"closes on {long_date(found.closes_on)} (in {left} day(s))")
        out.append(f"{row['reference']} ({row['authority_name']}): the window to complain {when}: "
                   f"submit {row['complaint_path']}")
    return out


def evidence_text(items: list[dict[str, Any]]) -> str:
    """The evidence block appended to a complaint file: every message, its date, Message-ID, full headers.

    Appended after the template is rendered, not through it: authorities' headers carry text such as
    "[OFFICIAL]" that the template's check for leftover placeholders would take for one."""
    lines = ["", "Evidence: every message, with its date, Message-ID and full headers",
             "=" * 68]
    for n, m in enumerate(items, start=1):
        lines += ["", f"{n}. {m['date']}  {m['what']}", f"   Message-ID: {m['message_id']}",
                  f"   Subject: {m['subject']}", "-" * 72, m["headers"], "-" * 72]
    return "\n".join(lines) + "\n"
