"""The mailer (aiosmtplib): a few reused connections, a rate limit, a pause per domain, retries with backoff.

The mailer knows envelopes, not requests: the caller claims, records and releases each message through
`Hooks` (sending.py wires them to the outbox), so what the database says and what the server was told
cannot drift apart. Every claim happens before the SMTP conversation for that message starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import random
import re
import signal
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosmtplib

from ..addresses import domain_of
from ..config import security_hint
from ..errors import FoibotError, MailServerError

MAX_BACKOFF_SECONDS = 300.0
T = TypeVar("T")


@dataclass(frozen=True)
class SmtpSettings:
    """Everything the mailer needs to reach one SMTP server; the password only lives in memory."""

    host: str
    port: int
    security: str  # tls | starttls | none
    username: str = ""
    password: str | None = field(default=None, repr=False)
    password_env: str = ""
    ca_file: Path | None = None
    timeout: float = 30.0
    connections: int = 2
    rate_per_minute: int = 20  # 0: no limit
    domain_pause: float = 10.0  # seconds between two messages to one domain; 0: none
    max_attempts: int = 5  # per message and per connection, within one run
    retry_base: float = 5.0  # the first backoff; it doubles with each attempt, with jitter
    local_hostname: str = "localhost"
    # auth = "oauth2": a fresh access token for `username` (oauth.TokenSource.access_token); called with
    # the token the server just refused, if any, to get a refreshed one. Blocking: run in a thread.
    oauth_token: Callable[[str | None], str] | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"SMTP server {self.host}:{self.port}"


@dataclass
class Envelope:
    """One message to hand over; `item` is the caller's own record of it (an outbox row)."""

    sender: str
    recipient: str
    data: bytes
    item: Any = None
    attempts: int = 0  # in this run
    last_error: str = ""

    @property
    def domain(self) -> str:
        return domain_of(self.recipient)


class Hooks(Protocol):
    """What the caller records at each step; called on the event loop, one at a time."""

    def claim(self, envelope: Envelope) -> bool | str:
        """Before the conversation: True or "go" to go ahead, False or "taken" when somebody else has it
        already, "limit" when the daily limit is reached (the run stops there, the rest stays queued)."""

    def sent(self, envelope: Envelope, reply: str) -> None: ...

    def unknown(self, envelope: Envelope, reason: str) -> None:
        """The content went out, the answer never came: it may or may not have been accepted."""

    def requeued(self, envelopes: list[Envelope], reason: str) -> None:
        """Envelopes recorded as failed whose refusal turned out to be the run's problem: queued again."""

    def failed(self, envelope: Envelope, reason: str) -> None:
        """Refused for good (5xx): never retried."""

    def released(self, envelope: Envelope, reason: str, final: bool) -> None:
        """Not delivered, for a temporary reason; `final` when this run will not try it again."""


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0  # temporary failures that were tried again
    deferred: int = 0  # still not delivered when the run ended (temporary failures, or a stop)
    skipped: int = 0  # claimed by another process first
    unknown: int = 0  # the connection went after the final dot: may or may not have been accepted
    limit_reached: bool = False  # the daily limit stopped the run: the rest stays queued
    connections: int = 0
    seconds: float = 0.0


class _Transient(Exception):
    """A temporary failure: the message is known not to be delivered (or is tried again)."""


class _AfterTheDot(Exception):
    """The connection was lost (or went silent) after the final dot, before the server's answer."""


SAME_REFUSAL_STREAK = 3  # the same 5xx at this many different domains in a row: the run's problem
_STUFF = re.compile(rb"(?m)^\.")  # RFC 5321 4.5.2: a line starting with a dot gets another one
_ADDRESSES = re.compile(r"<[^<>]*>|[\w.+-]+@[\w.-]+")
# What a refusal at RCPT says when it is about us, not the recipient (Postfix, Exim, Exchange, Gmail).
_SENDER_WORDS = ("sender address rejected", "not owned by", "sender not allowed", "send as",
                 "sendasdenied", "not authorized to send")
_CLIENT_WORDS = ("client host rejected", "authentication required", "must authenticate",
                 "not authenticated", "relay access denied", "not permitted to relay")


