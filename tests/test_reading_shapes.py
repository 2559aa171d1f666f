"""The shapes of reply the sentence-role reader was built for, one fixture each (written for these tests).

Each fixture is modelled on a kind of real reply that was misread before (see the issue "Read real replies
right"): the test names the deciding rule, so removing that rule fails it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from foibot.understand.read import read_file, read_text
from foibot.understand.segments import build

SHAPES = Path(__file__).parent / "fixtures" / "replies" / "shapes"

# file -> (kind, rule, other facts the reading must carry)
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    # An answer in running text, no numbers, no "attached": "we ... can respond as follows".
    "answer_read_as_ack.txt": ("information_provided", "provided.information_attached", {"needs_review": False}),
    # "If any exemptions apply ... we might not provide": a condition, not a refusal.
    "ack_mentions_exemptions.txt": ("acknowledgement", "acknowledgement.response_promised", {"exemptions": ()}),
    # An extension under s10(3): the new date is read; the explanation of the law decides nothing.
    "extension_new_date.txt": ("extension", "extension.time_extended", {"new_due_date": date(2024, 6, 14)}),
    # "We do not have it", with s16 advice naming the body to ask instead.
    "we_do_not_have_it.txt": ("not_held", "not_held.not_held", {"other_body": "Westmoor County Council"}),
    # 1. Yes ... 2. ... 3. No ... "The information is provided in full."
    "numbered_full_answer.txt": ("information_provided", "provided.in_full", {}),
    # Questions answered in turn, one not held: partly provided.
    "partial_some_not_held.txt": ("partially_provided", "partially_provided.per_question", {"needs_review": False}),
    # Answers given, and for the third question nothing exists ("none exists"): partly provided by the README's
    # rule, but it may be the whole answer: a person confirms it.
    "per_question_nothing_exists_for_one.txt": ("partially_provided", "partially_provided.per_question",
                                                {"needs_review": True}),
    # "Request: 1) Has the council ...? ..." then "Response: 1) No. ...": each "No" answers its yes/no question.
    "request_list_then_response_list.txt": ("information_provided", "information_provided.per_question", {}),
    # Not held, then the standard police clause on the security bodies: not held, not NCND.
    "notheld_police_security.txt": ("not_held", "not_held.with_security_ncnd", {"exemptions": ("s23(5)", "s24(2)")}),
    # Internal review results, with the outcome they leave.
    "review_overturned.txt": ("internal_review_result", "internal_review_result.review_done",
                              {"review_outcome": "information_provided"}),
    "review_upheld_in_part.txt": ("internal_review_result", "internal_review_result.review_done",
                                  {"review_outcome": "partially_provided"}),
    # A fees notice stops the clock until paid, as a clarification request does.
    "fees_notice.txt": ("clarification_requested", "clarification_requested.fees_notice", {}),
    # The response is behind a link: recognised, listed, and the outcome unknown until it is fetched.
    "portal_link.txt": ("other", "other.response_at_link",
                        {"download_links": ("https://portal.example-council.gov.uk/foi/download?case=FOI-66120",),
                         "needs_review": True}),
    # The cost of finding it described, not cited: "not held in a readily retrievable format" (s12 by description).
    "cost_described_not_retrievable.txt": ("refused", "refused.cost_limit", {"exemptions": ("s12",)}),
    # "I can confirm the Council holds it. However, under Section 12 ... does not have to comply ... if": the law
    # brought in against this request is the refusal; the figures of the cost limit are not an answer.
    "cost_law_however.txt": ("refused", "refused.cost_limit", {"exemptions": ("s12",)}),
    # A bilingual letter: the Welsh half ("Nid ydym yn dal y wybodaeth": we do not hold it) is not read again.
    "welsh_bilingual_ack.txt": ("acknowledgement", "acknowledgement.response_promised", {}),
    # Scotland's s18(1) in its own words: "refusing to confirm or deny whether the information exists".
    "ncnd_refusing_to_confirm_or_deny.txt": ("neither_confirm_nor_deny", "neither_confirm_nor_deny.ncnd", {}),
    # "... by 31 March, unless we need to ask you to clarify or extend the time limit": neither is happening.
    "ack_extension_only_as_a_condition.txt": ("acknowledgement", "acknowledgement.response_promised",
                                              {"response_due": date(2025, 3, 31)}),
    # A portal notice sent from a no-reply mailbox ("this mailbox is not monitored") is no out-of-office.
    "portal_notice_from_a_no_reply_mailbox.txt": ("other", "other.response_at_link", {"needs_review": True}),
    # s8: a valid request states the applicant's name; the authority asks for it and the clock waits.
    "clarification_name_required.txt": ("clarification_requested", "clarification_requested.asks_to_clarify", {}),
    # EIR reg 12(4)(a) is how the EIR say "not held": "refusing under 12(4)(a)" is no refusal of what is held.
    "eir_not_held_exception.txt": ("not_held", "not_held.not_held", {}),
    # "The Council holds the information" then "No meetings identified. / None. / None held.": nothing held.
    "per_question_none_held.txt": ("not_held", "not_held.per_question", {}),
    # Each part answered, with names redacted or a quotation withheld, one part not held: partly provided.
    "per_question_given_with_parts_withheld.txt": ("partially_provided", "partially_provided.per_question", {}),
    # "Yes. ... No other contact has been recorded." and "No other agreements exist.": all of it answered.
    "per_question_answer_and_nothing_more.txt": ("information_provided", "information_provided.per_question", {}),
    # "... has 20 working days to respond, so you can expect to hear from us no later than 9 June".
    "ack_expect_to_hear_from_us.txt": ("acknowledgement", "acknowledgement.response_promised",
                                       {"response_due": date(2025, 6, 9)}),
    # A review letter in headings: "Outcome: UPHELD IN PART", point by point.
    "review_outcome_headings_upheld_in_part.txt": ("internal_review_result", "internal_review_result.review_done",
                                                   {"review_outcome": "partially_provided"}),
    # "Decision: original decision overturned", "I do not consider that the exemption is engaged": given now.
    "review_original_decision_overturned.txt": ("internal_review_result", "internal_review_result.review_done",
                                                {"review_outcome": "information_provided"}),
    # NCND's own words "does or does not exist" are no "does not exist" (not held).
    "ncnd_does_or_does_not_exist.txt": ("neither_confirm_nor_deny", "neither_confirm_nor_deny.ncnd", {}),
    # "This mailbox is not monitored." on its own line of a portal notice: still the portal's notice.
    "portal_notice_unmonitored_mailbox.txt": ("other", "other.response_at_link", {}),
    # "A1 None.", "has not purchased or trialled any", "There are none."; "If so, please provide" is the question.
    "per_question_none_in_other_words.txt": ("not_held", "not_held.per_question", {}),
    # "A copy of the proposal is attached, with the pricing schedule withheld": that answer is partly given.
    "per_question_attached_with_part_withheld.txt": ("partially_provided", "partially_provided.per_question", {}),
}


def test_every_shape_has_a_case() -> None:
    assert {p.name for p in SHAPES.glob("*.txt")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_shape(name: str) -> None:
    kind, rule, facts = CASES[name]
    c = read_file(SHAPES / name).classification
    assert (c.kind, c.rule) == (kind, rule), c.evidence
    for field, value in facts.items():
        assert getattr(c, field) == value, field
    assert c.evidence or c.kind == "other"


def test_if_so_goes_on_with_the_question_and_is_no_answer() -> None:
    c = read_file(SHAPES / "per_question_none_in_other_words.txt").classification
    assert not any(e.startswith("If so") for e in c.evidence), c.evidence
    doc = build("2. Has the council bought any? If so, please provide the costs.\nThe council has bought none.\n")
    assert [s.is_question for s in doc.sentences] == [True, True, False]


def test_the_welsh_half_is_never_the_authoritys_deciding_words() -> None:
    doc = build((SHAPES / "welsh_bilingual_ack.txt").read_text(encoding="utf-8"))
    zones = {s.text.split()[0]: s.zone for s in doc.sentences}
    assert zones["Nid"] == "welsh" and zones["Thank"] == "body"


# Letters that were each misread once, by name -> (kind, other facts the reading must carry).
LETTERS = Path(__file__).parent / "fixtures" / "replies" / "letters"
LETTER_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    # A letter of ours quoted back ("you wrote: ... exempt under section 43") is not the authority's words.
    "a_letter_quoted_back_is_not_the_authoritys_words.txt": ("not_held", {}),
    # Section 43 explained in an acknowledgement is not a refusal.
    "the_law_explained_is_not_a_refusal.txt": ("acknowledgement", {}),
    # "We will let you know whether we do not hold ...": a condition, not the answer.
    "not_held_inside_a_condition_is_not_the_answer.txt": ("acknowledgement", {}),
    "a_letter_about_a_review_is_never_other.txt": ("internal_review_result", {"needs_review": True}),
    # "Although the trust does not ordinarily record this ...": conceded, then answered.
    "a_conceded_clause_is_not_the_answer.txt": ("information_provided", {}),
    # A clarification asked and answered earlier is history: the letter refuses under s12.
    "a_clarification_asked_and_answered_before_is_history.txt": ("refused", {}),
    "ncnd_for_part_with_the_rest_given_is_partly_provided.txt": ("partially_provided", {}),
    "not_held_then_the_security_bodies_clause_as_an_exemption_is_not_held.txt": ("not_held", {}),
}


def test_every_letter_has_a_case() -> None:
    assert {p.name for p in LETTERS.glob("*.txt")} == set(LETTER_CASES)


@pytest.mark.parametrize("name", sorted(LETTER_CASES))
def test_letter(name: str) -> None:
    kind, facts = LETTER_CASES[name]
    c = read_text((LETTERS / name).read_text(encoding="utf-8")).classification
    assert c.kind == kind, (c.rule, c.evidence)
    for field, value in facts.items():
        assert getattr(c, field) == value, (field, c.rule)


@pytest.mark.parametrize(("answer", "kind"), [("No.", "information_provided"), ("None.", "not_held")])
def test_no_answers_a_yes_no_question_but_none_means_nothing_held(answer: str, kind: str) -> None:
    question = "Has the council met the company?" if kind == "information_provided" else \
        "Please provide copies of the minutes."
    text = (f"Dear Requester,\n\n1. {question}\n{answer}\n2. How many cameras does the council own?\n"
            + ("The council owns 40 cameras.\n" if kind == "information_provided" else "None.\n")
            + "\nYours sincerely,\nFOI Team\n")
    c = read_text(text).classification
    assert c.kind == kind, (c.rule, c.evidence)
