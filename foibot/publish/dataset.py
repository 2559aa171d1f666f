"""`foibot publish DIR`: one folder a newsroom can cite: the outcomes, the answers, their description, the report.

`outcomes.csv` (every column of `foibot export`), `answers.csv` (one row per request and question), a
`datapackage.json` describing both (Frictionless Data: a tabular data package), `report.html`, and a
`README.md` for the data: what was asked, when, of whom, how replies were read, what a person confirmed.
Everything that came from a reply is redacted first (publish/redact.py); the database is never changed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import london_date
from ..errors import StoreError
from ..files import write_atomic
from ..store import Store
from .export import Outcome, columns, csv_row, neutralise, outcomes, question_ids
from .findings import Finding, QuestionInfo, as_dict, findings, run_questions, verdict_order
from .redact import Redactor, redactor_for

ANSWER_COLUMNS = ("run", "reference", "authority", "question", "verdict", "answer", "source", "question_title",
                  "exemption", "sentence", "confirmed", "authority_id", "kind", "jurisdiction", "status", "outcome")
ANSWER_DESCRIPTIONS = {
    "run": "the request run's name",
    "reference": "foibot's reference of the request (FB-...)",
    "authority": "the public authority asked",
    "question": "the question's id in the request template (q1, q2, ...)",
    "verdict": "what the answer amounts to, from the template's vocabulary (yes, no, not_held, withheld, "
               "not_answered, unclear)",
    "answer": "the reply's answer to the question, as written (personal data redacted)",
    "source": "where the answer is: the e-mail, or the attachment and its page, with the reply's date",
    "question_title": "the question, in short",
    "exemption": "for withheld: the exemption(s) applied (s43(2), s12(1), NCND ...)",
    "sentence": "the sentence of the reply the verdict rests on (personal data redacted)",
    "confirmed": "yes: a person set or confirmed the verdict; auto: foibot read it",
    "authority_id": "the authority's id in the authorities list",
    "kind": "the authority's kind (council, police_force ...)",
    "jurisdiction": "the authority's nation (england, wales, scotland, northern_ireland, uk)",
    "status": "the request's status",
    "outcome": "the kind of the latest substantive reply",
}
OUTCOME_DESCRIPTIONS = {
    "run": "the request run's name", "reference": "foibot's reference of the request",
    "authority": "the public authority asked", "authority_email": "the address the request went to",
    "status": "queued, awaiting_response, awaiting_clarification, overdue, internal_review, answered, failed, "
              "withdrawn",
    "outcome": "the kind of the latest substantive reply", "authority_ref": "the authority's own reference",
    "exemptions": "exemptions cited, ;-separated", "sent_at": "when the request was sent",
    "due_date": "when the answer is due (after any clarification or extension)",
    "first_reply_at": "the first reply of any kind", "outcome_at": "the substantive answer",
    "working_days_taken": "from sending to the answer, in working days", "chases": "chasers sent",
    "replies": "messages filed under the request", "days_late": "working days past the due date",
    "chase_stage": "the last chase stage reached", "complaint_file": "the complaint written for the regulator",
    "failed_reason": "why the request could not be delivered",
    "reply_files": "the attachments saved from the replies",
}
_TYPES = {"sent_at": "datetime", "first_reply_at": "datetime", "outcome_at": "datetime", "due_date": "date",
          "working_days_taken": "integer", "chases": "integer", "replies": "integer", "days_late": "integer"}


@dataclass
class Published:
    folder: Path
    files: list[Path]
    requests: int
    answers: int


def redactor_for_store(store: Store, requester_name: str, requester_email: str, keep_officials: bool) -> Redactor:
    """A redactor that keeps every authority's own address (as listed and as asked)."""
    addresses = [row[0] for row in store.db.execute("SELECT email FROM authorities")]
    addresses += [row[0] for row in store.db.execute("SELECT DISTINCT authority_email FROM requests")]
    names = [row[0] for row in store.db.execute("SELECT name FROM authorities")]
    return redactor_for(requester_name, requester_email, addresses, keep_officials, names)


def _write(path: Path, text: str, what: str) -> Path:
    """Atomically (a reader never sees half a file), readable by all: the folder is meant to be published."""
    return write_atomic(path, text, what=what, mode=0o644)


def outcomes_csv(items: Sequence[Outcome], questions: Sequence[str], redactor: Redactor) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(questions), lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        row = csv_row(item, questions)
        for q in questions:
            row[f"{q}_answer"] = neutralise(redactor.redact(item.answers.get(q, "")))
        writer.writerow(row)
    return out.getvalue()


