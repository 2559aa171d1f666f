"""Each phrase rule on its own: the sentences it must recognise and the look-alikes it must not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.understand.authority_refs import _LABEL_GLUED, _LOGGED
from foibot.understand.exemptions import _EIR_DOC, _ENGLISH_DOC, _SCOTTISH_DOC
from foibot.understand.phrases import (
    MIN_BY_LINE,
    MIN_REMEMBERED,
    Anchored,
    CuedPattern,
    Cues,
    CueScan,
    PhraseSet,
    first_characters,
    leading_words,
    more_required_literals,
    required_literals,
    split_alternatives,
)
from foibot.understand.rules import BY_NAME, RULES
from foibot.understand.segments import _OUTLOOK_FROM, _THREAD_START, _WROTE, build

# rule name -> (sentences it matches, sentences it must not match)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "bounce.delivery_failure": (
        ["Delivery to the following recipients failed.", "Undeliverable: Freedom of Information request",
         "A message that you sent could not be delivered to one or more of its recipients.",
         "Mail delivery failed: returning message to sender", "550 5.1.1 Recipient address rejected: User unknown",
         "Returned Mail: Error During Delivery"],
        ["We delivered the documents by hand.", "Deliveries to the depot are recorded daily."],
    ),
    "auto_reply.out_of_office": (
        ["I am out of the office until 3 January.", "I'm currently on annual leave.",
         "I will deal with all emails upon my return.", "This mailbox is no longer monitored.",
         "I am away until Monday 24 April."],
        ["The office holds no records of contact with Fusus.", "Officers returned the equipment.",
         "CCTV is monitored out of office hours by a contractor."],
    ),
    "auto_reply.absence": (
        ["I am currently out on leave and will be back on Tuesday.", "During my absence please contact the FOI team.",
         "I will be out of the building until 20 May.", "I will read your message when I get back.",
         "Please note I work Mondays to Wednesdays only.", "I'm not in the office this week.",
         "I am on a training course and will not be reading emails until Monday.",
         "Our offices are closed over the Christmas period.", "Sam is on leave until Monday.",
         "Dr Patel has now left the trust.", "I am currently unavailable, returning on Tuesday 11 June."],
        ["We will get back to you within 20 working days.", "The report is unavailable until the board has met.",
         "Officers have left the depot.", "Officers work Mondays and Fridays at the depot.",
         "Staff absence is recorded on the HR system.", "We will write again when I return to you with the figures."],
    ),
    "auto_reply.automatic_subject": (["Automatic reply: Freedom of Information request", "AUTO: Pat is away"],
                                     ["Re: Automatic number plate recognition"]),
    "auto_reply.automated_message": (
        ["THIS IS AN AUTOMATED RESPONSE", "We are receiving an extremely high volume of enquiries.",
         "This mailbox is monitored during office hours only.", "Please note that this is an unmonitored mailbox.",
         "Replies to this email are not read."],
        ["We automated the reporting process in 2021.", "The car park is monitored during opening hours."],
    ),
    "auto_reply.redirect_to_form": (
        ["You will need to make a formal FOI request which can be done by using the online form.",
         "We will also acknowledge your request following completion of this form."],
        ["Your request has been logged."],
    ),
    "neither_confirm_nor_deny.ncnd": (
        ["The force can neither confirm nor deny that it holds the information.",
         "We neither confirm nor deny that any relevant data are held."],
        ["The first duty is the duty to confirm or deny whether information is held."],
    ),
    "internal_review_result.review_done": (
        ["I have now completed the internal review.", "The outcome of my review is set out below.",
         "I partially uphold your request for review.", "Your complaint has been upheld.",
         "The original decision is upheld.", "The review has found that the exemption was correctly applied."],
        ["You may request an internal review within 40 working days.",
         "Thank you for your request for an internal review."],
    ),
    "clarification_requested.asks_to_clarify": (
        ["Could you please clarify which period you are interested in?",
         ("In order to ensure that we have interpreted your request correctly we would like to ask you for "
         "clarification."), "We would like to check if you are requesting information about both schemes.",
         "I will not be able to take this matter further without this extra information from you.",
         "Please can you specify the dates you mean.", "The time limit is on hold until we hear from you."],
        ["If we require any clarification of your request we will contact you.",
         "On 8 February we asked for clarification, which you supplied on 9 February.",
         "Thank you for your clarification of 3 May."],
    ),
    "clarification_requested.asks_which": (
        ["Could you please confirm which centre you mean?", "Please let us know whether you want both years."],
        ["1. Can you confirm whether the council has met Fusus?"],
    ),
    "extension.time_extended": (
        ["We need to extend the time for our response to consider the public interest.",
         "I need to extend the response time by 20 working days.",
         "We need further time to consider the balance of the public interest.",
         "We are sorry that we are unable to respond within 20 working days.",
         "Section 10(3) allows us a reasonable extension."],
        ["We aim to respond within 20 working days.", "The extension to the library opened in May."],
    ),
    "acknowledgement.response_promised": (
        ["You will receive a response within 20 working days.", "We aim to send you a response by 8 March.",
         "The Trust will endeavour to provide a response within the required deadline.",
         "We are required to reply within 20 working days.", "You can expect a response by 16 May."],
        ["Please find our response below.", "We responded on 4 May."],
    ),
    "acknowledgement.logged": (
        ["Your enquiry has been logged under the above reference 14194.",
         "I have recorded your request for information under reference F2021.08.4687.",
         "Thank you for your request which will be dealt with under the Freedom of Information Act.",
         "I am dealing with your request under the Act."],
        ["We will also acknowledge your request following completion of this form."],
    ),
    "acknowledgement.received": (["Thank you for your request for information.", "We have received your e-mail."],
                                 ["We received no e-mails from Fusus."]),
    "refused.cost_limit": (
        ["To provide the information would exceed the appropriate cost limit.",
         "Therefore Section 12(1) of the Freedom of Information Act would apply.",
         "Locating the e-mails would take more than 18 hours.",
         "The cost exemption applies to the whole of your request.",
         "We could not determine whether we hold it within the prescribed cost limit.",
         "Checking each file by hand would take far more than 18 hours.",
         "The council is therefore refusing your request under section 12 of the Act."],
        ["The scheme's cost was within budget."],
    ),
    "refused.vexatious": (["We are of the view that the request is vexatious.",
                           "The request is manifestly unreasonable under regulation 12(4)(b)."],
                          ["We value every request."]),
    "refused.exempt": (
        ["This information is exempt from disclosure under section 31.", "The pricing schedule has been withheld.",
         "Unfortunately I am unable to provide this information.", "It cannot be disclosed for the following reasons.",
         "We have decided not to release the report.", "Names have been redacted under section 40(2)."],
        ["Subject to the information not being exempt, you will receive it.", "No exemptions apply.",
         "The information is not exempt."],
    ),
    "partially_provided.part_withheld": (
        ["Some of this information is being withheld under section 40(2).", "The remaining information is enclosed.",
         "The report has been partially redacted."],
        ["All of the information is enclosed.", "The remaining questions are answered below."],
    ),
    "not_held.not_held": (
        ["The council does not hold the information you have requested.", "No communications received.",
         "No contact has been received from Fusus.", "The authority has not been in communication with Fusus.",
         "We have no record of any contact with the company.", "The council has never been approached by Fusus.",
         "District councils are not responsible for policing.",
         "This function does not fall under the remit of local councils.",
         "We have not installed any charging points.", "No minutes or notes are taken at the meeting."],
        ["The council holds the information requested.", "We hold records of every meeting."],
    ),
    "not_held.nothing_to_report": (["N/A", "None.", "Not applicable", "No. The meeting did not happen."],
                                   ["Nothing in this letter affects your rights"]),
    "provided.information_attached": (
        ["Please find attached copies of the correspondence.", "The information you requested is set out below.",
         "I have attached our formal response to your request, and the information you asked for.",
         "Copies of the two e-mails we received are attached."],
        ["Please find attached our response to your request.", "Our response letter is attached."],
    ),
    "provided.facts_given": (["The council spent £412,300.", "Fewer than five members of staff hold a licence.",
                              "There were 214 incidents.", "Yes, Fusus contacted us in 2022.", "2019/20: 45",
                              "Number of cameras: 214", "The total was 1,234."],
                             ["We will respond within 20 working days.", "The cost limit is £450.",
                              "Date: 11/06/25", "0303-123-1113", "Your request was received on 17 April."]),
    "provided.answers_in_turn": (["Your questions are answered in turn below.",
                                  "The answers to your questions are below."], ["We could not answer."]),
    "provided.holds_information": (["The council holds the information requested.",
                                    "I can confirm that we hold the information you require."],
                                   ["The council does not hold the information requested."]),
    "other.delay_apology": (["Apologies for the delay in responding to your request.",
                             "We are still gathering the information."], ["There was no delay in the service."]),
    "other.cover_note": (["Please find attached our response to your request.",
                          "I have attached my formal response which sets out the reasons."],
                         ["Please find attached copies of the e-mails."]),
}

# Shapes added with the sentence-role reader (issue 12), written for these tests: each new phrase, and the
# look-alikes it must leave alone.
_MORE: dict[str, tuple[list[str], list[str]]] = {
    "not_held.not_held": (
        ["Full details of the contracts would be held by the county council.",
         "The trust does not have a breakdown by ward.", "These figures are not broken down by age.",
         "Any such records may be held by the Department for Transport.",
         "We were unable to find the 2017 inspection report.", "Our searches have not been able to locate any records."],
        ["We were able to find the 2017 inspection report.", "I can confirm that the information you asked for is held by the council.",
         "We do not have long waits at the depot.",
         "We did not keep you informed of the delay, for which I apologise."],
    ),
    "provided.information_attached": (
        ["I am able to disclose the located information to you as attached.",
         "The trust is providing the following information:",
         "This information is provided below.", "Some of the information is being provided to you.",
         "The attached spreadsheet shows the number of permits issued.",
         "We have completed our searches and can respond as follows.",
         "The information you requested accompanies this letter as a spreadsheet.", "Our response to your questions is as follows:",
         "Attached is a copy of the tender evaluation report.", "We hold figures for 2022, which are given below.",
         "The figures are set out in the table below."],
        ["We will provide the information once the review is complete.", "Attached is a copy of our response letter.",
         "The reasons are set out below."],
    ),
    "internal_review_result.review_done": (
        ["I have considered your complaint about the time we took.",
         "I have reviewed the circumstances and uphold your complaint.",
         "Having examined the handling of this request, it is clear that section 10 was breached.",
         "In conducting this review I read the withheld documents.", "I was not involved in the original decision.",
         "I have reconsidered the original request and the exemptions applied.",
         "We have now reviewed the original decision.",
         "Internal review outcome: the decision is varied."],
        ["Thank you for your complaint, which we will consider.", "I have reviewed your request and attach the data."],
    ),
    "partially_provided.part_withheld": (
        ["The report is attached, with the exception of the costs, which are withheld under section 43.",
         "A redacted copy of the contract is attached.",
         "Names of junior staff have been removed under section 40(2).",
         "We can provide some of the information you asked for.", "I am able to release part of the information requested.",
         "The remainder of the information is exempt under section 43(2).",
         "Some details in the report have been withheld as personal data."],
        ["The names of the roads are listed below.", "We can provide the information you asked for.",
         "The remainder of the budget is spent on staff.", "Some details are given in the attached report."],
    ),
    "internal_review_result.mentions_initial": (
        ["The initial response relied on section 31(3).", "A decision was originally taken to refuse."],
        ["We will respond within 20 working days."],
    ),
    "clarification_requested.asks_to_clarify": (
        ["Before we can go on we need you to clarify what you mean by a contract.",
         "The deadline will start once we receive your clarification.",
         "You have not provided a sufficiently clear description of the records you want.",
         "This part of the request is not a valid FOI request."],
        ["You clarified your request on 3 May."],
    ),
    "extension.time_extended": (
        ["We need to extend the 20-working day response period.",
         "Section 10(3) of the Act allows us to exceed the usual time for reply."],
        ["The road will be extended next year."],
    ),
    "extension.public_interest": (
        ["We are currently assessing the public interest in releasing the report.",
         "We are required to carry out a public interest test.",
         "Your request is being considered under the exemption in section 36."],
        ["The public interest favours disclosure."],
    ),
    "acknowledgement.logged": (["Please find attached an acknowledgement letter.",
                                "Your request has been given the reference FOI/24/1180."],
                               ["We acknowledge the error.", "The street has been given a new name."]),
    "acknowledgement.received": (["Your request for information about buses has been received."],
                                 ["No request about buses was received."]),
    "auto_reply.generic_thanks": (["Thank you for contacting the Information Governance team.",
                                   "Our response times may be longer than usual.", "Staff are currently working from home."],
                                  ["We thank you for your patience."]),
    "auto_reply.automated_message": (["This is an automated confirmation that your e-mail arrived.",
                                      "Please do not reply to this email.", "If your enquiry is urgent, call us."],
                                     ["The automated barrier was installed in May."]),
    "clarification_requested.fees_notice": (
        ["This letter is a fees notice under section 9.", "We will start work once the fee has been paid.",
         "Please note that you will need to pay a fee of £25 before we can go on."],
        ["No fee is payable for this request."],
    ),
    "other.response_at_link": (
        ["Your response has been uploaded to our secure portal.",
         "You can download your response using the link below: https://example.org/r/1",
         "The link will expire after 14 days."],
        ["The council publishes its spending on its website."],
    ),
    "internal_review_result.for_requester": (
        ["I have decided to uphold your complaint.", "I am overturning the original decision.",
         "The exemption was not correctly applied.", "The council should have provided the figures."],
        ["I do not uphold your complaint."],
    ),
    "internal_review_result.for_authority": (
        ["I uphold the original decision.", "The exemption was correctly applied.",
         "I am satisfied that the exemption at section 43 applies."],
        ["Your complaint is upheld."],
    ),
    "provided.in_full": (["The information is provided in full.", "All of the information you requested is attached.",
                          "We have released the audit report in full."],
                         ["The report cannot be provided in full.",
                          "The information is provided in full, except for the names of staff.",
                          "The contract is disclosed in full apart from the pricing schedule."]),
    "refused.exempt": (["We believe it should be withheld under regulation 12(5)(e).",
                        "We are unable to provide a breakdown of the figures by officer."],
                       ["Nothing should be withheld."]),
}
# Shapes found by a blind set of letters written apart from the rules (3 December 2026), in words of our own.
_BLIND: dict[str, tuple[list[str], list[str]]] = {
    "neither_confirm_nor_deny.ncnd": ([("By virtue of section 18(1) the force is refusing to confirm or deny whether "
                                       "the information exists.")], []),
    "acknowledgement.response_promised": (
        ["You can expect to hear from us no later than 9 June 2025.",
         "The Council has 20 working days to respond to your request.",
         "A response will be sent to you within 20 working days, by 31 March 2025.",
         "Ref AB-FOI-9142 - received 15/04/2024, response due 14/05/2024."],
        ["We heard from the company in May."]),
    "acknowledgement.logged": ([("Thank you for your email, which the Council has logged as a request under the "
                                "Act.")], []),
    "internal_review_result.review_done": (
        ["Decision: original decision overturned", "Outcome: UPHELD IN PART", "INTERNAL REVIEW OUTCOME",
         "The panel therefore substitutes a different decision in part.",
         "Outcome: Review - original decision substituted in part"],
        ["We will send you the internal review outcome when it is ready."]),
    "clarification_requested.asks_to_clarify": (
        ["Could you please reply with your full name?",
         "A valid request must state the name of the applicant."],
        []),
    "not_held.not_held": (["There are none.", "The Council has not purchased or trialled any such products."],
                          ["This should not be taken as confirmation that the information does or does not exist."]),
    "partially_provided.part_withheld": ([("A copy of the proposal is attached, with the pricing schedule withheld "
                                          "as explained below.")],
                                         ["The agreement is attached in full, with only the signatures removed."]),
    "auto_reply.out_of_office": ([], ["Please do not reply to this email, as this mailbox is not monitored."]),
    "extension.public_interest": ([("In my email of 21 May I advised that we needed additional time to consider the "
                                   "public interest."),
                                   "The exemptions being considered are section 24(1) and section 31(1)."], []),
    "provided.facts_given": ([], ["Ref AB-FOI-9142 - received 15/04/2024."]),
    "refused.exempt": ([], ["I do not consider that the exemption is engaged."]),
}
for _name, (_yes, _no) in [*_MORE.items(), *_BLIND.items()]:
    CASES.setdefault(_name, ([], []))
    CASES[_name][0].extend(_yes)
    CASES[_name][1].extend(_no)


def test_every_rule_has_cases() -> None:
    assert set(CASES) == {rule.name for rule in RULES}


@pytest.mark.parametrize(("name", "sentence"),
                         [(n, s) for n, (yes, _) in CASES.items() for s in yes])
def test_rule_recognises(name: str, sentence: str) -> None:
    assert BY_NAME[name].matches(sentence), f"{name} should match {sentence!r}"


@pytest.mark.parametrize(("name", "sentence"),
                         [(n, s) for n, (_, no) in CASES.items() for s in no])
def test_rule_ignores(name: str, sentence: str) -> None:
    assert not BY_NAME[name].matches(sentence), f"{name} should not match {sentence!r}"


def test_rule_names_say_their_kind() -> None:
    kinds = {"acknowledgement", "not_held", "refused", "neither_confirm_nor_deny", "clarification_requested",
             "extension", "internal_review_result", "auto_reply", "bounce", "provided", "cover", "delay", "partial",
             "verdict", "link"}
    for rule in RULES:
        assert rule.kind in kinds
        assert rule.strength in ("strong", "medium", "weak")
        assert rule.phrases, rule.name


# --- whose words: the sentence flags the rules rely on ------------------------------------------------

FLAGS = [
    ("I would like to request the following information held by the council.", "requester", True),
    ("I appreciate that the exemption for commercial interests (section 43(2)) may be considered.", "requester", True),
    ("Can you confirm if the council has been in contact with Fusus?", "is_question", True),
    ("How many cameras does the council operate", "is_question", True),
    ("The council does not hold the information.", "is_question", False),
    ("If you are unhappy with this response you can ask for an internal review.", "zone", "appeal"),
    ("You have the right to complain to the Information Commissioner.", "zone", "appeal"),
    ("However, there are exemptions in the Act that can apply and these include the cost limit.", "hypothetical", True),
    ("This information is exempt under section 31, which can apply where release would prejudice crime.",
     "hypothetical", False),
    ("If we need clarification we will contact you.", "hypothetical", True),
    ("The force has decided to withhold the report.", "hypothetical", False),
    ("We may also ask you to clarify your request.", "hypothetical", True),
]


@pytest.mark.parametrize(("sentence", "flag", "expected"), FLAGS)
def test_sentence_flags(sentence: str, flag: str, expected: object) -> None:
    doc = build(f"Dear Requester\n\nThe reply starts here.\n\n{sentence}\n\nYours sincerely")
    found = [s for s in doc.sentences if s.text.startswith(sentence[:25])]
    assert found, [s.text for s in doc.sentences]
    assert getattr(found[0], flag) == expected


@pytest.mark.parametrize("opening", [
    "Thank you for your request received on 17 April 2023, for the following information:",
    "You asked:", "Request", "Your request was:", "I note you seek access to the following information:",
])
def test_restated_request_is_quoted_until_the_response(opening: str) -> None:
    text = (f"Our ref: 1234\n\n{opening}\n\nPlease tell me which exemption you rely on for each part withheld.\n"
            "Section 43(2) may be considered.\n\nResponse\n\nThe council does not hold the information.")
    doc = build(text)

    def zone(start: str) -> str:
        return next(s.zone for s in doc.sentences if s.text.startswith(start))

    assert zone("Please tell me which") == "quoted"
    assert zone("Section 43(2) may be") == "quoted"
    assert zone("The council does not") == "body"


def test_thread_below_the_reply_is_not_the_authoritys() -> None:
    text = ("Dear A. Campaigner, the council does not hold any information about Fusus at all.\n\n"
            "-----Original Message-----\nFrom: A. Campaigner\nSent: 17 April 2023\n\n"
            "If any part of it is exempt, please release the rest.")
    doc = build(text)
    assert [s.zone for s in doc.sentences if "exempt" in s.text] == ["thread"]
    assert "exempt" not in doc.joined


# --- the fast matcher finds exactly what the plain regular expressions find -----------------------------


_WORDS = ["no", "not", "hold", "held", "the", "council", "does", "information", "exempt", "under", "section",
          "12", "we", "will", "respond", "within", "20", "working", "days", "clarify", "please", "n/a", "piano",
          "snot", "held.", "Not", "NO", "ÉTÉ", "İ", "\n", ",", "out", "of", "office", "i", "am"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=30))
def test_phrase_set_agrees_with_plain_regex(words: list[str]) -> None:
    text = " ".join(words)
    for rule in RULES:
        fast = {(m.start(), m.end()) for m in rule.phrase_set.finditer(text)}
        plain: set[tuple[int, int]] = set()
        for phrase in rule.phrases:
            plain.update((m.start(), m.end()) for m in re.finditer(phrase, text, re.IGNORECASE | re.MULTILINE))
        # Every plain match start is found (the fast one may stop at a line end where the plain one went on).
        assert {s for s, _ in plain} == {s for s, _ in fast}, (rule.name, text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=20, max_size=80))
def test_phrase_set_agrees_with_plain_regex_over_a_long_letter(words: list[str]) -> None:
    """In a letter of many lines a phrase is looked for only in the lines that hold its cues: the same
    matches, and a phrase that can run over a line end ("\\s", "[^.]") is still found across it."""
    text = " ".join(words) + "\n" + "\n".join(["zz yy xx ww"] * 30)  # long enough to be read line by line
    assert len(text) >= MIN_BY_LINE
    for rule in RULES:
        fast = {m.start() for m in rule.phrase_set.finditer(text)}
        plain: set[int] = set()
        for phrase in rule.phrases:
            plain.update(m.start() for m in re.finditer(phrase, text, re.IGNORECASE | re.MULTILINE))
        assert plain == fast, (rule.name, text)


def test_a_phrase_that_runs_over_a_line_end_is_found_in_a_long_letter() -> None:
    letter = "\n".join(["Thank you for your letter about parking."] * 10) + "\nThe council does not\nhold it.\n"
    assert len(letter) >= MIN_BY_LINE  # a letter read line by line, for the phrases that stay in one line
    phrases = PhraseSet([r"\bdoes not\s+hold\b", r"\bthank you for your letter\b"])
    found = [letter[m.start():m.end()] for m in phrases.finditer(letter)]
    assert found.count("Thank you for your letter") == 10
    assert "does not\nhold" in found


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=20, max_size=80))
def test_one_scan_finds_exactly_the_cues_a_letter_holds(words: list[str]) -> None:
    """The rules' cues are found in one scan of a letter: exactly those a `cue in letter` test finds."""
    from foibot.understand.phrases import RULE_CUES

    letter = " ".join(words).lower() + "\n" + "\n".join(["zz yy xx ww"] * 30)
    assert RULE_CUES.present(letter) == {cue for cue in RULE_CUES.cues if cue in letter}


