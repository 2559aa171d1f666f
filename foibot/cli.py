"""The command line: parse, call one function, print. Heavy modules are imported inside each command."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import FoibotError

if TYPE_CHECKING:
    from datetime import datetime

    from .config import Config
    from .store import Store

DEFAULT_PORT = 8750  # foibot serve


def _config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every command takes --config PATH (also accepted before the command name)."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                  help="Config file (default: $FOIBOT_CONFIG, else ./config.toml, else the sandbox).")
    @click.pass_context
    @functools.wraps(func)
    def wrapper(ctx: click.Context, config_path: str | None, **kwargs: Any) -> Any:
        if config_path:
            ctx.obj["config_path"] = config_path
        return func(**kwargs)

    return wrapper


def load() -> Config:
    from .config import load_config

    ctx = click.get_current_context()
    _LAST_CONFIG[:] = [ctx.obj.get("config_path")]
    return load_config(ctx.obj.get("config_path"))


def open_db(config: Config, create: bool = True) -> Store:
    """The campaign's store, closed by the click context when the command ends (however it ends)."""
    from .store import open_store

    store = open_store(config.database_path, config.files_dir, create=create)
    click.get_current_context().call_on_close(store.close)
    return store


def _authorities_path(config: Config, given: str | None) -> Path:
    """The campaign's CSV: as given on the command line (from the current folder, as the shell gives it), or
    authorities.csv beside the config file, like every path the config names, whatever the current folder."""
    if given is not None:
        return Path(given)
    beside = config.base_dir / "authorities.csv"
    try:  # named as the campaigner sees it when it is under the current folder (errors name the file)
        return beside.relative_to(Path.cwd())
    except ValueError:
        return beside


def _database_path() -> Path | None:
    """The database the command was using (for the message about a damaged file)."""
    try:
        from .config import load_config

        return load_config(_LAST_CONFIG[0] if _LAST_CONFIG else None).database_path
    except FoibotError:
        return None


_LAST_CONFIG: list[str | None] = []


def now() -> datetime:
    from .clock import now as clock_now

    return clock_now()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file (default: $FOIBOT_CONFIG, else ./config.toml, else the sandbox).")
@click.version_option(package_name="foibot")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """foibot sends one Freedom of Information request to many UK public authorities, then follows
    every reply: files it, understands it, chases late ones on the statutory calendar, and exports
    the outcomes.

    Start with `foibot demo` to watch a whole run in a sandbox."""
    ctx.ensure_object(dict)
    if config_path:
        ctx.obj["config_path"] = config_path


# --- sending -----------------------------------------------------------------------------------------


@cli.command()
@click.option("--run", "run_name", default=None, help="A name for this request run, e.g. fusus-2026.")
@click.option("--template", "template_name", default="fusus", show_default=True,
              help="Request template: a name in templates/ or a folder.")
@click.option("--authorities", "authorities_file", default=None, type=click.Path(dir_okay=False),
              help="CSV of authorities (a relative path from the current folder, as the shell gives it). "
                   "Default: authorities.csv in the config file's folder.")
@click.option("--dry-run", is_flag=True, help="Render and show; send nothing, write nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation before sending.")
@click.option("--allow-duplicate-run", is_flag=True,
              help="Send even though another run already sent the same template to the same list.")
@click.option("--resend-unknown", "resend_unknown", multiple=True, metavar="REF",
              help="A message interrupted mid-send did NOT arrive (checked): send it again.")
@click.option("--mark-sent", "mark_sent", multiple=True, metavar="REF",
              help="A message interrupted mid-send DID arrive (checked): record it as sent.")
@click.option("--retry-failed", is_flag=True,
              help="Send again the requests the server refused (after you fixed the cause); asks first.")
@_config_option
def send(run_name: str | None, template_name: str, authorities_file: str | None, dry_run: bool, yes: bool,
         allow_duplicate_run: bool, resend_unknown: tuple[str, ...], mark_sent: tuple[str, ...],
         retry_failed: bool) -> None:
    """Render the request for every authority and send each one once, ever.

    Run it again after any interruption: it sends only what was not sent."""
    from . import send as sending
    from .collect import sent_folder

    if run_name is None and not (resend_unknown or mark_sent or retry_failed):
        raise click.UsageError("Missing option '--run'.")
    if dry_run and (resend_unknown or mark_sent or retry_failed):
        raise click.UsageError("--dry-run cannot be combined with --resend-unknown, --mark-sent or --retry-failed.")
    config = load()
    moment = now()
    folder = sent_folder(config)
    plan = None
    if run_name is not None:
        plan = sending.plan_run(config, run_name, template_name, _authorities_path(config, authorities_file), moment,
                                allow_duplicate_run=allow_duplicate_run)
        if dry_run:
            _show_plan(plan, config)
            # Log in to the real servers too, so a bad password or certificate shows before the real send.
            if (not config.sandbox or config.imap is not None) and not _check_servers(config):
                sys.exit(1)
            return
    if config.smtp is not None:
        sending.smtp_settings(config)  # a missing password variable or CA file: before anything is written
    if resend_unknown or mark_sent:
        store = open_db(config, create=False)
        for reference in mark_sent:
            click.echo(sending.resolve_unknown(store, reference, "sent", moment))
        for reference in resend_unknown:
            click.echo(sending.resolve_unknown(store, reference, "resend", moment))
        if plan is None and not retry_failed:
            if resend_unknown:
                _confirm_send(config, len(resend_unknown), len(resend_unknown), yes)
                with _Progress() as progress:
                    report = sending.send_pending(store, config, moment, progress=progress, sent_folder=folder)
                _finish(report, None, config)
            return
    if retry_failed:
        _retry_failed(config, moment, yes)
        if plan is None:
            store = open_db(config, create=False)
            with _Progress() as progress:
                report = sending.send_pending(store, config, moment, progress=progress, sent_folder=folder)
            _finish(report, None, config)
            return
    assert plan is not None
    if plan.to_mail:
        _confirm_send(config, plan.to_mail, len(plan.recipients), yes, len(plan.domains))
    with _Progress() as progress:
        queued, report = sending.send_run(config, plan, moment, progress=progress, sent_folder=folder)
    _finish(report, plan, config, queued)


