"""Storage faults: the files folder on a full disk, the database read-only (an immutable file, a read-only
mount). Each is one clear `Error:` line naming the path, exit 1, and nothing half-written: a raw message is
stored whole or not at all, no attachment row lacks its file, no request is marked sent that was not.

These need root (mount, chattr); they skip cleanly where that is not allowed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.campaigns import MailCampaign, sent_campaign
from support.faults import query
from support.mail import minimal_pdf, reply
from support.run import foibot
from support.smtp import SmtpServer


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@contextlib.contextmanager
def tiny_disk(folder: Path, size: str) -> Iterator[Path]:
    """`folder` as a tmpfs of `size` bytes (a disk that fills up); unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root")
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        _run("umount", "-l", str(folder))


@contextlib.contextmanager
def read_only(path: Path, how: str) -> Iterator[None]:
    """The database made read-only: "immutable" (chattr +i on the file: even root cannot write it) or
    "mount" (its folder a read-only bind mount). Permission bits would not stop root."""
    if os.geteuid() != 0:
        pytest.skip("making a file read-only for root needs root (chattr, mount)")
    if how == "immutable":
        done = _run("chattr", "+i", str(path))
        undo = ("chattr", "-i", str(path))
    else:
        folder = str(path.parent)
        done = _run("mount", "--bind", folder, folder)
        if done.returncode == 0:
            done = _run("mount", "-o", "remount,bind,ro", folder)
            if done.returncode != 0:
                _run("umount", folder)
        undo = ("umount", "-l", folder)
    if done.returncode != 0:
        pytest.skip(f"cannot make {path} read-only here ({how}): {done.stderr.strip()}")
    try:
        yield
    finally:
        _run(*undo)


def files_on_disk(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def database_state(database: Path) -> list[Any]:
    """Everything foibot writes, to compare before and after a failed command."""
    return [tuple(r) for table in ("runs", "requests", "messages", "attachments", "events", "mailbox_state",
                                   "sender_hints")
            for r in query(database, f"SELECT * FROM {table} ORDER BY rowid")]


@pytest.fixture
def replies_campaign(tmp_path: Path, dovecot: Any, imap_user: str, smtp_server: SmtpServer) -> MailCampaign:
    (tmp_path / "data").mkdir()
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server)
    text = campaign.config_path.read_text().replace('database = "foibot.db"', 'database = "data/foibot.db"')
    text = text.replace("[storage]\n", '[storage]\nfiles = "data/files"\n')
    campaign.config_path.write_text(text)
    (tmp_path / "foibot.db").replace(tmp_path / "data" / "foibot.db")
    return campaign


def test_a_full_files_disk_is_one_clear_error_and_nothing_is_half_written(replies_campaign: MailCampaign) -> None:
    campaign = replies_campaign
    barnet, camden, met = (campaign.requests[k] for k in ("barnet", "camden", "met"))
    small = minimal_pdf("We do not hold this information.")
    big = os.urandom(300_000)  # bigger than the whole disk
    raws = [
        reply(from_addr=barnet.authority_email, to=barnet.plus_address, subject="Our response",
              attachments=[("letter.pdf", "application/pdf", small)]),
        reply(from_addr=camden.authority_email, to=camden.plus_address, subject="Our response",
              attachments=[("cover.pdf", "application/pdf", small), ("data.bin", "application/octet-stream", big)]),
        reply(from_addr=met.authority_email, to=met.plus_address, subject="Acknowledgement"),
    ]
    for raw in raws:
        campaign.deliver(raw)
    config = str(campaign.config_path)
    files = campaign.folder / "data" / "files"
    with tiny_disk(files, "64k"):
        result = foibot("--config", config, "poll")
        assert result.code == 1, result.stdout + result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith(f"Error: cannot write the attachment {files}/") and result.stderr.rstrip().endswith(
            ": No space left on device")

        rows = campaign.incoming()  # every message stored whole before anything was parsed
        database = campaign.folder / "data" / "foibot.db"
        raw_by_sha = {r["sha256"]: r["raw"] for r in query(database, "SELECT sha256, raw FROM messages "
                                                                     "WHERE direction = 'in'")}
        assert len(rows) == 3 and all(hashlib.sha256(raw).hexdigest() == sha for sha, raw in raw_by_sha.items())
        assert [r["state"] for r in rows] == ["parsed", "stored", "stored"]  # the second waits for space
        assert_attachments_whole(database, files)
        assert campaign.request("camden")["status"] == "awaiting_response"  # not moved by a half-filed reply

        # Space is freed: the next poll files the rest, and every attachment has its whole file.
        grown = _run("mount", "-o", "remount,size=4m", str(files))
        assert grown.returncode == 0, grown.stderr
        again = foibot("--config", config, "poll")
        assert again.code == 0, again.stderr
        assert [r["state"] for r in campaign.incoming()] == ["parsed"] * 3
        assert len(query(database, "SELECT * FROM attachments")) == 3
        assert_attachments_whole(database, files)
        assert campaign.request("camden")["status"] == "answered"


