"""The workspace (`foibot serve`): a local web application over the same library the CLI uses.

Front door: `serve_forever` (the command), `serving` (a workspace in a background thread, for the demo and
the tests). Starlette and uvicorn are imported only here and below; nothing imports this package but the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Running, serve_forever, serving

__all__ = ["Running", "serve_forever", "serving"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
