"""What time it is: the real clock, or FOIBOT_NOW for demos, tests and checks."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .errors import ConfigError

LONDON = ZoneInfo("Europe/London")


def parse_now(value: str) -> datetime:
    """An ISO 8601 date-time (aware; naive means Europe/London), or a bare date meaning 09:00 Europe/London."""
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(9, 0), tzinfo=LONDON)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"FOIBOT_NOW={value!r} is not an ISO 8601 date or date-time (e.g. 2023-04-17T10:00:00+01:00)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment


def now() -> datetime:
    """The current moment, aware; FOIBOT_NOW wins when set."""
    override = os.environ.get("FOIBOT_NOW")
    if override:
        return parse_now(override)
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """The one way foibot writes a date-time: ISO 8601 in UTC, seconds precision."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def from_iso_lenient(text: str | None) -> datetime | None:
    """`from_iso`, or None when the text is not an ISO date-time (a column a message filled, e.g. its Date)."""
    try:
        return from_iso(text)
    except ValueError:
        return None


def london_date(moment: datetime) -> date:
    """The calendar day in the UK at that moment (what counts for deadlines)."""
    return moment.astimezone(LONDON).date()


def when_text(at: datetime, now: datetime) -> str:
    """"09:12 tomorrow", "15:40 today", "09:12 on Friday 4 December": London time, for the campaigner."""
    local, today = at.astimezone(LONDON), now.astimezone(LONDON).date()
    clock_time = local.strftime("%H:%M")
    if local.date() == today:
        return f"{clock_time} today"
    if local.date() == today + timedelta(days=1):
        return f"{clock_time} tomorrow"
    return f"{clock_time} on {local.strftime('%A')} {local.day} {local.strftime('%B')}"
