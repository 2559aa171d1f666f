"""The findings: one row per request and question, with its verdict, the quoted answer and where it came from.

Verdicts are worked out from the stored answers every time (understand/question_verdicts.py), like due dates, so a
better reader or a corrected answer corrects every row; a person's verdict (`foibot review` or `foibot
verdict`, stored in `requests.verdicts`) always wins; `to_review` gives the review queue the unclear ones. The source is the e-mail, or the attachment and its page, that holds the
sentence the verdict rests on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import from_iso_lenient, london_date
from ..lifecycle import load_answers, manual_verdicts
from ..review import VerdictItem
from ..store import Store, json_column
from ..understand import (
    NOT_ANSWERED,
    VERDICTS,
    Vocabulary,
    judge_reply,
    locate,
    unclear_without_words,
    vocabularies,
)
from ..vocab import SUBSTANTIVE, ReplyKind
from .export import Outcome

# The kinds whose words answer the questions (an internal review result may answer them afresh; a reply
# foibot could not place, `other`, may still answer them one by one).
_ANSWERING = (*SUBSTANTIVE, ReplyKind.INTERNAL_REVIEW_RESULT.value, ReplyKind.OTHER.value)


@dataclass(frozen=True)
class QuestionInfo:
    id: str
    title: str
    vocabulary: Vocabulary
    text: str = ""  # the question as the template words it (a Jinja2 template string)


@dataclass
class Finding:
    """One question of one request, as `answers.csv` and the report's findings show it."""

    outcome: Outcome
    question: QuestionInfo
    verdict: str
    exemption: str
    answer: str  # the reply's answer to the question, as extracted
    sentence: str  # what the verdict rests on
    source: str  # "email (2026-03-20)", "letter.pdf, page 2 (2026-03-20)", or ""
    confirmed: bool  # a person set or confirmed the verdict
    answered: bool = True  # the request has an answer to judge (a substantive reply, or a reply's answers)


@dataclass
class _Message:
    id: int
    kind: str
    text: str
    answers: dict[str, str]
    evidence: list[str]
    received: datetime | None
    attachments: list[tuple[str, str | None, str | None, str]]  # name, stored path, content type, text


def run_questions(store: Store, base_dir: Path | None = None) -> dict[str, list[QuestionInfo]]:
    """{run: its template's questions}; a run whose template cannot be found gets the questions answered."""
    from ..errors import FoibotError
    from ..render import load_template_set  # only here: publishing needs Jinja2 for the questions alone

    out: dict[str, list[QuestionInfo]] = {}
    for run, template in store.db.execute("SELECT id, template FROM runs ORDER BY created_at, id"):
        try:
            questions = load_template_set(template, base_dir).questions
        except (FoibotError, OSError):
            questions = ()
        vocab = dict(vocabularies(questions))
        out[run] = [QuestionInfo(q.id, q.title, vocab[q.id], q.text) for q in questions]
    return out


def _messages(store: Store, run: str | None, only: Collection[int] | None = None) -> dict[int, list[_Message]]:
    """Each request's answering replies (of `only` these requests, when given), newest first."""
    where, params = ("AND r.run = ?", [run]) if run else ("", [])
    if only is not None:
        where += " AND m.request_id IN (SELECT value FROM json_each(?))"
        params = [*params, json.dumps(sorted(only))]
    files: dict[int, list[tuple[str, str | None, str | None, str]]] = defaultdict(list)
    for row in store.db.execute(
        "SELECT f.message_id, f.filename, f.stored_path, f.content_type, f.text FROM attachments f "
        "JOIN messages m ON m.id = f.message_id JOIN requests r ON r.id = m.request_id "
        f"WHERE m.direction = 'in' AND m.triage = 0 {where} ORDER BY f.message_id, f.part_index", params):
        files[row[0]].append((row[1] or "attachment", row[2], row[3], row[4] or ""))
    placeholders = ",".join("?" for _ in _ANSWERING)
    out: dict[int, list[_Message]] = defaultdict(list)
    for row in store.db.execute(
        "SELECT m.id, m.request_id, m.kind, m.text, m.answers, m.evidence, COALESCE(m.date_header, m.created_at) "
        "FROM messages m JOIN requests r ON r.id = m.request_id "
        f"WHERE m.direction = 'in' AND m.triage = 0 AND m.kind IN ({placeholders}) "
        f"AND COALESCE(m.match_method, '') != 'own_message' {where} "
        "ORDER BY m.request_id, COALESCE(m.date_header, m.created_at) DESC, m.id DESC",
        [*_ANSWERING, *params]):
        evidence = [str(v) for v in json_column(row[5], [])]
        out[row[1]].append(_Message(row[0], row[2] or "", row[3] or "", load_answers(row[4]), evidence,
                                    from_iso_lenient(row[6]), files.get(row[0], [])))
    return out


