"""The bare aiosmtplib loop the send benchmarks compare foibot with: the same bytes over the same number of
reused connections, recording nothing. It imports only aiosmtplib, so a process that runs it alone
(bench/scale_workers.py) measures the library's memory, not foibot's."""

from __future__ import annotations

import asyncio
import time

import aiosmtplib


async def bare_loop(port: int, wire: list[tuple[str, str, bytes]], connections: int) -> float:
    """Send every (sender, recipient, bytes) to 127.0.0.1:port over `connections` connections; seconds."""
    todo = list(reversed(wire))

    async def worker() -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False,
                                   local_hostname="bench.example") as smtp:
            while todo:
                sender, recipient, data = todo.pop()
                await smtp.sendmail(sender, [recipient], data)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - t0
