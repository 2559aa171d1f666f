"""Working-day calendars and due dates: the contract's table, the holidays that differ by nation, properties."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.deadlines import (
    RequestFacts,
    add_working_days,
    due_date,
    effective_status,
    is_overdue,
    is_working_day,
    request_deadline,
    review_due_date,
    working_days,
    working_days_between,
    working_days_taken,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def at(text: str) -> datetime:
    """A stored moment: a bare date means 10:00 UTC that day (inside the UK day in summer and winter)."""
    if len(text) == 10:
        return datetime.fromisoformat(text + "T10:00:00+00:00")
    return datetime.fromisoformat(text)


# sent, regime, due, why. Counted by hand from the published bank holidays, not from the code under test.
DUE_DATES = [
    ("2023-04-17", "foia", "2023-05-17", "contract check: 1 May and the 8 May 2023 coronation skipped"),
    ("2024-03-25", "foia", "2024-04-24", "Easter 2024: Good Friday and Easter Monday skipped"),
    ("2024-03-25", "foisa", "2024-04-23", "Easter 2024: Easter Monday is no Scottish bank holiday"),
    ("2024-07-29", "foia", "2024-08-28", "5 Aug (Scottish summer) and 26 Aug (late summer) both skipped"),
    ("2024-07-29", "foisa", "2024-08-27", "Scotland: 5 Aug skipped, 26 Aug is a working day"),
    ("2023-11-13", "foisa", "2023-12-12", "St Andrew's Day, Thursday 30 Nov 2023"),
    ("2023-11-13", "foia", "2023-12-12", "FOIA counts a bank holiday in any part of the UK"),
    ("2024-11-18", "foisa", "2024-12-17", "St Andrew's Day on a Saturday: Monday 2 Dec 2024 observed"),
    ("2023-03-06", "foia", "2023-04-04", "St Patrick's Day (NI) skipped under FOIA"),
    ("2023-03-06", "foisa", "2023-04-03", "St Patrick's Day is a working day in Scotland"),
    ("2024-06-08", "foia", "2024-07-05", "sent on a Saturday: Monday 10 June is day 1"),
    ("2024-06-07", "foia", "2024-07-05", "sent on the Friday before: the same due date"),
    ("2024-06-10", "foia", "2024-07-08", "sent on the Monday after"),
    ("2023-12-11", "foia", "2024-01-12", "Christmas, Boxing Day, New Year and 2 Jan (Scotland)"),
    ("2026-03-02", "foia", "2026-03-31", "St Patrick's Day 2026"),
    ("2026-12-14", "foia", "2027-01-15", "Christmas 2026 with Boxing Day observed on Monday 28 Dec"),
]


@pytest.mark.parametrize(("sent", "regime", "due", "why"), DUE_DATES, ids=[f"{r[0]}-{r[1]}" for r in DUE_DATES])
def test_due_date_table(sent: str, regime: str, due: str, why: str) -> None:
    assert due_date(RequestFacts(sent_at=at(sent)), regime) == d(due), why
    assert add_working_days(d(sent), 20, regime) == d(due), why


def test_barnet_answered_on_working_day_19() -> None:
    row = {"regime": "foia", "sent_at": "2023-04-17T09:12:00+00:00", "outcome_at": "2023-05-16T14:00:00+00:00"}
    assert working_days_taken(row) == 19
    assert working_days_between(d("2023-04-17"), d("2023-05-17"), "foia") == 20


def test_the_uk_day_counts_not_the_utc_day() -> None:
    # 23:30 UTC on 16 April 2023 is 00:30 on 17 April in London (BST): day 0 is the 17th.
    assert due_date(RequestFacts(sent_at=at("2023-04-16T23:30:00+00:00")), "foia") == d("2023-05-17")
    # In winter London is on UTC: 23:30 UTC on 10 Dec 2023 is still the 10th (a Sunday).
    assert due_date(RequestFacts(sent_at=at("2023-12-10T23:30:00+00:00")), "foia") == d("2024-01-11")


CLOCK_CASES = [
    # name, facts, regime, due (None: no due date while the clock is stopped)
    ("clarification stops the clock",
     RequestFacts(sent_at=at("2023-04-17"), clarification_at=at("2023-04-20")), "foia", None),
    ("our answer restarts it at day 0",
     RequestFacts(sent_at=at("2023-04-17"), clarification_at=at("2023-04-20"),
                  clarification_answered_at=at("2023-04-24")), "foia", "2023-05-24"),
    ("an answer older than a new clarification request does not restart it",
     RequestFacts(sent_at=at("2023-04-17"), clarification_at=at("2023-05-02"),
                  clarification_answered_at=at("2023-04-24")), "foia", None),
    ("extension to a named date",
     RequestFacts(sent_at=at("2023-04-17"), extension_at=at("2023-05-10"), extension_to=d("2023-06-14")),
     "foia", "2023-06-14"),
    ("extension naming no date: 20 more working days (29 May skipped)",
     RequestFacts(sent_at=at("2023-04-17"), extension_at=at("2023-05-10")), "foia", "2023-06-15"),
    ("an extension never brings the date forward",
     RequestFacts(sent_at=at("2023-04-17"), extension_at=at("2023-04-20"), extension_to=d("2023-05-01")),
     "foia", "2023-05-17"),
    ("an extension before a clarification restart is superseded by the restart",
     RequestFacts(sent_at=at("2023-04-17"), extension_at=at("2023-04-18"), extension_to=d("2023-05-31"),
                  clarification_at=at("2023-04-20"), clarification_answered_at=at("2023-04-24")),
     "foia", "2023-05-24"),
    ("extension after a clarification restart: 20 more after the restarted date",
     RequestFacts(sent_at=at("2023-04-17"), clarification_at=at("2023-04-20"),
                  clarification_answered_at=at("2023-04-24"), extension_at=at("2023-05-20")),
     "foia", "2023-06-22"),
    ("not sent: no due date", RequestFacts(sent_at=None), "foia", None),
]


@pytest.mark.parametrize(("name", "facts", "regime", "due"), CLOCK_CASES, ids=[c[0] for c in CLOCK_CASES])
def test_clarification_and_extension(name: str, facts: RequestFacts, regime: str, due: str | None) -> None:
    assert due_date(facts, regime) == (d(due) if due else None)


def test_internal_review_is_due_20_working_days_after_asking() -> None:
    facts = RequestFacts(sent_at=at("2023-04-17"), review_requested_at=at("2023-06-15"))
    # 16 Jun .. 13 Jul 2023: no holiday in England; 12 July (NI) is skipped under FOIA, not under FOISA.
    assert review_due_date(facts, "foia") == d("2023-07-14")
    assert review_due_date(facts, "foisa") == d("2023-07-13")
    assert review_due_date(RequestFacts(sent_at=at("2023-04-17")), "foia") is None


def test_row_helpers_read_stored_strings() -> None:
    row = {"regime": "foia", "status": "awaiting_response", "outcome": None,
           "sent_at": "2023-04-17T09:00:00+00:00", "clarification_at": None,
           "clarification_answered_at": None, "extension_at": "2023-05-10T08:00:00+00:00",
           "extension_to": "2023-06-14", "review_requested_at": None}
    assert request_deadline(row) == d("2023-06-14")
    assert not is_overdue(row, at("2023-06-14T16:00:00+00:00"))
    assert is_overdue(row, at("2023-06-15T08:00:00+00:00"))
    assert effective_status(row, at("2023-06-15T08:00:00+00:00")) == "overdue"
    answered = dict(row, status="answered", outcome="refused")
    assert not is_overdue(answered, at("2024-01-01"))
    assert effective_status(answered, at("2024-01-01")) == "answered"
    assert working_days_taken(row) is None
    assert request_deadline(dict(row, sent_at=None)) is None


@pytest.mark.parametrize(("day", "foia", "foisa"), [
    ("2024-04-01", False, True),    # Easter Monday
    ("2024-03-29", False, False),   # Good Friday
    ("2024-08-05", False, False),   # Scottish summer bank holiday (FOIA: any part of the UK)
    ("2024-08-26", False, True),    # late summer bank holiday (not Scotland)
    ("2024-12-02", False, False),   # St Andrew's Day observed
    ("2024-07-12", False, True),    # Battle of the Boyne (NI)
    ("2024-03-18", False, True),    # St Patrick's Day observed (NI)
    ("2026-12-28", False, False),   # Boxing Day observed
    ("2024-06-08", False, False),   # a Saturday
    ("2024-06-10", True, True),     # an ordinary Monday
])
def test_is_working_day(day: str, foia: bool, foisa: bool) -> None:
    assert is_working_day(d(day), "foia") is foia
    assert is_working_day(d(day), "foisa") is foisa


def test_unknown_regime_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown regime"):
        working_days("gdpr")


# --- properties ---------------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
REGIMES = st.sampled_from(["foia", "foisa"])
SUBDIVS = {"foia": ("ENG", "WLS", "SCT", "NIR"), "foisa": ("SCT",)}


@functools.cache
def package_list(subdiv: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdiv, years=year))


def brute_force_working(day: date, regime: str) -> bool:
    """An independent definition straight from the package's lists, one nation at a time."""
    if day.weekday() >= 5:
        return False
    return not any(day in package_list(s, day.year) for s in SUBDIVS[regime])


