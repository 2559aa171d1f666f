"""The workspace's locks: the secret token, the Host header, the CSRF token, and the headers on every answer.

- Every request needs the token: in the address printed at start (`/?token=...`, which sets a cookie for
  this port and redirects to the same page without it) or in that cookie. Without it: 403, nothing shown.
- The Host header must name the address the server was started on (no DNS rebinding: a page on another site
  that points its own name at 127.0.0.1 sends its own name as the Host).
- Every POST carries a CSRF token (an HMAC of the secret) in its form, and an Origin, when the browser sends
  one, of this server; `--read-only` refuses every POST.
- Every answer forbids inline script and framing (the Content-Security-Policy below), and sends no referrer
  to another site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
MAX_FORM_BYTES = 1_000_000


@dataclass
class Secrets:
    """The token of one running workspace, the CSRF token made from it, and the Host names it answers to."""

    port: int
    host: str
    read_only: bool = False
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def cookie(self) -> str:
        return f"foibot_{self.port}"  # one per port: two workspaces on one machine do not log each other out

    @property
    def csrf(self) -> str:
        return hmac.new(self.token.encode(), b"csrf", hashlib.sha256).hexdigest()

    @property
    def allowed_hosts(self) -> set[str]:
        names = set(LOOPBACK_NAMES)
        if self.host not in ("0.0.0.0", "::", ""):
            names.add(f"[{self.host}]" if ":" in self.host else self.host)
        return {f"{n}:{self.port}" for n in names}

    def url(self, host: str | None = None) -> str:
        shown = host or (self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1")
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}/?token={self.token}"


def _refuse(status: int, text: str) -> Response:
    return PlainTextResponse(text + "\n", status_code=status)


class Guard:
    """ASGI middleware: checks Host, token, CSRF and read-only before the app sees a request."""

    def __init__(self, app: ASGIApp, keys: Secrets) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in names]
            await send(message)

        refusal, body = await self._check(scope, receive)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        if body is not None:  # the form was read to check its CSRF token: hand the same bytes to the app
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:
                    return await receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    async def _check(self, scope: Scope, receive: Receive) -> tuple[Response | None, bytes | None]:
        headers = Headers(scope=scope)
        if headers.get("host", "").lower() not in self.keys.allowed_hosts:
            return _refuse(400, "Wrong Host header: open the address `foibot serve` printed."), None
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        given = query.get("token")
        if given is not None:
            if not hmac.compare_digest(given.encode(), self.keys.token.encode()):
                return _refuse(403, "Wrong token: open the address `foibot serve` printed."), None
            # The token leaves the address at once (history, referrers): the cookie carries it from now on.
            rest = urlencode([(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
                              if k != "token"])
            target = scope.get("path", "/") + (f"?{rest}" if rest else "")
            response = RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/",
                                        status_code=303)
            response.set_cookie(self.keys.cookie, self.keys.token, httponly=True, samesite="strict", path="/")
            return response, None
        cookie = _cookie(headers.get("cookie", ""), self.keys.cookie)
        if cookie is None or not hmac.compare_digest(cookie.encode(), self.keys.token.encode()):
            return _refuse(403, "This workspace needs its token: open the address `foibot serve` printed "
                                "(http://127.0.0.1:PORT/?token=...)."), None
        if scope["method"] in ("GET", "HEAD"):
            return None, None
        if scope["method"] != "POST":
            return _refuse(405, "Method not allowed."), None
        if self.keys.read_only:
            return _refuse(403, "This workspace is read-only (foibot serve --read-only): nothing can be changed."), None
        origin = headers.get("origin")
        if origin is not None and origin.lower().removeprefix("http://") not in self.keys.allowed_hosts:
            return _refuse(403, "Refused: the form came from another site."), None
        body = await _read_body(receive)
        if body is None:
            return _refuse(413, "The form is too large."), None
        form = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        if not hmac.compare_digest(form.get("csrf", "").encode(), self.keys.csrf.encode()):
            return _refuse(403, "Refused: the form has no valid CSRF token (reload the page and try again)."), None
        return None, body


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def form_fields(body: bytes) -> dict[str, Any]:
    """A url-encoded form as a dict (the last value of a repeated field wins)."""
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
