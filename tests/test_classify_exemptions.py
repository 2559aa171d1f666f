"""Exemptions: normalised as the outcome table writes them, and only those the authority applies."""

from __future__ import annotations

import pytest

from foibot.understand.classify import classify_text
from foibot.understand.exemptions import normalise, parse_list

NORMALISED = [
    ("section 43(2)", "s43(2)"),
    ("Section 40 (2)", "s40(2)"),
    ("s.12(1)", "s12(1)"),
    ("S31(1)(a)", "s31(1)(a)"),
    ("section 31 (1) (a)", "s31(1)(a)"),
    ("section 40(3A)(a)", "s40(3a)(a)"),
    ("section 17 of FOISA", "FOISA s17"),
    ("section 30(b)(i) of the Freedom of Information (Scotland) Act 2002", "FOISA s30(b)(i)"),
    ("regulation 12(5)(e) of the EIR", "EIR reg 12(5)(e)"),
    ("Reg 12 (4) (b) Environmental Information Regulations", "EIR reg 12(4)(b)"),
    ("regulation 13 of the EIR", "EIR reg 13"),
    ("regulation 10(4)(a) of the EISRs", "EISR reg 10(4)(a)"),
    ("FOISA s17", "FOISA s17"),
    ("EIR reg 12(5)(e)", "EIR reg 12(5)(e)"),
]


@pytest.mark.parametrize(("written", "expected"), NORMALISED)
def test_normalised(written: str, expected: str) -> None:
    assert normalise(written) == expected


@pytest.mark.parametrize("written", ["section 1(1)(a)", "section 10(3)", "section 16", "section 50",
                                     "section 17 of the Freedom of Information Act 2000",
                                     "regulations 5(1) of the Fees Regulations", ("section 40 of the Data "
                                     "Protection Act 2018"), "regulation 7(1)"])
def test_procedural_sections_are_not_exemptions(written: str) -> None:
    assert normalise(written) is None


def test_label_lists_are_normalised() -> None:
    assert parse_list("s12(1);s43(2)") == ("s12(1)", "s43(2)")
    assert parse_list("FOISA s17") == ("FOISA s17",)
    assert parse_list("s23(5);s24(2);s31(3)") == ("s23(5)", "s24(2)", "s31(3)")
    assert parse_list("") == ()


APPLIED = [
    ("This information is exempt under sections 23(5), 24(2) and 31(3).", ("s23(5)", "s24(2)", "s31(3)")),
    ("The report is exempt under section 31(1)(a) and (b) of the Act.", ("s31(1)(a)", "s31(1)(b)")),
    ("We are withholding the names under section 40(2) and the prices under section 43(2).", ("s40(2)", "s43(2)")),
    (("We can neither confirm nor deny by virtue of the following exemptions:\nSection 23(5) Security Bodies\n"
     "Section 24(2) National Security\nSection 23 is an absolute exemption."), ("s23(5)", "s24(2)")),
    ("We do not rely on section 12(1). The request is vexatious under section 14(1).", ("s14(1)",)),
    (("Although we aim to reply within 20 working days, we are considering whether the exemption at section 36 "
     "applies."), ("s36",)),
]


@pytest.mark.parametrize(("sentence", "expected"), APPLIED)
def test_applied_exemptions(sentence: str, expected: tuple[str, ...]) -> None:
    text = f"Our ref: 4471\n\nDear Requester\n\n{sentence}\n\nYours sincerely"
    assert classify_text(text).exemptions == expected


MENTIONED_ONLY = [
    # the quoted request
    ("You asked:\n\nI recognise there are FOI exemptions under Section 43(2) relating to commercial interests.\n\n"
    "Response\n\nThe council does not hold the information."),
    # hypothetical, in an acknowledgement
    ("Your request has been logged. The exemption at section 14 may be engaged if you send many requests, and "
    "section 12 may apply where the cost of complying would exceed the limit."),
    # the rights-of-appeal paragraph
    ("The council does not hold the information.\n\nIf you are unhappy with this response you may ask for an "
    "internal review; the ICO's guidance explains how section 43 may apply."),
    # requester's words restated without a heading
    ("If it is not possible to provide the information due to the cost limits in Section 12, please provide advice "
    "as to how I can refine my request.\n\nUnfortunately I am unable to provide this information."),
    # the request restated in the sentence that thanks for it: a section the requester asks about is not applied
    ("Thank you for your email of 4 March, requesting a list of the requests you received in 2023 and, for each, "
     "whether a section 36 exemption was applied.\n\nThe list is attached."),
]


@pytest.mark.parametrize("text", MENTIONED_ONLY)
def test_mentioned_exemptions_are_not_applied(text: str) -> None:
    assert classify_text(text).exemptions == ()


def test_scottish_reply_gets_foisa_prefix() -> None:
    text = ("Freedom of Information (Scotland) Act 2002\n\nI am withholding the report under section 30(b)(i). "
            "Section 38(1)(b) applies to the names.\n\nYou may apply to the Scottish Information Commissioner.")
    assert classify_text(text).exemptions == ("FOISA s30(b)(i)", "FOISA s38(1)(b)")