@settings(max_examples=60, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=60), REGIMES)
def test_add_agrees_with_a_brute_force_count(start: date, n: int, regime: str) -> None:
    end = add_working_days(start, n, regime)
    counted = sum(1 for i in range(1, (end - start).days + 1)
                  if brute_force_working(start + timedelta(days=i), regime))
    assert counted == n
    assert n == 0 or brute_force_working(end, regime)
    assert working_days_between(start, end, regime) == n


@settings(max_examples=200, deadline=None)
@given(DAYS, st.integers(min_value=1, max_value=80), REGIMES)
def test_a_due_date_is_never_a_non_working_day(start: date, n: int, regime: str) -> None:
    end = add_working_days(start, n, regime)
    assert end.weekday() < 5 and is_working_day(end, regime)
    assert end > start


@settings(max_examples=200, deadline=None)
@given(DAYS, DAYS, st.integers(min_value=0, max_value=60), REGIMES)
def test_monotone(a: date, b: date, n: int, regime: str) -> None:
    a, b = min(a, b), max(a, b)
    assert add_working_days(a, n, regime) <= add_working_days(b, n, regime)
    assert add_working_days(a, n, regime) < add_working_days(a, n + 1, regime)
    assert working_days_between(a, b, regime) == -working_days_between(b, a, regime)
    assert working_days_between(a, b, regime) >= 0


@settings(max_examples=200, deadline=None)
@given(DAYS)
def test_foia_is_never_earlier_than_foisa(sent: date) -> None:
    # FOIA excludes every Scottish bank holiday and more, so its 20th working day comes no sooner.
    assert add_working_days(sent, 20, "foia") >= add_working_days(sent, 20, "foisa")


@settings(max_examples=100, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=10), REGIMES)
def test_clarification_restart_never_moves_the_due_date_earlier(sent: date, asked: int, answered: int,
                                                                regime: str) -> None:
    sent_at = datetime(sent.year, sent.month, sent.day, 10, tzinfo=UTC)
    asked_at = sent_at + timedelta(days=asked)
    answered_at = asked_at + timedelta(days=answered)
    plain = due_date(RequestFacts(sent_at=sent_at), regime)
    restarted = due_date(RequestFacts(sent_at=sent_at, clarification_at=asked_at,
                                      clarification_answered_at=answered_at), regime)
    assert plain is not None and restarted is not None and restarted >= plain
