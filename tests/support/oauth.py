"""OAuth2 on loopback for the tests: an authorization server, Dovecot that checks tokens with it, and an
SMTP server (aiosmtpd) that takes XOAUTH2. Only the far end is played; foibot's code runs for real.

Fixture API (loaded by tests/conftest.py as a plugin):

    auth_server        (session, reset for every test) an `AuthServer` on http://127.0.0.1:PORT:
        .url, .token_url, .device_url, .authorize_url, .introspect_url, .client_id
        .approve(user_code, user)      the campaigner typed the code and agreed (device flow)
        .expire_codes()                the device codes waiting run out (nobody typed them in time)
        .browser_user                  who the browser is logged in as at /authorize (None: refuses)
        .grant(user) -> (access, refresh)     tokens as a finished login would leave them
        .revoke(user)                  every refresh token of the user stops working (invalid_grant)
        .expire_access(user)           every access token of the user stops working now
        .access_lifetime               seconds an access token lives (default 3600)
        .token_delay                   seconds /token waits before answering (a slow endpoint)
        .fail_token(n, status=503)     the next n /token requests answer that status
        .rotate                        every refresh also replaces the refresh token (Microsoft does)
        .grants                        grant types asked at /token, in order
        .issued()                      every token it ever issued (to look for leaks)
        .active(token) -> user|None    what introspection says
    oauth_dovecot      (session) a `Dovecot` whose IMAP also takes XOAUTH2 and OAUTHBEARER, validated
                       by its oauth2 passdb against `auth_server` (introspection_mode = post);
                       .xoauth2_logins() counts the logins it checked by token
    make_oauth_smtp(**kw) -> SmtpServer   aiosmtpd that offers only AUTH XOAUTH2 and checks each token
                       with `auth_server` (kw: security, lmtp as for make_smtp_server); .logins lists
                       the user of every AUTH tried; .after_message(count) runs after each arrival;
                       .fail_auth_next(n, reply="454 ...") answers the next n AUTHs so, whatever the token
    oauth_tables(auth_server, user, smtp=None, imap=None) -> dict    [smtp]/[imap]/[oauth2] tables
    seed_login(config, user, auth_server)   store the tokens of a finished login (through foibot's store)

No test ever reaches a real keyring: PYTHON_KEYRING_BACKEND is set to keyring's "fail" backend for the
session (and so for every subprocess); a test that wants a keyring registers its own with set_keyring.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from aiosmtpd.smtp import AuthResult

from support.imap import Dovecot, serving
from support.smtp import SmtpServer, _FreePortController, _Handler

os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

CLIENT_ID = "foibot-test-client"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class _Access:
    user: str
    scope: str
    expires_at: float
    active: bool = True


class AuthServer:
    """A small OAuth2 authorization server: device code, authorization code with PKCE, refresh, and
    RFC 7662 introspection for the mail servers."""

    def __init__(self) -> None:
        self.client_id = CLIENT_ID
        self._lock = threading.Lock()
        self.reset()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner._get(self)

            def do_POST(self) -> None:
                owner._post(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_url = self.url + "/token"
        self.device_url = self.url + "/device"
        self.authorize_url = self.url + "/authorize"
        self.introspect_url = self.url + "/introspect"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.devices: dict[str, dict[str, Any]] = {}
            self.codes: dict[str, dict[str, Any]] = {}
            self.access: dict[str, _Access] = {}
            self.refresh: dict[str, dict[str, Any]] = {}
            self.grants: list[str] = []
            self.introspections = 0
            self.browser_user: str | None = None
            self.access_lifetime = 3600.0
            self.device_interval = 0.2
            self.token_delay = 0.0
            self.rotate = False
            self._fail: list[int] = []

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what a test does --------------------------------------------------------------------------

    def approve(self, user_code: str, user: str) -> None:
        with self._lock:
            for device in self.devices.values():
                if device["user_code"] == user_code:
                    device["user"] = user
                    return
        raise AssertionError(f"no device login waits for code {user_code!r}")

    def expire_codes(self) -> None:
        """Every device code waiting for the campaigner runs out (nobody typed it in time)."""
        with self._lock:
            for device in self.devices.values():
                device["expired"] = True

    def grant(self, user: str, scope: str = "mail") -> tuple[str, str]:
        with self._lock:
            answer = self._issue(user, scope)
        return answer["access_token"], answer["refresh_token"]

    def revoke(self, user: str) -> None:
        with self._lock:
            for record in self.refresh.values():
                if record["user"] == user:
                    record["revoked"] = True

    def expire_access(self, user: str) -> None:
        with self._lock:
            for record in self.access.values():
                if record.user == user:
                    record.expires_at = 0.0

    def fail_token(self, n: int = 1, status: int = 503) -> None:
        with self._lock:
            self._fail.extend([status] * n)

    def issued(self) -> list[str]:
        with self._lock:
            return [*self.access, *self.refresh]

    def active(self, token: str) -> str | None:
        with self._lock:
            record = self.access.get(token)
            if record is None or not record.active or record.expires_at <= time.time():
                return None
            return record.user

    # --- the protocol ------------------------------------------------------------------------------

    def _issue(self, user: str, scope: str, refresh_token: str | None = None) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(24)
        self.access[access] = _Access(user, scope, time.time() + self.access_lifetime)
        answer: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                  "expires_in": self.access_lifetime, "scope": scope}
        if refresh_token is None or self.rotate:
            if refresh_token is not None:
                self.refresh[refresh_token]["revoked"] = True
            refresh_token = "rt-" + secrets.token_urlsafe(24)
            self.refresh[refresh_token] = {"user": user, "scope": scope, "revoked": False}
            answer["refresh_token"] = refresh_token
        return answer

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any] | None = None,
               location: str | None = None) -> None:
        data = json.dumps(body or {}).encode()
        handler.send_response(status)
        if location:
            handler.send_header("Location", location)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        try:
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a slow-endpoint test)
            pass

    def _get(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        if parts.path != "/authorize":
            self._reply(handler, 404, {"error": "not_found"})
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect.startswith(("http://127.0.0.1:",
                                                                                  "http://localhost:")):
            self._reply(handler, 400, {"error": "invalid_request"})
            return
        with self._lock:
            user = self.browser_user
            if user is None:
                params = {"error": "access_denied", "state": query.get("state", "")}
            else:
                code = "code-" + secrets.token_urlsafe(12)
                self.codes[code] = {"user": user, "redirect_uri": redirect, "scope": query.get("scope", ""),
                                    "challenge": query.get("code_challenge"),
                                    "method": query.get("code_challenge_method")}
                params = {"code": code, "state": query.get("state", "")}
        self._reply(handler, 302, location=redirect + "?" + urlencode(params))

    def _post(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        path = urlsplit(handler.path).path
        if path == "/introspect":
            with self._lock:
                self.introspections += 1
            user = self.active(form.get("token", ""))
            self._reply(handler, 200, {"active": True, "username": user} if user else {"active": False})
            return
        if form.get("client_id") != self.client_id:
            self._reply(handler, 401, {"error": "invalid_client"})
            return
        if path == "/device":
            with self._lock:
                device_code = "dc-" + secrets.token_urlsafe(16)
                user_code = "-".join(secrets.token_hex(2).upper() for _ in range(2))
                self.devices[device_code] = {"user_code": user_code, "scope": form.get("scope", ""), "user": None}
                interval = self.device_interval
            self._reply(handler, 200, {"device_code": device_code, "user_code": user_code,
                                       "verification_uri": self.url + "/activate", "expires_in": 600,
                                       "interval": interval})
            return
        if path != "/token":
            self._reply(handler, 404, {"error": "not_found"})
            return
        with self._lock:
            delay = self.token_delay
            fail = self._fail.pop(0) if self._fail else None
            self.grants.append(form.get("grant_type", ""))
        if delay:
            time.sleep(delay)
        if fail is not None:
            self._reply(handler, fail, {"error": "temporarily_unavailable"})
            return
        with self._lock:
            status, body = self._token(form)
        self._reply(handler, status, body)

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        if grant == DEVICE_GRANT:
            device = self.devices.get(form.get("device_code", ""))
            if device is None:
                return 400, {"error": "invalid_grant"}
            if device.get("expired"):
                return 400, {"error": "expired_token"}
            if device["user"] is None:
                return 400, {"error": "authorization_pending"}
            del self.devices[form["device_code"]]
            return 200, self._issue(device["user"], device["scope"])
        if grant == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code["redirect_uri"] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant"}
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if code["method"] != "S256" or digest != code["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            return 200, self._issue(code["user"], code["scope"])
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            record = self.refresh.get(token)
            if record is None or record["revoked"]:
                return 400, {"error": "invalid_grant",
                             "error_description": f"The refresh token {token} has been revoked"}
            return 200, self._issue(record["user"], record["scope"], refresh_token=token)
        return 400, {"error": "unsupported_grant_type"}


class OAuthDovecot(Dovecot):
    """Dovecot whose IMAP takes XOAUTH2 and OAUTHBEARER too, checking each token with the authorization
    server's introspection endpoint (Dovecot 2.3 oauth2 passdb). Passwords still work for the test-side
    helpers (append, status, ...)."""

    def __init__(self, auth: AuthServer):
        self.introspect_url = auth.introspect_url
        super().__init__()

    def _write_files(self) -> None:
        super()._write_files()
        ext = self.base / "dovecot" / "oauth2.conf.ext"
        ext.write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self.introspect_url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
            "timeout_msecs = 5000\n"
        )
        text = self.conf.read_text()
        # No 2-15 s brute-force delay after each refused token: many tests refuse one on purpose.
        text += "auth_failure_delay = 0\nlogin_trusted_networks = 127.0.0.0/8\n"
        text = text.replace("auth_mechanisms = plain login", "auth_mechanisms = plain login xoauth2 oauthbearer")
        text = text.replace("passdb {\n  driver = static\n", "passdb {\n  driver = static\n  mechanisms = plain login\n")
        text += f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {ext}\n}}\n"
        self.conf.write_text(text)


class _OAuthHandler(_Handler):
    """The test SMTP server's handler, with the XOAUTH2 mechanism (aiosmtpd calls auth_<MECHANISM>)."""

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        blob = args[1] if len(args) > 1 else None
        if blob is None:
            answer = await server.challenge_auth("", encode_to_b64=False)
            raw = answer if isinstance(answer, bytes) else b""
        else:
            raw = base64.b64decode(blob)
        fields = dict(part.split("=", 1) for part in raw.decode(errors="replace").split("\x01") if "=" in part)
        user = fields.get("user", "")
        bearer = fields.get("auth", "")
        token = bearer[len("Bearer "):] if bearer.startswith("Bearer ") else ""
        owner: OAuthSmtpServer = self.owner  # type: ignore[assignment]
        owner.logins.append(user)
        if owner.auth_failures:
            return AuthResult(success=False, handled=False, message=owner.auth_failures.pop(0))
        if token and owner.auth.active(token) == user:
            return AuthResult(success=True, auth_data=user)
        # As Gmail does: a JSON error as a 334 challenge, then 535 once the client answers it.
        error = json.dumps({"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"})
        await server.challenge_auth(error)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")


