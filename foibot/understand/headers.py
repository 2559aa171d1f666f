"""A message's header values as the modern e-mail policy reads them, paying for its parser only where needed.

The standard library's header registry (`email.policy.default`) decodes RFC 2047 words and re-writes
addresses and dates, but costs 20-120 µs a header, and a reply carries 20-60 headers (Received, DKIM, ARC,
Exchange's X-MS-*), most of which foibot never reads. `HeaderBlock` keeps the raw values and gives the
registry's text for any of them on demand; for a plain value (ASCII, no encoded word, in a simple shape) it
computes that same text directly. tests/test_headers.py checks the shortcut against the registry.

Values the shortcut cannot vouch for go through the registry when the block is made, so what the registry
finds undecodable is in `defects` whichever headers are read later.
"""

# ruff: noqa: BLE001, S110 - the registry raises many exception types on hostile headers: a defect, never a crash.
from __future__ import annotations

import email.policy
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from email._policybase import Compat32
from email.header import decode_header, make_header
from email.headerregistry import (
    AddressHeader,
    DateHeader,
    HeaderRegistry,
    MessageIDHeader,
    UnstructuredHeader,
)
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any


class _Registry(HeaderRegistry):
    """The standard registry, but it makes each header class once (it makes a new class for every header)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[type, type] = {}

    def __getitem__(self, name: str) -> type:
        base = self.registry.get(name.lower(), self.default_class)
        made = self._made.get(base)
        if made is None:
            made = self._made[base] = type("_" + base.__name__, (base, self.base_class), {})
        return made


_REGISTRY = _Registry()
_POLICY = email.policy.default.clone(header_factory=_REGISTRY)
_LINESEP = re.compile(r"\n|\r")  # what the policy removes before parsing a value (email.policy.linesep_splitter)

# The shapes the shortcut handles, by registry class; anything else goes through the registry.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
# (the spaces before "<" belong to the display name: two optional runs in a row would backtrack on spaces)
_MAILBOX = re.compile(rf"[ \t]*(?:({_ADDR_SPEC})|(?:(?:({_ATOM}(?:[ \t]+{_ATOM})*)|\"([ !#-\[\]-~]*)\")[ \t]*)?"
                      rf"<({_ADDR_SPEC})>)[ \t]*(?:,|$)")
_SIMPLE_MSGID = re.compile(rf"[ \t]*<{_DOT_ATOM}@{_DOT_ATOM}>[ \t]*")
_TOKEN = r"[!#$&+.0-9A-Z^_`a-z|~-]+"  # RFC 2045 token less "*'%", which mark RFC 2231 parameters
_SIMPLE_MIME = re.compile(rf"[ \t]*{_TOKEN}(?:/{_TOKEN})?(?:(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"[ !#-\[\]-~]+\"))+"
                          rf"|[ \t]*;?)[ \t]*")  # a ";" after the last parameter: the registry drops it
_PARAMETER_NAME = re.compile(rf";[ \t]*({_TOKEN})=")
_SPECIALS = frozenset('()<>@,:;."[]')  # a display name with one of these is quoted (headerregistry.Address)
_UNFOLD = re.compile(r"[\r\n\u2028\u2029]+[ \t]*")
# The standard library's header parsers take time and memory that grow faster than the value (a Subject of
# unterminated encoded words: 8 KB 1 s, 32 KB 13 s; a long one of many words, hundreds of MB), so no value
# reaches them longer than this, nor with more encoded words than a real header has (RFC 2047 words are at
# most 75 characters: 64 of them are a long subject or a long list of named recipients).
MAX_HEADER_CHARS = 8192
MAX_ENCODED_WORDS = 64
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _kind_of(cls: type) -> str:
    if issubclass(cls, UnstructuredHeader):
        return "text"
    if issubclass(cls, AddressHeader):
        return "address"
    if issubclass(cls, DateHeader):
        return "date"
    if issubclass(cls, MessageIDHeader):
        return "msgid"
    return "mime"  # MIME-Version, Content-Type, Content-Disposition, Content-Transfer-Encoding


_KINDS = {name: _kind_of(cls) for name, cls in _REGISTRY.registry.items()}


def _kind(name: str) -> str:
    """How the registry reads a header of this (lower-case) name; any name it does not know is text."""
    return _KINDS.get(name, "text")


def bounded(raw: str) -> str:
    """The value cut to what the standard library's parsers may read (MAX_HEADER_CHARS, MAX_ENCODED_WORDS)."""
    if len(raw) > MAX_HEADER_CHARS:
        raw = raw[:MAX_HEADER_CHARS]
    if raw.count("=?") > MAX_ENCODED_WORDS:
        position = -1
        for _ in range(MAX_ENCODED_WORDS + 1):
            position = raw.find("=?", position + 1)
        raw = raw[:position]
    return raw


def header_text(value: object) -> str:
    """A header value as readable text: RFC 2047 words decoded where possible, never raising."""
    try:
        text = bounded(str(value))
    except Exception:  # a header object that cannot even print itself
        return ""
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except Exception:
            pass
    # One line of text: line breaks unfold to a space, and control characters (ESC, BEL, the C1 set) are
    # dropped, as they would drive the terminal that `foibot triage` and `status` print subjects on.
    return _CONTROL.sub("", _UNFOLD.sub(" ", text)).strip()


