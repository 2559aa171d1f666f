"""The answer to each question, composed into the reply's outcome (pure).

Replies that answer question by question ("1. ... 2. ...", "Question 1:", "Q1") are read block by block: a
block's verdict is what its own sentences say (withheld, not held, an answer given, or an answer given for
part of it and the rest not held: earlier years, before a date), and the verdicts
make the outcome: all answered is information_provided, some answered and some withheld or not held is
partially_provided, none answered is not_held or refused. "No" answers a yes/no question ("Has the force
shared data? No."); to a request for records ("Please provide copies ... None.") it means nothing is held.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .segments import Sentence

# A question number at the start of a line: "1.", "1)", "(1)", "Q1", "Question 1:", "Part 2 -", "Request 3".
_MARKER = re.compile(r"^\s*(?:(?:q|question|part|point|request|item)\s*\.?\s*(?P<a>\d{1,2})\b\s*[:.)\-–]?|"
                     r"\(?(?P<b>\d{1,2})\s*[.):](?!\d))\s*", re.IGNORECASE)
_YES_NO_QUESTION = re.compile(r"^\s*(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should|"
                              r"please confirm (?:if|whether)|confirm (?:if|whether)|whether)\b", re.IGNORECASE)
_SHORT_NEGATIVE = re.compile(r"^\s*(?:answer\s*[:\-–]\s*)?(?:no|none|nil|n/?a|zero|0|not applicable|nothing)"
                             r"\s*(?:[.,;:!\-–]|$)", re.IGNORECASE)
# "None held.", "Nothing found.", "None recorded": nothing held, whatever the question was.
_NONE_HELD = re.compile(r"^\s*(?:answer\s*[:\-–]\s*)?(?:none|nothing|nil)(?: (?:is|are|was|were|has been|have been))? "
                        r"(?:held|recorded|found|identified|located|kept|retained|exists?)\s*(?:[.,;:!\-–]|$)", re.IGNORECASE)
# An answer's own label before it: "A1", "A.", "Answer:", "Response -".
_ANSWER_LABEL = re.compile(r"^\s*(?:a\s?\d{1,2}\b|a\s*[:.\-–]|answer\s*\d{0,2}\s*[:.\-–]?|response\s*\d{0,2}\s*[:\-–])\s*",
                           re.IGNORECASE)
_SHORT_POSITIVE = re.compile(r"^\s*(?:answer\s*[:\-–]\s*)?yes\b", re.IGNORECASE)

# Nothing held beyond what is given: "we hold no other records", "there is no further information", "no other
# contact has been recorded", "no other agreements exist": said beside an answer, it adds to it.
NOTHING_MORE = re.compile(r"(?i)\b(?:any|no) (?:other|further|additional|more) (?:relevant )?(?:recorded )?"
                          r"(?:information|records?|data|documents?|documentation|correspondence|e-?mails?|contact|"
                          r"meetings?|communications?|agreements?|contracts?|minutes|notes|files|reports?)\b|"
                          r"\bnothing (?:further|else|more)\b")
# An answer that there is nothing to give, because nothing exists ("No contract exists", "None held.", "There are
# none.", "Not applicable"), rather than that a record is not kept ("we do not record the reasons").
NOTHING_EXISTS = re.compile(r"(?i)\bno (?:such )?(?:[\w-]+ ){0,3}(?:exists?|existed|was (?:signed|entered into|agreed|"
                            r"made|started))\b|\bthere (?:are|is|were|was) (?:none|no)\b|^\W*(?:\w{1,3}\W+)?(?:none|nil|"
                            r"not applicable|n/a)\b|\bnone (?:held|exists?)\b|\b(?:do|does|did) not exist\b")
_AMOUNT = re.compile(r"£ ?\d|\d ?%")  # "No spend, aside from £1,040": an answer, not "not held"
_END = re.compile(r"^\s*(?:yours (?:sincerely|faithfully)|kind regards|regards|best wishes|many thanks|"
                  r"if you (?:are|remain) (?:unhappy|dissatisfied|not satisfied))\b", re.IGNORECASE)
MIN_BLOCKS = 2

# A not-held answer about only part of what was asked (earlier years, the rest, some of it).
PART_SCOPE = re.compile(r"(?i)\b(?:earlier|previous|prior|older|later|remaining|the rest|the remainder|some|part|"
                        r"certain)\b|\b(?:before|prior to|after|since|until) (?:\d{4}|(?:jan|feb|mar|apr|may|jun|jul|"
                        r"aug|sep|oct|nov|dec)[a-z]* \d{4})\b")


@dataclass(frozen=True)
class Block:
    number: int
    question: str  # the restated question, when there is one
    answer: list[Sentence]
    verdict: str  # provided | not_held | refused | partial | unknown


def _number(sentence: Sentence) -> int | None:
    match = _MARKER.match(sentence.text)
    if not match:
        return None
    # "Question 2:" marks a question wherever the sentence starts; a bare "2." only at the start of a line.
    if not sentence.line_start and not match.group("a"):
        return None
    return int(match.group("a") or match.group("b"))


def blocks(sentences: Sequence[Sentence]) -> list[tuple[int, list[Sentence]]]:
    """The longest run of numbered blocks 1, 2, 3 ... (the answers come after any quoted request)."""
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for n, sentence in enumerate(sentences):
        if sentence.zone not in ("body", "quoted"):
            continue
        number = _number(sentence)
        if number is None:
            continue
        if number == 1:
            if current:
                runs.append(current)
            current = [(1, n)]
        elif current and number == current[-1][0] + 1:
            current.append((number, n))
    if current:
        runs.append(current)
    if not runs:
        return []
    best = max(reversed(runs), key=len)
    out: list[tuple[int, list[Sentence]]] = []
    for position, (number, start) in enumerate(best):
        end = best[position + 1][1] if position + 1 < len(best) else len(sentences)
        taken: list[Sentence] = []
        for k in range(start, end):
            if k > start and (sentences[k].zone in ("appeal", "thread", "header") or _END.match(sentences[k].text)):
                break
            taken.append(sentences[k])
        out.append((number, taken))
    return out


def asked_before(sentences: Sequence[Sentence], found: list[tuple[int, list[Sentence]]]) -> dict[int, str]:
    """The questions of an earlier numbered list, by number, when the answers are a list of their own
    ("Request: 1) Has the council ...? 2) ... Response: 1) No. 2) ..."): each answer's question."""
    if not found:
        return {}
    start = next((n for n, s in enumerate(sentences) if s is found[0][1][0]), 0)
    asked: dict[int, str] = {}
    for sentence in sentences[:start]:
        if sentence.zone not in ("body", "quoted"):
            continue
        number = _number(sentence)
        if number is not None and number not in asked:
            asked[number] = _MARKER.sub("", sentence.text, count=1).strip()
    return asked