def _retry_failed(config: Config, moment: Any, yes: bool) -> None:
    """List the requests the server refused, ask, and queue them again."""
    from .send import failed_requests, retry_failed

    store = open_db(config, create=False)
    failed = failed_requests(store)
    if not failed:
        click.echo("No request failed: nothing to send again.")
        return
    click.echo(f"{len(failed)} request{'s' * (len(failed) != 1)} the server refused:")
    for row in failed[:20]:
        click.echo(f"  {row['reference']} {row['authority_name']} <{row['to_addrs']}>: {row['last_error']}")
    if len(failed) > 20:
        click.echo(f"  ... and {len(failed) - 20} more")
    _confirm(f"Send {'these' if len(failed) != 1 else 'it'} again?", yes)
    count = retry_failed(store, moment)
    click.echo(f"{count} request{'s' * (count != 1)} queued again.")


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise FoibotError(f"{question[:-1]}: confirm with --yes (there is no terminal to ask on)")
    click.confirm(question, abort=True, err=True)


def _confirm_send(config: Config, requests: int, authorities: int, yes: bool, domains: int | None = None) -> None:
    """A real server sends real mail: say how much goes where, and ask (never silently in CI)."""
    if config.smtp is None or yes:
        return
    where = f" ({domains} domains)" if domains is not None else ""
    question = (f"Send {requests} request{'s' * (requests != 1)} to {authorities} "
                f"authorit{'ies' if authorities != 1 else 'y'}{where} through {config.smtp.host}:"
                f"{config.smtp.port} as {config.requester.email}?")
    _confirm(question, yes)


class _Progress:
    """A progress bar on stderr when it is a terminal; nothing otherwise (the summary line follows)."""

    def __init__(self, label: str = "Sending") -> None:
        self.stream = sys.stderr
        self.label = label
        self.bar: Any = None

    def __enter__(self) -> Callable[[int, int], None] | None:
        return self.update if self.stream.isatty() else None

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=self.stream)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _show_plan(plan: Any, config: Config) -> None:
    from .send import message_as_text

    rows = [(p.authority.id, p.authority.email or f"(by hand: {p.authority.channel})", p.subject)
            for p in plan.new]
    if rows:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("authority", "address"))]
        click.echo(f"{'authority':<{widths[0]}}  {'address':<{widths[1]}}  subject")
        for ident, address, subject in rows:
            click.echo(f"{ident:<{widths[0]}}  {address:<{widths[1]}}  {subject}")
        click.echo(f"\n--- the first request, as {plan.new[0].authority.id} would receive it "
                   "(references are assigned for real when queued) ---")
        click.echo(message_as_text(plan.new[0].raw))
        click.echo("---")
    if plan.existing:
        click.echo(f"{len(plan.existing)} authorit{'ies' if len(plan.existing) != 1 else 'y'} already in run "
                   f"{plan.run}: never sent again.")
    by_hand = len(plan.by_hand)
    click.echo(f"Dry run: {plan.to_mail} request{'s' * (plan.to_mail != 1)} would go to "
               f"{len(plan.recipients)} addresses ({len(plan.domains)} domains) through {plan.server} as "
               f"{config.requester.email}" + (f", and {by_hand} would be written out for you to send by hand "
                                              "(web form or post)" if by_hand else "")
               + ". Nothing was sent or written.")


def _finish(report: Any, plan: Any, config: Config, queued: int = 0) -> None:
    """The summary on stdout; what went wrong on stderr, with what to do; exit 1 unless all went."""
    if plan is not None:
        already = len(plan.existing)
        click.echo(f"Run {plan.run}: {len(plan.authorities)} authorities, {queued} new request"
                   f"{'s' * (queued != 1)} queued" + (f", {already} already in the run" if already else "") + ".")
    if report.settled_sent:
        click.echo(f"{report.settled_sent} message{'s' * (report.settled_sent != 1)} of unknown fate found in "
                   "the Sent folder: recorded as sent.")
    if report.settled_resent:
        click.echo(f"{report.settled_resent} message{'s' * (report.settled_resent != 1)} of unknown fate "
                   "certainly not in the Sent folder: sent again.")
    if report.sent or report.failed or report.deferred:
        click.echo(f"Sent {report.sent} message{'s' * (report.sent != 1)} through {report.server} in "
                   f"{report.seconds:.1f} s" + (f" ({report.retried} retried)" if report.retried else "") + ".")
    elif not report.unknown and not report.waiting and not report.by_hand:
        click.echo("Nothing to send: every request was sent already.")
    _list_by_hand(report.by_hand)
    if report.waiting and report.limit_reached and report.next_at is not None:
        from .clock import when_text

        click.echo(f"{report.waiting} queued: the daily limit of {report.daily_limit} messages ([smtp] "
                   f"daily_limit) is reached; the next go after {when_text(report.next_at, now())}. "
                   "`foibot daemon` sends them as the limit allows, or run the same command again then.")
    if report.copied:
        folder = config.imap.sent_folder if config.imap is not None else "the Sent folder"
        click.echo(f"Filed {report.copied} cop{'ies' if report.copied != 1 else 'y'} in {folder} ([imap] sent_folder).")
    err = functools.partial(click.echo, err=True)
    for note in report.notes:
        err(f"Note: {note}")
    if report.failed:
        err(f"{len(report.failed)} refused by the server (recorded as failed; not retried):")
        for p in report.failed:
            err(f"  {p.reference} {p.authority} <{p.to}>: {p.reason}")
    if report.deferred:
        err(f"{len(report.deferred)} not sent for now (temporary failures); run the same command again later:")
        for p in report.deferred:
            err(f"  {p.reference} {p.authority} <{p.to}>: {p.reason}")
    if report.unknown:
        err(f"{len(report.unknown)} message{'s' * (len(report.unknown) != 1)} may or may not have been sent "
            "(foibot was interrupted, or the connection was lost before the server answered; not resent, and "
            "the Sent folder could not tell):")
        for p in report.unknown:
            err(f"  {p.reference} {p.authority} <{p.to}> ({p.stage})")
        ref = report.unknown[0].reference
        err(f"Check your Sent folder or the server's log, then `foibot send --resend-unknown {ref}` if it did "
            f"not arrive, or `foibot send --mark-sent {ref}` if it did.")
    if not report.ok:
        sys.exit(1)


def _list_by_hand(items: list[Any]) -> None:
    """The messages that wait to be sent by hand, each with its file (the form's address at the top)."""
    if not items:
        return
    click.echo(f"{len(items)} to send by hand (web form or post), each ready to paste; then record it with "
               "`foibot sent-by-hand REF --on DATE`:")
    for item in items:
        click.echo(f"  {item.reference}  {item.stage:<15}  {item.channel:<8}  {item.authority}  {item.path}")


