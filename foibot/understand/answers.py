"""Per-question answers: the reply's own words cut into the answer to each of our questions (pure).

Replies answer in three ways: numbered ("1.", "Q1", "Question 1:", "(1)"), often restating each question
before its answer; restating the questions without numbers; or in running text. The first two are cut at
the markers (the restated question itself is dropped); running text is assigned sentence by sentence to the
question whose keywords it shares most.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Protocol

from .segments import Doc, Sentence

MAX_ANSWER_CHARS = 1500

_MARKER = re.compile(r"^\s*(?:(?:(?:for|in (?:answer|response|reply) to|regarding|as for|turning to) )?(?:q|question|"
                     r"part|point)\s*\.?\s*(?P<a>\d{1,2})(?=\W)|\(?(?P<b>\d{1,2})\s*[.):]|(?P<c>\d{1,2})\s+[-–])"
                     r"\s*[:.\-–]?\s*", re.IGNORECASE)
_ANSWER_LABEL = re.compile(r"^\s*(?:answer|response|reply|a\d*)\s*[:\-–]\s*", re.IGNORECASE)
_BOILERPLATE = re.compile(r"^(?:thank you|yours|kind regards|regards|best regards|(?:with )?best wishes|many thanks|"
                          r"dear\b|please (?:quote|note that this)|i hope this)", re.IGNORECASE)
# An answer in the words of the question ("The office has not discussed CCTV with Fusus") is not the question.
_DENIES = re.compile(r"\b(?:not|no|never|none)\b|n't\b", re.IGNORECASE)


class QuestionLike(Protocol):
    """A template question (render.Question): only these fields are read."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def keywords(self) -> tuple[str, ...]: ...


_WORD = re.compile(r"[a-z][a-z-]{2,}")
_SUFFIX = re.compile(r"(?:ations?|ings?|ed|es|s)$")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


@functools.lru_cache(maxsize=65536)  # the same words, again and again: a poll stems millions
def _stem(word: str) -> str:
    return _SUFFIX.sub("", word.lower())


def _question_words(question: QuestionLike) -> AbstractSet[str]:
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", question.text)
    return _content(text) | {_stem(k) for k in question.keywords}


def _keywords(question: QuestionLike) -> list[str]:
    return [k.lower() for k in question.keywords]


_STOPWORDS = {"the", "and", "for", "with", "that", "this", "you", "your", "our", "are", "was", "were", "has",
              "have", "had", "any", "all", "its", "not", "but", "from", "into", "such", "other", "those", "these",
              "there", "their", "they", "them", "been", "being", "about", "also", "than", "then", "some", "what",
              "which", "whether", "please", "can", "could", "would", "will", "did", "does", "how", "many"}


@functools.lru_cache(maxsize=8192)  # each sentence is weighed against each question, and replies repeat boilerplate
def _content(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _words(text) if w not in _STOPWORDS)


def _looks_restated(sentence: Sentence, qwords: AbstractSet[str]) -> bool:
    """A restated question: a question sharing words with ours, or a long sentence made mostly of its words.

    Short answers echo the question's words ("No contact has been received from Fusus"), so a sentence that
    is not a question must be long and close to the question to count as restating it.
    """
    words = _content(sentence.text)
    if not words:
        return False
    overlap = len(words & qwords) / len(words)
    if sentence.is_question:
        return overlap >= 0.25
    if not sentence.restated and _DENIES.search(sentence.text):
        return False  # "No such discussions have taken place ...": the answer, in the question's words
    return sentence.restated or (len(words) >= 6 and overlap >= 0.6)


def _clean(parts: list[str]) -> str:
    text = " ".join(p.strip() for p in parts if p.strip())
    text = re.sub(r"\s+", " ", text).strip().lstrip(",;:-–— ").strip()
    if len(text) > MAX_ANSWER_CHARS:
        text = text[: MAX_ANSWER_CHARS - 1].rstrip() + "…"
    return text


def _is_heading(sentence: Sentence) -> bool:
    """A short line without closing punctuation ("Further information", "Your rights")."""
    text = sentence.text.strip()
    return (sentence.line_start and len(text.split()) <= 5 and not text.endswith((".", "!", "?", ":"))
            and text[:1].isupper() and not re.match(r"(?i)(?:n/?a|none|nil|no|yes)\b", text))


def _usable(sentence: Sentence) -> bool:
    return sentence.zone == "body" and not sentence.requester


def _numbered_chains(sentences: list[Sentence], count: int) -> list[list[tuple[int, int]]]:
    """Runs of markers 1, 2, 3 ... in order, as (question number, sentence index)."""
    chains: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for n, sentence in enumerate(sentences):
        if not sentence.line_start or sentence.zone != "body":
            continue
        match = _MARKER.match(sentence.text)
        if not match:
            continue
        number = int(match.group("a") or match.group("b") or match.group("c"))
        if number == 1:
            if current:
                chains.append(current)
            current = [(1, n)]
        elif current and number == current[-1][0] + 1 and number <= count:
            current.append((number, n))
    if current:
        chains.append(current)
    return [c for c in chains if len(c) >= 2 or count == 1]


