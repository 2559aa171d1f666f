"""`foibot status`: the right counts, the late ones oldest first, triage, and never wider than 80 columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support import outcomes as outcomes_db
from support.outcomes import NOW, RUN, build

from foibot.cli import cli


def _status(*args: str) -> str:
    result = CliRunner().invoke(cli, ["status", *args], obj={}, env={"FOIBOT_NOW": NOW.isoformat()})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def campaign_db(campaign: Path) -> Path:
    built = build(campaign)
    store = built.store
    with store.transaction():
        # Long names and subjects: the table must cut them, not wrap them.
        outcomes_db.add_authority(store, "long", "The Very Long Named Metropolitan Borough Council of " * 5)
        outcomes_db.add_request(store, "long", "FB-RRRRR2", sent_at="2023-04-03T09:00:00+00:00")
        outcomes_db.add_in(
            store,
            None,
            None,
            "2023-06-21T09:00:00+00:00",
            "x",
            triage=True,
            subject="Re: " * 60,
            from_addr="a-very-long-local-part-indeed@a.long.domain.example",
        )
    store.close()
    return campaign


def test_counts_by_status_and_outcome(campaign_db: Path) -> None:
    text = _status()
    assert "14 request(s)" in text
    counts = {}
    for line in text.splitlines():
        parts = line.split()
        # Two tables side by side: "  name  n    name  n".
        for name, number in zip(parts[::2], parts[1::2], strict=False):
            if number.isdigit():
                counts[name] = int(number)
    assert counts["answered"] == 6
    assert counts["overdue"] == 2  # the silent council and the long-named one
    assert counts["internal_review"] == 1
    assert counts["awaiting_clarification"] == 1
    assert counts["failed"] == 1 and counts["withdrawn"] == 1 and counts["queued"] == 1
    assert counts["not_held"] == 2 and counts["refused"] == 1 and counts["partially_provided"] == 1
    assert "Answered on time: 5 of 6; late: 1." in text


def test_late_ones_oldest_first(campaign_db: Path) -> None:
    lines = _status().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Late: 3 still owed"))
    late = lines[start + 2 : start + 5]
    # Sent 3 April 2023: Good Friday, Easter Monday and 1 May skipped, due 4 May, the oldest.
    assert "2023-05-04" in late[0] and "The Very Long Named" in late[0]
    assert "FB-DDDDD2" in late[1] and "complaint" in late[1]
    assert "FB-CCCCC2" in late[2] and "reminder" in late[2]
    assert "FB-BBBBB2" not in "\n".join(lines), "answered late is counted, not listed as still owed"


def test_triage_is_shown(campaign_db: Path) -> None:
    text = _status()
    assert "Waiting in triage: 2 replies" in text
    assert "A reply with no reference" in text


def test_fits_an_80_column_terminal(campaign_db: Path) -> None:
    text = _status()
    widest = max(text.splitlines(), key=len)
    assert len(widest) <= 80, widest
    assert "…" in text, "long names are cut with an ellipsis"


def test_one_run(campaign_db: Path) -> None:
    store = outcomes_db.open_campaign(campaign_db)
    outcomes_db.add_second_run(store, "other", "FB-SSSSS2")
    store.close()
    assert "15 request(s)" in _status()
    text = _status("--run", "other")
    assert "run other, 1 request(s)" in text
    assert "  overdue " in text and "answered" not in text


def test_empty_database(campaign: Path) -> None:
    outcomes_db.open_campaign(campaign).close()
    assert "No requests yet" in _status()


def test_unknown_run(campaign_db: Path) -> None:
    result = CliRunner().invoke(cli, ["status", "--run", "nope"], obj={})
    assert result.exit_code == 1 and RUN in str(result.exception)
