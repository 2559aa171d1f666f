"""What a reply says: its kind, the evidence and a confidence, the authority's reference, exemptions (pure).

The text is first cut into sentences marked by whose words they are (segments.py), so that our quoted
request, the restated questions and the rights-of-appeal boilerplate never decide anything. Phrase rules
(rules.py) then mark sentences; `_decide` combines them in a fixed order that a reader can follow:
bounce, out-of-office, neither-confirm-nor-deny, internal review result, clarification, extension, the
substantive answer (refused / partial / not held / provided), automated replies, acknowledgement, other.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from ..vocab import SUBSTANTIVE, ReplyKind
from . import answers as answers_module
from .answers import QuestionLike
from .authority_refs import find_authority_refs
from .bounces import REPLY_SUBJECT, automated_receipt, has_list_headers, out_of_office_text
from .exemptions import applied_exemptions
from .rules import BY_NAME, RULES, Rule
from .segments import Doc, Sentence, build
from .verdicts import NOTHING_EXISTS, NOTHING_MORE, PART_SCOPE, asked_before, blocks, compose, verdict_of

if TYPE_CHECKING:
    from .parsing import ParsedMessage


# A reading below this confidence waits for a person (`foibot review`): calibrated on the labelled replies so
# that at least 97% of the readings at or above it are right (bench/classify_eval.py prints the table).
REVIEW_BELOW = 0.8
MAX_EVIDENCE = 3
ABSENCE_NOTE_CHARS = 800  # an out-of-office note in loose words is short: a letter mentioning leave is not one
MAX_EVIDENCE_CHARS = 300


@dataclass(frozen=True)
class Classification:
    kind: str  # the contract vocabulary (KINDS)
    confidence: float  # 0..1
    evidence: tuple[str, ...]  # the sentences that decided it
    rule: str  # the name of the deciding rule
    authority_refs: tuple[str, ...] = ()  # the authority's own reference(s), as written without the label
    exemptions: tuple[str, ...] = ()  # applied ones only, normalised
    new_due_date: date | None = None  # the date an extension notice names
    answers: dict[str, str] = field(default_factory=dict, hash=False)  # {"q1": "...", ...}
    response_due: date | None = None  # the date an acknowledgement promises a response by
    review_outcome: str | None = None  # for internal_review_result: the substantive outcome it states
    bounce_permanent: bool = False  # for bounce: a hard (5.x.x) failure
    from_attachment: bool = False  # decided by the text of an attached letter
    other_body: str | None = None  # for not_held: the body the authority says to ask instead (s16 advice)
    download_links: tuple[str, ...] = ()  # the response is at these links (a portal): a person must fetch it

    @property
    def authority_ref(self) -> str | None:
        return ";".join(self.authority_refs) or None

    @property
    def substantive(self) -> bool:
        return self.kind in SUBSTANTIVE

    @property
    def needs_review(self) -> bool:
        """Not sure enough to act on without a person (a manual reading never is)."""
        return self.rule != "manual" and self.confidence < REVIEW_BELOW


# --- matching ----------------------------------------------------------------------------------------

class Signals:
    """Rule name -> the authority's sentences (and the subject line) that carry its phrases, in text order.

    A rule is run the first time the decision asks for it, so a reply decided early (a bounce, an
    acknowledgement) never pays for the rules it did not need.
    """

    def __init__(self, doc: Doc, subject: str = ""):
        self.doc = doc
        self.subject = subject
        self._lowered = doc.joined.lower()
        self._found: dict[str, list[Sentence]] = {}
        self.muted: set[int] = set()  # ids of sentences set aside (the clause on the security bodies)
        self.refusals: list[Sentence] | None = None  # _refusals, once worked out (while nothing is muted)

    def get(self, name: str, default: list[Sentence] | None = None) -> list[Sentence] | None:
        hits = self[name]
        return hits if hits else default

    def __getitem__(self, name: str) -> list[Sentence]:
        if name not in self._found:
            rule = BY_NAME[name]
            hits = _hits(rule, self.doc, self._lowered)
            if rule.subject_ok and self.subject and rule.matches(self.subject):
                hits.append(Sentence(self.subject, "subject", True, False, False, False, False))
            self._found[name] = hits
        if self.muted:
            return [x for x in self._found[name] if id(x) not in self.muted]
        return self._found[name]

    def as_dict(self) -> dict[str, list[Sentence]]:
        """Every rule that matched (runs them all)."""
        return {rule.name: self[rule.name] for rule in RULES if self[rule.name]}


def find_signals(doc: Doc, subject: str = "") -> dict[str, list[Sentence]]:
    """Rule name -> the sentences carrying its phrases, for every rule that matched (for tools and tests)."""
    return Signals(doc, subject).as_dict()


_ASSERTED = {"refused", "not_held", "provided", "partial", "neither_confirm_nor_deny", "extension",
             "clarification_requested"}
_CONDITION = re.compile(r"(?i)\b(?:if|whether|unless|in case|in the event that|where|once)\b")
_CLAUSE_END = re.compile(r"[,;:]")


_CONCESSION = re.compile(r"(?i)^\W*(?:although|though|even though|whilst|while|notwithstanding that)\b")
CONCESSION_WORDS = 10  # a concession without a comma: its first words


def _in_condition(doc: Doc, offset: int, sentence: Sentence) -> bool:
    """Whether the phrase at `offset` (in doc.joined) sits inside an if/whether/unless clause of its sentence, or
    inside the conceded clause of "Although we do not record this, an extract shows ...": neither is the answer."""
    start = doc.starts[bisect.bisect_right(doc.starts, offset) - 1]
    before = sentence.text[: offset - start]
    ends = [m.end() for m in _CLAUSE_END.finditer(before)]
    if _CONDITION.search(before, ends[-1] if ends else 0):  # a condition opened in the clause that holds the phrase
        return True
    if _CONCESSION.match(before) and "," not in before:
        return "," in sentence.text[len(before):] or len(before.split()) <= CONCESSION_WORDS
    return False


def _hits(rule: Rule, doc: Doc, lowered: str) -> list[Sentence]:
    found: list[tuple[int, Sentence]] = []
    seen: set[int] = set()
    for match in rule.phrase_set.finditer(doc.joined, lowered):
        position = doc.position_at(match.start())
        sentence = doc.sentences[position]
        if id(sentence) in seen:
            continue
        if sentence.is_question and not rule.questions_ok:
            continue
        if sentence.hypothetical and not rule.hypothetical_ok:
            continue
        if rule.veto is not None and rule.veto.search(sentence.text):
            continue
        if rule.kind in _ASSERTED and not rule.hypothetical_ok and _in_condition(doc, match.start(), sentence):
            continue  # "we will tell you if we do not hold it": not held is the condition, not the answer
        seen.add(id(sentence))
        found.append((position, sentence))
    return [sentence for _, sentence in sorted(found, key=lambda item: item[0])]


# --- deciding ----------------------------------------------------------------------------------------

@dataclass
class _Decision:
    kind: str
    rule: str
    confidence: float
    sentences: list[Sentence]
    review_outcome: str | None = None


def _first(signals: Signals, *names: str) -> tuple[str, list[Sentence]] | None:
    for name in names:
        if signals.get(name):
            return name, signals[name]
    return None


def _all(signals: Signals, *names: str) -> list[Sentence]:
    out: list[Sentence] = []
    for name in names:
        for sentence in signals[name]:
            if all(sentence is not s for s in out):
                out.append(sentence)
    return out


_WHOLE_REQUEST = re.compile(r"(?i)\b(?:your|this|the) (?:request|requests)\b(?! (?:number |no\.? )?\d)")
_VERDICT_RULES = {
    "refused": ("refused.cost_limit", "refused.vexatious", "refused.exempt", "neither_confirm_nor_deny.ncnd"),
    "not_held": ("not_held.not_held",),
    "provided": ("provided.information_attached", "provided.facts_given"),
    "partial": ("partially_provided.part_withheld",),
}


def _composed(signals: Signals) -> _Decision | None:
    """The outcome composed from the answer to each numbered question, when the reply answers in turn."""
    found = blocks(signals.doc.sentences)
    if len(found) < 2:
        return None
    marks: dict[int, set[str]] = {}
    for verdict, names in _VERDICT_RULES.items():
        for name in names:
            for sentence in signals[name]:
                marks.setdefault(id(sentence), set()).add(verdict)
    verdicts: list[str] = []
    evidence: list[Sentence] = []
    asked = asked_before(signals.doc.sentences, found)  # "Request: 1) ... 2) ..." above "Response: 1) ... 2) ..."
    nothing_exists = True  # every not-held answer says there is nothing ("no contract exists", "None held.")
    for number, block in found:
        verdict, _question = verdict_of(block, lambda sentence: marks.get(id(sentence), set()), asked.get(number, ""))
        verdicts.append(verdict)
        answer = [x for x in block[1:] if x.authority and not x.is_question] or block[:1]
        if verdict != "unknown" and answer:
            evidence.append(answer[0])
        if verdict == "not_held":
            nothing_exists = nothing_exists and any(NOTHING_EXISTS.search(x.text) for x in block)
    kind = compose(verdicts)
    if kind is None:
        return None
    inside = {id(x) for _, block in found for x in block}
    whole = [x for x in _all(signals, "refused.cost_limit", "refused.vexatious")
             if id(x) not in inside or _WHOLE_REQUEST.search(x.text)]
    if whole:  # the whole request refused (cost limit, vexatious) before or after the answers
        return None
    if kind == "information_provided":
        # Every answer given, but the letter withholds or lacks something elsewhere: partly provided.
        elsewhere = [x for x in _all(signals, *_VERDICT_RULES["refused"], *_VERDICT_RULES["not_held"],
                                     *_VERDICT_RULES["partial"]) if id(x) not in inside]
        if elsewhere:
            return _Decision("partially_provided", "partially_provided.per_question", 0.7, evidence + elsewhere)
        caveats = [x for x in _all(signals, *_VERDICT_RULES["refused"], *_VERDICT_RULES["not_held"],
                                   *_VERDICT_RULES["partial"]) if id(x) in inside]
        if caveats:  # an answer with a caveat ("... not held by the trust"), or a part withheld: a person decides
            return _Decision(kind, f"{kind}.per_question", 0.7, evidence + caveats)
    # Nothing else to weigh when every answer agrees; a mixed reply is surer the more blocks say something; a
    # question left without an answer may be one not answered at all.
    known = sum(v != "unknown" for v in verdicts)
    confidence = 0.85 if known >= 3 or kind == "partially_provided" else 0.8
    if kind == "partially_provided" and set(verdicts) - {"unknown"} == {"provided", "not_held"} and nothing_exists:
        # Answers given, and for one question nothing exists ("No contract was signed, so none exists"): partly
        # provided by the README's rule, but that may be the whole answer (nothing was bought): a person decides.
        confidence = 0.7
    if known < len(verdicts) and kind != "partially_provided":
        confidence = 0.7
    return _Decision(kind, f"{kind}.per_question", confidence, evidence)


# An exemption named: a refusal, even beside "not held" ("not held, and the rest is exempt under section 40").
_CITES_EXEMPTION = re.compile(r"(?i)\b(?:section|regulation|reg\.?|s\.?) ?\d{1,2}\b|\bexempt|\bexception\b|"
                              r"\bwithh[oe]ld|\bpersonal (?:data|information)\b|\bcommercial")
# The formal notice a refusal is given in (s17), which an authority also gives when it holds nothing.
_FORMAL_NOTICE = re.compile(r"(?i)\b(?:refusal notice|notice of refusal|section 17(?: ?\(\d\))*(?: of (?:the )?"
                            r"(?:act|foia|foisa|freedom of information act(?: 2000)?))?)")
_NOT_HELD_EXCEPTION = re.compile(r"(?i)\b(?:regulations?|regs?\.?|r\.)? ?(?:12|10) ?\(4\) ?\(a\)(?: of (?:the )?"
                                 r"(?:eirs?|eisrs?|environmental information (?:\(scotland\) )?regulations(?: 2004)?))?")
# Another exemption in the same sentence (the word "exception" there is the not-held one's own).
_OTHER_EXEMPTION = re.compile(r"(?i)\b(?:section|regulation|reg\.?|s\.?) ?\d{1,2}\b|\bexempt|\bwithh[oe]ld|"
                              r"\bpersonal (?:data|information)\b|\bcommercial")
_HELD_IN = re.compile(r"(?i)\bnot (?:held|recorded|kept|stored) in (?:an?|the)\b")  # how or where, not whether
_CONSEQUENCE = re.compile(r"(?i)\b(?:therefore|consequently|as a result|accordingly|for this reason|so)\b")


def _refusals(signals: Signals) -> list[Sentence]:
    """The refusals' sentences, less "we cannot provide it, as we do not hold it": a refusal's words whose reason,
    in the same sentence, is that nothing is held, with no exemption named, say not held."""
    if signals.refusals is not None and not signals.muted:
        return signals.refusals
    not_held = signals["not_held.not_held"]
    held_not = {id(x) for x in not_held}
    exempt = signals["refused.exempt"]
    if not_held and exempt:
        authority = [x for x in signals.doc.sentences if x.authority]
        before = {id(b): a for a, b in itertools.pairwise(authority)}
        exempt = [x for x in exempt if _CITES_EXEMPTION.search(_FORMAL_NOTICE.sub(" ", x.text)) or not (
            id(x) in held_not  # "we cannot provide it, as we do not hold it"
            # "not held ... please treat this as a refusal notice" (not "not held in a form we can search")
            or (_FORMAL_NOTICE.search(x.text) and not any(_HELD_IN.search(y.text) for y in not_held))
            # "We could not locate any records. We are therefore unable to comply.": the consequence of not holding
            or (_CONSEQUENCE.search(x.text) and id(before.get(id(x))) in held_not))]
    # "We are refusing under regulation 12(4)(a)": the exception for information not held (EISR 10(4)(a)) is the
    # form a not-held answer takes under the EIR, not a refusal of information held.
    exempt = [x for x in exempt if not (_NOT_HELD_EXCEPTION.search(x.text)
                                        and not _OTHER_EXEMPTION.search(_NOT_HELD_EXCEPTION.sub(" ", x.text)))]
    found = _all(signals, "refused.cost_limit", "refused.vexatious") + exempt
    if not signals.muted:
        signals.refusals = found
    return found


def _in_blocks(signals: Signals, sentences: Sequence[Sentence]) -> bool:
    """Whether any of `sentences` is inside the answer to one numbered question."""
    inside = {id(x) for _, block in blocks(signals.doc.sentences) for x in block}
    return any(id(x) in inside for x in sentences)


def _substantive(signals: Signals) -> _Decision | None:
    """The answer itself, from refusal, not-held and provided signals; None when there is none."""
    full = _all(signals, "provided.in_full")
    composed = _composed(signals)
    if full and not (composed and composed.kind == "partially_provided" and _in_blocks(signals, full)):
        # said in so many words: all of it given (unless "in full" is one question's answer, others withheld)
        withheld = [x for x in _all(signals, "partially_provided.part_withheld", "refused.exempt")
                    if not _SECURITY_BODIES.search(x.text)]
        if withheld:  # "released in full" and, in another sentence, "names have been redacted": part of it
            return _Decision("partially_provided", "partially_provided.part_withheld", 0.7, withheld + full)
        return _Decision("information_provided", "provided.in_full", 0.9, full)
    if composed:
        return composed
    partial = _all(signals, "partially_provided.part_withheld")
    if partial:  # said in so many words: part given, part withheld
        return _Decision("partially_provided", "partially_provided.part_withheld", 0.85, partial)
    not_held = _all(signals, "not_held.not_held")
    # "We cannot provide it, as we do not hold it": a refusal's words whose reason, in the same sentence, is that
    # nothing is held, with no exemption cited, is not held.
    refused = _refusals(signals)
    if refused and not_held and all(_SECURITY_BODIES.search(x.text) for x in refused):
        refused = []  # "not held", then the clause on the security bodies (s23, s24): the answer is not held
    provided_strong = _all(signals, "provided.information_attached")
    if not refused and not not_held:
        if provided_strong:
            return _Decision("information_provided", "provided.information_attached", 0.85, provided_strong)
        return None
    provided = _all(signals, "provided.information_attached", "provided.facts_given")
    in_turn = _all(signals, "provided.answers_in_turn")
    whole_request = bool(signals.get("refused.cost_limit") or signals.get("refused.vexatious"))
    if refused:
        # Some of it withheld: information given as well, or the questions answered in turn around a refusal;
        # a cost-limit refusal beside information attached is a refusal of the rest.
        if (provided or in_turn) and (not whole_request or provided_strong):
            return _Decision("partially_provided", "partially_provided.some_withheld", 0.75, refused + provided)
        rule = next(n for n in ("refused.cost_limit", "refused.vexatious", "refused.exempt") if signals.get(n))
        return _Decision("refused", rule, 0.9 if len(refused) > 1 else 0.85, refused)
    if not_held:
        if provided and all(NOTHING_MORE.search(x.text) for x in not_held):
            # "Attached are the minutes. We hold no other records.": nothing beyond what is given, a full answer
            return _Decision("information_provided", "information_provided.nothing_more",
                             0.75 if provided_strong else 0.65, provided)
        scoped = [x for x in not_held if PART_SCOPE.search(x.text)]
        if scoped and provided:  # "figures for earlier years are not held" beside the figures given: part of it
            return _Decision("partially_provided", "partially_provided.some_not_held", 0.75, scoped + provided)
        if provided_strong or (provided and len(provided) * 2 > len(not_held) and len(not_held) * 2 > len(provided)):
            return _Decision("partially_provided", "partially_provided.some_not_held", 0.7, not_held + provided)
        if provided and len(provided) >= 2 * len(not_held):
            # Figures given, and something asked for not held: some of it given, the rest not held (the README's
            # partially_provided), however many figures there are.
            return _Decision("partially_provided", "partially_provided.some_not_held", 0.65, not_held + provided)
    return _Decision("not_held", "not_held.not_held", 0.9 if len(not_held) > 1 else 0.85, not_held)


def _review_outcome(signals: Signals) -> str | None:
    """The outcome an internal review result leaves: overturned (given now), upheld in part, or upheld."""
    answer = _substantive(signals)
    for_requester = signals["internal_review_result.for_requester"]
    for_authority = signals["internal_review_result.for_authority"]
    # ("Outcome: upheld in part", a heading the review's own rule reads, says it too)
    in_part = any(_IN_PART.search(x.text) for x in for_requester + for_authority
                  + signals["internal_review_result.review_done"])
    if in_part or (for_requester and for_authority):
        return "partially_provided"
    if for_requester:
        if answer and answer.kind in ("partially_provided", "refused"):
            return "partially_provided"
        return "information_provided"
    if for_authority:
        return answer.kind if answer and answer.kind != "information_provided" else "refused"
    return answer.kind if answer else None


# Words that tie a message to a request for information (an acknowledgement's), not to mail in general.
_ABOUT_A_REQUEST = re.compile(r"(?i)\brequests?\b|\bfreedom of information\b|\bfoi(?:a|sa)?\b|\beir\b|"
                              r"\benvironmental information\b|\b(?:20|twenty) working days\b")
_CLARIFIED = re.compile(r"(?i)\b(?:clarification (?:was |has been )?(?:received|provided|given|supplied)|you (?:have )?"
                        r"(?:clarified|advised us|confirmed that you)|following (?:your|the|receipt of your) clarification|"
                        r"(?:after|when) we sought (?:clarity|clarification)|further to your clarification|thank you for "
                        r"(?:your |the )?clarification)")
_REVIEW_WORD = re.compile(r"(?i)\b(?:internal review|review(?:er|ed)?|upheld|uphold|appeal|complaint)\b")
_IN_PART = re.compile(r"(?i)\b(?:in part|partially|partly)\b")
# The words of that clause, in the sentences around it ("no inference can be drawn ... the bodies in section 23").
_SECURITY_CLAUSE = re.compile(r"(?i)\b(?:security bod(?:y|ies)|section 2[34]\b|s\.? ?2[34] ?\(|national security|"
                              r"no inference)")
_SECURITY_BODIES = re.compile(r"(?i)\b(?:security bod(?:y|ies)|exempt bod(?:y|ies)|sections? 2[34] ?\(5\)|"
                              r"s\.? ?2[34] ?\(5\)|sections? 2[34] ?\(2\)|s\.? ?24 ?\(2\)|any other information|"
                              r"national security)")


# What else a reply may be saying, by family of rules, and which families sit well with each decided kind.
_FAMILIES = {
    "refused": ("refused.cost_limit", "refused.vexatious", "refused.exempt"),
    "not_held": ("not_held.not_held",),
    "provided": ("provided.information_attached", "provided.in_full"),
    "facts": ("provided.facts_given",),
    "acknowledgement": ("acknowledgement.response_promised", "acknowledgement.logged"),
    "clarification_requested": ("clarification_requested.asks_to_clarify", "clarification_requested.fees_notice"),
    "extension": ("extension.time_extended",),
    "internal_review_result": ("internal_review_result.review_done",),
    "neither_confirm_nor_deny": ("neither_confirm_nor_deny.ncnd",),
}
_FITS = {
    "acknowledgement": {"acknowledgement", "facts"},
    "information_provided": {"provided", "facts", "acknowledgement"},
    "partially_provided": {"provided", "facts", "refused", "not_held", "acknowledgement"},
    "not_held": {"not_held", "neither_confirm_nor_deny", "acknowledgement"},
    "refused": {"refused", "not_held", "neither_confirm_nor_deny", "acknowledgement", "facts"},
    "neither_confirm_nor_deny": {"neither_confirm_nor_deny", "refused", "not_held", "acknowledgement"},
    # facts (figures, "Yes") weigh only against readings that give nothing: NCND, not held, refused.
    "clarification_requested": {"clarification_requested", "acknowledgement", "facts"},
    "extension": {"extension", "acknowledgement", "refused", "facts"},
    "internal_review_result": set(_FAMILIES),
}
COMPETITOR_PENALTY = 0.12


MAX_COMPETITORS = 2  # two already take any reading below the review threshold: no need to look further


def _competitors(signals: Signals, kind: str) -> list[str]:
    """The families of rules that say something else than `kind` (for a reading's confidence)."""
    fits = _FITS.get(kind)
    if fits is None:  # bounces, auto-replies, other: what they are is not weighed against answers
        return []
    found: list[str] = []
    for family, names in _FAMILIES.items():
        if family in fits or family == kind:
            continue
        if _refusals(signals) if family == "refused" else any(signals.get(name) for name in names):
            found.append(family)
            if len(found) == MAX_COMPETITORS:
                break
    return found


def _decide(signals: Signals, auto_header: bool, has_ref: bool = False) -> _Decision:
    """The decision, its confidence lowered for every family of signals that says something else."""
    decision = _decide_kind(signals, auto_header, has_ref)
    if decision.confidence < REVIEW_BELOW:
        return decision  # a person reads it anyway: what else it says would not change that
    competing = _competitors(signals, decision.kind)
    if decision.rule == "refused.exempt" and signals.get("not_held.not_held"):
        competing.append("not_held")  # an exemption beside "not held": a refusal, or not held with a caveat
    if competing:
        decision.confidence = max(0.3, decision.confidence - COMPETITOR_PENALTY * len(competing))
    return decision


# Steps of the decision that are one rule (or a few, the first that matched) and one kind: (kind, confidence,
# rule names, when). `when` is None (always), "no_answers_in_turn" or "no_ref" (the reply names no reference).
_Step = tuple[str, float, tuple[str, ...], str | None]
_WHAT_IT_IS: tuple[_Step, ...] = (
    ("bounce", 0.9, ("bounce.delivery_failure",), None),
    ("auto_reply", 0.9, ("auto_reply.out_of_office",), None),
)
# Weak signals, in order, once nothing decisive was found.
_WEAK_SIGNALS: tuple[_Step, ...] = (
    ("information_provided", 0.6, ("provided.facts_given",), None),
    ("not_held", 0.5, ("not_held.nothing_to_report",), "no_answers_in_turn"),
    ("other", 0.6, ("other.cover_note",), None),
    ("not_held", 0.45, ("not_held.nothing_to_report",), None),
    ("acknowledgement", 0.45, ("acknowledgement.received",), None),
    ("information_provided", 0.4, ("provided.answers_in_turn", "provided.holds_information"), None),
    # a generic note ("thank you for contacting the team") about no request in particular
    ("auto_reply", 0.45, ("auto_reply.generic_thanks",), "no_ref"),
)


def _ladder(signals: Signals, steps: Sequence[_Step], has_ref: bool = False) -> _Decision | None:
    """The first step whose rule matched (and whose condition holds), as a decision."""
    for kind, confidence, names, when in steps:
        hit = _first(signals, *names)
        if not hit:
            continue
        if when == "no_answers_in_turn" and signals.get("provided.answers_in_turn"):
            continue
        if when == "no_ref" and has_ref:
            continue
        return _Decision(kind, hit[0], confidence, hit[1])
    return None


# "This mailbox is not monitored", "do not reply to this email": a sender's notice, not someone away.
_NO_REPLY_NOTICE = re.compile(r"(?i)\b(?:mailbox|inbox|e-?mail address|account|address) is not (?:monitored|checked|"
                              r"read)\b|\b(?:do not|don't) reply\b")
_ABOUT_THIS_REQUEST = ("acknowledgement.logged", "refused.cost_limit", "refused.exempt", "not_held.not_held",
                       "provided.information_attached", "partially_provided.part_withheld",
                       "neither_confirm_nor_deny.ncnd", "internal_review_result.review_done", "extension.time_extended")


def _letter_about_this_request(signals: Signals) -> bool:
    """A letter, not a note: longer than an out-of-office note, and it logs, answers or decides this request. Its
    writer's leave ("I will be on leave for part of that period") is said in passing."""
    return len(signals.doc.own_text) > ABSENCE_NOTE_CHARS and any(signals.get(n) for n in _ABOUT_THIS_REQUEST)


def _decide_kind(signals: Signals, auto_header: bool, has_ref: bool = False) -> _Decision:
    """The kind, first match wins: what the message is (bounce, out-of-office), then what the authority
    decided (NCND, review result), asks (clarification), announces (extension) or answers; then holding notes,
    automated messages and acknowledgements; weak signals last; `other` when nothing is recognised."""
    first = _ladder(signals, _WHAT_IT_IS)
    if (first and first.kind == "auto_reply" and signals.get("other.response_at_link")
            and all(_NO_REPLY_NOTICE.search(x.text) for x in first.sentences)):
        first = None  # a portal's notice about this request, sent from a mailbox that nobody reads
    if first and not (first.kind == "auto_reply" and _letter_about_this_request(signals)):
        return first
    review = _first(signals, "internal_review_result.review_done")
    hit = _first(signals, "neither_confirm_nor_deny.ncnd")
    if hit and not review:
        if all(_SECURITY_BODIES.search(s.text) for s in hit[1]):
            # The police's standard clause on the security bodies is never the answer: set aside, what the rest
            # of the letter says decides ("not held" then the clause is not held; an answer then it, an answer).
            clause = [x for x in signals.doc.sentences if x.authority and _SECURITY_CLAUSE.search(x.text)]
            signals.muted = {id(x) for x in clause + hit[1]}
            answer = _substantive(signals)
            if answer and answer.kind == "not_held":
                return _Decision("not_held", "not_held.with_security_ncnd", 0.85, answer.sentences)
            if answer:
                return answer
            signals.muted = set()
            not_held = signals["not_held.not_held"]
            if not_held:  # "not held" said only inside the clause: still not held
                return _Decision("not_held", "not_held.with_security_ncnd", 0.85, not_held)
        given = _all(signals, "provided.information_attached", "provided.in_full")
        composed = _composed(signals)  # neither confirm nor deny counted as withheld in its question's answer
        facts = _all(signals, "provided.facts_given")
        inside = {id(x) for _, block in blocks(signals.doc.sentences) for x in block} if facts else set()
        answered = [x for x in facts if id(x) in inside]
        if given or (composed and composed.kind == "partially_provided" and answered):
            # neither confirm nor deny for part, the rest given (attached, or figures in another question's
            # answer): partly provided
            evidence = hit[1] + (given or answered)
            return _Decision("partially_provided", "partially_provided.part_ncnd", 0.75, evidence)
        if signals.get("internal_review_result.mentions_initial"):  # a review that tells the first decision
            return _Decision("internal_review_result", "internal_review_result.mentions_initial", 0.6,
                             signals["internal_review_result.mentions_initial"] + hit[1],
                             review_outcome="neither_confirm_nor_deny")
        return _Decision("neither_confirm_nor_deny", hit[0], 0.9, hit[1])
    if review:
        about = [x for x in signals.doc.sentences if x.authority and _REVIEW_WORD.search(x.text)]
        if not about:
            # "The panel concluded ...", "we have reconsidered your request in light of your clarification": a second
            # look, but the letter never speaks of a review, an appeal or a complaint: its answer is the reply's.
            answer = _substantive(signals)
            if answer:
                return answer
        outcome = _review_outcome(signals)
        # A result whose outcome cannot be read is still a result, but a person should say what it decided.
        sure = outcome is not None and len(about) >= 2  # the outcome is read, and the letter is about a review
        return _Decision("internal_review_result", review[0], 0.85 if sure else 0.75, review[1],
                         review_outcome=outcome)
    hit = _first(signals, "clarification_requested.fees_notice", "clarification_requested.asks_to_clarify")
    if hit and hit[0].endswith("asks_to_clarify") and _CLARIFIED.search(signals.doc.joined):
        hit = None  # the question was asked and answered before this letter: it is history, not a request
    if hit:  # a question to answer, or a fee to pay: either way the clock stops until the requester acts
        return _Decision("clarification_requested", hit[0], 0.85, hit[1])
    hit = _first(signals, "extension.time_extended")
    if hit:
        return _Decision("extension", hit[0], 0.85, hit[1])
    answer = _substantive(signals)
    if answer:
        return answer
    hit = _first(signals, "auto_reply.absence") if len(signals.doc.own_text) <= ABSENCE_NOTE_CHARS else None
    if hit and not any(signals.get(n) for n in _ABOUT_THIS_REQUEST):  # "I am out on leave until ...", little else
        return _Decision("auto_reply", hit[0], 0.85, hit[1])
    hit = _first(signals, "other.response_at_link")
    if hit:  # the response itself is behind a link or in a portal: unknown until someone fetches it
        return _Decision("other", hit[0], 0.5, hit[1])
    hit = _first(signals, "extension.public_interest")
    if hit:  # no decision yet, the public interest still being weighed: the time is extended (s10(3))
        return _Decision("extension", hit[0], 0.75, hit[1])
    hit = _first(signals, "other.delay_apology")
    if hit and not signals.get("acknowledgement.logged"):
        return _Decision("other", hit[0], 0.6, hit[1])  # a holding note: sorry, still working on it
    strong_ack = _first(signals, "acknowledgement.response_promised", "acknowledgement.logged")
    hit = _first(signals, "clarification_requested.asks_which")
    if hit and not strong_ack:
        return _Decision("clarification_requested", hit[0], 0.6, hit[1])
    automated = _first(signals, "auto_reply.redirect_to_form", "auto_reply.automated_message",
                       "auto_reply.automatic_subject")
    if automated and strong_ack and not has_ref and not signals.get("acknowledgement.logged"):
        # An automated message that logs nothing about this request (no reference): a generic auto-reply.
        return _Decision("auto_reply", automated[0], 0.6, automated[1])
    if (automated or auto_header) and not strong_ack:
        if automated:
            return _Decision("auto_reply", automated[0], 0.75, automated[1])
        return _Decision("auto_reply", "auto_reply.header", 0.7, [])
    if strong_ack:
        generic = signals.get("auto_reply.generic_thanks")
        if ((generic or auto_header) and not has_ref and len(signals.doc.own_text) <= ABSENCE_NOTE_CHARS
                and not _ABOUT_A_REQUEST.search(signals.doc.joined)):
            # "Thank you for contacting the council. We aim to reply to all enquiries within 10 days.": a
            # mailbox's promise to everyone who writes, about no request in particular (no request, no reference);
            # so is a short automatic message (Auto-Submitted) that promises a reply to any e-mail.
            return _Decision("auto_reply", "auto_reply.generic_thanks", 0.6, (generic or []) + strong_ack[1])
        return _Decision("acknowledgement", strong_ack[0], 0.85, strong_ack[1])
    weak = _ladder(signals, _WEAK_SIGNALS, has_ref)
    if weak:
        return weak
    review_words = [x for x in signals.doc.sentences if x.authority and _REVIEW_WORD.search(x.text)]
    if len(review_words) >= 2:  # nothing decisive, but the letter is about a review: a guess for a person
        return _Decision("internal_review_result", "internal_review_result.about_review", 0.4, review_words)
    return _Decision("other", "other.nothing_recognised", 0.3, [])


def _with_cost_limit(exemptions: tuple[str, ...], signals: Signals, doc: Doc) -> tuple[str, ...]:
    """A refusal on cost ("it would exceed the appropriate limit") applies s12 whether or not it cites it."""
    if any(e in ("s12", "FOISA s12") or e.startswith(("s12(", "FOISA s12(")) for e in exemptions):
        return exemptions
    if not signals.get("refused.cost_limit"):
        return exemptions
    scottish = bool(_SCOTTISH.search(doc.text))
    return (*exemptions, "FOISA s12" if scottish else "s12")


_SCOTTISH = re.compile(r"(?i)\bfoisa\b|\bfreedom of information \(scotland\)")


# --- the body to ask instead (s16 advice) -----------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"')\]]{4,300}")
_ASK_INSTEAD = re.compile(
    r"\b(?:contact|redirect (?:your request |your enquiry )?to|direct (?:your request |your enquiry )?to|write to|"
    r"submit (?:your|a) request to|(?:would|may|might|will|could) (?:only )?be held by|is held by|the responsibility of|"
    r"a matter for|appropriate (?:public )?(?:authority|body|organisation)(?: in this case)? (?:is|would be)|"
    r"(?:is|are) responsible for (?:this|these|that)[^.]{0,40}? is)\s+(?:the\s+)?"
    r"(?P<body>[A-Z][\w&'’.-]*(?:[ ](?:of|for|and|&|the|on|in|[A-Z][\w&'’.-]*)){0,8})")
# The small words a body's name never ends with ("contact the Department of"): taken off word by word from the
# end (a pattern anchored at the end, searched, was quadratic on a long run of whitespace or of these words).
_TRAILING_WORDS = frozenset({"of", "for", "and", "&", "the", "on", "in"})
_NOT_A_BODY = {"The", "This", "Your", "You", "We", "Our", "Us", "It", "Please", "If", "Freedom", "Information", "FOI"}


def _without_trailing_words(body: str) -> str:
    """The body's name without the small words at its end (each after whitespace, nothing after the last)."""
    while body and not body[-1].isspace():
        start = len(body)
        while start > 0 and not body[start - 1].isspace():
            start -= 1
        if start == 0 or body[start:] not in _TRAILING_WORDS:
            return body
        body = body[:start].rstrip()
    return body


def _other_body(sentences: Sequence[Sentence]) -> str | None:
    """The body a not-held reply names for the requester to ask instead ("you may wish to contact Ofcom")."""
    for sentence in sentences:
        for match in _ASK_INSTEAD.finditer(sentence.text):
            body = _without_trailing_words(match.group("body")).strip(" .,;:")
            if body and body.split()[0] not in _NOT_A_BODY and len(body) >= 3:
                return body
    return None


# --- dates -------------------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"], start=1)}
_MONTH = r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE_WORDS = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? {_MONTH},? (?P<year>\d{{4}})\b|"
                         rf"\b{_MONTH.replace('month', 'month2')} (?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<year2>\d{{4}})\b",
                         re.IGNORECASE)
