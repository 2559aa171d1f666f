"""The workspace application: Starlette routes, the server, and the context each page is rendered in.

Every page borrows an open store of the campaign's database for the time of one request (the daemon may be
writing beside it: each statement sees what was committed before it), reads `now` once, and renders a server-side template; every form is a POST answered by a redirect, so the
pages work without JavaScript. The pages themselves are in `pages.py`.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..clock import LONDON, london_date
from ..clock import now as clock_now
from ..config import Config
from ..errors import FoibotError
from ..render import html_environment
from ..store import Store, open_store
from .security import Guard, Secrets, form_fields

HERE = Path(__file__).resolve().parent
_env = html_environment(HERE / "templates")


def _words(value: Any) -> str:
    return str(value or "").replace("_", " ")


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return london_date(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ""


def _moment(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    return ""


_env.filters.update(words=_words, day=_day, moment=_moment, qs=urlencode)


@dataclass
class Workspace:
    """One running workspace: the campaign's config, its secrets, and the messages shown after a redirect."""

    config: Config
    keys: Secrets
    flashes: OrderedDict[str, tuple[str, str]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    idle: list[Store] = field(default_factory=list)  # open stores between requests (SQLite keeps its page cache)

    def take_store(self) -> Store:
        with self.lock:
            if self.idle:
                return self.idle.pop()
        return open_store(self.config.database_path, self.config.files_dir, create=False)

    def give_back(self, store: Store) -> None:
        if store.db.conn.in_transaction:  # never reuse a connection left inside a transaction
            store.close()
            return
        with self.lock:
            if len(self.idle) < 8:
                self.idle.append(store)
                return
        store.close()

    def close(self) -> None:
        with self.lock:
            stores, self.idle = self.idle, []
        for store in stores:
            store.close()

    def flash(self, text: str, level: str = "ok") -> str:
        key = secrets.token_urlsafe(8)
        with self.lock:
            self.flashes[key] = (level, text)
            while len(self.flashes) > 200:
                self.flashes.popitem(last=False)
        return key

    def take_flash(self, key: str | None) -> tuple[str, str] | None:
        if not key:
            return None
        with self.lock:
            return self.flashes.pop(key, None)


@dataclass
class Page:
    """What a page function gets: the open store, `now`, the query string and the form."""

    workspace: Workspace
    store: Store
    now: datetime
    params: dict[str, str]
    form: dict[str, str]
    path: dict[str, Any]
    url: str  # this page's path and query, for the forms' way back

    @property
    def config(self) -> Config:
        return self.workspace.config

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        keys = self.workspace.keys
        html = _env.get_template(template).render(
            csrf=keys.csrf, read_only=keys.read_only, flash=self.workspace.take_flash(self.params.get("flash")),
            now=self.now, here=self.url, nav=template.split(".")[0], **values)
        return HTMLResponse(html, status_code=status_code)

    def done(self, text: str, to: str | None = None, level: str = "ok") -> RedirectResponse:
        """After a POST: back to the page the form came from (or `to`), with `text` shown once."""
        target = to or self.form.get("next") or "/"
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/"
        sep = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{sep}{urlencode({'flash': self.workspace.flash(text, level)})}",
                                status_code=303)


PageFunction = Callable[[Page], Response]


def endpoint(function: PageFunction) -> Callable[[Request], Any]:
    """A Starlette endpoint around a page function: form read, store opened, errors shown as a page."""

    async def handle(request: Request) -> Response:
        workspace: Workspace = request.app.state.workspace
        form = form_fields(await request.body()) if request.method == "POST" else {}
        params = {k: v for k, v in request.query_params.items()}
        kept = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "flash"])
        url = request.url.path + (f"?{kept}" if kept else "")
        path = dict(request.path_params)
        return await run_in_threadpool(_run, function, workspace, params, form, path, url)

    return handle


def _run(function: PageFunction, workspace: Workspace, params: dict[str, str], form: dict[str, str],
         path: dict[str, Any], url: str) -> Response:
    moment = clock_now()
    try:
        store = workspace.take_store()
    except FoibotError as exc:
        return _error_page(workspace, str(exc), 500)
    page = Page(workspace, store, moment, params, form, path, url)
    try:
        return function(page)
    except FoibotError as exc:
        if form:  # a refused action: back to its page, saying why
            return page.done(f"Not done: {exc}", level="error")
        return page.render("error.html", status_code=404 if "no " in str(exc)[:4] else 400, message=str(exc))
    finally:
        workspace.give_back(store)


