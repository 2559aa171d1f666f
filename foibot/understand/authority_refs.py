"""The authority's own reference for a request ("Our ref: 9645568", "ref CA226", "FOI 11611") (pure).

Found after a label ("Our ref", "Reference No:", "Request ID", Welsh "Ein cyf"), in the subject line, or as
the heading of a disclosure-log page. Never our own reference (FB-...), never "Your ref", never a phone
number, a date or a regulator's case number; two when the authority splits the request ("FOI-1 and FOI-2").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..references import find_references

# A reference token: letters, digits and / . - _ with at least one digit; or "FOI 11611" (a prefix, a space).
_PREFIX_REF = r"(?:FOI|FOIA|EIR|FOISA|EISR|IR|RFI|FOIR|CAS|DP|SAR|REQ|ATI|IG)[ /-]?\d[\w/.\-]*"
_TOKEN = rf"(?:{_PREFIX_REF}|[A-Za-z0-9][\w/.\-]*\d[\w/.\-]*|\d+)"
_LABEL = re.compile(
    r"(?P<own>\b(?:your|eich|my)\s+)?"
    r"(?:\b(?:our|ein)\s+)?"
    r"(?:\b(?:ref(?:erence)?s?|cyf(?:eirnod)?|case|request|enquiry|foi|foia|eir|foisa|ticket|call|incident|"
    r"complaint|review|tracking|log)\b\.?\s*(?:(?:no|nos|number|id|ref(?:erence)?|num)\b\.?\s*)?)"
    r"(?:is\s+)?(?:[:#]|\s[-–—](?=\s))?\s*"
    r"(?:(?:/\s*(?:our|ein)\s+ref(?:erence)?\.?\s*:?\s*)|(?:(?:information|freedom of information|request|requests|"
    r"enquiry|case|number|no\.?|ref(?:erence)?|the|above|following|unique|under|(?:foi|foia|eir)(?![ -]?\d))"
    r"\s*:?\s*){0,4})"
    rf"(?P<token>{_TOKEN}(?:\s*(?:,|and|&|/)\s*{_TOKEN})*)",
    re.IGNORECASE,
)
_LABEL_GLUED = re.compile(r"\b(?i:our|ein)\s*(?i:ref)(?P<token>[A-Z]{2,5}/?\d[\w/.\-]*)")
_SPLIT = re.compile(r"(?<!\s)\s*(?:,|and|&)\s*|(?<!\s)\s+/\s+")  # (?<!\s): from a run's start only
_ICO_CASE = re.compile(r"^(?:FS5\d{7}|FER\d{7}|IC-\d+-[A-Z0-9]+|DN\d+)$", re.IGNORECASE)
_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$|^\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}$|^(?:19|20)\d{2}$")
_PHONE = re.compile(r"^(?:\+?44|0)\d{9,10}$")
_NOT_REF_BEFORE = re.compile(r"(?:decision notice|commissioner'?s?|ico'?s?|tribunal|case law|tel(?:ephone)?|"
                             r"phone|fax|mobile|ext(?:ension)?|postcode|company|charity|registered|vat|"
                             r"sort code|account)\W{0,20}$", re.IGNORECASE)
_SUBJECT_TOKEN = re.compile(rf"(?<![\w-])(?P<token>{_PREFIX_REF}|[A-Z]{{1,6}}[/\-]?\d{{2,}}(?:[/\-]\d+)*|"
                            r"\d{2,}[/\-]\d{2,}(?:[/\-]\d+)*|\d{4,})(?![\w-])")
_HEADING_ALONE = re.compile(rf"^\s*(?P<token>{_PREFIX_REF}|[A-Z]{{1,6}}[/\-]?\d{{3,}}(?:[/\-.]\d+)*)\s*$")
_HEADING_START = re.compile(rf"^\s*(?P<token>{_PREFIX_REF})\b")
_HEADING_LABEL = re.compile(r"^\s*(?:foi |information |freedom of information )?(?:request|enquiry|case)s?\s+"
                            r"(?:no\.?\s*|number\s*)?(?P<token>[A-Z]{0,5}[/\-]?\d{2,}(?:[/\-]\d+)*)\b", re.IGNORECASE)
_HEADING_END = re.compile(r"\((?P<token>[A-Z]{0,5}[/\-]?\d{2,}[/\-]\d{2,}(?:[/\-]\d+)*)\)\s*$", re.IGNORECASE)
# "Information requests - 889/18", "Request for information - CAS-123456-X1Y2", "Your request - EIR 2022/114"
_HEADING_DASH = re.compile(rf"\b(?:requests?|enquiry|information|foi|eir)\s*[-–:]\s*(?P<token>{_PREFIX_REF}|"
                           r"[A-Za-z]{0,6}[/\-]?\d[\w/.\-]*\d[\w/.\-]*)\s*$", re.IGNORECASE)


def _clean(token: str) -> str:
    return token.strip().rstrip(".,;:)]}'\"").lstrip("([{'\"")


def _acceptable(token: str, before: str = "") -> bool:
    if not token or len(token) < 3 or len(token) > 40:
        return False
    if not re.search(r"\d", token):
        return False
    if find_references(token):  # ours
        return False
    if _ICO_CASE.match(token) or _DATE.match(token) or _PHONE.match(token.replace(" ", "")):
        return False
    if _NOT_REF_BEFORE.search(before):
        return False
    return not re.fullmatch(r"\d{1,2}", token)


_LABEL_CUE = re.compile(r"ref|cyf|case|request|enquiry|foi|eir|ticket|call|incident|complaint|review|tracking|"
                        r"log|no\.|number|id\b|#")


def _label_lines(text: str) -> str:
    """Only the lines that could hold a label, and the line after each (the label regex is slow over a whole
    letter); lines that were apart are kept apart by an empty line."""
    lines = text.split("\n")
    wanted = [n for n, line in enumerate(text.lower().split("\n")) if _LABEL_CUE.search(line)]
    out: list[str] = []
    previous = -2
    for n in sorted({k for w in wanted for k in (w, w + 1) if k < len(lines)}):
        if n != previous + 1:
            out.append("")
        out.append(lines[n])
        previous = n
    return "\n".join(out)


_KEYWORD = re.compile(r"ref|cyf|case|request|enquiry|foi|eir|ticket|call|incident|complaint|review|tracking|log")
_OWNER_BEFORE = re.compile(r"(?:\b(?:your|eich|my)\s+)?(?:\b(?:our|ein)\s+)?\Z", re.IGNORECASE)


def _label_matches(text: str) -> list[re.Match[str]]:
    """_LABEL tried only where a label word starts (scanning a letter with it everywhere is slow)."""
    lowered = text.lower()
    matches: list[re.Match[str]] = []
    end = 0
    for keyword in _KEYWORD.finditer(lowered):
        start = keyword.start()
        if start < end or (start and lowered[start - 1].isalnum()):
            continue
        owner = _OWNER_BEFORE.search(text, max(0, start - 16), start)
        match = _LABEL.match(text, owner.start() if owner else start)
        if match:
            matches.append(match)
            end = match.end()
    return matches


def _from_labels(text: str) -> list[str]:
    found: list[str] = []
    text = _label_lines(text)
    for match in _label_matches(text):
        label = match.group(0)[: match.start("token") - match.start()]
        # "Your ref:" heads the requester's reference (ours); "your reference number is 123" and "your request
        # reference: 123" give theirs.
        if (match.group("own") and re.match(r"(?i)(?:your|eich|my)\s+(?:ref|cyf)", label)
                and not re.search(r"(?i)\bis\s*$", label)):
            continue
        before = text[max(0, match.start() - 40):match.start()]
        if re.search(r"\byour\s+(?:request\s+)?$", before, re.IGNORECASE):
            continue
        if not re.search(r"(?i)ref|cyf|\bno\b|number|\bid\b|#|:", label) and not re.match(
                rf"(?i)\s*{_PREFIX_REF}", match.group("token")) and not (
                re.search(r"(?i)(?:freedom of information|\bfoi|\beir|information)\s*$", before)
                and re.match(r"(?i)\s*request", label) and re.fullmatch(r"\d{3,}", match.group("token"))
                and not re.fullmatch(r"(?:19|20)\d\d", match.group("token"))):
            continue  # "request 2019" is prose; a label needs ref/no/number/id/# or a colon
        if re.match(r"\s*email\]", text[match.end():]):
            continue  # "[FOI #123456 email]": a request site's placeholder for an address
        tokens = [_clean(t) for t in _SPLIT.split(match.group("token"))]
        tokens = [t for t in tokens if _acceptable(t, before)]
        for token in tokens:
            if token not in found:
                found.append(token)
    for match in _LABEL_GLUED.finditer(text):
        token = _clean(match.group("token"))
        if _acceptable(token) and token not in found:
            found.append(token)
    return found


def _from_headings(text: str) -> list[str]:
    lines = [line for line in text.split("\n") if line.strip()][:4]
    found: list[str] = []
    for n, line in enumerate(lines):
        line = line.strip().strip("*#").strip()
        for pattern in (_HEADING_ALONE, _HEADING_START, _HEADING_LABEL, _HEADING_DASH) + (
                (_HEADING_END,) if n == 0 else ()):
            match = pattern.search(line)
            if match:
                token = _clean(match.group("token"))
                if _acceptable(token) and token not in found:
                    found.append(token)
                break
    return found


def _from_subject(subject: str) -> list[str]:
    found = _from_labels(subject)
    if found:
        return found
    for match in _SUBJECT_TOKEN.finditer(subject):
        token = _clean(match.group("token"))
        before = subject[max(0, match.start() - 30):match.start()]
        if (_acceptable(token, before) and not re.search(r"(?i)\b(?:act|regulations?)\s*$", before)
                and token not in found):
            found.append(token)
    return found


def _shape(token: str) -> str:
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", token))


def find_authority_refs(texts: Iterable[str], subject: str = "") -> tuple[str, ...]:
    """The authority's reference(s): labelled ones in the texts first, then the subject, then headings."""
    candidates: list[str] = []
    texts = list(dict.fromkeys(texts))  # the same text twice (no thread below the reply) is read once
    for text in texts:
        candidates = _from_labels(text)
        if candidates:
            break
    if not candidates:
        candidates = _from_subject(subject)
    if not candidates:
        for text in texts:
            candidates = _from_headings(text)
            if candidates:
                break
    if not candidates:
        return ()
    # Several different labelled numbers: keep the first, and others only when shaped like it (a split request).
    first = candidates[0]
    kept = [first] + [c for c in candidates[1:] if _shape(c) == _shape(first) and c != first]
    return tuple(kept[:4])
