"""The authority's reference in the label shapes that real replies use beyond the basic ones (our own fixtures,
each modelled on a shape seen in real replies): a value on the line below its label, spaced prefixes,
page titles, a reference glued to a prefix word, and the placeholders that are never a reference."""

from __future__ import annotations

import pytest

from foibot.understand.authority_refs import find_authority_refs
from foibot.understand.classify import classify_text

SHAPES = [
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
]


@pytest.mark.parametrize(("text", "expected"), SHAPES)
def test_reference_grammar(text: str, expected: str) -> None:
    assert find_authority_refs([text]) == (expected,)
    assert classify_text(text).authority_ref == expected


def test_two_references_joined_by_a_semicolon() -> None:
    assert find_authority_refs(["Our refs: EIR-3312; EIR-3313\nDear Requester"]) == ("EIR-3312", "EIR-3313")
    assert find_authority_refs(["Our ref: 3312; Your ref: FB-7K3Q98\n"]) == ("3312",)


def test_a_review_and_the_request_it_reviews_are_both_theirs() -> None:
    text = "Our ref: FOI2023/41180\nReview ref: IR2023/50312\n\nDear Requester, I have reviewed the response."
    assert find_authority_refs([text]) == ("FOI2023/41180", "IR2023/50312")


@pytest.mark.parametrize("text", [
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
def test_placeholders_and_look_alikes_are_not_references(text: str) -> None:
    assert find_authority_refs([text]) == ()


def test_a_label_with_no_value_does_not_take_a_line_further_down() -> None:
    text = "Your ref:\n\nDear Requester,\n\nThank you for your e-mail of 4 May 2023.\n\nLine 2 of 4 lines"
    assert find_authority_refs([text]) == ()