class OAuthSmtpServer(SmtpServer):
    """aiosmtpd offering only AUTH XOAUTH2 (tokens checked with the authorization server); AUTH required."""

    def __init__(self, auth: AuthServer, security: str = "none", certs: Any = None,
                 lmtp: tuple[str, int] | None = None):
        super().__init__(security=security, certs=certs, lmtp=lmtp)
        self.auth = auth
        self.logins: list[str] = []
        kwargs: dict[str, Any] = {"server_hostname": "smtp.foibot.test", "data_size_limit": 30 * 1024 * 1024,
                                  "auth_required": True, "auth_require_tls": security == "starttls",
                                  "auth_exclude_mechanism": ["PLAIN", "LOGIN"]}
        if security == "starttls":
            kwargs.update(tls_context=certs.server_context, require_starttls=True)
        elif security == "tls":
            kwargs.update(ssl_context=certs.server_context)
        self._controller = _FreePortController(_OAuthHandler(self), hostname=self.host, **kwargs)
        self.after_message: Callable[[int], None] | None = None  # called with the count after each arrival
        self.auth_failures: list[str] = []  # replies to the next AUTH commands, whatever the token

    def fail_auth_next(self, n: int = 1, reply: str = "454 4.7.0 Temporary authentication failure") -> None:
        self.auth_failures.extend([reply] * n)

    def _record(self, received: Any) -> None:
        super()._record(received)
        if self.after_message is not None:
            self.after_message(len(self.received))