def _own_refusal(text: str, sender: str, settings: SmtpSettings) -> tuple[str, str] | None:
    """("client" or "sender", what to fix) when a refusal at RCPT is about us; None when it is not."""
    if any(word in text for word in _CLIENT_WORDS) or (
            "5.7.1" in text and "relay" in text and not settings.username):
        return ("client", ("the server does not accept mail from this client or login: check [smtp] username "
                          "and password_env (an empty username means foibot does not log in)"))
    if sender.lower() in text or any(word in text for word in _SENDER_WORDS):
        login = f" {settings.username!r}" if settings.username else ""
        return ("sender", (f"the login{login} may not send as {sender}: set [requester] email to an address the "
                          "account owns, or [smtp] username to the account that owns it"))
    return None


class _Unreachable(MailServerError):
    """The server was reached before but not again after retries: fatal only if no connection is left."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}".strip()
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return _reason(exc.recipients[0])
    return str(exc) or type(exc).__name__


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


def tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    """Certificate and host name checks always on; `ca_file` replaces the system CAs (a private CA)."""
    if settings.security == "none":
        return None
    cafile = str(settings.ca_file) if settings.ca_file else None
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise MailServerError(f"cannot read the CA certificates in {cafile}: {exc}") from exc


def backoff(base: float, attempt: int) -> float:
    """Exponential backoff with jitter, so connections that failed together do not retry together."""
    delay = min(MAX_BACKOFF_SECONDS, base * (2 ** max(0, attempt - 1)))
    return delay * random.uniform(0.5, 1.0)


class _Delivery:
    def __init__(self, envelopes: list[Envelope], settings: SmtpSettings, hooks: Hooks,
                 progress: Callable[[int], None] | None) -> None:
        self.s = settings
        self.hooks = hooks
        self.progress = progress
        self.stats = DeliveryStats()
        self.context = tls_context(settings)
        self.interval = 60.0 / settings.rate_per_minute if settings.rate_per_minute > 0 else 0.0
        self.pause = float(settings.domain_pause)
        self.heap: list[tuple[float, int, Envelope]] = []
        self.seq = 0
        self.parked: dict[str, list[Envelope]] = {}
        self.busy: set[str] = set()
        self.domain_free_at: dict[str, float] = {}
        self.next_slot = 0.0
        self.in_flight = 0
        self.stopping = False
        self.fatal: BaseException | None = None
        self.ever_connected = False
        self.live = 0  # workers holding a connection
        self.refusals: list[tuple[str, str, Envelope]] = []  # the same 5xx in a row: (shape, domain, envelope)
        self.limit_reached = False
        self.run_problem = False  # a refusal about our sender or client: nothing more is recorded failed
        self.changed = asyncio.Event()
        for envelope in envelopes:
            self._push(envelope, 0.0)

    # --- scheduling --------------------------------------------------------------------------------

    def _push(self, envelope: Envelope, ready: float) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (ready, self.seq, envelope))

    async def _wait(self, timeout: float | None) -> None:
        self.changed.clear()
        try:
            await asyncio.wait_for(self.changed.wait(), timeout)
        except TimeoutError:
            pass

    async def take(self) -> Envelope | None:
        """The next envelope whose domain pause and retry delay are over, in a rate-limit slot."""
        loop = asyncio.get_running_loop()
        while True:
            if self.stopping:
                return None
            while self.heap:
                ready, seq, envelope = self.heap[0]
                if envelope.domain in self.busy:  # one message at a time per domain while pausing
                    heapq.heappop(self.heap)
                    self.parked.setdefault(envelope.domain, []).append(envelope)
                    continue
                free_at = self.domain_free_at.get(envelope.domain, 0.0)
                if free_at > ready:
                    heapq.heapreplace(self.heap, (free_at, seq, envelope))
                    continue
                break
            if not self.heap:
                if self.in_flight == 0:
                    return None
                await self._wait(None)
                continue
            ready = self.heap[0][0]
            now = loop.time()
            if ready > now:
                await self._wait(ready - now)
                continue
            envelope = heapq.heappop(self.heap)[2]
            if self.pause > 0:
                self.busy.add(envelope.domain)
            self.in_flight += 1
            if self.interval:
                slot = max(now, self.next_slot)
                self.next_slot = slot + self.interval
                while not self.stopping and loop.time() < slot:  # woken early by a stop, or by others
                    await self._wait(slot - loop.time())
            return envelope

    def done(self, envelope: Envelope, retry_at: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        self.in_flight -= 1
        if self.pause > 0:
            domain = envelope.domain
            self.busy.discard(domain)
            free_at = loop.time() + self.pause
            self.domain_free_at[domain] = free_at
            for parked in self.parked.pop(domain, []):
                self._push(parked, free_at)
        if retry_at is not None:
            self._push(envelope, retry_at)
        elif self.progress is not None:
            self.progress(1)
        self.changed.set()

    def untake(self, envelope: Envelope) -> None:
        """Give back an envelope taken but never claimed (still queued, untouched) for another worker."""
        self.in_flight -= 1
        if self.pause > 0:
            self.busy.discard(envelope.domain)
            for parked in self.parked.pop(envelope.domain, []):
                self._push(parked, 0.0)
        self._push(envelope, 0.0)
        self.changed.set()

    def stop(self, error: BaseException | None = None) -> None:
        if error is not None and self.fatal is None:
            self.fatal = error
        self.stopping = True
        self.changed.set()

    # --- connections -------------------------------------------------------------------------------

    async def _open(self) -> aiosmtplib.SMTP:
        s = self.s
        # A login that cannot be renewed fails here, before any connection.
        access = await asyncio.to_thread(s.oauth_token, None) if s.oauth_token is not None else ""
        smtp = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            timeout=s.timeout,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",  # required, never opportunistic
            tls_context=self.context,
            local_hostname=s.local_hostname,
            username=(s.username or None) if s.oauth_token is None else None,
            password=s.password if s.username and s.oauth_token is None else None,
        )
        try:
            await smtp.connect()
            if s.oauth_token is not None:
                try:
                    await self._oauth_login(smtp, access)
                except BaseException:
                    smtp.close()
                    raise
        except aiosmtplib.SMTPAuthenticationError as exc:
            where = f" (the password comes from ${s.password_env})" if s.password_env else ""
            raise MailServerError(
                f"{s.label} refused the login for {s.username!r}: {_reason(exc)}; check the username and "
                f"password{where}"
            ) from exc
        except aiosmtplib.SMTPNotSupported as exc:
            hint = ' (use security = "tls" on port 465)' if s.security == "starttls" else ""
            raise MailServerError(f"{s.label}: {exc}{hint}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            cert = _cause(exc, ssl.SSLCertVerificationError)
            if cert is not None:
                detail = getattr(cert, "verify_message", "") or str(cert)
                raise MailServerError(
                    f"{s.label}: its TLS certificate could not be verified ({detail}); if the server uses a "
                    "private CA, name it in [smtp] ca_file"
                ) from exc
            advice = security_hint(exc, s.security, s.port, "smtp") if not self.ever_connected else None
            if advice is not None:
                raise MailServerError(f"{s.label}: {_reason(exc)}; {advice}") from exc
            if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 500:
                raise MailServerError(f"{s.label} refused the connection: {_reason(exc)}") from exc
            if isinstance(exc, aiosmtplib.SMTPException) and not isinstance(
                exc, (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError,
                      aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPResponseException)
            ):
                raise MailServerError(f"{s.label}: {exc}") from exc
            raise _Transient(_reason(exc)) from exc
        self.stats.connections += 1
        self.ever_connected = True
        return smtp

    async def _oauth_login(self, smtp: aiosmtplib.SMTP, access: str) -> None:
        """AUTH XOAUTH2 with the account's access token; a refused token is refreshed and tried once more
        (it may have been revoked or have expired early), then the refusal is the campaigner's to see."""
        s = self.s
        assert s.oauth_token is not None
        if not smtp.server_auth_methods:
            await smtp.ehlo()
        if "xoauth2" not in smtp.server_auth_methods:
            offered = " ".join(m.upper() for m in smtp.server_auth_methods) or "none"
            raise MailServerError(f"{s.label} does not offer the XOAUTH2 login (it offers: {offered}): use "
                                  "[smtp] auth = \"password\"")
        for attempt in range(2):
            if attempt:  # the token just refused: a refreshed one
                access = await asyncio.to_thread(s.oauth_token, access)
            try:
                await smtp.auth_xoauth2(s.username, access)
                return
            except aiosmtplib.SMTPAuthenticationError as exc:
                if exc.code < 500:  # "454 4.7.0 Temporary authentication failure": try again later
                    raise _Transient(_reason(exc)) from exc
                refusal = exc
        raise MailServerError(
            f"{s.label} refused the OAuth2 login for {s.username!r}: {_reason(refusal)}; check that the account "
            "may send by SMTP, then run `foibot login` again"
        ) from None

    async def connect(self) -> aiosmtplib.SMTP:
        """A connection, with retries once the server has been reached; a server never reached is fatal."""
        attempt = 0
        while True:
            try:
                return await self._open()
            except _Transient as exc:
                attempt += 1
                if not self.ever_connected:
                    raise MailServerError(f"cannot reach {self.s.label}: {exc}") from exc
                if attempt >= self.s.max_attempts or self.stopping:
                    raise _Unreachable(
                        f"lost {self.s.label} and could not reconnect after {attempt} attempts: {exc}"
                    ) from exc
                await asyncio.sleep(backoff(self.s.retry_base, attempt))

    # --- one message -------------------------------------------------------------------------------

    async def send_one(self, smtp: aiosmtplib.SMTP, envelope: Envelope) -> bool:
        """Hand one claimed envelope to the server and record the outcome; False if the connection is gone.

        Until the server's 354 the message cannot have been accepted: a failure then is temporary or
        permanent by its code. Once the content and its final dot have gone out, a lost connection or a
        silence leaves the message's fate unknown: it is recorded as such, never retried blindly."""
        loop = asyncio.get_running_loop()
        try:
            reply = await self._transfer(smtp, envelope)
        except aiosmtplib.SMTPSenderRefused as exc:
            if exc.code >= 500:  # refused before any recipient: every message would fail the same way
                self._release(envelope, _reason(exc), final=True)
                self.done(envelope)
                if exc.code == 530:
                    raise MailServerError(
                        f"{self.s.label} requires a login ({_reason(exc)}): set [smtp] username and "
                        "password_env"
                    ) from exc
                raise MailServerError(
                    f"{self.s.label} refused our sender address {envelope.sender}: {_reason(exc)}"
                ) from exc
            return self._temporary(envelope, exc, loop.time(), keep=exc.code != 421)
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPResponseException) as exc:
            code = exc.code
            if 500 <= code < 600 and self.run_problem:  # the run stops for a refusal about us: this one too
                self._release(envelope, _reason(exc), final=True)
                self.done(envelope)
                return True
            if 500 <= code < 600:
                problem = self._run_problem(envelope, exc)
                if problem is not None:
                    self.run_problem = True
                    self._release(envelope, _reason(exc), final=True)
                    self.done(envelope)
                    raise problem from exc
                self.hooks.failed(envelope, _reason(exc))
                self.stats.failed += 1
                self.done(envelope)
                return True
            self.refusals.clear()
            return self._temporary(envelope, exc, loop.time(), keep=code != 421)
        except (aiosmtplib.SMTPNotSupported, ValueError) as exc:  # this message can never go this way
            self.hooks.failed(envelope, _reason(exc))
            self.stats.failed += 1
            self.done(envelope)
            return True
        except _AfterTheDot as lost:
            # The server may have accepted it and its answer was lost: unknown, looked for in the Sent folder.
            self.hooks.unknown(envelope, f"{lost} (after the final dot, before the server's answer)")
            self.stats.unknown += 1
            self.done(envelope)
            return False
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Dropped or timed out before the content went: not delivered as far as the SMTP contract goes.
            return self._temporary(envelope, exc, loop.time(), keep=False)
        self.refusals.clear()
        self.hooks.sent(envelope, f"250 {reply}".strip())
        self.stats.sent += 1
        self.done(envelope)
        return True

    async def _transfer(self, smtp: aiosmtplib.SMTP, envelope: Envelope) -> str:
        """MAIL, RCPT, DATA, then the content: aiosmtplib's sendmail in steps, so that a failure is known to
        come before the content went out, or after (raised as _AfterTheDot)."""
        options = [f"size={len(envelope.data)}"] if smtp.supports_extension("size") else []
        try:
            await smtp.mail(envelope.sender, options=options)
            await smtp.rcpt(envelope.recipient)
            start = await smtp.execute_command(b"DATA")
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
        except aiosmtplib.SMTPResponseException:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await smtp.rset()
            raise
        protocol = smtp.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        content = _STUFF.sub(b"..", envelope.data)
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        protocol.write(content + b".\r\n")  # raises before anything went if the connection is gone
        try:
            # read_response marks a reply as expected before the loop can run again: none can be missed.
            response = await protocol.read_response(timeout=self.s.timeout)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError, TimeoutError) as exc:
            smtp.close()
            raise _AfterTheDot(_reason(exc)) from exc
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        return response.message

    def _run_problem(self, envelope: Envelope, exc: aiosmtplib.SMTPResponseException) -> MailServerError | None:
        """A 5xx that is the run's problem, not the authority's: it names our sender or our client, or the
        same refusal came for several recipients at different domains in a row. Then the run stops and the
        messages stay queued (those of the streak already recorded as failed go back through `requeued`)."""
        reason = _reason(exc)
        text = reason.lower()
        own = _own_refusal(text, envelope.sender, self.s)
        if own is not None:
            self._requeue_streak()
            return MailServerError(f"{self.s.label} refused our {own[0]} at RCPT ({reason}): {own[1]}")
        if re.search(r"\b5\.1\.\d+\b", text):  # 5.1.x: this recipient's address is wrong, nobody else's
            self.refusals.clear()
            return None
        shape = _ADDRESSES.sub("<>", text)
        if self.refusals and self.refusals[-1][0] != shape:
            self.refusals.clear()
        if any(domain == envelope.domain for _, domain, _ in self.refusals):
            return None
        self.refusals.append((shape, envelope.domain, envelope))
        if len(self.refusals) < SAME_REFUSAL_STREAK:
            return None
        self.refusals.pop()  # this one is released by the caller; the others were recorded as failed
        self._requeue_streak()
        return MailServerError(
            f"{self.s.label} refused {SAME_REFUSAL_STREAK} recipients at different domains in a row with the "
            f"same answer ({reason}): that is a problem of this account or run, not of the authorities"
        )

    def _requeue_streak(self) -> None:
        streak = [e for _, _, e in self.refusals]
        self.refusals.clear()
        if streak:
            self.hooks.requeued(streak, "the refusal was the run's problem")
            self.stats.failed -= len(streak)

    def _temporary(self, envelope: Envelope, exc: BaseException, now: float, keep: bool) -> bool:
        reason = _reason(exc)
        envelope.last_error = reason
        final = envelope.attempts >= self.s.max_attempts or self.stopping
        self._release(envelope, reason, final)
        if final:
            self.done(envelope)
        else:
            self.stats.retried += 1
            self.done(envelope, retry_at=now + backoff(self.s.retry_base, envelope.attempts))
        return keep

    def _release(self, envelope: Envelope, reason: str, final: bool) -> None:
        self.hooks.released(envelope, reason, final)
        if final:
            self.stats.deferred += 1

    # --- workers -----------------------------------------------------------------------------------

    async def worker(self, smtp: aiosmtplib.SMTP | None = None) -> None:
        if smtp is not None:
            self.live += 1
        try:
            while True:
                envelope = await self.take()
                if envelope is None:
                    return
                if smtp is not None and not smtp.is_connected:  # the server closed it while we waited
                    smtp.close()
                    smtp = None
                    self.live -= 1
                if smtp is None:
                    try:
                        smtp = await self.connect()
                        self.live += 1
                    except _Unreachable as exc:
                        self.untake(envelope)
                        if self.live == 0:  # nobody left to send: stop; else carry on with fewer connections
                            self.stop(exc)
                        return
                    except MailServerError as exc:
                        self.untake(envelope)
                        self.stop(exc)
                        return
                if self.stopping:
                    self.untake(envelope)
                    return
                claim = self.hooks.claim(envelope)
                if claim == "limit":
                    self.untake(envelope)
                    self.limit_reached = True
                    self.stop()
                    return
                if claim is not True and claim != "go":
                    self.stats.skipped += 1
                    self.done(envelope)
                    continue
                envelope.attempts += 1
                try:
                    alive = await self.send_one(smtp, envelope)
                except MailServerError as exc:
                    self.stop(exc)
                    return
                if not alive:
                    smtp.close()
                    smtp = None
                    self.live -= 1
        finally:
            if smtp is not None:
                self.live -= 1
                await _quit(smtp)


