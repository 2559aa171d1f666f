"""The store: one SQLite file through sqlite-utils, WAL, one Migrations set, owner-only permissions.

Every other module reads and writes through a `Store`; `transaction()` takes the write lock up front
(BEGIN IMMEDIATE) and waits for it, so two foibot processes queue instead of failing with "database is locked".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from sqlite_utils.migrations import Migrations

from ..clock import iso
from ..errors import StoreError

BUSY_TIMEOUT_MS = 60_000

migrations = Migrations("foibot")


@migrations(name="m001_initial")
def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE authorities (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            email TEXT NOT NULL,
            kind TEXT NOT NULL,
            jurisdiction TEXT NOT NULL,
            extra TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL
        );
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            template TEXT NOT NULL,
            created_at TEXT NOT NULL,
            authorities_file TEXT,
            authorities_sha256 TEXT,
            requester_name TEXT,
            requester_email TEXT
        );
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            run TEXT NOT NULL REFERENCES runs(id),
            authority_id TEXT NOT NULL REFERENCES authorities(id),
            reference TEXT NOT NULL UNIQUE,
            authority_name TEXT NOT NULL,
            authority_email TEXT NOT NULL,
            jurisdiction TEXT NOT NULL,
            regime TEXT NOT NULL,              -- foia | foisa
            status TEXT NOT NULL DEFAULT 'queued',
            created_at TEXT NOT NULL,
            sent_at TEXT,
            failed_reason TEXT,
            first_reply_at TEXT,
            authority_ref TEXT,
            outcome TEXT,
            outcome_at TEXT,
            exemptions TEXT NOT NULL DEFAULT '',
            answers TEXT NOT NULL DEFAULT '{}', -- {"q1": "...", ...}
            outcome_manual INTEGER NOT NULL DEFAULT 0,
            status_manual INTEGER NOT NULL DEFAULT 0,
            on_hold INTEGER NOT NULL DEFAULT 0,
            clarification_at TEXT,             -- the authority asked a question (clock stopped)
            clarification_answered_at TEXT,    -- we answered (clock restarts at day 0)
            extension_to TEXT,                 -- a date named in an extension notice
            extension_at TEXT,                 -- when an extension notice came (with or without a date)
            review_requested_at TEXT,
            review_result_at TEXT,
            withdrawn_at TEXT,
            UNIQUE (run, authority_id)
        );
        CREATE INDEX requests_status ON requests(status);
        CREATE INDEX requests_authority ON requests(authority_id);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            direction TEXT NOT NULL,           -- in | out
            request_id INTEGER REFERENCES requests(id),
            stage TEXT,                        -- out: request | reminder | internal_review | ...
            state TEXT NOT NULL,               -- out: queued|sending|sent|failed|unknown; in: stored|parsed|parse_error
            dedupe_key TEXT,                   -- in: "mid:<message-id>" or "sha:<sha256>"
            message_id TEXT,
            in_reply_to TEXT,
            references_header TEXT,
            from_addr TEXT,
            to_addrs TEXT,
            subject TEXT,
            date_header TEXT,
            sha256 TEXT,
            size INTEGER,
            raw BLOB,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            smtp_reply TEXT,
            folder TEXT,
            uid INTEGER,
            uidvalidity INTEGER,
            text TEXT,
            kind TEXT,
            confidence REAL,
            evidence TEXT,                     -- JSON list of sentences
            authority_ref TEXT,
            exemptions TEXT,
            answers TEXT,                      -- JSON
            kind_manual INTEGER NOT NULL DEFAULT 0,
            match_method TEXT,
            match_confidence REAL,
            match_detail TEXT,                 -- JSON: what was found, candidates
            triage INTEGER NOT NULL DEFAULT 0,
            parse_error TEXT
        );
        CREATE UNIQUE INDEX messages_in_dedupe ON messages(dedupe_key) WHERE direction = 'in';
        CREATE UNIQUE INDEX messages_out_once ON messages(request_id, stage) WHERE direction = 'out';
        CREATE INDEX messages_message_id ON messages(message_id);
        CREATE INDEX messages_request ON messages(request_id);
        CREATE INDEX messages_state ON messages(direction, state);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id),
            part_index INTEGER NOT NULL,
            filename TEXT,                     -- the sender's name, for display only (never a path)
            stored_path TEXT,                  -- generated, relative to the files folder
            content_type TEXT,
            size INTEGER,
            sha256 TEXT,
            text TEXT,
            status TEXT NOT NULL,              -- ok | encrypted | broken | unsupported | too_large
            UNIQUE (message_id, part_index)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            request_id INTEGER REFERENCES requests(id),
            message_id INTEGER REFERENCES messages(id),
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL DEFAULT 'auto'  -- auto | manual
        );
        CREATE INDEX events_request ON events(request_id);
        CREATE TABLE mailbox_state (
            folder TEXT PRIMARY KEY,
            uidvalidity INTEGER,
            last_uid INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE sender_hints (
            address TEXT PRIMARY KEY,          -- an address, or "@domain"
            authority_id TEXT NOT NULL REFERENCES authorities(id),
            created_at TEXT NOT NULL
        );
        """
    )