class _Pages:
    """Attachments' pages, read from the stored files once (a PDF's pages; the stored text otherwise)."""

    def __init__(self, files_dir: Path):
        self.files_dir = files_dir
        self.cache: dict[tuple[int, int], list[str]] = {}

    def of(self, message: _Message) -> list[tuple[str, list[str]]]:
        out = []
        for index, (name, stored, content_type, text) in enumerate(message.attachments):
            key = (message.id, index)
            if key not in self.cache:
                self.cache[key] = self._read(stored, content_type, name, text)
            out.append((name, self.cache[key]))
        return out

    def _read(self, stored: str | None, content_type: str | None, name: str, text: str) -> list[str]:
        if stored and (content_type == "application/pdf" or name.lower().endswith(".pdf")):
            from ..understand import page_texts

            try:
                data = (self.files_dir / stored).read_bytes()
            except OSError:
                data = b""
            pages = page_texts(data, content_type or "", name) if data else []
            if pages:
                return pages
        return [text] if text else []


def _source(sentence: str, messages: Sequence[_Message], pages: _Pages) -> str:
    if not sentence:
        return ""
    for message in messages:
        where, page = locate(sentence, message.text, pages.of(message))
        if not where:
            continue
        day = f" ({london_date(message.received).isoformat()})" if message.received else ""
        if where == "email":
            return f"email{day}"
        return f"{where}{f', page {page}' if page else ''}{day}"
    return ""


def findings(store: Store, items: Sequence[Outcome], run: str | None = None,
             base_dir: Path | None = None) -> list[Finding]:
    """One Finding per request of `items` and question of its run's template, in the order of `items`."""
    return _findings(store, items, run_questions(store, base_dir), _messages(store, run))


def _findings(store: Store, items: Sequence[Outcome], questions: dict[str, list[QuestionInfo]],
              messages: dict[int, list[_Message]]) -> list[Finding]:
    manual = {row[0]: manual_verdicts(row[1]) for row in store.db.execute(
        "SELECT id, verdicts FROM requests WHERE verdicts != '{}'")}
    pages = _Pages(store.files_dir)
    out: list[Finding] = []
    for item in items:
        asked = questions.get(item.run) or [QuestionInfo(q, q, Vocabulary()) for q in sorted(item.answers)]
        replies = messages.get(item.id, [])
        evidence = next((m.evidence for m in replies if m.kind == item.outcome), [])
        answers = item.answers or next((m.answers for m in replies if m.answers), {})
        if item.outcome or answers:
            judged = judge_reply(answers, item.outcome, item.exemptions, [(q.id, q.vocabulary) for q in asked],
                                 evidence)
        else:
            judged = {}
        for q in asked:
            verdict = judged.get(q.id)
            by_hand = manual.get(item.id, {}).get(q.id)
            value = verdict.verdict if verdict else NOT_ANSWERED
            exemption = verdict.exemption if verdict else ""
            sentence = verdict.sentence if verdict else ""
            if by_hand:
                value = by_hand["verdict"]
                exemption = by_hand.get("exemption") or (exemption if value == "withheld" else "")
            out.append(Finding(item, q, value, exemption, answers.get(q.id, ""), sentence,
                               _source(sentence, replies, pages), bool(by_hand), bool(judged) or bool(by_hand)))
    return out


def verdict_order(questions: Sequence[QuestionInfo]) -> list[str]:
    """The verdicts in the order the templates declare them, then any other."""
    order: list[str] = []
    for q in questions:
        order.extend(v for v in q.vocabulary.verdicts if v not in order)
    order.extend(v for v in VERDICTS if v not in order)
    return order


def as_dict(finding: Finding) -> dict[str, Any]:
    """The cells of one finding (before redaction and CSV neutralising)."""
    item = finding.outcome
    return {
        "run": item.run,
        "reference": item.reference,
        "authority": item.authority,
        "question": finding.question.id,
        "verdict": finding.verdict,
        "answer": finding.answer,
        "source": finding.source,
        "question_title": finding.question.title,
        "exemption": finding.exemption,
        "sentence": finding.sentence,
        "confirmed": "yes" if finding.confirmed else "auto",
        "authority_id": item.authority_id,
        "kind": item.kind,
        "jurisdiction": item.jurisdiction,
        "status": item.status,
        "outcome": item.outcome or "",
    }


