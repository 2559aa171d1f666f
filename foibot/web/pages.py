"""The workspace's pages and actions. Each action calls the library function the CLI command calls.

| page or form | the same as |
|---|---|
| review (the queue `foibot review` lists) | `foibot review` (review.list_reviews) |
| review: confirm / set the kind | `foibot review confirm N`, `foibot review set N --kind K` (review.confirm_reading, review.set_reading) |
| review: a verdict's confirm / correct | `foibot review confirm REF Q`, `foibot review set REF Q --verdict V` (review.confirm_verdict, review.correct_verdict) |
| triage: assign / dismiss / restore | `foibot assign N TARGET`, `foibot triage --dismiss N` / `--restore N` |
| a request: hold, resume, withdraw, clarified | `foibot hold`, `resume`, `withdraw`, `clarified` (lifecycle) |
| a bounced request: send again to | `foibot readdress REF ADDRESS` (send.readdress_request) |
| requests: bulk hold / resume / withdraw | the same functions, once per request of the filtered set |
| chase: approve | `foibot chase --dry-run`, then `foibot chase` (chase.ladder.chase_due) |
| outputs | `foibot export`, `foibot report` |
"""

from __future__ import annotations

import io
from typing import Any

from starlette.responses import FileResponse, Response

from .. import collect, publish
from ..chase import chase_due
from ..clock import parse_now
from ..errors import FoibotError, InputError
from ..lifecycle import find_request, record_clarified, set_hold, withdraw
from ..review import confirm_reading as confirm_review
from ..review import confirm_verdict, correct_verdict, list_reviews, set_reading
from ..vocab import KINDS
from .app import Page

# Types a browser may be told; anything else is offered as bytes. Every file is a download, never shown.
SAFE_TYPES = {"application/pdf", "text/plain", "text/csv", "image/png", "image/jpeg", "image/gif",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/msword",
              "application/vnd.ms-excel", "application/zip", "application/vnd.oasis.opendocument.text"}
SHOWN = 10  # as many of each list as Today shows (publish.today cuts its own lists so)
BULK_ACTIONS = {"hold": "hold", "resume": "resume chasing", "withdraw": "withdraw"}


def _download(body: bytes | str, filename: str, content_type: str) -> Response:
    return Response(body, media_type=content_type, headers={
        "content-disposition": f'attachment; filename="{filename}"',
        "content-security-policy": "sandbox; default-src 'none'"})


def _words(value: str | None) -> str:
    return (value or "").replace("_", " ")


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# --- Today -----------------------------------------------------------------------------------------------

def today(page: Page) -> Response:
    verdicts = publish.verdicts_to_review(page.store, page.now, base_dir=page.config.base_dir)
    return page.render("today.html", t=publish.today(page.store, page.config, page.now),
                       verdicts_total=len(verdicts), verdicts=verdicts[:SHOWN])


# --- the request list and bulk actions -------------------------------------------------------------------

def request_list(page: Page) -> Response:
    query = publish.RequestQuery.from_params(page.params)
    listing = publish.list_requests(page.store, page.now, query)
    return page.render("requests.html", p=listing, q=query, actions=BULK_ACTIONS, sorts=publish.SORTS)


def bulk(page: Page) -> Response:
    action = page.form.get("action", "")
    if action not in BULK_ACTIONS:
        raise InputError(f"unknown bulk action {action!r}: use one of {', '.join(BULK_ACTIONS)}")
    query = publish.RequestQuery.from_params(page.form)
    chosen = publish.select_requests(page.store, page.now, query)
    back = "/requests" + ("?" + "&".join(f"{k}={v}" for k, v in query.params(page=1).items())
                          if query.params(page=1) else "")
    if not query.filtered:
        raise InputError("filter the list first: a bulk action never acts on every request at once")
    if action == "withdraw":
        chosen = [o for o in chosen if o.base_status != "withdrawn"]
    if page.form.get("confirm") != "yes":
        return page.render("bulk_confirm.html", action=action, label=BULK_ACTIONS[action], chosen=chosen,
                           q=query, back=back)
    expected = page.form.get("expected", "")
    if expected != str(len(chosen)):
        raise InputError(f"the filtered set changed from {expected} to {len(chosen)} requests since you looked: "
                         "check the list again")
    for o in chosen:
        if action == "withdraw":
            withdraw(page.store, o.reference, page.now)
        else:
            set_hold(page.store, o.reference, action == "hold", page.now)
    verb = {"hold": "On hold", "resume": "Chased again when due", "withdraw": "Withdrawn"}[action]
    return page.done(f"{verb}: {_plural(len(chosen), 'request')}.", to=back)


# --- one request ------------------------------------------------------------------------------------------

def request_page(page: Page) -> Response:
    detail = publish.request_detail(page.store, page.now, str(page.path["reference"]))
    return page.render("request.html", d=detail, o=detail.outcome, kinds=KINDS)


