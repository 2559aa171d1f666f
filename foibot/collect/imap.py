"""The inbox poller (imapclient): one pass over the IMAP folder, incremental by UID, every byte kept.

A pass: LOGIN, EXAMINE the folder (read-only, so nothing can be deleted or flagged), compare UIDVALIDITY
and UIDNEXT with what the database remembers; when nothing is new, that is all (three round trips, whatever
the folder's size). Otherwise the new UIDs are fetched with BODY.PEEK[] (the campaigner's mail client still
shows them unread) in batches bounded by count and by bytes, and each batch is committed in one transaction
together with the folder's new last UID: a crash or a dropped connection at any point loses nothing and
stores nothing twice (the unique dedupe key, `mid:<Message-ID>`, or a hash when there is none). Stored
messages are then parsed, matched and classified (filing.py).

The first pass over a folder leaves alone what arrived before the campaign's first request went out (the
folder may be a mailbox in use for years): none of it can be a reply. A changed UIDVALIDITY means the
server renumbered the folder: the pass starts again from UID 1 and lets the dedupe key skip what is
already stored; while renumbered UIDs may hold known messages, only their Message-ID header is fetched
first. A message bigger than `[imap] max_message_bytes` is stored truncated to that size
(headers and the start of the body are enough to file it), marked as such, and left whole on the server.
"""

from __future__ import annotations

import hashlib
import imaplib
import re
import socket
import sqlite3
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from ..clock import from_iso, iso
from ..config import Config, ImapConfig, ServerConfig, security_hint
from ..errors import ConfigError, MailServerError, PollInterruptedError
from ..store import Store

MAX_BATCH_BYTES = 16 * 1024 * 1024  # a fetch never holds more than this (or one message) in memory
SIZE_CHUNK = 2000  # UIDs per RFC822.SIZE fetch
# Trace headers a server adds on each delivery: left out of the hash of a message without a Message-ID,
# so the same message delivered twice still hashes the same.
_TRACE = re.compile(rb"^(received|return-path|delivered-to|x-original-to|x-delivered-to|envelope-to):",
                    re.IGNORECASE)
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)

Progress = Callable[[int, int], None]


@dataclass
class PollReport:
    """What one pass did; `summary()` is the line `foibot poll` and the daemon print."""

    folder: str
    new: int = 0  # new UIDs seen on the server
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0  # fetched but already stored (another pass, folder or delivery)
    filed: Counter[str] = field(default_factory=Counter)  # match method -> count
    triage: int = 0
    bounces: int = 0
    delay_warnings: int = 0  # of the bounces, those that say the server is still trying (no request fails)
    auto_replies: int = 0
    parse_errors: int = 0
    quarantined: int = 0  # reading ran out of its limits or failed: set aside with the reason (foibot retry)
    own_messages: int = 0  # copies of what we sent (e.g. Bcc to self): stored, not replies
    truncated: int = 0  # bigger than [imap] max_message_bytes: stored up to the cap
    moved: int = 0  # copied to [imap] processed_folder
    resynced: bool = False  # the server changed UIDVALIDITY
    before_run: int = 0  # in the folder from before the first request was sent: left alone (first pass only)
    seconds_fetching: float = 0.0  # connect to logout: fetching and storing raw messages
    seconds_filing: float = 0.0  # parsing, matching, classifying, recording
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # filing seconds by step
    failed_requests: int = 0  # requests a bounce marked failed
    answered: int = 0  # requests a reply moved to answered
    problems: list[str] = field(default_factory=list)

    @property
    def filed_total(self) -> int:
        return sum(self.filed.values())

    def summary(self) -> str:
        if not (self.new or self.filed_total or self.triage or self.parse_errors or self.quarantined
                or self.moved):
            text = f"{self.folder}: no new mail"
        else:
            parts = [f"{self.folder}: {self.fetched} fetched, {self.stored} stored"]
            if self.duplicates:
                parts.append(f"{self.duplicates} already stored")
            methods = ", ".join(f"{n} by {m.replace('_', ' ')}" for m, n in self.filed.most_common())
            parts.append(f"{self.filed_total} filed" + (f" ({methods})" if methods else ""))
            parts.append(f"{self.triage} to triage")
            if self.bounces:
                parts.append(f"{self.bounces} bounce{'s' if self.bounces != 1 else ''}"
                             + (f" ({self.delay_warnings} only delayed)" if self.delay_warnings else ""))
            if self.auto_replies:
                parts.append(f"{self.auto_replies} auto-repl{'ies' if self.auto_replies != 1 else 'y'}")
            counted = ((self.parse_errors, "unreadable"), (self.quarantined, "quarantined"),
                       (self.own_messages, "of our own"), (self.truncated, "truncated (too big)"),
                       (self.moved, "moved"))
            parts.extend(f"{n} {what}" for n, what in counted if n)
            text = ", ".join(parts)
        if self.before_run:
            text += (f" ({self.before_run} older message{'s' if self.before_run != 1 else ''} from before the "
                     "first request was sent left alone: they cannot be replies)")
        if self.resynced:
            text += " (the server renumbered the folder: checked everything again, nothing stored twice)"
        return text


