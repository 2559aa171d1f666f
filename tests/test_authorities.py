"""The authorities CSV is checked as a whole: every bad row reported with its line, before anything is sent."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.run import foibot

from foibot.authorities import JURISDICTIONS, KINDS, load_authorities, parse_authorities
from foibot.errors import InputError

HEADER = "id,name,email,kind,jurisdiction\n"
GOOD = "barnet,London Borough of Barnet,foi@barnet.gov.uk,council,england\n"
OWN = "campaigner@example.org"


def problems(text: str) -> str:
    with pytest.raises(InputError) as caught:
        parse_authorities(text, "list.csv", own_address=OWN)
    return str(caught.value)


@pytest.mark.parametrize("row, expected", [
    ("camden,Camden,,council,england", "list.csv:3: email is missing"),
    ("camden,Camden,foi at camden.gov.uk,council,england", "list.csv:3: email 'foi at camden.gov.uk' is not a valid"),
    ("camden,Camden,foi@camden,council,england", "list.csv:3: email 'foi@camden' is not a valid"),
    ("camden,Camden,foi@camden.gov.uk;x@y.uk,council,england", "list.csv:3: email"),
    ("barnet,Camden,foi@camden.gov.uk,council,england", "list.csv:3: duplicate id 'barnet' (first on line 2)"),
    ("camden,Camden,FOI@Barnet.gov.uk,council,england", "list.csv:3: duplicate email FOI@barnet.gov.uk (first on line 2)"),
    ("camden,Camden,foi+x@barnet.gov.uk,council,england", "list.csv:3: duplicate email foi+x@barnet.gov.uk"),
    ("camden,Cam\x07den,foi@camden.gov.uk,council,england", "list.csv:3: name contains a newline or control"),
    ('camden,"Cam\nden",foi@camden.gov.uk,council,england', "list.csv:3: name contains a newline or control"),
    ("camden,Camden,foi@camden.gov.uk\u2028,council,england", "list.csv:3: email contains a newline or control"),
    ("camden,Camden,foi@camden.gov.uk,counsel,england", "list.csv:3: kind 'counsel' is not one of council,"),
    ("camden,Camden,foi@camden.gov.uk,council,England and Wales", "list.csv:3: jurisdiction 'England and Wales'"),
    ("camden,Camden,noreply@camden.gov.uk,council,england", "list.csv:3: email noreply@camden.gov.uk is a no-reply"),
    ("camden,Camden,do-not-reply@camden.gov.uk,council,england", "is a no-reply address"),
    ("camden,Camden,postmaster@camden.gov.uk,council,england", "is a no-reply address"),
    ("camden,Camden,campaigner@example.org,council,england", "list.csv:3: email campaigner@example.org is our own"),
    ("camden,Camden,Campaigner+fb-x@Example.org,council,england", "is our own address"),
    ("Camden,Camden,foi@camden.gov.uk,council,england", "list.csv:3: id 'Camden' must be lower-case"),
    ("camden,,foi@camden.gov.uk,council,england", "list.csv:3: name is empty"),
    ("camden,Camden,foi@camden.gov.uk,council", "list.csv:3: has 4 cells, the header has 5"),
])
def test_each_bad_row_is_reported_with_its_line(row: str, expected: str) -> None:
    message = problems(HEADER + GOOD + row + "\n")
    assert expected in message
    assert message.startswith("list.csv has 1 problem(s); nothing was sent:")


def test_every_problem_in_the_file_is_reported_at_once() -> None:
    text = HEADER + GOOD + (
        "a,A,,council,england\n"
        "\n"
        "b,B,foi@b.gov.uk,council,mars\n"
        "barnet,C,foi@c.gov.uk,police,england\n"
        "d,D,foi@d.gov.uk,council,wales\n"
    )
    message = problems(text)
    assert "has 4 problem(s)" in message
    for expected in ("list.csv:3: email is missing", "list.csv:5: jurisdiction 'mars'",
                     "list.csv:6: duplicate id 'barnet'", "list.csv:6: kind 'police'"):
        assert expected in message
    assert "list.csv:7" not in message


def test_a_row_spanning_lines_is_reported_at_the_line_it_starts() -> None:
    text = HEADER + GOOD + 'x,"two\nlines",foi@x.gov.uk,council,england\n' + "y,Y,bad,council,england\n"
    message = problems(text)
    assert "list.csv:3: name contains a newline" in message and "list.csv:5: email 'bad'" in message


@pytest.mark.parametrize("text, expected", [
    ("", "list.csv: the file is empty"),
    (HEADER, "list.csv: no authorities listed"),
    ("id,name,address,kind,jurisdiction\n" + GOOD, "list.csv:1: missing column(s) email"),
    ("id,name,email,email,kind,jurisdiction\n", "list.csv:1: column(s) named twice: email"),
])
def test_a_bad_header_or_empty_file(text: str, expected: str) -> None:
    assert expected in problems(text)


def test_extra_columns_are_kept_and_a_bom_is_ignored() -> None:
    text = "\ufeffid,name,email,kind,jurisdiction,postcode\n" + GOOD.strip() + ",EN5 1AB\n"
    [authority] = parse_authorities(text, "list.csv")
    assert authority.id == "barnet" and authority.extra == {"postcode": "EN5 1AB"} and authority.line == 2
    assert authority.as_template_data()["postcode"] == "EN5 1AB"
    assert authority.regime == "foia"


def test_not_utf8_names_the_line(campaign: Path) -> None:
    path = campaign / "list.csv"
    path.write_bytes((HEADER + GOOD).encode() + "c,Caf\u00e9,foi@c.gov.uk,council,england\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"list.csv:3: not UTF-8 text"):
        load_authorities(path)


def test_the_shipped_list_is_valid() -> None:
    shipped = Path(__file__).resolve().parent.parent / "authorities.csv"
    authorities = load_authorities(shipped, own_address="campaigner@foibot.example")
    assert len(authorities) == len({a.email for a in authorities}) >= 80


def test_the_cli_stops_on_a_bad_list_before_writing_anything(campaign: Path) -> None:
    (campaign / "authorities.csv").write_text(HEADER + GOOD + "camden,Camden,noreply@camden.gov.uk,council,england\n")
    for args in (["send", "--run", "r"], ["send", "--run", "r", "--dry-run"]):
        result = foibot(*args)
        assert result.code == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("Error: authorities.csv has 1 problem(s); nothing was sent:")
        assert "authorities.csv:3: email noreply@camden.gov.uk is a no-reply address" in result.stderr
    assert sorted(p.name for p in campaign.iterdir()) == ["authorities.csv"]
    missing = foibot("send", "--run", "r", "--authorities", "nope.csv")
    assert missing.code == 1 and "authorities file nope.csv does not exist" in missing.stderr


# --- properties -------------------------------------------------------------------------------------

SAFE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
               min_size=1, max_size=40).filter(lambda s: s.strip() == s and s)
ROW = st.fixed_dictionaries({
    "name": SAFE,
    "kind": st.sampled_from(KINDS),
    "jurisdiction": st.sampled_from(JURISDICTIONS),
    "note": st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
                    max_size=30).map(str.strip),
})


def to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["id", "name", "email", "kind", "jurisdiction", "note"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=12))
def test_any_well_formed_list_reads_back_as_written(rows: list[dict[str, str]]) -> None:
    full = [dict(r, id=f"body-{i}", email=f"foi{i}@body{i}.gov.uk") for i, r in enumerate(rows)]
    authorities = parse_authorities(to_csv(full), "list.csv")
    assert [(a.id, a.name, a.email, a.kind, a.jurisdiction, a.extra["note"]) for a in authorities] == [
        (r["id"], r["name"], r["email"], r["kind"], r["jurisdiction"], r["note"]) for r in full]
    assert [a.line for a in authorities] == list(range(2, 2 + len(full)))


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=5), st.data())
def test_a_control_character_anywhere_is_refused(rows: list[dict[str, str]], data: st.DataObject) -> None:
    full = [dict(r, id=f"body-{i}", email=f"foi{i}@body{i}.gov.uk") for i, r in enumerate(rows)]
    victim = data.draw(st.integers(0, len(full) - 1))
    column = data.draw(st.sampled_from(["id", "name", "email", "kind", "jurisdiction", "note"]))
    control = data.draw(st.sampled_from(["\n", "\r", "\x00", "\x1b", "\t", "\u2028", "\x7f"]))
    full[victim][column] = full[victim][column][:1] + control + full[victim][column][1:]
    with pytest.raises(InputError) as caught:
        parse_authorities(to_csv(full), "list.csv")
    assert f"list.csv:{victim + 2}: {column} contains a newline or control character" in str(caught.value)


CHANNEL_HEADER = "id,name,email,kind,jurisdiction,channel,form_url\n"


@pytest.mark.parametrize(("row", "channel", "email"), [
    ("a,A,foi@a.gov.example,council,england,,", "email", "foi@a.gov.example"),
    ("a,A,foi@a.gov.example,council,england,email_or_form,https://a.example/f", "email", "foi@a.gov.example"),
    ("a,A,,council,england,web_form,https://a.example/f", "web_form", ""),
    ("a,A,,council,england,post,", "post", ""),
    ("a,A,,council,england,not_found,", "unknown", ""),
])
def test_a_channel_says_how_the_request_goes(row: str, channel: str, email: str) -> None:
    (authority,) = parse_authorities(CHANNEL_HEADER + row + "\n", "a.csv")
    assert (authority.channel, authority.email, authority.by_hand) == (channel, email, channel != "email")


@pytest.mark.parametrize(("row", "expected"), [
    ("a,A,,council,england,email,", "a.csv:2: email is missing (or give channel web_form, post or unknown)"),
    ("a,A,,council,england,,", "a.csv:2: email is missing"),
    ("a,A,foi@a.gov.example,council,england,fax,", "a.csv:2: channel 'fax' is not one of email, web_form"),
])
def test_a_row_that_cannot_be_sent_names_its_line(row: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_authorities(CHANNEL_HEADER + row + "\n", "a.csv")
    assert expected in str(caught.value)


def test_several_bodies_without_an_address_are_not_duplicates() -> None:
    text = CHANNEL_HEADER + "a,A,,council,england,web_form,https://a.example/f\nb,B,,council,wales,unknown,\n"
    assert [a.id for a in parse_authorities(text, "a.csv")] == ["a", "b"]
