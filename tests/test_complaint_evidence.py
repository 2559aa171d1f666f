"""The complaint file carries the evidence (every message's date, Message-ID and headers, their references,
the Act's sections), and foibot warns when the regulator's window for complaining is about to close."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support.campaigns import StoreCampaign, when
from test_chase import SENT, act

from foibot.chase.evidence import add_months, closing_windows
from foibot.chase.ladder import chase_due


@pytest.fixture
def campaign(tmp_path: Path) -> StoreCampaign:
    return StoreCampaign.create(tmp_path)


def _complaint(c: StoreCampaign, reference: str, regulator: str) -> str:
    return (c.folder / "complaints" / f"{reference}-complaint-{regulator}.txt").read_text(encoding="utf-8")


def test_the_complaint_carries_every_message_and_the_acts_sections(campaign: StoreCampaign) -> None:
    english = campaign.send("barnet", SENT)
    scottish = campaign.send("glasgow", SENT, jurisdiction="scotland")
    campaign.reply(english["reference"], "acknowledgement", "2023-04-18")
    with campaign.store.transaction():
        campaign.store.db.execute("UPDATE messages SET authority_ref = '9645568', message_id = '<ack-1@barnet>' "
                                  "WHERE direction = 'in'")
    for day in ("2023-05-18T10:00", "2023-06-15T10:00", "2023-07-17T10:00"):
        act(campaign, day)
    ico = _complaint(campaign, english["reference"], "ico")
    sic = _complaint(campaign, scottish["reference"], "sic")
    sent = campaign.outgoing("request")
    for text, row in ((ico, sent[0]), (sic, sent[1])):
        assert "Evidence: every message, with its date, Message-ID and full headers" in text
        assert row["message_id"] in text  # our request's Message-ID
        assert f"Message-ID: {row['message_id']}" in text and "MIME-Version: 1.0" in text  # its full headers
        assert "sent by us: reminder" in text and "sent by us: internal review" in text
    assert "received: acknowledgement" in ico and "<ack-1@barnet>" in ico
    assert "The authority's references: 9645568" in ico
    for section in ("section 1(1)", "section 10(1)", "section 17", "section 50"):
        assert section in ico
    for section in ("section 20", "section 21(1)", "section 47(1)", "section 47(4)"):
        assert section in sic
    # The windows: six weeks after the review result was due (ICO), six months (FOISA s47(4)(b)).
    assert "Complain by:                 25 August 2023" in ico  # review result due 14 July 2023, + 6 weeks
    assert "Complain by:                 13 January 2024" in sic  # 13 July: no Northern Irish 12 July in FOISA days
    assert "WARNING" not in ico


def test_chase_warns_when_the_window_is_about_to_close(campaign: StoreCampaign) -> None:
    english = campaign.send("barnet", SENT)
    for day in ("2023-05-18T10:00", "2023-06-15T10:00", "2023-07-17T10:00"):
        act(campaign, day)
    assert closing_windows(campaign.store, 20, when("2023-08-10T10:00")) == []  # 15 days left
    soon = chase_due(campaign.store, campaign.config, when("2023-08-14T10:00"))
    assert len(soon.closing) == 1 and english["reference"] in soon.closing[0]
    assert "closes on 25 August 2023 (in 11 day(s))" in soon.closing[0]
    assert "-complaint-ico.txt" in soon.closing[0]
    late = closing_windows(campaign.store, 20, when("2023-08-29T10:00"))
    assert "closed on 25 August 2023" in late[0]
    campaign.reply(english["reference"], "not_held", "2023-08-30")  # answered at last: nothing to warn about
    assert closing_windows(campaign.store, 20, when("2023-08-31T10:00")) == []


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2023, 6, 14), 6, date(2023, 12, 14)),
    (date(2023, 8, 31), 6, date(2024, 2, 29)),
    (date(2023, 12, 31), 2, date(2024, 2, 29)),
])
def test_months_are_calendar_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected
