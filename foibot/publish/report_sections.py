"""The report's findings, timeliness and per-authority sections (HTML strings; inline SVG, no scripts).

The findings lead: per question, how many authorities gave each verdict and who, with their quoted answer.
Then timeliness: answered within 20 working days, days late, extensions, refusals by exemption, internal
reviews, complaints, by authority kind and nation. The per-authority table can be sorted without a script:
each order is the same table, shown when its link is followed (CSS `:target`).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from ..vocab import Outcome as OutcomeKind
from ..vocab import Status
from .export import Outcome
from .findings import Finding, QuestionInfo, verdict_order
from .redact import Redactor

MAX_QUOTE_CHARS = 400
VERDICT_COLOURS = {"yes": "#b45f06", "no": "#1b7f3b", "not_held": "#3c78d8", "withheld": "#cc0000",
                   "not_answered": "#999999", "unclear": "#674ea7"}

BarChart = Callable[[list[tuple[str, int]], str, str | None], str]


def _words(name: str) -> str:
    return name.replace("_", " ")


def _questions(rows: Sequence[Finding]) -> list[QuestionInfo]:
    seen: dict[str, QuestionInfo] = {}
    for f in rows:
        seen.setdefault(f.question.id, f.question)
    return list(seen.values())


def findings_section(rows: Sequence[Finding], redactor: Redactor, bar_chart: BarChart) -> str:
    questions = _questions(rows)
    if not questions:
        return ('<section id="findings"><h2>Findings</h2><p>The request template declares no questions, so '
                "there are no answers to compare.</p></section>")
    order = verdict_order(questions)
    answered = {f.outcome.id for f in rows if f.answered}
    asked = {f.outcome.id for f in rows}
    out = ['<section id="findings"><h2>Findings</h2>',
           (f'<p class="lead">{len(answered)} of {len(asked)} authorities have answered; '
           f"{len(asked) - len(answered)} have not yet. Each answer's verdict is read from its own words (the "
           "quoted sentence); a person confirmed those marked ✔.</p>")]
    for q in questions:
        mine = [f for f in rows if f.question.id == q.id and f.answered]
        counts = Counter(f.verdict for f in mine)
        chart_rows = [(v, counts[v]) for v in order if counts.get(v)]
        out.append(f'<article class="question" id="finding-{escape(q.id)}"><h3>{escape(q.id)}: '
                   f"{escape(q.title)}</h3>")
        out.append(bar_chart(chart_rows, f"verdicts-{q.id}", None) if chart_rows
                   else '<p class="empty">No answers yet.</p>')
        body = []
        for verdict in [v for v in order if counts.get(v)]:
            who = sorted((f for f in mine if f.verdict == verdict), key=lambda f: f.outcome.authority.lower())
            items = "".join(_quote(f, redactor) for f in who)
            body.append(f'<tr class="v-{escape(verdict)}"><td><b>{escape(_words(verdict))}</b></td>'
                        f"<td class=num>{len(who)}</td><td><ul class=quotes>{items}</ul></td></tr>")
        waiting = len(asked) - len(answered)
        if waiting:
            body.append(f"<tr><td>no answer yet</td><td class=num>{waiting}</td><td></td></tr>")
        out.append('<table class="verdicts"><thead><tr><th>verdict</th><th>authorities</th><th>who, in their words'
                   f"</th></tr></thead><tbody>{''.join(body)}</tbody></table></article>")
    out.append("</section>")
    return "".join(out)


def _quote(f: Finding, redactor: Redactor) -> str:
    text = " ".join(redactor.redact(f.answer or f.sentence).split())
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rstrip() + "…"
    extra = []
    if f.exemption:
        extra.append(escape(f.exemption))
    if f.source:
        extra.append(escape(f.source))
    tail = f' <span class="src">({"; ".join(extra)})</span>' if extra else ""
    mark = ' <span class="ok" title="confirmed by a person">✔</span>' if f.confirmed else ""
    quoted = f" “{escape(text)}”" if text else ""
    return (f'<li><a href="#{escape(f.outcome.reference)}">{escape(f.outcome.authority)}</a>{mark}:'
            f"{quoted}{tail}</li>")


# --- timeliness -------------------------------------------------------------------------------------------


def _sent(items: Sequence[Outcome]) -> list[Outcome]:
    return [i for i in items if i.sent_at and i.base_status != Status.FAILED]


def _group_row(label: str, items: Sequence[Outcome]) -> dict[str, Any]:
    sent = _sent(items)
    within = [i for i in sent if i.working_days_taken is not None and i.working_days_taken <= 20 and i.outcome]
    late = [i.days_late for i in sent if i.days_late]
    refusals = [i for i in sent if i.outcome in (OutcomeKind.REFUSED, OutcomeKind.NEITHER_CONFIRM_NOR_DENY)]
    return {
        "label": label,
        "sent": len(sent),
        "answered": sum(1 for i in sent if i.outcome),
        "within": len(within),
        "share": f"{len(within) / len(sent):.0%}" if sent else "–",
        "median_late": f"{statistics.median(late):g}" if late else "–",
        "worst_late": str(max(late)) if late else "–",
        "extensions": sum(1 for i in sent if i.extension_at),
        "refused": len(refusals),
        "reviews": sum(1 for i in sent if i.review_requested_at),
        "review_results": sum(1 for i in sent if i.review_result_at),
        "complaints": sum(1 for i in sent if i.complaint_file),
    }


_GROUP_HEAD = (("label", ""), ("sent", "sent"), ("answered", "answered"),
               ("within", "within 20 working days"), ("share", "share"), ("median_late", "median days late"),
               ("worst_late", "worst days late"), ("extensions", "extensions claimed"),
               ("refused", "refused"), ("reviews", "internal reviews asked"),
               ("review_results", "review results"), ("complaints", "complaints written"))


def timeliness_section(items: Sequence[Outcome]) -> str:
    total = _group_row("all authorities", items)
    facts = [
        (f"{total['share']}", f"answered within 20 working days ({total['within']} of {total['sent']})"),
        (total["median_late"], "median working days late (of those late)"),
        (total["worst_late"], "worst working days late"),
        (str(total["extensions"]), "extensions claimed"),
        (str(total["refused"]), "refused"),
        (str(total["reviews"]), "internal reviews asked"),
        (str(total["complaints"]), "complaints written for the regulator"),
    ]
    cells = "".join(f'<div class="fact"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in facts)
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    by_nation: dict[str, list[Outcome]] = defaultdict(list)
    for i in items:
        by_kind[i.kind or "other"].append(i)
        by_nation[i.jurisdiction or "unknown"].append(i)
    rows = [_tr(total, "total")]
    rows.append('<tr class="sub"><th colspan="12">by kind of authority</th></tr>')
    rows += [_tr(_group_row(_words(k), v)) for k, v in sorted(by_kind.items())]
    rows.append('<tr class="sub"><th colspan="12">by nation</th></tr>')
    rows += [_tr(_group_row(_words(k), v)) for k, v in sorted(by_nation.items())]
    head = "".join(f"<th>{escape(h)}</th>" for _, h in _GROUP_HEAD)
    reviews = _refusals(items) + _review_outcomes(items)
    return ('<section id="timeliness"><h2>Timeliness</h2>'
            f'<section class="facts">{cells}</section>'
            f'<div class=scroll><table class="groups"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
            f"</tbody></table></div>{reviews}</section>")


def _tr(row: dict[str, Any], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    cells = [f"<td>{escape(str(row['label']))}</td>"] + [
        f"<td class=num>{escape(str(row[key]))}</td>" for key, _ in _GROUP_HEAD[1:]]
    return f"<tr{attr}>{''.join(cells)}</tr>"


def _refusals(items: Sequence[Outcome]) -> str:
    refused = [i for i in items if i.outcome in (OutcomeKind.REFUSED, OutcomeKind.NEITHER_CONFIRM_NOR_DENY)]
    if not refused:
        return ""
    counts = Counter(e for i in refused for e in (i.exemptions or ["(no exemption named)"]))
    text = ", ".join(f"{e}: {n}" for e, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"<p>Refusals by exemption: {escape(text)}.</p>"


def _review_outcomes(items: Sequence[Outcome]) -> str:
    reviewed = [i for i in items if i.review_requested_at]
    if not reviewed:
        return ""
    done = Counter(_words(i.outcome or "no result yet") if i.review_result_at else "no result yet"
                   for i in reviewed)
    text = ", ".join(f"{k}: {n}" for k, n in sorted(done.items()))
    return f"<p>Internal reviews: {len(reviewed)} asked; outcome now {escape(text)}.</p>"


# --- the per-authority table, sortable without a script ----------------------------------------------------


def _late_key(i: Outcome) -> tuple[Any, ...]:
    return (-(i.days_late or 0), i.authority.lower())


def authority_table(items: Sequence[Outcome], rows: Sequence[Finding], reply_links: dict[int, str],
                    day: Callable[[Any], str]) -> str:
    questions = _questions(rows)
    verdicts: dict[tuple[int, str], Finding] = {(f.outcome.id, f.question.id): f for f in rows}
    order = verdict_order(questions)
    sorts: list[tuple[str, str, Callable[[Outcome], Any]]] = [
        ("days-late", "days late", _late_key),
        ("working-days", "working days taken",
         lambda i: (i.working_days_taken is None, -(i.working_days_taken or 0), i.authority.lower())),
        ("kind", "kind", lambda i: (i.kind, i.authority.lower())),
        ("nation", "nation", lambda i: (i.jurisdiction, i.authority.lower())),
        ("status", "status", lambda i: (i.status, i.outcome or "", i.authority.lower())),
        ("channel", "channel", lambda i: (i.channel, i.authority.lower())),
    ]

    def by_verdict(qid: str) -> Callable[[Outcome], Any]:
        def key(i: Outcome) -> tuple[int, str]:
            f = verdicts.get((i.id, qid))
            rank = order.index(f.verdict) if f and f.answered and f.verdict in order else len(order)
            return rank, i.authority.lower()

        return key

    for q in questions:
        sorts.append((f"verdict-{q.id}", f"{q.id} verdict", by_verdict(q.id)))
    links = " · ".join([f'<a href="#by-{key}">{escape(label)}</a>' for key, label, _ in sorts]
                       + ['<a href="#every-authority">authority (A–Z)</a>'])
    head = ["authority", "kind", "nation", "channel", "status", "outcome", *(f"{q.id}" for q in questions), "their ref",
            "exemptions", "sent", "due", "answered", "working days", "days late", "chases", "replies"]
    thead = "".join(f"<th>{escape(h)}</th>" for h in head)

    def table(ordered: Sequence[Outcome], with_ids: bool) -> str:
        body = []
        for i in ordered:
            ident = f' id="{escape(i.reference)}"' if with_ids else ""
            cells = [f"<td>{escape(i.authority)}</td>", f"<td>{escape(_words(i.kind))}</td>",
                     f"<td>{escape(_words(i.jurisdiction))}</td>", f"<td>{escape(_words(i.channel))}</td>",
                     f"<td class=st>{escape(_words(i.status))}</td>",
                     f"<td>{escape(_words(i.outcome or ''))}</td>"]
            for q in questions:
                f = verdicts.get((i.id, q.id))
                value = f.verdict if f and f.answered else ""
                cells.append(f'<td class="v-{escape(value)}">{escape(_words(value))}</td>')
            cells += [f"<td>{escape(i.authority_ref or '')}</td>", f"<td>{escape('; '.join(i.exemptions))}</td>",
                      f"<td class=d>{day(i.sent_at)}</td>", f"<td class=d>{day(i.due_date)}</td>",
                      f"<td class=d>{day(i.outcome_at)}</td>",
                      f"<td class=num>{'' if i.working_days_taken is None else i.working_days_taken}</td>",
                      f"<td class=num>{'' if i.days_late is None else i.days_late}</td>",
                      f"<td class=num>{i.chases}</td>", f"<td>{reply_links.get(i.id, '')}</td>"]
            body.append(f'<tr{ident} class="{escape(i.status)}">{"".join(cells)}</tr>')
        return (f'<div class=scroll><table class=authorities><thead><tr>{thead}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table></div>")

    variants = []
    for key, label, sort_key in sorts:
        variants.append(f'<div class="sorted" id="by-{key}"><p class=meta>Sorted by {escape(label)}.</p>'
                        f"{table(sorted(items, key=sort_key), False)}</div>")
    variants.append(f'<div class="sorted default"><p class=meta>Sorted by authority.</p>{table(items, True)}</div>')
    return (f'<section id="every-authority"><h2>Every authority</h2><p class="sort">Sort by: {links}</p>'
            f'<div class="sorts">{"".join(variants)}</div></section>')


CSS = """
.lead{font-size:1.05em}
.question{margin:1em 0 1.6em}.question h3{margin-bottom:.3em}
table.verdicts td:first-child{white-space:nowrap}
ul.quotes{margin:0;padding-left:1.1em}ul.quotes li{margin:.15em 0}
.src{color:#666;font-size:.9em}.ok{color:#1b7f3b}
tr.sub th{text-align:left;background:#fafafa;font-weight:600}tr.total td{font-weight:600}
td.v-yes{color:#b45f06;font-weight:600}td.v-withheld{color:#c00}td.v-no{color:#1b7f3b}
.sorted{display:none}.sorted:target{display:block}.sorted.default{display:block}
.sorted:target ~ .sorted.default{display:none}
"""
