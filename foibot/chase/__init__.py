"""Chasing late requests: the ladder (reminder, internal review, complaint file) on the statutory calendar.

The front door: `chase_due` (what `foibot chase` and the daemon run), `ChaseSettings` (the `[chase]` section),
`plan` (every stage owed now), `coming` (the next stage of each request and its day, for the workspace) and
`chasers_to_send` (what a chase would send, for asking first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .ladder import ChaseReport, ChaseSettings, chase_due, chasers_to_send, coming, plan

_HOMES = {"ChaseReport": ".ladder", "ChaseSettings": ".ladder", "chase_due": ".ladder", "coming": ".ladder",
          "plan": ".ladder", "chasers_to_send": ".ladder"}
__all__ = [
    "ChaseReport", "ChaseSettings", "chase_due", "chasers_to_send", "coming", "plan",
]
__getattr__ = lazy_exports(__name__, _HOMES)
