"""The embedded sandbox: mail servers on 127.0.0.1 so foibot runs with no account and no network.

`sandbox_smtp()` is an SMTP server (aiosmtpd) in a thread of this process that files every message it
accepts into a Maildir (`sandbox-mail/` next to the database), so a campaigner trying foibot out can open
what "was sent" with any mail client or `cat`.
"""

from __future__ import annotations

import contextlib
import logging
import mailbox
import threading
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

    def __init__(self, maildir: Path) -> None:
        self.box = mailbox.Maildir(str(maildir), create=True)
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content)
        prefix = (
            f"X-Sandbox-Mail-From: <{envelope.mail_from}>\r\n"
            f"X-Sandbox-Rcpt-To: {', '.join(f'<{r}>' for r in envelope.rcpt_tos)}\r\n"
        ).encode("ascii", "replace")
        with self.lock:
            self.box.add(prefix + data)
        return "250 2.0.0 Kept in the foibot sandbox"


class _LoopbackController(Controller):
    """Binds a free port on 127.0.0.1 and reports it (no fixed port to collide with)."""

    def _create_server(self) -> Any:
        async def bind() -> Any:
            server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0)
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


@contextlib.contextmanager
def sandbox_smtp(maildir: Path) -> Iterator[SandboxServer]:
    """A plaintext SMTP server on loopback for as long as the block runs; messages go to `maildir`."""
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    maildir.parent.mkdir(parents=True, exist_ok=True)
    controller = _LoopbackController(
        _MaildirHandler(maildir), hostname=LOOPBACK, server_hostname="sandbox.foibot.invalid",
        data_size_limit=50 * 1024 * 1024,
    )
    controller.start()
    try:
        yield SandboxServer(host=LOOPBACK, port=controller.port, maildir=maildir)
    finally:
        controller.stop()
