"""The mailbox's Sent folder over IMAP (imapclient): copies of what foibot sent, and looking a message up.

Sending (send/run.py) sees this through its `SentFolder` protocol; the front ends hand it in, so the IMAP
stays beside the poller. Two jobs:
- `find`: which of some Message-IDs are in the Sent folder (SEARCH HEADER Message-ID, one per message):
  the folder `[imap] sent_folder` names and the one the server marks `\\Sent` (RFC 6154; Gmail's
  "[Gmail]/Sent Mail", whatever the language), where a provider that files its own copies puts them;
- `append`: a copy of each message sent, flagged `\\Seen`, into `[imap] sent_folder`, once: the Message-IDs
  already there are read first, so a copy filed just before a crash is found, not filed twice.
"""

from __future__ import annotations

import imaplib
from collections.abc import Callable
from datetime import datetime, timedelta

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from ..config import Config, ImapConfig
from ..errors import MailServerError
from .imap import connect, disconnect, error_text, header_message_id, oauth_token

SEEN = b"\\Seen"
SPECIAL_SENT = b"\\Sent"
FETCH_BATCH = 500


class ImapSentFolder:
    """`send.run.SentFolder` for the campaign's IMAP mailbox."""

    def __init__(self, config: Config, server: ImapConfig) -> None:
        self.config = config
        self.server = server
        self.folder: str = server.sent_folder
        self.label = f"the Sent folder ({server.host})"
        self.copies = bool(self.folder)
        self.certain = bool(config.smtp is not None and config.smtp.saves_sent_copies)

    def _client(self) -> IMAPClient:
        """Logged in as the poller logs in: a password, or OAuth2 (the process's one token source)."""
        return connect(self.server, oauth_token(self.config, self.server))

    def _folders(self, client: IMAPClient) -> list[str]:
        """Where copies may be: [imap] sent_folder and the folder the server marks \\Sent, those that exist."""
        names: list[str] = []
        for flags, _sep, name in client.list_folders():
            if (SPECIAL_SENT in flags or name == self.folder) and name not in names:
                names.append(name)
        return names

    def find(self, message_ids: list[str], since: datetime) -> dict[str, datetime | None]:
        client = self._client()
        try:
            folders = self._folders(client)
            if not folders:
                raise MailServerError(f"{self.server.label} has no Sent folder (none marked \\Sent, and "
                                      f"[imap] sent_folder {self.folder!r} does not exist)")
            found: dict[str, datetime | None] = {}
            for folder in folders:
                client.select_folder(folder, readonly=True)
                for mid in message_ids:
                    if mid in found:
                        continue
                    uids = client.search(["SINCE", since.date(), "HEADER", "Message-ID", mid])
                    if not uids:
                        continue
                    dates = client.fetch(uids[:1], ["INTERNALDATE"])
                    stamp = next((d.get(b"INTERNALDATE") for d in dates.values()), None)
                    found[mid] = stamp if isinstance(stamp, datetime) and stamp.tzinfo else None
            return found
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise MailServerError(f"{self.server.label}: cannot search the Sent folder: {error_text(exc)}") from exc
        finally:
            disconnect(client)

    def append(self, copies: list[tuple[int, str, bytes, datetime]], done: Callable[[list[int]], None]) -> None:
        if not copies or not self.folder:
            return
        client = self._client()
        try:
            if not client.folder_exists(self.folder):
                client.create_folder(self.folder)
            since = min(sent for _, _, _, sent in copies) - timedelta(days=2)
            present = self._message_ids(client, since)
            already = [ident for ident, mid, _, _ in copies if mid in present]
            if already:
                done(already)
            for ident, mid, raw, sent in copies:
                if mid in present:
                    continue
                client.append(self.folder, raw, flags=[SEEN], msg_time=sent)
                present.add(mid)
                done([ident])
        except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
            raise MailServerError(f"{self.server.label}: cannot file copies in {self.folder!r}: "
                                  f"{error_text(exc)}") from exc
        finally:
            disconnect(client)

    def _message_ids(self, client: IMAPClient, since: datetime) -> set[str]:
        client.select_folder(self.folder, readonly=True)
        uids = client.search(["SINCE", since.date()])
        present: set[str] = set()
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start:start + FETCH_BATCH]
            for data in client.fetch(batch, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).values():
                header = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"")
                mid = header_message_id(header + b"\r\n\r\n") if isinstance(header, bytes) else None
                if mid:
                    present.add(mid)
        return present


def sent_folder(config: Config) -> ImapSentFolder | None:
    """The Sent folder of the campaign's mailbox, or None in the sandbox (no [imap])."""
    if config.imap is None or config.smtp is None:
        return None
    return ImapSentFolder(config, config.imap)
