"""OAuth2 logins for the campaigner's own mailbox: `foibot login`, tokens that refresh by themselves.

Two ways to log in, both through authlib's OAuth2 client: the device authorization grant (RFC 8628: a URL
and a code to type in any browser, on any machine; Microsoft 365) and the loopback redirect (RFC 8252: the
browser comes back to a one-shot listener on 127.0.0.1, with PKCE; Google, whose device flow does not grant
the mail scope). The refresh token is kept in the system keyring when one is usable, else in an owner-only
file beside the config (`oauth-tokens.json`, mode 0600) -- never in the database, never in a log line or an
error message. Refreshes take a file lock, so a daemon and a cron job never refresh over each other.

Why authlib for Microsoft too, not msal: Microsoft's v2.0 /devicecode and /token endpoints speak plain RFC 8628
and RFC 6749, so one client serves both providers, and it is the one the tests drive against a loopback
authorization server. msal only takes an https authority it can discover (instance discovery, an OpenID
configuration, id tokens with client_info): a test server would have to imitate Entra ID itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .config import Config, OAuthConfig, ServerConfig
from .errors import ConfigError, OAuthLoginError
from .files import write_atomic

if TYPE_CHECKING:
    from authlib.integrations.requests_client import OAuth2Session

KEYRING_SERVICE = "foibot"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EXPIRY_MARGIN = 120.0  # seconds: a token this close to its end is refreshed before use
LOGIN_AGAIN = "run `foibot login` again"
Say = Callable[[str], None]


@dataclass
class Tokens:
    """What a login leaves behind. Only `refresh_token` lasts; the access token lives about an hour."""

    refresh_token: str = field(repr=False)
    access_token: str = field(default="", repr=False)
    expires_at: float = 0.0  # epoch seconds; 0: unknown (treated as expired)
    scope: str = ""
    obtained_at: float = 0.0

    def fresh(self, now: float) -> bool:
        return bool(self.access_token) and self.expires_at - EXPIRY_MARGIN > now

    @classmethod
    def from_response(cls, response: dict[str, Any], now: float, previous: Tokens | None = None) -> Tokens:
        refresh = response.get("refresh_token") or (previous.refresh_token if previous else "")
        if not refresh:
            raise OAuthLoginError("the provider gave no refresh token, so foibot could not stay logged in (was "
                                  "offline access refused?): " + LOGIN_AGAIN)
        expires_in = response.get("expires_in")
        expires_at = float(response.get("expires_at") or 0) or (now + float(expires_in) if expires_in else 0.0)
        return cls(refresh_token=str(refresh), access_token=str(response.get("access_token") or ""),
                   expires_at=expires_at, scope=str(response.get("scope") or (previous.scope if previous else "")),
                   obtained_at=now)


def _redact(text: str, *tokens: str) -> str:
    """A server's words, without any token of ours in them, cut to one short line."""
    for token in tokens:
        if token:
            text = text.replace(token, "[token]")
    return " ".join(text.split())[:200]


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


# --- where the tokens are kept ------------------------------------------------------------------------