async def _quit(smtp: aiosmtplib.SMTP) -> None:
    try:
        if smtp.is_connected:
            await asyncio.wait_for(smtp.quit(), 5)
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        pass
    finally:
        smtp.close()


async def deliver(
    envelopes: list[Envelope],
    settings: SmtpSettings,
    hooks: Hooks,
    progress: Callable[[int], None] | None = None,
) -> DeliveryStats:
    """Send every envelope once through `settings.connections` reused connections.

    Returns the counts; raises MailServerError when the server cannot be used at all (unreachable, wrong
    password, our sender refused). Envelopes never claimed stay with the caller, untouched.
    A first SIGINT/SIGTERM lets the messages in flight finish, leaves the rest queued and raises FoibotError.
    """
    started = time.monotonic()
    run = _Delivery(envelopes, settings, hooks, progress)
    if not envelopes:
        return run.stats
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, _on_signal, run, loop, signum)
                handled.append(signum)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
    try:
        # The first connection alone: an unreachable server or a wrong password is one clear error, and a
        # server that limits connections is not mistaken for an unreachable one by the others.
        first = await run.connect()
        count = max(1, min(settings.connections, len(envelopes)))
        await asyncio.gather(run.worker(first), *(run.worker() for _ in range(count - 1)))
    except asyncio.CancelledError:
        if run.fatal is not None:  # a second interrupt
            raise run.fatal from None
        raise
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
    run.stats.seconds = time.monotonic() - started
    run.stats.limit_reached = run.limit_reached
    if run.fatal is not None:
        raise run.fatal
    return run.stats