@migrations(name="m002_runs_template_sha256")
def m002_runs_template_sha256(db: sqlite_utils.Database) -> None:
    # What the run's template said (subject, body, questions): a new run identical to a sent one is refused.
    db.execute("ALTER TABLE runs ADD COLUMN template_sha256 TEXT")


@migrations(name="m003_events_message_index")
def m003_events_message_index(db: sqlite_utils.Database) -> None:
    # The poller asks "was this message already recorded?" once per reply: without an index every reply
    # scanned the whole event history, so a pass got slower with every reply ever filed.
    db.execute("CREATE INDEX IF NOT EXISTS events_message ON events(message_id)")


@migrations(name="m004_request_channel")
def m004_request_channel(db: sqlite_utils.Database) -> None:
    # How each request goes (email, or by hand: web_form, post, unknown), and the addresses it was sent to
    # that turned out wrong (`foibot readdress`), ";"-joined, oldest first.
    db.execute("ALTER TABLE requests ADD COLUMN channel TEXT NOT NULL DEFAULT 'email'")
    db.execute("ALTER TABLE requests ADD COLUMN wrong_addresses TEXT NOT NULL DEFAULT ''")


@migrations(name="m005_review_queue")
def m005_review_queue(db: sqlite_utils.Database) -> None:
    # The review queue: a reading the classifier is not sure of, or one that would change an outcome, waits
    # for a person (`foibot review`); while one waits, the ladder and the outbox hold its request.
    # requests.outcome_confirmed: 1 once a person confirmed or set the outcome (export: outcome_confirmed).
    db.execute("ALTER TABLE messages ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE messages ADD COLUMN review_reason TEXT")
    db.execute("ALTER TABLE requests ADD COLUMN outcome_confirmed INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX IF NOT EXISTS messages_review ON messages(request_id) WHERE needs_review = 1")


@migrations(name="m006_outbox_claimed_copied")
def m006_outbox_claimed_copied(db: sqlite_utils.Database) -> None:
    # claimed_at: when a message was last handed to the server (the daily limit counts these over 24 hours,
    # in the transaction that claims the next one); copied_at: when its copy reached [imap] sent_folder.
    db.execute("ALTER TABLE messages ADD COLUMN claimed_at TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN copied_at TEXT")
    db.execute("UPDATE messages SET claimed_at = COALESCE(sent_at, created_at) WHERE direction = 'out' "
               "AND state IN ('sent', 'sending', 'unknown')")
    db.execute("CREATE INDEX IF NOT EXISTS messages_claimed ON messages(claimed_at) WHERE claimed_at IS NOT NULL")


# The requests with a reading of a reply waiting for a person (the ladder and the outbox hold them).
PENDING_REVIEW_REQUESTS = ("SELECT request_id FROM messages WHERE needs_review = 1 AND direction = 'in' "
                           "AND request_id IS NOT NULL")


