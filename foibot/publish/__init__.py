"""Publishing outcomes: the outcome CSV (export), the terminal table (status), the HTML report (report), the
findings per question (findings), redaction (redact) and the folder `foibot publish` writes (dataset).

The front door: `write_csv`, `outcomes`, `status_text`, `write_report`, `build_report`, `publish`,
`findings`, `to_review`, `current_verdict`, `question_vocabulary`, `redactor_for_store`; and for the
workspace (browse): `RequestQuery`, `list_requests`, `select_requests`, `request_detail`,
`today`, `verdicts_to_review` (`to_review`, kept between pages), `reading`, `attachment`, `safe_filename`,
`SORTS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .browse import (
        SORTS,
        RequestQuery,
        attachment,
        list_requests,
        reading,
        request_detail,
        safe_filename,
        select_requests,
        today,
        verdicts_to_review,
    )
    from .dataset import Published, publish, redactor_for_store
    from .export import Outcome, outcomes, write_csv
    from .findings import Finding, current_verdict, findings, question_vocabulary, to_review
    from .redact import Redactor, redactor_for
    from .report import build_report, write_report
    from .status import status_text

_HOMES = {"Outcome": ".export", "outcomes": ".export", "write_csv": ".export", "write_report": ".report",
          "status_text": ".status", "build_report": ".report", "Published": ".dataset", "publish": ".dataset",
          "redactor_for_store": ".dataset", "Finding": ".findings", "current_verdict": ".findings",
          "findings": ".findings", "question_vocabulary": ".findings", "to_review": ".findings",
          "Redactor": ".redact", "redactor_for": ".redact",
          **{name: ".browse" for name in ("SORTS", "RequestQuery", "attachment", "list_requests", "reading",
                                          "request_detail", "safe_filename", "select_requests",
                                          "today", "verdicts_to_review")}}
__all__ = [
    "SORTS", "Finding", "Outcome", "Published", "Redactor", "RequestQuery", "attachment", "build_report",
    "current_verdict", "findings", "list_requests", "outcomes", "publish", "question_vocabulary", "reading",
    "redactor_for", "redactor_for_store", "request_detail", "safe_filename", "select_requests",
    "status_text", "to_review", "today", "verdicts_to_review", "write_csv", "write_report",
]
__getattr__ = lazy_exports(__name__, _HOMES)
