"""The shipped register of authorities: sound rows, the right bodies, and the campaign lists picked from it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.addresses import check_address
from foibot.authorities import JURISDICTIONS, KINDS, parse_authorities
from foibot.errors import InputError
from foibot.register import (
    CAMPAIGN_COLUMNS,
    CHANNELS,
    COLUMNS,
    Entry,
    campaign_csv,
    check_register,
    load_own_rows,
    load_register,
    parse_filters,
    parse_register,
    pick,
    register_csv,
    select,
    shipped_register_text,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "authorities"
REGISTER = load_register()
BY_ID = {e.id: e for e in REGISTER}


def test_the_shipped_register_is_sound():
    assert check_register(REGISTER) == []
    header = next(csv.reader(io.StringIO(shipped_register_text())))
    assert tuple(header) == COLUMNS
    ids = [e.id for e in REGISTER]
    assert len(ids) == len(set(ids))
    for e in REGISTER:
        for address in filter(None, (e.email, e.alt_email)):
            assert check_address(address), e.id
        assert e.source, f"{e.id} has no source"
        assert e.source_date or e.dataset, f"{e.id} has no date"
        assert e.channel in CHANNELS
        if e.channel in ("email", "email_or_form"):
            assert e.email, e.id
        if e.channel in ("web_form", "email_or_form"):
            assert e.form_url.startswith(("http://", "https://")), e.id
        if e.channel == "post":
            assert e.postal_address, e.id
        assert e.regime == ("foisa" if e.jurisdiction == "scotland" else "foia"), e.id


@pytest.mark.parametrize(("kinds", "places", "expected"), [
    ("council", "scotland", 32),
    ("council", "wales", 22),
    ("council", "northern_ireland", 11),
    ("council", "england", 317),
    ("council", "", 382),
    ("combined_authority", "", 15),
    ("fire_authority", "", 34),
    ("police_force", "england,wales,scotland,northern_ireland", 45),
    ("police_force", "uk", 3),
    ("council,combined_authority", "england", 332),
])
def test_select_by_kind_and_nation(kinds, places, expected):
    filters = parse_filters([kinds], [places] if places else [])
    assert len(select(REGISTER, filters)) == expected


def test_every_scottish_council_is_picked_and_answers_under_foisa():
    chosen = pick(REGISTER, parse_filters(["council"], ["scotland"])).chosen
    assert len(chosen) == 32
    assert {e.regime for e in chosen} == {"foisa"}
    assert "glasgow-city" in {e.id for e in chosen}


def test_the_2023_reorganisations_are_defunct_with_their_successors():
    for gone, successor in [("allerdale", "cumberland"), ("eden", "westmorland-and-furness"),
                            ("harrogate", "north-yorkshire"), ("mendip", "somerset"),
                            ("cumbria", "cumberland;westmorland-and-furness"),
                            ("north-of-tyne-ca", "north-east-ca")]:
        entry = BY_ID[gone]
        assert entry.defunct and entry.successor == successor
        for new in successor.split(";"):
            assert not BY_ID[new].defunct
    assert sum(1 for e in REGISTER if e.defunct and e.defunct_since == "2023-04-01") == 20
    # the police authorities abolished in 2012 and the Scottish forces merged in 2013 are kept, marked
    assert BY_ID["strathclyde-police"].defunct and BY_ID["cheshire-police-authority"].defunct


def test_no_defunct_body_in_any_pick():
    everything = pick(REGISTER, parse_filters(include_defunct=True)).chosen
    assert everything and not [e.id for e in everything if e.defunct]
    assert pick(REGISTER, parse_filters(search="Allerdale")).chosen == []
    listed = select(REGISTER, parse_filters(search="Allerdale", include_defunct=True))
    assert [e.id for e in listed] == ["allerdale"]


def test_a_shared_mailbox_is_picked_once_and_the_other_body_left_out_with_the_reason():
    result = pick(REGISTER, parse_filters(["council", "combined_authority"], ["england"]))
    ids = {e.id for e in result.chosen}
    assert "barnsley" in ids and "south-yorkshire-ca" not in ids
    reasons = {e.id: why for e, why in result.left_out}
    assert "barnsley" in reasons["south-yorkshire-ca"]
    emails = [e.email.lower() for e in result.chosen if e.email]
    assert len(emails) == len(set(emails))


def test_known_only_leaves_out_the_bodies_with_no_known_way_in():
    filters = parse_filters(["council"], ["scotland"])
    result = pick(REGISTER, filters, known_only=True)
    assert result.chosen and all(e.channel != "unknown" for e in result.chosen)
    assert len(result.chosen) + len(result.left_out) == 32


def test_the_seed_authorities_keep_the_address_they_published():
    assert BY_ID["barnet"].email == "foi@barnet.gov.uk"
    assert BY_ID["barnet"].source_date == "2023-05-16"
    assert BY_ID["cambridgeshire-and-peterborough-ca"].email.startswith("democratic.services@")


def test_disagreeing_sources_keep_both_addresses_and_stale_domains_are_flagged():
    essex = BY_ID["essex-police"]
    assert (essex.email, essex.alt_email) == ("info.rights.freedom@essex.police.uk", "info.rights@essex.police.uk")
    assert "sources_disagree" in essex.address_flags
    assert "old_pnn_domain" in BY_ID["cambridgeshire-police"].address_flags
    assert "old_pnn_domain" not in BY_ID["the-met"].address_flags
    # the police file's cell for Gloucestershire is not an address: the second list's is used
    assert BY_ID["gloucestershire-police"].email == "FOI@gloucestershire.pnn.police.uk"


@pytest.mark.parametrize(("channel", "example"), [
    ("email", "cheshire-fire"), ("email_or_form", "cambridgeshire"), ("web_form", "avon-fire"),
    ("post", "staffordshire"), ("unknown", "derbyshire"),
])
def test_each_channel_is_there(channel, example):
    assert BY_ID[example].channel == channel
    assert len(select(REGISTER, parse_filters(channels=[channel]))) > 10


def test_the_campaign_csv_is_the_authorities_format_send_reads():
    chosen = pick(REGISTER, parse_filters(["police_force"], ["england", "wales"])).chosen
    text = campaign_csv(chosen)
    assert next(csv.reader(io.StringIO(text))) == list(CAMPAIGN_COLUMNS)
    authorities = parse_authorities(text, "authorities.csv")
    assert len(authorities) == 43
    assert authorities[0].extra["channel"] == "email"
    assert {a.extra["regime"] for a in authorities} == {"foia"}


def test_own_rows_correct_a_register_row_and_add_new_bodies(tmp_path):
    own = tmp_path / "mine.csv"
    own.write_text("id,name,kind,jurisdiction,email,form_url\n"
                   "derbyshire,Derbyshire County Council,council,england,foi@derbyshire.gov.uk,\n"
                   "my-parish,Much Wenlock Town Council,other_public_body,england,,https://example.org/foi\n")
    rows = load_own_rows(own)
    assert [(r.channel, r.source) for r in rows] == [("email", "added by the campaigner (mine.csv)"),
                                                     ("web_form", "added by the campaigner (mine.csv)")]
    result = pick(REGISTER, parse_filters(["council"], ["england"]), own=rows)
    chosen = {e.id: e for e in result.chosen}
    assert chosen["derbyshire"].email == "foi@derbyshire.gov.uk"
    assert chosen["my-parish"].channel == "web_form"
    assert len(result.chosen) + len(result.left_out) == 317 + 1


@pytest.mark.parametrize(("text", "message"), [
    ("id,name,kind\nx,X,council\n", "mine.csv:1: missing column(s) jurisdiction"),
    ("id,name,kind,jurisdiction,email\nx,X,council,england,not-an-address\n", "mine.csv:2: email"),
    ("id,name,kind,jurisdiction,email\nx,X,parish,england,a@b.gov.uk\n", "mine.csv:2: kind 'parish'"),
    ("id,name,kind,jurisdiction,email\nx,X,council,england,a@b.gov.uk\nx,Y,council,wales,c@d.gov.uk\n",
     "mine.csv:3: duplicate id 'x' (first on line 2)"),
    ("id,name,kind,jurisdiction\nx,X,council,england,extra\n", "mine.csv:2: has 5 cells"),
])
def test_bad_own_rows_name_the_file_and_line(tmp_path, text, message):
    own = tmp_path / "mine.csv"
    own.write_text(text)
    with pytest.raises(InputError, match="mine.csv") as caught:
        load_own_rows(own)
    assert message in str(caught.value)


def test_a_bad_filter_value_is_refused_with_the_choices():
    with pytest.raises(InputError, match="kind 'councils' is not one of council"):
        parse_filters(["councils"])
    with pytest.raises(InputError, match="channel 'fax'"):
        parse_filters(channels=["fax"])


def test_a_damaged_register_names_the_line():
    lines = shipped_register_text().splitlines(keepends=True)
    damaged = lines[0] + lines[1] + lines[1]  # the same body twice
    with pytest.raises(InputError, match=r"register.csv:3: duplicate id"):
        parse_register(damaged, "register.csv")
    assert parse_register(register_csv(REGISTER), "copy") == REGISTER


@settings(max_examples=60, deadline=None)
@given(kinds=st.lists(st.sampled_from(KINDS), max_size=3), places=st.lists(st.sampled_from(JURISDICTIONS), max_size=2),
       channels=st.lists(st.sampled_from(CHANNELS), max_size=2), defunct=st.booleans(),
       search=st.sampled_from(["", "police", "council", "shire", "fire", "zzz"]))
def test_any_pick_is_sendable_once_per_mailbox(kinds, places, channels, defunct, search):
    filters = parse_filters(kinds, places, channels, search=search, include_defunct=defunct)
    result = pick(REGISTER, filters)
    selected = {e.id for e in select(REGISTER, filters) if not e.defunct}
    chosen = [e.id for e in result.chosen]
    assert set(chosen) | {e.id for e, _ in result.left_out} == selected
    assert not any(BY_ID[i].defunct for i in chosen)
    emails = [e.email.lower() for e in result.chosen if e.sending_channel == "email"]
    assert len(emails) == len(set(emails))
    assert all(isinstance(e, Entry) for e in result.chosen)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the gathered facts are not on this machine")
def test_the_build_script_reproduces_the_shipped_register(tmp_path):
    out = tmp_path / "register.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_register.py"), "--data", str(SHARED),
                    "--out", str(out)], check=True, capture_output=True)
    assert out.read_text(encoding="utf-8") == shipped_register_text()


# -- the commands ------------------------------------------------------------------------------------------

def test_authorities_list_shows_every_scottish_council(tmp_path):
    from support.run import foibot

    shown = foibot("authorities", "list", "--kind", "council", "--jurisdiction", "scotland")
    assert shown.code == 0
    lines = shown.stdout.splitlines()
    assert lines[0].split()[:2] == ["id", "name"] and "glasgow-city" in shown.stdout
    assert lines[-1].startswith("32 bodies: ")
    as_csv = foibot("authorities", "list", "--kind", "council", "--jurisdiction", "scotland", "--csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == 32 and set(rows[0]) == set(COLUMNS) and {r["regime"] for r in rows} == {"foisa"}
    found = foibot("authorities", "list", "--search", "barnet")
    assert "foi@barnet.gov.uk" in found.stdout
    gone = foibot("authorities", "list", "--search", "allerdale")
    assert gone.stdout.strip().endswith("0 bodies")
    web = foibot("authorities", "list", "--channel", "web_form", "--kind", "fire_authority", "--csv")
    assert {r["channel"] for r in csv.DictReader(io.StringIO(web.stdout))} == {"web_form"}


def test_authorities_pick_writes_the_campaign_list(tmp_path):
    from support.run import foibot

    target = tmp_path / "authorities.csv"
    picked = foibot("authorities", "pick", "--kind", "council", "--jurisdiction", "scotland", "-o", str(target))
    assert picked.code == 0, picked.stderr
    assert f"Wrote 32 authorities to {target}" in picked.stdout
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 32 and {r["channel"] for r in rows} <= {"email", "web_form", "post", "unknown"}
    assert "19 have no address, form or postal address" in picked.stderr  # said, not hidden
    again = foibot("authorities", "pick", "--kind", "council", "-o", str(target))
    assert again.code == 1 and "already exists" in again.stderr and len(target.read_text().splitlines()) == 33
    known = foibot("authorities", "pick", "--kind", "council", "--jurisdiction", "scotland", "--known-only",
                   "--force", "-o", str(target))
    assert known.code == 0 and "unknown" not in {r["channel"] for r in csv.DictReader(target.open())}


@pytest.mark.parametrize(("args", "message"), [
    (("--kind", "parish"), "Error: kind 'parish' is not one of council"),
    (("--jurisdiction", "cornwall"), "Error: jurisdiction 'cornwall'"),
    (("--search", "no such body anywhere"), "Error: no body matches these filters"),
])
def test_authorities_pick_refuses_bad_filters_in_one_line(tmp_path, args, message):
    from support.run import foibot

    result = foibot("authorities", "pick", *args, "-o", str(tmp_path / "a.csv"))
    assert result.code == 1 and result.stderr.startswith(message) and "Traceback" not in result.stderr
    assert not (tmp_path / "a.csv").exists()


def test_own_rows_join_the_pick_and_a_bad_one_names_its_line(tmp_path):
    from support.run import foibot

    own = tmp_path / "mine.csv"
    own.write_text("id,name,kind,jurisdiction,email\nmy-panel,My Police and Crime Panel,other_public_body,"
                   "england,panel@council.gov.example\n")
    target = tmp_path / "a.csv"
    done = foibot("authorities", "pick", "--kind", "police_force", "--jurisdiction", "wales", "--add", str(own),
                  "-o", str(target))
    assert done.code == 0 and "Wrote 5 authorities" in done.stdout
    assert [r["id"] for r in csv.DictReader(target.open())][-1] == "my-panel"
    own.write_text("id,name,kind,jurisdiction,email\nmy-panel,My Panel,other_public_body,england,nope\n")
    bad = foibot("authorities", "pick", "--kind", "police_force", "--add", str(own), "-o", str(target), "--force")
    assert bad.code == 1 and f"{own}:2: email" in bad.stderr


def test_init_starts_a_campaign_with_councils_and_combined_authorities(tmp_path):
    from support.run import foibot

    folder = tmp_path / "campaign"
    done = foibot("init", str(folder), "--authorities", "council,combined_authority")
    assert done.code == 0, done.stderr
    authorities = parse_authorities((folder / "authorities.csv").read_text(), "authorities.csv")
    ids = {a.id for a in authorities}
    assert {a.kind for a in authorities} == {"council", "combined_authority"}
    assert "glasgow-city" in ids and "west-midlands-ca" in ids and "allerdale" not in ids
    left_out = {e.id for e, _ in pick(REGISTER, parse_filters(["council,combined_authority"])).left_out}
    assert len(authorities) == 382 + 15 - len(left_out) and "south-yorkshire-ca" in left_out
    assert "Left out" in done.stderr and "south-yorkshire-ca" in done.stderr
    assert (folder / "config.toml").exists()
    plain = foibot("init", str(tmp_path / "shipped"))
    assert plain.code == 0 and (tmp_path / "shipped" / "authorities.csv").read_text() == (
        ROOT / "authorities.csv").read_text()


def test_a_picked_list_goes_through_a_dry_run(tmp_path, monkeypatch):
    from support.run import foibot

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FOIBOT_NOW", "2026-03-02T10:00:00+00:00")
    assert foibot("authorities", "pick", "--kind", "council", "--jurisdiction", "wales", "-o", "a.csv").code == 0
    channels = [r["channel"] for r in csv.DictReader((tmp_path / "a.csv").open())]
    mailed = channels.count("email")
    dry = foibot("send", "--run", "wales-1", "--authorities", "a.csv", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert f"Dry run: {mailed} requests would go to {mailed} addresses" in dry.stdout
    assert f"and {22 - mailed} would be written out for you to send by hand" in dry.stdout
    assert not (tmp_path / "foibot.db").exists()