def test_a_phrase_compiled_after_a_scan_is_still_found() -> None:
    """A family's automaton is built again when a phrase joins it, and what was remembered of a letter is
    forgotten: a new phrase's cue is never taken for absent from a letter scanned before it came."""
    scan = CueScan()
    letter = "\n".join(["Thank you for your letter about parking."] * 10) + "\nNo snails were harmed.\n"
    assert len(letter) >= MIN_REMEMBERED
    first = PhraseSet([r"\bthank you for your letter\b"], scan=scan)
    assert len(list(first.finditer(letter))) == 10
    assert "snails" not in scan.cues
    later = PhraseSet([r"\bno snails\b"], scan=scan)
    assert [letter[m.start():m.end()] for m in later.finditer(letter)] == ["No snails"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), min_size=20, max_size=80))
def test_cued_pattern_in_a_family_agrees_with_plain_regex(words: list[str]) -> None:
    """A pattern whose cues are found by its family's scan matches what it matches tested cue by cue, and
    what the plain expression matches (in a text without an İ, which lower() makes two characters)."""
    pattern = r"\b(?:does not hold|not held)\b|\bout of (?:the )?office\b|\bi am\b|\bsection 1\d\b"
    cued, alone = CuedPattern(pattern, scan=CueScan()), CuedPattern(pattern)
    text = " ".join(words) + "\n" + "\n".join(["zz yy xx ww"] * 30)
    found = {m.start() for m in cued.finditer(text)}
    assert found == {m.start() for m in alone.finditer(text)}
    if "İ" not in text:
        assert found == {m.start() for m in re.finditer(pattern, text, re.IGNORECASE)}
    first = cued.search(text)
    assert (first.start() if first else None) == (min(found) if found else None)