def test_english_reply_that_mentions_scotland_stays_foia() -> None:
    text = ("Under the Freedom of Information Act 2000 the information is exempt under section 43(2). "
            "Police Scotland told us about a FOISA request on the same subject.")
    assert classify_text(text).exemptions == ("s43(2)",)


# Continuing parts replace the part of their own level: a letter after a letter, a roman numeral after a roman one.
SIBLINGS = [
    ("The draft minutes are exempt under section 36(2)(b)(ii) and (c) of the Act.", ("s36(2)(b)(ii)", "s36(2)(c)")),
    ("The draft minutes are exempt under section 36(2)(b)(i) and (ii) of the Act.", ("s36(2)(b)(i)", "s36(2)(b)(ii)")),
    ("The patrol logs are exempt under section 31(1)(h) and (i).", ("s31(1)(h)", "s31(1)(i)")),
    ("The survey is withheld under regulation 12(4)(d) and (5)(f) of the EIR.", ("EIR reg 12(4)(d)", "EIR reg 12(5)(f)")),
]


@pytest.mark.parametrize(("sentence", "expected"), SIBLINGS)
def test_sibling_parts(sentence: str, expected: tuple[str, ...]) -> None:
    text = f"Our ref: 5120\n\nDear Requester\n\n{sentence}\n\nYours sincerely"
    assert classify_text(text).exemptions == expected


NEGATED = [
    # an internal review that overturns a refusal to confirm or deny
    ("Having looked at the request again, I have concluded that neither section 24(2) nor section 31(3) was engaged, "
     "and the original decision is overturned. The spreadsheet is attached."),
    "Section 40(2) does not apply to the names of the directors, which are published. The register is attached.",
    "We have not relied on section 43 in this response. The tender scores are attached.",
    "Section 43(2) of the Act is not engaged, as the contract has ended. The prices are attached.",
    "The exemption at section 36(2)(c) has not been applied. The notes are attached.",
    "We considered section 38(1)(a), but it is not engaged here. The report is attached.",
    "We do not consider that section 31(1)(a) is engaged. The rota is attached.",
    "Section 36 cannot be relied on without the qualified person's opinion, so the notes are attached.",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negated_citations_are_not_applied(text: str) -> None:
    assert classify_text(f"Our ref: 3307\n\nDear Requester\n\n{text}\n\nYours sincerely").exemptions == ()


def test_negation_does_not_reach_the_next_citation() -> None:
    text = ("Our ref: 3308\n\nDear Requester\n\nSection 40(2) does not apply to the job titles, which are attached. "
            "The salaries are withheld under section 43(2).\n\nYours sincerely")
    assert classify_text(text).exemptions == ("s43(2)",)


def test_eir_presumption_and_public_interest_are_not_exceptions() -> None:
    text = ("Our ref: EIR/2291\n\nEnvironmental Information Regulations 2004\n\nDear Requester\n\nThe unit rates in the "
            "gritting contract are withheld under regulation 12(5)(e) of the EIR. Under regulation 12(1)(b) we weighed "
            "the public interest, and under regulation 12(2) we applied a presumption in favour of disclosure; the "
            "balance still favours withholding the rates.\n\nYours sincerely")
    assert classify_text(text).exemptions == ("EIR reg 12(5)(e)",)


def test_eisr_presumption_is_not_an_exception() -> None:
    text = ("Our ref: EIR-0417\n\nEnvironmental Information (Scotland) Regulations 2004\n\nDear Requester\n\nThe draft "
            "flood study is withheld under regulation 10(4)(d) of the EISRs, as it is still in the course of completion. "
            "We have applied the presumption in favour of disclosure in regulation 10(2)(b), but the public interest "
            "favours withholding the draft.\n\nYou may apply to the Scottish Information Commissioner.")
    assert classify_text(text).exemptions == ("EISR reg 10(4)(d)",)


def test_scottish_ncnd_lists_section_18_and_not_the_range_it_covers() -> None:
    text = ("Our ref: FOI-26-0193\n\nFreedom of Information (Scotland) Act 2002\n\nDear Requester\n\nThe Board is unable "
            "to help with your request: by virtue of section 18(1) of the Act, I am refusing to confirm or deny whether "
            "the information exists or is held.\n\nSection 18 applies where, if the information were held, it would be "
            "exempt under one or more of sections 28 to 35, 38, 39(1) or 41, and where revealing whether it is held "
            "would be contrary to the public interest. The exemptions that would apply are:\n\n"
            "Section 34(1)(a) - Investigations\nSection 35(1)(a) and (b) - Law enforcement\n\nYou may apply to the "
            "Scottish Information Commissioner.\n\nYours sincerely")
    assert classify_text(text).exemptions == ("FOISA s18(1)", "FOISA s34(1)(a)", "FOISA s35(1)(a)", "FOISA s35(1)(b)")
