"""Fast phrase matching: each phrase's regular expression runs only when a word it needs is in the text (pure).

Python's regex engine tries every alternative at every position, so fifty phrase patterns over a letter cost
milliseconds. Each phrase's required literal text ("cue") is worked out from the pattern itself, once: a
phrase cannot match a text that holds none of its cues, so the cheap `cue in text` test skips it without
changing any result. A phrase made of parts ("(?:need|require) (?:more|further) information") needs a cue of
each part, and is run only when all are there (half the regex runs of one cue alone). In a text of many lines
(the authority's sentences, one a line), a phrase whose matches never hold a line end is run only over the
lines that hold one of its cues (the parse of the pattern tells which phrases those are). That keeps 10,000
replies to seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

try:  # Python 3.11+: the regex parser the re module itself uses (internal, but stable since 3.11)
    from re import _constants as _sre_constants  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_LITERAL = _sre_constants.LITERAL
_SUBPATTERN = _sre_constants.SUBPATTERN
_BRANCH = _sre_constants.BRANCH
_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT)
_ASSERTS = (_sre_constants.ASSERT, _sre_constants.ASSERT_NOT, _sre_constants.AT)


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-case strings of which every match contains at least one; None when no useful cue exists."""
    return cue_sets(pattern)[0]


def more_required_literals(pattern: str) -> tuple[frozenset[str], ...]:
    """The other cue sets a match needs besides `required_literals`' own, one per part of the pattern that
    every match holds: "(?:need|require) (?:more|further) information" needs a word of each of its three parts."""
    return cue_sets(pattern)[1]


def cue_sets(pattern: str) -> tuple[frozenset[str] | None, tuple[frozenset[str], ...]]:
    """`required_literals` and `more_required_literals` of a pattern, parsed once."""
    try:
        parsed = _sre_parse.parse(pattern, re.IGNORECASE)
    except re.error:
        return None, ()
    return _cue_sets_of(list(parsed))


def _cue_sets_of(parsed: list[tuple[object, object]]) -> tuple[frozenset[str] | None, tuple[frozenset[str], ...]]:
    found = _sequence(parsed)
    best = found[0] if found and _useful(found) else None
    more: list[frozenset[str]] = []
    for candidate in _parts(parsed):
        if _useful(candidate) and candidate[0] != best and candidate[0] not in more:
            more.append(candidate[0])
    return best, tuple(more)


def _useful(candidate: tuple[frozenset[str], int]) -> bool:
    """Three letters make a useful cue; so does a single rare sign ("£", "%") or any cue with punctuation."""
    cues, shortest = candidate
    return shortest >= 3 or all(re.search(r"[^a-z0-9 ]", cue) for cue in cues)


def _parts(items: list[tuple[object, object]]) -> list[tuple[frozenset[str], int]]:
    """The cue set of each part of a sequence that every match holds (literal runs, groups, alternations)."""
    found: list[tuple[frozenset[str], int]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            text = "".join(run).lower()
            found.append((frozenset([text]), len(text)))
            run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))  # type: ignore[arg-type]
            continue
        if op is _sre_constants.AT:
            continue
        flush()
        if op is _SUBPATTERN:
            found.extend(_parts(list(av[-1])))  # type: ignore[index]
        elif op is _BRANCH:
            alternative = _sequence([(op, av)])
            if alternative:
                found.append(alternative)
        elif op in _REPEATS and av[0] >= 1:  # type: ignore[index]
            found.extend(_parts(list(av[2])))  # type: ignore[index]
    flush()
    return found


def _sequence(items: list[tuple[object, object]]) -> tuple[frozenset[str], int] | None:
    """The best cue set of a sequence: the one whose shortest member is longest."""
    best: tuple[frozenset[str], int] | None = None
    run: list[str] = []

    def consider(candidate: tuple[frozenset[str], int] | None) -> None:
        nonlocal best
        if candidate and (best is None or candidate[1] > best[1]):
            best = candidate

    def flush() -> None:
        if run:
            text = "".join(run).lower()
            consider((frozenset([text]), len(text)))
            run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))  # type: ignore[arg-type]
            continue
        if op in _ASSERTS:  # zero-width: \b, lookarounds; they do not break a literal run's meaning
            if op is _sre_constants.AT:
                continue
            flush()
            continue
        flush()
        if op is _SUBPATTERN:
            consider(_sequence(list(av[-1])))  # type: ignore[index]
        elif op is _BRANCH:
            alternatives = [_sequence(list(branch)) for branch in av[1]]  # type: ignore[index]
            if alternatives and all(alternatives):
                members = frozenset().union(*(a[0] for a in alternatives if a))
                consider((members, min(a[1] for a in alternatives if a)))
        elif op in _REPEATS:
            low: int = av[0]  # type: ignore[index]
            repeated = av[2]  # type: ignore[index]
            if low >= 1:
                consider(_sequence(list(repeated)))
    flush()
    return best