# Words for the whole-letter tests that look for cues first: their own words, written in capitals, with a
# dotless ı or a long ſ (which a case-insensitive regex takes for i and s, and lower() leaves alone), or İ.
_CUE_WORDS = ["foisa", "FOISA", "foiſa", "FOıSA", "İ", "eir", "EIRs", "eıs", "(scotland)", "freedom", "of",
              "information", "act", "2000", "foia", "our", "OUR", "ouR", "ref", "RFI/123", "ABC/12", "logged",
              "loggeD", "regiſtered", "gıven", "as", "FOI", "2024/1", "\n", "the", "environmental", "regulations"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CUE_WORDS), max_size=20))
def test_cues_never_hide_a_match(words: list[str]) -> None:
    """Cues.absent_from says "no match here" only where the regex finds none (it lets a letter skip it)."""
    text = " ".join(words)
    for pattern in (_SCOTTISH_DOC, _ENGLISH_DOC, _EIR_DOC, _LABEL_GLUED, _LOGGED):
        if Cues(pattern.pattern).absent_from(text, text.lower()):
            assert pattern.search(text) is None, (pattern.pattern, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_CUE_WORDS + ["as", "under", "with", "given", "Logged", "ourref", "OurRef",
                                              "FOI/12", "REGISTERED", "our ref", "recorded"]), max_size=30))
