"""The embedded sandbox: mail servers on 127.0.0.1 so foibot runs with no account and no network.

`sandbox_smtp()` is an SMTP server (aiosmtpd) in a thread of this process that files every message it
accepts into a Maildir (`sandbox-mail/` next to the database), so a campaigner trying foibot out can open
what "was sent" with any mail client or `cat`.

`sandbox_imap()` is an IMAP server (pymap, in memory, one user) in another thread; given an `ImapDelivery`,
the SMTP server hands mail for the campaigner's own domain to it by IMAP APPEND, as a real provider would
deliver a reply, so `foibot demo` runs the real mailer and the real poller with no account and no network.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import mailbox
import socket
import threading
from argparse import Namespace
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

SANDBOX_MAIL_DIR = "sandbox-mail"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class SandboxServer:
    host: str
    port: int
    maildir: Path


class _MaildirHandler:
    """Files each accepted message into the Maildir, byte for byte, with the envelope in two headers."""

    def __init__(self, maildir: Path, local: ImapDelivery | None = None) -> None:
        self.box = mailbox.Maildir(str(maildir), create=True)
        self.lock = threading.Lock()
        self.local = local

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content)
        if self.local is not None:
            mine = [r for r in envelope.rcpt_tos if self.local.wants(r)]
            for rcpt in mine:
                self.local.deliver(envelope.mail_from, rcpt, data)
            if len(mine) == len(envelope.rcpt_tos):
                return "250 2.0.0 Delivered to the sandbox mailbox"
        prefix = (
            f"X-Sandbox-Mail-From: <{envelope.mail_from}>\r\n"
            f"X-Sandbox-Rcpt-To: {', '.join(f'<{r}>' for r in envelope.rcpt_tos)}\r\n"
        ).encode("ascii", "replace")
        with self.lock:
            self.box.add(prefix + data)
        return "250 2.0.0 Kept in the foibot sandbox"


class LoopbackController(Controller):
    """Binds a free port (port 0) and reports the one the system chose in `port`: no fixed port to collide
    with. The sandbox, the test suite's SMTP servers and the send benchmark's sink all start this way."""

    def _create_server(self) -> Any:
        async def bind() -> Any:
            server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0,
                                                   ssl=self.ssl_context)
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


@contextlib.contextmanager
def sandbox_smtp(maildir: Path, local: ImapDelivery | None = None) -> Iterator[SandboxServer]:
    """A plaintext SMTP server on loopback for as long as the block runs; messages go to `maildir`
    (those for `local`'s domain, when given, to its IMAP mailbox instead)."""
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    maildir.parent.mkdir(parents=True, exist_ok=True)
    controller = LoopbackController(
        _MaildirHandler(maildir, local), hostname=LOOPBACK, server_hostname="sandbox.foibot.invalid",
        data_size_limit=50 * 1024 * 1024,
    )
    controller.start()
    try:
        yield SandboxServer(host=LOOPBACK, port=controller.port, maildir=maildir)
    finally:
        controller.stop()


# --- the IMAP side (pymap, in memory) ---------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxMailbox:
    """Where the sandbox IMAP server listens, and its one user."""

    host: str
    port: int
    username: str
    password: str


@contextlib.contextmanager
def sandbox_imap(username: str, password: str) -> Iterator[SandboxMailbox]:
    """An in-memory IMAP server (pymap's dict backend) on a free loopback port, in its own thread.

    Everything in it is lost when the block ends. No TLS: it never listens beyond 127.0.0.1.
    """
    from proxyprotocol.reader import ProxyProtocolReader  # comes with pymap, which uses it the same way
    from pymap.backend.dict import DictBackend
    from pymap.imap import IMAPServer

    logging.getLogger("pymap").setLevel(logging.ERROR)
    started = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        args = Namespace(host=None, port=0, debug=False, cert=None, key=None, tls=False, demo_data=False,
                         demo_user=username, demo_password=password, inherited_sockets=None,
                         proxy_protocol=None, passlib_cfg=None)
        try:
            backend, config = await DictBackend.init(args, invalid_user_sleep=0.0)
            config.apply_context()
            callback = ProxyProtocolReader(config.proxy_protocol).get_callback(IMAPServer(backend.login, config))
            server = await asyncio.start_server(callback, host=LOOPBACK, port=0)
        except Exception as exc:  # noqa: BLE001 - reported to the caller's thread below
            state["error"] = exc
            started.set()
            return
        state["port"] = server.sockets[0].getsockname()[1]
        state["loop"] = asyncio.get_running_loop()
        state["stop"] = asyncio.Event()
        started.set()
        async with server:
            await state["stop"].wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), name="foibot-sandbox-imap", daemon=True)
    thread.start()
    if not started.wait(30) or "error" in state:
        raise RuntimeError(f"the sandbox IMAP server did not start: {state.get('error', 'timed out')}")
    try:
        yield SandboxMailbox(LOOPBACK, state["port"], username, password)
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


class ImapDelivery:
    """Hands mail for one domain to the sandbox IMAP mailbox by APPEND, as a provider's delivery would.

    One connection, kept open (each pymap LOGIN costs ~0.1 s), with TCP_NODELAY: without it every APPEND
    stalls ~40 ms on Nagle's algorithm meeting delayed ACKs (measured; see the mail servers notes).
    """

    def __init__(self, box: SandboxMailbox, domain: str, folder: str = "INBOX") -> None:
        self.box, self.domain, self.folder = box, domain.lower(), folder
        self.lock = threading.Lock()
        self.client: imaplib.IMAP4 | None = None

    def wants(self, rcpt: str) -> bool:
        return rcpt.rpartition("@")[2].lower() == self.domain

    def deliver(self, mail_from: str, rcpt: str, data: bytes) -> None:
        # What a delivering server adds on top: who it came from and which address it was delivered to.
        head = f"Return-Path: <{mail_from}>\r\nDelivered-To: {rcpt}\r\n".encode("ascii", "replace")
        with self.lock:
            if self.client is None:
                self.client = imaplib.IMAP4(self.box.host, self.box.port, timeout=30)
                self.client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.client.login(self.box.username, self.box.password)
            self.client.append(self.folder, None, None, head + data)

    def close(self) -> None:
        with self.lock:
            if self.client is not None:
                with contextlib.suppress(imaplib.IMAP4.error, OSError):
                    self.client.logout()
                self.client = None
