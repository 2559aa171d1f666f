"""Understanding replies (pure: bytes or text in, a reading out; no database, no network).

The front door: `read_message(raw, questions)`, or `open_message(raw)` then `read_opened(opened, questions)`
(the poller matches a reply between the two), `read_text(text)`, `read_file(path)`, and the records they
return. Inside, by stage: parsing (MIME, headers, html_text) -> extract (attachments) -> bounces -> segments
(whose words each sentence is) -> phrases/rules -> classify (kind, evidence, confidence) with answers,
exemptions and authority_refs (verdicts: each numbered answer composed into the outcome); question_verdicts
(what each question's answer amounts to, in the template's vocabulary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .classify import Classification, QuestionLike
    from .exemptions import parse_list
    from .extract import Extracted, page_texts, sniff
    from .parsing import ParsedMessage
    from .question_verdicts import (
        NOT_ANSWERED,
        VERDICTS,
        Verdict,
        Vocabulary,
        judge_answer,
        judge_reply,
        locate,
        unclear_without_words,
        vocabularies,
    )
    from .read import Opened, Reading, open_message, read_file, read_message, read_opened, read_text

_HOMES = {"Classification": ".classify", "QuestionLike": ".classify", "parse_list": ".exemptions",
          "Extracted": ".extract", "sniff": ".extract", "page_texts": ".extract", "ParsedMessage": ".parsing",
          **{n: ".question_verdicts" for n in ("NOT_ANSWERED", "VERDICTS", "Verdict", "Vocabulary", "judge_answer",
                                      "judge_reply", "locate", "unclear_without_words", "vocabularies")},
          **{n: ".read" for n in ("Opened", "Reading", "open_message", "read_file", "read_message", "read_opened",
                                  "read_text")}}
__all__ = [
    "NOT_ANSWERED",
    "VERDICTS",
    "Classification",
    "Extracted",
    "Opened",
    "ParsedMessage",
    "QuestionLike",
    "Reading",
    "Verdict",
    "Vocabulary",
    "judge_answer",
    "judge_reply",
    "locate",
    "open_message",
    "page_texts",
    "parse_list",
    "read_file",
    "read_message",
    "read_opened",
    "read_text",
    "sniff",
    "unclear_without_words",
    "vocabularies",
]
__getattr__ = lazy_exports(__name__, _HOMES)
