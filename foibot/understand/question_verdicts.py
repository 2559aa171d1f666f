"""A verdict per question: the answer's words mapped to a small vocabulary the template declares (pure).

`answers.py` cuts a reply into the answer to each question; this module says what each answer amounts to
(for the Fusus questions: `yes`, `no`, `not_held`, `withheld` with the exemption, `not_answered`,
`unclear`) and which sentence it rests on, so that answers written as prose ("No communications
received", "The force has not been in contact with Fusus") can be counted across every authority.

The answer's sentences are read in order and the first one that decides wins: a refusal ("exempt under
section 43(2)", "would exceed the cost limit"), "not held", a negative ("no contact", "has not been
approached", "N/A"), or a positive ("Yes", "holds some information", "copies are attached"). A reply
refused as a whole (a section 12 refusal, a neither-confirm-nor-deny) withholds every question it leaves
unanswered; a "nothing held" reply holds nothing for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .exemptions import normalise

YES, NO, NOT_HELD, WITHHELD, NOT_ANSWERED, UNCLEAR = "yes", "no", "not_held", "withheld", "not_answered", "unclear"
VERDICTS = (YES, NO, NOT_HELD, WITHHELD, NOT_ANSWERED, UNCLEAR)
# The order sentences are tried against the template's own phrases and the built-in ones.
_DECIDING = (WITHHELD, NOT_HELD, NO, YES)
# A verdict the template's vocabulary lacks falls back to a near one, else to `unclear`.
_FALLBACK = {NOT_HELD: NO}

_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|nil|without)\b|n't\b", re.IGNORECASE)
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    WITHHELD: tuple(re.compile(p, re.IGNORECASE) for p in (
        r"\bexempt(?:ion|ions|ed)?\b",
        r"\bwithh(?:e|o)ld(?:ing)?\b",
        r"\bneither confirms? nor den(?:y|ies)\b",
        r"\b(?:cost|appropriate|time) limit\b",
        r"\brefus(?:e|ed|al|ing)\b",
        r"\bwill not (?:be )?(?:release|disclose|provide)",
        r"\b(?:unable|not able|not in a position) to (?:provide|disclose|release|confirm)\b",
        r"\bvexatious\b",
    )),
    NOT_HELD: tuple(re.compile(p, re.IGNORECASE) for p in (
        r"\b(?:does|do|did) not hold\b",
        r"\bdoesn't hold\b|\bdon't hold\b",
        r"\bnot held\b",
        r"\bholds? no\b",
        (r"\bno (?:recorded |relevant |such )?(?:information|records?|data|documents?|communications?|"
        r"correspondence|e-?mails?)\b[^.;]{0,60}\b(?:is|are|was|were|has been|have been) (?:held|found|located)\b"),
        r"\bno (?:recorded )?information (?:is |was )?held\b",
        r"\bnil return\b",
        r"\b(?:we|it) (?:have|has) no records?\b",
        r"\bno records? (?:of|held|exist)",
    )),
    NO: tuple(re.compile(p, re.IGNORECASE) for p in (
        r"^\W*(?:no|none|nil|n/?a|not applicable|negative)\b",
        (r"\bno (?:contact|communications?|correspondence|approach(?:es)?|discussions?|conversations?|meetings?|"
        r"e-?mails?|dealings|engagement|such|involvement|relationship)\b"),
        (r"\b(?:has|have|had|was|were|is|are|did|does|do)(?:n't| not)(?: been| had| ever| yet)?\b[^.;]{0,80}"
        r"\b(?:contact|communicat|approach|discuss|spok|speak|met\b|meet|engag|receiv|correspond|work|deal|"
        r"involv|use|used|using|connect|rais|mention)"),
        r"\bnever\b",
        r"\bnot applicable\b",
        r"\bnone\b",
    )),
    YES: tuple(re.compile(p, re.IGNORECASE) for p in (
        r"^\W*yes\b",
        r"\bha(?:s|ve|d) been (?:in )?(?:contact|communication|approached|contacted)\b",
        r"\bholds? (?:some |the |relevant )?(?:information|records?|communications?|correspondence|e-?mails?)\b",
        r"\b(?:please find|find attached|attached|enclosed|provided|released|disclosed)\b",
        (r"\b(?:sent|e-?mailed|contacted|approached|met|wrote to|telephoned|visited|presented|demonstrated|"
        r"discussed|offered)\b"),
        r"\bhad (?:contact|meetings?|discussions?|a meeting|a call)\b",
        r"\bcan confirm that\b",
    )),
}
# "Nothing held" said of the request as a whole, not of one question.
_WHOLE_REQUEST = re.compile(r"\b(?:(?:within|in) the scope of|relating to|relevant to|in relation to|covered by)\s+"
                            r"(?:your|this|the)\s+request\b|\bany (?:of the )?information (?:that )?you (?:have )?"
                            r"(?:requested|asked for)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class Verdict:
    """What one answer amounts to, and the sentence it rests on ('' when nothing in the reply decided it)."""

    verdict: str
    sentence: str = ""
    exemption: str = ""  # for `withheld`: the exemption(s) applied, `;`-separated (`s43(2)`, `s12(1)`)


@dataclass(frozen=True)
class Vocabulary:
    """A question's verdicts as its template declares them, and extra phrases per verdict (regexes)."""

    verdicts: tuple[str, ...] = VERDICTS
    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()


