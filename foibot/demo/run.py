"""`foibot demo`: a whole request run in the sandbox, with simulated authorities and simulated time.

Nothing here is a shortcut: the requests go out through the real mailer to an SMTP server on loopback; the
simulated authorities read what that server received and answer through it; their answers land in an IMAP
mailbox (in memory) that the real poller reads; the real classifier files them; the real chaser sends
reminders and review requests and writes complaints as the statutory calendar runs. Only the clock is
simulated: each step is given the `now` it would happen at, months compressed into seconds.
"""

from __future__ import annotations

import csv
import email
import email.policy
import mailbox
import os
import secrets
import smtplib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..campaign_folder import shipped_file
from ..clock import LONDON, london_date
from ..config import Config, load_config
from ..deadlines import RequestFacts, add_working_days, due_date, working_days
from ..store import Store, open_store
from .authorities import SCRIPTS, Received, Script

START = datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)  # a Monday morning
RUN = "fusus-demo"
CAMPAIGNER_NAME = "Sam Campaigner"
CAMPAIGNER = "sam@campaign.example"
PASSWORD_ENV = "FOIBOT_DEMO_IMAP_PASSWORD"
CHASE_AT = (9, 30)
FORM_CASEWORK = "casework@forms.demo.invalid"  # where a simulated web-form authority answers from

Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    csv: Path
    report: Path
    seconds: float
    ended: datetime  # the simulated moment the demo ends at (its outputs are as of then)


@dataclass(frozen=True)
class Step:
    at: datetime
    order: int  # at the same moment: replies arrive (0) before a poll (1) before a chase (2)
    kind: str  # "reply" | "poll" | "chase" | "by_hand" (the campaigner pastes a request into a web form)
    script: Script | None = None


def _config_text(smtp_port: int, imap_port: int) -> str:
    return f"""# The demo's campaign: the sandbox servers on loopback (gone once the demo ends).
[requester]
name = "{CAMPAIGNER_NAME}"
email = "{CAMPAIGNER}"
reply_address = "plus"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
connections = 2
rate_per_minute = 0
domain_pause_seconds = 0
max_attempts = 3
retry_base_seconds = 0.2

[imap]
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{CAMPAIGNER}"
password_env = "{PASSWORD_ENV}"

[storage]
database = "foibot.db"
"""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%a %d %b %Y %H:%M")


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def chase_days(sent: datetime) -> list[date]:
    """The mornings the ladder's stages fall due for silent authorities, under both regimes' calendars."""
    days: set[date] = set()
    for regime in ("foia", "foisa"):
        calendar = working_days(regime)
        due = due_date(RequestFacts(sent_at=sent), regime)
        assert due is not None
        reminder = calendar.next_working_day(due)
        review = add_working_days(due, 20, regime)
        complaint = add_working_days(review, 20, regime)
        days.update((reminder, review, complaint))
    return sorted(days)


def timeline(sent: datetime) -> list[Step]:
    """Every scripted reply, a poll a few minutes after each, and the chase mornings."""
    steps: list[Step] = []
    for script in SCRIPTS:
        if script.web_form:  # pasted into the authority's form an hour after it was written
            steps.append(Step(sent + timedelta(hours=1), 1, "by_hand", script))
        hour, minute = (int(p) for p in script.at.split(":"))
        day = london_date(sent) + timedelta(days=script.after_days)
        moment = _at(day, hour, minute)
        steps.append(Step(moment, 0, "reply", script))
        steps.append(Step(moment + timedelta(minutes=5), 1, "poll"))
    for day in chase_days(sent):
        moment = _at(day, *CHASE_AT)
        steps.append(Step(moment - timedelta(minutes=1), 1, "poll"))  # the daemon polls before it chases
        steps.append(Step(moment, 2, "chase"))
    return sorted(steps, key=lambda s: (s.at, s.order))


# --- what the authorities received ------------------------------------------------------------------------


