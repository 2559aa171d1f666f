"""Rendering requests and chasers: Jinja2, sandboxed, StrictUndefined, every output checked before any send."""

from __future__ import annotations

import functools
import re
import tomllib
import traceback
import weakref
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

# The environment every request and chaser is rendered in (sandboxed, StrictUndefined): the type others name.
TemplateEnvironment = ImmutableSandboxedEnvironment

from .authorities import Authority
from .errors import TemplateError

# What the body is called in the request ("... held by the council"), by kind.
BODY_WORDING: dict[str, dict[str, str]] = {
    "council": {"noun": "council", "the": "the council"},
    "combined_authority": {"noun": "combined authority", "the": "the combined authority"},
    "police_force": {"noun": "force", "the": "the force"},
    "police_commissioner": {"noun": "commissioner's office", "the": "the commissioner's office"},
    "fire_authority": {"noun": "fire authority", "the": "the fire authority"},
    "nhs_body": {"noun": "trust", "the": "the trust"},
    "government_department": {"noun": "department", "the": "the department"},
    "other_public_body": {"noun": "authority", "the": "the authority"},
}

REGIMES: dict[str, dict[str, str]] = {
    "foia": {
        "code": "foia",
        "act": "Freedom of Information Act 2000",
        "short": "FOIA",
        "eir": "Environmental Information Regulations 2004",
        "time_section": "section 10",
        "review": "section 45 code of practice",
        "regulator": "Information Commissioner's Office",
        "regulator_short": "ICO",
        "complaint_section": "section 50",
        "request_name": "Freedom of Information request",
        "commercial_exemption": "section 43(2)",
    },
    "foisa": {
        "code": "foisa",
        "act": "Freedom of Information (Scotland) Act 2002",
        "short": "FOISA",
        "eir": "Environmental Information (Scotland) Regulations 2004",
        "time_section": "section 10",
        "review": "section 20",
        "regulator": "Scottish Information Commissioner",
        "regulator_short": "the Scottish Information Commissioner",
        "complaint_section": "section 47",
        "request_name": "Freedom of Information (Scotland) request",
        "commercial_exemption": "section 33(1)(b)",
    },
}

_LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\[\[|\]\]|\[[A-Z][A-Z0-9 _]{2,}\]|<<[^>]*>>")


@dataclass(frozen=True)
class Question:
    id: str  # q1, q2, ...
    title: str
    text: str  # a Jinja2 template string
    keywords: tuple[str, ...]
    # The verdicts an answer to it can get (empty: the built-in set of understand/question_verdicts.py), and extra
    # phrases per verdict (regexes) that decide one, tried before the built-in ones.
    verdicts: tuple[str, ...] = ()
    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class TemplateSet:
    """A named request template: `<dir>/subject.j2`, `<dir>/body.j2` and the questions in `<dir>/request.toml`."""

    name: str
    directory: Path
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def shipped_templates_dir() -> Path:
    """The templates shipped with foibot: installed inside the package, or the repository's `templates/`."""
    here = Path(__file__).resolve().parent
    installed = here / "_shipped" / "templates"
    return installed if installed.is_dir() else here.parent / "templates"


def template_dirs(base_dir: Path | None) -> list[Path]:
    """A campaign folder's own `templates/` first, then the shipped ones."""
    dirs = []
    if base_dir is not None and (base_dir / "templates").is_dir():
        dirs.append((base_dir / "templates").resolve())
    shipped = shipped_templates_dir()
    if shipped not in dirs:
        dirs.append(shipped)
    return dirs