def _error_page(workspace: Workspace, message: str, status: int) -> HTMLResponse:
    html = _env.get_template("error.html").render(
        csrf=workspace.keys.csrf, read_only=workspace.keys.read_only, flash=None, now=clock_now(), here="/",
        nav="error", message=message)
    return HTMLResponse(html, status_code=status)


def build_app(workspace: Workspace) -> Any:
    """The ASGI application: routes behind the guard."""
    from . import pages

    routes = [
        Route("/", endpoint(pages.today), methods=["GET"]),
        Route("/requests", endpoint(pages.request_list), methods=["GET"]),
        Route("/requests/bulk", endpoint(pages.bulk), methods=["POST"]),
        Route("/r/{reference}", endpoint(pages.request_page), methods=["GET"]),
        Route("/r/{reference}/act", endpoint(pages.request_action), methods=["POST"]),
        Route("/review", endpoint(pages.review), methods=["GET"]),
        Route("/verdicts/confirm", endpoint(pages.confirm_verdict_page), methods=["POST"]),
        Route("/verdicts/set", endpoint(pages.correct_verdict_page), methods=["POST"]),
        Route("/messages/{number:int}", endpoint(pages.message_page), methods=["GET"]),
        Route("/messages/{number:int}/confirm", endpoint(pages.confirm_reading), methods=["POST"]),
        Route("/messages/{number:int}/kind", endpoint(pages.set_kind), methods=["POST"]),
        Route("/messages/{number:int}/assign", endpoint(pages.assign), methods=["POST"]),
        Route("/messages/{number:int}/dismiss", endpoint(pages.dismiss), methods=["POST"]),
        Route("/messages/{number:int}/restore", endpoint(pages.restore), methods=["POST"]),
        Route("/triage", endpoint(pages.triage), methods=["GET"]),
        Route("/chase", endpoint(pages.chase), methods=["GET"]),
        Route("/chase/send", endpoint(pages.chase_send), methods=["POST"]),
        Route("/files/{number:int}", endpoint(pages.download_attachment), methods=["GET"]),
        Route("/outputs", endpoint(pages.outputs), methods=["GET"]),
        Route("/outcomes.csv", endpoint(pages.outcome_csv), methods=["GET"]),
        Route("/report.html", endpoint(pages.report_file), methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.workspace = workspace
    return Guard(app, workspace.keys)


# --- the server ------------------------------------------------------------------------------------------

def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it
    # every answer on a kept-alive connection waited ~40 ms for a delayed ACK (Nagle) before its body went.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FoibotError(f"cannot listen on {host}:{port}: {exc.strerror} (try another --port)") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(workspace: Workspace) -> Any:
    import uvicorn

    config = uvicorn.Config(build_app(workspace), log_level="warning", lifespan="off", server_header=False,
                            date_header=False, proxy_headers=False, access_log=False)
    return uvicorn.Server(config)


@dataclass
class Running:
    """A workspace served in a thread (tests, the demo): its address with the token, and how to stop it."""

    url: str
    workspace: Workspace
    server: Any
    thread: threading.Thread

    @property
    def base(self) -> str:
        return self.url.split("/?", 1)[0]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def check_database(config: Config) -> None:
    """The campaign's database must exist (the workspace never creates one): a clear error when it does not."""
    open_store(config.database_path, config.files_dir, create=False).close()


@contextlib.contextmanager
def serving(config: Config, host: str = "127.0.0.1", port: int = 0, read_only: bool = False) -> Iterator[Running]:
    """Serve the workspace in a background thread until the block ends (port 0: a free port)."""
    check_database(config)
    sock = _bind(host, port)
    keys = Secrets(port=sock.getsockname()[1], host=host, read_only=read_only)
    workspace = Workspace(config, keys)
    server = _server(workspace)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="foibot-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    running = Running(keys.url(), workspace, server, thread)
    try:
        yield running
    finally:
        running.stop()
        sock.close()
        workspace.close()


def serve_forever(config: Config, host: str, port: int, read_only: bool, say: Callable[[str], None]) -> None:
    """`foibot serve`: print the address with its token on a line of its own, then serve until Ctrl-C."""
    check_database(config)
    sock = _bind(host, port)
    keys = Secrets(port=sock.getsockname()[1], host=host, read_only=read_only)
    workspace = Workspace(config, keys)
    server = _server(workspace)
    say(f"foibot workspace on {config.database_path}" + (" (read-only)" if read_only else "")
        + "; open this address (it holds the secret token; Ctrl-C stops):")
    say(keys.url())
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn finished the requests in hand, then passed Ctrl-C on: a clean stop
        pass
    finally:
        sock.close()
        workspace.close()
    say("Workspace stopped.")
