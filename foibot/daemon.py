"""The daemon: APScheduler 3 runs the very functions `foibot poll` and `foibot chase` run, until stopped.

- poll every `[daemon] poll_minutes`; chase on working-day mornings at `[daemon] chase_time` (after a
  poll, so an answer that came overnight stops its chaser);
- between polls, wait with IMAP IDLE where the server offers it (`[imap] idle`): a new message triggers a
  poll at once, so a reply is filed within seconds (the scheduled polls stay, as a safety net);
- with `[smtp] daily_limit`, requests the limit held back are sent as the 24-hour window allows;
- one job at a time (a single worker thread), each job once at a time, missed runs coalesced;
- a chase day missed while the machine was off is caught up at start (chasing is idempotent);
- a failing job is one readable log line and is retried at the next interval; the daemon keeps running;
- SIGTERM / SIGINT: the job in hand finishes, then the process exits 0;
- an exclusive lock next to the database: a second daemon on the same database refuses to start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from . import clock
from .config import Config
from .errors import AlreadyRunningError, ConfigError, FoibotError
from .files import open_lock_file, try_lock
from .store import Store, open_store

if TYPE_CHECKING:
    from .send import SendReport

log = logging.getLogger("foibot.daemon")
_T = TypeVar("_T")

CHASE_MISFIRE_SECONDS = 6 * 3600  # woken later the same morning: still chase that day


def lock_path(config: Config) -> Path:
    return config.database_path.with_name(config.database_path.name + ".daemon.lock")


def acquire_lock(path: Path) -> IO[str]:
    """Hold an exclusive lock for the daemon's lifetime (released by the kernel even after a crash)."""
    handle = open_lock_file(path)  # kept open while the daemon runs
    if not try_lock(handle):
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyRunningError(
            f"another foibot daemon (pid {holder}) is already running on this database ({path} is locked): "
            "stop it first, or use a different database"
        )
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _summary(result: Any) -> str:
    """A job's result in words: its own `summary()` when it has one."""
    summary = getattr(result, "summary", None)
    return summary() if callable(summary) else ("done" if result is None else str(result))