# A campaigner's own template renders within these (issue 13: 'x' * 3e9, nested ranges and a template that
# includes itself exhausted memory or ended in a traceback). A request letter is a few thousand characters.
MAX_OUTPUT_CHARS = 1_000_000
MAX_RANGE_ITEMS = 100_000  # all the range() items of one rendering together
MAX_INT_ARGUMENT = 1_000_000  # a number given to a method (ljust, center, ...) or a repeat count


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with limits on what one rendering may build: repeats, ranges, big numbers."""

    intercepted_binops = frozenset(["*", "**"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.range_budget = MAX_RANGE_ITEMS
        self.globals["range"] = self._range
        # Filters are called directly, not through call(): each is wrapped with the same checks (the
        # wrapper keeps jinja's pass_context/pass_environment marks, which functools.wraps copies).
        self.filters = {name: _checked(f) for name, f in self.filters.items()}

    def _range(self, *args: int) -> range:
        made = range(*args)
        self.range_budget -= len(made)
        if self.range_budget < 0:
            raise SecurityError(f"the template's loops go over {MAX_RANGE_ITEMS} items in all")
        return made

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError(f"a power of {right} is too big for a template")
        if operator == "*":
            for count, other in ((left, right), (right, left)):
                if (isinstance(count, int) and isinstance(other, (str, list, tuple))
                        and count * max(len(other), 1) > MAX_OUTPUT_CHARS):
                    raise SecurityError("the template repeats text more than "
                                        f"{MAX_OUTPUT_CHARS} characters' worth")
        return super().call_binop(context, operator, left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        return _check_result(super().call(context, obj, *args, **kwargs))


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT_ARGUMENT:
            raise SecurityError(f"the number {value} is too big for a template call")


def _check_result(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_OUTPUT_CHARS:
        raise SecurityError(f"the template builds a value of more than {MAX_OUTPUT_CHARS} characters")
    return value


def _checked(func: Any) -> Any:
    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        return _check_result(func(*args, **kwargs))

    return checked


def _render_bounded(env: jinja2.Environment, template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render, refusing more than MAX_OUTPUT_CHARS of output (stopped as soon as it gets there)."""
    if isinstance(env, BoundedEnvironment):
        env.range_budget = MAX_RANGE_ITEMS
    parts: list[str] = []
    size = 0
    for part in template.generate(context):
        size += len(part)
        if size > MAX_OUTPUT_CHARS:
            raise SecurityError(f"the template renders to more than {MAX_OUTPUT_CHARS} characters")
        parts.append(part)
    return "".join(parts)


def make_environment(dirs: list[Path], html: bool = False) -> ImmutableSandboxedEnvironment:
    return BoundedEnvironment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=html,  # plain-text mail; the workspace's pages are HTML, every value escaped
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def html_environment(folder: Path) -> ImmutableSandboxedEnvironment:
    """Pages of the workspace: every value escaped for HTML (a reply's text is shown, never interpreted)."""
    return make_environment([folder], html=True)


