"""Chasing late requests: the ladder (reminder, internal review, complaint file) on the statutory calendar.

The front door: `chase_due` (what `foibot chase` and the daemon run), `chasers_to_send` (for asking first) and `ChaseSettings` (the `[chase]` section).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .ladder import ChaseReport, ChaseSettings, chase_due, chasers_to_send

_HOMES = {"ChaseReport": ".ladder", "ChaseSettings": ".ladder", "chase_due": ".ladder",
          "chasers_to_send": ".ladder"}
__all__ = [
    "ChaseReport", "ChaseSettings", "chase_due", "chasers_to_send",
]
__getattr__ = lazy_exports(__name__, _HOMES)
