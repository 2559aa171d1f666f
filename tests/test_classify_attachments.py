"""Letters in attachments: their text extracted (PDF, DOCX, HTML, text), and read when the e-mail is a cover note."""

from __future__ import annotations

import pytest
from support.mail import (
    COVER_NOTE,
    FIXTURES,
    NOT_HELD_LETTER,
    REFUSAL_LETTER,
    encrypt_pdf,
    make_docx,
    make_pdf,
    message,
)

from foibot.understand.extract import extract_text
from foibot.understand.read import read_message

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_pdf_text() -> None:
    result = extract_text(make_pdf(REFUSAL_LETTER), "application/pdf", "letter.pdf")
    assert result.status == "ok"
    assert "exempt from" in result.text and "Our ref: NS-FOI-23-0871" in result.text


def test_pdf_sent_as_octet_stream_is_recognised_by_its_bytes() -> None:
    result = extract_text(make_pdf(["The council does not hold it."]), "application/octet-stream", None)
    assert result.status == "ok" and "does not hold" in result.text


def test_pdf_encrypted_against_editing_only_is_read() -> None:
    result = extract_text(encrypt_pdf(make_pdf(REFUSAL_LETTER), ""), "application/pdf", "letter.pdf")
    assert result.status == "ok" and "section 43(2)" in result.text


def test_pdf_needing_a_password_is_recorded_as_encrypted() -> None:
    result = extract_text(encrypt_pdf(make_pdf(REFUSAL_LETTER), "s3cret"), "application/pdf", "letter.pdf")
    assert (result.status, result.text) == ("encrypted", "")


@pytest.mark.parametrize("data", [b"%PDF-1.4\n1 0 obj << /Type /Catalog", make_pdf(["x"])[:150], b"%PDF-" + b"\x00" * 50])
def test_broken_pdf_is_recorded_as_broken(data: bytes) -> None:
    result = extract_text(data, "application/pdf", "letter.pdf")
    assert result.status == "broken" and result.text == ""
    assert result.detail


def test_docx_paragraphs_and_tables() -> None:
    data = make_docx(NOT_HELD_LETTER, table=[["Year", "Cost"], ["2022", "£12"]])
    result = extract_text(data, DOCX, "Response.docx")
    assert result.status == "ok"
    assert "does not hold any information" in result.text and "2022 | £12" in result.text


def test_broken_and_password_protected_docx() -> None:
    assert extract_text(b"PK\x03\x04 not really a zip", DOCX, "r.docx").status == "broken"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert extract_text(ole, DOCX, "r.docx").status == "encrypted"


def test_html_and_text_attachments() -> None:
    html = extract_text(b"<html><script>x</script><p>Not held.</p></html>", "text/html", "r.html")
    assert (html.status, html.text) == ("ok", "Not held.")
    text = extract_text("Caf\u00e9 not held".encode("cp1252"), "text/plain", "r.txt")
    assert (text.status, text.text) == ("ok", "Café not held")


def test_unknown_and_oversized_attachments() -> None:
    assert extract_text(b"\x89PNG\r\n\x1a\n....", "image/png", "logo.png").status == "unsupported"
    from foibot.understand import extract

    big = b"%PDF-1.4" + b" " * (extract.MAX_BYTES + 1)
    assert extract_text(big, "application/pdf", "big.pdf").status == "too_large"


# --- classification reads the letter when the e-mail is only a cover note -----------------------------

def test_cover_note_with_pdf_letter() -> None:
    reading = read_message((FIXTURES / "cover_pdf_refused.eml").read_bytes())
    c = reading.classification
    assert (c.kind, c.authority_ref, c.exemptions, c.from_attachment) == ("refused", "NS-FOI-23-0871", ("s43(2)",), True)
    assert [e.status for e in reading.extracted] == ["ok"]


def test_cover_note_with_docx_letter() -> None:
    raw = message(COVER_NOTE, attachments=[("Response.docx", DOCX, make_docx(NOT_HELD_LETTER))])
    c = read_message(raw).classification
    assert (c.kind, c.authority_ref) == ("not_held", "7720431")
    assert any("does not hold" in e for e in c.evidence)


def test_cover_note_with_an_unreadable_letter_stays_other_and_records_why() -> None:
    raw = message(COVER_NOTE, attachments=[("letter.pdf", "application/pdf", encrypt_pdf(make_pdf(REFUSAL_LETTER), "pw")),
                                           ("scan.pdf", "application/pdf", b"%PDF-1.4 broken")])
    reading = read_message(raw)
    assert reading.classification.kind == "other"
    assert [e.status for e in reading.extracted] == ["encrypted", "broken"]


def test_the_e_mail_decides_when_it_says_enough_but_the_letter_adds_the_reference() -> None:
    body = "Dear A. Campaigner,\n\nThe council does not hold any information about Fusus.\n"
    raw = message(body, attachments=[("letter.pdf", "application/pdf", make_pdf(["Our reference: 5566123", "Letter"]))])
    c = read_message(raw).classification
    assert (c.kind, c.authority_ref, c.from_attachment) == ("not_held", "5566123", False)
