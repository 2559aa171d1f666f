"""Build foibot/data/register.csv from the facts gathered in ../shared/data/authorities (run from the repository root).

    python3 scripts/build_register.py [--data DIR] [--markdown]

Sources, each row keeping its own source and date:
- uk_councils_foi.csv: every principal council, combined authority, the GLA and the fire and rescue authorities,
  with the FOI address, channel, form and page where each was seen;
- uk_police_bodies_foi_emails.csv (m-d-johnson/golang-wdtk-linkgenerator, 2023-24): police forces, commissioners,
  panels and other police bodies, live and defunct; mdjohnson_foi-directory.csv: the 45 territorial forces'
  addresses from a second list (where it disagrees, its address goes to alt_email);
- scripts/register_defunct.csv: the councils abolished in the 2023 reorganisations (and North of Tyne CA),
  from mySociety's list of local authorities;
- authorities.csv (this repository): the two seed authorities' addresses, published in their own replies.
No address is made up: a body with none found keeps channel `post` (when a postal address was seen) or
`unknown`.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from foibot.addresses import AddressError, check_address
from foibot.register import COLUMNS, Entry, check_register, register_csv

COUNCILS_DATASET = "uk_councils_foi 2025"
POLICE_DATASET = "uk_police_bodies_foi_emails 2023-24"
POLICE_SOURCE = "m-d-johnson/golang-wdtk-linkgenerator uk_police_bodies_foi_emails.csv (2023-24)"
FORCES_SOURCE = "m-d-johnson foi-directory (2023-24)"
KIND_ORDER = ("council", "combined_authority", "other_public_body", "fire_authority", "police_force",
              "police_commissioner")
PUBLIC_DOMAINS = (".gov.uk", ".police.uk", ".gov.scot", ".gov.wales", ".llyw.cymru", ".mod.uk", ".nhs.uk", ".ac.uk")

_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"
# Postal addresses the council notes quote ("post to ...", "write to ...", "letter or email to ..."), up to the
# postcode.
_TEXT = r"(?:[^;'\"()\[\]]|(?<=\w)'(?=\w))"  # an apostrophe inside a word (Chief Executive's Office) is text
_POSTAL = [re.compile(p + r"\s*(?:the\s+)?(" + _TEXT + r"{5,160}?" + _POSTCODE + r")\b", re.IGNORECASE) for p in (
    (r"(?:by post to|posting it to|post to|write to|writing to|letter to|postal address:?|postal route \(|postal"
     r"|post\s*[:\-])"),
    r"(?:letter or e-?mail to|in writing[^;()]{0,40}? to)",
)] + [re.compile(r"^Not found \(([^;()]{5,160}?" + _POSTCODE + r")\)")]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def valid(address: str) -> str:
    try:
        return check_address(address)
    except AddressError:
        return ""


def regimes(jurisdiction: str) -> tuple[str, str]:
    return ("foisa", "eisr") if jurisdiction == "scotland" else ("foia", "eir")


def postal_from_notes(notes: str) -> str:
    for pattern in _POSTAL:
        match = pattern.search(notes)
        if match:
            address = match.group(1).strip(" ,:-.")
            return re.sub(r"^(?:us|the)\s*:\s*", "", address)
    return ""


def council_flags(row: dict[str, str]) -> list[str]:
    notes, source = row["notes"].lower(), row["source"].lower()
    flags = []
    if "older" in notes:
        flags.append("older_copy")
    if any(k in notes for k in ("publication scheme", "re-use", "environmental information", " eir ",
                                "eir page", "internal review", "reviews page")):
        flags.append("related_page")
    if any(k in notes for k in ("general", "customer service", "info@")):
        flags.append("general_mailbox")
    if any(k in notes + source for k in ("gosshosted", "fill.io", "blog", "staging")):
        flags.append("third_party_copy")
    if "golang-wdtk-linkgenerator" in source:
        flags.append("wdtk_address")
    if "direct form link not captured" in notes:
        flags.append("form_url_is_page")
    return flags


def from_councils(rows: list[dict[str, str]]) -> list[Entry]:
    entries = []
    for row in rows:
        jurisdiction = row["jurisdiction"]
        regime, environmental = regimes(jurisdiction)
        email = valid(row["foi_email"]) if row["foi_email"] else ""
        channel = {"not_found": "unknown"}.get(row["channel"], row["channel"])
        postal = postal_from_notes(row["notes"])
        form_url, flags = row["form_url"], council_flags(row)
        if channel in ("email_or_form", "web_form") and not form_url:  # the notes name the page with the form
            urls = re.findall(r"https?://[^\s)'\"]+", row["notes"])
            form_url = urls[0] if urls else row["source"]
            flags.append("form_url_is_page")
        if channel == "unknown" and postal:
            channel = "post"
        if channel in ("email", "email_or_form") and not email:
            raise SystemExit(f"uk_councils_foi.csv: {row['id']}: channel {channel} but no valid address")
        source = row["source"] or ("mysociety/uk_local_authority_names_and_codes@67ef8b1 (the body); "
                                   "no FOI page of the authority was found")
        entries.append(Entry(
            id=row["id"], name=row["name"], kind=row["kind"], type=row["council_type"],
            jurisdiction=jurisdiction, regime=regime, environmental_regime=environmental, channel=channel,
            email=email, form_url=form_url, postal_address=postal, address_flags=";".join(dict.fromkeys(flags)), gss_code=row["gss_code"], source=source,
            source_date=row["source_date"], dataset=COUNCILS_DATASET,
        ))
    return entries


# Police bodies: which kind and type each is, and where it serves.
_NATIONAL_FORCES = {"btp", "cnc", "mdp"}
_OTHER_CONSTABULARIES = {
    "bhp", "belfast_international_airport_constabulary", "falmouth_docks_police", "port_of_bristol_police",
    "port_of_dover_police", "port_of_felixstowe_police", "port_of_larne_police", "port_of_liverpool_police",
    "port_of_portland_police", "port_of_tilbury_london_police", "tees_and_hartlepool_harbour_police",
    "university_of_cambridge_constabulary", "york_minster_police",
}
_SCOTTISH_FORCES = {"central_scotland_police", "dumfries_and_galloway_constabulary", "fife_constabulary",
                    "grampian_police", "lothian_and_borders_police", "northern_constabulary", "strathclyde_police",
                    "tayside_police"}
_UK_BODIES = {"apcc", "association_of_police_authorities", "btp", "british_transport_police_authority", "cnc",
              "cnpa", "college_of_policing", "hmicfrs", "ipab", "mdp", "nca", "netcu", "npas", "npcc", "npia",
              "police_advisory_board_for_england_and_wales", "police_negotiating_board", "police_federation",
              "the_police_ict_company_limited", "ukfpu", "nwcu"}
_FORCE_ALIASES = {"hampshire constabulary": "hampshire and isle of wight constabulary",
                  "metropolitan police service": "metropolitan police service (mps)",
                  "dyfed-powys police": "dyfed powys police", "wiltshire police": "wiltshire constabulary"}


def police_place(key: str, name: str) -> str:
    text = f"{key} {name}".lower()
    if key in _UK_BODIES:
        return "uk"
    if any(k in text for k in ("scotland", "scottish", "strathclyde", "lothian", "grampian", "tayside", "fife",
                               "dumfries", "northern constabulary", "northern joint", "pirc")):
        return "scotland"
    if any(k in text for k in ("northern ireland", "psni", "district policing partnership", "belfast",
                               "royal ulster", "larne")):
        return "northern_ireland"
    if any(k in text for k in ("dyfed", "gwent", "north wales", "south wales")):
        return "wales"
    return "england"


def police_kind(key: str, name: str, territorial: set[str]) -> tuple[str, str]:
    if key in territorial or key in _SCOTTISH_FORCES:
        return "police_force", "territorial"
    if key in _NATIONAL_FORCES:
        return "police_force", "national"
    if key in _OTHER_CONSTABULARIES:
        return "other_public_body", "other_constabulary"
    if key == "mopac":
        return "police_commissioner", "mayor_office"
    if key.endswith("_pfcc") or (key.endswith("_pcc") and "Fire and Crime" in name):
        return "police_commissioner", "pfcc"
    if key.endswith("_pcc"):
        return "police_commissioner", "pcc"
    if key.endswith("_pcp") or "crime_panel" in key:
        return "other_public_body", "police_and_crime_panel"
    if key.endswith("_police_authority") or key == "association_of_police_authorities":
        return "other_public_body", "police_authority"
    if key.endswith("_dpp"):
        return "other_public_body", "district_policing_partnership"
    if "police_board" in key:
        return "other_public_body", "police_board"
    return "other_public_body", "police_body"


def domain_flags(address: str) -> list[str]:
    domain = address.rpartition("@")[2].lower()
    if ".pnn." in f".{domain}":
        return ["old_pnn_domain"]
    if not f".{domain}".endswith(PUBLIC_DOMAINS):
        return ["unusual_domain"]
    return []


def from_police(rows: list[dict[str, str]], forces: list[dict[str, str]]) -> list[Entry]:
    by_name = {row["name"].lower(): row for row in rows}
    second: dict[str, str] = {}
    for force in forces:
        name = force["Public Authority"].lower()
        row = by_name.get(_FORCE_ALIASES.get(name, name))
        if row is None:
            raise SystemExit(f"mdjohnson_foi-directory.csv: {force['Public Authority']} is not in the police file")
        second[row["wdtk_url_name"]] = valid(force["FOI Email"])
    entries = []
    for row in rows:
        key = row["wdtk_url_name"]
        kind, type_ = police_kind(key, row["name"], set(second))
        jurisdiction = police_place(key, row["name"])
        regime, environmental = regimes(jurisdiction)
        email = valid(row["foi_email"])
        alternatives = [valid(row["foi_email_collected_dev"]), second.get(key, "")]
        source = POLICE_SOURCE
        if not email and alternatives[1]:  # the police file's cell is not an address: the second list's is
            email, alternatives[1], source = alternatives[1], "", f"{FORCES_SOURCE}; {POLICE_SOURCE}"
        alt = next((a for a in alternatives if a and email and a.lower() != email.lower()), "")
        flags = domain_flags(email) if email else []
        if alt:
            flags.append("sources_disagree")
        defunct = row["is_defunct"] == "true"
        entries.append(Entry(
            id=key.replace("_", "-"), name=row["name"], kind=kind, type=type_, jurisdiction=jurisdiction,
            regime=regime, environmental_regime=environmental, channel="email" if email else "unknown",
            email=email, alt_email=alt, postal_address=" ".join(row["postal_address"].split()),
            address_flags=";".join(flags), defunct=defunct, whatdotheyknow=row["wdtk_page"], source=source,
            source_date="2023-24", dataset=POLICE_DATASET,
        ))
    return entries


def from_defunct(rows: list[dict[str, str]]) -> list[Entry]:
    return [Entry(id=r["id"], name=r["name"], kind=r["kind"], type=r["type"], jurisdiction=r["jurisdiction"],
                  regime=regimes(r["jurisdiction"])[0], environmental_regime=regimes(r["jurisdiction"])[1],
                  channel="unknown", defunct=True, defunct_since=r["defunct_since"], successor=r["successor"],
                  gss_code=r["gss_code"], source=r["source"], source_date=r["source_date"], dataset=r["dataset"])
            for r in rows]


def apply_seeds(entries: list[Entry], seeds: list[dict[str, str]]) -> list[Entry]:
    """The seed authorities' own published addresses win over 'not found' (matched by name)."""
    by_name = {s["name"].lower(): s for s in seeds if s.get("source", "").startswith("published in its own")}
    out = []
    for entry in entries:
        seed = by_name.get(entry.name.lower())
        if seed:
            found = re.search(r"\d{1,2} \w+ \d{4}", seed["source"])
            date = datetime.strptime(found.group(0), "%d %B %Y").date().isoformat() if found else ""
            other = entry.email if entry.email.lower() != seed["email"].lower() else ""
            entry = replace(entry, email=valid(seed["email"]), alt_email=other,
                            channel="email_or_form" if entry.form_url else "email", source=seed["source"],
                            source_date=date, dataset="seed")
        out.append(entry)
    return out