# --- connecting ---------------------------------------------------------------------------------------

def _tls_context(server: ServerConfig) -> ssl.SSLContext:
    if server.ca_file:
        path = Path(server.ca_file)
        if not path.is_file():
            raise ConfigError(f"{server.source}: [imap] ca_file {server.ca_file} does not exist")
        return ssl.create_default_context(cafile=str(path))
    return ssl.create_default_context()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted ({exc.verify_message}): set [imap] ca_file if it is yours"
    if isinstance(exc, socket.gaierror):
        return "the host name does not resolve: check [imap] host"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused: check [imap] host, port and security"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "no answer in time"
    text = str(exc).strip() or type(exc).__name__
    return text.decode(errors="replace") if isinstance(text, bytes) else text


def oauth_token(config: Config, server: ServerConfig) -> Callable[[str | None], str] | None:
    """With `auth = "oauth2"`: the account's access tokens (oauth.TokenSource), else None (a password)."""
    if not server.uses_oauth:
        return None
    from ..oauth import token_source

    return token_source(config, server).access_token


def _oauth_login(client: IMAPClient, server: ImapConfig, token: Callable[[str | None], str], access: str) -> str:
    """AUTHENTICATE XOAUTH2 or OAUTHBEARER with an access token; a refused token is refreshed and tried
    once more (revoked, or expired early). Returns the mechanism used."""
    mechanism = server.oauth_mechanism
    if mechanism == "auto":
        offered = [m for m in ("xoauth2", "oauthbearer") if client.has_capability(f"AUTH={m.upper()}")]
        if not offered:
            raise MailServerError(f"{server.label} offers no OAuth2 login (AUTH=XOAUTH2 or AUTH=OAUTHBEARER): "
                                  "use [imap] auth = \"password\"")
        mechanism = offered[0]
    elif not client.has_capability(f"AUTH={mechanism.upper()}"):
        raise MailServerError(f"{server.label} does not offer AUTH={mechanism.upper()}: set [imap] "
                              "oauth_mechanism = \"auto\"")
    for attempt in range(2):
        if attempt:
            access = token(access)  # the one just refused: a refreshed one
        try:
            if mechanism == "xoauth2":
                client.oauth2_login(server.username, access)
            else:
                client.oauthbearer_login(server.username, access)
            return mechanism.upper()
        except LoginError:
            pass
    raise MailServerError(f"{server.label} refused the OAuth2 login ({mechanism.upper()}) for {server.username}: "
                          "check [imap] username (the account you logged in as), then run `foibot login` again")


