"""A counting SMTP sink for the send benchmark: aiosmtpd on 127.0.0.1, messages kept in memory only.

Run as its own process (so the client being measured does not share a GIL with the server):
    python bench/smtp_sink.py          -> prints "PORT <n>" once listening; "COUNT" on stdin -> "<count>"
It stops when stdin closes.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import benchlib  # noqa: F401  (puts this checkout on sys.path)

from foibot.sandbox import LoopbackController


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        self.bytes += len(envelope.original_content)
        return "250 2.0.0 OK"


def main() -> None:
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    counter = Counter()
    controller = LoopbackController(counter, hostname="127.0.0.1", server_hostname="sink.bench.invalid")
    controller.start()
    print(f"PORT {controller.port}", flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "COUNT":
                print(counter.count, flush=True)
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