def request_action(page: Page) -> Response:
    reference = str(page.path["reference"])
    action = page.form.get("action", "")
    if action == "withdraw":
        row = withdraw(page.store, reference, page.now)
        return page.done(f"{row['reference']} withdrawn: no more chasers will go.")
    if action in ("hold", "resume"):
        row = set_hold(page.store, reference, action == "hold", page.now)
        return page.done(f"{row['reference']} " + ("on hold: no chasers until you resume it." if action == "hold"
                                                   else "will be chased again when due."))
    if action == "clarified":
        on = page.form.get("on", "").strip()
        try:
            answered = parse_now(on) if on else page.now
        except FoibotError as exc:
            raise InputError(f"{on!r} is not a date like 2023-05-02") from exc
        due = record_clarified(page.store, reference, answered, page.now)
        return page.done(f"Clock restarted: the response is now due on {due.isoformat()}.")
    if action == "readdress":
        return _readdress(page, reference)
    raise InputError(f"unknown action {action!r}")


def _readdress(page: Page, reference: str) -> Response:
    """`foibot readdress REF ADDRESS`: the same request sent again, now, to the corrected address."""
    from ..send import readdress_request, smtp_settings

    address = page.form.get("address", "").strip()
    if not address:
        raise InputError("give the corrected address (or alt: the other address foibot knows)")
    if page.config.smtp is not None:
        smtp_settings(page.config)  # a missing password: before anything is written
    done = readdress_request(page.store, page.config, reference, address, page.now)
    report = done.report
    text = f"{done.reference} ({done.authority}): sent again to {done.new_address}" + (
        f" instead of {done.old_address}" if done.old_address else "") + "."
    problems = [f"{p.to}: {p.reason}" for p in (*report.failed, *report.deferred)]
    if report.unknown:
        problems.append("interrupted while sending: it may or may not have gone (not resent)")
    if not report.sent and not problems:
        problems.append("nothing was sent")
    if problems:
        return page.done(f"{done.reference}: queued for {done.new_address}, but " + "; ".join(problems), level="error")
    return page.done(text)


# --- readings: review -------------------------------------------------------------------------------------

def review(page: Page) -> Response:
    run = _run_param(page)
    items = list_reviews(page.store, run)
    verdicts = publish.verdicts_to_review(page.store, page.now, run, base_dir=page.config.base_dir)
    runs = {ref: find_request(page.store, ref)["run"] for ref in {v.reference for v in verdicts}}
    allowed: dict[tuple[str, str], tuple[str, ...]] = {}
    for v in verdicts:
        key = (runs[v.reference], v.question)
        if key not in allowed:
            allowed[key] = publish.question_vocabulary(page.store, key[0], v.question, page.config.base_dir)[1]
    choices = {(v.reference, v.question): allowed[(runs[v.reference], v.question)] for v in verdicts}
    return page.render("review.html", total=len(items), items=items, kinds=KINDS, run=run, verdicts=verdicts,
                       choices=choices)


def _settled(settled: Any) -> str:
    if not settled.reference:
        return ""
    return (f"; {settled.reference} is now {_words(settled.status)}, outcome "
            f"{_words(settled.outcome) if settled.outcome else '-'}")


def confirm_reading(page: Page) -> Response:
    number = int(page.path["number"])
    settled = confirm_review(page.store, number, page.now)
    return page.done(f"Message {number}: reading confirmed as {_words(settled.kind)}{_settled(settled)}.")


def set_kind(page: Page) -> Response:
    number = int(page.path["number"])
    settled = set_reading(page.store, number, page.form.get("kind", ""), page.now)
    return page.done(f"Message {number}: set to {_words(settled.kind)}{_settled(settled)}.")


def _verdict_target(page: Page) -> tuple[dict[str, Any], str, list[str], tuple[str, ...]]:
    """The request and question a verdict form names, the run's question ids and that question's verdicts."""
    reference = page.form.get("request", "").strip()
    question = page.form.get("question", "").strip()
    if not reference or not question:
        raise InputError("a verdict form names its request and question")
    row = find_request(page.store, reference)
    ids, allowed = publish.question_vocabulary(page.store, row["run"], question, page.config.base_dir)
    return row, question, ids, allowed


def confirm_verdict_page(page: Page) -> Response:
    """`foibot review confirm REF Q`: foibot's verdict, as the page showed it, is the person's now."""
    row, question, ids, _allowed = _verdict_target(page)
    found = publish.current_verdict(page.store, row["reference"], question, page.now, page.config.base_dir)
    shown = page.form.get("verdict", "")
    if shown and (shown, page.form.get("exemption", "")) != (found.verdict, found.exemption or ""):
        raise InputError(f"{row['reference']} {question}: foibot's verdict changed from {_words(shown)} to "
                         f"{_words(found.verdict)} since you looked: check it again")
    confirm_verdict(page.store, row["reference"], question, found.verdict, page.now, exemption=found.exemption,
                    questions=ids)
    told = _words(found.verdict) + (f" ({found.exemption})" if found.exemption else "")
    return page.done(f"{row['reference']} ({row['authority_name']}) {question}: confirmed as {told}.")


