"""Publishing outcomes: the outcome CSV (export), the terminal table (status) and the HTML report (report).

The front door: `write_csv`, `outcomes`, `status_text`, `write_report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .export import Outcome, outcomes, write_csv
    from .report import write_report
    from .status import status_text

_HOMES = {"Outcome": ".export", "outcomes": ".export", "write_csv": ".export", "write_report": ".report",
          "status_text": ".status"}
__all__ = [
    "Outcome", "outcomes", "status_text", "write_csv", "write_report",
]
__getattr__ = lazy_exports(__name__, _HOMES)