@migrations(name="m007_request_verdicts")
def m007_request_verdicts(db: sqlite_utils.Database) -> None:
    # A person's verdicts per question ({"q1": {"verdict": "no", "exemption": "", "at": ...}}); foibot's own
    # are worked out from the answers every time, like due dates, and a person's always win.
    db.execute("ALTER TABLE requests ADD COLUMN verdicts TEXT NOT NULL DEFAULT '{}'")


@migrations(name="m008_quarantine")
def m008_quarantine(db: sqlite_utils.Database) -> None:
    # A message that crashed, hung or ran out of memory while being read is set aside (state 'quarantined')
    # with the reason, so it never blocks the messages after it; `foibot retry` reads it again.
    db.execute("ALTER TABLE messages ADD COLUMN quarantine_reason TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN quarantined_at TEXT")
    db.execute("ALTER TABLE messages ADD COLUMN read_attempts INTEGER NOT NULL DEFAULT 0")


# The change log (m009): how many of its newest entries are kept, and how often the older ones are cut.
CHANGES_KEPT = 50_000
CHANGES_TRIM_EVERY = 1_000


@migrations(name="m009_change_log")
def m009_change_log(db: sqlite_utils.Database) -> None:
    # Which requests changed, in commit order: SQLite's own triggers note the request every write to
    # requests, messages, attachments, events or an authority's kind touches (whichever process writes),
    # so a long-lived reader (the workspace's request list) reads again only those requests
    # (`changes_since`). AUTOINCREMENT: a number is never used twice, even once old rows are cut. Every
    # CHANGES_TRIM_EVERY-th entry cuts what is older than the newest CHANGES_KEPT: the log stays bounded.
    note = "INSERT INTO changes (request_id) VALUES ({});"
    statements = [
        "CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id INTEGER NOT NULL)",
        f"""CREATE TRIGGER changes_trim AFTER INSERT ON changes WHEN NEW.seq % {CHANGES_TRIM_EVERY} = 0
            BEGIN DELETE FROM changes WHERE seq <= NEW.seq - {CHANGES_KEPT}; END""",
    ]
    for event in ("INSERT", "UPDATE", "DELETE"):
        row = "OLD" if event == "DELETE" else "NEW"
        statements.append(f"CREATE TRIGGER changes_requests_{event.lower()} AFTER {event} ON requests "
                          f"BEGIN {note.format(f'{row}.id')} END")
        for table in ("messages", "events"):
            statements.append(
                f"CREATE TRIGGER changes_{table}_{event.lower()} AFTER {event} ON {table} "
                f"WHEN {row}.request_id IS NOT NULL BEGIN {note.format(f'{row}.request_id')} END")
        statements.append(
            f"CREATE TRIGGER changes_attachments_{event.lower()} AFTER {event} ON attachments BEGIN "
            f"INSERT INTO changes (request_id) SELECT request_id FROM messages WHERE id = {row}.message_id "
            "AND request_id IS NOT NULL; END")
    # A message or an event moved from one request to another (triage filing it): the old one changed too.
    for table in ("messages", "events"):
        statements.append(
            f"CREATE TRIGGER changes_{table}_moved AFTER UPDATE OF request_id ON {table} "
            f"WHEN OLD.request_id IS NOT NULL AND OLD.request_id IS NOT NEW.request_id "
            f"BEGIN {note.format('OLD.request_id')} END")
    statements.append(
        "CREATE TRIGGER changes_attachments_moved AFTER UPDATE OF message_id ON attachments "
        "WHEN OLD.message_id IS NOT NEW.message_id BEGIN INSERT INTO changes (request_id) SELECT request_id "
        "FROM messages WHERE id = OLD.message_id AND request_id IS NOT NULL; END")
    # The list shows the authority's kind (joined from authorities).
    statements.append(
        "CREATE TRIGGER changes_authorities_insert AFTER INSERT ON authorities BEGIN "
        "INSERT INTO changes (request_id) SELECT id FROM requests WHERE authority_id = NEW.id; END")
    statements.append(
        "CREATE TRIGGER changes_authorities_kind AFTER UPDATE ON authorities "
        "WHEN OLD.kind IS NOT NEW.kind OR OLD.id IS NOT NEW.id BEGIN "
        "INSERT INTO changes (request_id) SELECT id FROM requests WHERE authority_id IN (OLD.id, NEW.id); END")
    for statement in statements:
        db.execute(statement)


