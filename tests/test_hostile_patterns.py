"""Every regular expression the reader compiles, run over long adversarial texts: none may take time that grows
faster than the text (issue 13: a run of digits made one classifier phrase quadratic, minutes for a 200 KB
reply).

The patterns are found by walking the modules of foibot.understand (module constants, the rules' compiled
phrases and vetoes, the cued phrase sets), so a phrase added later is checked too. Each runs over texts
made of one short unit repeated (digit runs, repeated words, long whitespace, a label repeated...) at two
lengths: a linear pattern takes about four times as long on a text four times as long, a quadratic one
sixteen times; a pattern is flagged when it both grows much faster than the text and takes measurable time.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from typing import Any

import pytest

from foibot import understand
from foibot.understand.phrases import CuedPattern, PhraseSet

# The units the texts are made of: what an attacker can repeat in a reply (each was the shape of a failure).
UNITS = ["1", "1,", "1 ", "1.", "1/", " ", "\n", " \n", "\t", "a", "A", "the ", "ab ", "a-", "-", ".", ",",
         "ref ", "our ref ", "section ", "s", "q1 ", "no ", "not ", "<", "=?", "(", "§", "£1 ", "FOI/"]
SHORT, LONG = 1500, 6000
# A pattern that takes less than this on the long text is fast whatever its growth (timer noise).
FLOOR_SECONDS = 0.02
# Patterns only ever applied at one position (re.match / fullmatch) to a bounded value, never searched
# through a text: what matters is that one match does not grow with the text, checked with match().
ANCHORED = {
    "headers._MAILBOX": "matched at each address of a header value of at most MAX_HEADER_CHARS",
    "headers._SIMPLE_MSGID": "fullmatch on one Message-ID header value",
    "headers._SIMPLE_MIME": "fullmatch on one Content-Type value",
    "authority_refs._LABEL": "matched only where a label word starts (_label_matches)",
    "authority_refs._OWNER_BEFORE": "searched in the 16 characters before a label word",
}


def _patterns() -> dict[str, re.Pattern[str]]:
    found: dict[tuple[str, int], tuple[str, re.Pattern[str]]] = {}

    def walk(obj: Any, where: str, depth: int = 0) -> None:
        if depth > 5:
            return
        if isinstance(obj, re.Pattern):
            found.setdefault((obj.pattern, obj.flags), (where, obj))
        elif isinstance(obj, (PhraseSet, CuedPattern)):
            for compiled in obj._compiled:
                walk(compiled.careful, where, depth + 1)
                walk(compiled.fast, where, depth + 1)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for item in obj:
                walk(item, where, depth + 1)
        elif isinstance(obj, dict):
            for item in obj.values():
                walk(item, where, depth + 1)
        elif hasattr(obj, "__dataclass_fields__"):
            for name in obj.__dataclass_fields__:
                walk(getattr(obj, name, None), f"{where}.{name}", depth + 1)

    for info in pkgutil.iter_modules(understand.__path__):
        module = importlib.import_module(f"foibot.understand.{info.name}")
        for name, value in vars(module).items():
            walk(value, f"{info.name}.{name}")
    return {f"{where} {pattern.pattern[:60]!r}": pattern for where, pattern in found.values()}


def _anchored(name: str) -> bool:
    return name.split(" ")[0] in ANCHORED


PATTERNS = _patterns()


def _cost(pattern: re.Pattern[str], text: str, anchored: bool = False) -> float:
    started = time.perf_counter()
    if anchored:
        pattern.match(text)
    else:
        for _ in pattern.finditer(text):
            pass
    return time.perf_counter() - started


def slow_growth(pattern: re.Pattern[str], anchored: bool = False) -> list[str]:
    """The units on which the pattern's time grows faster than the text, with the times measured (each the
    best of three once it looks slow: the machine is shared, and one slow run can be another's load)."""
    slow = []
    for unit in UNITS:
        short = unit * (SHORT // len(unit))
        long = unit * (LONG // len(unit))
        short_cost = _cost(pattern, short, anchored)
        if short_cost > 4 * FLOOR_SECONDS:  # slow on the short text already: the long one could take minutes
            short_cost = min(short_cost, *(_cost(pattern, short, anchored) for _ in range(2)))
            if short_cost > 4 * FLOOR_SECONDS:
                slow.append(f"{unit!r}: {short_cost:.3f} s on {len(short)} characters")
            continue
        long_cost = _cost(pattern, long, anchored)
        if long_cost < FLOOR_SECONDS:
            continue
        short_cost = min(short_cost, *(_cost(pattern, short, anchored) for _ in range(2)))
        long_cost = min(long_cost, *(_cost(pattern, long, anchored) for _ in range(2)))
        if long_cost > FLOOR_SECONDS and long_cost > 8 * max(short_cost, 1e-4):
            # Confirmed on a text four times longer again (caches make a short run look cheaper than it is).
            longer = unit * (4 * LONG // len(unit))
            longer_cost = min(_cost(pattern, longer, anchored), _cost(pattern, longer, anchored))
            if longer_cost > 8 * long_cost:
                slow.append(f"{unit!r}: {short_cost:.3f} s -> {long_cost:.3f} s -> {longer_cost:.3f} s")
    return slow


def test_the_walk_finds_the_classifier_phrases() -> None:
    from foibot.understand.rules import RULES

    assert len(PATTERNS) > 300
    sample = RULES[0].phrase_set._compiled[0].careful
    assert any(p is sample or p.pattern == sample.pattern for p in PATTERNS.values())


def test_the_check_catches_a_quadratic_pattern() -> None:
    # The shape of issue 13's phrase: the digit run is tried from every digit.
    assert slow_growth(re.compile(r"\b\d[\d,]* (?:incidents?|cases?|requests?)"))
    assert not slow_growth(re.compile(r"(?<![\d,])\d[\d,]* (?:incidents?|cases?|requests?)"))


@pytest.mark.timeout(240)
def test_no_pattern_is_slower_than_linear_on_long_texts() -> None:
    slow = {name: found for name, pattern in PATTERNS.items()
            if (found := slow_growth(pattern, anchored=_anchored(name)))}
    assert not slow, "patterns that backtrack on long inputs:\n" + "\n".join(
        f"{name}: {'; '.join(found)}" for name, found in slow.items())
