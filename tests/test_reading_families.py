"""Families of reply the reader must read right in any wording: several fixtures for each (written for these tests).

Each family is one way UK authorities write a kind of reply, in varied words: a partial answer (some given,
the rest withheld or not held), a full answer whose only exemption is in the appeal rights, the police clause
on the security bodies after an answer, an out-of-office note without RFC 3834 headers, an automatic
acknowledgement (which logs a reference: an acknowledgement) beside a mailbox's standing notice (an
auto-reply), a refusal that offers an internal review, and "we do not hold it, so we cannot provide it".
The deciding rule is named, so removing it fails its family.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from foibot.understand.read import read_file

FAMILIES = Path(__file__).parent / "fixtures" / "replies" / "families"

# file -> (kind, deciding rule)
CASES: dict[str, tuple[str, str]] = {
    # Some given, the rest withheld, in so many words ("we can provide some of", "the remainder is exempt").
    "partial_we_can_provide_some.txt": ("partially_provided", "partially_provided.part_withheld"),
    "partial_rest_being_withheld.txt": ("partially_provided", "partially_provided.part_withheld"),
    "partial_most_of_it_released.txt": ("partially_provided", "partially_provided.part_withheld"),
    "partial_some_details_withheld.txt": ("partially_provided", "partially_provided.part_withheld"),
    "partial_part_given_part_withheld.txt": ("partially_provided", "partially_provided.part_withheld"),
    "partial_not_included_exempt.txt": ("partially_provided", "partially_provided.some_withheld"),
    "partial_we_have_redacted.txt": ("partially_provided", "partially_provided.some_withheld"),
    # "In full" beside something withheld, in the same sentence or the next: part of it.
    "partial_in_full_then_names_redacted.txt": ("partially_provided", "partially_provided.part_withheld"),
    "partial_in_full_apart_from_pricing.txt": ("partially_provided", "partially_provided.part_withheld"),
    # Answered question by question, one or more withheld, not held, or neither confirmed nor denied.
    "partial_numbered_not_held_and_withheld.txt": ("partially_provided", "partially_provided.per_question"),
    "partial_numbered_third_exempt.txt": ("partially_provided", "partially_provided.per_question"),
    "partial_numbered_second_not_held.txt": ("partially_provided", "partially_provided.per_question"),
    "partial_one_question_in_full_one_withheld.txt": ("partially_provided", "partially_provided.per_question"),
    "partial_ncnd_for_one_question.txt": ("partially_provided", "partially_provided.part_ncnd"),
    "partial_numbered_block_earlier_years_not_held.txt": ("partially_provided", "partially_provided.per_question"),
    "partial_numbered_redacted_and_not_recorded.txt": ("partially_provided", "partially_provided.per_question"),
    # Not held for part of what was asked (earlier years, before a date), the rest given.
    "partial_earlier_years_not_held.txt": ("partially_provided", "partially_provided.some_not_held"),
    "partial_before_date_not_held.txt": ("partially_provided", "partially_provided.some_not_held"),
    "partial_later_year_given_earlier_not_held.txt": ("partially_provided", "partially_provided.some_not_held"),
    "partial_one_document_not_found.txt": ("partially_provided", "partially_provided.some_not_held"),
    "partial_figures_and_one_thing_not_recorded.txt": ("partially_provided", "partially_provided.some_not_held"),
    # All of it given; "no other records" is nothing beyond what was given, not a part not held.
    "full_no_other_records.txt": ("information_provided", "information_provided.nothing_more"),
    "full_figures_and_no_further_information.txt": ("information_provided", "information_provided.nothing_more"),
    # A full answer whose only mention of an exemption is in the rights of appeal.
    "full_exemption_only_in_appeal_rights.txt": ("information_provided", "provided.information_attached"),
    "full_exemption_in_may_ask_us_to_review.txt": ("information_provided", "provided.facts_given"),
    "full_exemption_in_should_you_disagree.txt": ("information_provided", "provided.information_attached"),
    "full_figures_appeal_mentions_withheld.txt": ("information_provided", "provided.facts_given"),
    "full_spreadsheet_appeal_mentions_exemption.txt": ("information_provided", "provided.information_attached"),
    # The clause on the security bodies (s23(5), s24(2)) is never the answer: what the rest says decides.
    "security_clause_after_not_held.txt": ("not_held", "not_held.with_security_ncnd"),
    "security_clause_after_answers.txt": ("information_provided", "information_provided.per_question"),
    "security_clause_after_exemption.txt": ("refused", "refused.exempt"),
    "security_clause_after_no_answers.txt": ("information_provided", "information_provided.per_question"),
    "security_clause_remit_after_not_held.txt": ("not_held", "not_held.with_security_ncnd"),
    # Out of office, no RFC 3834 headers: absence and return in loose words, in a short note.
    "ooo_part_time_worker.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_out_on_leave.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_out_of_the_building.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_sick_leave_short.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_away_on_leave_until.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_training_course.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_offices_closed.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_colleague_on_leave.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_officer_has_left.txt": ("auto_reply", "auto_reply.absence"),
    "ooo_currently_unavailable.txt": ("auto_reply", "auto_reply.absence"),
    # A letter that mentions its writer's leave in passing is no out-of-office note.
    "ack_long_letter_mentions_absence.txt": ("acknowledgement", "acknowledgement.response_promised"),
    # Someone has left, and the request is passed on: a person acknowledging it, not a mailbox.
    "ack_colleague_left_request_passed_on.txt": ("acknowledgement", "acknowledgement.logged"),
    "other_long_holding_note_mentions_absence.txt": ("other", "other.delay_apology"),
    # Automatic messages: one that logs this request (a reference, a due date) acknowledges it; a mailbox's
    # standing notice about no request in particular is an auto-reply.
    "automatic_ack_logs_reference.txt": ("acknowledgement", "acknowledgement.response_promised"),
    "automatic_ack_case_system.txt": ("acknowledgement", "acknowledgement.response_promised"),
    "automatic_ack_given_reference.txt": ("acknowledgement", "acknowledgement.response_promised"),
    "automatic_mailbox_notice.txt": ("auto_reply", "auto_reply.automated_message"),
    "automatic_inbox_office_hours.txt": ("auto_reply", "auto_reply.automated_message"),
    "automatic_contact_centre_notice.txt": ("auto_reply", "auto_reply.out_of_office"),
    # A promise to answer everyone who writes, about no request in particular (no request, no reference).
    "automatic_generic_promise_to_all.txt": ("auto_reply", "auto_reply.generic_thanks"),
    "automatic_generic_reply_soon.txt": ("auto_reply", "auto_reply.generic_thanks"),
    "automatic_unmonitored_mailbox.txt": ("auto_reply", "auto_reply.redirect_to_form"),
    "automatic_ack_names_the_request.txt": ("acknowledgement", "acknowledgement.response_promised"),
    "automatic_ack_reference_and_date.txt": ("acknowledgement", "acknowledgement.response_promised"),
    # A refusal that offers (or describes) an internal review is a refusal, not a review's result.
    "refusal_offers_internal_review.txt": ("refused", "refused.exempt"),
    "refusal_says_who_reviews.txt": ("refused", "refused.exempt"),
    "refusal_describes_reviews.txt": ("refused", "refused.exempt"),
    "refusal_cost_then_review_rights.txt": ("refused", "refused.cost_limit"),
    "refusal_review_by_senior_officer.txt": ("refused", "refused.exempt"),
    "refusal_vexatious_independent_reviewer.txt": ("refused", "refused.vexatious"),
    # A second look that never speaks of a review, an appeal or a complaint is not a review's result.
    "refusal_panel_concluded.txt": ("refused", "refused.exempt"),
    "refusal_reconsidered_after_clarification.txt": ("refused", "refused.exempt"),
    # "We do not hold it and therefore cannot provide it": not held, not refused.
    "not_held_and_therefore_cannot_provide.txt": ("not_held", "not_held.not_held"),
    "not_held_unable_to_provide_as_not_held.txt": ("not_held", "not_held.not_held"),
    "not_held_cannot_supply_no_records_kept.txt": ("not_held", "not_held.not_held"),
    "not_held_not_possible_because_not_recorded.txt": ("not_held", "not_held.not_held"),
    "not_held_regret_cannot_help.txt": ("not_held", "not_held.not_held"),
    "not_held_unable_as_mailbox_deleted.txt": ("not_held", "not_held.not_held"),
    "not_held_cannot_give_because_not_collected.txt": ("not_held", "not_held.not_held"),
    "not_held_cannot_provide_no_record.txt": ("not_held", "not_held.not_held"),
    # A refusal notice (s17) given for nothing held, or "unable to comply" as its consequence: still not held;
    # "not held in a searchable form" is how it is held, and the cost of searching it decides.
    "not_held_with_refusal_notice.txt": ("not_held", "not_held.not_held"),
    "not_held_therefore_unable_to_comply.txt": ("not_held", "not_held.not_held"),
    "refusal_notice_not_held_in_a_searchable_form.txt": ("refused", "refused.cost_limit"),
    "refusal_notice_not_held_in_the_database.txt": ("refused", "refused.exempt"),
}

# Readings the reader is sure of (no review) must be these: a sure reading that is wrong is never waved through.
# Readings that must wait for a person: not held in one place, with a refusal notice, may be either.
UNSURE = {"refusal_notice_not_held_in_the_database.txt"}
SURE = {"partial_we_can_provide_some.txt", "partial_in_full_apart_from_pricing.txt", "partial_numbered_not_held_and_withheld.txt",
        "security_clause_after_not_held.txt", "ooo_out_on_leave.txt", "automatic_ack_logs_reference.txt",
        "refusal_offers_internal_review.txt", "not_held_unable_to_provide_as_not_held.txt"}


def test_every_family_fixture_has_a_case() -> None:
    assert {p.name for p in FAMILIES.glob("*.txt")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_family(name: str) -> None:
    kind, rule = CASES[name]
    c = read_file(FAMILIES / name).classification
    assert (c.kind, c.rule) == (kind, rule), (c.confidence, c.evidence)
    assert c.evidence
    if name in SURE:
        assert not c.needs_review, c.confidence
    if name in UNSURE:
        assert c.needs_review, c.confidence