def first_characters(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Every character a match of `pattern` (used with .match) can begin with, both cases when it ignores
    case; None when that cannot be told (a class, an optional start, an empty match): any character may."""
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except re.error:
        return None
    found = _firsts(list(parsed))
    if found is None:
        return None
    if pattern.flags & re.IGNORECASE:  # the other case, and the letters re folds beyond it (ı İ ſ K)
        found = found | {c.swapcase() for c in found if len(c.swapcase()) == 1}
        found |= {extra for letter, more in _FOLDS.items() if letter in found for extra in more}
    return frozenset(found)


def leading_words(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The words every match of `pattern` begins with, in lower case ("\\b(?i:logged|given)\\b ..." -> logged,
    given), when its start (after ^ or \\b) is a choice of plain words; None otherwise."""
    try:
        parsed = list(_sre_parse.parse(pattern.pattern, pattern.flags))
    except re.error:
        return None
    items = [item for item in parsed if item[0] is not _sre_constants.AT][:1]  # after ^ or \\b: the first part
    if not items:
        return None
    op, av = items[0]
    if op is _SUBPATTERN:  # (?i:a|b), or a group
        inner = list(av[-1])  # type: ignore[index]
        if len(inner) == 1 and inner[0][0] is _BRANCH:
            branches = [list(branch) for branch in inner[0][1][1]]  # type: ignore[index]
        else:
            branches = [inner]
    elif op is _BRANCH:  # (?:a|b), which the parser inlines
        branches = [list(branch) for branch in av[1]]  # type: ignore[index]
    else:
        return None
    words = []
    for branch in branches:
        if not branch or any(item_op is not _LITERAL for item_op, _ in branch):
            return None
        words.append("".join(chr(value) for _, value in branch).lower())  # type: ignore[call-overload]
    return tuple(words)


class Anchored:
    """A pattern whose every match begins with one of a few words (leading_words): tried with re.match only
    where one of them is in the text, instead of searched for through all of it (a leading \\b costs Python's
    regex engine its fast scan). The same matches as `pattern.finditer`."""

    def __init__(self, pattern: re.Pattern[str]):
        self.pattern = pattern
        words = leading_words(pattern)
        self._words = (re.compile("|".join(re.escape(word) for word in sorted(set(words), key=len, reverse=True)))
                       if words else None)

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        lowered = text.lower() if lowered is None else lowered
        if self._words is None or not lowers_simply(text, lowered):
            yield from self.pattern.finditer(text)
            return
        end = 0
        position = 0
        while True:
            word = self._words.search(lowered, position)
            if word is None:
                return
            start = word.start()
            position = start + 1  # (every start is tried: one word may begin inside another's occurrence)
            if start < end:
                continue
            match = self.pattern.match(text, start)
            if match is not None:
                yield match
                end = max(match.end(), start + 1)


_FOLDS = {"i": "ıİ", "I": "ıİ", "s": "ſ", "S": "ſ", "k": "\u212a", "K": "\u212a"}


def _firsts(items: list[tuple[object, object]]) -> set[str] | None:
    """The first characters of a sequence; an optional part adds its own and lets the next one count too."""
    out: set[str] = set()
    for op, av in items:
        if op is _sre_constants.AT:
            continue  # ^, \b: zero-width
        if op is _LITERAL:
            return out | {chr(av)}  # type: ignore[arg-type]
        if op is _SUBPATTERN:
            first = _firsts(list(av[-1]))  # type: ignore[index]
        elif op is _BRANCH:
            branches = [_firsts(list(branch)) for branch in av[1]]  # type: ignore[index]
            first = None if any(b is None for b in branches) else set().union(*branches)  # type: ignore[arg-type]
        elif op in _REPEATS:
            first = _firsts(list(av[2]))  # type: ignore[index]
            if first is not None and av[0] == 0:  # type: ignore[index]
                out |= first  # optional: what follows may come first
                continue
        else:
            return None  # a class, a lookaround: not told
        return None if first is None else out | first
    return None  # all of it optional: a match may begin with anything


def _check_lower_case(phrase: str) -> None:
    """Phrases are matched on lower-cased text, so an upper-case letter in one would never match."""
    if re.search(r"[A-Z]", re.sub(r"\\[A-Za-z]|\[[^\]]*\]|\(\?[a-zA-Z-]+[:)]", "", phrase)):
        raise ValueError(f"phrase patterns are written in lower case: {phrase!r}")


_LINE_SAFE_AT = {_sre_constants.AT_BEGINNING, _sre_constants.AT_BEGINNING_STRING, _sre_constants.AT_BOUNDARY,
                 _sre_constants.AT_NON_BOUNDARY}
_LINE_SAFE_CATEGORIES = {_sre_constants.CATEGORY_DIGIT, _sre_constants.CATEGORY_WORD}
_NEWLINE = ord("\n")


def _within_a_line(items: list[tuple[object, object]], flags: int) -> bool:
    r"""Whether no match of the parsed pattern can hold a line end, and it matches the same inside a line
    ending at `endpos` as inside a line ending at "\n" (so that a match can be looked for line by line).

    Conservative: anything not known to be so (\s, [^...], "." with DOTALL, $ without MULTILINE, \Z, back
    references, inline flags) says no."""
    for op, av in items:
        if op is _LITERAL:
            if av == _NEWLINE:
                return False
        elif op is _sre_constants.NOT_LITERAL:
            if av != _NEWLINE:
                return False
        elif op is _sre_constants.ANY:
            if flags & re.DOTALL:
                return False
        elif op is _sre_constants.IN:
            for kind, value in av:  # type: ignore[attr-defined]
                if kind is _LITERAL and value == _NEWLINE or kind is _sre_constants.NEGATE:
                    return False
                if kind is _sre_constants.RANGE and value[0] <= _NEWLINE <= value[1]:
                    return False
                if kind is _sre_constants.CATEGORY and value not in _LINE_SAFE_CATEGORIES:
                    return False
        elif op is _sre_constants.AT:
            if av not in _LINE_SAFE_AT and not (av is _sre_constants.AT_END and flags & re.MULTILINE):
                return False
        elif op in (_sre_constants.ASSERT, _sre_constants.ASSERT_NOT):
            # a lookbehind reads the text before the match, the same either way; a lookahead must stay in its line
            if av[0] == 1 and not _within_a_line(list(av[1]), flags):  # type: ignore[index]
                return False
        elif op is _SUBPATTERN:
            add, remove, pattern = av[1], av[2], av[3]  # type: ignore[index]
            if (add | remove) & (re.DOTALL | re.MULTILINE) or not _within_a_line(list(pattern), flags):
                return False
        elif op is _BRANCH:
            if not all(_within_a_line(list(branch), flags) for branch in av[1]):  # type: ignore[index]
                return False
        elif op in _REPEATS or op is getattr(_sre_constants, "POSSESSIVE_REPEAT", None):
            if not _within_a_line(list(av[2]), flags):  # type: ignore[index]
                return False
        elif op is getattr(_sre_constants, "ATOMIC_GROUP", None):
            if not _within_a_line(list(av), flags):  # type: ignore[call-overload]
                return False
        else:
            return False
    return True


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


class _Compiled:
    """One phrase, compiled for speed: a leading \\b is checked by hand, because in Python's regex engine a
    pattern that starts with \\b loses its fast scan for the first characters (it is 3 to 30 times slower)."""

    __slots__ = ("_careful", "_cue_list", "_cue_parts", "_first_part", "_flags", "_phrase", "boundary", "by_line",
                 "cues", "fast")

    def __init__(self, phrase: str, flags: int):
        try:
            parsed = _sre_parse.parse(phrase, flags | re.IGNORECASE)  # (once, for its cues and its lines)
        except re.error:
            parsed = None
        self.cues, more = _cue_sets_of(list(parsed)) if parsed is not None else (None, ())
        self._cue_list = tuple(sorted(self.cues)) if self.cues else ()
        # The cues of each part a match needs: the best one first, then the other parts' (tested only once the
        # first is there); none for a phrase without a sure cue.
        self._cue_parts = (self._cue_list, *(tuple(sorted(part)) for part in more)) if self.cues else ()
        self._first_part = self._cue_parts[:1]
        self.boundary = phrase.startswith("\\b")
        body = phrase[2:] if self.boundary else phrase
        self.fast = re.compile(body, flags & ~re.IGNORECASE)
        self._phrase, self._flags = phrase, flags
        self._careful: re.Pattern[str] | None = None  # compiled when first needed (rarely: see `careful`)
        # A phrase with cues whose matches never hold a line end is looked for only in the lines (the sentences,
        # in the text the rules read) that hold one of its first cues: every match holds one, in its own line.
        self.by_line = parsed is not None and bool(self._cue_list) and _within_a_line(list(parsed), parsed.state.flags)

    @property
    def careful(self) -> re.Pattern[str]:
        """The phrase as written, case-insensitive, for a text whose length lower() changes (rare: compiled
        then, not for each of the thousand phrases when the reader is imported)."""
        if self._careful is None:
            self._careful = re.compile(self._phrase, self._flags | re.IGNORECASE)
        return self._careful

    def _present(self, lowered: str) -> bool:
        for cue in self._cue_list:
            if cue in lowered:
                return True
        return False

    def absent(self, lowered: str) -> bool:
        """None of the phrase's cues is in the text: it cannot match."""
        if not self._cue_list:
            return False
        for cue in self._cue_list:
            if cue in lowered:
                return False
        return True

    def search(self, text: str, lowered: str) -> re.Match[str] | None:
        """The first match, or None (the common case of one sentence, without a generator)."""
        if self._cue_list and not self._present(lowered):
            return None
        return self.first(text, lowered)

    def first(self, text: str, lowered: str, present: frozenset[str] | None = None) -> re.Match[str] | None:
        """The first match, the cues already known to be present (search without their test); `present`: the
        cues the text holds, when known (its lines are then found from those only)."""
        if len(lowered) != len(text):
            return self.careful.search(text)
        if self.by_line and len(lowered) >= MIN_BY_LINE:
            return next(self._by_lines(lowered, present), None)
        if not self.boundary:
            return self.fast.search(lowered)
        return next(self._bounded(lowered), None)

    def _lines_with_cues(self, lowered: str, present: frozenset[str] | None = None) -> list[tuple[int, int]]:
        """Where each line that holds one of the first part's cues starts and ends, in order (of the cues in
        `present` only, when the cues the text holds are known: an absent one would be looked for in vain)."""
        lines = set()
        length = len(lowered)
        for cue in self._cue_list if present is None else present.intersection(self._cue_list):
            found = lowered.find(cue)
            while found != -1:
                end = lowered.find("\n", found)
                end = length if end == -1 else end
                lines.add((lowered.rfind("\n", 0, found) + 1, end))
                found = lowered.find(cue, end)
        return sorted(lines)

    def _by_lines(self, lowered: str, present: frozenset[str] | None = None) -> Iterator[re.Match[str]]:
        """Every match, line by line over the lines that hold a cue (the same matches as over the whole text:
        none holds a line end, and each holds a cue)."""
        for start, end in self._lines_with_cues(lowered, present):
            if self.boundary:
                yield from self._bounded(lowered, start, end)
            else:
                yield from self.fast.finditer(lowered, start, end)

    def _bounded(self, lowered: str, position: int = 0, end: int | None = None) -> Iterator[re.Match[str]]:
        """Every match between `position` and `end` that starts at a word boundary."""
        length = len(lowered)
        end = length if end is None else end
        while position <= end:
            match = self.fast.search(lowered, position, end)
            if match is None:
                return
            start = match.start()
            before = lowered[start - 1] if start else " "
            after = lowered[start] if start < length else " "
            if _is_word(before) == _is_word(after):  # not at a word boundary: try one character later
                position = start + 1
                continue
            yield match
            position = match.end() if match.end() > start else start + 1

    def finditer(self, text: str, lowered: str) -> Iterator[re.Match[str]]:
        if self._cue_list and not self._present(lowered):
            return
        yield from self.matches(text, lowered)

    def matches(self, text: str, lowered: str, present: frozenset[str] | None = None) -> Iterator[re.Match[str]]:
        """Every match, the cues already known to be present (finditer without their test); `present` as for
        `first`."""
        if len(lowered) != len(text):  # lower() changed the length: match the text as it is
            yield from self.careful.finditer(text)
            return
        if self.by_line and len(lowered) >= MIN_BY_LINE:
            yield from self._by_lines(lowered, present)
            return
        if not self.boundary:
            yield from self.fast.finditer(lowered)
            return
        yield from self._bounded(lowered)


# Which cues a long text holds. For a family of phrases asked of the same text (the rules, a thousand cues; the
# voices of a letter's sentences): every cue of the family found at once, in one scan of the text by an
# Aho-Corasick automaton (pyahocorasick, in C), where a `cue in text` test per cue scanned the whole letter once
# per cue (400 scans of a letter, two thirds of the cost of matching its rules). For other patterns: each cue
# tested when first asked. Both remembered for the last few texts, keyed on the text itself, so an entry can
# only ever answer for its own text.
_CUES_TESTED: dict[str, dict[str, bool]] = {}
MIN_BY_LINE = 300  # a phrase is looked for line by line only in a text of several lines
MIN_REMEMBERED = 300  # shorter texts (a line, a sentence) are tested cue by cue, faster than scanned for all
MAX_REMEMBERED_TEXTS = 4


class CueScan:
    """The cues of a family of phrases asked of the same texts, and which of them a text holds, in one scan."""

    def __init__(self) -> None:
        self.cues: set[str] = set()
        self._automaton: Any = None  # an ahocorasick.Automaton (the package has no type hints)
        self._size = 0  # how many cues the automaton holds (the set only grows: its size tells if it changed)
        self._seen: dict[str, frozenset[str]] = {}

    def register(self, cues: Sequence[str]) -> None:
        """Add a phrase's cues (a phrase compiled later makes the automaton be built again)."""
        self.cues.update(cue for cue in cues if cue)

    def present(self, lowered: str) -> frozenset[str]:
        """Every cue of the family that `lowered` holds (exactly those for which `cue in lowered`)."""
        seen = self._seen.get(lowered)
        if seen is not None and self._size == len(self.cues):
            return seen
        if not self.cues:
            return frozenset()
        if self._automaton is None or self._size != len(self.cues):
            import ahocorasick  # lazily: the CLI starts without the reader

            automaton = ahocorasick.Automaton()
            for cue in sorted(self.cues):
                automaton.add_word(cue, cue)
            automaton.make_automaton()
            self._automaton, self._size = automaton, len(self.cues)
            self._seen.clear()  # sets found before hold none of the new cues
        if len(self._seen) >= MAX_REMEMBERED_TEXTS:
            self._seen.clear()
        seen = self._seen[lowered] = frozenset(cue for _, cue in self._automaton.iter(lowered))
        return seen


def _known_cues(scan: CueScan | None, lowered: str) -> frozenset[str] | None:
    """The cues of `scan`'s family that a long text holds (remembered from its scan), else None."""
    return scan.present(lowered) if scan is not None and len(lowered) >= MIN_REMEMBERED else None


RULE_CUES = CueScan()  # every PhraseSet's, unless given its own (the rules, all asked of the authority's text)


def _present_in(compiled: Sequence[_Compiled], lowered: str, every_part: bool = False,
                scan: CueScan | None = None) -> list[_Compiled]:
    """The phrases one of whose cues is in the text (or that have none): the only ones that can match.

    `every_part`: the phrases will be matched on `lowered` itself (the fast path: lower() kept the length), so
    a match holds its literals as written and a phrase is kept only when a cue of each of its parts is there.
    `scan`: the family whose cues they are registered in: a long text is scanned for all of them at once.
    One loop, with no call per phrase: most phrases of a set are absent from any one sentence or letter."""
    out = []
    if len(lowered) < MIN_REMEMBERED:
        for phrase in compiled:
            for cues in phrase._cue_parts if every_part else phrase._first_part:
                for cue in cues:
                    if cue in lowered:
                        break
                else:
                    break  # no cue of this part: the phrase cannot match
            else:
                out.append(phrase)
        return out
    if scan is not None:
        absent = scan.present(lowered).isdisjoint
        for phrase in compiled:
            for cues in phrase._cue_parts if every_part else phrase._first_part:
                if absent(cues):
                    break  # no cue of this part: the phrase cannot match
            else:
                out.append(phrase)
        return out
    tested = _CUES_TESTED.get(lowered)
    if tested is None:
        if len(_CUES_TESTED) >= MAX_REMEMBERED_TEXTS:
            _CUES_TESTED.clear()
        tested = _CUES_TESTED[lowered] = {}
    for phrase in compiled:
        for cues in phrase._cue_parts if every_part else phrase._first_part:
            for cue in cues:
                found = tested.get(cue)
                if found is None:
                    found = tested[cue] = cue in lowered
                if found:
                    break
            else:
                break  # no cue of this part: the phrase cannot match
        else:
            out.append(phrase)
    return out


def split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern ("a|b(c|d)|e" -> ["a", "b(c|d)", "e"])."""
    parts: list[str] = []
    depth, in_class, escaped, start = 0, False, False, 0
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
    parts.append(pattern[start:])
    return parts


def lowers_simply(text: str, lowered: str) -> bool:
    """Whether `lowered` (text.lower()) holds, letter for letter, what a case-insensitive regex sees in `text`:
    lower() kept the length, and there is no dotless ı or long ſ (which re.IGNORECASE takes for i and s)."""
    return text.isascii() or (len(lowered) == len(text) and "ı" not in text and "ſ" not in text)


class Cues:
    """The literal text that every match of a pattern holds: of each alternative, a cue of each of its parts.

    `absent_from` is a few substring tests, where the regular expression itself (one with a leading \b, over a
    whole letter) can cost a hundred times more; it answers True only when no match can be in the text."""

    def __init__(self, pattern: str):
        alternatives: list[tuple[tuple[str, ...], ...]] = []
        for part in split_alternatives(pattern):
            cues, more = cue_sets(part)
            if cues is None:  # an alternative without a sure cue: every text may match
                alternatives = []
                break
            alternatives.append((tuple(sorted(cues)), *(tuple(sorted(part)) for part in more)))
        self._alternatives = tuple(alternatives)

    def absent_from(self, text: str, lowered: str) -> bool:
        """True when no match of the pattern, case-insensitive or not, can be in `text` (`lowered` is text.lower())."""
        if not self._alternatives or not lowers_simply(text, lowered):
            return False
        return not any(all(any(cue in lowered for cue in cues) for cues in parts) for parts in self._alternatives)


class CuedPattern:
    """One case-insensitive pattern (in lower case), split into its alternatives, each tried only when one of
    its cues is in the text; `search` gives the leftmost match, as re.search would."""

    def __init__(self, pattern: str, flags: int = 0, scan: CueScan | None = None):
        """`scan`: a family of patterns asked of the same long texts, whose cues are found in one scan of each."""
        _check_lower_case(pattern)
        self.pattern = pattern
        self._compiled = [_Compiled(part, flags) for part in split_alternatives(pattern)]
        self._scan = scan
        if scan is not None:
            for compiled in self._compiled:
                for part in compiled._cue_parts:
                    scan.register(part)

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """Every match of every alternative (alternative by alternative, not in text order)."""
        lowered = text.lower() if lowered is None else lowered
        present = _known_cues(self._scan, lowered)
        for compiled in _present_in(self._compiled, lowered, len(lowered) == len(text), self._scan):
            yield from compiled.matches(text, lowered, present)

    def could_match(self, lowered: str) -> bool:
        """False when no alternative's cues are in `lowered` (nor in any part of it): no match is possible."""
        return bool(_present_in(self._compiled, lowered, scan=self._scan))

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        lowered = text.lower() if lowered is None else lowered
        best: re.Match[str] | None = None
        present = _known_cues(self._scan, lowered)
        for compiled in _present_in(self._compiled, lowered, len(lowered) == len(text), self._scan):
            match = compiled.first(text, lowered, present)
            if match is not None and (best is None or match.start() < best.start()):
                best = match
        return best


class PhraseSet:
    """Case-insensitive phrases (written in lower case), each skipped unless one of its cues is present.

    Matching runs on the lower-cased text without re.IGNORECASE, which is several times faster; match
    offsets are those of the original text (a text whose length lower() changes is matched as it is).
    """

    def __init__(self, phrases: Sequence[str], flags: int = re.MULTILINE, scan: CueScan = RULE_CUES):
        self.phrases = tuple(phrases)
        for phrase in self.phrases:
            _check_lower_case(phrase)
        self._compiled = [_Compiled(p, flags) for p in self.phrases]
        self._scan = scan
        for compiled in self._compiled:
            for part in compiled._cue_parts:
                scan.register(part)

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """Matches of every phrase, phrase by phrase (not in text order); `lowered` is text.lower()."""
        lowered = text.lower() if lowered is None else lowered
        present = _known_cues(self._scan, lowered)
        # no generator made for a phrase that cannot match
        for compiled in _present_in(self._compiled, lowered, len(lowered) == len(text), self._scan):
            yield from compiled.matches(text, lowered, present)

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        return next(self.finditer(text, lowered), None)

    def cues(self) -> list[frozenset[str] | None]:
        return [compiled.cues for compiled in self._compiled]