def answers_csv(rows: Sequence[Finding], redactor: Redactor) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ANSWER_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for finding in rows:
        cells = as_dict(finding)
        cells["answer"] = redactor.redact(cells["answer"])
        cells["sentence"] = redactor.redact(cells["sentence"])
        writer.writerow({k: neutralise(" ".join(str(v).split())) for k, v in cells.items()})
    return out.getvalue()


def _field(name: str, descriptions: dict[str, str]) -> dict[str, Any]:
    kind = _TYPES.get(name, "string")
    field: dict[str, Any] = {"name": name, "type": kind}
    description = descriptions.get(name) or (
        f"the answer to question {name[:-7]}, as written (personal data redacted)" if name.endswith("_answer")
        else "")
    if description:
        field["description"] = description
    return field


def datapackage(name: str, title: str, outcome_columns: Sequence[str], verdicts: Sequence[str],
                created: datetime) -> dict[str, Any]:
    """The Frictionless Data description of the two tables (tabular data package, v1)."""
    answer_fields = [_field(c, ANSWER_DESCRIPTIONS) for c in ANSWER_COLUMNS]
    for item in answer_fields:
        if item["name"] == "verdict":
            item["constraints"] = {"required": True, "enum": list(verdicts)}
    return {
        "profile": "tabular-data-package",
        "name": name,
        "title": title,
        "created": created.isoformat(timespec="seconds"),
        "resources": [
            {
                "profile": "tabular-data-resource", "name": "outcomes", "path": "outcomes.csv",
                "title": "One row per request: who was asked, when, what came back, how late",
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                "schema": {"fields": [_field(c, OUTCOME_DESCRIPTIONS) for c in outcome_columns],
                           "primaryKey": ["reference"]},
            },
            {
                "profile": "tabular-data-resource", "name": "answers", "path": "answers.csv",
                "title": "One row per request and question: the verdict, the quoted answer, where it came from",
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                "schema": {"fields": answer_fields, "primaryKey": ["reference", "question"],
                           "foreignKeys": [{"fields": ["reference"],
                                            "reference": {"resource": "outcomes", "fields": ["reference"]}}]},
            },
        ],
    }


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    while "--" in out:
        out = out.replace("--", "-")
    return out or "foibot"


def _plain_question(text: str) -> str:
    """A template question in plain words: its Jinja2 placeholders as a reader would say them."""
    text = re.sub(r"\{\{\s*body\.the\s*\}\}", "the authority", text)
    text = re.sub(r"\{\{\s*body\.noun\s*\}\}", "authority", text)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "…", text)
    return " ".join(text.split())