def write_demo_authorities(path: Path) -> None:
    """The shipped authorities.csv, plus the scripted web-form authorities as the register has them."""
    from ..register import load_register

    with shipped_file("authorities.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    register = {e.id: e for e in load_register()}
    for script in SCRIPTS:
        if script.web_form:
            rows.append(register[script.authority_id].campaign_row())
    columns = list(dict.fromkeys([*rows[0], "channel", "form_url"]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def by_hand_received(store: Store, authority_id: str) -> Received:
    """A request sent by web form, as its authority got it: the text the campaigner pasted into the form."""
    row = next(iter(store.db.query(
        "SELECT q.authority_name, m.message_id, m.subject, m.raw FROM requests q JOIN messages m ON "
        "m.request_id = q.id AND m.direction = 'out' AND m.stage = 'request' WHERE q.authority_id = ?",
        [authority_id])))
    msg = email.message_from_bytes(row["raw"], policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",))
    return Received(
        authority_id=authority_id, authority_name=row["authority_name"],
        to_addr=FORM_CASEWORK, from_name=CAMPAIGNER_NAME, from_addr=CAMPAIGNER,
        reply_to=str(msg.get("Reply-To", CAMPAIGNER)).rpartition("<")[2].rstrip(">") or CAMPAIGNER,
        message_id=row["message_id"], subject=row["subject"], body=str(body.get_content()) if body else "",
    )


def received_requests(maildir: Path, names: dict[str, tuple[str, str]]) -> dict[str, Received]:
    """The requests as each authority got them, read back from the SMTP server's store (by recipient)."""
    found: dict[str, Received] = {}
    for raw in mailbox.Maildir(str(maildir), factory=None, create=False):
        msg = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
        to = str(msg.get("X-Sandbox-Rcpt-To", "")).strip("<> ").lower()
        if to not in names or "Freedom of Information" not in str(msg.get("Subject", "")):
            continue
        if str(msg.get("In-Reply-To", "")):
            continue  # a chaser, not the request
        authority_id, name = names[to]
        body = msg.get_body(preferencelist=("plain",))
        found[authority_id] = Received(
            authority_id=authority_id, authority_name=name, to_addr=to,
            from_name=CAMPAIGNER_NAME, from_addr=CAMPAIGNER,
            reply_to=str(msg.get("Reply-To", CAMPAIGNER)).rpartition("<")[2].rstrip(">") or CAMPAIGNER,
            message_id=str(msg["Message-ID"]), subject=str(msg["Subject"]),
            body=str(body.get_content()) if body is not None else "",
        )
    return found


def _send_reply(host: str, port: int, script: Script, received: Received, moment: datetime) -> None:
    raw = script.build(received, moment)
    # A bounce comes from the campaigner's own provider (null sender) to the address that sent the request.
    sender = "" if script.from_mail_system else received.to_addr
    rcpt = received.from_addr if script.from_mail_system else received.reply_to
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        smtp.sendmail(sender, [rcpt], raw)


# --- narration --------------------------------------------------------------------------------------------


def _new_replies(store: Store, after_id: int) -> list[dict[str, Any]]:
    return list(
        store.db.query(
            "SELECT m.id, m.kind, m.triage, m.authority_ref, m.exemptions, r.reference, r.authority_name, "
            "r.status, "
            "r.outcome FROM messages m LEFT JOIN requests r ON r.id = m.request_id "
            "WHERE m.direction = 'in' AND m.id > ? ORDER BY m.id",
            [after_id],
        )
    )


def _describe(row: dict[str, Any]) -> str:
    if row["triage"] or row["reference"] is None:
        return "could not be filed: waiting in triage"
    what = (row["kind"] or "not classified").replace("_", " ")
    extra = []
    if row["authority_ref"]:
        extra.append(f"their ref {row['authority_ref']}")
    if row["exemptions"]:
        extra.append(f"citing {row['exemptions'].replace(';', ', ')}")
    status = row["status"] + (f" ({row['outcome']})" if row["outcome"] else "")
    return (
        f"filed under {row['reference']} ({row['authority_name']}): {what}"
        + (f", {', '.join(extra)}" if extra else "")
        + f" -> {status}"
    )


def _reference(store: Store, authority_id: str) -> str:
    return str(store.db.execute("SELECT reference FROM requests WHERE authority_id = ? AND run = ?",
                                [authority_id, RUN]).fetchone()[0])


def _status(store: Store, authority_id: str) -> str:
    return str(store.db.execute("SELECT status FROM requests WHERE authority_id = ? AND run = ?",
                                [authority_id, RUN]).fetchone()[0])


def _last_message_id(store: Store) -> int:
    return int(store.db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0])


# --- the run ----------------------------------------------------------------------------------------------


def run_demo(folder: Path | None = None, say: Say = print) -> DemoResult:
    """The whole demo; returns where the outcome CSV and the report were written."""
    from ..chase import chase_due
    from ..collect import poll_once
    from ..publish import redactor_for_store, status_text, write_csv, write_report
    from ..sandbox import ImapDelivery, sandbox_imap, sandbox_smtp
    from ..send import plan_run, send_run

    started = time.monotonic()
    folder = Path(folder or tempfile.mkdtemp(prefix="foibot-demo-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    authorities_csv = folder / "authorities.csv"
    write_demo_authorities(authorities_csv)
    password = secrets.token_urlsafe(16)
    os.environ[PASSWORD_ENV] = password  # the password reaches foibot the way a real one does
    say(f"foibot demo: a whole request run, in {folder}")
    say("No account and no network: the mail servers run inside this process, on 127.0.0.1.")

    with sandbox_imap(CAMPAIGNER, password) as box:
        delivery = ImapDelivery(box, CAMPAIGNER.rpartition("@")[2])
        maildir = folder / "sandbox-mail"
        try:
            with sandbox_smtp(maildir, delivery) as smtp:
                config_path = folder / "config.toml"
                config_path.write_text(_config_text(smtp.port, box.port), encoding="utf-8")
                config = load_config(config_path)
                say(
                    f"  SMTP server (aiosmtpd) on 127.0.0.1:{smtp.port}; IMAP mailbox (pymap, in memory) "
                    f"on 127.0.0.1:{box.port}"
                )
                store = open_store(config.database_path, config.files_dir)
                try:
                    _play(
                        store,
                        config,
                        authorities_csv,
                        maildir,
                        smtp.host,
                        smtp.port,
                        say,
                        plan_run,
                        send_run,
                        poll_once,
                        chase_due,
                    )
                    end = _at(chase_days(START)[-1], 10, 0)
                    csv_path, report_path = folder / "outcomes.csv", folder / "report.html"
                    with csv_path.open("w", encoding="utf-8", newline="") as handle:
                        write_csv(store, handle, end, base_dir=folder)
                    redactor = redactor_for_store(store, config.requester.name, config.requester.email,
                                                  keep_officials=False)
                    write_report(store, report_path, end, redactor=redactor, base_dir=folder)
                    say("")
                    say(status_text(store, end).rstrip("\n"))
                finally:
                    store.close()
        finally:
            delivery.close()
    seconds = time.monotonic() - started
    say("")
    say(f"Outcome CSV: {csv_path}")
    say(f"Report:      {report_path}")
    say(f"Everything else (database, complaints, what was sent) is in {folder} ({seconds:.1f} s).")
    say(f"To publish it (answers per question, a datapackage, officers' names redacted): cd {folder} && "
        "foibot publish published")
    return DemoResult(folder, csv_path, report_path, seconds, end)


def _play(
    store: Store,
    config: Config,
    authorities_csv: Path,
    maildir: Path,
    host: str,
    port: int,
    say: Say,
    plan_run: Any,
    send_run: Any,
    poll_once: Any,
    chase_due: Any,
) -> None:
    from ..lifecycle import record_sent_by_hand
    from ..send import readdress_request

    now = START
    plan = plan_run(config, RUN, "fusus", authorities_csv, now)
    say("")
    say(
        f"{_stamp(now)}  send: the Fusus request, rendered for {len(plan.new)} authorities from "
        f"authorities.csv"
    )
    queued, report = send_run(config, plan, now)
    say(
        f"{'':21}  sent {report.sent} of {queued} through the SMTP server in {report.seconds:.1f} s; "
        f"each has its own reference and reply address"
    )
    dues = {regime: due_date(RequestFacts(sent_at=now), regime) for regime in ("foia", "foisa")}
    say(
        f"{'':21}  due: {dues['foia']:%a %d %b} (20 working days; FOIA counts a bank holiday anywhere in "
        f"the UK), {dues['foisa']:%a %d %b} for Scottish bodies (FOISA)"
    )
    for item in report.by_hand:
        say(f"{'':21}  {item.authority} takes requests by web form only: written out to paste, {item.path}")
    names = {a.email.lower(): (a.id, a.name) for a in plan.authorities if a.email}
    received = received_requests(maildir, names)
    received.update({s.authority_id: by_hand_received(store, s.authority_id) for s in SCRIPTS if s.web_form})
    say(
        f"{'':21}  the authorities: {len(SCRIPTS)} answer as scripted, "
        f"{len(received) - len(SCRIPTS)} stay silent"
    )
    for script in SCRIPTS:
        say(f"{'':23}- {received[script.authority_id].authority_name}: {script.behaviour}")
    seen = _last_message_id(store)
    for step in timeline(now):
        now = step.at
        if step.kind == "reply":
            assert step.script is not None
            who = received[step.script.authority_id]
            _send_reply(host, port, step.script, who, now)
            say(f"{_stamp(now)}  mail from {who.authority_name}: {step.script.arrives}")
        elif step.kind == "by_hand":
            assert step.script is not None
            reference = _reference(store, step.script.authority_id)
            record_sent_by_hand(store, reference, now, now)
            say(f"{_stamp(now)}  sent by hand: the campaigner pastes {reference} into "
                f"{received[step.script.authority_id].authority_name}'s web form, then records it "
                f"(foibot sent-by-hand {reference} --on {london_date(now)}): its clock starts today")
        elif step.kind == "poll":
            poll_once(store, config, now)
            for row in _new_replies(store, seen):
                say(f"{_stamp(now)}  poll: {_describe(row)}")
            for script in SCRIPTS:
                if script.readdress and _status(store, script.authority_id) == "failed":
                    done = readdress_request(store, config, _reference(store, script.authority_id), "alt", now)
                    say(f"{_stamp(now)}  readdress: {done.reference} sent again to {done.new_address} (the other "
                        f"address the register knows) instead of {done.old_address}; the clock starts anew")
            seen = _last_message_id(store)
        else:
            result = chase_due(store, config, now)
            say(f"{_stamp(now)}  chase: {result.summary()}")
            for path in result.complaints[:1]:
                say(f"{'':21}  e.g. {path} (for the campaigner to check and send to the regulator)")
            seen = _last_message_id(store)
