"""The authorities CSV: read, checked as a whole, every bad row reported with its line number."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .addresses import AddressError, check_address, has_control, is_noreply, same_mailbox
from .errors import InputError
from .files import read_text
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


class CsvTable:
    """A CSV file's header (stripped) and its rows, each with the line it starts on; InputError when the text
    is empty, not CSV, names a column twice or lacks one of `required`. Shared by the authorities CSV and the
    register, so both report a bad file the same way."""

    def __init__(self, text: str, source: str, required: Sequence[str]) -> None:
        self.source = source
        self._reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        try:
            header = [h.strip() for h in next(self._reader)]
        except StopIteration:
            raise InputError(f"{source}: the file is empty (expected a header row: {', '.join(required)})")
        except csv.Error as exc:
            raise InputError(f"{source}:1: not readable as CSV: {exc}") from exc
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{source}:1: missing column(s) {', '.join(missing)} (the header must name "
                             f"{', '.join(required)})")
        dupes = sorted({c for c in header if header.count(c) > 1})
        if dupes:
            raise InputError(f"{source}:1: column(s) named twice: {', '.join(dupes)}")
        self.header = header

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each row that is not blank, with its first line (a quoted cell may span lines: report the line
        the row starts on, as an editor shows it). A row that is not CSV raises csv.Error: see `broken`."""
        end_of_previous = self._reader.line_num
        for row in self._reader:
            line, end_of_previous = end_of_previous + 1, self._reader.line_num
            if any(cell.strip() for cell in row):
                yield line, row

    def cell_count_problem(self, line: int, row: Sequence[str]) -> str | None:
        if len(row) == len(self.header):
            return None
        return f"{self.source}:{line}: has {len(row)} cells, the header has {len(self.header)}"

    def broken(self, exc: csv.Error) -> str:
        return f"{self.source}:{self._reader.line_num}: not readable as CSV: {exc}"


def id_problem(ident: str, seen: dict[str, int], line: int) -> str | None:
    """Why `ident` cannot be a row's id (its form, or an earlier row has it); None records it as seen."""
    if not _ID.match(ident):
        return f"id {ident!r} must be lower-case letters, digits, '-', '_' or '.'"
    if ident in seen:
        return f"duplicate id {ident!r} (first on line {seen[ident]})"
    seen[ident] = line
    return None


def not_one_of(checks: Iterable[tuple[str, str, Sequence[str]]]) -> list[str]:
    """`what 'value' is not one of ...` for each (what, value, allowed) whose value is not allowed."""
    return [f"{what} {value!r} is not one of {', '.join(allowed)}" for what, value, allowed in checks
            if value not in allowed]


def problems_error(source: str, problems: Sequence[str], consequence: str = "") -> InputError:
    """One InputError listing the first 50 problems of a file (and how many more there are)."""
    more = f"\n... and {len(problems) - 50} more problems" if len(problems) > 50 else ""
    return InputError(f"{source} has {len(problems)} problem(s){consequence}:\n" + "\n".join(problems[:50]) + more)


def parse_authorities(text: str, source: str, own_address: str | None = None) -> list[Authority]:
    """All authorities, or an InputError that lists every bad row as `source:line: problem`."""
    table = CsvTable(text, source, REQUIRED_COLUMNS)
    columns = table.header
    problems: list[str] = []
    authorities: list[Authority] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    try:
        for line, row in table.rows():
            if len(authorities) + len(problems) >= MAX_ROWS:
                problems.append(f"{source}:{line}: more than {MAX_ROWS} rows")
                break
            cell_count = table.cell_count_problem(line, row)
            if cell_count:
                problems.append(cell_count)
                continue
            values = dict(zip(columns, row))
            bad = [name for name, value in values.items() if has_control(value)]
            if bad:
                problems.append(f"{source}:{line}: {', '.join(bad)} contains a newline or control character")
                continue
            values = {k: v.strip() for k, v in values.items()}
            ident = values["id"]
            row_problems = [p for p in [id_problem(ident, seen_ids, line)] if p]
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
            row_problems += not_one_of([("kind", values["kind"], KINDS),
                                        ("jurisdiction", values["jurisdiction"], JURISDICTIONS)])
            if row_problems:
                problems.extend(f"{source}:{line}: {p}" for p in row_problems)
                continue
            extra = {k: v for k, v in values.items() if k not in REQUIRED_COLUMNS}
            authorities.append(
                Authority(ident, values["name"], email, values["kind"], values["jurisdiction"], extra, line)
            )
    except csv.Error as exc:
        problems.append(table.broken(exc))
    if problems:
        raise problems_error(source, problems, "; nothing was sent")
    if not authorities:
        raise InputError(f"{source}: no authorities listed")
    return authorities


def read_csv_text(file: Path, what: str = "") -> str:
    """A CSV file's text: one InputError naming the file (and the line of a byte that is not UTF-8)."""
    return read_text(file, InputError, what, " (save the CSV as UTF-8)")


def load_authorities(path: str | Path, own_address: str | None = None) -> list[Authority]:
    file = Path(path)
    return parse_authorities(read_csv_text(file, "authorities file"), str(file), own_address)
