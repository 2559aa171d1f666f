"""Reading stored messages in a worker process, under a memory limit and a deadline per message.

One bad message must never stop a campaign: a reply that crashed, hung or exhausted memory while being read
stayed `stored`, so every later poll hit it again and nothing after it was ever filed (issue 13). The reading
(parse, extract the attachments' text, gather the matcher's facts) runs in one long-lived child process with
RLIMIT_AS set; the poller sends it one message's bytes at a time and waits at most `seconds` for the answer.
A message whose reading runs out of time or memory, or kills the child, is returned as a `Failure` to be
quarantined (its bytes stay in the store), and the child is started again for the next message.

The child is forked from a fork server that has already imported the readers, so starting one costs a few
milliseconds, and each message costs one pipe round trip on top of the reading itself.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Self

DEFAULT_SECONDS = 60.0
DEFAULT_MEMORY_MB = 1024


@dataclass
class Failure:
    """Why a message could not be read within its limits (the text of the quarantine reason)."""

    reason: str


def _serve(conn: Connection, memory_bytes: int, max_attachment: int) -> None:  # pragma: no cover - in the child
    """The child's loop: read each message sent, answer with the pickled reading or the error."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from .filing import read

    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            answer: Any = ("ok", read(raw, max_attachment))
        except MemoryError:
            answer = ("failed", f"reading it needed more than {memory_bytes // (1024 * 1024)} MB of memory")
        except RecursionError:
            answer = ("failed", "its structure is nested too deeply to read")
        except Exception as exc:  # noqa: BLE001 - a reader bug on hostile input: quarantined, never fatal
            answer = ("failed", f"reading it failed: {type(exc).__name__}: {exc}"[:500])
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            data = pickle.dumps(("failed", "its reading was too big to hand back"))
        conn.send_bytes(data)


class IsolatedReader:
    """A reader process, started when first needed, restarted after a message kills or stalls it."""

    def __init__(self, max_attachment: int, seconds: float = DEFAULT_SECONDS,
                 memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.max_attachment = max_attachment
        self.seconds = seconds
        self.memory_bytes = int(memory_mb) * 1024 * 1024
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["foibot.collect.filing"])
        self._process: Any = None
        self._conn: Connection | None = None
        self.restarts = 0

    def _start(self) -> Connection:
        if self._conn is not None and self._process is not None and self._process.is_alive():
            return self._conn
        self._stop()
        parent, child = self._context.Pipe(duplex=True)
        self._process = self._context.Process(target=_serve, args=(child, self.memory_bytes, self.max_attachment),
                                              name="foibot-reader", daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        return parent

    def read(self, raw: bytes) -> Any:
        """The message's filing.Reading, or a Failure saying why it could not be read within the limits."""
        conn = self._start()
        started = time.monotonic()
        try:
            conn.send_bytes(raw)
            while not conn.poll(max(0.0, min(0.5, started + self.seconds - time.monotonic()))):
                if not self._process.is_alive():
                    return self._died()
                if time.monotonic() - started >= self.seconds:
                    self._stop()
                    self.restarts += 1
                    return Failure(f"reading it took more than {self.seconds:g} s (stopped)")
            kind, value = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            return self._died()
        return value if kind == "ok" else Failure(str(value))

    def _died(self) -> Failure:
        code = self._process.exitcode if self._process is not None else None
        self._stop()
        self.restarts += 1
        how = f" (signal {-code})" if isinstance(code, int) and code < 0 else ""
        return Failure(f"the reader process died while reading it{how}: out of memory or a crash in a library")

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
            self._process = None

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