def test_anchored_finds_what_the_pattern_finds(words: list[str]) -> None:
    """A pattern tried only where its leading words are finds every match a search of the whole text finds."""
    text = " ".join(words)
    for pattern in (_LABEL_GLUED, _LOGGED):
        expected = [(m.start(), m.end()) for m in pattern.finditer(text)]
        assert [(m.start(), m.end()) for m in Anchored(pattern).finditer(text)] == expected, (pattern.pattern, text)


@pytest.mark.parametrize(("pattern", "words"), [
    (re.compile(r"\b(?i:logged|given)\b as"), ("logged", "given")),
    (re.compile(r"^(?:Our|ein) ref"), ("our", "ein")),
    (re.compile(r"\b(?:our|\w+) ref"), None),  # a class among the words: not plain words
    (re.compile(r"\bref\w+"), None),  # no choice of words at the start
])
def test_leading_words(pattern: re.Pattern[str], words: tuple[str, ...] | None) -> None:
    assert leading_words(pattern) == words


@pytest.mark.parametrize(("pattern", "cues"), [
    (r"\bdelivery status notification\b", {"delivery status notification"}),
    (r"\b(?:permanent|fatal) (?:delivery )?(?:error|failure)\b", {"permanent", "fatal"}),
    (r"£ ?\d", {"£"}),
    (r"\bno\b", None),
    # the longest sure cue wins: "information" or "record" (6+ letters) rather than " held" (5)
    (r"\bno (?:information|records?) (?:is|was) held\b", {"information", "record"}),
])
def test_required_literals(pattern: str, cues: set[str] | None) -> None:
    found = required_literals(pattern)
    assert (set(found) if found is not None else None) == cues