class Daemon:
    """The schedule and its two jobs; `run()` blocks until SIGTERM/SIGINT (or `stop()`)."""

    def __init__(self, config: Config, now: Callable[[], datetime] = clock.now):
        self.config = config
        self.now = now
        self.poll_seconds = float(config.daemon.poll_minutes) * 60
        self.timezone = ZoneInfo(config.chase.timezone)
        hour, minute = (int(p) for p in config.daemon.chase_time.split(":"))
        self.chase_hour, self.chase_minute = hour, minute
        self.stopping = threading.Event()
        self.last_poll_quiet = False
        self.scheduler = BackgroundScheduler(
            timezone=self.timezone,
            executors={"default": ThreadPoolExecutor(max_workers=1)},  # poll and chase never overlap
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )

    # --- the jobs: the same functions the commands call -----------------------------------------------

    def _open(self) -> Store:
        return open_store(self.config.database_path, self.config.files_dir, create=False)

    def _on_store(self, job: str, work: Callable[[Store], _T | None]) -> _T | None:
        """`work` on the database, opened for it and closed after. None when it failed, logged in one line
        (the job is tried again in one poll interval), or when `work` found nothing to do."""
        try:
            store = self._open()
            try:
                return work(store)
            finally:
                store.close()
        except FoibotError as exc:
            log.warning("%s failed: %s (trying again in %s)", job, exc, self._every())
        except Exception:
            log.exception("%s failed unexpectedly (trying again in %s)", job, self._every())
        return None

    def poll(self) -> bool:
        """One `foibot poll`; False (logged) when it failed."""
        from .collect import poll_once

        result = self._on_store("poll", lambda store: poll_once(store, self.config, self.now()))
        if result is None:
            self.last_poll_quiet = False
            return False
        # A quiet pass is logged once, not every few minutes: the log shows what happened, not the clock.
        quiet = getattr(result, "new", None) == 0 and not getattr(result, "problems", None)
        if not (quiet and self.last_poll_quiet):
            log.info("poll: %s", _summary(result))
        self.last_poll_quiet = quiet
        return True

    def chase(self) -> None:
        """A fresh poll, then one `foibot chase`; a failure is retried after one poll interval."""
        from .chase import chase_due

        if self.stopping.is_set():
            return
        if not self.poll():
            log.warning("chase postponed: replies could not be checked first (trying again in %s)",
                        self._every())
            self._retry_chase()
            return
        report = self._on_store("chase", lambda store: chase_due(store, self.config, self.now()))
        if report is None:
            self._retry_chase()
            return
        for path in report.complaints:
            log.info("chase: wrote %s for the campaigner to check and submit", path)
        for problem in report.failed + report.errors:
            log.warning("chase: %s", problem)
        log.info("chase: %s", report.summary())
        if report.waiting:
            self._retry_chase()

    def send_queue(self) -> None:
        """Requests `[smtp] daily_limit` held back: sent once the rolling 24 hours allow (chasers wait for
        the chase job, which keeps office hours)."""
        from .collect import sent_folder
        from .send import next_slot, queued, send_pending

        if self.config.smtp is None or self.stopping.is_set():
            return
        limit = int(self.config.smtp.daily_limit)

        def send(store: Store) -> tuple[datetime, SendReport] | None:
            moment = self.now()
            waiting = queued(store, ("request",))
            slot = next_slot(store, moment, limit)
            if not waiting or slot is None or slot > moment:
                return None
            return moment, send_pending(store, self.config, moment, stages=("request",),
                                        sent_folder=sent_folder(self.config))

        sent = self._on_store("send", send)
        if sent is None:  # nothing to send yet, or it failed (logged)
            return
        moment, report = sent
        line = f"send: sent {report.sent} queued request{'s' * (report.sent != 1)}"
        if report.waiting and report.next_at is not None:
            line += f"; {report.waiting} still queued: the next go after {clock.when_text(report.next_at, moment)}"
        log.info(line)
        for problem in report.failed + report.deferred + report.unknown:
            log.warning("send: %s <%s>: %s", problem.reference, problem.to, problem.reason)

    def poll_now(self) -> None:
        """IDLE saw new mail: a poll as soon as the worker is free (one at a time, never two queued)."""
        from apscheduler.schedulers import SchedulerNotRunningError

        if self.stopping.is_set():
            return
        with contextlib.suppress(SchedulerNotRunningError):  # stopping meanwhile: the news waits for next time
            self.scheduler.add_job(self.poll, DateTrigger(run_date=datetime.now(self.timezone)), id="poll-now",
                                   replace_existing=True)

    def _retry_chase(self) -> None:
        if self.stopping.is_set():
            return
        when = datetime.now(self.timezone) + timedelta(seconds=self.poll_seconds)
        self.scheduler.add_job(self.chase, DateTrigger(run_date=when), id="chase-retry", replace_existing=True)

    def _every(self) -> str:
        minutes = self.poll_seconds / 60
        return f"{minutes:g} minute{'s' if minutes != 1 else ''}" if minutes >= 1 else f"{self.poll_seconds:g} s"

    # --- running -------------------------------------------------------------------------------------

    def missed_chase_today(self) -> bool:
        """Started after today's chase time on a weekday: today's chase may not have happened yet."""
        local = self.now().astimezone(self.timezone)
        chase_at = local.replace(hour=self.chase_hour, minute=self.chase_minute, second=0, microsecond=0)
        return local.weekday() < 5 and local >= chase_at

    def schedule(self) -> None:
        start = datetime.now(self.timezone)
        catch_up = self.missed_chase_today()
        # A catch-up chase polls first, so then the interval's first poll waits one interval.
        first_poll = start + timedelta(seconds=self.poll_seconds) if catch_up else start
        self.scheduler.add_job(self.poll, IntervalTrigger(seconds=self.poll_seconds, timezone=self.timezone),
                               id="poll", next_run_time=first_poll)
        if catch_up:
            log.info("catching up today's chase (it may have been missed while foibot was not running)")
            self.scheduler.add_job(self.chase, DateTrigger(run_date=start), id="chase-catch-up")
        self.scheduler.add_job(
            self.chase,
            CronTrigger(day_of_week="mon-fri", hour=self.chase_hour, minute=self.chase_minute,
                        timezone=self.timezone),
            id="chase", misfire_grace_time=CHASE_MISFIRE_SECONDS,
        )
        if self.config.smtp is not None and self.config.smtp.daily_limit:
            self.scheduler.add_job(self.send_queue, IntervalTrigger(seconds=self.poll_seconds, timezone=self.timezone),
                                   id="send", next_run_time=start + timedelta(seconds=1))

    def start_idle(self) -> threading.Thread | None:
        """The IDLE watcher, in a thread of its own (it only waits; the polls run on the worker)."""
        if self.config.imap is None or not self.config.imap.idle:
            return None
        from .collect import watch_folder

        thread = threading.Thread(target=watch_folder, args=(self.config, self.poll_now, self.stopping),
                                  kwargs={"retry_seconds": max(self.poll_seconds, 5.0)}, name="foibot-idle",
                                  daemon=True)
        thread.start()
        return thread

    def stop(self, signum: int | None = None, _frame: Any = None) -> None:
        if not self.stopping.is_set():
            name = signal.Signals(signum).name if signum else "stop"
            log.info("%s received: finishing the job in hand, then stopping", name)
        self.stopping.set()

    def run(self) -> None:
        if self.config.imap is None:
            raise ConfigError(f"{self.config.source}: foibot daemon needs an [imap] section: it chases only after "
                              "checking for new replies (see config.example.toml)")
        from .chase import ChaseSettings

        ChaseSettings.from_config(self.config)  # a bad [chase] section is an error now, not every morning
        handle = acquire_lock(lock_path(self.config))
        previous = {s: signal.signal(s, self.stop) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._open().close()  # the database must exist: a clear error now, not at every job
            self.schedule()
            self.scheduler.start()
            idle = self.start_idle()
            log.info("foibot daemon started (pid %d): database %s; polling every %s; chasing on working "
                     "days at %02d:%02d %s", os.getpid(), self.config.database_path, self._every(),
                     self.chase_hour, self.chase_minute, self.timezone.key)
            while not self.stopping.wait(1.0):
                pass
            self.scheduler.shutdown(wait=True)  # lets the job in hand finish
            if idle is not None:
                idle.join(timeout=10)
            log.info("foibot daemon stopped")
        finally:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            handle.close()


def configure_logging() -> None:
    """Plain lines on stderr: time and what was done, for a campaigner (and journald) to read."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger("foibot")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_daemon(config: Config) -> None:
    """`foibot daemon`: run until SIGTERM/SIGINT, then return (exit status 0)."""
    configure_logging()
    Daemon(config).run()
