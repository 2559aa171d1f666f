"""`foibot report`: one self-contained HTML page a campaigner can publish (inline CSS and SVG, no scripts).

Nothing in the page is fetched from anywhere (a Content-Security-Policy says so to the browser too), and
every piece of text that came from outside (authority names, subjects, replies, file names) goes through
`html.escape`, so a reply's HTML is shown as text and never runs.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from html import escape
from pathlib import Path

from ..clock import LONDON, from_iso, london_date
from ..files import write_atomic
from ..store import Store
from .export import Outcome, outcomes
from .findings import findings
from .redact import Redactor
from .report_sections import CSS as SECTIONS_CSS
from .report_sections import VERDICT_COLOURS, authority_table, findings_section, timeliness_section
from .status import OUTCOME_ORDER, STATUS_ORDER

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
MAX_REPLY_CHARS = 20_000
DAY_BINS = ((0, 5), (6, 10), (11, 15), (16, 20), (21, 30), (31, 40), (41, None))
COLOURS = {
    "information_provided": "#1b7f3b", "partially_provided": "#6aa84f", "not_held": "#3c78d8",
    "refused": "#cc0000", "neither_confirm_nor_deny": "#990000", "(none yet)": "#999999",
    "answered": "#1b7f3b", "awaiting_response": "#3c78d8", "awaiting_clarification": "#b45f06",
    "overdue": "#cc0000", "internal_review": "#e69138", "failed": "#666666", "withdrawn": "#999999",
    "queued": "#bbbbbb", "answered on time": "#1b7f3b", "answered late": "#e69138",
    "still owed, late": "#cc0000",
}
DEFAULT_COLOUR = "#674ea7"
# Replies only: a copy of one of our own messages that came back into the mailbox is not shown.
_THEIRS = "COALESCE(m.match_method, '') != 'own_message'"


@dataclass
class Reply:
    message_id: int
    request_id: int
    received: datetime | None
    from_addr: str
    subject: str
    kind: str
    text: str
    attachments: list[tuple[str, str, str]]  # (file name, content type, extracted text)


def build_report(store: Store, now: datetime, run: str | None = None, *, redactor: Redactor | None = None,
                 base_dir: Path | None = None) -> str:
    """The whole page as a string: the findings first, then timeliness, every authority, every reply.

    Text from replies goes through `redactor` (officers' names, direct addresses, phone numbers out)."""
    redactor = redactor or Redactor()
    items = list(outcomes(store, now, run, base_dir))
    rows = findings(store, items, run, base_dir)
    replies = _replies(store, run)
    title = f"Freedom of Information requests: {run}" if run else "Freedom of Information requests"
    links = {i.id: " ".join(f'<a href="#reply-{r.message_id}">{n}</a>'
                            for n, r in enumerate(replies.get(i.id, []), start=1)) for i in items}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        '<link rel="icon" href="data:,">',  # or the browser asks the server for /favicon.ico
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}{SECTIONS_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        (f'<p class="meta">{len(items)} request(s); figures as of {london_date(now).isoformat()}. '
         "Made by foibot.</p>"),
        findings_section(rows, redactor, _verdict_chart),
        timeliness_section(items),
        _summary(items),
        '<div class="charts">',
        _figure("Outcomes", _bar_chart(_ordered(Counter(i.outcome or "(none yet)" for i in items),
                                                OUTCOME_ORDER + ("(none yet)",)), "outcomes")),
        _figure("Status", _bar_chart(_ordered(Counter(i.status for i in items), STATUS_ORDER), "status")),
        _figure("On time or late", _bar_chart(_timeliness(items), "timeliness")),
        _figure("Working days taken to answer", _bar_chart(_days_histogram(items), "days", colour="#3c78d8")),
        "</div>",
        _exemptions(items),
        _late(items),
        authority_table(items, rows, links, _day),
        _reply_texts(items, replies, redactor),
        _problems(store, redactor),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _verdict_chart(rows: list[tuple[str, int]], name: str, colour: str | None) -> str:
    chart = _bar_chart(rows, name, colour)
    for verdict, fill in VERDICT_COLOURS.items():  # each verdict its own colour
        chart = chart.replace(f'fill="{DEFAULT_COLOUR}"><title>{verdict}:', f'fill="{fill}"><title>{verdict}:')
    return chart


def _problems(store: Store, redactor: Redactor) -> str:
    """Messages set aside because reading them failed: the campaign may be missing a reply there."""
    rows = list(store.db.execute(
        "SELECT id, created_at, from_addr, quarantine_reason FROM messages WHERE direction = 'in' "
        "AND state = 'quarantined' ORDER BY id LIMIT 200"))
    if not rows:
        return ""
    items = "".join(f"<li>Message {row[0]} ({escape(str(row[1] or '')[:10])}, from {escape(redactor.redact(row[2] or 'unknown'))}): "
                    f"{escape(redactor.redact(row[3] or ''))}</li>" for row in rows)
    return (f'<section id="problems"><h2>Problems</h2><p>{len(rows)} message(s) could not be read within the '
            f"limits and are quarantined (their bytes are kept; foibot retry MESSAGE reads one again):</p>"
            f"<ul>{items}</ul></section>")


def write_report(store: Store, path: Path, now: datetime, run: str | None = None, *,
                 redactor: Redactor | None = None, base_dir: Path | None = None) -> Path:
    page = build_report(store, now, run, redactor=redactor, base_dir=base_dir)
    return write_atomic(path, page, what="report", mode=0o644)


# --- data -------------------------------------------------------------------------------------------------


def _replies(store: Store, run: str | None) -> dict[int, list[Reply]]:
    where = "AND r.run = ?" if run else ""
    params = [run] if run else []
    by_request: dict[int, list[Reply]] = defaultdict(list)
    files: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for row in store.db.query(
        "SELECT f.message_id, f.filename, f.content_type, f.text FROM attachments f "
        "JOIN messages m ON m.id = f.message_id JOIN requests r ON r.id = m.request_id "
        f"WHERE m.direction = 'in' AND m.triage = 0 AND {_THEIRS} {where} "
        "ORDER BY f.message_id, f.part_index",
        params,
    ):
        files[row["message_id"]].append(
            (row["filename"] or "(no name)", row["content_type"] or "", row["text"] or "")
        )
    for row in store.db.query(
        "SELECT m.id, m.request_id, m.created_at, m.from_addr, m.subject, m.kind, m.text, "
        "CASE WHEN m.text IS NULL THEN m.raw END AS raw "
        "FROM messages m JOIN requests r ON r.id = m.request_id "
        f"WHERE m.direction = 'in' AND m.triage = 0 AND {_THEIRS} {where} "
        "ORDER BY m.request_id, m.created_at, m.id",
        params,
    ):
        text = row["text"] if row["text"] is not None else _plain_text(row["raw"])
        by_request[row["request_id"]].append(
            Reply(
                message_id=row["id"],
                request_id=row["request_id"],
                received=from_iso(row["created_at"]),
                from_addr=row["from_addr"] or "",
                subject=row["subject"] or "",
                kind=row["kind"] or "",
                text=text,
                attachments=files.get(row["id"], []),
            )
        )
    return by_request


def _plain_text(raw: bytes | None) -> str:
    """A reply not parsed yet: its plain-text part, or its source (escaped like everything else)."""
    if not raw:
        return ""
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        if body is not None:
            return str(body.get_content())
    except Exception:  # noqa: BLE001, S110 - a broken message is still shown, as its bytes
        pass
    return raw.decode("utf-8", "replace")


def _ordered(counter: Counter[str], order: tuple[str, ...]) -> list[tuple[str, int]]:
    names = [n for n in order if counter.get(n)] + sorted(n for n in counter if n not in order)
    return [(n, counter[n]) for n in names]


def _timeliness(items: list[Outcome]) -> list[tuple[str, int]]:
    on_time = sum(1 for i in items if i.outcome and i.on_time)
    answered_late = sum(1 for i in items if i.outcome and i.on_time is False)
    owed_late = sum(1 for i in items if not i.outcome and i.on_time is False)
    rows = [("answered on time", on_time), ("answered late", answered_late), ("still owed, late", owed_late)]
    return [(label, n) for label, n in rows if n]


def _days_histogram(items: list[Outcome]) -> list[tuple[str, int]]:
    days = [i.working_days_taken for i in items if i.working_days_taken is not None]
    rows = []
    for low, high in DAY_BINS:
        n = sum(1 for d in days if d >= low and (high is None or d <= high))
        rows.append((f"{low}-{high}" if high is not None else f"{low}+", n))
    while rows and rows[-1][1] == 0:
        rows.pop()
    return rows


# --- pieces of the page -----------------------------------------------------------------------------------


def _summary(items: list[Outcome]) -> str:
    answered = [i for i in items if i.outcome]
    days = [i.working_days_taken for i in answered if i.working_days_taken is not None]
    facts = [
        ("requests", str(len(items))),
        ("answered", str(len(answered))),
        ("answered on time", str(sum(1 for i in answered if i.on_time))),
        ("late, still owed", str(sum(1 for i in items if not i.outcome and i.on_time is False))),
        ("refused", str(sum(1 for i in items if i.outcome in ("refused", "neither_confirm_nor_deny")))),
        ("median working days to answer", f"{statistics.median(days):g}" if days else "–"),
        ("sent by web form or post", str(sum(1 for i in items if i.channel != "email"))),
        ("addresses found wrong", str(sum(len(i.wrong_addresses) for i in items))),
    ]
    cells = "".join(f'<div class="fact"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for k, v in facts)
    return f'<section class="facts">{cells}</section>'


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{svg}</figure>"


def _bar_chart(rows: list[tuple[str, int]], name: str, colour: str | None = None) -> str:
    """A horizontal bar chart as inline SVG: a label, a bar and its count per row."""
    if not rows:
        return '<p class="empty">Nothing yet.</p>'
    label_w, bar_w, count_w, row_h = 190, 230, 46, 24
    width, height = label_w + bar_w + count_w, row_h * len(rows) + 4
    top = max(n for _, n in rows) or 1
    out = [
        (f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" role="img" '
         f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'),
        f"<title>{escape(', '.join(f'{label}: {n}' for label, n in rows))}</title>",
    ]
    for index, (label, n) in enumerate(rows):
        y = index * row_h + 2
        length = round(bar_w * n / top) if n else 0
        fill = colour or COLOURS.get(label, DEFAULT_COLOUR)
        out.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(label.replace("_", " "))}</text>'
        )
        out.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(length, 1)}" height="{row_h - 8}" '
            f'fill="{fill}"><title>{escape(label)}: {n}</title></rect>'
        )
        out.append(f'<text x="{label_w + length + 6}" y="{y + 16}">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def _exemptions(items: list[Outcome]) -> str:
    counts: Counter[str] = Counter(e for i in items for e in i.exemptions)
    if not counts:
        return "<section><h2>Exemptions cited</h2><p>No exemption cited so far.</p></section>"
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    who: dict[str, list[str]] = defaultdict(list)
    for i in items:
        for e in i.exemptions:
            who[e].append(i.authority)
    table = "".join(
        f"<tr><td>{escape(e)}</td><td class=num>{n}</td><td>{escape(', '.join(who[e]))}</td></tr>"
        for e, n in rows
    )
    return (
        "<section><h2>Exemptions cited</h2>"
        + _figure("Exemptions cited, by how many authorities", _bar_chart(rows, "exemptions", "#cc0000"))
        + f"<table><thead><tr><th>exemption</th><th>times</th><th>cited by</th></tr></thead>"
        f"<tbody>{table}</tbody></table></section>"
    )


def _late(items: list[Outcome]) -> str:
    late = sorted(
        (i for i in items if not i.outcome and i.on_time is False),
        key=lambda i: (i.due_date, i.authority.lower()),
    )
    if not late:
        return ""
    rows = "".join(
        f"<tr><td>{escape(i.authority)}</td><td class=d>{_day(i.due_date)}</td>"
        f"<td class=num>{i.days_late}</td>"
        f"<td>{escape((i.chase_stage or '–').replace('_', ' '))}</td></tr>"
        for i in late
    )
    return (
        f"<section><h2>Late: {len(late)} still owed past the due date</h2><table><thead><tr>"
        "<th>authority</th><th>due</th><th>working days late</th><th>chased</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _reply_texts(items: list[Outcome], replies: dict[int, list[Reply]], redactor: Redactor) -> str:
    out = ["<section><h2>The replies</h2>"]
    any_reply = False
    for i in items:
        for n, r in enumerate(replies.get(i.id, []), start=1):
            any_reply = True
            text = redactor.redact(r.text)
            text = text if len(text) <= MAX_REPLY_CHARS else text[:MAX_REPLY_CHARS] + "\n[… cut here …]"
            out.append(
                f'<article class="reply" id="reply-{r.message_id}"><h3>{escape(i.authority)}: reply {n}'
                f"{' (' + escape(r.kind.replace('_', ' ')) + ')' if r.kind else ''}</h3>"
                f'<p class="meta">{escape(_moment(r.received))} · from {escape(redactor.redact(r.from_addr))} · '
                f'{escape(redactor.redact(r.subject))} · <a href="#{escape(i.reference)}">back to the table</a></p>'
                f"<pre>{escape(text)}</pre>{_attachments(r.attachments, redactor)}</article>"
            )
    if not any_reply:
        out.append("<p>No replies yet.</p>")
    out.append("</section>")
    return "".join(out)


def _attachments(files: Iterable[tuple[str, str, str]], redactor: Redactor) -> str:
    parts = []
    for name, content_type, raw_text in files:
        text = redactor.redact(raw_text)
        body = (
            f"<pre>{escape(text[:MAX_REPLY_CHARS])}</pre>"
            if text.strip()
            else "<p>(no text could be read from it)</p>"
        )
        parts.append(
            f"<details><summary>Attachment: {escape(name)} ({escape(content_type)})</summary>{body}</details>"
        )
    return "".join(parts)


def _words(name: str) -> str:
    """`not_held` as `not held`: the vocabulary, readable."""
    return name.replace("_", " ")


def _day(value: datetime | object | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return london_date(value).isoformat()
    return escape(str(value))


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;
max-width:1200px;padding:1em 1.5em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:.9em}
.facts{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}
.fact{border:1px solid #ddd;border-radius:6px;padding:.5em .9em;min-width:8em}
.fact b{display:block;font-size:1.6em}.fact span{color:#555;font-size:.85em}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}
svg.chart{max-width:100%;height:auto;font-size:13px}svg.chart text{fill:#222}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0}
th,td{border-bottom:1px solid #e5e5e5;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right}td.d{white-space:nowrap}
.scroll{overflow-x:auto}
tr.overdue td.st{color:#c00;font-weight:600}
pre{white-space:pre-wrap;word-wrap:break-word;background:#f8f8f8;border:1px solid #eee;padding:.7em;
font-size:.85em;max-height:40em;overflow:auto}
.reply{margin-bottom:1.5em}.reply h3{margin-bottom:.1em}
details{margin:.4em 0}summary{cursor:pointer}
@media print{pre{max-height:none}}
"""