def connect(server: ImapConfig, token: Callable[[str | None], str] | None = None) -> IMAPClient:
    """A logged-in client: TLS (implicit or STARTTLS) with certificate checks unless security is "none";
    with `token` (auth = "oauth2") the login is an access token, not a password."""
    if not server.username:
        raise ConfigError(f"{server.source}: [imap] username is required to log in")
    password = server.password() or ""
    access = token(None) if token is not None else ""  # a login that cannot be renewed: before any connection
    context = _tls_context(server) if server.security != "none" else None
    try:
        client = IMAPClient(server.host, port=server.port, ssl=server.security == "tls", ssl_context=context,
                            timeout=server.timeout_seconds)
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        advice = security_hint(exc, server.security, server.port, "imap")
        raise MailServerError(f"cannot reach {server.label}: {_reason(exc)}" + (f"; {advice}" if advice else "")
                              ) from exc
    try:
        if server.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise MailServerError(f"{server.label} does not offer STARTTLS: use security = \"tls\" "
                                      "(port 993) if it supports that")
            client.starttls(context)
        if token is not None:
            _oauth_login(client, server, token, access)
        elif server.username.isascii() and password.isascii():
            client.login(server.username, password)
        elif client.has_capability("AUTH=PLAIN"):  # LOGIN's arguments are ASCII only; PLAIN carries UTF-8
            client.plain_login(server.username, password)
        else:
            raise MailServerError(f"{server.label} offers no AUTHENTICATE PLAIN, and LOGIN cannot carry a "
                                  "user name or password with non-ASCII characters: change the password")
    except LoginError as exc:
        _close(client)
        raise MailServerError(f"{server.label} refused the login for {server.username}: check [imap] username "
                              f"and the password in ${server.password_env}") from exc
    except (OSError, IMAPClientError, imaplib.IMAP4.error) as exc:
        _close(client)
        raise MailServerError(f"{server.label}: {_reason(exc)}") from exc
    except BaseException:
        _close(client)
        raise
    return client


def check_mailbox(config: Config) -> str:
    """Log in and look at the folder without changing anything; returns how it went, for `foibot check`."""
    server = config.imap
    if server is None:
        raise ConfigError(f"{config.source}: there is no [imap] section")
    token = oauth_token(config, server)
    client = connect(server, token)
    try:
        sock = client.socket()
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        channel = f"over {version}" if version else "without TLS (loopback)"
        how = "OAuth2" if token is not None else "a password"
        try:
            info = client.select_folder(server.folder, readonly=True)
        except IMAPClientError as exc:
            raise MailServerError(f"{server.label}: logged in, but the folder {server.folder!r} ([imap] folder) "
                                  f"cannot be opened: {_reason(exc)}") from exc
        count = int(info.get(b"EXISTS", 0))
        return (f"logged in as {server.username} with {how} {channel}; {server.folder} holds {count} "
                f"message{'s' * (count != 1)}")
    finally:
        _close(client)


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - a dying connection fails in many ways: then just close the socket
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001, S110 - already closed: nothing is left to do
            pass


def disconnect(client: IMAPClient) -> None:
    """Log out, or just close the socket of a connection that is dying (the Sent folder, IDLE)."""
    _close(client)


def error_text(exc: BaseException) -> str:
    """What went wrong with an IMAP connection, in words (the Sent folder, IDLE)."""
    return _reason(exc)


# --- the raw store ------------------------------------------------------------------------------------

def header_message_id(raw: bytes) -> str | None:
    """The Message-ID in the header block, read without parsing the message."""
    end = raw.find(b"\r\n\r\n", 0, 65536)
    if end < 0:
        end = raw.find(b"\n\n")
    found = _MESSAGE_ID.search(raw, 0, min(len(raw) if end < 0 else end, 262144))
    return found.group(1).decode("ascii", errors="replace") if found else None


def dedupe_key(raw: bytes, message_id: str | None = None) -> str:
    """`mid:<Message-ID>`, or for a message without one `sha:` + the hash of it without trace headers
    (`message_id`: its header_message_id when the caller has read it already)."""
    message_id = message_id or header_message_id(raw)
    if message_id:
        return f"mid:{message_id}"
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    kept: list[bytes] = []
    in_trace = False
    for i, line in enumerate(lines):
        if not line:  # end of headers: the body as it is
            kept.extend(lines[i:])
            break
        if line[:1] in (b" ", b"\t"):
            if not in_trace:
                kept.append(line)
            continue
        in_trace = bool(_TRACE.match(line))
        if not in_trace:
            kept.append(line)
    return "sha:" + hashlib.sha256(b"\n".join(kept)).hexdigest()