@cli.command()
@click.argument("authority_id")
@click.option("--template", "template_name", default="fusus", show_default=True,
              help="Request template: a name in templates/ or a folder.")
@click.option("--authorities", "authorities_file", default=None, type=click.Path(dir_okay=False),
              help="CSV of authorities (a relative path from the current folder, as the shell gives it). "
                   "Default: authorities.csv in the config file's folder.")
@_config_option
def preview(authority_id: str, template_name: str, authorities_file: str | None) -> None:
    """Show the request exactly as one authority would receive it (AUTHORITY_ID: its id in the CSV)."""
    from .send import message_as_text, preview_request

    config = load()
    planned = preview_request(config, authority_id, template_name, _authorities_path(config, authorities_file), now())
    click.echo(message_as_text(planned.raw))
    click.echo(f"(sample reference {planned.reference}: each request gets its own when it is queued)", err=True)


# --- replies ------------------------------------------------------------------------------------------


@cli.command()
@_config_option
def poll() -> None:
    """One pass over the IMAP folder: fetch what is new, store, match, classify.

    Nothing on the server is changed (mail stays unread) unless [imap] processed_folder is set."""
    from .collect import poll_once
    from .errors import PollInterruptedError

    config = load()
    store = open_db(config)
    with _Progress("Fetching") as progress:
        try:
            report = poll_once(store, config, now(), progress=progress)
        except PollInterruptedError as exc:
            click.echo(exc.report.summary())
            raise
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    waiting = store.triage_count()
    if waiting:
        click.echo(f"{waiting} message(s) wait in triage: see foibot triage")


@cli.command()
@click.option("--show", "show", type=int, default=None, metavar="NUMBER",
              help="Print one message's text (its sender, subject, attachments) instead of the list.")
@click.option("--dismiss", "dismiss", type=int, multiple=True, metavar="NUMBER",
              help="Take a message that is nobody's (a newsletter, personal mail) off the list; it is kept.")
@click.option("--restore", "restore", type=int, multiple=True, metavar="NUMBER",
              help="Put a dismissed message back on the list.")
@_config_option
def triage(show: int | None, dismiss: tuple[int, ...], restore: tuple[int, ...]) -> None:
    """List replies that could not be filed under a request, with the likely requests first."""
    from . import collect as triage_list

    config = load()
    store = open_db(config, create=False)
    if show is not None:
        click.echo(_message_text(triage_list.message_text(store, show)), nl=False)
        return
    if dismiss or restore:
        moment = now()
        for number in dismiss:
            done = triage_list.dismiss_message(store, number, moment)
            click.echo(f"Message {done.id} dismissed ({_printable(done.subject) or 'no subject'}): "
                       f"no longer listed; `foibot triage --restore {done.id}` puts it back.")
        for number in restore:
            done = triage_list.restore_message(store, number, moment)
            click.echo(f"Message {done.id} back in triage.")
        click.echo(f"{store.triage_count()} message(s) wait in triage.")
        return
    click.echo(triage_list.triage_text(triage_list.list_triage(store)), nl=False)


def _message_text(message: Any) -> str:
    """One incoming message for the terminal; its text never drives the terminal (no control codes)."""
    lines = [f"#{message.id}  {message.date or ''}", f"From:    {_printable(message.from_addr or '(no sender)')}",
             f"Subject: {_printable(message.subject) or '(no subject)'}"]
    if message.dismissed:
        lines.append("(dismissed: not listed in triage)")
    for f in message.attachments:
        lines.append(f"Attached: {_printable(f['filename'] or '(no name)')} ({f['content_type']}, "
                     f"{f['size'] or 0} bytes, {f['status']})")
    lines.append("")
    lines += ["".join(ch for ch in line if ch.isprintable() or ch == "\t") for line in message.text.splitlines()]
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("message", type=int)
@click.argument("request")
@_config_option
def assign(message: int, request: str) -> None:
    """File MESSAGE (its number in `foibot triage`) under REQUEST: our reference (FB-7K3Q9X), the request's
    number, or the authority's id from the authorities CSV (its open request).

    The request is updated as if the reply had been matched, and the sender is remembered."""
    from .collect import assign_message

    config = load()
    store = open_db(config, create=False)
    done = assign_message(store, config, message, request, now())
    moved = f" (moved from {done.moved_from})" if done.moved_from else ""
    click.echo(f"Message {done.message_id} filed under {done.reference} ({done.authority}){moved}: "
               f"read as {done.kind}; the request is now {done.status_after}.")
    click.echo(f"Learned: {done.hint}.")


@cli.command()
@click.argument("message", type=int)
@_config_option
def retry(message: int) -> None:
    """Read a quarantined MESSAGE again (its number in `foibot triage`) and file it if it reads now.

    A message is quarantined when reading it failed or ran out of the [storage] read limits."""
    from .collect import retry_message

    config = load()
    store = open_db(config, create=False)
    done = retry_message(store, config, message, now())
    if done.state == "quarantined":
        click.echo(f"Message {done.message_id} is quarantined again: {done.reason}")
        sys.exit(1)
    where = f"filed under {done.request}" if done.request else "read; it waits in triage (foibot triage)"
    click.echo(f"Message {done.message_id} {where}.")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--template", "template_name", default="fusus", show_default=True,
              help="The request template whose questions the replies answer (to tell them from answers).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes reading the replies at once (default: one per core, for 64 files or more).")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_config_option
def classify(as_json: bool, template_name: str, workers: int | None, files: tuple[str, ...]) -> None:
    """Classify replies given as .eml (a whole message) or .txt (a body). Writes nothing.

    Many files are read on every core at once; the readings are printed in the order the files were given."""
    import json

    from .collect import read_files

    paths = [Path(f) for f in files]
    for path in paths:  # every file checked before any output, so a typo never gives half an answer
        if not path.is_file():
            raise FoibotError(f"reply file {path} does not exist" if not path.exists()
                              else f"{path} is not a file: give .eml or .txt reply files")
    questions = _template_questions(template_name)
    for name, (_, c) in zip(files, read_files(paths, questions, workers), strict=True):
        if as_json:
            click.echo(json.dumps({"file": name, "kind": c.kind, "authority_ref": c.authority_ref,
                                   "exemptions": list(c.exemptions), "confidence": round(c.confidence, 3),
                                   "evidence": list(c.evidence), "needs_review": c.needs_review,
                                   "answers": c.answers, "other_body": c.other_body,
                                   "download_links": list(c.download_links)}, ensure_ascii=False))
            continue
        # The evidence is the reply's own text: never let it drive the terminal (ESC, BEL, C1 codes).
        evidence = _printable(" | ".join(c.evidence)) if c.evidence else "no deciding sentence"
        extras = [f"ref {c.authority_ref}" if c.authority_ref else "no ref"]
        if c.exemptions:
            extras.append("exemptions " + ";".join(c.exemptions))
        if c.new_due_date:
            extras.append(f"new due date {c.new_due_date.isoformat()}")
        if c.from_attachment:
            extras.append("read from the attachment")
        if c.other_body:
            extras.append(f"ask {_printable(c.other_body)} instead")
        if c.download_links:
            extras.append("the response is at " + _printable(" ".join(c.download_links)))
        if c.needs_review:
            extras.append("needs review")
        click.echo(f"{name}: {c.kind} ({c.confidence:.2f}, {c.rule}; {', '.join(extras)}) \"{evidence}\"")


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable() or ch == " ")