def verdict_of(block: list[Sentence], says: Callable[[Sentence], set[str]], asked: str = "") -> tuple[str, str]:
    """(the block's verdict, its restated question); `says` names what the rules read in one sentence; `asked`:
    the block's question from an earlier list, when the block restates none."""
    first = block[0]
    body = _MARKER.sub("", first.text, count=1).strip()
    question = ""
    answer: list[Sentence] = []
    if first.is_question or first.requester or first.zone == "quoted" or first.restated or body.endswith("?"):
        question = body
    elif body and (says(first) or _SHORT_POSITIVE.match(body) or _SHORT_NEGATIVE.match(body)):
        answer.append(first)  # "Question 1: The council issued 37 licences." (a bare numbered item is not)
    for sentence in block[1:]:
        if not question and not answer and (sentence.is_question or sentence.zone == "quoted"):
            question = sentence.text
            continue
        if sentence.zone == "body" and not sentence.requester and not sentence.is_question:
            answer.append(sentence)
    if not answer:
        return "unknown", question
    kinds: set[str] = set()
    for sentence in answer:
        said = says(sentence)
        if "not_held" in said and NOTHING_MORE.search(sentence.text) and len(answer) > 1:
            said = said - {"not_held"}  # "... No other contact has been recorded.": nothing beyond the answer
        kinds |= said
    if "partial" in kinds:
        return "partial", question
    if "refused" in kinds:
        # some of it given, the rest withheld ("Copies are enclosed. Names have been redacted under s40(2).")
        return ("partial" if "provided" in kinds else "refused"), question
    lead = _MARKER.sub("", answer[0].text, count=1) if answer[0] is first else answer[0].text
    lead = _ANSWER_LABEL.sub("", lead, count=1)  # "A1 No.", "Answer: Yes", "Response - None."
    if _NONE_HELD.match(lead) and len(answer) == 1:
        return "not_held", question
    if "not_held" in kinds and "provided" not in kinds and not any(_AMOUNT.search(x.text) for x in answer):
        return "not_held", question
    if "not_held" in kinds and "provided" in kinds and any(
            PART_SCOPE.search(x.text) for x in answer if "not_held" in says(x) and "provided" not in says(x)):
        return "partial", question  # "2019: 40, 2020: 52. Figures before 2019 are not held.": part of the answer
    if _SHORT_POSITIVE.match(lead):
        return "provided", question
    if _SHORT_NEGATIVE.match(lead) and not any(_AMOUNT.search(x.text) for x in answer):
        # "No" answers a yes/no question (an answer: the labelled corpus calls "No / No / No" information
        # provided); to a request for records or figures it means there are none.
        return ("provided" if _YES_NO_QUESTION.match(question or asked) else "not_held"), question
    # An answer with a caveat ("... the PFI operator's takings are not held by the trust") is still an answer.
    return "provided", question


def compose(verdicts: Sequence[str]) -> str | None:
    """The reply's outcome from its blocks' verdicts; None when they say too little."""
    known = [v for v in verdicts if v != "unknown"]
    if len(known) < MIN_BLOCKS:
        return None
    found = set(known)
    if found == {"provided"}:
        return "information_provided"
    if found == {"not_held"}:
        return "not_held"
    if found <= {"refused", "not_held"}:
        return "refused" if "refused" in found else "not_held"
    return "partially_provided"
