"""Working-day calendars and statutory due dates, computed from stored facts every time (pure: no I/O).

Two regimes (contract.md, "Deadlines"):
- "foia": FOIA 2000 / EIR 2004 (England, Wales, Northern Ireland, UK-wide bodies). s10(6): a working day
  is any day other than a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday "in any part
  of the United Kingdom", so the calendar is the union of the four nations' bank holidays.
- "foisa": FOISA 2002 / EISR 2004 (Scottish bodies). s73: Saturdays, Sundays, Christmas Day and Scottish
  bank holidays.
Bank holidays come from the `holidays` package's UK subdivisions, never from a hand-typed list; Christmas
Day and Good Friday are added by rule because the Acts name them whether or not a list does.

Counting: the day the request was sent is day 0 (whatever kind of day it is) and the due date is the
20th working day after it. "The day" is the UK calendar day (Europe/London) of the stored UTC moment.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import holidays
from dateutil.easter import easter  # python-dateutil comes with `holidays`, which uses it for the same job

from .clock import from_iso, london_date
from .vocab import REGIMES as ALL_REGIMES
from .vocab import Status

RESPONSE_WORKING_DAYS = 20  # FOIA s10(1), FOISA s10(1), EIR reg 5(2), EISR reg 5(2)
EXTENSION_WORKING_DAYS = 20  # an extension that names no date: ICO guidance allows 20 more at most
REVIEW_WORKING_DAYS = 20  # internal review: FOISA s21(1); the FOIA s45 code of practice

SUBDIVISIONS: dict[str, tuple[str, ...]] = {
    "foia": ("ENG", "WLS", "SCT", "NIR"),
    "foisa": ("SCT",),
}
REGIMES = tuple(SUBDIVISIONS)
assert set(REGIMES) == set(ALL_REGIMES)

# The status in which the clock runs and nothing substantive came: the only one that can become overdue.
CLOCK_RUNNING = (Status.AWAITING_RESPONSE,)


class WorkingDays:
    """One regime's calendar; the non-working weekdays of each year are computed once and cached."""

    def __init__(self, regime: str):
        if regime not in SUBDIVISIONS:
            raise ValueError(f"unknown regime {regime!r} (expected one of {', '.join(REGIMES)})")
        self.regime = regime

    def __repr__(self) -> str:
        return f"WorkingDays({self.regime!r})"

    def holidays_in(self, year: int) -> dict[date, str]:
        """The year's holidays that fall on weekdays (weekends never count anyway), with their names."""
        return dict(_weekday_holidays(self.regime, year))

    def holiday_name(self, day: date) -> str | None:
        """Why a weekday is not a working day, or None when it is one (or is a weekend day)."""
        return _weekday_holidays(self.regime, day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        # The package lists a holiday that falls on a weekend AND its "(observed)" weekday: skip weekends here.
        return day.weekday() < 5 and day not in _weekday_holidays(self.regime, day.year)

    def add(self, start: date, n: int) -> date:
        """The n-th working day after `start` (`start` is day 0 and need not be a working day)."""
        if n < 0:
            raise ValueError("n must not be negative")
        return _add(self.regime, start, n)

    def between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b (negative when b is before a): the day count of b from a."""
        if b < a:
            return -_between(self.regime, b, a)
        return _between(self.regime, a, b)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add(day, 1)


# A campaign's requests share a handful of dates, and the ladder, the list and the export ask the same sums
# again and again (10,000 requests: a million days counted one by one for the Today page): remembered.
@functools.lru_cache(maxsize=65_536)
def _add(regime: str, start: date, n: int) -> date:
    calendar = working_days(regime)
    day = start
    while n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            n -= 1
    return day


@functools.lru_cache(maxsize=65_536)
def _between(regime: str, a: date, b: date) -> int:
    calendar = working_days(regime)
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count


@functools.cache
def _weekday_holidays(regime: str, year: int) -> Mapping[date, str]:
    names: dict[date, str] = {}
    for subdivision in SUBDIVISIONS[regime]:
        for day, name in holidays.country_holidays("GB", subdiv=subdivision, years=year).items():
            names.setdefault(day, name)
    # Named by the Acts themselves, so they count even if a bank-holiday list ever left them out.
    names.setdefault(date(year, 12, 25), "Christmas Day")
    if regime == "foia":
        names.setdefault(easter(year) - timedelta(days=2), "Good Friday")
    # Read-only: the cached mapping is shared by every caller.
    return MappingProxyType({day: name for day, name in names.items() if day.weekday() < 5})


@functools.cache
def working_days(regime: str) -> WorkingDays:
    """The calendar object for "foia" or "foisa" (one per regime; its years are cached)."""
    return WorkingDays(regime)


def is_working_day(day: date, regime: str) -> bool:
    return working_days(regime).is_working_day(day)


def add_working_days(start: date, n: int, regime: str) -> date:
    return working_days(regime).add(start, n)


def working_days_between(a: date, b: date, regime: str) -> int:
    return working_days(regime).between(a, b)


def regime_for(jurisdiction: str) -> str:
    """Scottish bodies answer under FOISA/EISR; everyone else under FOIA/EIR."""
    return "foisa" if jurisdiction == "scotland" else "foia"


# --- the facts a due date is computed from --------------------------------------------------------------


@dataclass(frozen=True)
class RequestFacts:
    """What the database knows about a request's clock: moments (aware) as stored, plus a named date."""

    sent_at: datetime | None
    clarification_at: datetime | None = None
    clarification_answered_at: datetime | None = None
    extension_at: datetime | None = None
    extension_to: date | None = None
    review_requested_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RequestFacts:
        """From a `requests` row (ISO strings in UTC, as stored; `extension_to` a date or date-time)."""
        extension_to = row.get("extension_to")
        return cls(
            sent_at=from_iso(row.get("sent_at")),
            clarification_at=from_iso(row.get("clarification_at")),
            clarification_answered_at=from_iso(row.get("clarification_answered_at")),
            extension_at=from_iso(row.get("extension_at")),
            extension_to=_as_date(extension_to) if extension_to else None,
            review_requested_at=from_iso(row.get("review_requested_at")),
        )

    @property
    def clock_stopped(self) -> bool:
        """The authority asked a question that we have not answered yet."""
        if self.clarification_at is None:
            return False
        return self.clarification_answered_at is None or self.clarification_answered_at < self.clarification_at

    @property
    def clock_started_at(self) -> datetime | None:
        """Day 0: the sending, or our answer to a clarification request, which restarts the count."""
        answered = self.clarification_answered_at
        if answered is not None and self.clarification_at is not None and answered >= self.clarification_at:
            return answered
        return self.sent_at


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return london_date(value)
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = from_iso(text)
    assert moment is not None
    return london_date(moment)


def due_date(facts: RequestFacts, regime: str) -> date | None:
    """The statutory due date, or None while nothing was sent or the clock is stopped by a clarification.

    20 working days after day 0 (the sending, or our answer to a clarification request). An extension notice
    received after day 0 moves it to the date the notice names, or 20 working days later when it names none;
    an extension never brings the date forward.
    """
    start = facts.clock_started_at
    if start is None or facts.clock_stopped:
        return None
    calendar = working_days(regime)
    due = calendar.add(london_date(start), RESPONSE_WORKING_DAYS)
    if facts.extension_at is not None and facts.extension_at >= start:
        extended = facts.extension_to or calendar.add(due, EXTENSION_WORKING_DAYS)
        due = max(due, extended)
    return due


def review_due_date(facts: RequestFacts, regime: str) -> date | None:
    """When the result of an internal review we asked for is due: 20 working days after asking."""
    if facts.review_requested_at is None:
        return None
    return add_working_days(london_date(facts.review_requested_at), REVIEW_WORKING_DAYS, regime)


# --- helpers over a `requests` row (export, status, chase) ----------------------------------------------


def request_deadline(row: Mapping[str, Any]) -> date | None:
    """The due date of a stored request (`requests` row as a dict), computed from its facts now."""
    return due_date(RequestFacts.from_row(row), row["regime"])


def is_overdue(row: Mapping[str, Any], now: datetime) -> bool:
    """Past the due date with no substantive reply, while the authority still owes the response."""
    if row.get("status") not in CLOCK_RUNNING or row.get("outcome"):
        return False
    due = request_deadline(row)
    return due is not None and london_date(now) > due


def effective_status(row: Mapping[str, Any], now: datetime) -> str:
    """The contract's status: the stored one, or "overdue" when `is_overdue` says so."""
    return "overdue" if is_overdue(row, now) else str(row.get("status"))


def working_days_taken(row: Mapping[str, Any]) -> int | None:
    """From sending to `outcome_at`, in the request's working days; None without both."""
    sent, outcome = from_iso(row.get("sent_at")), from_iso(row.get("outcome_at"))
    if sent is None or outcome is None:
        return None
    return working_days_between(london_date(sent), london_date(outcome), row["regime"])