def _template_questions(name: str) -> tuple[Any, ...]:
    """The template's questions, or none when it cannot be loaded (classification still works without)."""
    from .render import load_template_set

    try:
        return load_template_set(name).questions
    except FoibotError:
        return ()


@cli.command()
@click.argument("request")
@click.option("--outcome", type=str, default=None,
              help="Set the outcome (information_provided, partially_provided, not_held, refused, "
                   "neither_confirm_nor_deny; auto: let foibot decide again).")
@click.option("--status", type=str, default=None,
              help="Set the status (awaiting_response, awaiting_clarification, internal_review, answered, failed, "
                   "withdrawn; auto: let foibot decide again).")
@click.option("--authority-ref", type=str, default=None, help="Set the authority's own reference ('' clears it).")
@click.option("--exemptions", type=str, default=None, help="Set the exemptions applied, e.g. 's43(2);s40(2)'.")
@click.option("--message", "message_id", type=int, default=None,
              help="Correct the kind of this reply (its number in the database) instead; needs --kind.")
@click.option("--kind", type=str, default=None, help="With --message: the reply's kind.")
@_config_option
def mark(request: str, outcome: str | None, status: str | None, authority_ref: str | None,
         exemptions: str | None, message_id: int | None, kind: str | None) -> None:
    """Correct what foibot concluded about REQUEST; a manual correction always wins."""
    from .lifecycle import mark_message, mark_request

    if (message_id is None) != (kind is None):
        raise click.UsageError("--message and --kind go together")
    config = load()
    moment = now()
    store = open_db(config, create=False)
    if message_id is not None and kind is not None:
        mark_message(store, message_id, kind, moment, request=request)
        if outcome is None and status is None and authority_ref is None and exemptions is None:
            from .lifecycle import find_request

            row = find_request(store, request)
        else:
            row = mark_request(store, request, outcome=outcome, status=status, authority_ref=authority_ref,
                               exemptions=exemptions, now=moment)
    else:
        row = mark_request(store, request, outcome=outcome, status=status, authority_ref=authority_ref,
                           exemptions=exemptions, now=moment)
    locks = [name for name, flag in (("status", row["status_manual"]), ("outcome", row["outcome_manual"])) if flag]
    click.echo(f"{row['reference']} ({row['authority_name']}): status {row['status']}, outcome "
               f"{row['outcome'] or '-'}, authority ref {row['authority_ref'] or '-'}, exemptions "
               f"{row['exemptions'] or '-'}" + (f" (set by hand: {', '.join(locks)})" if locks else ""))


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--run", "run_name", default=None, help="Only this run's replies.")
@_config_option
def review(as_json: bool, run_name: str | None) -> None:
    """List what waits for a person: readings of replies, each with its evidence, and unclear verdicts.

    A reading waits when foibot is unsure of it or when it would change an outcome; its request is not
    chased meanwhile. Settle one with `foibot review confirm MESSAGE` or `foibot review set MESSAGE --kind K`.
    A verdict waits when an answer's words decide nothing: `foibot review confirm REQUEST QUESTION` or
    `foibot review set REQUEST QUESTION --verdict V`."""
    if click.get_current_context().invoked_subcommand is not None:
        return
    import json

    from .publish import to_review
    from .review import list_reviews

    config = load()
    store = open_db(config, create=False)
    store.require_run(run_name)
    items = list_reviews(store, run_name)
    verdicts = to_review(store, now(), run_name, base_dir=config.base_dir)
    if as_json:
        for item in items:
            click.echo(json.dumps(item.as_dict(), ensure_ascii=False))
        for waiting in verdicts:
            click.echo(json.dumps(waiting.as_dict(), ensure_ascii=False))
        return
    if not items and not verdicts:
        click.echo("Nothing waits for review.")
        return
    if items:
        click.echo(f"{len(items)} reading(s) wait for review (their requests are not chased until settled):")
    for item in items:
        where = f"{item.reference} ({_printable(item.authority or '')})" if item.reference else "not filed"
        click.echo(f"  #{item.message_id}  {where}: read as {item.kind} ({item.confidence:.2f}); "
                   f"{_printable(item.reason)}")
        if item.subject:
            click.echo(f"      subject: {_printable(item.subject)[:100]}")
        for sentence in item.evidence or ("no deciding sentence",):
            click.echo(f"      \"{_printable(sentence)[:200]}\"")
    if items:
        click.echo("Settle one: foibot review confirm MESSAGE, or foibot review set MESSAGE --kind KIND")
    if verdicts:
        click.echo(f"{len(verdicts)} verdict(s) wait for review (answers whose words decide nothing):")
    for waiting in verdicts:
        click.echo(f"  {waiting.reference} {waiting.question}  ({_printable(waiting.authority)}): {waiting.verdict}; "
                   f"\"{_printable(waiting.answer)[:160]}\"")
    if verdicts:
        click.echo("Settle one: foibot review confirm REQUEST QUESTION, or foibot review set REQUEST QUESTION "
                   "--verdict VERDICT [--exemption E]")


@review.command("confirm")
@click.argument("target")
@click.argument("question", required=False)
@_config_option
def review_confirm(target: str, question: str | None) -> None:
    """The reading of reply TARGET is right (or, with QUESTION, the verdict of request TARGET's QUESTION)."""
    if question is not None:
        _confirm_verdict(target, question)
        return
    from .review import confirm_reading

    config = load()
    settled = confirm_reading(open_db(config, create=False), _message_number(target), now())
    click.echo(f"Message {target}: confirmed as {settled.kind}{_settled_tail(settled)}.")


