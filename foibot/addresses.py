"""E-mail addresses and header values: strict checks so nothing from a CSV or template can inject a header
(pure)."""

from __future__ import annotations

import re

from .errors import AddressError

# A deliberately plain address syntax: what UK public authorities actually publish. No quoted local parts,
# no comments, no display names, no IP literals.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
_NOREPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|mailer[-_.]?daemon|postmaster|bounces?)\b",
                      re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")


def has_control(value: str) -> bool:
    return bool(_CONTROL.search(value))


def check_address(address: str) -> str:
    """The address, normalised (trimmed, domain lower-cased), or AddressError."""
    if has_control(address):
        raise AddressError(f"{address!r} contains a newline or control character")
    value = address.strip()
    if not value:
        raise AddressError("is empty")
    if len(value) > 254:
        raise AddressError(f"{value[:40]}... is longer than 254 characters")
    if not _ADDRESS.match(value):
        raise AddressError(f"{value!r} is not a valid e-mail address")
    if "=?" in value:  # mail readers decode it as RFC 2047 (=?utf-8?q?=0D=0A?= is a line break)
        raise AddressError(f"{value!r} contains '=?', which mail programs read as an encoded word")
    local, _, domain = value.rpartition("@")
    if len(local) > 64:
        raise AddressError(f"{value!r} has a local part longer than 64 characters")
    return f"{local}@{domain.lower()}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_noreply(address: str) -> bool:
    return bool(_NOREPLY.match(address.partition("@")[0]))


def same_mailbox(a: str, b: str) -> bool:
    """True for the same mailbox, ignoring case and any +tag (campaigner+fb-x@ is the campaigner)."""
    la, _, da = a.lower().rpartition("@")
    lb, _, db = b.lower().rpartition("@")
    return da == db and la.partition("+")[0] == lb.partition("+")[0]


def check_header_value(name: str, value: str) -> str:
    """A header value is one line of printable text; anything else is refused, never cleaned up silently."""
    if has_control(value.replace("\t", " ")):
        raise AddressError(f"the {name} header would contain a newline or control character")
    if len(value) > 900:
        raise AddressError(f"the {name} header would be longer than 900 characters")
    return value