def folder_key(server: ServerConfig, folder: str) -> str:
    """The mailbox_state key: one account's folder (another account's INBOX is another folder; a new port
    or security setting for the same account is not)."""
    return f"imap://{server.username}@{server.host}/{folder}"


@dataclass
class _Fetched:
    uid: int
    raw: bytes
    size: int
    internal_date: datetime | None
    truncated: bool = False


def store_batch(store: Store, key: str, folder: str, uidvalidity: int, messages: list[_Fetched],
                last_uid: int, now: datetime, report: PollReport) -> list[int]:
    """Commit one batch of raw messages and the folder's new last UID together; returns new row ids."""
    new_ids: list[int] = []
    with store.transaction():
        for m in messages:
            message_id = header_message_id(m.raw)
            dedupe = dedupe_key(m.raw, message_id)
            cursor: sqlite3.Cursor | None = store.db.execute(
                "INSERT OR IGNORE INTO messages (direction, state, dedupe_key, message_id, sha256, size, raw, "
                "created_at, folder, uid, uidvalidity, last_error) "
                "VALUES ('in', 'stored', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [dedupe, message_id, hashlib.sha256(m.raw).hexdigest(), m.size, m.raw, iso(now),
                 folder, m.uid, uidvalidity,
                 f"truncated: the message is {m.size} bytes; the first {len(m.raw)} are stored"
                 if m.truncated else None],
            )
            if cursor is not None and not cursor.rowcount and message_id:
                cursor = _store_reused_id(store, dedupe, m, message_id, folder, uidvalidity, now, report)
            if cursor is not None and cursor.rowcount:
                report.stored += 1
                report.truncated += m.truncated
                new_ids.append(int(cursor.lastrowid or 0))
            else:
                report.duplicates += 1
        _save_state(store, key, uidvalidity, last_uid, now)
    return new_ids


def _body(raw: bytes) -> bytes:
    """A message's body (what follows the first empty line), line ends made one kind."""
    text = raw.replace(b"\r\n", b"\n")
    return text.split(b"\n\n", 1)[1] if b"\n\n" in text else b""


def _store_reused_id(store: Store, dedupe: str, m: _Fetched, message_id: str, folder: str, uidvalidity: int,
                     now: datetime, report: PollReport) -> sqlite3.Cursor | None:
    """A message whose Message-ID is stored already: the same message delivered twice (the same body; its
    trace headers may differ) is a duplicate; a different one reusing the ID is kept too, bytes and all, under
    a key of its own body (issue 13: it was dropped), and the pass says so. None for a duplicate."""
    row = store.db.execute("SELECT id, raw FROM messages WHERE direction = 'in' AND dedupe_key = ?",
                           [dedupe]).fetchone()
    if row is None or _body(bytes(row[1] or b"")) == _body(m.raw):
        return None
    body_key = f"{dedupe}#body:{hashlib.sha256(_body(m.raw)).hexdigest()[:32]}"
    cursor = store.db.execute(
        "INSERT OR IGNORE INTO messages (direction, state, dedupe_key, message_id, sha256, size, raw, "
        "created_at, folder, uid, uidvalidity, last_error) VALUES ('in', 'stored', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [body_key, message_id, hashlib.sha256(m.raw).hexdigest(), m.size, m.raw, iso(now), folder, m.uid,
         uidvalidity, f"reuses the Message-ID {message_id[:200]} of message {row[0]}, with another body"])
    if cursor.rowcount:
        report.problems.append(f"UID {m.uid}: another message with the Message-ID of message {row[0]}: "
                               "both are kept")
    return cursor