@review.command("set")
@click.argument("target")
@click.argument("question", required=False)
@click.option("--kind", default=None, help="The reply's kind (acknowledgement, refused, not_held, ...).")
@click.option("--verdict", "verdict_name", default=None,
              help="With QUESTION: its verdict (yes, no, not_held, withheld, ...; auto: let foibot decide again).")
@click.option("--exemption", default=None, help="With --verdict withheld: the exemption(s), e.g. 's43(2)'.")
@_config_option
def review_set(target: str, question: str | None, kind: str | None, verdict_name: str | None,
               exemption: str | None) -> None:
    """The reading of reply TARGET is wrong: its kind is KIND; or, with QUESTION, the verdict of request
    TARGET's QUESTION is VERDICT (a correction always wins, as `mark` does)."""
    if question is not None:
        if kind is not None or verdict_name is None:
            raise click.UsageError("with REQUEST QUESTION give --verdict VERDICT (not --kind)")
        _set_verdict(target, question, verdict_name, exemption)
        return
    if kind is None or verdict_name is not None or exemption is not None:
        raise click.UsageError("give MESSAGE --kind KIND (or REQUEST QUESTION --verdict VERDICT)")
    from .review import set_reading

    config = load()
    settled = set_reading(open_db(config, create=False), _message_number(target), kind, now())
    click.echo(f"Message {target}: set to {settled.kind}{_settled_tail(settled)}.")


def _message_number(text: str) -> int:
    if not text.isdigit():
        raise click.BadParameter(f"{text!r} is not a reply's number (`foibot review` lists them); for a verdict "
                                 "give REQUEST QUESTION", param_hint="MESSAGE")
    return int(text)


def _confirm_verdict(request: str, question: str) -> None:
    """A person keeps foibot's verdict of one question (the review queue's confirm)."""
    from .lifecycle import find_request
    from .publish import current_verdict, question_vocabulary
    from .review import confirm_verdict

    config = load()
    moment = now()
    store = open_db(config, create=False)
    row = find_request(store, request)
    ids, _allowed = question_vocabulary(store, row["run"], question, config.base_dir)
    found = current_verdict(store, row["reference"], question, moment, config.base_dir)
    confirm_verdict(store, row["reference"], question, found.verdict, moment, exemption=found.exemption,
                    questions=ids)
    shown = found.verdict + (f" ({found.exemption})" if found.exemption else "")
    click.echo(f"{row['reference']} ({_printable(row['authority_name'])}) {question}: confirmed as {shown}")


def _set_verdict(request: str, question: str, verdict: str, exemption: str | None) -> None:
    """A person sets the verdict of one question (the review queue's set); `auto` hands it back to foibot."""
    from .lifecycle import find_request
    from .publish import question_vocabulary
    from .review import correct_verdict

    config = load()
    store = open_db(config, create=False)
    row = find_request(store, request)
    ids, allowed = question_vocabulary(store, row["run"], question, config.base_dir)
    correct_verdict(store, row["reference"], question, verdict, now(), exemption=exemption, allowed=allowed,
                    questions=ids)
    shown = "handed back to foibot" if verdict == "auto" else verdict + (f" ({exemption})" if exemption else "")
    click.echo(f"{row['reference']} ({_printable(row['authority_name'])}) {question}: {shown}")


def _settled_tail(settled: Any) -> str:
    if not settled.reference:
        return ""
    return f"; {settled.reference} is now {settled.status}, outcome {settled.outcome or '-'}"


# --- deadlines ----------------------------------------------------------------------------------------


@cli.command()
@click.option("--dry-run", is_flag=True, help="List what would go, to whom and why; send nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation before sending.")
@_config_option
def chase(dry_run: bool, yes: bool) -> None:
    """Send the chasers that are due now, each at most once per request and stage."""
    from .chase import chase_due, chasers_to_send

    config = load()
    moment = now()
    store = open_db(config, create=False)
    if not dry_run and config.smtp is not None and not yes:
        count = chasers_to_send(store, config, moment)
        if count:
            _confirm(f"Send {count} chaser{'s' * (count != 1)} through {config.smtp.host}:{config.smtp.port} "
                     f"as {config.requester.email}?", yes)
    result = chase_due(store, config, moment, dry_run=dry_run)
    for item in result.planned:
        held = f"  [not now: {item.held}]" if item.held else ""
        to = f"<{item.to_addr}>" if item.to_addr else "(by hand)"
        click.echo(f"{item.reference}  {item.stage:<15}  {item.authority} {to}  {item.why}{held}")
    for path in result.complaints:
        click.echo(f"Wrote {path}: check it and submit it yourself (foibot never sends complaints)")
    _list_by_hand(result.by_hand)
    for line in result.closing:
        click.echo(f"Warning: {line}")
    for problem in result.failed + result.errors:
        click.echo(f"Error: {problem}", err=True)
    click.echo(("Dry run, nothing sent: " if dry_run else "") + result.summary())
    if result.failed or result.errors:
        sys.exit(1)


@cli.command()
@_config_option
def daemon() -> None:
    """Poll and chase on a schedule until stopped (Ctrl-C or SIGTERM finish the job in hand)."""
    from .daemon import run_daemon

    run_daemon(load())


@cli.command()
@click.argument("request")
@_config_option
def withdraw(request: str) -> None:
    """Withdraw REQUEST (a reference such as FB-7K3Q9X): nothing more is chased; replies are still filed."""
    from .lifecycle import withdraw as withdraw_request

    config = load()
    moment = now()
    store = open_db(config, create=False)
    row = withdraw_request(store, request, moment)
    click.echo(f"{row['reference']} ({row['authority_name']}) withdrawn: no more chasers will go")


@cli.command()
@click.argument("request")
@_config_option
def hold(request: str) -> None:
    """Stop chasing REQUEST until `foibot resume` (its deadline keeps running)."""
    _set_hold(request, True)


@cli.command()
@click.argument("request")
@_config_option
def resume(request: str) -> None:
    """Chase REQUEST again after `foibot hold`."""
    _set_hold(request, False)


def _set_hold(request: str, on_hold: bool) -> None:
    from .lifecycle import set_hold

    config = load()
    moment = now()
    store = open_db(config, create=False)
    row = set_hold(store, request, on_hold, moment)
    click.echo(f"{row['reference']} ({row['authority_name']}) " + ("on hold: no chasers until `foibot resume`"
                                                                   if on_hold else "chased again when due"))


@cli.command()
@click.argument("request")
@click.option("--on", "answered_on", default=None, metavar="DATE",
              help="When you answered (a date or date-time; default: now).")