def mark_shared(entries: list[Entry]) -> list[Entry]:
    users = Counter(e.email.lower() for e in entries if e.email and not e.defunct)
    out = []
    for e in entries:
        if e.email and not e.defunct and users[e.email.lower()] > 1:
            flags = [f for f in e.address_flags.split(";") if f] + ["shared_address"]
            e = replace(e, address_flags=";".join(flags))
        out.append(e)
    return out


def build(data: Path) -> list[Entry]:
    entries = from_councils(read_csv(data / "uk_councils_foi.csv"))
    entries += from_police(read_csv(data / "uk_police_bodies_foi_emails.csv"),
                           read_csv(data / "mdjohnson_foi-directory.csv"))
    entries += from_defunct(read_csv(ROOT / "scripts" / "register_defunct.csv"))
    entries = apply_seeds(entries, read_csv(ROOT / "authorities.csv"))
    entries = mark_shared(entries)
    entries.sort(key=lambda e: (KIND_ORDER.index(e.kind), e.defunct, e.jurisdiction, e.name.lower()))
    numbered = [replace(e, line=i) for i, e in enumerate(entries, start=2)]
    problems = check_register(numbered, "register.csv")
    if problems:
        raise SystemExit("\n".join(problems))
    return numbered


def markdown_counts(entries: list[Entry]) -> str:
    live = [e for e in entries if not e.defunct]
    lines = [f"{len(entries)} bodies, {len(live)} current and {len(entries) - len(live)} defunct.", ""]
    nations = ("england", "scotland", "wales", "northern_ireland", "uk")
    lines.append("| kind | " + " | ".join(nations) + " | all |")
    lines.append("|---|" + "---:|" * (len(nations) + 1))
    for kind in KIND_ORDER:
        row = [sum(1 for e in live if e.kind == kind and e.jurisdiction == n) for n in nations]
        lines.append(f"| {kind} | " + " | ".join(str(c) for c in row) + f" | {sum(row)} |")
    lines += ["", "| channel | current bodies | of which councils |", "|---|---:|---:|"]
    for channel in ("email", "email_or_form", "web_form", "post", "unknown"):
        n = sum(1 for e in live if e.channel == channel)
        c = sum(1 for e in live if e.channel == channel and e.kind == "council")
        lines.append(f"| {channel} | {n} | {c} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "authorities")
    parser.add_argument("--out", type=Path, default=ROOT / "foibot" / "data" / "register.csv")
    parser.add_argument("--markdown", action="store_true", help="print the counts as README tables")
    args = parser.parse_args()
    entries = build(args.data)
    assert list(entries[0].as_row()) == list(COLUMNS)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(register_csv(entries), encoding="utf-8")
    print(f"wrote {args.out}: {len(entries)} rows")
    if args.markdown:
        print(markdown_counts(entries))


if __name__ == "__main__":
    main()
