"""Our reference for each request: short, unique, typo-tolerant, found again in mangled text (pure).

Shape: `FB-` then five characters from an alphabet with no 0/O, 1/I/L, then a check character.
The check character (weights 1..5, mod 31, a prime) catches every single substitution and every swap
of two neighbouring characters, so a mistyped reference is never read as somebody else's.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

PREFIX = "FB"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols: no 0 O 1 I L
PAYLOAD_LENGTH = 5
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

# Characters people and mail systems turn ours into: other scripts' look-alikes and the excluded digits.
_LOOKALIKES = str.maketrans(
    {
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "Р": "P", "С": "C", "Т": "T",
        "Х": "X", "У": "Y", "а": "A", "в": "B", "е": "E", "к": "K", "м": "M", "н": "H", "р": "P",
        "с": "C", "т": "T", "х": "X", "у": "Y", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H",
        "Κ": "K", "Μ": "M", "Ν": "N", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212_/.:"
# FB, optional separators/spaces, then 6 symbols possibly split by single spaces or dashes.
_SEP = r"[\s\-\u2010-\u2015\u2212_/.:#]{0,3}"
_SYMBOL = r"[2-9A-Za-z]"
_PATTERN = re.compile(
    rf"(?<![A-Za-z0-9])[Ff][Bb]{_SEP}((?:{_SYMBOL}[ \-]?){{{PAYLOAD_LENGTH}}}{_SYMBOL})(?![A-Za-z0-9])"
)


def check_char(payload: str) -> str:
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(payload))
    return ALPHABET[total % len(ALPHABET)]


def new_reference() -> str:
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
    return f"{PREFIX}-{payload}{check_char(payload)}"


def is_valid(reference: str) -> bool:
    code = reference.upper().removeprefix(f"{PREFIX}-")
    return (
        len(code) == PAYLOAD_LENGTH + 1
        and all(c in _VALUE for c in code)
        and check_char(code[:-1]) == code[-1]
    )


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return text


def _canonical(code: str) -> str | None:
    # A reference split by a space or dash ("7K3 Q9X") is read whole, but a lone symbol after a break is a
    # neighbouring word: "FB-7K3Q9 2 May" is a reference missing a character, never FB-7K3Q92.
    groups = re.split(r"[ -]", code)
    if len(groups) > 1 and len(groups[-1]) < 2:
        return None
    symbols = "".join(groups).upper()
    if len(symbols) != PAYLOAD_LENGTH + 1 or not all(c in _VALUE for c in symbols):
        return None
    reference = f"{PREFIX}-{symbols}"
    return reference if is_valid(reference) else None


def find_references(text: str) -> list[str]:
    """Every valid reference of ours in the text, in order of first appearance, canonical form."""
    found: list[str] = []
    for match in _PATTERN.finditer(_fold(text)):
        reference = _canonical(match.group(1))
        if reference and reference not in found:
            found.append(reference)
    return found


def plus_address(mailbox: str, reference: str) -> str:
    """campaigner@example.org + FB-7K3Q9X -> campaigner+fb-7k3q9x@example.org."""
    local, _, domain = mailbox.rpartition("@")
    return f"{local.partition('+')[0]}+{reference.lower()}@{domain}"


def reference_from_address(address: str) -> str | None:
    """The reference carried in a plus address, if any (tolerant of case)."""
    local = address.rpartition("@")[0]
    if "+" not in local:
        return None
    refs = find_references(local.partition("+")[2])
    return refs[0] if len(refs) == 1 else None
