"""Templates: sandboxed, strict, and checked for every authority before anything is sent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support.run import authorities_csv, foibot

from foibot.authorities import JURISDICTIONS, KINDS, Authority
from foibot.errors import TemplateError
from foibot.render import environment_for, load_template_set, render_request

REQUESTER = {"name": "Alex Campaigner", "email": "alex@example.org", "postal_address": ""}
REF = "FB-7K3Q9X"


def authority(kind: str = "council", jurisdiction: str = "england", **extra: str) -> Authority:
    return Authority("barnet", "London Borough of Barnet", "foi@barnet.gov.uk", kind, jurisdiction, extra, line=7)


def render(template: str = "fusus", base: Path | None = None, who: Authority | None = None):  # type: ignore[no-untyped-def]
    template_set = load_template_set(template, base)
    return render_request(template_set, environment_for(template_set), who or authority(), REQUESTER, REF,
                          date(2023, 4, 17))


def make_template(base: Path, body: str, subject: str = "FOI [ref {{ reference }}]", questions: str = "") -> None:
    folder = base / "templates" / "mine"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "request.toml").write_text('title = "Mine"\n' + questions, encoding="utf-8")
    (folder / "subject.j2").write_text(subject, encoding="utf-8")
    (folder / "body.j2").write_text(body, encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_the_fusus_request_renders_for_every_kind_and_jurisdiction(kind: str, jurisdiction: str) -> None:
    rendered = render(who=authority(kind, jurisdiction))
    assert REF in rendered.subject and f"Please quote our reference {REF}" in rendered.body
    assert rendered.body.startswith("Dear London Borough of Barnet,")
    assert rendered.body.count("Fusus") >= 3 and "\n1. " in rendered.body and "\n3. " in rendered.body
    if jurisdiction == "scotland":
        assert rendered.subject == f"Freedom of Information (Scotland) request: Fusus [ref {REF}]"
        assert "Freedom of Information (Scotland) Act 2002" in rendered.body
    else:
        assert rendered.subject == f"Freedom of Information request: Fusus [ref {REF}]"
        assert "Freedom of Information Act 2000" in rendered.body


@pytest.mark.parametrize("kind, wording", [
    ("council", "held by the council"), ("police_force", "held by the force"),
    ("police_commissioner", "held by the commissioner's office"),
    ("combined_authority", "held by the combined authority"),
])
def test_the_body_names_the_authority_the_way_it_is(kind: str, wording: str) -> None:
    assert wording in render(who=authority(kind)).body


def test_an_undefined_variable_names_the_authority_and_the_template_line(campaign: Path) -> None:
    make_template(campaign, "Dear {{ authority.name }},\n\nAt {{ authority.postcode }}.\nRef {{ reference }}\n")
    with pytest.raises(TemplateError) as caught:
        render("mine", campaign)
    message = str(caught.value)
    assert "mine/body.j2 line 3" in message and "postcode" in message
    assert "barnet (London Borough of Barnet, line 7)" in message


def test_an_extra_csv_column_is_available_to_templates(campaign: Path) -> None:
    make_template(campaign, "At {{ authority.postcode }}.\nRef {{ reference }}\n")
    assert "At EN5 1AB." in render("mine", campaign, authority(postcode="EN5 1AB")).body


def test_an_undefined_variable_in_a_question_names_the_question(campaign: Path) -> None:
    make_template(campaign, "{% for q in questions %}{{ q }}\n{% endfor %}Ref {{ reference }}\n",
                  questions='[[questions]]\nid = "q7"\ntext = "Do you hold {{ nothing }}?"\n')
    with pytest.raises(TemplateError, match=r"question q7 \(rendering for barnet"):
        render("mine", campaign)


@pytest.mark.parametrize("leftover", ["[AUTHORITY NAME]", "[[name]]", "<<name>>", "{{", "%}"])
def test_a_leftover_placeholder_stops_the_run(campaign: Path, leftover: str) -> None:
    make_template(campaign, "Dear {{ authority.name }},\n\nPlease reply to {% raw %}" + leftover +
                  "{% endraw %}.\nRef {{ reference }}\n")
    with pytest.raises(TemplateError) as caught:
        render("mine", campaign)
    message = str(caught.value)
    where = "output line 3" if leftover in ("{{", "%}") else "line 3"  # Jinja's own delimiters: from the data
    assert message.startswith(f"template mine/body.j2 {where}: leftover placeholder")
    assert f"placeholder {leftover!r}" in message or f"placeholder {leftover[:2]!r}" in message
    assert "rendering for barnet" in message


def test_template_syntax_from_the_csv_is_never_evaluated(campaign: Path) -> None:
    make_template(campaign, "Ref {{ reference }}\n\nDear {{ authority.name }},\n")
    with pytest.raises(TemplateError, match=r"mine/body.j2 output line 3: leftover placeholder '\{\{'"):
        render("mine", campaign, Authority("x", "{{ 7 * 7 }}", "foi@x.gov.uk", "council", "england"))


def test_the_sandbox_refuses_to_reach_python_internals(campaign: Path) -> None:
    make_template(campaign, "{{ authority.__class__.__mro__ }}\nRef {{ reference }}\n")
    with pytest.raises(TemplateError):
        render("mine", campaign)


@pytest.mark.parametrize("subject, body, expected", [
    ("FOI\n[ref {{ reference }}]\nmore", "Ref {{ reference }}\n", "renders to more than one line"),
    ("FOI request", "Ref {{ reference }}\n", "subject.j2 must include the reference"),
    ("FOI [ref {{ reference }}]", "No reference here\n", "body.j2 must include the reference"),
    ("FOI [ref {{ reference }}]", "{% if %}\n", "line 1"),
])
def test_a_template_that_cannot_work_is_refused(campaign: Path, subject: str, body: str, expected: str) -> None:
    make_template(campaign, body, subject)
    with pytest.raises(TemplateError, match=expected):
        render("mine", campaign)


def test_an_unknown_template_lists_where_it_looked(campaign: Path) -> None:
    with pytest.raises(TemplateError, match="no request template named 'nope'"):
        load_template_set("nope", campaign)


def test_a_campaign_folder_template_wins_over_the_shipped_one(campaign: Path) -> None:
    folder = campaign / "templates" / "fusus"
    folder.mkdir(parents=True)
    (folder / "request.toml").write_text('title = "Local"\n')
    (folder / "subject.j2").write_text("Local request [ref {{ reference }}]")
    (folder / "body.j2").write_text("Local body {{ reference }}\n")
    assert render("fusus", campaign).subject == f"Local request [ref {REF}]"


def test_a_leftover_placeholder_through_the_cli_sends_nothing(campaign: Path) -> None:
    make_template(campaign, "Dear [NAME],\nRef {{ reference }}\n")
    authorities_csv(campaign, 2)
    result = foibot("send", "--run", "r", "--template", "mine")
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "leftover placeholder '[NAME]'" in result.stderr and "council-0 (Council Number 0, line 2)" in result.stderr
    assert not (campaign / "foibot.db").exists() and not (campaign / "sandbox-mail").exists()
