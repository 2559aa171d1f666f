"""The exemptions a reply applies, normalised: `s43(2)`, `s12(1)`, `FOISA s17`, `EIR reg 12(5)(e)` (pure).

Only sections that are exemptions (FOIA ss.12, 14, 21-44; FOISA ss.12, 14, 17, 18(1), 25-41; EIR regs 12-13 but
not 12(1)-(2); EISR regs 10-11 but not 10(1)-(2)) count, so procedural sections (s1, s10, s16, s17 notices, s50) never
do; and only in the authority's own sentences, not hypothetical ("may apply"), not negated ("does not rely on
section 12", "neither section 24(2) nor section 31(3) was engaged", "section 40(2) does not apply").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .phrases import Cues
from .segments import Doc, Sentence

FOIA_SECTIONS = {12, 14} | set(range(21, 45))
# FOISA s18(1), the Scottish power to neither confirm nor deny, is cited beside the exemptions it rests on.
FOISA_SECTIONS = {12, 14, 17, 18} | set(range(25, 42))
EIR_REGULATIONS = {12, 13}
EISR_REGULATIONS = {10, 11}

_PART = r"\(\s*[0-9]{1,2}[A-Za-z]?\s*\)|\(\s*[a-z]{1,4}\s*\)"
_PARTS = rf"(?:\s?(?:{_PART}))*"
_SECTION = re.compile(
    rf"\b(?P<label>sections?|ss?\.|s(?=\s?\d)|sec\.?|§)\s?(?P<num>\d{{1,2}})(?P<parts>{_PARTS})(?![\d/])", re.IGNORECASE)
_REGULATION = re.compile(
    rf"\b(?P<label>regulations?|regs?\.?|r\.)\s?(?P<num>\d{{1,2}})(?P<parts>{_PARTS})(?![\d/])", re.IGNORECASE)
_EXCEPTION = re.compile(rf"\bexceptions? (?:at|under|in|of)?\s?(?P<num>1[0-3])(?P<parts>(?:\s?(?:{_PART}))+)", re.IGNORECASE)
_MORE = re.compile(rf"^\s*(?:,|and|&|or|/)\s*(?:(?:sections?|s\.?|regulations?|regs?\.?)\s?)?(?P<num>\d{{1,2}})?"
                   rf"(?P<parts>{_PARTS})", re.IGNORECASE)
# What a cited section is about, in brackets after it ("(national security)"), possibly left unclosed.
_DESCRIPTION = re.compile(r"^\s?\((?=[A-Za-z])[^()\d,;]{2,80}(?:\)|(?=[,;]))")
_NEGATED = re.compile(r"\b(?:(?:not|no longer|nor) (?:be )?(?:rel(?:y|ying|ied|ies)|relying|applying|apply|applied|"
                      r"engaged|cit(?:e|ing))(?: on| upon)?(?: the)?(?: exemption at| exemption in)?|"
                      r"not (?:consider|think|believe)(?: that)?|neither|nor)\s*$",
                      re.IGNORECASE)
# The negation after the citation ("section 40(2) does not apply", "sections 24(2) and 31(3) were not engaged",
# "section 43, but it is not engaged"), past the Act's name or a description in brackets.
_NEGATED_AFTER = re.compile(r"^\s*(?:\([^()]{0,60}\)\s*)?(?:of (?:the )?[A-Za-z][^.;,()]{0,60}?\s+)?(?:,\s*)?"
                            r"(?:(?:but|and|however,?) (?:it|this|that|they|these) )?"
                            r"(?:(?:is|are|was|were|does|do|did|has|have|had|would|will|could|can)(?:n't| not)|cannot)\s+"
                            r"(?:be\s+|been\s+|being\s+)?(?:engaged|appl(?:y|ied|icable)|relevant|rel(?:y|ied) (?:on|upon)|"
                            r"used|invoked|cited|met)\b", re.IGNORECASE)
# A range ("sections 28 to 35") describes the Act (which exemptions a power covers), not what is applied.
_RANGE = re.compile(r"^\s*(?:to\s+|[-\u2013]\s?)\d{1,2}(?![\d/])", re.IGNORECASE)
# EIR regulation 12(1) (when an exception may be relied on) and 12(2) (the presumption in favour of disclosure) are
# not exceptions, nor are their Scottish twins, EISR regulation 10(1) and 10(2): only 12(3)-(5) and 13 (10(3)-(5), 11).
_NOT_EXCEPTIONS = {("eir", 12, "(1)"), ("eir", 12, "(2)"), ("eisr", 10, "(1)"), ("eisr", 10, "(2)")}
_OTHER_ACT = re.compile(r"^[^.;]{0,40}\bof (?:the )?(?:data protection act|dpa\b|local government|"
                        r"localism|police (?:and|&) criminal|human rights|equality act|general data|gdpr|"
                        r"fees regulations|regulation of investigatory|representation of the people|"
                        r"road traffic|companies act|children act|crime and disorder|licensing act)", re.IGNORECASE)
_SCOTTISH_NEAR = re.compile(r"^[^.;]{0,60}\b(?:foisa|\(scotland\)|eisrs?)\b", re.IGNORECASE)
_UK_NEAR = re.compile(r"^[^.;]{0,60}\b(?:foia|freedom of information act 2000|the act 2000|eir\b|"
                      r"environmental information regulations 2004)", re.IGNORECASE)
_SCOTTISH_DOC = re.compile(r"\bfoisa\b|\bfreedom of information \(scotland\)|\beisrs?\b|\bscottish information "
                           r"commissioner\b|\benvironmental information \(scotland\)", re.IGNORECASE)
_ENGLISH_DOC = re.compile(r"\bfreedom of information act 2000\b|\bfoia\b(?! ?\(s)", re.IGNORECASE)
_EIR_DOC = re.compile(r"\benvironmental information regulations\b|\beirs?\b|\beisrs?\b", re.IGNORECASE)
# Their words, looked for first (most letters name none of them): the searches above run only where one is.
_DOC_CUES = {pattern: Cues(pattern.pattern) for pattern in (_SCOTTISH_DOC, _ENGLISH_DOC, _EIR_DOC)}


def _mentions(pattern: re.Pattern[str], text: str, lowered: str) -> bool:
    return not _DOC_CUES[pattern].absent_from(text, lowered) and bool(pattern.search(text))


_DIGIT = re.compile(r"\d")
# The sentence that thanks for the request and restates it ("Thank you for your email ..., requesting ... whether
# a section 43(2) exemption was applied"): the sections in it are the requester's subject, not applied.
_RESTATES_REQUEST = re.compile(r"^\W*thank you for your (?:e-?mail|request|letter|correspondence|enquiry)\b[^.]{0,300}?"
                               r"\b(?:requesting|in which you (?:asked|requested|sought)|asking (?:for|about|whether))\b",
                               re.IGNORECASE)


def _parts(text: str) -> list[str]:
    return [re.sub(r"\s", "", p).lower() for p in re.findall(_PART, text or "")]


_ROMAN = re.compile(r"\((?:i{1,3}|iv|vi{0,3}|ix|x{1,2}i{0,3}|xiv|xv)\)")


def _levels(parts: list[str]) -> list[str]:
    """Each part's level in the Act's layout: a number (subsection), a letter (paragraph), a roman numeral."""
    levels: list[str] = []
    for part in parts:
        if part[1].isdigit():
            levels.append("number")
        elif _ROMAN.fullmatch(part) and levels and levels[-1] in ("letter", "roman"):
            levels.append("roman")
        else:
            levels.append("letter")
    return levels


def _sibling(base: list[str], extra: list[str]) -> list[str]:
    """The parts of a continuing citation ("36(2)(b)(ii) and (c)"): its first part replaces the part of its own level
    in the one before (a letter after a letter, a roman numeral after a roman numeral), and all after it."""
    levels = _levels(base)
    if not extra:
        return list(base)
    if extra[0][1].isdigit():
        level = "number"
    elif _ROMAN.fullmatch(extra[0]) and "roman" in levels:
        level = "roman"
    else:
        level = "letter"
    if level in levels:
        return base[:levels.index(level)] + extra
    return base[: max(0, len(base) - len(extra))] + extra


def _format(regime: str, number: int, parts: list[str]) -> str:
    tail = "".join(parts)
    if regime == "foia":
        return f"s{number}{tail}"
    if regime == "foisa":
        return f"FOISA s{number}{tail}"
    if regime == "eir":
        return f"EIR reg {number}{tail}"
    return f"EISR reg {number}{tail}"


def normalise(text: str) -> str | None:
    """One citation as written ("Section 40 (2)", "reg 12(5)(e) EIR", "FOISA s.17") in normalised form."""
    scottish = bool(_SCOTTISH_DOC.search(text))
    found = list(_citations(text, scottish, eir_doc=bool(_EIR_DOC.search(text))))
    return found[0] if found else None


def _citations(text: str, scottish: bool, eir_doc: bool) -> Iterable[str]:
    spans: list[tuple[int, int, str, str, str]] = []  # start, end, kind, num, parts
    for match in _SECTION.finditer(text):
        spans.append((match.start(), match.end(), "section", match.group("num"), match.group("parts")))
    for match in _REGULATION.finditer(text):
        spans.append((match.start(), match.end(), "regulation", match.group("num"), match.group("parts")))
    for match in _EXCEPTION.finditer(text):
        if not any(s <= match.start() < e for s, e, *_ in spans):
            spans.append((match.start(), match.end(), "regulation", match.group("num"), match.group("parts")))
    spans.sort()
    for start, end, kind, num, parts_text in spans:
        if _NEGATED.search(text[max(0, start - 40):start]):
            continue
        after = text[end:end + 120]
        if _OTHER_ACT.match(after) or _RANGE.match(after):
            continue
        local_scottish = scottish
        if _SCOTTISH_NEAR.match(after):
            local_scottish = True
        elif _UK_NEAR.match(after):
            local_scottish = False
        items = [(int(num), _parts(parts_text))]
        rest = text[end:]
        while True:  # "sections 23(5), 24(2) and 31(3)", "31(1)(a) and (b)"
            description = _DESCRIPTION.match(rest)  # "24(2) (national security), 35(3) ..."
            if description:
                rest = rest[description.end():]
            more = _MORE.match(rest)
            if not more or not (more.group("num") or more.group("parts")):
                break
            if more.group("num"):
                items.append((int(more.group("num")), _parts(more.group("parts"))))
            else:
                base_num, base_parts = items[-1]
                items.append((base_num, _sibling(base_parts, _parts(more.group("parts")))))
            rest = rest[more.end():]
        if _NEGATED_AFTER.match(rest):
            continue
        for number, parts in items:
            if kind == "section":
                allowed = FOISA_SECTIONS if local_scottish else FOIA_SECTIONS
                if number in allowed:
                    yield _format("foisa" if local_scottish else "foia", number, parts)
            else:
                regime = "eisr" if local_scottish else "eir"
                allowed = EISR_REGULATIONS if local_scottish else EIR_REGULATIONS
                if number in allowed and (parts or eir_doc) and (regime, number, parts[0] if parts else "") \
                        not in _NOT_EXCEPTIONS:
                    yield _format(regime, number, parts)


def _list_context(sentences: list[Sentence], n: int) -> bool:
    """A short line listing a section ("Section 24(2) National Security") under a sentence that applies them."""
    sentence = sentences[n]
    if not sentence.line_start or len(sentence.text.split()) > 14:
        return False
    for k in range(n - 1, max(-1, n - 6), -1):
        prev = sentences[k]
        if prev.zone != "body":
            return False
        if prev.text.rstrip().endswith(":"):
            return True
        if not prev.line_start or len(prev.text.split()) > 14:
            return False
    return False


def applied_exemptions(doc: Doc, scottish: bool | None = None) -> tuple[str, ...]:
    """The exemptions the authority's own sentences apply, normalised, in order, most specific form only."""
    lowered = doc.text.lower()
    if scottish is None:
        scottish = _mentions(_SCOTTISH_DOC, doc.text, lowered) and not _mentions(_ENGLISH_DOC, doc.text, lowered)
    eir_doc = _mentions(_EIR_DOC, doc.text, lowered)
    found: list[str] = []
    for n, sentence in enumerate(doc.sentences):
        if not sentence.authority or not _DIGIT.search(sentence.text):
            continue
        if sentence.hypothetical and not _list_context(doc.sentences, n):
            continue
        if sentence.is_question and not sentence.numbered and sentence.text.rstrip().endswith("?"):
            continue
        if _RESTATES_REQUEST.match(sentence.text):
            continue
        for citation in _citations(sentence.text, scottish, eir_doc):
            if citation not in found:
                found.append(citation)
    return most_specific(found)


def most_specific(citations: list[str]) -> tuple[str, ...]:
    """Drop a bare citation when a more specific one of the same section is there (s23 beside s23(5))."""
    kept = []
    for citation in citations:
        if any(other != citation and other.startswith(citation + "(") for other in citations):
            continue
        kept.append(citation)
    return tuple(kept)


def parse_list(text: str) -> tuple[str, ...]:
    """A `;`-separated list as written in a label file or by a campaigner, each item normalised."""
    items = []
    for raw in re.split(r"[;,]", text or ""):
        raw = raw.strip()
        if not raw:
            continue
        if re.fullmatch(r"(?i)s\d{1,2}(\([0-9a-z]+\))*", raw):
            items.append("s" + raw[1:].lower())
            continue
        canonical = normalise(raw if re.search(r"(?i)section|regulation|reg\b|\bs\d", raw) else f"section {raw}")
        items.append(canonical or raw)
    return tuple(dict.fromkeys(items))
