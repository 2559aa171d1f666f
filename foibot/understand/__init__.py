"""Understanding replies (pure: bytes or text in, a reading out; no database, no network).

The front door: `read_message(raw, questions)`, `open_message(raw)` then `read_opened(opened, questions)`,
`read_text(text)`, `read_file(path)`, and the records they return (`Reading`, `Opened`, `Classification`).
Inside, by stage: parsing (MIME, headers, html_text) -> extract (attachments) -> bounces -> segments (whose
words each sentence is) -> phrases/rules -> classify (kind, evidence, confidence) with answers, exemptions and
authority_refs. Names are loaded on first use, so importing a sibling module does not load the whole reader.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .classify import Classification
    from .read import Opened, Reading, open_message, read_file, read_message, read_opened, read_text

__all__ = ["Classification", "Opened", "Reading", "open_message", "read_file", "read_message", "read_opened",
           "read_text"]
_HOME = {"Classification": ".classify"}


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module(_HOME.get(name, ".read"), __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
