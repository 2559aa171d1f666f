"""Many reply files read at once, one worker process per core, for `foibot classify FILE ...`.

The reader is pure Python, so threads would take turns on one core; processes forked from the command (the
reader already imported) each read a share of the files, and the readings come back in the order the files
were given. Each file is read exactly as `understand.read_file` reads one.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import FoibotError, InputError
from ..understand import Classification, QuestionLike, read_file

# Below this many files a pool costs about what it saves (real replies on 2 cores: 16 files 15 ms alone, 19 ms
# on two workers; 32 about even; 64 files 69 ms against 49 ms).
MIN_FILES_FOR_WORKERS = 64
# Files handed to a worker at a time: up to 64 (fewer round trips: 10,000 real replies 6.1 -> 5.8 s on 2 cores
# than 16 at a time), and at least four turns each, so that the workers finish together.
MAX_CHUNK_FILES = 64

_WORKER_QUESTIONS: Sequence[QuestionLike] = ()


def usable_cores() -> int:
    """How many cores this process may run on (its CPU affinity where the system tells it, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def read_files(paths: Sequence[Path], questions: Sequence[QuestionLike] = (),
               workers: int | None = None) -> Iterator[tuple[Path, Classification]]:
    """Each file's classification, in the order given, read as `read_file` reads it; on `workers` processes
    (default: every usable core) when there are enough files to be worth it. A file that cannot be read
    raises its InputError when its turn comes, as reading them one by one would."""
    workers = usable_cores() if workers is None else workers
    if workers < 1:
        raise InputError(f"workers must be 1 or more, not {workers}")
    if workers == 1 or len(paths) < MIN_FILES_FOR_WORKERS:
        for path in paths:
            yield path, read_file(path, questions).classification
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # fork where there is one (the workers start with the reader already imported); else the platform's way
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, min(MAX_CHUNK_FILES, len(paths) // (4 * workers)))
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(tuple(questions),))
    finished = False
    try:
        for path, outcome in zip(paths, pool.map(_read_in_worker, paths, chunksize=chunk), strict=True):
            if isinstance(outcome, FoibotError):
                raise outcome
            yield path, outcome
        finished = True
    except BrokenProcessPool as exc:
        raise FoibotError("a worker reading the replies stopped unexpectedly (out of memory?); "
                          "run again with --workers 1") from exc
    finally:
        # Stopped early (a bad file, Ctrl-C, the output closed): the files not yet read are dropped, not waited
        # for. Finished: the workers are let go and waited for (they have nothing left to do).
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _start_worker(questions: tuple[QuestionLike, ...]) -> None:
    global _WORKER_QUESTIONS
    _WORKER_QUESTIONS = questions
    # Ctrl-C reaches every process of the terminal: the command stops the workers (no trace from each of them).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _read_in_worker(path: Path) -> Classification | FoibotError:
    """One file's classification in a worker; an expected failure is handed back to be raised in its turn."""
    try:
        return read_file(path, _WORKER_QUESTIONS).classification
    except FoibotError as exc:
        return exc
