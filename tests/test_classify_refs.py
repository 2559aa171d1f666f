"""The authority's own reference, in every shape replies write it, and the numbers that are not it.

Beyond the basic labels (our own fixtures, each modelled on a shape seen in real replies): a value on the line
below its label, spaced prefixes, page titles, a reference glued to a prefix word, and the placeholders that
are never a reference."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.references import new_reference
from foibot.understand.authority_refs import find_authority_refs
from foibot.understand.classify import classify_text

SHAPES = [
    ("Our ref: 9645568\n\nDear Requester", "9645568"),
    ("Re: Freedom of Information request ref CA226\n\nThank you", "CA226"),
    ("Dear Mr Smith\n\nFreedom of Information Request Reference No: 2014030002149\nI write", "2014030002149"),
    ("Ref: Information Request No. NR-2023-304\n\nThank you", "NR-2023-304"),
    ("FOI 11611\n\nElectric Vehicles", "FOI 11611"),
    ("FOI 5974 – Car parking charges\n\nDate: 03 June 2019", "FOI 5974"),
    ("Our RefJCW/036468\nDear Sir", "JCW/036468"),
    ("Ein cyf / Our ref: CYF/2023/118\nEich cyf / Your ref: FB-7K3Q98", "CYF/2023/118"),
    ("Our Reference: SE/FOI/36096\n\n24 November 2017", "SE/FOI/36096"),
    ("7 August 2012 / Ref FO005949\n\nExtension of time letter", "FO005949"),
    ("Enquiry Reference: 586-25\nI write in connection", "586-25"),
    ("Request ID: FOI-0257-2324\nDate published: 17 May 2023", "FOI-0257-2324"),
    ("TfL Ref: FOI-0257-2324\n\nThank you", "FOI-0257-2324"),
    ("Your request is now logged as EC/FOI/2026/0212 and we will reply by 4 March.", "EC/FOI/2026/0212"),
    ("Thank you for your enquiry which has been logged under the above reference\n14194.", "14194"),
    ("I have recorded your request for information under reference F2021.08.4687.", "F2021.08.4687"),
    ("Our reference: 4011595             Information request\n-----", "4011595"),
    ("Information requests - 889/18\n\nDate Responded 02 November 2018", "889/18"),
    ("Drones (3300/18)\n\nRequest", "3300/18"),
    ("FI16105\n\nRequest\n\nI respectfully request the minutes", "FI16105"),
    ("Your Ref:   Our Ref:  F-2012-351\n1 March 2012", "F-2012-351"),
    ("FOI Request Reference – 2012/050\nThank you for your email", "2012/050"),
    ("Case Ref: 101004567\n\nDear Requester", "101004567"),
    ("Request 2211/23 - Real-time crime centres\n\nResponse", "2211/23"),
    ("Dear Sir/Madam,\n\nRequest for information - CAS-123456-X1Y2\n\nThank you", "CAS-123456-X1Y2"),
    ("Dear Requester\n\nYour request - EIR 2022/114\n\nWe have considered", "EIR 2022/114"),
    ("Dear Mr Brown\n\nRe: Freedom of Information request 4421\n\nI am writing", "4421"),
    ("Your request has been passed to the team. Your reference number is 2023/FOI/882.", "2023/FOI/882"),
    ("Your request reference: FOI-2023-7781\nThank you", "FOI-2023-7781"),
    ("Your case number is 55012 and we will respond within 20 working days.", "55012"),
    # the label alone on its line, the value below (PDF letters rendered as text, disclosure-log fields)
    ("Your Ref:\nOur Ref:\nQRT5521\nDate:\n3 March 2021\nDear Requester", "QRT5521"),
    ("Summer road closures\n\nReference:\n\n4471\n\nRequest detail:\n\nPlease tell me", "4471"),
    ("Cyfeirnod / Reference:\n\nEIR-2021-88\n\nDear Sir", "EIR-2021-88"),
    # the same below a page's chrome, where no heading rule looks
    ("".join(f"Menu item {n}\n" for n in "abcdefghijkl") + "Reference:\n\n4471\n\nRequest detail:\n", "4471"),
    # the officer's own reference, in English and Welsh; Welsh "request number"
    ("My ref: PL/2231\nYour ref: FB-7K3Q98\nDear Requester", "PL/2231"),
    ("Fy nghyf / My ref: CG-4410\nEich cyf / Your ref: FB-7K3Q98", "CG-4410"),
    ("Annwyl Ymgeisydd\n\nCais rhif 5521\nDiolch am eich cais", "5521"),
    # no label: a verb of logging and a reference's shape
    ("Dear Requester\n\nWe have logged your request as FOI2023-456 and will reply by 2 June.", "FOI2023-456"),
    ("Your enquiry has been registered under CRM-88120.", "CRM-88120"),
    # a prefix glued to the number, not a label word followed by the rest
    ("Our Ref: FOIR7712\nDate: 4 May 2016", "FOIR7712"),
    ("Our reference: FOI_24-071\n\nThank you", "FOI_24-071"),
    # capitals, a space, a number: one reference as written
    ("Request for Information - WGX 20417\nThank you for your request", "WGX 20417"),
    ("Our ref: DC/FOI 311/19\n\nDear Requester", "DC/FOI 311/19"),
    ("Our ref: FOI 2022 417\nDear Sir", "FOI 2022 417"),
    # page titles and letter headings, a few lines down
    ("Bus lanes\n\nInternal review , file type: PDF\n12 May 2022\nComplaint in respect of WGX 30211\nDear",
     "WGX 30211"),
    ("Disclosure Details\n\nStreet lighting - 2214/21\n\nDated: 1 Mar 2021", "2214/21"),
    ("PDC_23-410 Parking permits issued\nDate of response: 2 June 2023\nWe have considered", "PDC_23-410"),
    ("Ceisiadau / Requests\nMaterion / Matters\nRequest for Information: WGX 17745 – Tree planting\nDear", "WGX 17745"),
    # the reference after "Freedom of Information request", letters and digits
    ("Dear Requester\n\nThis is Freedom of Information request KB0071234.\n\nYou asked", "KB0071234"),
    # a street address above the letter is not a reference; the labelled heading below it is
    (("Disclosure Team\nDepartment of Examples\n210 Marsham Street\nDear Requester\n"
      "Freedom of Information Act (FOIA) Request – 250101777\nThank you"), "250101777"),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES)
def test_reference_shapes(text: str, expected: str) -> None:
    assert find_authority_refs([text]) == (expected,)
    assert classify_text(text).authority_ref == expected


SUBJECTS = [
    ("RE: FOI Request 2023-4471 - Fusus [ref FB-7K3Q98]", "2023-4471"),
    ("RE: Freedom of Information request: Fusus [ref FB-7K3Q98] Our Ref: FOI/23/0456", "FOI/23/0456"),
    ("FOI 23/456 response", "FOI 23/456"),
    ("EIR-2023-0099 - your request", "EIR-2023-0099"),
]


@pytest.mark.parametrize(("subject", "expected"), SUBJECTS)
def test_reference_in_the_subject_only(subject: str, expected: str) -> None:
    body = "Dear Requester,\n\nThank you for your request, which has been logged.\n"
    assert find_authority_refs([body], subject) == (expected,)
    assert classify_text(body, subject=subject).authority_ref == expected


def test_a_labelled_reference_in_the_body_wins_over_the_subject() -> None:
    assert find_authority_refs(["Our ref: 77120\n"], "RE: FOI 23/456") == ("77120",)


@pytest.mark.parametrize("text", [
    "Please quote our reference FB-7K3Q98 in your reply.",  # ours, quoted back
    "Your ref: FB-7K3Q98\nDear Requester",
    "Eich cyf / Your ref: FB-M4T8RD",
    "Tel: 0345 600 6400\nEmail: foi@example.gov.uk",
    "If you have any questions please call 0161 496 0123.",
    "as documented in the ICO's decision notice (reference FS50461626).",
    "Date: 11/06/25\nDear Sir",
    "[FOI #448270 email]",
    "Thank you for your request of 6 July 2012 for information about correspondence.",
    "With reference to your request dated 12 May 2023, please see below.",
    "Under the Freedom of Information Act 2000 we must reply within 20 working days.",
    "Please quote the reference number above in any future communications.",
    # placeholders, ours mistyped, and numbers in the shape of a reference
    "Our ref: FB-7K3Q99\nDear Requester",  # ours, its check character mistyped
    "Reference: fb7k3q9x\n",
    "Our ref: [REDACTED]\nDear Requester",
    "Our ref: XXXX/2023\nDear Requester",
    "Case reference: FOI-XXXXX\nThank you",
    "Our ref: ****1234\n",
    "Page 1 of 3\nFreedom of Information Act 2000\nDear Requester",
    "PO BOX 1234\nTown Hall\nDear Requester",
    "Telephone: 0300 123 4567\nDear Requester",
    "Dated: 14 Oct 2016\nDear Requester",
    "Tel:\n01632 960123\nDear Requester",
    "Table 1 - 2022/23\nCategory Count",
    "Company Registration Number: 12345678\nDear Requester",
    "The figures were recorded as 2023 totals.",
])
def test_not_a_reference(text: str) -> None:
    assert find_authority_refs([text]) == ()


def test_two_references_joined_by_a_semicolon() -> None:
    assert find_authority_refs(["Our refs: EIR-3312; EIR-3313\nDear Requester"]) == ("EIR-3312", "EIR-3313")
    assert find_authority_refs(["Our ref: 3312; Your ref: FB-7K3Q98\n"]) == ("3312",)


def test_a_review_and_the_request_it_reviews_are_both_theirs() -> None:
    text = "Our ref: FOI2023/41180\nReview ref: IR2023/50312\n\nDear Requester, I have reviewed the response."
    assert find_authority_refs([text]) == ("FOI2023/41180", "IR2023/50312")


def test_a_label_with_no_value_does_not_take_a_line_further_down() -> None:
    text = "Your ref:\n\nDear Requester,\n\nThank you for your e-mail of 4 May 2023.\n\nLine 2 of 4 lines"
    assert find_authority_refs([text]) == ()


def test_two_references_for_a_split_request() -> None:
    text = "Freedom of Information Request Reference FOI-1595775 and FOI-1596058\nThank you"
    assert find_authority_refs([text]) == ("FOI-1595775", "FOI-1596058")
    c = classify_text(text)
    assert c.authority_ref == "FOI-1595775;FOI-1596058"


def test_a_joint_request_has_one_reference_per_body() -> None:
    text = ("Dear Requester\n\nFREEDOM OF INFORMATION REQUEST REFERENCE NOs: North Vale Police 20511 and\n"
            "South Vale Police 20512\n\nThank you for your request")
    assert find_authority_refs([text]) == ("20511", "20512")


def test_a_bulleted_row_of_figures_is_not_a_reference() -> None:
    text = ("Dear Ms Example,\nThank you for your email. Please see our responses below:\nQ1. How many?\n"
            "- 2019/2020 – 340\n- 2020/2021 – 415\n")
    assert find_authority_refs([text]) == ()


def test_a_repeated_reference_is_given_once() -> None:
    text = "Our reference: 177838\nOur reference: 177838\nI write further to our email."
    assert find_authority_refs([text]) == ("177838",)


def test_a_different_number_elsewhere_is_not_a_second_reference() -> None:
    text = "Our Reference: SE/FOI/36096\n\nMegan Askam\n[FOI #448270 email]\nCase number: 1234567"
    assert find_authority_refs([text]) == ("SE/FOI/36096",)


def test_a_bounce_has_no_authority_reference() -> None:
    text = ("Delivery to the following recipients failed.\n\n   foi@old.gov.uk\n\n"
            "------ This is a copy of the message, including all the headers. ------\n\n"
            "Camden Council sent a response. Our reference: 7706354\n")
    c = classify_text(text)
    assert c.kind == "bounce"
    assert c.authority_refs == ()


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=5))
def test_our_own_reference_is_never_theirs(where: int) -> None:
    ours = new_reference()
    labels = ["Our ref: ", "Your ref: ", "Reference: ", "Ref ", "Case number ", "Eich cyf / Your ref: "]
    text = f"{labels[where]}{ours}\n\nThank you for your request."
    assert ours not in find_authority_refs([text], f"RE: request [ref {ours}]")


# A review letter names the review's reference and the original request's, often in different shapes: both are
# the authority's, when the label (or the words just before) says so, or when one label holds both.
REVIEW_AND_ORIGINAL = [
    ("Internal review reference: IR-7730\nOriginal request reference: FOI-20418\n\nDear Requester",
     ("IR-7730", "FOI-20418")),
    ("Our ref: RV2025-031 (original request 2025-0977)\n\nDear Requester", ("RV2025-031", "2025-0977")),
    ("Our ref: EVC/IR/2025/04 (original request EVC/FOI/2025/77)\n\nDear Requester",
     ("EVC/IR/2025/04", "EVC/FOI/2025/77")),
    ("Cyf / Ref: EIR-25-1140 / IR-25-072\n\nAnnwyl Ymgeisydd", ("EIR-25-1140", "IR-25-072")),
    ("Our refs: EVC-25-1140 / RV-072\n\nDear Requester", ("EVC-25-1140", "RV-072")),  # one label, two shapes
    ("FOI reference: 25/3321\nIR reference: IR-0058\n\nDear Requester", ("25/3321", "IR-0058")),  # a review's
    ("Review reference: EIR-R-0310\nOriginal request: EIR-2025-0644\n\nDear Requester",
     ("EIR-R-0310", "EIR-2025-0644")),
    ("Internal review reference: IR 0107/25\nOriginal FOI reference: 007312/25\n\nDear Requester",
     ("IR 0107/25", "007312/25")),
]


@pytest.mark.parametrize(("text", "expected"), REVIEW_AND_ORIGINAL)
def test_a_review_letter_keeps_the_original_request_reference(text: str, expected: tuple[str, ...]) -> None:
    assert find_authority_refs([text]) == expected
    assert classify_text(text).authority_ref == ";".join(expected)


@pytest.mark.parametrize("text", [
    "Our ref: FOI-20418\nTel: 01632 960123\nCase number: 1234567\n\nDear Requester",
    "Our ref: FOI-20418\nICO reference: FS50461626\n\nDear Requester",
    "Our ref: FOI-20418 (original request dated 2 May 2025)\n\nDear Requester",
])
def test_a_review_letter_takes_no_unrelated_number_as_a_second_reference(text: str) -> None:
    assert find_authority_refs([text]) == ("FOI-20418",)


@pytest.mark.parametrize(("text", "expected"), [
    ("Example Vale Council\nFOI/EVC/25/618\n\nDear Requester,\n\nThank you for your request.", "FOI/EVC/25/618"),
    ("Information Governance\nEVC-FOI-25-0931\n\nDear Requester,\n\nThank you for your request.", "EVC-FOI-25-0931"),
    ("Subject: FOI-EVC-5521 Response\n\nDear Requester,\n\nPlease find our response attached.", "FOI-EVC-5521"),
    ("Subject: RE: EVC/FOI/25/77 - Parking\n\nDear Requester,\n\nPlease find our response attached.", "EVC/FOI/25/77"),
    # a heading naming the subject, then the reference after a dash
    ("Example Vale Council\n\nYour request: Parking / Permits - EVC/FOI/25/4102\n\nDear Requester", "EVC/FOI/25/4102"),
])
def test_a_reference_of_several_letter_groups_in_a_heading(text: str, expected: str) -> None:
    assert find_authority_refs([text]) == (expected,)
    assert classify_text(text).authority_ref == expected


def test_a_reference_of_several_letter_groups_in_the_subject() -> None:
    body = "Dear Requester,\n\nPlease find our response attached.\n"
    assert find_authority_refs([body], "FOI-EVC-5521 Response") == ("FOI-EVC-5521",)
    assert find_authority_refs([body], "RE: EVC/FOI/25/4102 your request") == ("EVC/FOI/25/4102",)


def test_a_reference_inside_a_web_address_is_not_theirs() -> None:
    link = "You can read it here: https://www.example-vale.gov.uk/foi-disclosure-log/FOI-EVC-24-0301\n"
    text = "Example Vale Council\nFOI/EVC/25/619\n\nDear Requester,\n\nThe answer is published.\n" + link
    assert find_authority_refs([text]) == ("FOI/EVC/25/619",)
    assert find_authority_refs(["Dear Requester,\n\nThe answer is published.\n" + link]) == ()
    assert find_authority_refs(["Dear Requester,\n\nSee example-vale.gov.uk/disclosure-log/ref/EVC-24-0301 .\n"]) == ()
    assert find_authority_refs(["Dear Requester,\n"], "Re: request www.example-vale.gov.uk/log/FOI-24-0301") == ()
