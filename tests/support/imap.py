"""A real Dovecot on 127.0.0.1 for the tests: one instance per session, a fresh mailbox user per test.

Fixture API (other test files use this; keep it stable):

    dovecot            (session) the running server, a `Dovecot`:
        .host                  "127.0.0.1"
        .imap_port             plain IMAP (STARTTLS offered; plaintext LOGIN allowed: loopback only)
        .imaps_port            implicit TLS
        .lmtp_port             LMTP, how real mail arrives (a local MTA hands it over like this)
        .ca_file               PEM of the test CA that signed the server's certificate (for `ca_file`)
        .password              "secret": every user's password (passdb static)
        .conf, .doveadm_path   the dovecot.conf and the doveadm binary, for `doveadm -c CONF ...`
        .auth_socket           Dovecot's SASL socket for an MTA (tests/support/postfix.py logs in with it)
        .new_user(prefix="t")  a fresh address "t<n>@example.test" whose mailbox is empty
        .deliver(user, raw, sender="replies@council.example")   LMTP delivery (adds Return-Path,
                               Delivered-To, Received, as a real MTA does); raises on refusal
        .append(user, raw, folder="INBOX", flags=(), when=None) -> uid    IMAP APPEND
        .multiappend(user, raws, folder="INBOX")    IMAP MULTIAPPEND (fast seeding)
        .save(user, raw, folder="INBOX")            `doveadm save` (server-side, no IMAP involved)
        .create_folder(user, folder)
        .set_uidvalidity(user, folder, n)           `doveadm mailbox update --uid-validity n`
        .status(user, folder="INBOX") -> dict       messages, uidvalidity, uidnext, unseen
        .flags(user, folder="INBOX") -> {uid: (flags...)}    to check nothing was marked \\Seen
        .folders(user) -> list[str]
        .client(user, tls=False) -> IMAPClient      a logged-in test-side client (close it yourself)
        .stop() / .start()     stop and restart the server (same ports, same mail) for fault tests
        .imap_section(user, security="none", **extra) -> dict     an `[imap]` config table
        .write_config(path, user, security="none", imap=None, **sections) -> Path
                               a whole config.toml for a campaign using this mailbox
    TcpProxy(port)     a loopback proxy in front of a server port (fake only the far end's misbehaviour):
        .port                  where the client connects instead
        .commands              the client's IMAP commands seen so far ("LOGIN", "EXAMINE", "UID FETCH", ...)
        .cut_after(n)          the next connection is cut once n bytes went from the server to the client
        .throttle              seconds to wait after each chunk from the server (a slow link); 0: none
        .rewrite               None, or a function applied to the bytes the client sends (a server that
                               refuses a command: turn it into one it does not know)
        .close()
    own_dovecot        (function) a Dovecot of the test's own, to stop and start (fault tests, the daemon)
    serving(server)    context manager: start a Dovecot (or a subclass), remove it afterwards
    imap_user          (function) a fresh address on `dovecot`; also sets FOIBOT_IMAP_PASSWORD=secret
    imap_config        (function) config.toml written in the test's folder for `imap_user`
                               (security "none", database ./foibot.db); returns its Path

Run as root (CI), mail belongs to `nobody`; as another user, everything runs as that user.
The base dir is short (`/tmp/fbmail-XXXX`): Dovecot's unix sockets must fit in 108 bytes.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from support.smtp import toml_text

PASSWORD = "secret"
PASSWORD_ENV = "FOIBOT_IMAP_PASSWORD"
DOMAIN = "example.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the process that started it dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Dovecot:
    """A self-contained Dovecot instance (IMAP, IMAPS, LMTP) in its own short temp dir."""

    def __init__(self, base: Path | None = None, password: str = PASSWORD):
        self.base = Path(base or tempfile.mkdtemp(prefix="fbmail-", dir="/tmp"))
        self.base.chmod(0o755)
        self.host = "127.0.0.1"
        self.password = password  # every user's (a test may start its own with another, non-ASCII say)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.lmtp_port = free_port()
        self.conf = self.base / "dovecot" / "dovecot.conf"
        self.doveadm_path = shutil.which("doveadm") or "/usr/bin/doveadm"
        self.dovecot_path = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.ca_file = str(self.base / "certs" / "ca.pem")
        self.auth_socket = str(self.base / "dovecot" / "run" / "auth-postfix")  # SASL for a test Postfix
        self._users = itertools.count(1)
        self._proc: subprocess.Popen[bytes] | None = None
        self.stopped = True
        self._write_files()

    # --- set-up -------------------------------------------------------------------------------------

    def _write_files(self) -> None:
        import trustme

        d = self.base / "dovecot"
        for sub in ("run", "state"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        mail = self.base / "mail"
        mail.mkdir(exist_ok=True)
        certs = self.base / "certs"
        certs.mkdir(exist_ok=True)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(self.ca_file)
        cert.private_key_pem.write_to_path(str(certs / "server.key"))
        cert.cert_chain_pems[0].write_to_path(str(certs / "server.pem"))
        for extra in cert.cert_chain_pems[1:]:
            with open(certs / "server.pem", "ab") as fh:
                fh.write(extra.bytes())

        if os.geteuid() == 0:
            internal_user, internal_group = "dovecot", "dovecot"
            login_user = "dovenull"
            mail_uid, mail_gid = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
            os.chown(mail, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
            (certs / "server.key").chmod(0o600)
        else:  # rootless: everything runs as the calling user
            me = pwd.getpwuid(os.geteuid()).pw_name
            mine = grp.getgrgid(os.getegid()).gr_name
            internal_user = login_user = mail_uid = me
            internal_group = mail_gid = mine
        self.conf.write_text(
            f"""\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = foibot-{self.base.name}
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{certs}/server.pem
ssl_key = <{certs}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
passdb {{
  driver = static
  args = password={self.password}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={mail}/%u allow_all_users=yes
}}
mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@{DOMAIN}
}}
""", encoding="utf-8")

    @property
    def log(self) -> str:
        try:
            return (self.base / "dovecot" / "dovecot.log").read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Start (or restart) the server; on the first start, ports another process grabbed meanwhile are
        replaced by fresh ones."""
        for attempt in range(3):
            if self._start_once(timeout):
                self._started = True
                return
            self.stop()
            if getattr(self, "_started", False) or attempt == 2 or "in use" not in self.log + self._errors():
                break
            self.imap_port, self.imaps_port, self.lmtp_port = free_port(), free_port(), free_port()
            self._write_files()
        raise RuntimeError(f"dovecot did not start: {self._errors()}\n{self.log}")

    def _errors(self) -> str:
        try:
            return (self.base / "dovecot" / "start.err").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _start_once(self, timeout: float) -> bool:
        # In the foreground (-F), as our child: stopped by its handle, never left behind; and it dies with
        # the test process even when that is killed (PR_SET_PDEATHSIG: only from the main thread, as the
        # signal comes when the starting thread ends).
        with open(self.base / "dovecot" / "start.err", "wb") as err:
            # preexec_fn only sets the parent-death signal, and only from the main thread (no threads beside).
            self._proc = subprocess.Popen([self.dovecot_path, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                          stdout=err, stderr=err, preexec_fn=_die_with_parent  # noqa: PLW1509
                                          if threading.current_thread() is threading.main_thread() else None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:  # the master exited: a port taken, a bad setting
                return False
            if all(_port_open(p) for p in (self.imap_port, self.imaps_port, self.lmtp_port)):
                self.stopped = False
                return True
            time.sleep(0.02)
        return False

    def stop(self, timeout: float = 15.0) -> None:
        proc = self._proc
        if proc is None:
            return
        self.stopped = True
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _port_open(self.imap_port):  # its children close the ports
            time.sleep(0.02)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    # --- users and mail -----------------------------------------------------------------------------

    def new_user(self, prefix: str = "t") -> str:
        return f"{prefix}{next(self._users)}-{os.getpid()}@{DOMAIN}"

    def deliver(self, user: str, raw: bytes, sender: str = "replies@council.example") -> None:
        """Deliver as an MTA would (LMTP); raises smtplib errors when Dovecot refuses."""
        with smtplib.LMTP(self.host, self.lmtp_port, timeout=30) as lmtp:
            refused = lmtp.sendmail(sender, [user], raw)
        if refused:
            raise RuntimeError(f"LMTP refused {refused}")

    def client(self, user: str, tls: bool = False) -> Any:
        from imapclient import IMAPClient

        if tls:
            ctx = ssl.create_default_context(cafile=self.ca_file)
            c = IMAPClient(self.host, port=self.imaps_port, ssl=True, ssl_context=ctx, timeout=30)
        else:
            c = IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=30)
        c.login(user, self.password)
        return c

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: Iterable[str] = (),
               when: datetime | None = None) -> int | None:
        c = self.client(user)
        try:
            if folder != "INBOX" and not c.folder_exists(folder):
                c.create_folder(folder)
            reply = c.append(folder, raw, flags=tuple(flags), msg_time=when)
        finally:
            c.logout()
        # b'[APPENDUID 1795355366 1] Append completed.'
        text = reply.decode() if isinstance(reply, bytes) else str(reply)
        if "APPENDUID" in text:
            return int(text.split("APPENDUID", 1)[1].split("]")[0].split()[1])
        return None

    def multiappend(self, user: str, raws: Iterable[bytes], folder: str = "INBOX",
                    batch: int = 500) -> int:
        c = self.client(user)
        count = 0
        try:
            if folder != "INBOX" and not c.folder_exists(folder):
                c.create_folder(folder)
            chunk: list[bytes] = []
            for raw in raws:
                chunk.append(raw)
                if len(chunk) >= batch:
                    c.multiappend(folder, chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                c.multiappend(folder, chunk)
                count += len(chunk)
        finally:
            c.logout()
        return count

    def doveadm(self, *args: str, input: bytes | None = None) -> str:
        result = subprocess.run([self.doveadm_path, "-c", str(self.conf), *args], input=input, check=False,
                                capture_output=True)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
        return result.stdout.decode(errors="replace")

    def save(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        self.doveadm("save", "-u", user, "-m", folder, input=raw)

    def create_folder(self, user: str, folder: str) -> None:
        self.doveadm("mailbox", "create", "-u", user, folder)

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)

    def status(self, user: str, folder: str = "INBOX") -> dict[str, int]:
        out = self.doveadm("-f", "flow", "mailbox", "status", "-u", user,
                           "messages uidvalidity uidnext unseen", folder)
        values: dict[str, int] = {}
        for item in out.split():
            key, _, value = item.partition("=")
            if value.isdigit():
                values[key] = int(value)
        return values

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        c = self.client(user)
        try:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            return {uid: data[b"FLAGS"] for uid, data in c.fetch(uids, ["FLAGS"]).items()} if uids else {}
        finally:
            c.logout()

    def folders(self, user: str) -> list[str]:
        c = self.client(user)
        try:
            return [name for _flags, _sep, name in c.list_folders()]
        finally:
            c.logout()

    # --- config for a campaign ----------------------------------------------------------------------

    def imap_section(self, user: str, security: str = "none", **extra: Any) -> dict[str, Any]:
        port = {"none": self.imap_port, "starttls": self.imap_port, "tls": self.imaps_port}[security]
        section: dict[str, Any] = {
            "host": self.host,
            "port": port,
            "security": security,
            "username": user,
            "password_env": PASSWORD_ENV,
            "folder": "INBOX",
        }
        if security != "none":
            section["ca_file"] = self.ca_file
        section.update(extra)
        return section

    def write_config(self, path: str | os.PathLike[str], user: str, security: str = "none",
                     imap: dict[str, Any] | None = None, **sections: dict[str, Any]) -> Path:
        """config.toml for a campaign reading `user`'s mailbox; other sections (requester, smtp, storage...)
        as keyword tables. Set FOIBOT_IMAP_PASSWORD=secret in the environment (imap_user does)."""
        tables: dict[str, dict[str, Any]] = {
            "requester": {"name": "A. Campaigner", "email": user},
        }
        tables.update(sections)
        tables["imap"] = self.imap_section(user, security, **(imap or {}))
        tables.setdefault("storage", {"database": "foibot.db"})
        target = Path(path)
        target.write_text(toml_text(tables))
        return target


def loopback_listener(host: str = "127.0.0.1", backlog: int = 16) -> socket.socket:
    """A socket listening on a free port of `host` (the port: `getsockname()[1]`)."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(backlog)
    return listener


def relay_connections(listener: socket.socket, target: tuple[str, int], closed: Callable[[], bool],
                      pair: Callable[[socket.socket, socket.socket], None], connect_timeout: float | None = None) -> None:
    """A proxy's accept loop: until `closed()` (or the listener is closed), connect each client to `target`
    and hand both sockets to `pair`. While the server is down, a client is closed at once, as a refused one
    would be."""
    while not closed():
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            server = socket.create_connection(target, timeout=connect_timeout)
            server.settimeout(None)
        except OSError:
            client.close()
            continue
        pair(client, server)


class TcpProxy:
    """A loopback TCP proxy that records IMAP command names, can cut a connection mid-stream or slow the
    server's bytes down (`throttle` seconds a chunk), and survives the server being down (the client's
    connection is then closed at once, as a refused one would be)."""

    def __init__(self, target_port: int, host: str = "127.0.0.1", throttle: float = 0.0):
        self.target = (host, target_port)
        self.throttle = throttle
        self.commands: list[str] = []
        self.rewrite: Callable[[bytes], bytes] | None = None  # applied to what the client sends
        self.rewrite_reply: Callable[[bytes], bytes] | None = None  # applied to what the server sends
        self._cut: int | None = None
        self._lock = threading.Lock()
        self._listener = loopback_listener(host)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_after(self, n: int) -> None:
        with self._lock:
            self._cut = n

    def close(self) -> None:
        self._closed = True
        for sock in [self._listener, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        relay_connections(self._listener, self.target, lambda: self._closed, self._relay, connect_timeout=5)

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        with self._lock:
            cut, self._cut = self._cut, None
        self._sockets += [client, server]
        threading.Thread(target=self._pump, args=(client, server, None, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client, cut, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, cut: int | None, from_client: bool) -> None:
        sent = 0
        pending = b""
        try:
            while True:
                data = source.recv(8192 if self.throttle and not from_client else 65536)
                if not data:
                    break
                if from_client:
                    pending += data
                    *lines, pending = pending.split(b"\r\n")
                    for line in lines:
                        words = line.split(b" ")
                        if len(words) >= 2 and words[0].isalnum():
                            name = words[1].upper().decode(errors="replace")
                            if name == "UID" and len(words) > 2:
                                name += " " + words[2].upper().decode(errors="replace")
                            self.commands.append(name)
                if from_client and self.rewrite is not None:
                    data = self.rewrite(data)
                if not from_client and self.rewrite_reply is not None:
                    data = self.rewrite_reply(data)
                if cut is not None and sent + len(data) >= cut:
                    sink.sendall(data[:max(0, cut - sent)])
                    break
                if self.throttle and not from_client:
                    time.sleep(self.throttle)
                sink.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, sink):  # one side ended: end both, as a dropped link does
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@contextmanager
def serving(server: Dovecot) -> Iterator[Dovecot]:
    """Start a Dovecot (skip the test when none is installed), hand it over, remove it and its mail after."""
    if not shutil.which("dovecot") and not Path("/usr/sbin/dovecot").exists():
        pytest.skip("Dovecot is not installed: run scripts/test.sh (it installs dovecot-imapd, dovecot-lmtpd)")
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with serving(Dovecot()) as server:
        yield server


@pytest.fixture
def own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of the test's own: stopping it (fault tests, the daemon's) disturbs no other test."""
    with serving(Dovecot()) as server:
        yield server


@pytest.fixture
def imap_user(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty mailbox on the session's Dovecot; the IMAP password is in the environment."""
    if dovecot.stopped:  # a fault test stopped it and failed before starting it again
        dovecot.start()
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return dovecot.new_user()


@pytest.fixture
def imap_config(dovecot: Dovecot, imap_user: str, tmp_path: Path) -> Path:
    """./config.toml for a campaign that reads `imap_user`'s INBOX over loopback."""
    return dovecot.write_config(tmp_path / "config.toml", imap_user)
