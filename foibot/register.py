"""The register of UK public authorities shipped with foibot: read, checked, filtered, and a campaign's list picked."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

from .addresses import AddressError, check_address, has_control
from .authorities import JURISDICTIONS, KINDS, CsvTable, id_problem, not_one_of, problems_error, read_csv_text
from .errors import InputError

# What a row of the register holds. `channel` says how the authority takes requests, as its pages show it:
# `email` (an address), `email_or_form` (an address and a web form), `web_form` (a form, no usable address),
# `post` (only a postal address was found) or `unknown` (nothing was found: usually "not seen", not "none").
COLUMNS = (
    "id", "name", "kind", "type", "jurisdiction", "regime", "environmental_regime", "channel", "email",
    "alt_email", "form_url", "postal_address", "address_flags", "defunct", "defunct_since", "successor",
    "gss_code", "whatdotheyknow", "source", "source_date", "dataset",
)
CHANNELS = ("email", "email_or_form", "web_form", "post", "unknown")
# How a request to each register channel goes out; `unknown` ones are written out like forms, for the
# campaigner to send once they have found the way in.
SENDING_CHANNEL = {"email": "email", "email_or_form": "email", "web_form": "web_form", "post": "post",
                   "unknown": "unknown"}
# The columns of a campaign's authorities CSV written by `pick` (the format `send` reads, plus what a
# campaigner needs to send by hand and to judge an address).
CAMPAIGN_COLUMNS = (
    "id", "name", "email", "kind", "jurisdiction", "channel", "form_url", "postal_address", "alt_email",
    "regime", "type", "address_flags", "source", "source_date",
)
# Flags the build script puts on an address, for a campaigner to weigh before a run.
ADDRESS_FLAGS = {
    "old_pnn_domain": "an old *.pnn.police.uk / *.pnn.gov.uk domain: most bodies have moved to *.police.uk",
    "unusual_domain": "not a gov.uk / police.uk / gov.scot / gov.wales / llyw.cymru domain: check it is theirs",
    "shared_address": "the same address serves another body in the register",
    "older_copy": "seen on an older copy of the authority's page",
    "related_page": "seen on a related page (re-use, EIR, publication scheme, reviews), not the FOI page",
    "general_mailbox": "a general enquiries mailbox, not a dedicated FOI one",
    "third_party_copy": "seen on a copy of the page held elsewhere",
    "wdtk_address": "the address WhatDoTheyKnow used (2024)",
    "form_url_is_page": "the form URL is the page that links to the form",
    "sources_disagree": "two sources give different addresses: the other is in alt_email",
}
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
OWN_REQUIRED = ("id", "name", "kind", "jurisdiction")


@dataclass(frozen=True)
class Entry:
    """One body of the register (every value a string as in the file; `defunct` read as a bool)."""

    id: str
    name: str
    kind: str
    type: str = ""
    jurisdiction: str = "england"
    regime: str = ""
    environmental_regime: str = ""
    channel: str = "unknown"
    email: str = ""
    alt_email: str = ""
    form_url: str = ""
    postal_address: str = ""
    address_flags: str = ""
    defunct: bool = False
    defunct_since: str = ""
    successor: str = ""
    gss_code: str = ""
    whatdotheyknow: str = ""
    source: str = ""
    source_date: str = ""
    dataset: str = ""
    line: int = field(default=0, compare=False)

    @property
    def sending_channel(self) -> str:
        return SENDING_CHANNEL[self.channel]

    def as_row(self) -> dict[str, str]:
        row = {name: getattr(self, name) for name in COLUMNS}
        row["defunct"] = "yes" if self.defunct else ""
        return row

    def campaign_row(self) -> dict[str, str]:
        row = self.as_row()
        row["channel"] = self.sending_channel
        return {name: row[name] for name in CAMPAIGN_COLUMNS}


@dataclass(frozen=True)
class Filters:
    """What `authorities list` and `pick` select; an empty tuple means any."""

    kinds: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    search: str = ""
    include_defunct: bool = False

    def matches(self, entry: Entry) -> bool:
        if entry.defunct and not self.include_defunct:
            return False
        if self.kinds and entry.kind not in self.kinds:
            return False
        if self.jurisdictions and entry.jurisdiction not in self.jurisdictions:
            return False
        if self.channels and entry.channel not in self.channels:
            return False
        if self.types and entry.type not in self.types:
            return False
        if self.search:
            needle = self.search.casefold()
            haystack = f"{entry.id} {entry.name} {entry.email} {entry.alt_email} {entry.type} {entry.gss_code}"
            if needle not in haystack.casefold():
                return False
        return True


def parse_filters(kinds: Iterable[str] = (), jurisdictions: Iterable[str] = (), channels: Iterable[str] = (),
                  types: Iterable[str] = (), search: str = "", include_defunct: bool = False) -> Filters:
    """Filters from command-line values (each may be repeated or comma-separated), every value checked."""

    def split(values: Iterable[str], allowed: Sequence[str] | None, what: str) -> tuple[str, ...]:
        out: list[str] = []
        for value in values:
            for part in value.split(","):
                part = part.strip()
                if not part:
                    continue
                if allowed is not None and part not in allowed:
                    raise InputError(f"{what} {part!r} is not one of {', '.join(allowed)}")
                out.append(part)
        return tuple(out)

    return Filters(split(kinds, KINDS, "kind"), split(jurisdictions, JURISDICTIONS, "jurisdiction"),
                   split(channels, CHANNELS, "channel"), split(types, None, "type"), search.strip(),
                   include_defunct)


@dataclass
class Pick:
    """A campaign's list: the bodies chosen and those left out, each with the reason."""

    chosen: list[Entry]
    left_out: list[tuple[Entry, str]]

    def by_channel(self) -> Counter[str]:
        return Counter(entry.sending_channel for entry in self.chosen)


