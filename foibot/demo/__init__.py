"""`foibot demo`: a whole run in the sandbox (run), with simulated authorities (authorities).

The front door: `run_demo`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .run import run_demo

_HOMES = {"run_demo": ".run"}
__all__ = [
    "run_demo",
]
__getattr__ = lazy_exports(__name__, _HOMES)
