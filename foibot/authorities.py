"""The authorities CSV: read, checked as a whole, every bad row reported with its line number."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .addresses import AddressError, check_address, has_control, is_noreply, same_mailbox
from .errors import InputError
from .vocab import BY_HAND, CHANNELS

REQUIRED_COLUMNS = ("id", "name", "email", "kind", "jurisdiction")
KINDS = (
    "council",
    "combined_authority",
    "police_force",
    "police_commissioner",
    "fire_authority",
    "nhs_body",
    "government_department",
    "other_public_body",
)
JURISDICTIONS = ("england", "wales", "scotland", "northern_ireland", "uk")
# How a request reaches the authority (an optional `channel` column; empty means email). Only `email` goes by
# mail; the others are written out for the campaigner to send by hand (web form, post, or a way still to find).
_CHANNEL_ALIASES = {"": "email", "email_or_form": "email", "form": "web_form", "not_found": "unknown"}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Authority:
    id: str
    name: str
    email: str
    kind: str
    jurisdiction: str
    extra: dict[str, str] = field(default_factory=dict)
    line: int = 0

    @property
    def channel(self) -> str:
        value = self.extra.get("channel", "").strip().lower()
        return _CHANNEL_ALIASES.get(value, value)

    @property
    def by_hand(self) -> bool:
        return self.channel in BY_HAND

    @property
    def regime(self) -> str:
        """"foisa" for Scottish public authorities, "foia" for everyone else."""
        return "foisa" if self.jurisdiction == "scotland" else "foia"

    def as_template_data(self) -> dict[str, str]:
        data = dict(self.extra)
        data.update(id=self.id, name=self.name, email=self.email, kind=self.kind, jurisdiction=self.jurisdiction)
        return data


def parse_authorities(text: str, source: str, own_address: str | None = None) -> list[Authority]:
    """All authorities, or an InputError that lists every bad row as `source:line: problem`."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{source}: the file is empty (expected a header row: {', '.join(REQUIRED_COLUMNS)})")
    except csv.Error as exc:
        raise InputError(f"{source}:1: not readable as CSV: {exc}") from exc
    columns = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InputError(f"{source}:1: missing column(s) {', '.join(missing)} (the header must name "
                         f"{', '.join(REQUIRED_COLUMNS)})")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(f"{source}:1: column(s) named twice: {', '.join(dupes)}")
    problems: list[str] = []
    authorities: list[Authority] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    end_of_previous = reader.line_num
    try:
        for row in reader:
            # A quoted cell may span lines: report the line the row starts on, as an editor shows it.
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(authorities) + len(problems) >= MAX_ROWS:
                problems.append(f"{source}:{line}: more than {MAX_ROWS} rows")
                break
            if len(row) != len(columns):
                problems.append(f"{source}:{line}: has {len(row)} cells, the header has {len(columns)}")
                continue
            values = dict(zip(columns, row))
            bad = [name for name, value in values.items() if has_control(value)]
            if bad:
                problems.append(f"{source}:{line}: {', '.join(bad)} contains a newline or control character")
                continue
            values = {k: v.strip() for k, v in values.items()}
            row_problems = []
            ident = values["id"]
            if not _ID.match(ident):
                row_problems.append(f"id {ident!r} must be lower-case letters, digits, '-', '_' or '.'")
            elif ident in seen_ids:
                row_problems.append(f"duplicate id {ident!r} (first on line {seen_ids[ident]})")
            else:
                seen_ids[ident] = line
            if not values["name"]:
                row_problems.append("name is empty")
            raw_channel = values.get("channel", "").lower()
            channel = _CHANNEL_ALIASES.get(raw_channel, raw_channel)
            if channel not in CHANNELS:
                row_problems.append(f"channel {values['channel']!r} is not one of {', '.join(CHANNELS)}")
            email = ""
            if values["email"] or channel not in BY_HAND:
                try:
                    email = check_address(values["email"])
                except AddressError as exc:
                    row_problems.append(f"email {exc}" if values["email"] else
                                        "email is missing (or give channel web_form, post or unknown)")
            if email:
                local, _, domain = email.lower().rpartition("@")
                key = f"{local.partition('+')[0]}@{domain}"  # foi+x@ and foi@ are one mailbox
                if key in seen_emails:
                    row_problems.append(f"duplicate email {email} (first on line {seen_emails[key]})")
                elif is_noreply(email):
                    row_problems.append(f"email {email} is a no-reply address: nobody would read the request")
                elif own_address and same_mailbox(email, own_address):
                    row_problems.append(f"email {email} is our own address")
                else:
                    seen_emails[key] = line
            if values["kind"] not in KINDS:
                row_problems.append(f"kind {values['kind']!r} is not one of {', '.join(KINDS)}")
            if values["jurisdiction"] not in JURISDICTIONS:
                row_problems.append(
                    f"jurisdiction {values['jurisdiction']!r} is not one of {', '.join(JURISDICTIONS)}"
                )
            if row_problems:
                problems.extend(f"{source}:{line}: {p}" for p in row_problems)
                continue
            extra = {k: v for k, v in values.items() if k not in REQUIRED_COLUMNS}
            authorities.append(
                Authority(ident, values["name"], email, values["kind"], values["jurisdiction"], extra, line)
            )
    except csv.Error as exc:
        problems.append(f"{source}:{reader.line_num}: not readable as CSV: {exc}")
    if problems:
        shown = problems[:50]
        more = f"\n... and {len(problems) - 50} more problems" if len(problems) > 50 else ""
        raise InputError(f"{source} has {len(problems)} problem(s); nothing was sent:\n" + "\n".join(shown) + more)
    if not authorities:
        raise InputError(f"{source}: no authorities listed")
    return authorities


def read_csv_text(file: Path, what: str = "") -> str:
    """A CSV file's text: one InputError naming the file (and the line of a byte that is not UTF-8)."""
    label = f"{what} {file}" if what else str(file)
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{label} does not exist") from exc
    except OSError as exc:
        raise InputError(f"{label} cannot be read: {exc.strerror}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{file}:{line}: not UTF-8 text (save the CSV as UTF-8)") from exc


def load_authorities(path: str | Path, own_address: str | None = None) -> list[Authority]:
    file = Path(path)
    return parse_authorities(read_csv_text(file, "authorities file"), str(file), own_address)