# -- reading ----------------------------------------------------------------------------------------------

def shipped_register_text() -> str:
    return (resources.files("foibot") / "data" / "register.csv").read_text(encoding="utf-8")


def load_register(path: str | Path | None = None) -> list[Entry]:
    """The shipped register, or the one at `path`; InputError naming the file and line of any bad row."""
    if path is None:
        return parse_register(shipped_register_text(), "register.csv (shipped)")
    file = Path(path)
    return parse_register(read_csv_text(file), str(file))


def parse_register(text: str, source: str) -> list[Entry]:
    rows = _read_rows(text, source, COLUMNS)
    entries = [_entry(values, line) for line, values in rows]
    return _checked(entries, source)


def _checked(entries: list[Entry], source: str) -> list[Entry]:
    problems = check_register(entries, source)
    if problems:
        raise problems_error(source, problems)
    return entries


def load_own_rows(path: str | Path) -> list[Entry]:
    """A campaigner's own rows (at least id, name, kind, jurisdiction, and an email, form_url or
    postal_address), in the register's columns; the channel is worked out when not given."""
    file = Path(path)
    source = str(file)
    rows = _read_rows(read_csv_text(file), source, OWN_REQUIRED)
    entries = []
    for line, values in rows:
        values = {k: v for k, v in values.items() if k in COLUMNS}
        if not values.get("channel"):
            values["channel"] = _channel_from(values)
        values.setdefault("source", f"added by the campaigner ({file.name})")
        if not values["source"]:
            values["source"] = f"added by the campaigner ({file.name})"
        values.setdefault("dataset", "own")
        if not values.get("regime"):
            values["regime"] = "foisa" if values.get("jurisdiction") == "scotland" else "foia"
        entries.append(_entry(values, line))
    return _checked(entries, source)


def _channel_from(values: dict[str, str]) -> str:
    email, form, post = (values.get(k, "").strip() for k in ("email", "form_url", "postal_address"))
    if email and form:
        return "email_or_form"
    if email:
        return "email"
    if form:
        return "web_form"
    return "post" if post else "unknown"