_DATE_NUMBERS = re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b|"
                           r"\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b")
_PROMISE = re.compile(r"\b(?:by|until|no later than|on or before|before|due(?: on| by)?|on)\s+(?:the\s+)?"
                      r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?P<rest>.{6,30})", re.IGNORECASE)
_ABOUT_RESPONSE = re.compile(r"\b(?:respon|reply|replies|answer|decision|deadline|due|let you have|"
                             r"provide you|extend|extension)", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """The first date written at the start of `text` ("5 September 2012", "05/09/2012", "2012-09-05")."""
    match = _DATE_WORDS.match(text) or _DATE_NUMBERS.match(text)
    if not match:
        return None
    groups = match.groupdict()
    try:
        if groups.get("month") or groups.get("month2"):
            month = _MONTHS[(groups.get("month") or groups["month2"])[:3].lower()]
            day = int(groups.get("day") or groups["day2"])
            year = int(groups.get("year") or groups["year2"])
        elif groups.get("iy"):
            year, month, day = int(groups["iy"]), int(groups["im"]), int(groups["id"])
        else:
            day, month, year = int(groups["d"]), int(groups["m"]), int(groups["y"])
            year += 2000 if year < 100 else 0
        return date(year, month, day)
    except (ValueError, KeyError, TypeError):
        return None


def promised_date(sentences: Sequence[Sentence]) -> date | None:
    """The latest date an authority says it will respond by ("a response by 5 September 2012")."""
    found: list[date] = []
    for sentence in sentences:
        if not _ABOUT_RESPONSE.search(sentence.text):
            continue
        for match in _PROMISE.finditer(sentence.text):
            day = parse_date(match.group("rest"))
            if day:
                found.append(day)
    return max(found) if found else None


# --- the entry points --------------------------------------------------------------------------------

def _question_texts(questions: Sequence[QuestionLike]) -> list[str]:
    return [re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", q.text) for q in questions]


def _evidence(sentences: Sequence[Sentence]) -> tuple[str, ...]:
    out = []
    for sentence in sentences[:MAX_EVIDENCE]:
        text = sentence.text.strip()
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[: MAX_EVIDENCE_CHARS - 1].rstrip() + "…"
        out.append(text)
    return tuple(out)


def _classify_doc(doc: Doc, subject: str, questions: Sequence[QuestionLike], auto_header: bool,
                  from_attachment: bool = False) -> Classification:
    subject = subject or doc.header_subject
    # The authority's own words first; an earlier message of theirs quoted below may carry it too.
    found_refs = find_authority_refs([doc.own_text, doc.text], subject)
    signals = Signals(doc, subject)
    decision = _decide(signals, auto_header or doc.header_auto, bool(found_refs))
    authority = [s for s in doc.sentences if s.authority]
    new_due = response_due = None
    if decision.kind == "extension":
        new_due = promised_date(authority)
    elif decision.kind == "acknowledgement":
        response_due = promised_date(authority)
    exemptions: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    if decision.kind not in ("bounce", "auto_reply"):
        exemptions = _with_cost_limit(applied_exemptions(doc), signals, doc)
        refs = found_refs
    elif decision.kind == "auto_reply":
        refs = find_authority_refs([doc.own_text], subject)
    # A bounce carries our own message back: any reference in it is not the authority's.
    if (decision.kind == ReplyKind.ACKNOWLEDGEMENT and not refs and response_due is None
            and automated_receipt(doc.own_text)):
        # A mailbox's automatic receipt that logs nothing (no reference, no date): generic, not about this
        # request. An automatic acknowledgement that names either stays an acknowledgement.
        decision = _Decision(ReplyKind.AUTO_REPLY, "auto_reply.automated_receipt", 0.7, decision.sentences)
    found_answers = answers_module.find_answers(doc, questions) if questions else {}
    other_body = _other_body(authority) if decision.kind == "not_held" else None
    links: tuple[str, ...] = ()
    if decision.rule == "other.response_at_link":
        links = tuple(dict.fromkeys(_URL.findall(doc.own_text)))[:5]
    return Classification(
        kind=decision.kind,
        confidence=round(decision.confidence, 2),
        evidence=_evidence(decision.sentences),
        rule=decision.rule,
        authority_refs=refs,
        exemptions=exemptions,
        new_due_date=new_due,
        answers=found_answers,
        response_due=response_due,
        review_outcome=decision.review_outcome,
        from_attachment=from_attachment,
        other_body=other_body,
        download_links=links,
    )


def classify_text(text: str, subject: str = "", questions: Sequence[QuestionLike] = (),
                  auto_header: bool = False) -> Classification:
    """Classify a reply's body text (and its subject line, when known)."""
    doc = build(text or "", _question_texts(questions))
    return _classify_doc(doc, subject, questions, auto_header)


def classify_message(parsed: ParsedMessage, attachment_texts: Sequence[str] = (),
                     questions: Sequence[QuestionLike] = ()) -> Classification:
    """Classify a parsed message; the attachments' text is read when the e-mail is only a cover note."""
    if parsed.is_dsn:
        detail = parsed.dsn_diagnostic or (f"status {parsed.dsn_status}" if parsed.dsn_status else "")
        failed = ", ".join(parsed.dsn_failed_recipients)
        outcome = "failed" if parsed.dsn_permanent else "delayed (the server will retry)"
        evidence = tuple(x for x in (f"delivery to {failed} {outcome}" if failed else "", detail) if x)
        return Classification(kind="bounce", confidence=0.95, evidence=evidence or ("delivery status notification",),
                              rule="bounce.dsn", bounce_permanent=parsed.dsn_permanent)
    if has_list_headers(parsed.header_block):
        # Mailing-list mail (a newsletter, a list discussion): not a reply to a request, for triage.
        return Classification(kind=ReplyKind.OTHER, confidence=0.6, evidence=("sent through a mailing list",),
                              rule="other.mailing_list")
    qtexts = _question_texts(questions)
    doc = build(parsed.text or "", qtexts)
    body = _classify_doc(doc, parsed.subject, questions, parsed.is_auto_reply)
    # A vacation program marks its replies "Precedence: bulk" too: bulk mail that answers a message may be one.
    answers_a_message = bool(parsed.in_reply_to or REPLY_SUBJECT.match(parsed.subject))
    if (body.kind in (ReplyKind.BOUNCE, ReplyKind.AUTO_REPLY) and parsed.is_list_mail and not parsed.is_auto_reply
            and not (body.kind == ReplyKind.AUTO_REPLY and answers_a_message)):
        # Bulk mail (Precedence: bulk/junk/list) is no auto-reply, nor a bounce, by its wording alone.
        body = _replace(body, kind=ReplyKind.OTHER, rule="other.bulk_mail", confidence=0.5)
    elif body.kind == ReplyKind.BOUNCE:
        # A bounce's words in mail that no mail server sent (bounces.read_dsn said so): a person passing one
        # on ("FW: Undeliverable"), or writing about one. Not a failure of the request: for a person to read.
        body = _replace(body, kind=ReplyKind.OTHER, rule="other.about_a_bounce", confidence=0.5)
    elif body.kind == ReplyKind.OTHER and out_of_office_text(doc.own_text) and (
            not parsed.is_list_mail or answers_a_message):
        # Out-of-office wording in another language than the phrase rules know, in a short message.
        body = _replace(body, kind=ReplyKind.AUTO_REPLY, rule="auto_reply.out_of_office_text", confidence=0.75)
    letters = [t for t in attachment_texts if t and t.strip()]
    if letters and body.rule == "auto_reply.automated_receipt":
        # "This is an automated message" over an attached letter: the letter decides.
        body = _replace(body, kind=ReplyKind.OTHER, rule="other.nothing_recognised", confidence=0.3)
    if not letters or body.kind in ("bounce", "auto_reply"):
        return body
    # A cover note, or nothing decisive in the e-mail itself: read it with the attached letter(s).
    if body.kind in ("other", "acknowledgement") and body.confidence < 0.8 or body.kind == "other":
        combined = build((parsed.text or "") + "\n\n" + "\n\n".join(letters), qtexts)
        joint = _classify_doc(combined, parsed.subject, questions, False, from_attachment=True)
        if joint.kind == ReplyKind.BOUNCE:
            # a bounce attached to a person's message (forwarded whole): about a bounce, for a person to read
            return _replace(body, kind=ReplyKind.OTHER, rule="other.about_a_bounce", confidence=0.5)
        if joint.kind not in (ReplyKind.OTHER, ReplyKind.AUTO_REPLY):  # (an attached auto-reply is not this one)
            refs = body.authority_refs or joint.authority_refs
            return _replace(joint, authority_refs=refs)
        return _replace(body, authority_refs=body.authority_refs or joint.authority_refs,
                        answers=body.answers or joint.answers)
    # The e-mail decided the kind; the letter may still carry the reference, exemptions and answers.
    combined = build((parsed.text or "") + "\n\n" + "\n\n".join(letters), qtexts)
    exemptions = body.exemptions or applied_exemptions(combined)
    refs = body.authority_refs or find_authority_refs([combined.text], parsed.subject)
    found_answers = body.answers or (answers_module.find_answers(combined, questions) if questions else {})
    return _replace(body, exemptions=exemptions, authority_refs=refs, answers=found_answers)


def _replace(c: Classification, **changes: object) -> Classification:
    from dataclasses import replace

    return replace(c, **changes)  # type: ignore[arg-type]