class Store:
    """An open foibot database; `db` is the sqlite-utils Database, `files_dir` the attachments folder."""

    def __init__(self, path: Path, files_dir: Path, db: sqlite_utils.Database):
        self.path = path
        self.files_dir = files_dir
        self.db = db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction, taken with BEGIN IMMEDIATE so writers wait their turn instead of failing."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _wrap(exc, self.path) from exc
        try:
            yield self.db
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if _ENVIRONMENT.search(str(exc)):  # the file or its disk, not a bug: one clear error
                raise _wrap(exc, self.path) from exc
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise _wrap(exc, self.path) from exc

    def add_event(
        self,
        request_id: int | None,
        type_: str,
        at: datetime,
        detail: dict[str, Any] | None = None,
        message_id: int | None = None,
        source: str = "auto",
    ) -> None:
        # Plain SQL: sqlite-utils' insert() inspects the table on every call, which costs more than the
        # insert itself when the mailer records thousands of sends.
        self.db.execute(
            "INSERT INTO events (request_id, message_id, at, type, detail, source) VALUES (?, ?, ?, ?, ?, ?)",
            [request_id, message_id, iso(at), type_, json.dumps(detail or {}, sort_keys=True), source],
        )

    def close(self) -> None:
        self.db.close()

    # --- row helpers every stage shares (one place for each count the CLI, status and report show) ---

    def triage_count(self) -> int:
        """Incoming messages waiting for the campaigner in `foibot triage`."""
        return int(self.db.execute(
            "SELECT COUNT(*) FROM messages WHERE direction = 'in' AND triage = 1").fetchone()[0])

    def quarantine_count(self) -> int:
        """Incoming messages set aside because reading them failed or ran out of its limits."""
        return int(self.db.execute(
            "SELECT COUNT(*) FROM messages WHERE direction = 'in' AND state = 'quarantined'").fetchone()[0])

    def last_change(self) -> int:
        """The change log's newest number (0 before any change): what a reader has seen up to."""
        row = self.db.execute("SELECT MAX(seq) FROM changes").fetchone()
        return int(row[0] or 0)

    def changes_since(self, seen: int) -> tuple[int, set[int] | None]:
        """The change log's newest number and the requests changed after `seen`, by any connection; None
        instead of the requests when the log no longer reaches back to `seen` (cut, or another file)."""
        low, high = self.db.execute("SELECT MIN(seq), MAX(seq) FROM changes").fetchone()
        high = int(high or 0)
        if high < seen or (low is not None and low > seen + 1):
            return high, None
        if high == seen:
            return high, set()
        return high, {int(row[0]) for row in self.db.execute(
            "SELECT DISTINCT request_id FROM changes WHERE seq > ? AND seq <= ?", [seen, high])}

    def run_names(self) -> list[str]:
        """Every run, oldest first."""
        return [row[0] for row in self.db.execute("SELECT id FROM runs ORDER BY created_at")]

    def require_run(self, run: str | None) -> None:
        """An unknown run name is an error that lists the runs there are (None: all runs, always fine)."""
        if run is None:
            return
        runs = self.run_names()
        if run not in runs:
            known = ", ".join(runs) if runs else "none yet"
            raise StoreError(f"no run named {run!r} in {self.path} (runs: {known})")


# SQLite's words for a database that cannot be written for reasons outside foibot (a write that fails
# mid-transaction on a read-only file or a full disk must be a clear error too, not a traceback).
_ENVIRONMENT = re.compile(r"readonly|read-only|disk|full|locked|busy", re.IGNORECASE)


_CORRUPT = re.compile(r"malformed|not a database|corrupt|file is encrypted", re.IGNORECASE)