def _read_rows(text: str, source: str, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    table = CsvTable(text, source, required)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for line, row in table.rows():
            cell_count = table.cell_count_problem(line, row)
            if cell_count:
                raise InputError(cell_count)
            rows.append((line, {k: v.strip() for k, v in zip(table.header, row)}))
    except csv.Error as exc:
        raise InputError(table.broken(exc)) from exc
    return rows


def _entry(values: dict[str, str], line: int) -> Entry:
    names = {f.name for f in fields(Entry)} - {"line", "defunct"}
    kwargs = {k: v for k, v in values.items() if k in names}
    defunct = values.get("defunct", "").lower() in ("yes", "true", "1")
    return Entry(**kwargs, defunct=defunct, line=line)


# -- checking ---------------------------------------------------------------------------------------------

def check_register(entries: Sequence[Entry], source: str = "register.csv") -> list[str]:
    """Every problem with a set of rows, as `source:line: problem` (empty when the rows are sound)."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for e in entries:
        where = f"{source}:{e.line}"
        bad = [name for name, value in e.as_row().items() if has_control(value)]
        if bad:
            problems.append(f"{where}: {', '.join(bad)} contains a newline or control character")
        row_problems = [p for p in [id_problem(e.id, seen, e.line)] if p]
        if not e.name:
            row_problems.append("name is empty")
        row_problems += not_one_of([("kind", e.kind, KINDS), ("jurisdiction", e.jurisdiction, JURISDICTIONS),
                                    ("channel", e.channel, CHANNELS)])
        problems.extend(f"{where}: {p}" for p in row_problems)
        for column in ("email", "alt_email"):
            value = getattr(e, column)
            if value:
                try:
                    check_address(value)
                except AddressError as exc:
                    problems.append(f"{where}: {column} {exc}")
        if e.channel in ("email", "email_or_form") and not e.email:
            problems.append(f"{where}: channel {e.channel} needs an email")
        if e.channel in ("web_form", "email_or_form") and not e.form_url:
            problems.append(f"{where}: channel {e.channel} needs a form_url")
        if e.form_url and not _URL.match(e.form_url):
            problems.append(f"{where}: form_url {e.form_url!r} is not an http(s) address")
        if e.channel == "post" and not e.postal_address:
            problems.append(f"{where}: channel post needs a postal_address")
        if not e.source:
            problems.append(f"{where}: source is empty (every row says where its facts come from)")
        for flag in filter(None, e.address_flags.split(";")):
            if flag not in ADDRESS_FLAGS:
                problems.append(f"{where}: address flag {flag!r} is not one of {', '.join(ADDRESS_FLAGS)}")
    ids = set(seen)
    for e in entries:
        for successor in filter(None, e.successor.split(";")):
            if successor not in ids:
                problems.append(f"{source}:{e.line}: successor {successor!r} is not an id in the register")
    return problems


# -- choosing ---------------------------------------------------------------------------------------------

def merge_own(entries: Sequence[Entry], own: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The register with the campaigner's rows applied (a row with a register id replaces it), and the own
    rows that are new bodies (always picked: the campaigner chose them)."""
    by_id = {e.id: e for e in own}
    merged = [by_id.pop(e.id, e) for e in entries]
    return merged, list(by_id.values())


def select(entries: Iterable[Entry], filters: Filters) -> list[Entry]:
    return [e for e in entries if filters.matches(e)]


def pick(entries: Sequence[Entry], filters: Filters, own: Sequence[Entry] = (), known_only: bool = False) -> Pick:
    """A campaign's list from the register: the bodies the filters select (never a defunct one), plus the
    campaigner's new rows. Left out, with the reason: a body whose address another picked body already
    uses (the authorities CSV holds each mailbox once), and with `known_only` those with no known way in."""
    merged, extra = merge_own(entries, own)
    candidates = select(merged, replace(filters, include_defunct=False)) + [e for e in extra if not e.defunct]
    chosen: list[Entry] = []
    left_out: list[tuple[Entry, str]] = []
    mailboxes: dict[str, str] = {}
    for entry in candidates:
        if known_only and entry.channel == "unknown":
            left_out.append((entry, "no address, form or postal address known"))
            continue
        if entry.sending_channel == "email":
            key = entry.email.lower()
            if key in mailboxes:
                left_out.append((entry, f"its address {entry.email} is also {mailboxes[key]}'s"))
                continue
            mailboxes[key] = entry.id
        chosen.append(entry)
    return Pick(chosen, left_out)


def _csv(columns: Sequence[str], rows: Iterable[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def campaign_csv(chosen: Sequence[Entry]) -> str:
    """The campaign's authorities CSV (the columns `send` reads, then the register's facts)."""
    return _csv(CAMPAIGN_COLUMNS, (entry.campaign_row() for entry in chosen))


def register_csv(entries: Sequence[Entry]) -> str:
    return _csv(COLUMNS, (entry.as_row() for entry in entries))


def counts(entries: Iterable[Entry], column: str) -> Counter[str]:
    return Counter(str(getattr(e, column)) for e in entries)
