"""Filing in batches: one transaction per batch, in order; a failure mid-batch keeps what was filed before it,
loses nothing and files nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.inbox import NOW, ScratchInbox

from foibot.collect import filing
from foibot.collect.imap import PollReport


def _reply(n: int) -> bytes:
    return (f"From: FOI Team <foi@body{n}.gov.uk>\r\nTo: campaigner@example.org\r\nSubject: Your request {n}\r\n"
            f"Message-ID: <reply-{n}@body{n}.gov.uk>\r\nDate: Fri, 20 Mar 2026 10:00:00 +0000\r\n\r\n"
            f"Dear Campaigner,\r\n\r\nThe council does not hold the information (reply {n}).\r\n").encode()


@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()])
def test_a_failure_mid_batch_keeps_what_came_before_and_the_next_pass_files_the_rest_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    inbox = ScratchInbox(tmp_path)
    monkeypatch.setattr(filing, "FILING_BATCH", 10)
    real = filing._file_read
    calls = {"n": 0}

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 15:  # the fifth message of the second batch
            raise error
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(filing, "_file_read", failing)
    with pytest.raises(type(error)):
        inbox.deliver([_reply(n) for n in range(25)])
    states = [r["state"] for r in inbox.rows("SELECT state FROM messages ORDER BY id")]
    assert states == ["parsed"] * 14 + ["stored"] * 11  # the failing message and those after it wait
    assert inbox.rows("SELECT COUNT(*) AS n FROM events")[0]["n"] == 14

    monkeypatch.setattr(filing, "_file_read", real)
    report = PollReport(folder="INBOX")
    assert filing.file_stored(inbox.store, inbox.config, NOW, report) == 11
    assert report.triage == 11
    assert {r["state"] for r in inbox.rows("SELECT state FROM messages")} == {"parsed"}
    per_message = inbox.rows("SELECT message_id, COUNT(*) AS n FROM events GROUP BY message_id")
    assert len(per_message) == 25 and {r["n"] for r in per_message} == {1}  # each filed once
    inbox.close()


def test_messages_are_read_in_batches_bounded_by_count_and_bytes(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = ScratchInbox(tmp_path)
    batches: list[int] = []
    real = filing._file_batch

    def recording(store: object, config: object, batch: list[object], *rest: object) -> None:
        batches.append(len(batch))
        real(store, config, batch, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(filing, "_file_batch", recording)
    monkeypatch.setattr(filing, "FILING_BATCH", 4)
    inbox.deliver([_reply(n) for n in range(10)])
    assert batches == [4, 4, 2]
    batches.clear()
    monkeypatch.setattr(filing, "FILING_BATCH_BYTES", 2 * len(_reply(0)) - 1)  # a batch ends once it holds this much
    report = inbox.deliver([_reply(n) for n in range(3)])
    assert batches == [2, 1] and report.triage == 3
    inbox.close()