@_config_option
def clarified(request: str, answered_on: str | None) -> None:
    """Record that you answered the authority's clarification request: the 20 working days start again."""
    from .clock import parse_now
    from .lifecycle import record_clarified

    config = load()
    moment = now()
    try:
        answered_at = parse_now(answered_on) if answered_on else moment
    except FoibotError as exc:
        raise click.BadParameter(f"{answered_on!r} is not a date like 2023-05-02", param_hint="--on") from exc
    store = open_db(config, create=False)
    due = record_clarified(store, request, answered_at, moment)
    click.echo(f"Clock restarted: the response is now due on {due.isoformat()}")


# --- outcomes -----------------------------------------------------------------------------------------


@cli.command()
@click.option("--run", "run_name", default=None, help="Only this run (default: all runs).")
@_config_option
def status(run_name: str | None) -> None:
    """A table of requests by status and outcome, the late ones, and what waits in triage and for review."""
    from .publish import status_text

    config = load()
    moment = now()
    store = open_db(config, create=False)
    store.require_run(run_name)
    limit = int(config.smtp.daily_limit) if config.smtp is not None else 0
    click.echo(status_text(store, moment, run_name, daily_limit=limit, base_dir=config.base_dir), nl=False)


@cli.command()
@click.option("--run", "run_name", default=None, help="Only this run (default: all runs).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@_config_option
def export(run_name: str | None, output: str | None) -> None:
    """The outcome CSV: one row per request."""
    from .publish import write_csv

    config = load()
    moment = now()
    store = open_db(config, create=False)
    store.require_run(run_name)
    if output is None:
        write_csv(store, sys.stdout, moment, run_name, base_dir=config.base_dir)
        sys.stdout.flush()
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            count = write_csv(store, handle, moment, run_name, base_dir=config.base_dir)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise FoibotError(f"cannot write {target}: {exc.strerror}") from exc
    click.echo(f"Wrote {count} row(s) to {target}", err=True)


@cli.command()
@click.option("--run", "run_name", default=None, help="Only this run (default: all runs).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="report.html", show_default=True,
              help="The HTML file to write.")
@click.option("--keep-officials", is_flag=True, default=None,
              help="Keep the names of senior officials (default: [publish] keep_senior_officials).")
@_config_option
def report(run_name: str | None, output: str, keep_officials: bool | None) -> None:
    """One self-contained HTML page: the findings, timeliness, every authority and reply, to publish."""
    from .publish import redactor_for_store, write_report

    config = load()
    moment = now()
    store = open_db(config, create=False)
    store.require_run(run_name)
    redactor = redactor_for_store(store, config.requester.name, config.requester.email,
                                  _keep_officials(config, keep_officials))
    path = write_report(store, Path(output), moment, run_name, redactor=redactor, base_dir=config.base_dir)
    click.echo(f"Wrote {path}", err=True)


def _keep_officials(config: Config, flag: bool | None) -> bool:
    return bool(config.publish.keep_senior_officials) if flag is None else flag


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--run", "run_name", default=None, help="Only this run (default: all runs).")
@click.option("--keep-officials", is_flag=True, default=None,
              help="Keep the names of senior officials (default: [publish] keep_senior_officials).")
@_config_option
def publish(folder: str, run_name: str | None, keep_officials: bool | None) -> None:
    """Write FOLDER for a newsroom: outcomes.csv, answers.csv, datapackage.json, report.html, README.md.

    Officers' names, direct e-mail addresses and phone numbers in replies are redacted (not in the database)."""
    from .publish import publish as publish_folder

    config = load()
    moment = now()
    store = open_db(config, create=False)
    store.require_run(run_name)
    done = publish_folder(store, Path(folder), moment, run=run_name, base_dir=config.base_dir,
                          requester_name=config.requester.name, requester_email=config.requester.email,
                          keep_officials=_keep_officials(config, keep_officials))
    click.echo(f"Wrote {len(done.files)} files to {done.folder}: {done.requests} request(s), "
               f"{done.answers} answer row(s)", err=True)
    for path in done.files:
        click.echo(str(path))


@cli.command()
@click.argument("request")
@click.argument("question")
@click.argument("verdict")
@click.option("--exemption", default=None, help="With withheld: the exemption(s), e.g. 's43(2)'.")
@_config_option
def verdict(request: str, question: str, verdict: str, exemption: str | None) -> None:
    """Confirm or correct the VERDICT of QUESTION (q1, q2 ...) for REQUEST; a person's verdict always wins.

    VERDICT is one of the question's verdicts (yes, no, not_held, withheld, not_answered, unclear for the
    Fusus questions), `confirm` to keep foibot's, or `auto` to let foibot decide again. The same as
    `foibot review confirm REQUEST QUESTION` and `foibot review set REQUEST QUESTION --verdict VERDICT`;
    `foibot review` lists the verdicts waiting for a person."""
    if verdict == "confirm":
        _confirm_verdict(request, question)
    else:
        _set_verdict(request, question, verdict, exemption)


@cli.command()
@click.option("--folder", type=click.Path(file_okay=False), default=None,
              help="Where to put the demo's campaign folder (default: a new temporary folder).")
@click.option("--serve", "then_serve", is_flag=True,
              help="Then open the workspace (foibot serve) on the demo's campaign, at the demo's last day.")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="With --serve: the port.")
@_config_option
def demo(folder: str | None, then_serve: bool, port: int) -> None:
    """The whole life of a run in a sandbox: send, replies, chasing, outcomes. No account, no network.

    Uses its own folder and config (any --config is ignored), simulated authorities and simulated time."""
    import os

    from .config import load_config
    from .demo import run_demo

    result = run_demo(Path(folder) if folder else None, say=click.echo)
    config_path = result.folder / "config.toml"
    if not then_serve:
        click.echo("Browse it: FOIBOT_NOW=" + result.ended.isoformat() + f" foibot --config {config_path} serve")
        return
    from .web import serve_forever

    os.environ["FOIBOT_NOW"] = result.ended.isoformat()  # the workspace sees the campaign on its last day
    click.echo("")
    serve_forever(load_config(config_path), "127.0.0.1", port, False, click.echo)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Another than 127.0.0.1 lets other machines reach it by that address "
                   "(the Host header must name it; the token still guards it).")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port (0: any free port).")