def load_template_set(name: str, base_dir: Path | None = None) -> TemplateSet:
    """`name` is a shipped or campaign template (`fusus`) or a path to a template folder."""
    candidates = [Path(name)] if ("/" in name or Path(name).is_dir()) else []
    candidates += [d / name for d in template_dirs(base_dir)]
    for directory in candidates:
        meta = directory / "request.toml"
        if meta.is_file():
            break
    else:
        raise TemplateError(
            f"no request template named {name!r} (looked for request.toml in "
            + ", ".join(str(c) for c in candidates) + ")"
        )
    for part in ("subject.j2", "body.j2"):
        if not (directory / part).is_file():
            raise TemplateError(f"template {directory} has no {part}")
    try:
        data = tomllib.loads(meta.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{meta}: not valid TOML: {exc}") from exc
    questions = []
    for i, q in enumerate(data.get("questions", []), start=1):
        if not isinstance(q, dict) or not isinstance(q.get("text"), str):
            raise TemplateError(f"{meta}: question {i} needs a text")
        questions.append(
            Question(
                id=str(q.get("id", f"q{i}")),
                title=str(q.get("title", f"Question {i}")),
                text=q["text"],
                keywords=tuple(str(k) for k in q.get("keywords", [])),
                verdicts=_verdicts(q, meta, i),
                phrases=_phrases(q, meta, i),
            )
        )
    return TemplateSet(name=name, directory=directory.resolve(), title=str(data.get("title", name)),
                       questions=tuple(questions))


_VERDICT_NAME = re.compile(r"[a-z][a-z_]{0,30}")


def _verdicts(q: dict[str, Any], meta: Path, number: int) -> tuple[str, ...]:
    """A question's `verdicts = [...]` (optional): names like `yes`, `not_held`."""
    values = q.get("verdicts", [])
    if not isinstance(values, list) or not all(isinstance(v, str) and _VERDICT_NAME.fullmatch(v) for v in values):
        raise TemplateError(f"{meta}: question {number} verdicts must be a list of names like \"yes\", "
                            "\"not_held\" (lower case, underscores)")
    return tuple(dict.fromkeys(values))


def _phrases(q: dict[str, Any], meta: Path, number: int) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A question's `phrases = { verdict = ["regex", ...] }` (optional), each a valid regular expression."""
    table = q.get("phrases", {})
    if not isinstance(table, dict):
        raise TemplateError(f"{meta}: question {number} phrases must be a table of verdict = [\"pattern\", ...]")
    declared = q.get("verdicts") or []
    out = []
    for verdict, patterns in table.items():
        if declared and verdict not in declared:
            raise TemplateError(f"{meta}: question {number} phrases.{verdict}: {verdict!r} is not one of its "
                                "verdicts")
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise TemplateError(f"{meta}: question {number} phrases.{verdict} must be a list of patterns")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise TemplateError(f"{meta}: question {number} phrases.{verdict}: {pattern!r} is not a valid "
                                    f"regular expression ({exc})") from exc
        out.append((str(verdict), tuple(patterns)))
    return tuple(out)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def request_context(
    authority: Authority,
    requester: dict[str, str],
    reference: str,
    sent_on: date,
) -> dict[str, Any]:
    return {
        "authority": authority.as_template_data(),
        "body": BODY_WORDING.get(authority.kind, BODY_WORDING["other_public_body"]),
        "regime": REGIMES[authority.regime],
        "requester": dict(requester),
        "reference": reference,
        "date": long_date(sent_on),
    }


def _template_line(exc: BaseException, filename_hint: str) -> str:
    """`file line N` for the innermost frame inside a template (Jinja rewrites tracebacks so it is there)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name or filename_hint} line {exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") or frame.filename == filename_hint:
            return f"{frame.filename} line {frame.lineno}"
    return filename_hint


# Compiled template strings per environment: compiling a question costs ~1 ms, rendering it ~10 us, and a
# run renders the same three questions for every authority.
_COMPILED: weakref.WeakKeyDictionary[jinja2.Environment, dict[str, jinja2.Template]] = weakref.WeakKeyDictionary()


def _compiled(env: jinja2.Environment, source: str) -> jinja2.Template:
    cache = _COMPILED.setdefault(env, {})
    template = cache.get(source)
    if template is None:
        template = cache[source] = env.from_string(source)
    return template


def render_text(env: jinja2.Environment, source: str, label: str, context: dict[str, Any]) -> str:
    """Render a template string (a question) with the same guards as a template file."""
    try:
        return _render_bounded(env, _compiled(env, source), context)
    except RecursionError as exc:
        raise TemplateError(f"{label}: includes or calls itself without end") from exc
    except (jinja2.TemplateError, TypeError, ValueError, OverflowError, MemoryError) as exc:
        raise TemplateError(f"{label}: {exc}") from exc


def render_file(env: jinja2.Environment, template_name: str, context: dict[str, Any], who: str) -> str:
    try:
        template = env.get_template(template_name)
        text = _render_bounded(env, template, context)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template {template_name} not found") from exc
    except RecursionError as exc:
        raise TemplateError(f"template {template_name} includes or calls itself without end (rendering for "
                            f"{who})") from exc
    except (jinja2.TemplateError, TypeError, ValueError, OverflowError, MemoryError) as exc:
        where = _template_line(exc, template_name)
        raise TemplateError(f"template {where}: {exc} (rendering for {who})") from exc
    leftover = _LEFTOVER.search(text)
    if leftover:
        line = text[: leftover.start()].count("\n") + 1
        source_line = _source_line(env, template_name, leftover.group(0))
        where = f"line {source_line}" if source_line else f"output line {line}"
        raise TemplateError(
            f"template {template_name} {where}: leftover placeholder {leftover.group(0)!r} (rendering for {who})"
        )
    return text


def _source_line(env: jinja2.Environment, template_name: str, token: str) -> int | None:
    """The template line a leftover placeholder was written on, when it is literal text there."""
    if token in ("{{", "}}", "{%", "%}", "{#", "#}") or env.loader is None:
        return None  # Jinja's own delimiters: the text came from the data, not the template
    try:
        source = env.loader.get_source(env, template_name)[0]
    except jinja2.TemplateNotFound:
        return None
    for number, text in enumerate(source.splitlines(), start=1):
        if token in text:
            return number
    return None


def render_request(
    template_set: TemplateSet,
    env: jinja2.Environment,
    authority: Authority,
    requester: dict[str, str],
    reference: str,
    sent_on: date,
) -> Rendered:
    who = f"{authority.id} ({authority.name}, line {authority.line})"
    context = request_context(authority, requester, reference, sent_on)
    meta = template_set.directory / "request.toml"
    context["questions"] = [
        render_text(env, q.text, f"{meta} question {q.id} (rendering for {who})", context)
        for q in template_set.questions
    ]
    prefix = template_set.directory.name
    subject = render_file(env, f"{prefix}/subject.j2", context, who).strip()
    body = render_file(env, f"{prefix}/body.j2", context, who).strip() + "\n"
    if "\n" in subject:
        raise TemplateError(f"template {prefix}/subject.j2 renders to more than one line (rendering for {who})")
    for part, text in (("subject.j2", subject), ("body.j2", body)):
        if reference not in text:
            raise TemplateError(
                f"template {prefix}/{part} must include the reference ({{{{ reference }}}}) so replies "
                "can be matched"
            )
    return Rendered(subject=subject, body=body)


def environment_for(template_set: TemplateSet) -> ImmutableSandboxedEnvironment:
    """An environment whose loader sees the template set's parent folder first."""
    dirs = [template_set.directory.parent] + [d for d in template_dirs(None) if d != template_set.directory.parent]
    return make_environment(dirs)
