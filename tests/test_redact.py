"""Redaction for publishing (publish/redact.py): what goes, what stays; pure, table-driven and over the fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foibot.publish.redact import EMAIL, NAME, PHONE, REQUESTER, redactor_for

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "verdicts"
R = redactor_for("Sam Campaigner", "sam@campaign.example", ["foi@northmoor.gov.uk", "info@eastvale-pcc.gov.uk"])

# Each fixture's signature: what must go and what must stay.
SIGNATURES = {
    "numbered_no.txt": (["Priya Ramanathan", "01632 960 418", "priya.ramanathan@northmoor.gov.uk"],
                        ["Information Governance Officer", "foi@northmoor.gov.uk"]),
    "numbered_yes.txt": (["Tom Whitlock", "07700 900 123", "tom.whitlock@westshire.police.uk"],
                         ["Disclosure Team", "Westshire Constabulary"]),
    "restated_not_held.txt": (["Gareth Pryce", "01632 960 771"], ["Llanfair County Council"]),
    "prose_no.txt": (["Helen O'Connor", "helen.oconnor@eastvale-pcc.gov.uk", "0161 496 0773"],
                     ["Office of the Police and Crime Commissioner for Eastvale", "Office Manager"]),
    "s12_refusal.txt": (["Daniel Okafor", "01632 960 902"], ["Marlow Vale District Council"]),
    "s43_partial.txt": ([], ["Information Management Unit", "Northgate Police", "foi@northgate.police.uk"]),
    "ncnd.txt": (["Alan Pearce", "0117 496 0184"], ["Head of Information Management", "Carrick Police"]),
    "partly_answered.txt": (["Ruth Kellerman"], ["Ashbridge Borough Council"]),
    "unclear.txt": (["Mark Ellison", "mark.ellison@harbury.gov.uk"], ["Harbury Metropolitan Borough Council"]),
    "foisa_not_held.txt": (["Fiona MacLeod", "01632 961 330"], ["Glenard Council"]),
    "prose_yes.txt": (["Olu Adeyemi", "olu.adeyemi@riverside-ca.gov.uk"], ["Riverside Combined Authority"]),
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_fixture_signatures(name: str) -> None:
    gone, kept = SIGNATURES[name]
    original = (FIXTURES / name).read_text(encoding="utf-8")
    text = R.redact(original)
    for item in gone:
        assert item not in text, f"{name}: {item!r} kept"
    for item in kept:
        assert item in text, f"{name}: {item!r} lost"
    assert "Sam Campaigner" not in text and REQUESTER in text  # "Dear Sam Campaigner"
    # Every other line (the answers) is untouched.
    for before, after in zip(original.splitlines(), text.splitlines(), strict=True):
        if not any(item in before for item in [*gone, "Sam Campaigner"]):
            assert after == before


@pytest.mark.parametrize(("text", "expected"), [
    ("Kind regards\n\nJane Smith\nFOI Officer", f"Kind regards\n\n{NAME}\nFOI Officer"),
    ("Yours sincerely,\nDr Ann-Marie Jones\nInformation Governance", f"Yours sincerely,\n{NAME}\nInformation Governance"),
    ("Contact: John Evans, Records Manager", f"Contact: {NAME}, Records Manager"),
    ("From: Jane Smith <jane.smith@barnet.gov.uk>", f"From: {NAME} <{EMAIL}>"),
    ("Please call 020 8359 2000 or +44 (0)161 496 0773.", f"Please call {PHONE} or {PHONE}."),
    ("Write to foi@barnet.gov.uk or information.governance@kent.police.uk",
     "Write to foi@barnet.gov.uk or information.governance@kent.police.uk"),
    ("Our ref FOI/26/0412, received 2026-03-02, 18 hours.", "Our ref FOI/26/0412, received 2026-03-02, 18 hours."),
    ("London Borough of Barnet\nInformation Management Team", "London Borough of Barnet\nInformation Management Team"),
    ("Dear Sam Campaigner,", f"Dear {REQUESTER},"),
    ("Dear Mr Campaigner,", f"Dear Mr {REQUESTER},"),
    ("Your address sam+fb-7k3q9x@campaign.example", f"Your address {REQUESTER}"),
    ("A reply from PC Dave Ward of the force.", f"A reply from {NAME} of the force."),
])
def test_cases(text: str, expected: str) -> None:
    assert R.redact(text) == expected


def test_senior_officials_stay_only_when_asked() -> None:
    text = "Yours sincerely\n\nJo Bloggs\nChief Executive\n\nRegards\nAmy Pond\nFOI Officer"
    assert "Jo Bloggs" not in R.redact(text)
    keeping = redactor_for("Sam Campaigner", "sam@campaign.example", [], keep_senior_officials=True)
    kept = keeping.redact(text)
    assert "Jo Bloggs" in kept and "Amy Pond" not in kept


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_never_raises_and_never_grows_a_phone_number(text: str) -> None:
    out = R.redact(text)
    assert isinstance(out, str)
    assert R.redact(out) == out  # redacting twice changes nothing more


def test_an_authority_that_signs_like_a_person_keeps_its_name() -> None:
    text = "Yours sincerely\n\nJane Smith\nHistoric England\n"
    assert R.redact(text) == f"Yours sincerely\n\n{NAME}\n{NAME}\n"  # unknown: it could be a person
    knowing = redactor_for("Sam Campaigner", "sam@campaign.example", [], authority_names=["Historic England"])
    assert knowing.redact(text) == f"Yours sincerely\n\n{NAME}\nHistoric England\n"