def test_more_required_literals_name_every_other_part() -> None:
    # the best cue is "information"/"details"; a match also holds a word of each of the other two parts
    assert [set(cues) for cues in more_required_literals(
        r"\b(?:need|require) (?:more|further|additional) (?:information|details)\b")] == [
        {"need", "require"}, {"more", "further", "additional"}]
    # optional parts are never required ("recorded "), nor parts too short to be a cue ("is"/"was")
    assert more_required_literals(r"\bno (?:recorded )?information (?:is|was) held\b") == (
        frozenset({"no "}), frozenset({" held"}))


@pytest.mark.parametrize(("pattern", "first"), [
    (re.compile(r"^on\b.{4,}"), {"o"}),
    (re.compile(r"^\*?from:", re.IGNORECASE), {"*", "f", "F"}),  # an optional start lets the next count too
    (re.compile(r"^(?:-{2,}x|begin|_{8,})", re.IGNORECASE), {"-", "_", "b", "B"}),
    (re.compile(r"sign", re.IGNORECASE), {"s", "S", "ſ"}),  # the letters re folds beyond the other case
    (re.compile(r"[ab]c"), None),  # a class: not told
    (re.compile(r"x?"), None),  # all of it optional
])
def test_first_characters(pattern: re.Pattern[str], first: set[str] | None) -> None:
    found = first_characters(pattern)
    assert (set(found) if found is not None else None) == first


@pytest.mark.parametrize("line", ["-----Original Message-----", "Begin forwarded message:", "_" * 12,
                                  "The original message was received at noon", "On 3 May, Sam wrote:",
                                  "*From:* Sam", "FROM: Sam"])
def test_every_thread_start_begins_with_a_character_the_zones_try(line: str) -> None:
    """The zones try a line as the thread's start only when its first character can begin one (worked out
    from the patterns themselves): each pattern's first characters are told, and a real start is among them."""
    firsts = [first_characters(p) for p in (_THREAD_START, _WROTE, _OUTLOOK_FROM)]
    assert all(firsts)
    assert any(p.match(line) for p in (_THREAD_START, _WROTE, _OUTLOOK_FROM))
    assert any(line[0] in f for f in firsts if f)


def test_split_alternatives_respects_groups_and_classes() -> None:
    assert split_alternatives(r"a|b(c|d)|[|]|\|e") == ["a", "b(c|d)", "[|]", r"\|e"]


def test_phrase_patterns_must_be_lower_case() -> None:
    with pytest.raises(ValueError, match="lower case"):
        PhraseSet([r"\bNot held\b"])
