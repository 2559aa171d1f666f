"""Helpers for the fault-injection suite (tests/test_faults_*.py): seeded chaos for the far end, subprocesses.

- `fault_seed()`: the seed of a test's random faults, from $FOIBOT_FAULT_SEED or fresh; tests print it and
  name it in their failure messages, so a failing campaign can be replayed exactly (as far as timing allows).
- `SmtpChaos`: makes the tests' aiosmtpd server (support.smtp.SmtpServer) misbehave per recipient, from a
  seeded plan: 451 once or twice, the connection dropped after the data (before the reply), a stall past
  the client's timeout, and a burst in which every command and every new connection is answered 421.
- `SmtpCutProxy`: a loopback proxy in front of it that cuts the connection in the middle of a message's
  content (after the server's 354, before the final dot), so the server never accepts that attempt.
- `foibot_process(...)` / `run_foibot(...)`: the real `python -m foibot` in a campaign folder.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.imap import loopback_listener, relay_connections

ROOT = Path(__file__).resolve().parent.parent.parent


def fault_seed() -> int:
    """The seed for this test's random faults: $FOIBOT_FAULT_SEED to replay a failure, else a fresh one."""
    given = os.environ.get("FOIBOT_FAULT_SEED")
    seed = int(given) if given else random.SystemRandom().randrange(1, 10**9)
    print(f"fault seed: {seed} (replay with FOIBOT_FAULT_SEED={seed})")
    return seed


# --- subprocesses -----------------------------------------------------------------------------------------

@dataclass
class Done:
    code: int
    stdout: str
    stderr: str
    seconds: float


