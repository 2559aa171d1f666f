"""Publishing outcomes: the outcome CSV (export), the terminal table (status) and the HTML report (report).

The front door: `write_csv`, `outcomes`, `status_text`, `write_report`, `build_report`; and for the
workspace (browse): `RequestQuery`, `list_requests`, `select_requests`, `request_detail`,
`today`, `reading`, `attachment`, `safe_filename`, `SORTS`.
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
    )
    from .export import Outcome, outcomes, write_csv
    from .report import build_report, write_report
    from .status import status_text

_HOMES = {"Outcome": ".export", "outcomes": ".export", "write_csv": ".export", "write_report": ".report",
          "status_text": ".status", "build_report": ".report",
          **{name: ".browse" for name in ("SORTS", "RequestQuery", "attachment", "list_requests", "reading",
                                          "request_detail", "safe_filename", "select_requests",
                                          "today")}}
__all__ = [
    "SORTS", "Outcome", "RequestQuery", "attachment", "build_report", "list_requests", "outcomes",
    "reading", "request_detail", "safe_filename", "select_requests", "status_text", "today",
    "write_csv", "write_report",
]
__getattr__ = lazy_exports(__name__, _HOMES)