def _by_markers(sentences: list[Sentence], starts: list[tuple[int, int]], questions: Sequence[QuestionLike],
                ) -> dict[str, str]:
    found: dict[str, str] = {}
    qwords = [_question_words(q) for q in questions]
    for position, (number, n) in enumerate(starts):
        end = starts[position + 1][1] if position + 1 < len(starts) else len(sentences)
        if position + 1 == len(starts):  # the last answer runs to the next heading or the boilerplate
            for k in range(n + 1, len(sentences)):
                if (sentences[k].zone != "body" or _BOILERPLATE.match(sentences[k].text)
                        or ((k > n + 1 or _MARKER.sub("", sentences[n].text, count=1).strip())
                            and _is_heading(sentences[k]))):
                    end = k
                    break
        parts: list[str] = []
        first = _MARKER.sub("", sentences[n].text, count=1)
        first_sentence = Sentence(first, "body", True, False, sentences[n].is_question, False, False,
                                  sentences[n].restated)
        # After "1." a question is the question restated (answers are not questions), whoever's words they are.
        if (not sentences[n].requester and not sentences[n].is_question
                and not _looks_restated(first_sentence, qwords[number - 1])):
            parts.append(_ANSWER_LABEL.sub("", first))
        for k in range(n + 1, end):
            sentence = sentences[k]
            if sentence.zone != "body":
                continue
            if not parts and (sentence.requester or (k == n + 1 and not first.strip() and sentence.is_question)
                              or _looks_restated(sentence, qwords[number - 1])):
                continue  # the rest of a restated question
            parts.append(_ANSWER_LABEL.sub("", sentence.text))
        answer = _clean(parts)
        if answer:
            found[questions[number - 1].id] = answer
    return found


def _by_restated(sentences: list[Sentence], questions: Sequence[QuestionLike]) -> dict[str, str]:
    """Questions restated without numbers: the answer is what follows each one, up to the next."""
    qwords = [_question_words(q) for q in questions]
    starts: list[tuple[int, int]] = []
    for n, sentence in enumerate(sentences):
        if not _usable(sentence) or not sentence.line_start:
            continue
        words = _content(sentence.text)
        if len(words) < 5 or (not sentence.is_question and _DENIES.search(sentence.text)):
            continue
        scores = [len(words & q) / len(words) for q in qwords]
        best = max(range(len(scores)), key=scores.__getitem__)
        if scores[best] >= 0.5 and all(best + 1 != number for number, _ in starts):
            starts.append((best + 1, n))
    if len(starts) < 2:
        return {}
    found: dict[str, str] = {}
    for position, (number, n) in enumerate(starts):
        end = starts[position + 1][1] if position + 1 < len(starts) else len(sentences)
        parts: list[str] = []
        for k in range(n + 1, end):
            sentence = sentences[k]
            if sentence.zone != "body":
                break
            if _BOILERPLATE.match(sentence.text) and parts:
                break  # the sign-off: what follows is the signature
            if sentence.requester or _BOILERPLATE.match(sentence.text):
                continue
            parts.append(_ANSWER_LABEL.sub("", sentence.text))
        answer = _clean(parts)
        if answer:
            found[questions[number - 1].id] = answer
    return found


_ANSWERING = re.compile(r"\b(?:not|no|never|none|nil|hold|holds|held|yes|attached|enclosed|exempt|withheld|"
                        r"confirm|confirms)\b|\d", re.IGNORECASE)
_ASIDE = re.compile(r"\b(?:please (?:contact|call|write|quote|remember|resend|note that this)|quote (?:the|this|our) "
                    r"reference|future (?:communications|correspondence))\b", re.IGNORECASE)


def _topic_words(questions: Sequence[QuestionLike]) -> set[str]:
    """Words every question shares (for the Fusus request: "fusus"): what a reply must mention to answer them."""
    sets = [_content(re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", q.text)) for q in questions]
    return set(sets[0]).intersection(*sets[1:]) if len(sets) > 1 else set()


def _by_keywords(sentences: list[Sentence], questions: Sequence[QuestionLike]) -> dict[str, str]:
    """Running text: each sentence that answers something goes to the question whose keywords it shares most
    (ties: the first). Asides ("please contact us"), headings and conditional sentences are left out."""
    buckets: dict[str, list[str]] = {}
    topic = _topic_words(questions)
    if topic and not any(topic & _content(s.text) for s in sentences if s.authority):
        return {}  # the reply never mentions what the questions are about
    for sentence in sentences:
        if (not sentence.authority or sentence.is_question or sentence.hypothetical or _is_heading(sentence)
                or _BOILERPLATE.match(sentence.text) or _ASIDE.search(sentence.text)
                or not _ANSWERING.search(sentence.text) or len(sentence.text.split()) < 4):
            continue
        text = sentence.text.lower()
        scores = []
        for question in questions:
            score = sum(1 for k in _keywords(question) if _stem(k) and _stem(k) in text)
            scores.append(score)
        if not scores or max(scores) == 0:
            continue
        best = scores.index(max(scores))
        buckets.setdefault(questions[best].id, []).append(sentence.text)
    return {qid: _clean(parts) for qid, parts in buckets.items() if _clean(parts)}


def find_answers(doc: Doc, questions: Sequence[QuestionLike]) -> dict[str, str]:
    """{question id: the reply's answer to it} for the questions the reply answers."""
    if not questions:
        return {}
    sentences = doc.sentences
    chains = _numbered_chains(sentences, len(questions))
    if chains:
        # The most complete run wins; among equals the last (the answers come after any quoted request).
        best = max(reversed(chains), key=len)
        found = _by_markers(sentences, best, questions)
        if found:
            return found
    found = _by_restated(sentences, questions)
    if found:
        return found
    return _by_keywords(sentences, questions)