def assert_attachments_whole(database: Path, files: Path) -> None:
    """Every attachment row has its file, whole; every file belongs to a row (no leftovers, no halves)."""
    on_disk = files_on_disk(files)
    rows = {r["stored_path"]: r["sha256"] for r in query(database, "SELECT stored_path, sha256 FROM attachments")}
    assert all(on_disk.get(path) == sha for path, sha in rows.items()), (rows, on_disk)
    leftovers = {path: sha for path, sha in on_disk.items() if path not in rows}
    assert not [p for p in leftovers if p.endswith(".part")], f"half-written files left: {leftovers}"


@pytest.mark.parametrize("how", ["immutable", "mount"])
@pytest.mark.parametrize("command", ["poll", "send", "assign"])
def test_a_read_only_database_is_one_clear_error_and_changes_nothing(
        replies_campaign: MailCampaign, smtp_server: SmtpServer, dovecot: Any, command: str, how: str) -> None:
    campaign = replies_campaign
    database = campaign.folder / "data" / "foibot.db"
    config = str(campaign.config_path)
    campaign.deliver(reply(from_addr="someone@elsewhere.example", to=campaign.user, subject="Not about FOI"))
    assert foibot("--config", config, "poll").code == 0  # into triage, for `assign`
    campaign.deliver(reply(from_addr="foi@barnet.gov.uk", to=campaign.requests["barnet"].plus_address,
                           subject="Our response", body="We do not hold the information."))
    (campaign.folder / "more.csv").write_text("id,name,email,kind,jurisdiction\n"
                                              "sutton,London Borough of Sutton,foi@sutton.gov.uk,council,england\n")
    triage_id = query(database, "SELECT id FROM messages WHERE triage = 1")[0][0]
    args = {"poll": ["poll"],
            "send": ["send", "--run", "more", "--authorities", "more.csv", "--yes"],
            "assign": ["assign", str(triage_id), campaign.requests["camden"].reference]}[command]
    before = database_state(database)
    sent_before = len(smtp_server.received)
    unread_before = dovecot.status(campaign.user)["unseen"]
    with read_only(database, how):
        result = foibot("--config", config, *args)
    assert result.code == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    if (command, how) == ("send", "mount"):  # the send lock next to it is the first thing written
        assert result.stderr.startswith(f"Error: cannot create the lock file {database}.send-lock: Read-only "
                                        "file system"), result.stderr
    else:
        assert result.stderr.startswith(f"Error: database {database} is read-only"), result.stderr
    assert database_state(database) == before
    assert len(smtp_server.received) == sent_before  # nothing went out that could not be recorded
    assert dovecot.status(campaign.user)["unseen"] == unread_before  # and the mailbox is as it was
    assert foibot("--config", config, *args).code == 0  # writable again: the same command just works
