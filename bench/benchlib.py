"""Shared by the benchmarks: run a command measuring its wall time and peak memory, and where mail lives.

The Dovecot runner is the test suite's own (tests/support/imap.py), imported from here, so the benchmarks
and the tests start the server the same way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _path in (str(ROOT), str(ROOT / "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)


@dataclass
class Measured:
    """One finished command: wall seconds, its peak resident memory, exit status and output."""

    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> Measured:
        if self.returncode != 0:
            raise SystemExit(f"{what} exited {self.returncode}:\n{self.stdout[-2000:]}\n{self.stderr[-3000:]}")
        return self


# The child's peak memory must be its own. Linux carries the high-water mark of the process that forked it
# into the exec'd program's ru_maxrss, so a command started straight from a benchmark that holds 200 MB
# reports at least 200 MB. A small launcher (a bare interpreter, ~10 MB, less than any command measured
# here) starts it and reports wait4's figures for that child alone.
_LAUNCHER = """
import json, os, sys, time
out, args = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.posix_spawnp(args[0], args, os.environ)
_pid, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(out, "w") as handle:
    json.dump({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
               "returncode": os.waitstatus_to_exitcode(status)}, handle)
"""


def measure(args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float | None = None) -> Measured:
    """Run `args` to the end; its wall time, and its peak RSS as the kernel counts it (wait4's ru_maxrss
    of that process alone: nothing else running on the machine counts)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as figures:
        proc = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, figures.name, *args], stdout=out,
                                stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the command it started
            proc.wait()
            raise SystemExit(f"{' '.join(args[:4])} did not finish in {timeout} s") from None
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        try:
            got = json.loads(Path(figures.name).read_text() or "{}")
        except ValueError:
            got = {}
        if proc.returncode != 0 or not got:
            raise SystemExit(f"could not measure {' '.join(args[:4])}: {stderr[-2000:]}")
        return Measured(got["seconds"], got["maxrss_kb"] / 1024, got["cpu"], got["returncode"], stdout, stderr)


def foibot_command(*args: str) -> list[str]:
    """`foibot ARGS` as a campaigner runs it (the installed package's entry point, via -m)."""
    return [sys.executable, "-m", "foibot", *args]


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a measured foibot: no FOIBOT_* of the caller's, this checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOIBOT_")}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def mail_base() -> Path:
    """A short-named folder for Dovecot's mail: on tmpfs (/dev/shm) when there is one."""
    shm = Path("/dev/shm")
    return Path(tempfile.mkdtemp(prefix="fbmail-", dir=str(shm) if shm.is_dir() else "/tmp"))


def machine() -> str:
    """Cores and load averages, printed next to every figure (the machine may be shared)."""
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min)"