async def check_server(settings: SmtpSettings) -> str:
    """Connect and log in once, so an unreachable server or a wrong password is found before any change;
    sends nothing. Returns how it went, e.g. "logged in as me@x.org with OAuth2 (XOAUTH2) over TLSv1.3"."""
    probe = _Delivery([], settings, None, None)  # type: ignore[arg-type]
    try:
        smtp = await probe._open()
    except _Transient as exc:
        raise MailServerError(f"cannot reach {settings.label}: {exc}") from exc
    ssl_object = smtp.get_transport_info("ssl_object")
    channel = f"over {ssl_object.version()}" if ssl_object is not None else "without TLS (loopback)"
    if settings.oauth_token is not None:
        how = f"logged in as {settings.username} with OAuth2 (XOAUTH2)"
    elif settings.username:
        how = f"logged in as {settings.username} with a password"
    else:
        how = "connected, no login"
    await _quit(smtp)
    return f"{how} {channel}"


def _on_signal(run: _Delivery, loop: asyncio.AbstractEventLoop, signum: int) -> None:
    if run.stopping:  # a second interrupt: stop now; messages in flight will be reported as unknown
        loop.remove_signal_handler(signum)
        for task in asyncio.all_tasks(loop):
            task.cancel()
        return
    run.stop(FoibotError(
        "interrupted: every message the server accepted is recorded, the rest stay queued; run the same "
        "command again to send them (interrupt twice to stop at once, leaving the messages in flight unknown)"
    ))


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from synchronous code, even when called from inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: list[Any] = []

    def target() -> None:
        try:
            result.append(("ok", asyncio.run(coro)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result.append(("error", exc))

    thread = threading.Thread(target=target, name="foibot-mailer")
    thread.start()
    thread.join()
    status, value = result[0]
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]
