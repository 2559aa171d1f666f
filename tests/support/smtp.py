"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), faking only the far end's misbehaviour.

Loaded by tests/conftest.py as a pytest plugin. How to use it:

    def test_something(smtp_server, campaign):            # plain SMTP, no TLS, no AUTH
        config = write_config(campaign, smtp=smtp_server)   # campaign/config.toml pointing at it
        ... run foibot (CliRunner or subprocess; the server runs in a thread of the test process) ...
        assert [m.to for m in smtp_server.received] == ["foi@council.example"]

    def test_tls(make_smtp_server):                         # factory for anything else
        server = make_smtp_server(security="starttls", username="me", password="pw")
        # security: "none" | "starttls" (required before AUTH/MAIL) | "tls" (implicit, SMTPS)
        # certificates come from trustme; server.ca_file is the CA to trust (written into the config)
        # lmtp=("example.test", 10024): recipients in that domain are also handed to that LMTP port
        # (Dovecot), so a message "from an authority" reaches the campaigner's IMAP inbox.

The server object (`SmtpServer`):
    .host, .port, .security, .ca_file, .username, .password, .password_env (env var set for the test)
    .received             list of `Received` (mail_from, rcpt_tos, data bytes; .message .to .subject
                          .header(name) .body), in arrival order; only messages answered 250 are here
    .messages_to(addr)    the received messages whose envelope includes addr
    .wait_for(count)      block until that many messages arrived (for subprocess tests)
    .connections_used     how many distinct connections carried a MAIL FROM
    Faults (thread-safe, counted per message, apply to what is sent after the call):
    .fail_next(n, code=451, text=...)         next n DATA commands answered with that reply, not stored
    .reject_recipient(addr, code=550, text=)  RCPT TO for that address refused (permanent by default)
    .drop_next(n=1)                           next n messages: the connection is cut after the data
                                              arrived and before the reply (not stored)
    .stall_next(n=1, seconds=5)               next n messages: no reply for that long, then cut
    .reject_sender(code=553, text=...)        every MAIL FROM refused (a sender the account may not use)
    .reject_all_recipients(code, text)        every RCPT TO refused with that reply, as Postfix refuses a
                                              login's foreign sender or an unknown client at RCPT; None: stop
    .limit_connections(n)                     more than n connections at once are greeted with 421 and closed
    .file_copies(store)                       like Gmail: every message accepted is also handed to
                                              store(raw) before the 250 (e.g. an IMAP APPEND to the
                                              campaigner's Sent folder on Dovecot: `sent_folder_of`)
    .smtp_section(**overrides)                the [smtp] table of a config pointing at this server
    .stop()                                   stop listening now (an unreachable server); idempotent

`write_config(folder, smtp=server_or_None, requester=None, **sections)` writes folder/config.toml
(rate limits off, short retry delays, a small timeout) and returns its path. Extra sections are plain
dicts, e.g. `imap={...}`, `storage={"database": "x.db"}`; a section given as a dict replaces the default.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import smtplib
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from foibot.sandbox import LoopbackController

# aiosmtpd warns on every connection of a plaintext test server that requires AUTH, and logs a deprecation
# per login: hundreds of lines that hide the test's own output.
logging.getLogger("mail.log").setLevel(logging.ERROR)

REQUESTER_EMAIL = "campaigner@foibot.test"
REQUESTER_NAME = "Alex Campaigner"
PASSWORD_ENV = "FOIBOT_TEST_SMTP_PASSWORD"  # set by the fixture when the server requires AUTH


@dataclass
class Received:
    """One message the server accepted (answered 250)."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: tuple[Any, ...] = ()

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def header(self, name: str) -> str | None:
        value = self.message[name]
        return None if value is None else str(value)

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class _Faults:
    fail: list[tuple[int, str]] = field(default_factory=list)  # one entry per message to refuse
    drop: int = 0
    stall: list[float] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)
    sender: str | None = None
    max_connections: int | None = None
    file_copy: Callable[[bytes], None] | None = None
    reject_all: str | None = None


class SmtpServer:
    """An aiosmtpd server in a thread of the test process; see the module docstring."""

    def __init__(
        self,
        *,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        certs: Any = None,
        lmtp: tuple[str, int] | None = None,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(security)
        self.host = "127.0.0.1"
        self.port = 0
        self.security = security
        self.username = username
        self.password = password
        self.password_env = PASSWORD_ENV if username else ""
        self.ca_file = str(certs.ca_file) if certs is not None and security != "none" else ""
        self.lmtp = lmtp
        self.received: list[Received] = []
        self._peers: set[tuple[Any, ...]] = set()
        self._faults = _Faults()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        kwargs: dict[str, Any] = {"server_hostname": "smtp.foibot.test", "data_size_limit": 30 * 1024 * 1024}
        if security == "starttls":
            kwargs.update(tls_context=certs.server_context, require_starttls=True)
        elif security == "tls":
            kwargs.update(ssl_context=certs.server_context)
        if username:
            kwargs.update(
                authenticator=self._authenticate,
                auth_required=True,
                # Implicit TLS is invisible to aiosmtpd's STARTTLS bookkeeping; plain servers are test-only.
                auth_require_tls=(security == "starttls"),
            )
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        self._connected = 0
        self._controller = _FreePortController(_Handler(self), hostname=self.host, **kwargs)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        self._controller.start()
        self.port = self._controller.port
        self._running = True
        return self

    def stop(self) -> None:
        """Stop listening (a test may do it to play an unreachable server; the fixture does it at the end)."""
        if getattr(self, "_running", False):
            self._running = False
            self._controller.stop()

    # --- what arrived ------------------------------------------------------------------------------

    def messages_to(self, address: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if address.lower() in (a.lower() for a in r.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.received)}")
                self._arrived.wait(left)
            return list(self.received)

    @property
    def connections_used(self) -> int:
        return len(self._peers)

    # --- faults ------------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, code: int = 451, text: str = "4.3.0 Temporary failure, try again later") -> None:
        with self._lock:
            self._faults.fail.extend([(code, text)] * n)

    def reject_recipient(self, address: str, code: int = 550, text: str = "5.1.1 Mailbox does not exist") -> None:
        with self._lock:
            self._faults.reject[address.lower()] = f"{code} {text}"

    def drop_next(self, n: int = 1) -> None:
        with self._lock:
            self._faults.drop += n

    def stall_next(self, n: int = 1, seconds: float = 5.0) -> None:
        with self._lock:
            self._faults.stall.extend([seconds] * n)

    def reject_sender(self, code: int = 553, text: str = "5.7.1 Sender address rejected: not owned by user") -> None:
        with self._lock:
            self._faults.sender = f"{code} {text}"

    def limit_connections(self, n: int) -> None:
        with self._lock:
            self._faults.max_connections = n

    def reject_all_recipients(self, code: int | None, text: str = "") -> None:
        with self._lock:
            self._faults.reject_all = f"{code} {text}" if code is not None else None

    def file_copies(self, store: Callable[[bytes], None] | None) -> None:
        with self._lock:
            self._faults.file_copy = store

    # --- config ------------------------------------------------------------------------------------

    def smtp_section(self, **overrides: Any) -> dict[str, Any]:
        section: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "connections": 2,
            "rate_per_minute": 0,
            "domain_pause_seconds": 0,
            "timeout_seconds": 5,
            "max_attempts": 4,
            "retry_base_seconds": 0.05,
        }
        if self.ca_file:
            section["ca_file"] = self.ca_file
        if self.username:
            section.update(username=self.username, password_env=self.password_env)
        section.update(overrides)
        return section

    # --- called from the server thread -------------------------------------------------------------

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        if ok:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False, message="535 5.7.8 Authentication credentials invalid")

    def _record(self, received: Received) -> None:
        with self._arrived:
            self.received.append(received)
            self._arrived.notify_all()


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self.owner._lock:
            self.owner._peers.add(tuple(session.peer))
            refusal = self.owner._faults.sender
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        with self.owner._lock:
            refusal = self.owner._faults.reject_all or self.owner._faults.reject.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        faults = self.owner._faults
        with self.owner._lock:
            fail = faults.fail.pop(0) if faults.fail else None
            drop = False
            stall = None
            if fail is None and faults.drop:
                faults.drop -= 1
                drop = True
            elif fail is None and faults.stall:
                stall = faults.stall.pop(0)
        if fail is not None:
            return f"{fail[0]} {fail[1]}"
        if stall is not None:
            await asyncio.sleep(stall)
            drop = True
        if drop:
            server.transport.abort()
            return "421 4.4.2 connection dropped by the test"  # never reaches the client
        data = bytes(envelope.original_content)
        if self.owner.lmtp:
            refused = await asyncio.get_running_loop().run_in_executor(
                None, _deliver_lmtp, self.owner.lmtp, envelope.mail_from, list(envelope.rcpt_tos), data
            )
            if refused:
                return refused
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), data, tuple(session.peer))
        store = faults.file_copy
        if store is not None:  # the provider files its copy as it accepts the message: both or neither, even
            def accept() -> None:  # when the client vanishes meanwhile (a thread is not cancelled)
                store(data)
                self.owner._record(received)

            await asyncio.get_running_loop().run_in_executor(None, accept)
        else:
            self.owner._record(received)
        return "250 2.0.0 Message accepted for delivery"


def _deliver_lmtp(lmtp: tuple[str, int], mail_from: str, rcpt_tos: list[str], data: bytes) -> str | None:
    """Hand the recipients in the LMTP domain to the LMTP server; its refusal becomes our reply."""
    domain, port = lmtp
    local = [r for r in rcpt_tos if r.lower().endswith("@" + domain.lower())]
    if not local:
        return None
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            client.sendmail(mail_from, local, data)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return f"{code} {text.decode(errors='replace')}"
    except smtplib.SMTPResponseException as exc:
        return f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    return None


class _LimitedSMTP(SMTP):
    """aiosmtpd's server, able to turn away connections beyond a limit the way busy providers do."""

    async def _handle_client(self) -> None:
        owner: SmtpServer = self.event_handler.owner
        with owner._lock:
            limit = owner._faults.max_connections
            refused = limit is not None and owner._connected >= limit
            if not refused:
                owner._connected += 1
        if refused:
            await self.push("421 4.7.0 Too many connections from your host, try again later")
            self.transport.close()
            return
        try:
            await super()._handle_client()
        finally:
            with owner._lock:
                owner._connected -= 1


class _FreePortController(LoopbackController):
    """foibot's own loopback Controller (port 0, the chosen port in `port`) with the test server's limits."""

    def factory(self) -> SMTP:
        return _LimitedSMTP(self.handler, **self.SMTP_kwargs)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def toml_text(sections: dict[str, dict[str, Any]]) -> str:
    out = []
    for name, table in sections.items():
        out.append(f"[{name}]")
        out.extend(f"{key} = {toml_value(value)}" for key, value in table.items())
        out.append("")
    return "\n".join(out)


@dataclass(frozen=True)
class Certs:
    """A trustme CA and a server certificate for 127.0.0.1 and localhost."""

    ca_file: Path
    server_context: ssl.SSLContext


def make_certs(directory: Path) -> Certs:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return Certs(ca_file=ca_file, server_context=context)


def sent_folder_of(dovecot: Any, user: str, folder: str = "Sent") -> Callable[[bytes], None]:
    """A `file_copies` store: APPEND to `user`'s `folder` on the test Dovecot, \\Seen, as Gmail files what its
    SMTP server accepts (the fixture's Dovecot marks a folder named "Sent" \\Sent). One IMAP connection."""
    lock = threading.Lock()
    client: list[Any] = []

    def store(raw: bytes) -> None:
        with lock:
            if not client:
                client.append(dovecot.client(user))
                if not client[0].folder_exists(folder):
                    client[0].create_folder(folder)
            client[0].append(folder, raw, flags=("\\Seen",))

    return store


def write_config(
    folder: Path,
    smtp: SmtpServer | dict[str, Any] | None = None,
    requester: dict[str, Any] | None = None,
    **sections: dict[str, Any],
) -> Path:
    """folder/config.toml for a campaign sending through `smtp` (a server, or its [smtp] table as a dict;
    None: the embedded sandbox)."""
    data: dict[str, dict[str, Any]] = {
        "requester": requester or {"name": REQUESTER_NAME, "email": REQUESTER_EMAIL},
    }
    if smtp is not None:
        data["smtp"] = smtp if isinstance(smtp, dict) else smtp.smtp_section()
    data.update(sections)
    path = Path(folder) / "config.toml"
    path.write_text(toml_text(data), encoding="utf-8")
    return path


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("smtp-certs"))


@pytest.fixture
def make_smtp_server(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., SmtpServer]]:
    """make_smtp_server(security="none"|"starttls"|"tls", username=None, password=None, lmtp=None)."""
    servers: list[SmtpServer] = []

    def make(
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        lmtp: tuple[str, int] | None = None,
    ) -> SmtpServer:
        certs = request.getfixturevalue("smtp_certs") if security != "none" else None
        server = SmtpServer(security=security, username=username, password=password, certs=certs, lmtp=lmtp)
        server.start()
        servers.append(server)
        if username:
            monkeypatch.setenv(PASSWORD_ENV, password or "")
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(make_smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 (no TLS, no AUTH) that stores every message it accepts."""
    return make_smtp_server()