@click.option("--read-only", is_flag=True, help="Look, never change: every form is refused.")
@_config_option
def serve(host: str, port: int, read_only: bool) -> None:
    """The workspace in a browser: today's work, every request, review, triage, chasing, outputs.

    Prints the address to open, with its secret token, on a line of its own. Runs beside the daemon."""
    from .web import serve_forever

    serve_forever(load(), host, port, read_only, click.echo)


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False), default=".")
@click.option("--provider", type=click.Choice(["gmail", "google_workspace", "microsoft365", "fastmail", "custom"]),
              default="custom", show_default=True,
              help="Your mailbox's provider: fills in its servers, login method and daily limit.")
@click.option("--authorities", "kinds", default=None, metavar="KINDS",
              help="Start with these kinds from the register, e.g. 'council,combined_authority' "
                   "(default: the shipped authorities.csv).")
@click.option("--jurisdiction", "jurisdictions", multiple=True, metavar="J",
              help="With --authorities: only these nations (england, wales, scotland, northern_ireland, uk).")
def init(folder: str, provider: str, kinds: str | None, jurisdictions: tuple[str, ...]) -> None:
    """Start a campaign folder: config.toml to fill in, the authorities list, a templates/ folder."""
    from .campaign_folder import init_campaign

    text = None
    chosen = None
    if kinds is not None:
        from . import register

        chosen = register.pick(register.load_register(), register.parse_filters([kinds], jurisdictions))
        if not chosen.chosen:
            raise FoibotError(f"no body in the register is of kind {kinds}")
        text = register.campaign_csv(chosen.chosen)
    elif jurisdictions:
        raise click.UsageError("--jurisdiction goes with --authorities KINDS")
    written = init_campaign(Path(folder), provider, text)
    for path in written:
        click.echo(f"Wrote {path}")
    if chosen is not None:
        _say_pick(chosen, written[1])
    if provider in ("gmail", "google_workspace", "microsoft365"):
        guide = "Using Gmail" if provider != "microsoft365" else "Using Microsoft 365"
        click.echo(f"Next: register foibot with your provider (README, \"{guide}\"), put its client id in "
                   f"[oauth2] client_id and your address in [requester], [smtp] and [imap] of {written[0]}; "
                   f"then in {folder}:\n  foibot login\n  foibot check\n"
                   "  foibot send --run fusus-1 --template fusus --dry-run")
        return
    click.echo(f"Next: edit {written[0]} ([requester], [smtp], [imap]), then in {folder}:\n"
               "  foibot check\n  foibot send --run fusus-1 --template fusus --dry-run")


# --- the mailbox ----------------------------------------------------------------------------------------


@cli.command()
@click.option("--device", "flow", flag_value="device", default=None,
              help="Log in with a code typed in any browser, on any machine (RFC 8628).")