def vocabularies(questions: Sequence[object]) -> list[tuple[str, Vocabulary]]:
    """(id, Vocabulary) of each template question (render.Question: `id`, `verdicts`, `phrases`)."""
    out = []
    for q in questions:
        declared = tuple(getattr(q, "verdicts", ()) or ()) or VERDICTS
        out.append((str(getattr(q, "id", "")), Vocabulary(declared, tuple(getattr(q, "phrases", ()) or ()))))
    return out


def sentences(text: str) -> list[str]:
    """An answer's sentences, in order."""
    flat = " ".join((text or "").split())
    return [s.strip() for s in _SENTENCE_END.split(flat) if s.strip()]


def _compiled_phrases(vocabulary: Vocabulary) -> dict[str, list[re.Pattern[str]]]:
    out: dict[str, list[re.Pattern[str]]] = {}
    for verdict, patterns in vocabulary.phrases:
        out.setdefault(verdict, []).extend(re.compile(p, re.IGNORECASE) for p in patterns)
    return out


def sentence_verdict(sentence: str, phrases: Mapping[str, Sequence[re.Pattern[str]]] | None = None) -> str | None:
    """The verdict one sentence decides, or None. The template's own phrases are tried first."""
    for verdict, patterns in (phrases or {}).items():
        if any(p.search(sentence) for p in patterns):
            return verdict
    negated = bool(_NEGATION.search(sentence))
    for verdict in _DECIDING:
        if verdict == YES and negated:
            continue  # "has not been in contact" is never a yes
        if any(p.search(sentence) for p in _PATTERNS[verdict]):
            return verdict
    return None


def _exemption_in(sentence: str, reply_exemptions: Sequence[str]) -> str:
    cited = normalise(sentence) if re.search(r"(?i)\b(?:section|s\.?\s?\d|regulation|reg\b)", sentence) else None
    if cited:
        return cited
    if re.search(r"(?i)\b(?:cost|appropriate|time) limit\b", sentence):
        twelves = [e for e in reply_exemptions if re.match(r"(?:FOISA )?s12", e)]
        return twelves[0] if twelves else ("s12(1)" if not any("FOISA" in e for e in reply_exemptions)
                                           else "FOISA s12(1)")
    return ";".join(reply_exemptions)


def _allowed(verdict: str, vocabulary: Vocabulary) -> str:
    if verdict in vocabulary.verdicts:
        return verdict
    fallback = _FALLBACK.get(verdict)
    if fallback and fallback in vocabulary.verdicts:
        return fallback
    return UNCLEAR


