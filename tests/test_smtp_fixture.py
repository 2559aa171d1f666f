"""The SMTP test server itself: each TLS mode, AUTH, and each injected fault behaves as documented."""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest
from support.smtp import SmtpServer


def message(to: str = "foi@council.example") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "campaigner@example.org", to, "hello"
    msg.set_content("body")
    return msg


def client_options(server: SmtpServer, password: str) -> dict[str, Any]:
    options: dict[str, Any] = {"hostname": server.host, "port": server.port, "username": "u", "password": password}
    context = ssl.create_default_context(cafile=server.ca_file) if server.ca_file else None
    if server.security == "none":
        options["start_tls"] = False
    elif server.security == "starttls":
        options.update(start_tls=True, tls_context=context)
    else:
        options.update(use_tls=True, tls_context=context)
    return options


@pytest.mark.parametrize("security", ["none", "starttls", "tls"])
def test_each_security_mode_with_auth(make_smtp_server: Any, security: str) -> None:
    server = make_smtp_server(security=security, username="u", password="p")

    async def go() -> None:
        await aiosmtplib.send(message(), **client_options(server, "p"))
        with pytest.raises(aiosmtplib.SMTPAuthenticationError) as caught:
            await aiosmtplib.send(message(), **client_options(server, "wrong"))
        assert caught.value.code == 535

    asyncio.run(go())
    assert [m.subject for m in server.received] == ["hello"]


def test_injected_faults(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1)
    smtp_server.drop_next(1)
    smtp_server.reject_recipient("bad@council.example")

    async def go() -> None:
        async with aiosmtplib.SMTP(hostname=smtp_server.host, port=smtp_server.port, start_tls=False) as client:
            with pytest.raises(aiosmtplib.SMTPResponseException) as caught:
                await client.send_message(message())
            assert caught.value.code == 451
            with pytest.raises(aiosmtplib.SMTPServerDisconnected):
                await client.send_message(message())
        async with aiosmtplib.SMTP(hostname=smtp_server.host, port=smtp_server.port, start_tls=False) as client:
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
                await client.send_message(message("bad@council.example"))
            await client.send_message(message())

    asyncio.run(go())
    assert len(smtp_server.received) == 1 and smtp_server.received[0].to == "foi@council.example"
    assert smtp_server.connections_used == 2


def test_local_recipients_are_handed_to_lmtp(make_smtp_server: Any) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.lmtp import LMTP

    class Mailbox:
        def __init__(self) -> None:
            self.got: list[tuple[list[str], bytes]] = []

        async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if address.startswith("nobody@"):
                return "550 5.1.1 User doesn't exist"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.got.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
            return "250 OK"

    class LmtpController(Controller):
        def factory(self) -> LMTP:
            return LMTP(self.handler)

    mailbox = Mailbox()
    lmtp = LmtpController(mailbox, hostname="127.0.0.1", port=0)
    lmtp.port = _free_port()
    lmtp.start()
    try:
        server = make_smtp_server(lmtp=("example.test", lmtp.port))

        async def go() -> None:
            options = {"hostname": server.host, "port": server.port, "start_tls": False}
            await aiosmtplib.send(message("foi@example.test"), **options)
            await aiosmtplib.send(message("foi@council.example"), **options)
            with pytest.raises(aiosmtplib.SMTPResponseException) as caught:
                await aiosmtplib.send(message("nobody@example.test"), **options)
            assert caught.value.code == 550

        asyncio.run(go())
    finally:
        lmtp.stop()
    assert [rcpts for rcpts, _ in mailbox.got] == [["foi@example.test"]]  # only the local one, once
    assert [m.rcpt_tos for m in server.received] == [["foi@example.test"], ["foi@council.example"]]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