def _save_state(store: Store, key: str, uidvalidity: int, last_uid: int, now: datetime,
                reset: bool = False) -> None:
    """Remember the folder's last stored UID; it only moves forward (two pollers at once cannot set it
    back), except when a new UIDVALIDITY starts the count again (`reset`)."""
    store.db.execute(
        "INSERT INTO mailbox_state (folder, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, updated_at = excluded.updated_at, "
        "last_uid = CASE WHEN ? OR mailbox_state.uidvalidity IS NOT excluded.uidvalidity THEN excluded.last_uid "
        "ELSE MAX(mailbox_state.last_uid, excluded.last_uid) END",
        [key, uidvalidity, last_uid, iso(now), int(reset)],
    )


def _known_keys(store: Store, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(r[0] for r in store.db.execute(
            f"SELECT dedupe_key FROM messages WHERE direction = 'in' AND dedupe_key IN "
            f"({', '.join('?' for _ in chunk)})", chunk))
    return found


# --- fetching -----------------------------------------------------------------------------------------

def _batches(client: IMAPClient, uids: list[int], batch_size: int, max_bytes: int) -> Iterator[list[tuple[int, int]]]:
    """(uid, size) batches: at most batch_size messages and MAX_BATCH_BYTES (or one message) each."""
    for start in range(0, len(uids), SIZE_CHUNK):
        chunk = uids[start:start + SIZE_CHUNK]
        sizes = client.fetch(chunk, ["RFC822.SIZE"])
        batch: list[tuple[int, int]] = []
        total = 0
        for uid in chunk:
            if uid not in sizes:  # expunged meanwhile
                continue
            size = int(sizes[uid].get(b"RFC822.SIZE", 0))
            cost = min(size, max_bytes)
            if batch and (len(batch) >= batch_size or total + cost > MAX_BATCH_BYTES):
                yield batch
                batch, total = [], 0
            batch.append((uid, size))
            total += cost
        if batch:
            yield batch


def _fetch(client: IMAPClient, batch: list[tuple[int, int]], max_bytes: int) -> tuple[list[_Fetched], list[int]]:
    """The messages' bytes (a too-big one only up to max_bytes); and the UIDs the server gave no body for."""
    whole = [uid for uid, size in batch if size <= max_bytes]
    big = [uid for uid, size in batch if size > max_bytes]
    sizes = dict(batch)
    found: dict[int, _Fetched] = {}
    if whole:
        for uid, data in client.fetch(whole, ["BODY.PEEK[]", "INTERNALDATE"]).items():
            raw = data.get(b"BODY[]")
            if isinstance(raw, bytes) and len(raw) > max_bytes:
                # The server said it was small (RFC822.SIZE) and sent more: the cap holds whatever it says.
                found[uid] = _Fetched(uid, raw[:max_bytes], len(raw), data.get(b"INTERNALDATE"), truncated=True)
            elif isinstance(raw, bytes):
                found[uid] = _Fetched(uid, raw, len(raw), data.get(b"INTERNALDATE"))
    for uid in big:
        for got_uid, data in client.fetch([uid], [f"BODY.PEEK[]<0.{max_bytes}>", "INTERNALDATE"]).items():
            raw = data.get(b"BODY[]<0>")
            if isinstance(raw, bytes):
                found[got_uid] = _Fetched(got_uid, raw, sizes[uid], data.get(b"INTERNALDATE"), truncated=True)
    missing = [uid for uid, _ in batch if uid not in found]
    return [found[uid] for uid, _ in batch if uid in found], missing


def _skip_known(client: IMAPClient, store: Store, batch: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """During a resync: leave out messages whose Message-ID is already stored (one cheap header fetch)."""
    heads = client.fetch([uid for uid, _ in batch], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    keys: dict[int, str] = {}
    for uid, data in heads.items():
        value = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"") or b""
        message_id = header_message_id(value + b"\r\n\r\n") if isinstance(value, bytes) else None
        if message_id:
            keys[uid] = f"mid:{message_id}"
    known = _known_keys(store, keys.values())
    return [(uid, size) for uid, size in batch if keys.get(uid) not in known]


def _resync_until(store: Store, folder: str, uidvalidity: int) -> int:
    """Below this UID a renumbered folder may hold messages already stored under an older UIDVALIDITY."""
    row = store.db.execute(
        "SELECT MAX(uid) FROM messages WHERE direction = 'in' AND folder = ? AND uidvalidity != ?",
        [folder, uidvalidity]).fetchone()
    return int(row[0] or 0)


def _since_first_request(client: IMAPClient, store: Store, uids: list[int], report: PollReport) -> list[int]:
    """The UIDs that arrived since our first request went out (two days' margin: the server's SINCE is by
    day in its own time zone). A campaign may read a mailbox with years of other mail in it: nothing from
    before its first request can be a reply, and none of it is stored or listed in triage. Only the first
    pass asks; later ones take every new UID, whatever its date (mail moved in from another folder too)."""
    row = store.db.execute("SELECT MIN(created_at) FROM messages WHERE direction = 'out'").fetchone()
    first = from_iso(row[0]) if row and row[0] else None
    if first is None:
        kept: list[int] = []  # nothing sent yet: nothing here can be a reply
    else:
        since = (first - timedelta(days=2)).date()
        try:
            recent = set(client.search(["UID", f"{uids[0]}:*", "SINCE", since]))
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:  # a server that cannot search by date: better all than none
            report.problems.append(f"the server refused to search by date ({_reason(exc)}): the mail from "
                                   "before the first request is collected too")
            return uids
        kept = [u for u in uids if u in recent]
    report.before_run = len(uids) - len(kept)
    return kept


def _move(client: IMAPClient, uids: list[int], target: str, report: PollReport) -> int:
    """Move stored messages to the processed folder: MOVE, else COPY + \\Deleted + UID EXPUNGE of exactly
    these. Without UIDPLUS nothing is expunged (a plain EXPUNGE would also remove what the campaigner
    deleted and meant to keep a while): the originals stay, flagged \\Deleted, for the mail client."""
    if not uids:
        return 0
    try:
        if client.has_capability("MOVE"):
            client.move(uids, target)
        else:
            client.copy(uids, target)
            client.delete_messages(uids)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(uids)
    except IMAPClientAbortError:
        raise
    except IMAPClientError as exc:  # refused (quota, rights): the messages are stored; they stay where they are
        report.problems.append(f"could not move {len(uids)} message(s) to {target!r}: {_reason(exc)}")
        return 0
    return len(uids)


def _fetch_new(client: IMAPClient, store: Store, config: Config, now: datetime, report: PollReport,
               progress: Progress | None) -> None:
    server = config.imap
    assert server is not None
    folder = server.folder
    key = folder_key(server, folder)
    processed = server.processed_folder
    try:
        info = client.select_folder(folder, readonly=not processed)
    except IMAPClientAbortError:
        raise  # the connection broke: an interrupted pass, not a missing folder
    except IMAPClientError as exc:
        raise MailServerError(f"{server.label} cannot open the folder {folder!r} ([imap] folder): "
                              f"{_reason(exc)}") from exc
    uidvalidity = int(info.get(b"UIDVALIDITY", 0))
    uidnext = info.get(b"UIDNEXT")
    row = store.db.execute("SELECT uidvalidity, last_uid FROM mailbox_state WHERE folder = ?", [key]).fetchone()
    last_uid = int(row[1]) if row else 0
    if row and row[0] is not None and int(row[0]) != uidvalidity:
        report.resynced = True
        last_uid = 0
        with store.transaction():
            _save_state(store, key, uidvalidity, 0, now, reset=True)
            store.add_event(None, "mailbox_resync", now, {"folder": folder, "old_uidvalidity": row[0],
                                                          "new_uidvalidity": uidvalidity})
    if processed:
        if not client.folder_exists(processed):
            client.create_folder(processed)
        if last_uid:  # stored on an earlier pass that stopped before moving them: only what foibot stored
            # (the mail left alone as older than the campaign stays where it is)
            stored = {int(r[0]) for r in store.db.execute(
                "SELECT uid FROM messages WHERE direction = 'in' AND folder = ? AND uidvalidity = ? "
                "AND uid IS NOT NULL", [folder, uidvalidity])}
            leftovers = [u for u in client.search(["UID", f"1:{last_uid}", "NOT", "DELETED"])
                         if u <= last_uid and u in stored]
            report.moved += _move(client, leftovers, processed, report)
    if uidnext is not None and int(uidnext) <= last_uid + 1:
        return  # nothing new: the cheap path
    uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
    highest = uids[-1] if uids else last_uid
    if last_uid == 0 and uids:  # a first pass (or a renumbered folder): what came before our requests stays
        uids = _since_first_request(client, store, uids, report)
    report.new = len(uids)
    if not uids:
        if uidnext is not None and int(uidnext) - 1 > last_uid:  # UIDs of mail expunged or left alone
            with store.transaction():
                _save_state(store, key, uidvalidity, int(uidnext) - 1, now)
        return
    max_bytes = int(server.max_message_bytes)
    resync_until = _resync_until(store, folder, uidvalidity) if report.resynced or last_uid == 0 else 0
    if progress:
        progress(0, len(uids))
    done = 0
    for batch in _batches(client, uids, max(1, int(server.batch_size)), max_bytes):
        top = batch[-1][0]
        wanted = batch
        if batch[0][0] <= resync_until:
            wanted = _skip_known(client, store, batch)
            report.duplicates += len(batch) - len(wanted)
        messages, missing = _fetch(client, wanted, max_bytes) if wanted else ([], [])
        for uid in missing:
            report.problems.append(f"UID {uid}: the server returned no content (skipped)")
        report.fetched += len(messages)
        store_batch(store, key, folder, uidvalidity, messages, top, now, report)
        if processed:
            report.moved += _move(client, [uid for uid, _ in batch if uid not in missing], processed, report)
        done += len(batch)
        if progress:
            progress(done, len(uids))
    if highest > uids[-1]:  # older mail left alone above the last one stored: later passes start after it
        with store.transaction():
            _save_state(store, key, uidvalidity, highest, now)


# --- one pass -----------------------------------------------------------------------------------------

def _unfiled(store: Store) -> bool:
    """Whether a stored message waits to be filed (one indexed lookup)."""
    return store.db.execute("SELECT 1 FROM messages WHERE direction = 'in' AND state = 'stored' LIMIT 1"
                            ).fetchone() is not None


_CONNECTION_ERRORS = (OSError, imaplib.IMAP4.abort, imaplib.IMAP4.error, IMAPClientError)


def poll_once(store: Store, config: Config, now: datetime, *, progress: Progress | None = None) -> PollReport:
    """One pass: fetch what is new, store it, then parse, match and classify everything stored."""
    server = config.imap
    if server is None:
        raise ConfigError(f"{config.source}: there is no [imap] section: foibot poll needs the mailbox where "
                          "replies arrive (see config.example.toml; `foibot demo` shows polling in a sandbox)")
    report = PollReport(folder=server.folder)
    interrupted: BaseException | None = None
    started = time.perf_counter()
    client = connect(server, oauth_token(config, server))
    try:
        _fetch_new(client, store, config, now, report, progress)
    except MailServerError:
        raise
    except _CONNECTION_ERRORS as exc:
        interrupted = exc
    finally:
        _close(client)
        report.seconds_fetching = time.perf_counter() - started
    started = time.perf_counter()
    if _unfiled(store):  # also whatever an interrupted pass stored
        from .filing import file_stored  # the readers and the classifier: imported only when there is mail

        file_stored(store, config, now, report)
    report.seconds_filing = time.perf_counter() - started
    if interrupted is not None:
        raise PollInterruptedError(
            f"lost the connection to {server.label} during the pass ({_reason(interrupted)}); "
            f"{report.stored} new message(s) were stored first and the next poll resumes from there",
            report) from interrupted
    return report