def _usable_keyring() -> Any | None:
    """The system keyring, or None when there is none worth the name (headless servers, CI)."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:  # keyring is a dependency, but a trimmed install can still work from the file
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - a broken keyring set-up means: use the file
        return None
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    return backend


class TokenStore:
    """Tokens by account: the system keyring (`token_store` "auto" when usable, or "keyring") or the
    owner-only file beside the config ("file", or "auto" without a keyring)."""

    def __init__(self, oauth: OAuthConfig):
        self.oauth = oauth
        self.path = oauth.token_file
        self.keyring = None if oauth.token_store == "file" else _usable_keyring()
        if oauth.token_store == "keyring" and self.keyring is None:
            raise ConfigError(f"{oauth.source}: [oauth2] token_store = \"keyring\" but this machine has no usable "
                              "system keyring: use \"file\" (or \"auto\")")

    def key(self, username: str) -> str:
        return f"{username} {self.oauth.client_id} {self.oauth.token_url}"

    @property
    def where(self) -> str:
        if self.keyring is not None:
            return f"the system keyring ({type(self.keyring).__name__})"
        return str(self.path)

    def load(self, username: str) -> Tokens | None:
        if self.keyring is not None:
            try:
                text = self.keyring.get_password(KEYRING_SERVICE, self.key(username))
            except Exception as exc:  # noqa: BLE001 - a locked or broken keyring is the campaigner's to fix
                raise OAuthLoginError(f"cannot read the OAuth2 tokens from the system keyring "
                                      f"({type(exc).__name__}); unlock it, or set [oauth2] token_store = \"file\" "
                                      f"and {LOGIN_AGAIN}") from None
            if text:
                return self._parse(text, "the system keyring")
        record = self._read_file().get(self.key(username))
        return self._parse(json.dumps(record), str(self.path)) if record else None

    def save(self, username: str, tokens: Tokens) -> None:
        text = json.dumps(asdict(tokens))
        if self.keyring is not None:
            try:
                self.keyring.set_password(KEYRING_SERVICE, self.key(username), text)
            except Exception as exc:  # noqa: BLE001 - see load
                raise OAuthLoginError(f"cannot keep the OAuth2 tokens in the system keyring "
                                      f"({type(exc).__name__}); unlock it, or set [oauth2] token_store = "
                                      "\"file\"") from None
            self._drop_from_file(username)  # one place only: never a stale copy in the file
            return
        records = self._read_file()
        records[self.key(username)] = asdict(tokens)
        self._write_file(records)

    def delete(self, username: str) -> None:
        if self.keyring is not None:
            with contextlib.suppress(Exception):
                self.keyring.delete_password(KEYRING_SERVICE, self.key(username))
        self._drop_from_file(username)

    @staticmethod
    def _parse(text: str, where: str) -> Tokens:
        try:
            data = json.loads(text)
            return Tokens(**{k: data[k] for k in ("refresh_token", "access_token", "expires_at", "scope",
                                                  "obtained_at") if k in data})
        except (ValueError, TypeError, KeyError):
            raise OAuthLoginError(f"the OAuth2 tokens in {where} are unreadable: {LOGIN_AGAIN}") from None

    def _read_file(self) -> dict[str, Any]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        if info.st_uid != os.getuid():
            raise OAuthLoginError(f"{self.path} belongs to another user of this machine: remove it, then "
                                  f"{LOGIN_AGAIN}")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise OAuthLoginError(f"{self.path} can be read by other users of this machine: make it yours only "
                                  f"(chmod 600 {self.path}), then {LOGIN_AGAIN} (the tokens in it may have been "
                                  "seen)")
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            raise OAuthLoginError(f"{self.path} is unreadable: delete it and {LOGIN_AGAIN}") from None
        return data if isinstance(data, dict) else {}

    def _write_file(self, records: dict[str, Any]) -> None:
        """Atomically, owner-only from the first byte (files.write_atomic creates it 0600)."""
        write_atomic(self.path, json.dumps(records, indent=1), what="OAuth2 token file", mode=0o600)

    def _drop_from_file(self, username: str) -> None:
        if not self.path.exists():
            return
        records = self._read_file()
        if records.pop(self.key(username), None) is not None:
            self._write_file(records)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One refresh at a time across processes (a provider that rotates refresh tokens would otherwise
        see two processes each spend the same one)."""
        lock = self.path.with_name(f".{self.path.name}.lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise OAuthLoginError(f"cannot create {lock}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


# --- talking to the authorization server --------------------------------------------------------------

def _session(oauth: OAuthConfig, **kwargs: Any) -> OAuth2Session:
    from authlib.integrations.requests_client import OAuth2Session

    oauth.check_ready(kwargs.pop("flow", None))
    secret = oauth.client_secret()
    session = OAuth2Session(client_id=oauth.client_id, client_secret=secret,
                            token_endpoint_auth_method="client_secret_post" if secret else "none", **kwargs)
    session.trust_env = False  # no proxy or netrc from the environment gets to see a token
    return session


def _failure(exc: BaseException, oauth: OAuthConfig, what: str, *tokens: str) -> OAuthLoginError:
    """One line for a campaigner out of whatever the token endpoint did."""
    import requests
    from authlib.common.errors import AuthlibBaseError

    host = _host(oauth.token_url)
    if isinstance(exc, AuthlibBaseError):
        detail = exc.error or "refused"
        if exc.description:
            detail += ": " + _redact(str(exc.description), *tokens)
        return OAuthLoginError(f"{what} was refused by {host} ({detail}): {LOGIN_AGAIN}")
    if isinstance(exc, requests.Timeout):
        return OAuthLoginError(f"{what} failed: {host} did not answer within {oauth.timeout_seconds:g} s; try "
                               f"again later, or {LOGIN_AGAIN} if it keeps failing")
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return OAuthLoginError(f"{what} failed: {host} answered HTTP {exc.response.status_code}; try again later, "
                               f"or {LOGIN_AGAIN} if it keeps failing")
    if isinstance(exc, requests.RequestException):
        return OAuthLoginError(f"{what} failed: cannot reach {host} ({type(exc).__name__}); try again later, or "
                               f"{LOGIN_AGAIN} if it keeps failing")
    return OAuthLoginError(f"{what} failed: {host} gave an answer foibot cannot read ({type(exc).__name__}): "
                           f"{LOGIN_AGAIN}")


def refresh(oauth: OAuthConfig, tokens: Tokens, username: str, now: float) -> Tokens:
    """A new access token from the refresh token (and a new refresh token when the provider rotates them)."""
    import requests
    from authlib.common.errors import AuthlibBaseError

    # Google's refresh takes no scope (its documentation lists none); Microsoft's and RFC 6749's take one.
    session = _session(oauth, scope=None if oauth.provider in ("gmail", "google_workspace")
                       else " ".join(oauth.scopes))
    try:
        response = session.refresh_token(oauth.token_url, refresh_token=tokens.refresh_token,
                                         timeout=oauth.timeout_seconds)
    except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
        raise _failure(exc, oauth, f"refreshing the OAuth2 login for {username}", tokens.refresh_token) from None
    finally:
        session.close()
    return Tokens.from_response(dict(response), now, previous=tokens)


class TokenSource:
    """Access tokens for one account, as servers ask for them: the stored one while it is fresh, else a
    refreshed one. `access_token(rejected=...)` after a server refused a token refreshes at once."""

    # `clock` is the real time, never FOIBOT_NOW: token lifetimes are counted by the provider's clock.
    def __init__(self, oauth: OAuthConfig, username: str, clock: Callable[[], float] = time.time):
        self.oauth = oauth
        self.username = username
        self.store = TokenStore(oauth)
        self.clock = clock
        self._tokens: Tokens | None = None
        self._lock = threading.Lock()

    def access_token(self, rejected: str | None = None) -> str:
        with self._lock:
            now = self.clock()
            current = self._tokens
            if current is not None and current.fresh(now) and current.access_token != rejected:
                return current.access_token
            with self.store.locked():
                stored = self.store.load(self.username)  # another process may have refreshed meanwhile
                if stored is None:
                    raise OAuthLoginError(f"no OAuth2 login for {self.username} yet: run `foibot login`")
                if not stored.fresh(now) or stored.access_token == rejected:
                    try:
                        stored = refresh(self.oauth, stored, self.username, now)
                    except OAuthLoginError:
                        # Next time, start again from what is kept: a new `foibot login` may be there.
                        self._tokens = None
                        raise
                    self.store.save(self.username, stored)
            self._tokens = stored
            return stored.access_token


_sources: dict[tuple[str, str], TokenSource] = {}
_sources_lock = threading.Lock()


def token_source(config: Config, server: ServerConfig) -> TokenSource:
    """The one TokenSource of this process for the server's account (SMTP and IMAP share a login)."""
    if config.oauth2 is None:
        raise ConfigError(f"{server.source}: [{server.section}] auth is not \"oauth2\"")
    key = (str(config.oauth2.token_file), server.username)
    with _sources_lock:
        source = _sources.get(key)
        if source is None or source.oauth != config.oauth2:
            source = _sources[key] = TokenSource(config.oauth2, server.username)
        return source


def accounts(config: Config) -> list[str]:
    """The distinct accounts that log in with OAuth2, SMTP's first."""
    seen: list[str] = []
    for server in (config.smtp, config.imap):
        if server is not None and server.uses_oauth and server.username not in seen:
            seen.append(server.username)
    return seen


# --- logging in -----------------------------------------------------------------------------------------

def device_login(oauth: OAuthConfig, username: str, say: Say, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time) -> Tokens:
    """RFC 8628: show a URL and a code, then wait while the campaigner approves in any browser."""
    import requests
    from authlib.common.errors import AuthlibBaseError

    scope = " ".join(oauth.scopes)
    session = _session(oauth, flow="device")  # the scope goes with the device request, not each poll
    try:
        try:
            answer = session.post(oauth.device_url, data={"client_id": oauth.client_id, "scope": scope},
                                  headers={"Accept": "application/json"}, timeout=oauth.timeout_seconds,
                                  withhold_token=True)
            grant = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise _failure(exc, oauth, f"starting the login for {username}") from None
        if not isinstance(grant, dict) or "device_code" not in grant:
            error = grant.get("error", f"HTTP {answer.status_code}") if isinstance(grant, dict) else "no JSON"
            raise OAuthLoginError(f"{_host(oauth.device_url)} would not start a device login ({error}): check "
                                  "[oauth2] client_id, and that the app allows public client flows")
        uri = grant.get("verification_uri") or grant.get("verification_url") or ""
        say(f"To log in as {username}, open {uri} in any browser and enter the code {grant.get('user_code')}")
        interval = float(grant.get("interval") or 5)
        deadline = clock() + float(grant.get("expires_in") or 900)
        while True:
            sleep(interval)
            try:
                response = session.fetch_token(oauth.token_url, grant_type=DEVICE_GRANT,
                                               device_code=grant["device_code"], timeout=oauth.timeout_seconds)
                break
            except AuthlibBaseError as exc:
                if exc.error == "authorization_pending" and clock() < deadline:
                    continue
                if exc.error == "slow_down" and clock() < deadline:
                    interval += 5
                    continue
                if exc.error in ("authorization_pending", "slow_down", "expired_token"):
                    raise OAuthLoginError(f"the code for {username} expired before it was entered: "
                                          f"{LOGIN_AGAIN}") from None
                raise _failure(exc, oauth, f"the login for {username}") from None
            except (requests.RequestException, ValueError) as exc:
                raise _failure(exc, oauth, f"the login for {username}") from None
    finally:
        session.close()
    return Tokens.from_response(dict(response), clock())


def browser_login(oauth: OAuthConfig, username: str, say: Say, *, port: int = 0, open_browser: bool = True,
                  timeout: float = 300.0, clock: Callable[[], float] = time.time) -> Tokens:
    """RFC 8252: send the browser to the provider, which sends it back to a listener on this machine."""
    import requests
    from authlib.common.errors import AuthlibBaseError
    from authlib.common.security import generate_token

    listener = _Listener(port)
    try:
        parts = urlsplit(oauth.redirect_uri)
        redirect_uri = f"{parts.scheme}://{parts.hostname}:{listener.port}/"
        session = _session(oauth, scope=" ".join(oauth.scopes), redirect_uri=redirect_uri,
                           code_challenge_method="S256", flow="browser")
        verifier = generate_token(64)
        url, state = session.create_authorization_url(oauth.authorize_url, code_verifier=verifier,
                                                      login_hint=username, **oauth.authorize_params)
        say(f"To log in as {username}, open this address in a browser on this machine (foibot waits for it "
            f"on port {listener.port}):\n{url}")
        if open_browser:
            import webbrowser

            with contextlib.suppress(Exception):
                webbrowser.open(url)
        back = listener.wait(timeout)
        if back is None:
            raise OAuthLoginError(f"no answer from the browser within {timeout:g} s: {LOGIN_AGAIN}")
        query = parse_qs(urlsplit(back).query)
        if "code" not in query:
            error = query.get("error", ["no code"])[0]
            raise OAuthLoginError(f"the login for {username} was not completed in the browser ({error}): "
                                  f"{LOGIN_AGAIN}")
        try:
            response = session.fetch_token(oauth.token_url, authorization_response=redirect_uri.rstrip("/") + back,
                                           state=state, code_verifier=verifier, timeout=oauth.timeout_seconds)
        except (AuthlibBaseError, requests.RequestException, ValueError) as exc:
            raise _failure(exc, oauth, f"the login for {username}") from None
        finally:
            session.close()
    finally:
        listener.close()
    return Tokens.from_response(dict(response), clock())


class _Listener:
    """A one-shot HTTP listener on 127.0.0.1 for the browser's return (path and query only are kept)."""

    def __init__(self, port: int):
        from http.server import BaseHTTPRequestHandler, HTTPServer

        owner = self
        self.path: str | None = None
        self.done = threading.Event()
        self.nonce = secrets.token_hex(4)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                # Only the provider's answer counts: a stray request (a favicon, a port scan) is turned away.
                if parts.path not in ("", "/") or not {"code", "error"} & set(parse_qs(parts.query)):
                    self.send_error(404)
                    return
                owner.path = self.path
                body = b"<!doctype html><title>foibot</title><p>foibot has your answer: you can close this page."
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                owner.done.set()

            def log_message(self, format: str, *args: Any) -> None:
                return

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise OAuthLoginError(f"cannot listen on 127.0.0.1 port {port} for the browser: {exc.strerror}") from None
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def wait(self, timeout: float) -> str | None:
        return self.path if self.done.wait(timeout) else None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def login(config: Config, say: Say, *, flow: str | None = None, port: int = 0, open_browser: bool = True,
          timeout: float = 300.0) -> list[str]:
    """`foibot login`: a login for every account that uses OAuth2; the tokens kept; a line per account."""
    oauth = config.oauth2
    if oauth is None:
        raise ConfigError(f"{config.source}: neither [smtp] nor [imap] has auth = \"oauth2\": nothing to log in to")
    chosen = flow or oauth.flow
    oauth.check_ready(chosen)
    store = TokenStore(oauth)
    done = []
    for username in accounts(config):
        if chosen == "device":
            tokens = device_login(oauth, username, say)
        else:
            tokens = browser_login(oauth, username, say, port=port, open_browser=open_browser, timeout=timeout)
        with store.locked():
            store.save(username, tokens)
        with _sources_lock:
            _sources.pop((str(oauth.token_file), username), None)
        done.append(f"Logged in as {username}; the login is kept in {store.where} and renews itself.")
    return done
