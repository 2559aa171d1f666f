"""The daemon as a real process: the lock, the catch-up rule, and a run against real local mail servers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from chase_helpers import Campaign, when

from foibot.config import load_config
from foibot.daemon import Daemon, acquire_lock, lock_path
from foibot.errors import AlreadyRunning


def start_daemon(folder: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
    environment.update(env or {})
    environment["FOIBOT_CONFIG"] = str(folder / "config.toml")
    return subprocess.Popen([sys.executable, "-m", "foibot", "daemon"], cwd=folder, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_second_daemon_on_the_same_database_refuses(tmp_path: Path) -> None:
    c = Campaign.create(tmp_path)
    held = acquire_lock(lock_path(c.config))
    try:
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            acquire_lock(lock_path(c.config))
        process = start_daemon(tmp_path)
        _out, err = process.communicate(timeout=30)
        assert process.returncode == 1
        assert err.startswith(f"Error: another foibot daemon (pid {os.getpid()}) is already running")
        assert "Traceback" not in err
    finally:
        held.close()
    acquire_lock(lock_path(c.config)).close()  # released with its holder


def test_the_daemon_needs_a_database(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[requester]\nname = "A"\nemail = "a@foibot.test"\n')
    process = start_daemon(tmp_path)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1 and "does not exist yet" in err and "Traceback" not in err


@pytest.mark.parametrize(("now", "catch_up"), [
    ("2023-05-18T09:29:00+01:00", False),  # before today's chase time: the cron job will run it
    ("2023-05-18T09:30:00+01:00", True),
    ("2023-05-18T22:00:00+01:00", True),   # late: chasers wait for office hours, complaints are written
    ("2023-05-20T11:00:00+01:00", False),  # a Saturday
])
def test_a_missed_chase_is_caught_up_at_start(tmp_path: Path, now: str, catch_up: bool) -> None:
    Campaign.create(tmp_path)
    daemon = Daemon(load_config(tmp_path / "config.toml"), now=lambda: when(now))
    assert daemon.missed_chase_today() is catch_up