def question_vocabulary(store: Store, run: str, question: str, base_dir: Path | None = None,
                        ) -> tuple[list[str], tuple[str, ...]]:
    """The ids of a run's questions and the verdicts of one of them (empty when the template is gone)."""
    asked = run_questions(store, base_dir).get(run, [])
    ids = [q.id for q in asked]
    for q in asked:
        if q.id == question:
            return ids, q.vocabulary.verdicts
    return ids, ()


def current_verdict(store: Store, reference: str, question: str, now: datetime,
                    base_dir: Path | None = None) -> Finding:
    """The verdict one question of one request has now (what `foibot verdict ... confirm` keeps)."""
    from ..errors import InputError
    from .export import outcomes

    row = store.db.execute("SELECT run FROM requests WHERE reference = ?", [reference]).fetchone()
    items = [i for i in outcomes(store, now, row[0] if row else None, base_dir) if i.reference == reference]
    for finding in findings(store, items, None, base_dir):
        if finding.question.id == question:
            return finding
    raise InputError(f"no question {question!r} for {reference}")


def to_review(store: Store, now: datetime, run: str | None = None, base_dir: Path | None = None,
              items: Sequence[Outcome] | None = None) -> list[VerdictItem]:
    """The verdicts waiting for a person (the review queue's, beside the readings): answers that decide
    nothing (`unclear`), not confirmed or set by a person yet; by request, then question. `items`: the
    outcome records of `run` already read (`foibot status` has them), so they are not read again."""
    return [item for _, item in waiting_verdicts(store, now, run, base_dir, items=items)]


def waiting_verdicts(store: Store, now: datetime, run: str | None = None, base_dir: Path | None = None,
                     ids: Collection[int] | None = None,
                     items: Sequence[Outcome] | None = None) -> list[tuple[Outcome, VerdictItem]]:
    """`to_review`'s verdicts (of `ids` these requests only, when given), each beside its request's record.

    Only the requests whose verdicts could wait are judged: those with an answer's words (on the request or
    on one of its answering replies), and every request of a run whose vocabulary can leave a question
    without words `unclear` (`understand.unclear_without_words`). Any other request's verdicts come from
    its reply as a whole, which always decides: none of them waits."""
    from .export import outcomes

    questions = run_questions(store, base_dir)
    wanted = _could_wait(store, questions, run, ids)
    if items is None:
        items = list(outcomes(store, now, run, base_dir, ids=wanted))
    else:
        keep = set(wanted)
        items = [item for item in items if item.id in keep]
    found = _findings(store, items, questions, _messages(store, run, wanted))
    return [(f.outcome, VerdictItem(f.outcome.reference, f.outcome.authority, f.question.id, f.verdict,
                                    f.exemption, f.answer, f.sentence, f.source))
            for f in found if f.answered and f.verdict == "unclear" and not f.confirmed]


def _could_wait(store: Store, questions: dict[str, list[QuestionInfo]], run: str | None,
                ids: Collection[int] | None) -> list[int]:
    """The requests (of `run`, of `ids`) with an answer's words, or of a run where none are needed."""
    wordless = [name for name, asked in questions.items() if any(unclear_without_words(q.vocabulary) for q in asked)]
    placeholders = ",".join("?" for _ in _ANSWERING)
    sql = ("SELECT r.id FROM requests r WHERE (COALESCE(r.answers, '') NOT IN ('', '{}') "
           "OR r.run IN (SELECT value FROM json_each(?)) OR EXISTS (SELECT 1 FROM messages m "
           "WHERE m.request_id = r.id AND m.direction = 'in' AND m.triage = 0 "
           f"AND m.kind IN ({placeholders}) AND COALESCE(m.match_method, '') != 'own_message' "
           "AND COALESCE(m.answers, '') NOT IN ('', '{}')))")
    params: list[Any] = [json.dumps(wordless), *_ANSWERING]
    if run:
        sql += " AND r.run = ?"
        params.append(run)
    if ids is not None:
        sql += " AND r.id IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(sorted(ids)))
    return [int(row[0]) for row in store.db.execute(sql, params)]
