"""A sent campaign whose replies arrive in a real Dovecot mailbox, for the poller and triage tests.

`sent_campaign(folder, dovecot, imap_user, smtp_server)` sends the request to five authorities through the
real `foibot send` (aiosmtpd sink on loopback), with the campaigner's mailbox on Dovecot and plus reply
addresses; `reply(...)` builds an authority's reply as bytes, and `Campaign.deliver` hands it to Dovecot
over LMTP, the way an MTA delivers real mail.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from reply_builders import add_content, make_pdf

from foibot.cli import cli
from foibot.config import Config, load_config
from foibot.store import Store, open_store

AUTHORITIES_CSV = """\
id,name,email,kind,jurisdiction,alt_email
barnet,London Borough of Barnet,foi@barnet.gov.uk,council,england,
camden,London Borough of Camden,foi@camden.gov.uk,council,england,
met,Metropolitan Police Service,foi@met.police.uk,police_force,england,foi@met.pnn.police.uk
woodparish,Wood Parish Council,woodparishclerk@gmail.com,council,england,
harrow,London Borough of Harrow,info@harrow.gov.uk,council,england,
"""
SENT_AT = "2026-03-02T10:00:00+00:00"
_counter = itertools.count(1)


@dataclass
class Sent:
    id: int
    reference: str
    authority_id: str
    authority_email: str
    message_id: str  # our outgoing Message-ID
    subject: str
    plus_address: str


@dataclass
class Campaign:
    folder: Path
    config_path: Path
    dovecot: Any
    user: str
    requests: dict[str, Sent] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def store(self) -> Store:
        config = self.config
        return open_store(config.database_path, config.files_dir)

    def deliver(self, raw: bytes, to: str | None = None, sender: str = "bounces@mail.example") -> None:
        self.dovecot.deliver(to or self.user, raw, sender=sender)

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        store = self.store()
        try:
            return list(store.db.query(sql, params or []))
        finally:
            store.close()

    def incoming(self) -> list[dict[str, Any]]:
        return self.rows("SELECT id, request_id, match_method, match_confidence, match_detail, triage, state, kind, "
                         "subject, from_addr, parse_error, dedupe_key, uid, last_error, size, length(raw) AS stored "
                         "FROM messages WHERE direction = 'in' ORDER BY id")

    def request(self, authority_id: str) -> dict[str, Any]:
        return self.rows("SELECT * FROM requests WHERE authority_id = ?", [authority_id])[0]


def sent_campaign(folder: Path, dovecot: Any, user: str, smtp_server: Any, imap: dict[str, Any] | None = None,
                  authorities: str = AUTHORITIES_CSV) -> Campaign:
    """Send the Fusus request to the authorities through the real `foibot send`; replies come to `user`."""
    from fixtures_imap import toml_text

    (folder / "authorities.csv").write_text(authorities, encoding="utf-8")
    tables = {
        "requester": {"name": "A. Campaigner", "email": user, "reply_address": "plus"},
        "smtp": smtp_server.smtp_section(),
        "imap": dovecot.imap_section(user, **(imap or {})),
        "storage": {"database": "foibot.db"},
    }
    config_path = folder / "config.toml"
    config_path.write_text(toml_text(tables), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config_path), "send", "--run", "fusus", "--yes"], obj={},
                                env={"FOIBOT_NOW": SENT_AT})
    assert result.exit_code == 0, result.output
    campaign = Campaign(folder, config_path, dovecot, user)
    for row in campaign.rows(
            "SELECT q.id, q.reference, q.authority_id, q.authority_email, m.message_id, m.subject FROM requests q "
            "JOIN messages m ON m.request_id = q.id AND m.direction = 'out' AND m.stage = 'request'"):
        local, _, domain = user.rpartition("@")
        campaign.requests[row["authority_id"]] = Sent(
            row["id"], row["reference"], row["authority_id"], row["authority_email"], row["message_id"],
            row["subject"], f"{local}+{row['reference'].lower()}@{domain}")
    return campaign


def reply(*, from_addr: str, to: str, subject: str, body: str | None = "Thank you for your request.",
          html: str | None = None, in_reply_to: str | None = None, references: list[str] | None = None,
          attachments: list[tuple[str, str, bytes]] = (), headers: dict[str, str] | None = None,
          message_id: str | None = None, date: datetime | None = None, from_name: str = "FOI Team") -> bytes:
    """An authority's reply as bytes. attachments: (filename, content type, data)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{from_name} <{from_addr}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 3, 20, 11, 0, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(f"r{next(_counter)}", domain=from_addr.rpartition("@")[2])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    add_content(msg, body, html, attachments)
    return msg.as_bytes()


def minimal_pdf(*lines: str) -> bytes:
    """A small valid PDF whose text pypdf can read (one page, Helvetica): the classifier tests' builder."""
    return make_pdf(list(lines))


def dsn(*, failed: str, original_message_id: str | None, original_subject: str, to: str,
        status: str = "5.1.1", diagnostic: str = "smtp; 550 5.1.1 <{failed}>: Recipient address rejected: "
        "User unknown in virtual mailbox table", reporter: str = "mx.mail.example") -> bytes:
    """A delivery status notification (RFC 3464) as a mail server sends it: report, status, returned headers."""
    boundary = "dsn-boundary-42"
    returned = f"From: A. Campaigner <{to}>\r\nTo: {failed}\r\nSubject: {original_subject}\r\n"
    if original_message_id:
        returned += f"Message-ID: {original_message_id}\r\n"
    text = (
        f"From: Mail Delivery System <MAILER-DAEMON@{reporter}>\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Fri, 20 Mar 2026 10:05:00 +0000\r\n"
        f"Message-ID: <dsn.{abs(hash((failed, original_message_id)))}@{reporter}>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host {reporter}.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<{failed}>: host {reporter} said: 550 5.1.1 User unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {reporter}\r\n\r\n"
        f"Final-Recipient: rfc822; {failed}\r\n"
        f"Original-Recipient: rfc822; {failed}\r\n"
        "Action: failed\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: {diagnostic.format(failed=failed)}\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"{returned}\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode()
