"""Per-question answers: each reply cut into the answers to the template's questions."""

from __future__ import annotations

import pytest
from support.mail import FIXTURES

from foibot.render import Question, load_template_set
from foibot.understand.answers import find_answers
from foibot.understand.classify import classify_text
from foibot.understand.read import read_file
from foibot.understand.segments import build

QUESTIONS = load_template_set("fusus").questions


def answers(text: str) -> dict[str, str]:
    return classify_text(text, questions=QUESTIONS).answers


def test_the_fusus_template_declares_three_questions() -> None:
    assert [q.id for q in QUESTIONS] == ["q1", "q2", "q3"]
    assert all(q.keywords for q in QUESTIONS)


def test_restated_questions_before_numbered_answers_after_a_quoted_request() -> None:
    found = read_file(FIXTURES / "not_held_boilerplate_trap.txt", QUESTIONS).classification.answers
    assert found == {
        "q1": "No contact has been received from Fusus.",
        "q2": "N/A",
        "q3": "No discussions have taken place with Fusus. The council has not approached any organisation "
              "about this either.",
    }


def test_question_and_answer_labels() -> None:
    found = read_file(FIXTURES / "provided_question_labels.txt", QUESTIONS).classification.answers
    assert found["q1"].startswith("Yes. Fusus contacted us in January 2023")
    assert found["q2"] == "Copies of the two e-mails we received are attached."
    assert found["q3"].startswith("Yes. The demonstration material")


@pytest.mark.parametrize("marker", ["{n}.", "{n})", "Q{n}", "Q{n}:", "Question {n}:", "({n})"])
def test_numbered_answer_markers(marker: str) -> None:
    lines = ["Our ref: 5521", "", "Response", ""]
    replies = ["We have had no contact with Fusus.", "There are no communications to provide.",
               "Fusus has not discussed our CCTV with us."]
    for n, reply in enumerate(replies, start=1):
        lines += [f"{marker.format(n=n)} {reply}", ""]
    found = answers("\n".join(lines))
    assert found == {"q1": replies[0], "q2": replies[1], "q3": replies[2]}


def test_restated_questions_without_numbers() -> None:
    text = """Dear A. Campaigner

Whether the council has been in contact with Fusus, and whether Fusus has approached the council to sell its products or services
The council met Fusus once, in March 2023.

Copies of those communications and any other documents held by the council that name Fusus
The e-mails arranging the meeting are attached.

Whether Fusus discussed using the council's CCTV or other infrastructure for a real-time crime centre or fusion centre
This was mentioned at the meeting but no proposal followed.

Kind regards
"""
    found = answers(text)
    assert found == {"q1": "The council met Fusus once, in March 2023.",
                     "q2": "The e-mails arranging the meeting are attached.",
                     "q3": "This was mentioned at the meeting but no proposal followed."}


def test_running_text_is_assigned_by_keywords() -> None:
    text = ("Dear A. Campaigner\n\nI confirm that the combined authority has not been in contact with Fusus and "
            "has not been approached to buy its products. Our CCTV is not connected to any real-time crime centre."
            "\n\nYours sincerely")
    found = answers(text)
    assert found["q1"].startswith("I confirm that the combined authority has not been in contact")
    assert found["q3"] == "Our CCTV is not connected to any real-time crime centre."
    assert "q2" not in found


def test_the_last_answer_stops_at_the_next_heading() -> None:
    text = ("Response\n\n1. No contact.\n\n2. N/A\n\n3. No discussions have taken place.\n\nFurther information\n\n"
            "You may wish to visit our open data portal.")
    assert answers(text)["q3"] == "No discussions have taken place."


def test_a_question_after_the_number_is_the_question_restated() -> None:
    found = read_file(FIXTURES / "partial_numbered_answers_s21.txt", QUESTIONS).classification.answers
    assert (found["q1"], found["q2"]) == ("The force owns 12 drones.", "£84,000.")


def test_for_question_n_in_running_text() -> None:
    found = read_file(FIXTURES / "partial_not_held_one_question.txt", QUESTIONS).classification.answers
    assert found == {"q1": "Number of agency nurses used in 2020: 1,203",
                     "q2": "Total spend on agency nurses in 2020: £4.2 million",
                     "q3": "the Trust does not hold information on the nationality of agency staff."}


@pytest.mark.parametrize("name", ["ack_logged_due_date.txt", "auto_reply_on_leave.txt", "other_cover_note.txt",
                                  "not_held_trust_heading_ref.txt", "refused_s12_cost.txt"])
def test_asides_and_replies_about_something_else_give_no_answers(name: str) -> None:
    assert read_file(FIXTURES / name, QUESTIONS).classification.answers == {}


def test_no_questions_means_no_answers() -> None:
    assert classify_text("1. No contact.\n2. N/A\n3. None.").answers == {}


def test_other_templates_questions_work_too() -> None:
    questions = (Question(id="cameras", title="Cameras", text="How many CCTV cameras does {{ body.the }} operate?",
                          keywords=("cameras",)),
                 Question(id="cost", title="Cost", text="What did the control room cost in 2022/23?",
                          keywords=("cost", "spend")))
    doc = build("Our response:\n\n1. How many CCTV cameras does the council operate?\nThe council operates 214.\n\n"
                "2. What did the control room cost in 2022/23?\n£412,300.")
    assert find_answers(doc, questions) == {"cameras": "The council operates 214.", "cost": "£412,300."}


def test_long_answers_are_cut() -> None:
    text = "Response\n\n1. " + "The council holds no records. " * 200 + "\n\n2. N/A\n\n3. N/A"
    assert len(answers(text)["q1"]) <= 1500