def _addresses_text(value: str) -> str | None:
    """The registry's text of a simple address list (it re-writes them), or None when the shape is not simple."""
    out: list[str] = []
    pos = 0
    while pos < len(value):
        found = _MAILBOX.match(value, pos)
        if not found:
            return None
        bare, phrase, quoted, addr = found.groups()
        if bare:
            out.append(bare)
        else:
            display = " ".join(phrase.split()) if phrase else (quoted or "")
            if display and not _SPECIALS.isdisjoint(display):
                display = f'"{display}"'
            out.append(f"{display} <{addr}>" if display else addr)
        pos = found.end()
    return ", ".join(out).strip() if out else None


def _date_text(value: str) -> str | None:
    """What the registry's DateHeader prints: the date re-written, the value itself when it is no date."""
    if not value:
        return ""
    try:
        moment = parsedate_to_datetime(value)
    except ValueError:
        return _CONTROL.sub("", value).strip()
    except Exception:  # the registry lets these through: let it decide
        return None
    return format_datetime(moment)


def _quick(kind: str, value: str) -> str | None:
    """The registry's text for a plain value (linesep characters already removed), or None if not plain."""
    if not value.isascii() or "=?" in value:
        return None
    if kind == "text":
        return _CONTROL.sub("", value).strip()
    if kind == "address":
        return _addresses_text(value)
    if kind == "date":
        return _date_text(value)
    if kind == "msgid":
        return value.strip() if _SIMPLE_MSGID.fullmatch(value) else None
    return None


def _unfolded(raw: str) -> str:
    return "".join(_LINESEP.split(raw)) if "\n" in raw or "\r" in raw else raw


def _simple(kind: str, value: str) -> bool:
    """Whether the registry is sure to read this value without a defect (so it may wait until asked for)."""
    if kind == "text":
        return value.isascii() and "=?" not in value
    if kind == "mime":  # the registry keeps one of a repeated parameter, the raw value both
        if not (value.isascii() and "=?" not in value and _SIMPLE_MIME.fullmatch(value)):
            return False
        names = [name.lower() for name in _PARAMETER_NAME.findall(value)]
        return len(names) == len(set(names))
    return _quick(kind, value) is not None


def registry_text(name: str, raw: str, defects: list[str] | None = None) -> str:
    """The header's text through the registry (the modern policy); an undecodable one is noted in defects."""
    try:
        return header_text(_POLICY.header_fetch_parse(name, raw))
    except Exception:
        if defects is not None:
            defects.append(f"undecodable {name} header")
        return header_text(raw)


class HeaderBlock(Mapping[str, list[str]]):
    """The raw headers of one message part: lower-case name -> decoded values, each decoded when first read."""

    def __init__(self, items: Iterable[tuple[str, Any]] = (), defects: list[str] | None = None):
        self.raw: list[tuple[str, str]] = []  # (name, raw value) as in the message
        self._text: dict[int, str] = {}  # position -> decoded text, for those decoded so far
        self._positions: dict[str, list[int]] = {}
        for name, raw in items:
            name, raw = str(name), raw if isinstance(raw, str) else str(raw)
            cut = bounded(raw)
            if len(cut) < len(raw):
                if defects is not None:
                    defects.append(f"{name[:40]} header too long ({len(raw)} characters): the first "
                                   f"{len(cut)} read")
                raw = cut
            position = len(self.raw)
            self.raw.append((name, raw))
            key = name.lower()
            self._positions.setdefault(key, []).append(position)
            kind = _kind(key)
            if kind in ("address", "date", "msgid"):  # _simple would work out the text: keep it
                text = _quick(kind, _unfolded(raw))
                self._text[position] = registry_text(name, raw, defects) if text is None else text
            elif not _simple(kind, _unfolded(raw)):
                self._text[position] = registry_text(name, raw, defects)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._positions

    def __getitem__(self, name: str) -> list[str]:
        positions = self._positions.get(name.lower()) if isinstance(name, str) else None
        if positions is None:
            raise KeyError(name)
        return [self._decoded(p) for p in positions]

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    def names(self) -> list[str]:
        return list(self._positions)

    def all(self, name: str) -> list[str]:
        """Every value of the header, decoded as the modern policy decodes it, in order ([] when absent)."""
        return [self._decoded(p) for p in self._positions.get(name.lower(), ())]

    def first(self, name: str) -> str | None:
        positions = self._positions.get(name.lower())
        return self._decoded(positions[0]) if positions else None

    def as_dict(self) -> dict[str, list[str]]:
        """All headers: lower-case name -> decoded values."""
        return {key: [self._decoded(p) for p in positions] for key, positions in self._positions.items()}

    def _decoded(self, position: int) -> str:
        text = self._text.get(position)
        if text is None:
            name, raw = self.raw[position]
            text = _quick(_kind(name.lower()), _unfolded(raw))
            if text is None:  # a simple MIME header: the registry reads it without a defect
                text = registry_text(name, raw)
            self._text[position] = text
        return text


# --- the MIME structure ---------------------------------------------------------------------------------

_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})


@functools.lru_cache(maxsize=4096)
def _mime_value(name: str, value: str) -> str:
    """A MIME header as the modern policy's Message.get gives it to the parameter parsing. A simple value
    reads the same raw (tests/test_headers.py); the registry may raise on an odd one, as it did before."""
    if _simple("mime", _unfolded(value)):
        return value
    return str(_POLICY.header_fetch_parse(name, bounded(value)))


class StructurePolicy(Compat32):
    """compat32's fast parser and Message objects, but the MIME headers (content type, boundary, charset,
    file name, transfer encoding) are read as the modern policy reads them, so the same MIME tree is built
    and the same parts decoded as with email.policy.default, at a fifth of the cost."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        lowered = name.lower()
        if lowered in _MIME_HEADERS:
            return _mime_value(lowered, value)
        return super().header_fetch_parse(name, value)


STRUCTURE_POLICY = StructurePolicy()
