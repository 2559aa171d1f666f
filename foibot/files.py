"""Files foibot reads and writes and the locks it holds: one way to read a text file, one way to write a file
atomically, one way to lock.

`read_text` reads a campaigner's file (config, CSV) as UTF-8, with one error naming the file when it is missing,
unreadable or not UTF-8. `write_atomic` writes owner-only into a temporary file beside the target and renames it over the target, so a
crash or a full disk leaves the old file or the new one, never half of one. `exclusive_lock` holds an
advisory lock (flock) that the kernel releases even when the process is killed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import FoibotError, StoreError


def read_text(path: Path, error: type[FoibotError], what: str = "", hint: str = "") -> str:
    """A campaigner's file as UTF-8 text; `error` naming it (as `what path`) when it does not exist or cannot
    be read, and its line when a byte is not UTF-8 (followed by `hint`, e.g. how to save it)."""
    label = f"{what} {path}" if what else str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise error(f"{label} does not exist") from exc
    except OSError as exc:
        raise error(f"{label} cannot be read: {exc.strerror}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text{hint}") from exc


def write_atomic(path: Path, data: bytes | str, *, what: str = "file", mode: int = 0o600) -> Path:
    """Write `data` to `path` atomically (text as UTF-8); StoreError naming `what` and the path on failure."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)  # a full disk leaves no half of a file behind
            raise
    except OSError as exc:
        raise StoreError(f"cannot write the {what} {path}: {exc.strerror}") from exc
    return path


def open_lock_file(path: Path) -> IO[str]:
    try:
        return open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise FoibotError(f"cannot create the lock file {path}: {exc.strerror}") from exc


def try_lock(handle: IO[str]) -> bool:
    """Take the exclusive lock on an open lock file without waiting; False when another process holds it."""
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        raise FoibotError(f"cannot lock {handle.name}: {exc.strerror}") from exc
    return True


@contextlib.contextmanager
def exclusive_lock(path: Path, busy: str) -> Iterator[IO[str]]:
    """Hold the lock on `path` for the block; FoibotError(`busy`) when another process holds it."""
    handle = open_lock_file(path)
    try:
        if not try_lock(handle):
            raise FoibotError(busy)
        yield handle
    finally:
        handle.close()
