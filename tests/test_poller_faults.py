"""Faults on the way in: a connection cut mid-fetch, a renumbered folder, the same mail twice, broken mail,
a pass that stopped between storing and filing, a server that goes away. Nothing lost, nothing stored twice."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.campaigns import POLLED_AT, MailCampaign, sent_campaign
from support.mail import reply

from foibot.cli import cli
from foibot.collect.imap import PollReport, _Fetched, folder_key, store_batch
from foibot.errors import MailServerError, PollInterruptedError

NOW = POLLED_AT  # the moment campaign.poll() polls at


@pytest.fixture
def campaign(tmp_path: Path, dovecot, imap_user: str, smtp_server) -> MailCampaign:
    return sent_campaign(tmp_path, dovecot, imap_user, smtp_server, imap={"batch_size": 4})


def deliver_many(campaign: MailCampaign, count: int) -> list[bytes]:
    barnet = campaign.requests["barnet"]
    raws = [reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject=f"Part {n} of our reply",
                  body=f"Part {n}. " + "The council does not hold this. " * (20 + 7 * n)) for n in range(count)]
    for raw in raws:
        campaign.deliver(raw, to=barnet.plus_address)
    return raws


def assert_each_stored_once(campaign: MailCampaign, count: int) -> None:
    rows = campaign.incoming()
    assert len(rows) == count
    assert len({r["dedupe_key"] for r in rows}) == count
    assert sorted(r["uid"] for r in rows) == list(range(1, count + 1))
    assert {r["state"] for r in rows} == {"parsed"}


@pytest.mark.parametrize("cut_after", [600, 3_000, 25_000, 60_000])
def test_a_connection_cut_mid_fetch_resumes_on_the_next_pass(campaign: MailCampaign, cut_after: int) -> None:
    deliver_many(campaign, 30)
    with campaign.through_proxy() as proxy:
        proxy.cut_after(cut_after)
        with pytest.raises(MailServerError) as failure:
            campaign.poll()
        kept = len(campaign.incoming())
        if isinstance(failure.value, PollInterruptedError):
            assert "the next poll resumes" in str(failure.value)
            assert failure.value.report.stored == kept
        assert kept < 30
        report = campaign.poll()
    assert report.stored == 30 - kept
    assert_each_stored_once(campaign, 30)
    request = campaign.request("barnet")
    assert request["status"] == "answered"


def test_an_interrupted_poll_command_exits_1_after_its_summary(campaign: MailCampaign) -> None:
    deliver_many(campaign, 12)
    with campaign.through_proxy() as proxy:
        proxy.cut_after(20_000)
        result = CliRunner().invoke(cli, ["--config", str(campaign.config_path), "poll"], obj={})
    assert result.exit_code == 1
    assert "stored" in result.output
    assert isinstance(result.exception, PollInterruptedError)


def test_a_changed_uidvalidity_stores_nothing_twice(campaign: MailCampaign, dovecot) -> None:
    deliver_many(campaign, 6)
    assert campaign.poll().stored == 6
    dovecot.set_uidvalidity(campaign.user, "INBOX", 4242)
    camden = campaign.requests["camden"]
    campaign.deliver(reply(from_addr="foi@camden.gov.uk", to=camden.plus_address, subject="after the renumbering"),
                     to=camden.plus_address)
    report = campaign.poll()
    assert report.resynced
    assert (report.stored, report.fetched, report.duplicates) == (1, 1, 6)  # known ones: only a header fetched
    rows = campaign.incoming()
    assert len(rows) == 7 and len({r["dedupe_key"] for r in rows}) == 7
    assert rows[-1]["request_id"] == camden.id
    state = campaign.rows("SELECT * FROM mailbox_state")[0]
    assert (state["uidvalidity"], state["last_uid"]) == (4242, 7)
    assert "renumbered" in report.summary()
    assert campaign.poll().new == 0


def test_the_same_message_delivered_twice_is_stored_once(campaign: MailCampaign) -> None:
    barnet = campaign.requests["barnet"]
    raw = reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject="once")
    campaign.deliver(raw, to=barnet.plus_address)
    campaign.deliver(raw, to=barnet.plus_address)
    report = campaign.poll()
    assert (report.fetched, report.stored, report.duplicates) == (2, 1, 1)
    assert len(campaign.incoming()) == 1
    assert campaign.rows("SELECT COUNT(*) AS n FROM events WHERE type = 'reply_matched'")[0]["n"] == 1


def test_a_message_without_message_id_delivered_twice_is_stored_once(campaign: MailCampaign) -> None:
    raw = (b"From: foi@barnet.gov.uk\r\nTo: " + campaign.user.encode() + b"\r\nSubject: no id\r\n"
           b"Date: Fri, 20 Mar 2026 10:00:00 +0000\r\n\r\nA reply from a system that sets no Message-ID.\r\n")
    campaign.deliver(raw)  # LMTP adds different Received headers each time
    campaign.deliver(raw)
    report = campaign.poll()
    assert (report.stored, report.duplicates) == (1, 1)
    row = campaign.incoming()[0]
    assert row["dedupe_key"].startswith("sha:")


def test_a_lost_folder_state_refetches_but_stores_nothing_twice(campaign: MailCampaign) -> None:
    deliver_many(campaign, 5)
    campaign.poll()
    store = campaign.store()
    with store.transaction():
        store.db.execute("DELETE FROM mailbox_state")
    store.close()
    report = campaign.poll()
    assert (report.stored, report.duplicates) == (0, 5)
    assert len(campaign.incoming()) == 5


def test_the_same_message_in_another_folder_is_stored_once(campaign: MailCampaign, dovecot) -> None:
    raws = deliver_many(campaign, 3)
    campaign.poll()
    dovecot.multiappend(campaign.user, raws, folder="Archive")
    campaign.config_path.write_text(campaign.config_path.read_text().replace('folder = "INBOX"',
                                                                             'folder = "Archive"'))
    report = campaign.poll()
    assert (report.stored, report.duplicates) == (0, 3)
    assert len(campaign.incoming()) == 3
    keys = [r["folder"] for r in campaign.rows("SELECT folder FROM mailbox_state ORDER BY folder")]
    assert keys == [folder_key(campaign.config.imap, "Archive"), folder_key(campaign.config.imap, "INBOX")]


def test_messages_stored_by_a_pass_that_stopped_before_filing_are_filed_next_time(campaign: MailCampaign) -> None:
    barnet = campaign.requests["barnet"]
    raw = reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject="stored, not filed",
                body="We do not hold the information.")
    store = campaign.store()
    report = PollReport("INBOX")
    config = campaign.config
    store_batch(store, folder_key(config.imap, "INBOX"), "INBOX", 1, [_Fetched(1, raw, len(raw), None)], 0, NOW,
                report)
    store.close()
    assert campaign.incoming()[0]["state"] == "stored"
    campaign.poll()
    row = campaign.incoming()[0]
    assert (row["state"], row["request_id"]) == ("parsed", barnet.id)
    assert campaign.request("barnet")["status"] == "answered"


def test_broken_mail_never_stops_the_pass(campaign: MailCampaign, dovecot) -> None:
    barnet = campaign.requests["barnet"]
    broken_mime = (
        f"From: foi@barnet.gov.uk\r\nTo: {campaign.user}\r\nSubject: =?x-unknown?q?broken?=\r\nMessage-ID: <broken@barnet>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"never-closed\"\r\n\r\n"
        "--never-closed\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all {barnet.reference}\r\n"
        "--never-closed\r\nContent-Type: application/pdf; name=\"letter.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJeLjz9MK==garbage\r\n"
    ).encode()
    not_mail = bytes(range(256)) * 40
    dovecot.append(campaign.user, broken_mime)
    dovecot.append(campaign.user, not_mail)
    dovecot.append(campaign.user, reply(from_addr="foi@barnet.gov.uk", to=barnet.plus_address, subject="fine"))
    report = campaign.poll()
    rows = campaign.incoming()
    assert len(rows) == 3 and report.stored == 3
    assert rows[0]["request_id"] == barnet.id  # read as far as it goes: the reference was still found
    assert rows[1]["state"] == "parse_error" and rows[1]["triage"] == 1 and rows[1]["parse_error"]
    assert rows[2]["request_id"] == barnet.id
    raw = campaign.rows("SELECT raw FROM messages WHERE id = ?", [rows[1]["id"]])[0]["raw"]
    client = dovecot.client(campaign.user)
    client.select_folder("INBOX", readonly=True)
    on_server = client.fetch([2], ["BODY.PEEK[]"])[2][b"BODY[]"]
    client.logout()
    assert hashlib.sha256(raw).digest() == hashlib.sha256(on_server).digest()  # every byte kept
    assert report.parse_errors == 1


def test_a_server_that_went_away_and_came_back(campaign: MailCampaign, dovecot) -> None:
    deliver_many(campaign, 3)
    campaign.poll()
    dovecot.stop()
    try:
        with pytest.raises(MailServerError, match="cannot reach IMAP server 127.0.0.1"):
            campaign.poll()
    finally:
        dovecot.start()
    deliver_many(campaign, 1)
    report = campaign.poll()
    assert (report.new, report.stored, report.resynced) == (1, 1, False)
    assert sorted(r["uid"] for r in campaign.incoming()) == [1, 2, 3, 4]


def test_a_cut_pass_with_a_processed_folder_moves_the_rest_next_time(tmp_path: Path, dovecot, imap_user: str,
                                                                     smtp_server) -> None:
    campaign = sent_campaign(tmp_path, dovecot, imap_user, smtp_server,
                             imap={"batch_size": 4, "processed_folder": "Processed"})
    deliver_many(campaign, 20)
    with campaign.through_proxy() as proxy:
        proxy.cut_after(30_000)
        with pytest.raises(MailServerError):
            campaign.poll()
        campaign.poll()
    assert dovecot.status(campaign.user)["messages"] == 0
    assert dovecot.status(campaign.user, "Processed")["messages"] == 20
    rows = campaign.incoming()
    assert len(rows) == 20 and len({r["dedupe_key"] for r in rows}) == 20


def test_poll_without_an_imap_section_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[requester]\nname = "A"\nemail = "a@example.org"\n')
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "config.toml"), "poll"], obj={})
    assert result.exit_code == 1
    assert "there is no [imap] section" in str(result.exception)


def test_two_polls_at_once_store_each_message_once(campaign: MailCampaign) -> None:
    import threading

    deliver_many(campaign, 16)
    errors: list[BaseException] = []

    def one_pass() -> None:
        try:
            campaign.poll()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert_each_stored_once(campaign, 16)
    assert campaign.rows("SELECT last_uid FROM mailbox_state")[0]["last_uid"] == 16
    assert campaign.rows("SELECT COUNT(*) AS n FROM events WHERE type = 'reply_matched'")[0]["n"] == 16