def readme(store: Store, items: Sequence[Outcome], rows: Sequence[Finding], questions: dict[str, list[QuestionInfo]],
           run: str | None, now: datetime, keep_officials: bool) -> str:
    """The data's README: what was asked, when, of whom, how the replies were read, what a person confirmed."""
    runs = [r for r in store.db.execute("SELECT id, template, created_at FROM runs ORDER BY created_at, id")
            if run is None or r[0] == run]
    sent = sorted(i.sent_at for i in items if i.sent_at)
    kinds = Counter(i.kind or "other" for i in items)
    nations = Counter(i.jurisdiction for i in items)
    confirmed = sum(1 for f in rows if f.confirmed)
    # A person set the outcome (`foibot mark`) or confirmed its reading (`foibot review`); or one still waits.
    manual_outcomes = sum(1 for i in items if i.outcome_confirmed == "yes")
    waiting_outcomes = sum(1 for i in items if i.outcome_confirmed == "no")
    lines = [f"# Freedom of Information requests{': ' + run if run else ''}", "",
             f"Published by foibot on {london_date(now).isoformat()}. Figures as of that day.", "",
             "## What was asked", ""]
    for run_id, template, _created in runs:
        lines.append(f"Run `{run_id}` (request template `{template}`):")
        lines.append("")
        for q in questions.get(run_id, []):
            lines.append(f"- **{q.id}** {q.title}: {_plain_question(q.text)}")
        lines.append("")
    lines += ["## When, and of whom", ""]
    if sent:
        first, last = london_date(sent[0]).isoformat(), london_date(sent[-1]).isoformat()
        when = f"on {first}" if first == last else f"between {first} and {last}"
        lines.append(f"{len(items)} requests, sent {when}, under the Freedom of Information Act 2000 (or the "
                     "Freedom of Information (Scotland) Act 2002 for Scottish bodies).")
    else:
        lines.append(f"{len(items)} requests, none sent yet.")
    lines.append("")
    lines.append("By kind: " + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(kinds.items())) + ".")
    lines.append("By nation: " + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(nations.items())) + ".")
    answered = {f.outcome.id for f in rows if f.answered}
    lines += ["", "## What they said", "",
              f"{len(answered)} of {len(items)} have answered so far.", ""]
    for qid in dict.fromkeys(f.question.id for f in rows):
        counts = Counter(f.verdict for f in rows if f.question.id == qid and f.answered)
        if counts:
            lines.append(f"- {qid}: " + ", ".join(f"{v} {n}" for v, n in counts.most_common()))
    lines += ["", "## The files", "",
              "- `outcomes.csv`: one row per request (status, outcome, dates, working days, exemptions, chases).",
              ("- `answers.csv`: one row per request and question: the verdict, the answer as written, the "
              "sentence the verdict rests on and where it is (the e-mail, or the attachment and its page)."),
              "- `datapackage.json`: the columns of both, described (Frictionless Data).",
              "- `report.html`: the findings, timeliness and every reply, one page with nothing to fetch.", "",
              "## How the replies were read", "",
              ("foibot filed each reply under its request, read its kind (acknowledgement, information provided, "
              "not held, refused ...) and cut it into the answer to each question. Each answer's verdict comes "
              "from its own words (\"No communications received\": no; \"exempt under section 43(2)\": "
              "withheld), or from the reply as a whole where it answers no question on its own (a refusal "
              "covering everything: withheld; a \"nothing held\" letter: not held). `not_answered`: the reply "
              "said nothing of that question, or no substantive reply has come (see `status`); `unclear`: it "
              "said something that decides nothing."), "",
              ("Working days follow the Acts: weekends, Christmas Day, Good Friday and bank holidays excluded "
              "(for FOISA bodies, Scottish bank holidays)."), "",
              "## What a person confirmed", "",
              (f"{confirmed} of {len(rows)} verdicts were set or confirmed by a person (`confirmed` = yes); "
              f"{manual_outcomes} request outcomes were set or confirmed by a person (`outcome_confirmed` = yes "
              f"in `outcomes.csv`), and {waiting_outcomes} wait for a person's review (`no`). The rest are "
              "foibot's reading: check the quoted answer before you rely on one."), "",
              "## Personal data", "",
              "Names of officers, direct e-mail addresses and phone numbers in the replies, and the requester's "
              "own name and address, are replaced by `[name redacted]`, `[e-mail redacted]`, `[phone redacted]` "
              "and `[requester]`. Authorities' names and their published FOI addresses are kept."
              + (" Named senior officials (chief executives, directors, chief constables ...) are kept."
                 if keep_officials else ""), ""]
    return "\n".join(lines)


def publish(store: Store, folder: Path, now: datetime, *, run: str | None = None, base_dir: Path | None = None,
            requester_name: str = "", requester_email: str = "", keep_officials: bool = False) -> Published:
    """Write the folder; returns what was written."""
    from .report import build_report

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder {folder}: {exc.strerror}") from exc
    redactor = redactor_for_store(store, requester_name, requester_email, keep_officials)
    items = list(outcomes(store, now, run, base_dir))
    rows = findings(store, items, run, base_dir)
    questions = run_questions(store, base_dir)
    qids = question_ids(store, run, base_dir)
    order = verdict_order([q for qs in questions.values() for q in qs])
    order.extend(sorted({f.verdict for f in rows} - set(order)))
    name = _slug(f"foibot-{run}" if run else "foibot-requests")
    title = f"Freedom of Information requests: {run}" if run else "Freedom of Information requests"
    files = [
        _write(folder / "outcomes.csv", outcomes_csv(items, qids, redactor), "outcome CSV"),
        _write(folder / "answers.csv", answers_csv(rows, redactor), "answers CSV"),
        _write(folder / "datapackage.json",
               json.dumps(datapackage(name, title, columns(qids), order, now), indent=2, ensure_ascii=False) + "\n",
               "data package"),
        _write(folder / "report.html", build_report(store, now, run, redactor=redactor, base_dir=base_dir),
               "report"),
        _write(folder / "README.md", readme(store, items, rows, questions, run, now, keep_officials), "README"),
    ]
    return Published(folder, files, len(items), len(rows))
