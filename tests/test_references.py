"""Our references: found again however mail systems and people mangle them, never mistaken for another."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from foibot.references import (
    ALPHABET,
    check_char,
    find_references,
    is_valid,
    new_reference,
    plus_address,
    reference_from_address,
)

REFERENCES = st.text(alphabet=ALPHABET, min_size=5, max_size=5).map(lambda p: f"FB-{p}{check_char(p)}")
NOISE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
CYRILLIC = {"A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н", "P": "Р", "C": "С", "T": "Т", "X": "Х"}


def test_new_references_are_valid_and_readable() -> None:
    seen = {new_reference() for _ in range(2000)}
    assert len(seen) > 1990  # 31^5 possibilities: collisions are rare (the store checks uniqueness anyway)
    assert all(re.fullmatch(r"FB-[2-9A-HJKMNP-Z]{6}", r) and is_valid(r) for r in seen)
    assert not any(set(r[3:]) & set("01OIL") for r in seen)


@given(REFERENCES, st.integers(0, 5), st.sampled_from(ALPHABET))
def test_a_single_mistyped_character_is_never_another_valid_reference(ref: str, position: int, new: str) -> None:
    code = ref[3:]
    assume(code[position] != new)
    mistyped = f"FB-{code[:position]}{new}{code[position + 1:]}"
    assert not is_valid(mistyped)
    assert find_references(f"Our ref {mistyped}.") == []


@given(REFERENCES, st.integers(0, 4))
def test_two_swapped_neighbours_are_never_another_valid_reference(ref: str, position: int) -> None:
    code = list(ref[3:])
    assume(code[position] != code[position + 1])
    code[position], code[position + 1] = code[position + 1], code[position]
    assert not is_valid("FB-" + "".join(code))


@settings(max_examples=300)
@given(REFERENCES, st.sampled_from(["delete", "insert", "substitute", "swap", "double"]), st.integers(0, 8),
       st.sampled_from(ALPHABET + "01OIL"), NOISE, NOISE)
def test_a_mangled_reference_is_found_as_itself_or_not_at_all(ref: str, how: str, at: int, char: str,
                                                              before: str, after: str) -> None:
    text = list(ref)
    at = at % len(text)
    if how == "delete":
        del text[at]
    elif how == "insert":
        text.insert(at, char)
    elif how == "substitute":
        text[at] = char
    elif how == "swap" and at + 1 < len(text):
        text[at], text[at + 1] = text[at + 1], text[at]
    elif how == "double":
        text.insert(at, text[at])
    mangled = "".join(text)
    found = find_references(f"{before} {mangled} {after}")
    others = set(find_references(before)) | set(find_references(after))
    assert set(found) - others <= {ref}


@pytest.mark.parametrize("written", [
    "FB-{code}", "fb-{lower}", "FB {code}", "FB{code}", "FB - {code}", "FB_{code}", "FB:{code}",
    "[ref FB-{code}]", "Re: your ref: FB-{code}.", "FB\u2013{code}", "fb {lower}", "FB-{split}",
    "(FB-{code})", "FB-{cyrillic}",
])
def test_the_ways_people_and_mail_systems_write_it_are_all_found(written: str) -> None:
    ref = "FB-7K3Q9" + check_char("7K3Q9")
    code = ref[3:]
    text = written.format(code=code, lower=code.lower(), split=f"{code[:3]} {code[3:]}",
                          cyrillic="".join(CYRILLIC.get(c, c) for c in code))
    assert find_references(f"Dear requester, {text} thank you") == [ref]


@given(REFERENCES, NOISE, NOISE)
def test_a_reference_in_any_text_is_found(ref: str, before: str, after: str) -> None:
    found = find_references(f"{before} {ref} {after}")
    assert ref in found


VALID = "FB-7K3Q9" + check_char("7K3Q9")
WRONG_CHECK = VALID[:-1] + next(c for c in ALPHABET if c != VALID[-1])


@pytest.mark.parametrize("text", [
    VALID[:-1],  # five symbols
    VALID + "2",  # seven
    "A" + VALID,  # part of a longer word
    VALID + "Q",
    WRONG_CHECK,  # a check character that does not fit
    "The FBI said " + VALID[3:],
    "fb-0000000",
    "reference " + VALID[3:],  # no FB prefix: too weak to be ours
])
def test_things_that_are_not_our_references(text: str) -> None:
    assert find_references(text) == []


@given(REFERENCES)
def test_plus_addresses_carry_the_reference_both_ways(ref: str) -> None:
    address = plus_address("campaigner@example.org", ref)
    assert address == f"campaigner+{ref.lower()}@example.org"
    assert reference_from_address(address) == ref
    assert reference_from_address(address.upper()) == ref
    assert plus_address("campaigner+old@example.org", ref) == address  # one tag, never two


def test_an_address_without_a_reference() -> None:
    assert reference_from_address("campaigner@example.org") is None
    assert reference_from_address("campaigner+newsletter@example.org") is None


def test_a_lone_symbol_after_a_break_is_the_next_word_not_part_of_the_reference() -> None:
    # "FB-XU3TA" lost its R; the "2" of the next word would complete another valid reference, FB-XU3TA2.
    assert is_valid("FB-XU3TA2")
    assert find_references("about FB-XU3TA 2 May") == []
    assert find_references("about FB-XU3TA2 on 2 May") == ["FB-XU3TA2"]
    assert find_references("about FB-XU 3TA2 on 2 May") == ["FB-XU3TA2"]