def correct_verdict_page(page: Page) -> Response:
    """`foibot review set REF Q --verdict V [--exemption E]`: the person's verdict wins."""
    row, question, ids, allowed = _verdict_target(page)
    verdict = page.form.get("verdict", "").strip()
    exemption = page.form.get("exemption", "").strip() or None
    correct_verdict(page.store, row["reference"], question, verdict, page.now, exemption=exemption,
                    allowed=allowed, questions=ids)
    told = _words(verdict) + (f" ({exemption})" if exemption else "")
    return page.done(f"{row['reference']} ({row['authority_name']}) {question}: set to {told}.")


# --- triage -----------------------------------------------------------------------------------------------

def triage(page: Page) -> Response:
    items = collect.list_triage(page.store)
    return page.render("triage.html", items=items)


def message_page(page: Page) -> Response:
    number = int(page.path["number"])
    message = collect.message_text(page.store, number)
    reading = publish.reading(page.store, number)
    candidates = collect.likely_requests(page.store, number) if reading["triage"] or message.dismissed else []
    return page.render("message.html", m=message, r=reading, candidates=candidates, kinds=KINDS)


def assign(page: Page) -> Response:
    number = int(page.path["number"])
    target = page.form.get("target", "").strip()
    if not target:
        raise InputError("give a reference (FB-...), a request number or the authority's id")
    done = collect.assign_message(page.store, page.config, number, target, page.now)
    return page.done(f"Message {number} filed under {done.reference} ({done.authority}): read as "
                     f"{done.kind.replace('_', ' ')}; the request is now {done.status_after.replace('_', ' ')}. "
                     f"Learned: {done.hint}.", to="/triage")


def dismiss(page: Page) -> Response:
    number = int(page.path["number"])
    collect.dismiss_message(page.store, number, page.now)
    return page.done(f"Message {number} dismissed: no longer listed in triage.", to="/triage")


def restore(page: Page) -> Response:
    number = int(page.path["number"])
    collect.restore_message(page.store, number, page.now)
    return page.done(f"Message {number} is back in triage.", to=f"/messages/{number}")


# --- chasing ----------------------------------------------------------------------------------------------

def chase(page: Page) -> Response:
    report = chase_due(page.store, page.config, page.now, dry_run=True)
    going = [i for i in report.planned if not i.held]
    return page.render("chase.html", report=report, going=going, held=report.held)


def chase_send(page: Page) -> Response:
    preview = chase_due(page.store, page.config, page.now, dry_run=True)
    going = [i for i in preview.planned if not i.held]
    expected = page.form.get("expected", "")
    if expected != str(len(going)):
        raise InputError(f"the chasers due changed from {expected} to {len(going)} since you looked: "
                         "check the list again")
    if not going:
        return page.done("Nothing to send: no chaser is due now.", to="/chase")
    report = chase_due(page.store, page.config, page.now)
    problems = report.failed + report.errors
    text = "Chase: " + report.summary() + "." + (" Problems: " + "; ".join(problems) if problems else "")
    return page.done(text, to="/chase", level="error" if problems else "ok")


# --- files and outputs ------------------------------------------------------------------------------------

def download_attachment(page: Page) -> Response:
    path, name, content_type = publish.attachment(page.store, int(page.path["number"]))
    media = content_type.lower() if content_type.lower() in SAFE_TYPES else "application/octet-stream"
    return FileResponse(path, media_type=media, filename=name, content_disposition_type="attachment",
                        headers={"content-security-policy": "sandbox; default-src 'none'"})


def _run_param(page: Page) -> str | None:
    run = page.params.get("run") or None
    page.store.require_run(run)
    return run


def outputs(page: Page) -> Response:
    runs = [name for name, _ in publish.list_requests(page.store, page.now, publish.RequestQuery()).choices["run"]]
    return page.render("outputs.html", runs=runs)


def outcome_csv(page: Page) -> Response:
    run = _run_param(page)
    buffer = io.StringIO(newline="")
    publish.write_csv(page.store, buffer, page.now, run, base_dir=page.config.base_dir)
    return _download(buffer.getvalue(), publish.safe_filename(f"outcomes-{run}.csv" if run else "outcomes.csv", "outcomes.csv"), "text/csv; charset=utf-8")


def report_file(page: Page) -> Response:
    run = _run_param(page)
    # Redacted as `foibot report` and `foibot publish` redact it: this file is for publishing too.
    config = page.config
    redactor = publish.redactor_for_store(page.store, config.requester.name, config.requester.email,
                                          config.publish.keep_senior_officials)
    html = publish.build_report(page.store, page.now, run, redactor=redactor, base_dir=config.base_dir)
    return _download(html, publish.safe_filename(f"report-{run}.html" if run else "report.html", "report.html"), "text/html; charset=utf-8")
