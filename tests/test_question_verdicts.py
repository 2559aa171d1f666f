"""Verdicts per question (understand/question_verdicts.py): table-driven, on the labelled fixtures, and as templates declare them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foibot.errors import TemplateError
from foibot.render import load_template_set
from foibot.understand import VERDICTS, Vocabulary, judge_answer, judge_reply, locate, vocabularies
from foibot.understand.read import read_file

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "verdicts"


@pytest.mark.parametrize(("answer", "kind", "exemptions", "verdict", "exemption"), [
    ("No communications received.", "not_held", (), "no", ""),
    ("I confirm that the authority has not been in communication with Fusus.", "not_held", (), "no", ""),
    ("N/A", "information_provided", (), "no", ""),
    ("None.", "information_provided", (), "no", ""),
    ("Nil.", "information_provided", (), "no", ""),
    ("The force has never been approached by the company.", "not_held", (), "no", ""),
    ("Yes. Fusus e-mailed two officers in 2025.", "information_provided", (), "yes", ""),
    ("The council holds some information: Fusus sent a brochure.", "partially_provided", (), "yes", ""),
    ("Copies are attached.", "information_provided", (), "yes", ""),
    ("The council does not hold this information.", "not_held", (), "not_held", ""),
    ("No recorded information is held.", "not_held", (), "not_held", ""),
    ("Not held.", "not_held", (), "not_held", ""),
    ("This information is exempt under section 43(2) of the Act.", "refused", ("s43(2)",), "withheld", "s43(2)"),
    ("Withheld under section 31(1)(a).", "partially_provided", ("s31(1)(a)",), "withheld", "s31(1)(a)"),
    ("Answering would exceed the appropriate limit.", "refused", ("s12(1)",), "withheld", "s12(1)"),
    ("The force neither confirms nor denies that it holds this information.", "neither_confirm_nor_deny",
     ("s24(2)",), "withheld", "s24(2)"),
    ("", "refused", ("s12(1)",), "withheld", "s12(1)"),  # a refusal covering the whole request
    ("", "neither_confirm_nor_deny", ("s23(5)",), "withheld", "NCND s23(5)"),
    ("", "not_held", (), "not_held", ""),
    ("", "information_provided", (), "not_answered", ""),
    ("", None, (), "not_answered", ""),
    ("Suppliers are listed in the procurement register.", "information_provided", (), "unclear", ""),
    ("Suppliers are listed in the procurement register.", "refused", ("s12(1)",), "withheld", "s12(1)"),
    # The first sentence that decides wins; the names withheld later do not make the copies a refusal.
    ("We have provided copies. Staff names are withheld under section 40(2).", "partially_provided",
     ("s40(2)",), "yes", ""),
])
def test_verdicts(answer: str, kind: str | None, exemptions: tuple[str, ...], verdict: str, exemption: str) -> None:
    found = judge_answer(answer, kind, exemptions)
    assert (found.verdict, found.exemption) == (verdict, exemption)
    if answer and verdict != "unclear" and found.sentence:
        assert found.sentence in " ".join(answer.split())


def test_a_negated_contact_is_never_a_yes() -> None:
    for text in ("The council has not been in contact with Fusus.", "Fusus has not approached us.",
                 "We have not had any meetings or discussions with the company."):
        assert judge_answer(text, "information_provided").verdict == "no", text


def test_a_question_left_out_of_answers_given_one_by_one_is_not_answered() -> None:
    vocab = [("q1", Vocabulary()), ("q2", Vocabulary()), ("q3", Vocabulary())]
    got = judge_reply({"q1": "No.", "q3": "No."}, "not_held", (), vocab, ("No information is held.",))
    assert [got[q].verdict for q in ("q1", "q2", "q3")] == ["no", "not_answered", "no"]
    whole = judge_reply({}, "not_held", (), vocab, ("The council holds no information about Fusus.",))
    assert {v.verdict for v in whole.values()} == {"not_held"}
    assert whole["q2"].sentence == "The council holds no information about Fusus."


def test_nothing_held_within_the_scope_of_the_request_covers_the_questions_left_out() -> None:
    """One sentence answers question 1 and says nothing is held for the whole request (the demo's fire
    authority): the questions it leaves out are not held, not unanswered."""
    vocab = [("q1", Vocabulary()), ("q2", Vocabulary()), ("q3", Vocabulary())]
    said = ("The fire authority has had no contact with Fusus, and does not hold any information falling within "
            "the scope of your request.")
    got = judge_reply({"q1": said}, "not_held", (), vocab, (said,))
    assert [got[q].verdict for q in ("q1", "q2", "q3")] == ["not_held", "not_held", "not_held"]
    assert got["q3"].sentence == said


def test_the_template_vocabulary_and_phrases_decide() -> None:
    narrow = Vocabulary(verdicts=("yes", "no", "withheld", "not_answered", "unclear"))
    assert judge_answer("Not held.", "not_held", vocabulary=narrow).verdict == "no"  # not_held -> its near verdict
    counting = Vocabulary(verdicts=("some", "none", "unclear"), phrases=(("some", (r"\b\d+ cameras?\b",)),))
    assert judge_answer("The council operates 42 cameras.", vocabulary=counting).verdict == "some"
    assert judge_answer("Yes.", vocabulary=counting).verdict == "unclear"  # yes is not one of its verdicts


def test_locate_names_the_email_or_the_page() -> None:
    pages = [("letter.pdf", ["Dear Sam, our answers follow.", "1. No. The council has had no\ncontact."])]
    assert locate("The council has had no contact.", "Please see the letter.", pages) == ("letter.pdf", 2)
    assert locate("Please see the letter.", "Please  see the\nletter.", pages) == ("email", None)
    assert locate("Something else entirely.", "x", pages) == ("", None)


def test_the_fusus_template_declares_its_verdicts() -> None:
    template = load_template_set("fusus")
    assert [q.verdicts for q in template.questions] == [VERDICTS] * 3
    assert [v.verdicts for _, v in vocabularies(template.questions)] == [VERDICTS] * 3


def _template(folder: Path, extra: str) -> Path:
    folder.mkdir()
    (folder / "subject.j2").write_text("FOI {{ reference }}\n", encoding="utf-8")
    (folder / "body.j2").write_text("Ref {{ reference }}\n", encoding="utf-8")
    (folder / "request.toml").write_text(f'[[questions]]\nid = "q1"\ntext = "Any cameras?"\n{extra}',
                                         encoding="utf-8")
    return folder


def test_a_template_without_verdicts_still_loads(tmp_path: Path) -> None:
    template = load_template_set(str(_template(tmp_path / "plain", "")))
    assert template.questions[0].verdicts == () and template.questions[0].phrases == ()
    assert vocabularies(template.questions)[0][1].verdicts == VERDICTS


@pytest.mark.parametrize(("extra", "message"), [
    ('verdicts = "yes"\n', "question 1 verdicts must be a list"),
    ('verdicts = ["Yes!"]\n', "question 1 verdicts must be a list"),
    ('verdicts = ["yes"]\nphrases = { no = ["x"] }\n', "'no' is not one of its verdicts"),
    ('phrases = { yes = ["(unclosed"] }\n', "is not a valid regular expression"),
])
def test_a_bad_vocabulary_names_the_file_and_question(tmp_path: Path, extra: str, message: str) -> None:
    folder = _template(tmp_path / "bad", extra)
    with pytest.raises(TemplateError) as caught:
        load_template_set(str(folder))
    assert message in str(caught.value) and str(folder / "request.toml") in str(caught.value)


def test_the_labelled_fusus_replies() -> None:
    """Read exactly as the poller reads them; the bench (bench/verdict_eval.py) prints the same per verdict."""
    template = load_template_set("fusus")
    vocab = vocabularies(template.questions)
    with (FIXTURES / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    right = total = 0
    kinds_seen = set()
    for row in rows:
        c = read_file(FIXTURES / row["file"], template.questions).classification
        got = judge_reply(c.answers, c.kind, c.exemptions, vocab, c.evidence)
        for q in ("q1", "q2", "q3"):
            total += 1
            kinds_seen.add(row[q])
            right += got[q].verdict == row[q]
    assert kinds_seen == set(VERDICTS)  # the fixtures label every verdict
    assert right / total >= 0.9, f"{right}/{total}"


SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the shared seeds are not on this machine")
@pytest.mark.parametrize("name", ["barnet_reply.txt", "cpca_reply.txt"])
def test_the_seeds_answer_question_1_no(name: str) -> None:
    template = load_template_set("fusus")
    c = read_file(SEEDS / name, template.questions).classification
    got = judge_reply(c.answers, c.kind, c.exemptions, vocabularies(template.questions), c.evidence)
    assert got["q1"].verdict == "no"


# --- what the verdicts rely on from the answer finder (understand/answers.py) ---------------------------------


def _answers(text: str) -> dict[str, str]:
    from foibot.understand import read_text

    return read_text(text, load_template_set("fusus").questions).classification.answers


def test_an_answer_in_the_questions_words_is_kept() -> None:
    found = _answers(
        "Dear Sam,\n\n1. Has Fusus been in contact with the council?\nNo.\n\n2. Copies of communications.\nN/A\n\n"
        "3. Has Fusus discussed using the council's CCTV for a real-time crime centre?\n\n"
        "No such discussions have taken place, and the council has not approached any organisation about "
        "connecting its CCTV to Fusus products or to a real-time crime centre.\n\nYours sincerely\n\nJo Bloggs\n")
    assert found["q3"].startswith("No such discussions have taken place")


def test_prose_denials_are_answers_not_restated_questions_and_stop_at_the_sign_off() -> None:
    found = _answers(
        "Dear Sam,\n\nThank you for your e-mail about Fusus.\n\n"
        "The office has not had any contact with Fusus and has not been approached by the company.\n\n"
        "The office has not discussed CCTV or a real-time crime centre with Fusus.\n\n"
        "Best regards\n\nHelen Smith\nOffice Manager\n")
    assert judge_answer(found.get("q1", ""), "not_held").verdict == "no"
    assert "Helen Smith" not in " ".join(found.values())


@given(st.text(max_size=400), st.sampled_from([None, "information_provided", "partially_provided", "not_held",
                                                "refused", "neither_confirm_nor_deny", "other"]),
       st.lists(st.sampled_from(["s43(2)", "s12(1)", "s40(2)", "FOISA s17"]), max_size=3))
def test_any_answer_gets_a_verdict_of_the_vocabulary(answer: str, kind: str | None, exemptions: list[str]) -> None:
    found = judge_answer(answer, kind, exemptions)
    assert found.verdict in VERDICTS
    assert (found.exemption == "") or found.verdict == "withheld"
    narrow = Vocabulary(verdicts=("yes", "no", "unclear"))
    assert judge_answer(answer, kind, exemptions, narrow).verdict in narrow.verdicts
