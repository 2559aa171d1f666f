"""The authority's own reference for a request ("Our ref: 9645568", "ref CA226", "FOI 11611") (pure).

Found after a label ("Our ref", "Reference No:", "Request ID", Welsh "Ein cyf"), in the subject line, or as
the heading of a disclosure-log page. Never our own reference (FB-...), never "Your ref", never a phone
number, a date, a regulator's case number or a web address; two when the authority splits the request
("FOI-1 and FOI-2") or a review letter names the review's and the original request's ("Our ref: IR-58
(original request FOI-3321)").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..references import find_references
from .phrases import Anchored, Cues

# A reference token: letters, digits and / . - _ with at least one digit; or "FOI 11611" (a prefix, a space).
_PREFIX_REF = r"(?:FOI|FOIA|EIR|FOISA|EISR|IR|RFI|FOIR|CAS|DP|SAR|REQ|ATI|ATISN|IG)[ /_-]?\d[\w/.\-]*"
# Any capitals then a space and a number, written as one reference ("ATISN 16301", "DC/FOI 782/17",
# "FOI 2023 150"): case-sensitive, so that "page 12" or "Act 2000" is never one.
_SPACED_REF = r"(?-i:[A-Z][A-Z/]{1,7}) (?:\d[\d/\-]*\d|\d{3,})(?: \d{3,}(?![\w/]))?"
_TOKEN = rf"(?:{_SPACED_REF}|{_PREFIX_REF}|[A-Za-z0-9][\w/.\-]*\d[\w/.\-]*|\d+)"
_LABEL = re.compile(
    r"(?P<own>\b(?:your|eich)\s+)?"
    r"(?:\b(?:our|ein|my|fy)\s+)?"
    r"(?:\b(?:ref(?:erence)?s?|(?:cyf|nghyf)(?:eirnod)?|cais|case|request|enquiry|foi|foia|eir|foisa|ticket|call|incident|"
    r"complaint|review|tracking|log)\b\.?\s*(?:(?:no|nos|number|id|ref(?:erence)?|num|rhif)\b\.?\s*)?)"
    r"(?:is\s+)?(?:[:#]|\s[-–—](?=\s))?\s*"
    r"(?:(?:/\s*(?:our|ein)\s+ref(?:erence)?\.?\s*:?\s*)|(?:(?:information|freedom of information|request|requests|"
    r"enquiry|case|number|no\.?|ref(?:erence)?|the|above|following|unique|under|(?:foi|foia|eir)(?![ _-]?\d))"
    r"(?![\w])\s*:?\s*){0,4})"
    rf"(?P<token>{_TOKEN}(?:\s*(?:,|;|and|&|/)\s*{_TOKEN})*)",
    re.IGNORECASE,
)
_LABEL_GLUED = re.compile(r"\b(?i:our|ein)\s*(?i:ref)(?P<token>[A-Z]{2,5}/?\d[\w/.\-]*)")
# A plural label over one reference per body (a request made to two forces jointly): "REFERENCE NOs: West
# Force 10411 and East Force 10412". Each number follows the body's name.
_NAMED_REFS = re.compile(r"\b(?i:ref(?:erence)?s?\.?\s*(?:nos|numbers)\.?)\s*:?\s*(?P<list>(?:[A-Z][\w&'’.-]*\s+){1,5}"
                         r"\d{3,}+(?:[/-]\w++)*+(?:\s*(?:,|and|&)\s+(?:[A-Z][\w&'’.-]*\s+){1,5}\d{3,}+(?:[/-]\w++)*+){1,3})")
_NAMED_NUMBER = re.compile(r"(?<![\w/-])\d{3,}(?:[/-]\w+)*")
# "We have logged your request as FOI2023-456": no label, but a verb of logging and a reference's shape.
_LOGGED = re.compile(rf"\b(?i:logged|registered|recorded|allocated|given)\b[^.\n]{{0,40}}?\b(?i:as|under|with)\s+"
                     rf"(?P<token>{_SPACED_REF}|{_PREFIX_REF}|(?-i:(?:[A-Z]{{1,6}}[/\-_]){{1,3}}|[A-Z]{{1,6}})\d[\w/\-]*\d)")
_GLUED_OR_LOGGED = tuple((Anchored(pattern), Cues(pattern.pattern)) for pattern in (_LABEL_GLUED, _LOGGED))
_SPLIT = re.compile(r"(?<!\s)\s*(?:,|;|and|&)\s*|(?<!\s)\s+/\s+")  # (?<!\s): from a run's start only
_ICO_CASE = re.compile(r"^(?:FS5\d{7}|FER\d{7}|IC-\d+-[A-Z0-9]+|DN\d+)$", re.IGNORECASE)
# Dates, years and financial years ("2022/23", "2021-2022") are never a reference.
_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$|^\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}$|^(?:19|20)\d{2}$|"
                   r"^(?:19|20)\d{2}[/\-](?:\d{2}|(?:19|20)\d{2})$")
# The shape of our own reference (references.py: FB, then six symbols), whether or not its check character holds.
_OUR_SHAPE = re.compile(r"^[Ff][Bb][\-_/.:#]{0,3}[2-9A-Za-z]{6}$")
# What a published copy writes where the reference was taken out ("XXXX/2023", "[REDACTED]", "****1234").
_PLACEHOLDER = re.compile(r"(?i:x{3,})|[*#?█■_]{2,}|[*█■]|(?i:redact|withheld|removed)")
_PHONE = re.compile(r"^(?:\+?44|0)\d{9,10}$")
_NOT_REF_BEFORE = re.compile(r"(?:decision notice|commissioner'?s?|ico'?s?|tribunal|case law|tel(?:ephone)?|"
                             r"phone|fax|mobile|ext(?:ension)?|postcode|company|charity|registered|vat|"
                             r"sort code|account)\W{0,20}$", re.IGNORECASE)
# Letter groups before the number, one or several ("NR-", "FOI/HOU/", "FOI-BBC-"): a prefix naming the scheme,
# then the authority or the team.
_GROUPS = r"[A-Z]{1,6}(?:[/\-_][A-Z]{1,6}){0,3}"
_SUBJECT_TOKEN = re.compile(rf"(?<![\w-])(?P<token>{_PREFIX_REF}|{_GROUPS}[/\-]?\d{{2,}}(?:[/\-]\d+)*|"
                            r"\d{2,}[/\-]\d{2,}(?:[/\-]\d+)*|\d{4,})(?![\w-])")
# A page title or letter heading that carries the reference: "FOI 5974 – Car parking", "Informants - 1003/16",
# "Complaint in respect of ATISN 16363", "Drones (3300/18)", "Request for Information: ATISN 15980 – Coal tips".
_HEAD_TOKEN = (rf"(?:{_SPACED_REF}|{_PREFIX_REF}|{_GROUPS}[/\-_.]?(?:\d{{2,}}(?:[/\-.]\d+)+|\d{{3,}})|"
               r"\d{2,}[/\-]\d{2,}(?:[/\-]\d+)*|\d{3,})")
_HEAD_FIRST = re.compile(rf"^(?P<token>{_HEAD_TOKEN})(?=\s*$|\s+[-–—:(]|\s+[A-Z])")
_HEAD_LAST = re.compile(rf"(?:[-–—:(]|\b(?i:of|requests?|enquiry|case|complaint|review|information|ref(?:erence)?))"
                        rf"\s*(?P<token>{_HEAD_TOKEN})\)?\s*$")
_HEAD_AFTER_LABEL = re.compile(rf"^(?i:(?:foi |information |freedom of information )?(?:request|enquiry|case|"
                               rf"complaint)s?(?: for information)?(?: in respect of)?)\s*(?:[-–—:]\s*)?"
                               rf"(?P<token>{_HEAD_TOKEN})(?![\w/])")
# A heading line about a company, a charity, a telephone: its number is not a reference.
_NOT_REF_LINE = re.compile(r"\b(?:registered|registration|company|charity|vat|tel(?:ephone)?|phone|fax|mobile|"
                           r"sort code|account|isbn|issn|table|figure|page)\b", re.IGNORECASE)
# A bulleted line ("- 2018/2019 – 260") is a row of figures, never a title; nor is a street address.
_LIST_ITEM = re.compile(r"[-–•·*]\s")
_ADDRESS = re.compile(r"\d{1,4}[A-Za-z]?,? (?-i:[A-Z][a-z]+)(?: (?-i:[A-Z][a-z]+)){0,3},?$")
# A subject line printed above the letter ("Subject: FOI-BBC-4471 Response"): its value is read as a heading.
_SUBJECT_LINE = re.compile(r"^(?:(?i:subject|re|fwd?)\s*:\s*)+")
# A web address is never a label or a heading: ".../foi-disclosure-log/FOI-HOU-24-0962" names another request.
# What marks one ("://", "www.", a domain's ending then a path); the address is the run of non-spaces holding it.
_URL_MARK = re.compile(r"(?i)://|www\.|\.(?:uk|com|org|net|gov|scot|wales|cymru)/")
_NON_SPACES = re.compile(r"\S*")
# Words that say a second reference is the original request's or the review's ("Original request reference:",
# "(original request 2024-1402)", "Internal review reference:", "Review ref:"); a review's reference "IR-24-058".
_REVIEW_OR_ORIGINAL = re.compile(r"\b(?:original(?:\s+(?:foi|foia|eir|foisa|information|request|ref(?:erence)?))*|"
                                 r"(?:internal\s+)?review(?:\s+(?:request|ref(?:erence)?|no|number))*)\W*$",
                                 re.IGNORECASE)
_REVIEW_TOKEN = re.compile(r"^IR(?:[ /_\-]?\d|[/_\-][A-Z])")
HEADING_LINES = 10
MAX_HEADING = 120


def _clean(token: str) -> str:
    return token.strip().rstrip(".,;:)]}'\"").lstrip("([{'\"")


def _without_urls(text: str) -> str:
    """The text with each web address blanked (linear: each run of non-spaces is read at most twice)."""
    if "/" not in text:
        return text
    pieces: list[str] = []
    last = 0
    for mark in _URL_MARK.finditer(text):
        if mark.start() < last:
            continue  # inside the address just blanked
        start = max(last - 1, text.rfind(" ", last, mark.start()), text.rfind("\n", last, mark.start()),
                    text.rfind("\t", last, mark.start())) + 1
        pieces += (text[last:start], " ")
        last = _NON_SPACES.match(text, mark.end()).end()  # type: ignore[union-attr]
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _acceptable(token: str, before: str = "") -> bool:
    if not token or len(token) < 3 or len(token) > 40:
        return False
    if not re.search(r"\d", token):
        return False
    if find_references(token) or _OUR_SHAPE.match(token):  # ours, even with its check character mistyped
        return False
    if _PLACEHOLDER.search(token):
        return False
    if _ICO_CASE.match(token) or _DATE.match(token) or _PHONE.match(token.replace(" ", "")):
        return False
    if _NOT_REF_BEFORE.search(before):
        return False
    return not re.fullmatch(r"\d{1,2}", token)


_LABEL_CUE = re.compile(r"ref|cyf|nghyf|rhif|cais|case|request|enquiry|foi|eir|ticket|call|incident|complaint|review|tracking|"
                        r"log|no\.|number|id\b|#")


def _label_lines(text: str) -> str:
    """Only the lines that could hold a label, and the line after each (the label regex is slow over a whole
    letter); lines that were apart are kept apart by an empty line."""
    lines = text.split("\n")
    # One scan of the whole text, not one per line (a cue never spans two lines): the lines with a cue, in order.
    lowered = text.lower()
    wanted: list[int] = []
    line_number = position = 0
    cue = _LABEL_CUE.search(lowered)
    while cue is not None:  # a line's first cue, then on from the end of its line (not every cue of a line)
        line_number += lowered.count("\n", position, cue.start())
        wanted.append(line_number)
        position = lowered.find("\n", cue.start())
        if position == -1:
            break
        cue = _LABEL_CUE.search(lowered, position)
    keep: set[int] = set()
    for n in wanted:
        keep.add(n)
        # and the lines after it up to the next that is not empty: a label alone on its line ("Our Ref:")
        # has its value below, sometimes after an empty line
        following = n + 1
        while following < len(lines) and following <= n + 3:
            keep.add(following)
            if lines[following].strip():
                break
            following += 1
    out: list[str] = []
    previous = -2
    for n in sorted(keep):
        if n != previous + 1:
            out.append("")
        out.append(lines[n])
        previous = n
    return "\n".join(out)


_KEYWORD = re.compile(r"ref|cyf|nghyf|cais|case|request|enquiry|foi|eir|ticket|call|incident|complaint|review|tracking|log")
# "Your ref" is the requester's (ours); "Our ref", "Ein cyf", and the officer's "My ref" / "Fy nghyf" are theirs.
_OWNER_BEFORE = re.compile(r"(?:\b(?:your|eich)\s+)?(?:\b(?:our|ein|my|fy)\s+)?\Z", re.IGNORECASE)
# Every reference holds a digit, and between a label word and the reference's first digit _LABEL allows only
# letters, spaces and `. : # / - – —`: a label word from which no digit is so reached ("your request for
# information, ...") cannot start a label, and is passed over without trying _LABEL (costly when it fails).
_NO_DIGIT_RUN = re.compile(r"(?:[^\W\d]|[\s.:#/\-–—])*+")
_DIGIT = re.compile(r"\d")


def _label_matches(text: str) -> list[re.Match[str]]:
    """_LABEL tried only where a label word starts (scanning a letter with it everywhere is slow)."""
    lowered = text.lower()
    matches: list[re.Match[str]] = []
    end = 0
    run_end, digit_after = -1, False  # the last run scanned ends at run_end; is a digit there?
    for keyword in _KEYWORD.finditer(lowered):
        start = keyword.start()
        if start < end or (start and lowered[start - 1].isalnum()):
            continue
        if start >= run_end:  # (a label word inside the last run shares its end: each character is read once)
            run_end = _NO_DIGIT_RUN.match(text, start).end()  # type: ignore[union-attr]
            digit_after = _DIGIT.match(text, run_end) is not None
        if not digit_after:
            continue
        owner = _OWNER_BEFORE.search(text, max(0, start - 16), start)
        match = _LABEL.match(text, owner.start() if owner else start)
        if match:
            matches.append(match)
            end = match.end()
    return matches


def _from_labels(text: str) -> list[tuple[str, bool]]:
    """Each labelled reference, and whether it is vouched for as a second one of the same request: split from
    another in one label ("FOI-24-3321 / IR-24-058"), or said to be the original request's or the review's."""
    found: list[tuple[str, bool]] = []
    seen: set[str] = set()

    def add(token: str, vouched: bool = False) -> None:
        if token not in seen:
            seen.add(token)
            found.append((token, vouched))
    text = _without_urls(_label_lines(text))  # (the lines that could hold a label: fewer to clear of addresses)
    for match in _label_matches(text):
        label = match.group(0)[: match.start("token") - match.start()]
        # "Your ref:" heads the requester's reference (ours); "your reference number is 123" and "your request
        # reference: 123" give theirs.
        if (match.group("own") and re.match(r"(?i)(?:your|eich)\s+(?:ref|cyf)", label)
                and not re.search(r"(?i)\bis\s*$", label)):
            continue
        before = text[max(0, match.start() - 40):match.start()]
        if re.search(r"\byour\s+(?:request\s+)?$", before, re.IGNORECASE):
            continue
        # What the label says a reference is: the original request's, the review's ("Original FOI reference:")
        said = bool(_REVIEW_OR_ORIGINAL.search(before.rsplit("\n", 1)[-1] + label))
        if not re.search(r"(?i)ref|cyf|\bno\b|number|rhif|\bid\b|#|:", label) and not re.match(
                rf"(?i)\s*{_PREFIX_REF}", match.group("token")) and not (
                re.search(r"(?i)(?:freedom of information|\bfoi|\beir|information)\s*$", before)
                and re.match(r"(?i)\s*request", label) and re.fullmatch(r"(?:[A-Z]{1,4}\d{4,}|\d{3,})", _clean(match.group("token")))
                and not re.fullmatch(r"(?:19|20)\d\d", match.group("token"))) and not (
                said and re.match(r"(?i)\s*request\s*$", label)):
            continue  # "request 2019" is prose; a label needs ref/no/number/id/# or a colon (or, in a review
            # letter, "original request": "(original request 2024-1402)")
        if re.match(r"\s*email\]", text[match.end():]):
            continue  # "[FOI #123456 email]": a request site's placeholder for an address
        tokens = [_clean(t) for t in _SPLIT.split(match.group("token"))]
        tokens = [t for t in tokens if _acceptable(t, before)]
        for n, token in enumerate(tokens):
            add(token, said or n > 0 or bool(_REVIEW_TOKEN.match(token)))
    for match in _NAMED_REFS.finditer(text):  # "Reference Nos: West Force 10411 and East Force 10412"
        for token in _NAMED_NUMBER.findall(match.group("list")):
            token = _clean(token)
            if _acceptable(token):
                add(token, True)
    lowered = text.lower()
    for pattern, cues in _GLUED_OR_LOGGED:
        if cues.absent_from(text, lowered):  # no "our"/"ein" and "ref", no verb of logging: nothing to find
            continue
        for match in pattern.finditer(text, lowered):
            token = _clean(match.group("token"))
            if _acceptable(token):
                add(token)
    return found


def _from_headings(text: str) -> list[str]:
    """References in the first short lines: a page title, a heading above the letter."""
    lines: list[str] = []
    for line in text.split("\n"):  # the first non-empty lines only, not every line of a long letter
        if line.strip():
            lines.append(_SUBJECT_LINE.sub("", _without_urls(line).strip().strip("*#").strip()))
            if len(lines) == HEADING_LINES:
                break
    found: list[str] = []
    for line in lines:
        if len(line) > MAX_HEADING or _NOT_REF_LINE.search(line) or _LIST_ITEM.match(line):
            continue
        for pattern in (_HEAD_FIRST, _HEAD_AFTER_LABEL, _HEAD_LAST):
            match = pattern.search(line)
            if match:
                if pattern is _HEAD_FIRST and _ADDRESS.match(line):
                    continue  # "102 Petty France": a street address heads the letter, not a reference
                token = _clean(match.group("token"))
                if _acceptable(token, line[:match.start("token")]) and token not in found:
                    found.append(token)
                break
    return found


def _from_subject(subject: str) -> list[tuple[str, bool]]:
    subject = _without_urls(subject)
    labelled = _from_labels(subject)
    if labelled:
        return labelled
    found: list[str] = []
    for match in _SUBJECT_TOKEN.finditer(subject):
        token = _clean(match.group("token"))
        before = subject[max(0, match.start() - 30):match.start()]
        if (_acceptable(token, before) and not re.search(r"(?i)\b(?:act|regulations?)\s*$", before)
                and token not in found):
            found.append(token)
    return [(token, False) for token in found]


def _shape(token: str) -> str:
    """A reference's shape less its letter prefix: FOI2024/84126 and IR2024/93909 (a request and its review)
    are alike, 1234567 and SE/FOI/36096 are not."""
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", re.sub(r"^[A-Za-z]{1,8}[ /_\-]?(?=\d)", "", token)))


def find_authority_refs(texts: Iterable[str], subject: str = "") -> tuple[str, ...]:
    """The authority's reference(s): labelled ones in the texts first, then the subject, then headings."""
    candidates: list[tuple[str, bool]] = []
    texts = list(dict.fromkeys(texts))  # the same text twice (no thread below the reply) is read once
    for text in texts:
        candidates = _from_labels(text)
        if candidates:
            break
    if not candidates:
        candidates = _from_subject(subject)
    if not candidates:
        for text in texts:
            candidates = [(token, False) for token in _from_headings(text)]
            if candidates:
                break
    if not candidates:
        return ()
    # Several different labelled numbers: keep the first, and others only when shaped like it (a split request)
    # or vouched for (split from another in one label, or named the original request's or the review's).
    first = candidates[0][0]
    kept = [first] + [c for c, vouched in candidates[1:] if (vouched or _shape(c) == _shape(first)) and c != first]
    return tuple(kept[:4])