# --- config -----------------------------------------------------------------------------------------------

def oauth_tables(auth: AuthServer, user: str, smtp: SmtpServer | None = None, dovecot: Dovecot | None = None,
                 flow: str = "device", **oauth2: Any) -> dict[str, dict[str, Any]]:
    """The [smtp], [imap] and [oauth2] tables of a campaign that logs in to both servers with OAuth2."""
    tables: dict[str, dict[str, Any]] = {}
    if smtp is not None:
        section = smtp.smtp_section(auth="oauth2", username=user)
        section.pop("password_env", None)
        tables["smtp"] = section
    if dovecot is not None:
        section = dovecot.imap_section(user, auth="oauth2")
        section.pop("password_env", None)
        tables["imap"] = section
    tables["oauth2"] = {"client_id": auth.client_id, "token_url": auth.token_url, "device_url": auth.device_url,
                        "authorize_url": auth.authorize_url, "flow": flow, "token_store": "file",
                        "timeout_seconds": 5, **oauth2}
    return tables


def seed_login(config: Any, user: str, auth: AuthServer) -> tuple[str, str]:
    """The tokens a finished `foibot login` leaves, kept where foibot keeps them."""
    from foibot.oauth import Tokens, TokenStore

    access, refresh = auth.grant(user)
    TokenStore(config.oauth2).save(user, Tokens(refresh_token=refresh, access_token=access,
                                                expires_at=time.time() + auth.access_lifetime,
                                                obtained_at=time.time()))
    return access, refresh


# --- fixtures ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def _auth_server() -> Iterator[AuthServer]:
    server = AuthServer()
    yield server
    server.close()


@pytest.fixture
def auth_server(_auth_server: AuthServer) -> Iterator[AuthServer]:
    _auth_server.reset()
    from foibot import oauth

    oauth._sources.clear()  # a process-wide cache of token sources: each test starts with none
    yield _auth_server
    oauth._sources.clear()
    _auth_server.reset()


@pytest.fixture(scope="session")
def oauth_dovecot(_auth_server: AuthServer) -> Iterator[OAuthDovecot]:
    with serving(OAuthDovecot(_auth_server)) as server:
        yield server


@pytest.fixture
def make_oauth_smtp(request: pytest.FixtureRequest, auth_server: AuthServer) -> Iterator[Callable[..., OAuthSmtpServer]]:
    servers: list[OAuthSmtpServer] = []

    def make(security: str = "none", lmtp: tuple[str, int] | None = None) -> OAuthSmtpServer:
        certs = request.getfixturevalue("smtp_certs") if security != "none" else None
        server = OAuthSmtpServer(auth_server, security=security, certs=certs, lmtp=lmtp)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def config_path(folder: Path) -> Path:
    return folder / "config.toml"