def damaged(path: Path, exc: BaseException) -> StoreError | None:
    """The one-line error for a damaged database file, or None when `exc` says something else."""
    if not (isinstance(exc, sqlite3.DatabaseError) and _CORRUPT.search(str(exc))):
        return None
    return StoreError(f"database {path} is damaged ({exc}): stop foibot and copy a backup of the file over it "
                      f"(`sqlite3 {path} .recover | sqlite3 recovered.db` saves what can be read; `foibot check` "
                      "says whether the file is whole)")


def integrity_check(store: Store, *, quick: bool = False) -> list[str]:
    """SQLite's integrity check of the whole file: [] when it is whole, else what SQLite found (at most 20)."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = [str(row[0]) for row in store.db.execute(f"PRAGMA {pragma}(20)")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def _wrap(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc)
    corrupt = damaged(path, exc)
    if corrupt is not None:
        return corrupt
    if "readonly" in text or "read-only" in text:
        return StoreError(f"database {path} is read-only: check the permissions of the file and its folder")
    if "locked" in text or "busy" in text:
        return StoreError(f"database {path} stayed locked by another foibot process for "
                          f"{BUSY_TIMEOUT_MS // 1000} s: try again")
    if "disk" in text and "full" in text:
        return StoreError(f"the disk holding {path} is full")
    return StoreError(f"database {path}: {text}")


def open_store(database: Path, files_dir: Path, *, create: bool = True) -> Store:
    """Open (and migrate) the database; created readable by its owner only."""
    database = Path(database)
    if not create and not database.exists():
        raise StoreError(f"database {database} does not exist yet: send a run first (foibot send)")
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        if not database.exists():
            fd = os.open(database, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        conn = sqlite3.connect(str(database), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        db = sqlite_utils.Database(conn)
        if migrations.pending(db):
            # Under the write lock, so two first runs cannot both migrate; apply() nests in savepoints.
            with Store(database, files_dir, db).transaction():
                migrations.apply(db)
    except sqlite3.Error as exc:
        raise _wrap(exc, database) from exc
    except OSError as exc:
        raise StoreError(f"cannot open database {database}: {exc.strerror}") from exc
    return Store(database, files_dir, db)


@contextlib.contextmanager
def open_readonly(database: Path) -> Iterator[sqlite3.Connection | None]:
    """The existing database opened for reading only, or None when there is none yet: what a dry run reads,
    never creating, migrating or writing anything."""
    if not database.exists():
        yield None
        return
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=60)
        conn.row_factory = sqlite3.Row
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"database {database} cannot be read: {exc}") from exc
    try:
        yield conn
    finally:
        conn.close()


_J = TypeVar("_J", dict[str, Any], list[Any])


def json_column(text: str | None, default: _J) -> _J:
    """The value of a JSON column (answers, evidence, match_detail, extra, ...), or `default` when the column
    is empty, not JSON, or holds another type than `default`'s (a row written by hand or by an older foibot)."""
    if not text:
        return default
    try:
        value = json.loads(text)
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The column names of a table (empty when it does not exist: an older database)."""
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


_watchers: dict[str, sqlite3.Connection] = {}
_watchers_lock = threading.Lock()


def change_stamp(database: Path) -> int:
    """A number that changes whenever any connection commits to `database` (a long-lived process, such as the
    workspace, keeps what it worked out while this stays the same).

    SQLite's `PRAGMA data_version` on a read-only connection kept open for watching: it moves with every
    commit by any other connection, this process's or another's, and costs one cheap statement."""
    key = str(Path(database).resolve())
    with _watchers_lock:
        conn = _watchers.get(key)
        if conn is None:
            try:
                conn = sqlite3.connect(f"file:{key}?mode=ro", uri=True, check_same_thread=False)
                conn.execute("PRAGMA query_only = 1")
            except sqlite3.Error as exc:
                raise _wrap(exc, Path(database)) from exc
            _watchers[key] = conn
        try:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise _wrap(exc, Path(database)) from exc


def ensure_files_dir(store: Store) -> Path:
    """The attachments folder, created readable by its owner only."""
    try:
        store.files_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the files folder {store.files_dir}: {exc.strerror}") from exc
    return store.files_dir