@click.option("--browser", "flow", flag_value="browser",
              help="Log in in a browser on this machine, which comes back to foibot (RFC 8252).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="With --browser: the local port the browser comes back to (0: any free one; fix it to "
                   "forward it over ssh from your own machine).")
@click.option("--no-open", is_flag=True, help="With --browser: print the address, do not open a browser.")
@_config_option
def login(flow: str | None, port: int, no_open: bool) -> None:
    """Log in to your mailbox with OAuth2 (Gmail, Microsoft 365): foibot keeps the login and renews it.

    Run it once, and again whenever foibot says so. The flow ([oauth2] flow) is your provider's usual one
    unless --device or --browser says otherwise."""
    from .oauth import login as oauth_login

    config = load()
    for line in oauth_login(config, lambda text: click.echo(text, err=True), flow=flow, port=port,
                            open_browser=not no_open):
        click.echo(line)


@cli.command()
@_config_option
def check() -> None:
    """Log in to the SMTP and the IMAP server and say what works, and check the database file is whole
    (SQLite's integrity check). Sends nothing, changes nothing."""
    config = load()
    servers = _check_servers(config)
    database = _check_database(config)
    if not (servers and database):
        sys.exit(1)
    click.echo("Both servers work; nothing was sent.")


def _check_database(config: Config) -> bool:
    """The database's integrity check on one line (OK on stdout, FAILED on stderr); True when it is whole."""
    from .store import integrity_check

    path = config.database_path
    if not path.exists():
        return True  # nothing to check yet (foibot send makes it)
    try:
        store = open_db(config, create=False)
    except FoibotError as exc:
        click.echo(f"Database {path}: FAILED: {exc}", err=True)
        return False
    problems = integrity_check(store)
    if problems:
        click.echo(f"Database {path}: FAILED: SQLite's integrity check found: {'; '.join(problems[:3])} "
                   "(stop foibot and copy a backup of the file over it)", err=True)
        return False
    click.echo(f"Database {path}: OK: SQLite's integrity check finds it whole")
    return True


def _check_servers(config: Config) -> bool:
    """Each server on its own line (one failing does not hide how the other does): OK on stdout, FAILED on
    stderr; True when both work."""
    from .collect import check_mailbox
    from .send import check_smtp

    probes = (("SMTP", config.smtp, check_smtp, "the embedded sandbox: nothing leaves this machine"),
              ("IMAP", config.imap, check_mailbox, "none ([imap] is needed for `foibot poll`)"))
    ok = True
    for name, server, probe, absent in probes:
        if server is None:
            click.echo(f"{name}: {absent}")
            continue
        try:
            click.echo(f"{server.label}: OK: {probe(config)}")
        except FoibotError as exc:
            click.echo(f"{server.label}: FAILED: {exc}", err=True)
            ok = False
    return ok


# --- the register of authorities ----------------------------------------------------------------------


def _filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The filters `authorities list` and `authorities pick` share (each repeatable or comma-separated)."""
    for option in reversed((
        click.option("--kind", "kinds", multiple=True, metavar="K",
                     help="council, combined_authority, police_force, police_commissioner, fire_authority, ..."),
        click.option("--jurisdiction", "jurisdictions", multiple=True, metavar="J",
                     help="england, wales, scotland, northern_ireland, uk."),
        click.option("--channel", "channels", multiple=True, metavar="C",
                     help="email, email_or_form, web_form, post, unknown."),
        click.option("--type", "types", multiple=True, metavar="T",
                     help="e.g. district, unitary, territorial, pcc, police_and_crime_panel."),
        click.option("--search", default="", metavar="TEXT", help="Part of a name, id, address or GSS code."),
        click.option("--register", "register_file", type=click.Path(dir_okay=False), default=None,
                     help="Another register file in the same columns (default: the one shipped)."),
    )):
        func = option(func)
    return func


def _load_register(register_file: str | None) -> Any:
    from . import register

    return register.load_register(register_file)


@cli.group()
def authorities() -> None:
    """The register of UK authorities shipped with foibot: list it, pick a campaign's list from it."""


@authorities.command("list")
@_filter_options
@click.option("--include-defunct", is_flag=True, help="Show bodies that no longer exist too.")
@click.option("--csv", "as_csv", is_flag=True, help="The register's rows as CSV (every column).")
def authorities_list(kinds: tuple[str, ...], jurisdictions: tuple[str, ...], channels: tuple[str, ...],
                     types: tuple[str, ...], search: str, register_file: str | None, include_defunct: bool,
                     as_csv: bool) -> None:
    """Show the bodies of the register that match the filters."""
    from . import register

    filters = register.parse_filters(kinds, jurisdictions, channels, types, search, include_defunct)
    rows = register.select(_load_register(register_file), filters)
    if as_csv:
        click.echo(register.register_csv(rows), nl=False)
        return
    table = [(e.id, e.name + (" (defunct)" if e.defunct else ""), e.kind, e.jurisdiction, e.channel,
              e.email or e.form_url or e.postal_address) for e in rows]
    head = ("id", "name", "kind", "jurisdiction", "channel", "address / form")
    widths = [min(40, max([len(h)] + [len(r[i]) for r in table])) for i, h in enumerate(head[:-1])]
    for row in [head, *table]:
        cells = [(v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(row, widths)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())
    channel_counts = register.counts(rows, "channel")
    click.echo(f"{len(rows)} bod{'y' if len(rows) == 1 else 'ies'}"
               + (": " + ", ".join(f"{c} {channel_counts[c]}" for c in register.CHANNELS if channel_counts[c])
                  if rows else ""))


@authorities.command("pick")
@_filter_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The campaign's authorities CSV to write (the file `foibot send --authorities` reads).")
@click.option("--add", "own_files", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Your own rows (id, name, kind, jurisdiction, and email, form_url or postal_address): a row "
                   "with a register id replaces it, others are added.")
@click.option("--known-only", is_flag=True,
              help="Leave out the bodies with no known address, form or postal address.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def authorities_pick(kinds: tuple[str, ...], jurisdictions: tuple[str, ...], channels: tuple[str, ...],
                     types: tuple[str, ...], search: str, register_file: str | None, output: str,
                     own_files: tuple[str, ...], known_only: bool, force: bool) -> None:
    """Write a campaign's authorities CSV from the register (never a defunct body)."""
    from . import register

    filters = register.parse_filters(kinds, jurisdictions, channels, types, search)
    own = [row for name in own_files for row in register.load_own_rows(name)]
    chosen = register.pick(_load_register(register_file), filters, own, known_only=known_only)
    if not chosen.chosen:
        raise FoibotError("no body matches these filters: see `foibot authorities list` with the same ones")
    from .files import write_atomic

    target = Path(output)
    if target.exists() and not force:
        raise FoibotError(f"{target} already exists: give another file, or --force to replace it")
    write_atomic(target, register.campaign_csv(chosen.chosen), what="authorities list", mode=0o644)
    _say_pick(chosen, target)


def _say_pick(chosen: Any, target: Path) -> None:
    by = chosen.by_channel()
    parts = [f"{by[c]} {label}" for c, label in (("email", "by e-mail"), ("web_form", "by web form"),
                                                  ("post", "by post"), ("unknown", "with no known address"))
             if by[c]]
    click.echo(f"Wrote {len(chosen.chosen)} authorities to {target}: {', '.join(parts)}.")
    if by["unknown"]:
        click.echo(f"{by['unknown']} have no address, form or postal address in the register: `foibot send` "
                   "writes their requests out for you to send by hand once you find the way in (the source "
                   "column says where we looked); --known-only leaves them out.", err=True)
    if chosen.left_out:
        click.echo(f"Left out {len(chosen.left_out)}:", err=True)
        for entry, why in chosen.left_out:
            click.echo(f"  {entry.id}: {why}", err=True)


# --- requests sent by hand, addresses that were wrong ---------------------------------------------------


@cli.command("sent-by-hand")
@click.argument("request")
@click.option("--on", "sent_on", required=True, metavar="DATE", help="The day you sent it (2026-03-02).")
@click.option("--their-ref", default=None, help="The reference the authority's form or letter gave you.")
@click.option("--stage", default=None, help="A chaser (reminder, internal_review) rather than the request.")
@_config_option
def sent_by_hand(request: str, sent_on: str, their_ref: str | None, stage: str | None) -> None:
    """Record that you sent REQUEST by web form or post on DATE: its clock starts that day."""
    from .clock import parse_now
    from .lifecycle import record_sent_by_hand as record

    config = load()
    moment = now()
    try:
        on = parse_now(sent_on)
    except FoibotError as exc:
        raise click.BadParameter(f"{sent_on!r} is not a date like 2026-03-02", param_hint="--on") from exc
    row, recorded, due = record(open_db(config, create=False), request, on, moment, their_ref=their_ref,
                                stage=stage)
    what = "request" if recorded == "request" else recorded.replace("_", " ")
    click.echo(f"{row['reference']} ({row['authority_name']}): {what} recorded as sent on "
               f"{on.date().isoformat()}" + (f"; the response is due on {due.isoformat()}" if due else "")
               + (f"; their reference {row['authority_ref']}" if their_ref else ""))


@cli.command()
@click.argument("request")
@click.argument("address")
@_config_option
def readdress(request: str, address: str) -> None:
    """Send REQUEST again to a corrected ADDRESS (`alt`: the other address its row or the register knows).

    Same reference, the wrong address kept; the clock starts anew when it goes."""
    from .send import readdress_request as send_again

    config = load()
    moment = now()
    if config.smtp is not None:
        from .send import smtp_settings

        smtp_settings(config)  # a missing password: before anything is written
    done = send_again(open_db(config, create=False), config, request, address, moment)
    click.echo(f"{done.reference} ({done.authority}): sent again to {done.new_address}"
               + (f" instead of {done.old_address}" if done.old_address else ""))
    _finish(done.report, None, config)


def main() -> None:
    """Entry point: expected failures become one `Error:` line and exit 1; usage errors exit 2."""
    try:
        cli.main(standalone_mode=False, obj={})
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except FoibotError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:
        # A damaged database file surfaces wherever a query reaches the broken page: one line, not a traceback.
        sqlite3 = sys.modules.get("sqlite3")
        if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
            raise
        from .store import damaged

        path = _database_path()
        error = damaged(path, exc) if path is not None else None
        if error is None:
            raise
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(1)


if __name__ == "__main__":
    main()