def foibot_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_") or k.endswith("_PASSWORD")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def foibot_process(folder: Path, *args: str, env: dict[str, str] | None = None,
                   stderr: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    """`python -m foibot ARGS` with `folder` as its working directory (its ./config.toml)."""
    return subprocess.Popen([sys.executable, "-m", "foibot", *args], cwd=folder, env=foibot_env(env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True)


def run_foibot(folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Done:
    started = time.monotonic()
    proc = foibot_process(folder, *args, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"foibot {' '.join(args)} did not finish in {timeout} s:\n{err}") from None
    return Done(proc.returncode, out, err, time.monotonic() - started)


def query(database: Path, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
    """Read the campaign's database the way a campaigner's sqlite3 shell would (a separate connection)."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=60)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, list(params)))
    finally:
        conn.close()


def scalar(database: Path, sql: str, params: Iterable[Any] = ()) -> Any:
    return query(database, sql, params)[0][0]


# --- a misbehaving SMTP server ----------------------------------------------------------------------------

FAULTS = ("451", "451x2", "drop", "stall", "cut")


def smtp_fault_plan(recipients: Iterable[str], rng: random.Random, *, temp_fail: float = 0.30,
                    drop: float = 0.02, stall: float = 0.01, cut: float = 0.02) -> dict[str, str]:
    """recipient -> the one fault it meets (at most one kind each, so retries are bounded)."""
    plan: dict[str, str] = {}
    for address in sorted(a.lower() for a in recipients):
        draw = rng.random()
        if draw < temp_fail:
            plan[address] = "451x2" if rng.random() < 0.1 else "451"
        elif draw < temp_fail + drop:
            plan[address] = "drop"
        elif draw < temp_fail + drop + stall:
            plan[address] = "stall"
        elif draw < temp_fail + drop + stall + cut:
            plan[address] = "cut"
    return plan


@dataclass
class ChaosLog:
    """What the far end actually did (a fault planned for a message is applied to its first attempts)."""

    applied: dict[str, int] = field(default_factory=dict)  # fault -> times
    burst_started: float | None = None
    burst_refusals: int = 0

    def add(self, fault: str) -> None:
        self.applied[fault] = self.applied.get(fault, 0) + 1


class SmtpChaos:
    """Wraps an `SmtpServer`'s handler: the planned fault for each recipient, then a 421 burst.

    `burst_after`: once that many messages were accepted, for `burst_seconds` every MAIL and DATA is
    answered 421 and the connection closed, and every new connection is greeted with 421 and closed
    (a provider restarting, or throttling us): then it recovers.
    """

    def __init__(self, server: Any, plan: dict[str, str], *, stall_seconds: float = 2.0,
                 burst_after: int | None = None, burst_seconds: float = 2.0) -> None:
        self.server = server
        self.remaining = {address: (["451", "451"] if f == "451x2" else [f]) for address, f in plan.items()
                          if f != "cut"}
        self.stall_seconds = stall_seconds
        self.burst_after = burst_after
        self.burst_seconds = burst_seconds
        self.burst_until = 0.0
        self.log = ChaosLog()
        self.lock = threading.Lock()
        handler = server._controller.handler
        self._accept_data = handler.handle_DATA
        self._accept_mail = handler.handle_MAIL
        handler.handle_DATA = self.handle_DATA  # aiosmtpd reads the hooks per connection
        handler.handle_MAIL = self.handle_MAIL

    def in_burst(self) -> bool:
        return time.monotonic() < self.burst_until

    def _refuse(self, smtp: Any) -> str:
        with self.lock:
            self.log.burst_refusals += 1
        asyncio.get_running_loop().call_soon(smtp.transport.close)  # after the reply is written
        return "421 4.3.2 Service not available, closing transmission channel"

    async def handle_MAIL(self, smtp: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.in_burst():
            return self._refuse(smtp)
        result: str = await self._accept_mail(smtp, session, envelope, address, options)
        return result

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        if self.in_burst():
            return self._refuse(smtp)
        recipient = envelope.rcpt_tos[0].lower() if envelope.rcpt_tos else ""
        with self.lock:
            faults = self.remaining.get(recipient)
            fault = faults.pop(0) if faults else None
            if fault:
                self.log.add(fault)
        if fault == "451":
            return "451 4.3.0 Temporary local problem, try again later"
        if fault == "stall":
            await asyncio.sleep(self.stall_seconds)
        if fault in ("drop", "stall"):
            smtp.transport.abort()  # the data arrived; no reply ever comes, nothing is kept
            return "421 4.4.2 connection dropped by the test"
        result: str = await self._accept_data(smtp, session, envelope)
        if self.burst_after is not None and len(self.server.received) >= self.burst_after:
            self.burst_after = None
            self.log.burst_started = time.monotonic()
            self.burst_until = time.monotonic() + self.burst_seconds
            self.server.limit_connections(0)
            asyncio.get_running_loop().call_later(self.burst_seconds, self.server.limit_connections, None)
        return result


class SmtpCutProxy:
    """A loopback TCP proxy in front of an SMTP server; cuts each planned recipient's first attempt in the
    middle of the message content (never after the final dot, so the server never accepted it).

    `lose_reply`: recipients whose first attempt is cut just after the final dot went through, before the
    server's reply comes back: the server accepted the message, the client cannot know it."""

    def __init__(self, target_port: int, cut: Iterable[str], rng: random.Random,
                 lose_reply: Iterable[str] = ()) -> None:
        self.target = ("127.0.0.1", target_port)
        self.pending = {a.lower() for a in cut}
        self.lose = {a.lower() for a in lose_reply}
        self.lost: list[str] = []
        self.cuts: list[str] = []
        self.opened: list[float] = []  # when each connection came (time.monotonic())
        self.rng = rng
        self.lock = threading.Lock()
        self.listener = loopback_listener(backlog=64)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.closed = True
        self.listener.close()

    def _accept(self) -> None:
        relay_connections(self.listener, self.target, lambda: self.closed, self._relay)

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        self.opened.append(time.monotonic())
        state = _SmtpConnection(client, server)
        threading.Thread(target=self._from_client, args=(state,), daemon=True).start()
        threading.Thread(target=self._from_server, args=(state,), daemon=True).start()

    def _from_server(self, c: _SmtpConnection) -> None:
        try:
            while data := c.server.recv(65536):
                if c.losing:  # the reply to the final dot: never delivered
                    break
                if re.search(rb"(^|\r\n)354[ -]", data):
                    c.in_data = True  # set before the client can see the 354 and start the content
                c.client.sendall(data)
        except OSError:
            pass
        c.end()

    def _from_client(self, c: _SmtpConnection) -> None:
        pending = b""
        try:
            while data := c.client.recv(65536):
                if c.in_data:
                    if c.recipient in self.pending and (cut := self._cut_point(data)) is not None:
                        with self.lock:
                            self.pending.discard(c.recipient)
                            self.cuts.append(c.recipient)
                        c.server.sendall(data[:cut])
                        break
                    c.tail = (c.tail + data)[-5:]
                    if b"\r\n.\r\n" in c.tail or data.endswith(b"\r\n.\r\n"):
                        c.in_data = False
                        with self.lock:
                            if c.recipient in self.lose:
                                self.lose.discard(c.recipient)
                                self.lost.append(c.recipient)
                                c.losing = True  # before the dot reaches the server and it can answer
                    c.server.sendall(data)
                    continue
                pending += data
                *lines, pending = pending.split(b"\r\n")
                for line in lines:
                    found = re.match(rb"RCPT TO:\s*<([^>]*)>", line, re.IGNORECASE)
                    if found:
                        c.recipient = found.group(1).decode(errors="replace").lower()
                c.server.sendall(data)
        except OSError:
            pass
        c.end()

    def _cut_point(self, data: bytes) -> int | None:
        """Where to cut in this chunk of content: anywhere before the end-of-data marker."""
        end = data.find(b"\r\n.\r\n")
        limit = len(data) if end < 0 else end
        return self.rng.randrange(0, limit) if limit > 0 else None


@dataclass
class _SmtpConnection:
    client: socket.socket
    server: socket.socket
    in_data: bool = False
    losing: bool = False
    recipient: str = ""
    tail: bytes = b""

    def end(self) -> None:
        for sock in (self.client, self.server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def wait_until(check: Callable[[], object], what: str, timeout: float = 60.0, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- a misbehaving link to the IMAP server ------------------------------------------------------------------

def stop_dovecot_hard(dovecot: Any) -> list[int]:
    """Stop the test's own Dovecot under its connected clients: its imap sessions end at once (as when the
    machine goes down), then the master stops. (Stopped alone in the foreground, the master leaves the
    sessions serving their clients.) The sessions are found by their process title, which names this
    instance only; returns their pids."""
    title = f"dovecot-foibot-{dovecot.base.name}/imap".encode()
    ended = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "cmdline").read_bytes().startswith(title):
                os.kill(int(entry.name), signal.SIGKILL)
                ended.append(int(entry.name))
        except (OSError, ProcessLookupError):
            continue
    dovecot.stop()
    return ended


class SlowSmtp:
    """Makes an `SmtpServer` take `delay` seconds over each message's DATA while `active` (a busy
    provider), so that two senders' runs overlap in time."""

    def __init__(self, server: Any, delay: float) -> None:
        self.delay = delay
        self.active = True
        handler = server._controller.handler
        self._accept_data = handler.handle_DATA
        handler.handle_DATA = self.handle_DATA

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        if self.active:
            await asyncio.sleep(self.delay)
        result: str = await self._accept_data(smtp, session, envelope)
        return result