def judge_answer(answer: str, kind: str | None = None, exemptions: Sequence[str] = (),
                 vocabulary: Vocabulary | None = None, *, others_answered: bool = False,
                 evidence: Sequence[str] = ()) -> Verdict:
    """The verdict of one question's answer, given the reply's kind and the exemptions it applied.

    `others_answered`: the reply answers other questions one by one, so one it leaves out is not answered
    (rather than covered by a "nothing held" reply as a whole). `evidence`: the sentences that decided the
    reply's kind, which a verdict taken from the reply as a whole rests on.
    """
    vocabulary = vocabulary or Vocabulary()
    phrases = _compiled_phrases(vocabulary)
    parts = sentences(answer)
    for sentence in parts:
        verdict = sentence_verdict(sentence, phrases)
        if verdict is None:
            continue
        exemption = _exemption_in(sentence, exemptions) if verdict == WITHHELD else ""
        return Verdict(_allowed(verdict, vocabulary), sentence, exemption)
    whole = _whole_reply(kind, exemptions, vocabulary, others_answered or bool(parts), evidence)
    if parts and whole.verdict != WITHHELD:
        # Words that decide nothing (a reply refused as a whole still withholds this question).
        return Verdict(_allowed(UNCLEAR, vocabulary), parts[0])
    return whole


def _whole_reply(kind: str | None, exemptions: Sequence[str], vocabulary: Vocabulary, per_question: bool,
                 evidence: Sequence[str]) -> Verdict:
    """A question the reply gives no answer of its own to: what the reply as a whole says of it."""
    rests_on = evidence[0] if evidence else ""
    if kind in ("refused", "neither_confirm_nor_deny"):
        exemption = ";".join(exemptions)
        if kind == "neither_confirm_nor_deny":
            exemption = "NCND" + (f" {exemption}" if exemption else "")
        return Verdict(_allowed(WITHHELD, vocabulary), rests_on, exemption)
    if kind == "not_held":
        # A reply answering some questions one by one leaves the others unanswered, unless the sentence
        # that decided it says nothing is held for the whole request ("... any information falling within
        # the scope of your request").
        whole = next((e for e in evidence if _WHOLE_REQUEST.search(e)), "")
        if not per_question or whole:
            return Verdict(_allowed(NOT_HELD, vocabulary), whole or rests_on)
    return Verdict(_allowed(NOT_ANSWERED, vocabulary))


# What a question with no answer of its own can come to (`_whole_reply`), before the vocabulary's fallbacks.
_WITHOUT_WORDS = (WITHHELD, NOT_HELD, NOT_ANSWERED)


def unclear_without_words(vocabulary: Vocabulary) -> bool:
    """Whether a question with no answer text can still come out `unclear` under `vocabulary` (it lacks one
    of the verdicts a reply as a whole gives, and its fallback): when not, only a request with an answer's
    words can have a verdict waiting for a person."""
    return any(_allowed(verdict, vocabulary) == UNCLEAR for verdict in _WITHOUT_WORDS)


def judge_reply(answers: Mapping[str, str], kind: str | None, exemptions: Sequence[str],
                questions: Sequence[tuple[str, Vocabulary]], evidence: Sequence[str] = ()) -> dict[str, Verdict]:
    """{question id: verdict} for every question, answered or not, of a reply (or a request's answers)."""
    answered = any((v or "").strip() for v in answers.values())
    return {qid: judge_answer(answers.get(qid, "") or "", kind, exemptions, vocab, others_answered=answered,
                              evidence=evidence)
            for qid, vocab in questions}


# --- where a sentence came from ----------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).strip()


def locate(sentence: str, email_text: str, attachments: Sequence[tuple[str, Sequence[str]]]) -> tuple[str, int | None]:
    """Where a sentence is: ("email", None), (attachment file name, page number from 1), or ("", None).

    `attachments` holds each attachment's name and its pages' texts (one page for a file without pages).
    Text is compared without case, punctuation or line breaks, so a PDF's wrapped lines still match.
    """
    needle = _squash(sentence)[:120]
    if not needle:
        return "", None
    if needle in _squash(email_text):
        return "email", None
    for name, pages in attachments:
        for number, page in enumerate(pages, start=1):
            if needle in _squash(page):
                return name, number if len(pages) > 1 or name.lower().endswith(".pdf") else None
        if needle in _squash(" ".join(pages)):  # a sentence running over a page break
            return name, None
    return "", None
