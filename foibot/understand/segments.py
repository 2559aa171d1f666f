"""A reply's text cut into sentences, each marked with whose words they are (pure, stdlib only).

The outcome rules must read only the authority's own words. Replies quote our request back ("for the
following information:", "You asked:", "Request" ... "Response"), quote the e-mail thread below
("-----Original Message-----", "From: ... Sent: ...", "> ..."), and end with rights-of-appeal boilerplate
that mentions internal reviews, the ICO and sections of the Act in every reply. Each sentence gets a zone
(`body`, `quoted`, `thread`, `appeal`, `header`, `welsh`) and flags (a question, the requester's voice, hypothetical).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .phrases import CuedPattern, CueScan, first_characters

# --- normalising -------------------------------------------------------------------------------------

_MARKUP = re.compile(r"\*\*|__(?=\w)|(?<=\w)__")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\ufeff\u00ad]")


_HEADING = re.compile(r"(?m)^[ ]*#{1,6}[ ]+")
# A run of spaces (or any \f, \v) made one space: a lone space is left as it is, not replaced by itself.
_SPACES = re.compile(r"[ \f\v]{2,}|[\f\v]")


def normalise(text: str) -> str:
    """Line ends, spaces, invisible characters and markdown emphasis made uniform.

    Each step is skipped when the text has nothing it could change (the regexes cost more than the test)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():  # (a constant-time test) invisible characters, odd line and space characters
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
        text = _INVISIBLE.sub("", text).replace("\xa0", " ")
    text = text.replace("\t", " ")
    if "**" in text or "__" in text:
        text = _MARKUP.sub("", text)
    if "#" in text:
        text = _HEADING.sub("", text)  # markdown headings
    if "  " in text or "\f" in text or "\v" in text:
        text = _SPACES.sub(" ", text)
    return text


# --- zones -------------------------------------------------------------------------------------------

_HEADER_LINE = re.compile(r"^(from|to|cc|subject|date|sent|reply-to|auto-submitted|message-id|importance|"
                          r"x-[\w-]+):\s", re.IGNORECASE)
_THREAD_START = re.compile(
    r"^(-{2,}\s*(original message|forwarded message|message d'origine)\s*-{2,}|begin forwarded message:?|"
    r"_{8,}|-{8,}\s*reply above this line.*|-{2,}\s*this is a copy of the message.*|"
    r"-{2,}\s*(contents of the undelivered mail|undelivered message|returned message|original message "
    r"follows)\s*-*|(below this line is a copy of the message|the original message was received).*)$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\*?from:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\*?(sent|date|to|subject):\*?\s", re.IGNORECASE)
_WROTE = re.compile(r"^on\b.{4,200}\bwrote:?$", re.IGNORECASE)
# The first characters a line that starts the thread can have (the three patterns above, worked out from them):
# most lines have none of them, and are not tried.
_THREAD_FIRST = frozenset().union(*(first_characters(p) or () for p in (_THREAD_START, _WROTE, _OUTLOOK_FROM)))

# A line that introduces the request restated: the zone starts after it (or at it, when text follows). Each
# opening is its own alternative, ending the line, so that only those whose words are in a line are tried.
_REQUEST_OPENINGS = (
    (r"\b(?:for|requesting|request(?:ed)?|seek(?:ing)? access to|asked for|asking for|sought|regarding) the "
     r"following(?: information)?(?: for [^:]{0,60})?"),
    r"\byour (?:original )?request (?:was|reads|read|stated|is as follows|for information was)",
    r"\bbelow is your request\b.*",
    (r"^(?:your |the |original )?(?:request|requests|question|questions|information requested|request details|"
     r"details of (?:your )?request)"),
    r"^you (?:asked|requested|wrote|said)(?: for| us)?",
    r"\byou (?:asked|requested) (?:for )?the following",
    r"\bin which you (?:asked|requested)(?: for)?",
)
_REQUEST_START = CuedPattern("|".join(rf"{opening}\s*[:\-–]?\s*\"?$" for opening in _REQUEST_OPENINGS))
_REQUEST_END = re.compile(
    r"^(?:(?:our |my |the )?(?:response|responses|answer|answers|reply|decision|outcome)(?: to (?:your|the) "
    r"(?:request|questions?))?|in response|we answered|information (?:provided|supplied)|"
    r"(?:response|answer|reply)\s*[:\-–].*)\s*[:\-–]?\s*$|"
    r"^(?:we|our|having|following (?:receipt|our|a search|searches|enquiries)|thank you|please find|"
    r"please see|i can confirm|i confirm|i (?:write|am writing)|i have (?:undertaken|attached|processed|"
    r"considered|searched|made|now)|your request (?:will|has|is|was)|(?:the )?(?:council|trust|force|"
    r"department|authority|service|office|university|board|ministry|police)\b[^.]{0,40}\b(?:holds?|does|"
    r"has|can|confirms?|is|will|would|did|do)\b|the (?:information|data|figures|documents?) (?:you )?(?:requested|"
    r"asked for|sought)\b|i (?:estimate|can|have|hold|do not|did not|am (?:able|unable|writing|pleased)|will|"
    r"attach|enclose)\b)|(?-i:\b(?:[Ww]e|[Oo]ur|us)\b)|\byour request\b", re.IGNORECASE)
_SIGN_OFF = re.compile(r"^(yours (faithfully|sincerely|truly)|kind regards|regards|best regards|many thanks|"
                       r"best wishes|thanks|thank you)[,.!]?$", re.IGNORECASE)

# The patterns _mark_voices asks of all the sentences of a letter at once: their cues found in one scan of it.
_VOICES = CueScan()
# Rights of appeal, complaints, copyright and e-mail disclaimers: boilerplate in nearly every reply.
_APPEAL = CuedPattern(
    r"\bif you are (?:unhappy|dissatisfied|not (?:content|satisfied|happy))|\b(?:right|entitled) to "
    r"(?:request|ask for|apply for|seek|complain|appeal)|\byou (?:can|may|could|have the right to) "
    r"(?:request|ask for|apply for|seek) (?:an? )?(?:internal )?review|\b(?:complain|appeal|apply|write) "
    r"(?:directly )?to the (?:scottish )?information commissioner|\binformation commissioner'?s? office\b|"
    r"\bwycliffe house\b|\bico\.org\.uk|\bitspublicknowledge\b|\bsection (?:50|47)\b|\bright of appeal\b|"
    r"\b(?:internal review|complaints?|appeals?) (?:procedure|process)\b|\byour rights\b|"
    r"\b(?:remain|are still|still) dissatisfied\b|\bdissatisfied with the (?:handling|outcome|way|response)|"
    r"\bnot (?:content|satisfied|happy) with the (?:outcome|response|way|handling)\b|"
    r"\bcopyright(?:ed)?\b|\bre-?use (?:of )?(?:the |this )?information\b|\bopen government licen[cs]e\b|"
    r"\bdirect marketing\b|\b(?:this|the) e-?mail (?:and any (?:files|attachments)|is confidential|"
    r"may contain)|\bintended (?:solely )?for the (?:use of the )?(?:individual|addressee|named)|"
    r"\bscanned for (?:the presence of )?(?:computer )?viruses\b|\bviews expressed in this\b|"
    r"\bprivacy (?:notice|policy|statement)\b|\btribunal\b", scan=_VOICES)
_APPEAL_TAIL = CuedPattern(
    r"\bif you are (?:unhappy|dissatisfied|not (?:content|satisfied|happy))|^your rights\b|"
    r"^(?:rights? of appeal|appeals?|complaints?|internal review (?:rights|procedure)|how to complain|"
    r"right to (?:request|ask for) (?:an? )?(?:internal )?review)\s*:?$|\byou have the right (?:under "
    r"[^,\n]{0,60})?to (?:request|ask for) an? (?:internal )?review\b")

# Our own (the requester's) voice, wherever it is quoted.
_REQUESTER = CuedPattern(
    r"\b(?:i|we) (?:would|'d) like to (?:request|ask|know|see|receive|obtain|make)\b|"
    r"\bi (?:am|'m) (?:requesting|writing to request|making (?:a|this) request|asking)\b|"
    r"\bi (?:wish|want) to (?:request|know|ask|see|make)\b|\bmy (?:foi |freedom of information |original )?"
    r"(?:request|question|enquiry)s?\b|\bplease (?:provide|send|supply|disclose|give|tell|release|forward) "
    r"(?:me|to me|copies|all|any|a copy|the following|it to me|the rest)\b|\bi recognise\b|"
    r"\bi appreciate that\b|\bi am confident\b|\bi believe (?:that )?(?:the|this|it|there|residents)\b|"
    r"\bi look forward\b|\bplease tell me\b|\b(?:can|could) (?:you )?(?:please )?(?:supply|provide|send|"
    r"tell|give) me\b|\b(?:can|could) i (?:see|have|request|get|ask)\b|\bhow i (?:can|could|might) "
    r"(?:refine|narrow|reduce)\b|\bso that i can (?:clarify|narrow|refine)\b|\bplease contact me as soon as\b|"
    r"\bunder (?:the )?(?:freedom of information|foi)[^,.\n]{0,40}, i\b|\bi (?:have|had) (?:been told|heard|read)\b",
    scan=_VOICES)

_QUESTION_START = re.compile(
    # (after a question's number, and "If so," / "If yes," that goes on with the question before it)
    r"^(?:(?:q(?:uestion)?\s*)?\d{1,2}[a-z]?[.):]?\s+|\(?[a-z0-9]{1,3}\)\s+|[-*•·]\s+)*(?:if (?:so|yes|not),?\s+)?"
    r"(?:can|could|would|will|"
    r"have|has|had|did|do|does|is|are|was|were|how|what|when|where|which|who|whom|whose|why|"
    r"please (?:provide|confirm|state|supply|send|list|give|tell|advise|detail|explain|include|indicate|"
    r"specify|share|disclose)|include|provide|list|state|confirm whether)\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*(?:(?:q(?:uestion)?\s*)?\d{1,2}[a-z]?[.):]|\(?[a-z0-9]{1,3}\)|[-*•·])\s", re.IGNORECASE)
# A concession ("Whilst we cannot say exactly how long, it would exceed 18 hours") asserts both its clauses: it
# is not hypothetical; a condition ("If ...", "Should ...", "Unless ...") is.
_HYPOTHETICAL_START = re.compile(r"^(?:if|where|should|in the event|unless|when)\b",
                                 re.IGNORECASE)
# A relative clause explains a rule ("... exempt under section 31, which can apply where ..."): the modal
# words that make a sentence hypothetical are looked for in the main clause only.
_RELATIVE = CuedPattern(r",? \b(?:which|where|because|since|as this|in cases where|so that|however|but|although|though)\b")
_HYPOTHETICAL = CuedPattern(
    r"\b(?:may|might|could|can) (?:also |only )?be [a-z]+ed\b|\b(?:may|might|could|can) (?:also )?"
    r"(?:be )?(?:apply|applies|applied|engaged|refused?|exempt|withheld|need to|have to|make it necessary|"
    r"decide|rely|consider|be able|be unable|take longer|not be able)\b|\bcan apply\b|\bin some "
    r"circumstances\b|\bit is possible that\b|\bwould need to (?:consider|assess)\b|\bsubject to\b|"
    r"\b(?:we|i) (?:may|might) (?:also |then |need to |have to )?(?:ask|contact|write to) you\b|"
    # The law explained, not this request decided: "information is exempt if ...", "the Act allows ...".
    r"\b(?:the|this|foi|foia|foisa) (?:foi )?(?:act|regulations|legislation) (?:allows(?! us)|requires|provides|"
    r"permits(?! us)|carries|states|says|gives|sets out|means|obliges)\b|\b(?:information|it) is exempt(?: information)? if\b|"
    r"\b(?:when|where|if) (?:a|an|the) (?:qualified |absolute )?(?:exemption|exception) (?:applies|is engaged|is "
    r"being considered)\b|\bexemptions? which (?:may|can|could)\b|\b(?:public )?authorit(?:y|ies) (?:must|may|can|"
    r"should|is required to|are required to)\b|\bthe applicant\b", scan=_VOICES)


@dataclass(slots=True)
class Sentence:
    text: str
    zone: str  # body | quoted | thread | appeal | header | welsh
    line_start: bool  # the sentence begins a line (headings, numbered items)
    numbered: bool  # begins with "1.", "Q1", "(a)", "-" ...
    is_question: bool  # a question or a request restated ("How many ...", "Please provide ...")
    requester: bool  # in the requester's voice ("I would like to request ...")
    hypothetical: bool  # conditional or modal ("If ...", "... may apply")
    restated: bool = False  # close to one of the template's questions

    @property
    def authority(self) -> bool:
        """The authority's own words (the only ones the outcome rules read)."""
        return self.zone == "body" and not self.requester and not self.restated


@dataclass(slots=True)
class Doc:
    text: str
    sentences: list[Sentence]
    header_subject: str = ""  # from a header block pasted at the top of a text
    header_auto: bool = False  # a pasted "Auto-Submitted: auto-..." line
    own_text: str = ""  # the text without the thread quoted below it
    # The authority's sentences joined by newlines, with each one's start offset, for fast rule matching.
    joined: str = ""
    starts: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)

    def position_at(self, offset: int) -> int:
        """The index in `sentences` of the authority's sentence at `offset` in `joined`."""
        return self.index[bisect.bisect_right(self.starts, offset) - 1]

    def sentence_at(self, offset: int) -> Sentence:
        return self.sentences[self.position_at(offset)]

    def authority_text(self) -> str:
        return self.joined


def _line_zones(lines: list[str]) -> tuple[list[str], int, str, bool]:
    """Zones per line; also the index after a pasted header block, its subject and its auto-submitted flag."""
    zones = ["body"] * len(lines)
    # A header block pasted at the top (From:, Subject:, Auto-Submitted: ...).
    top = 0
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    subject, auto = "", False
    j = first
    while j < len(lines) and _HEADER_LINE.match(lines[j].strip()):
        j += 1
    if j - first >= 2 or (j - first == 1 and j < len(lines) and not lines[j].strip()):
        for i in range(first, j):
            zones[i] = "header"
            line = lines[i].strip()
            if line.lower().startswith("subject:"):
                subject = line[8:].strip()
            if line.lower().startswith("auto-submitted:") and "no" != line[15:].strip().lower():
                auto = True
        top = j
    # The thread quoted below the reply.
    seen = 0
    for i in range(top, len(lines)):
        line = lines[i].strip()
        if line.startswith(">"):
            zones[i] = "thread"
            continue
        if seen >= 40 and line[:1] in _THREAD_FIRST and (
            _THREAD_START.match(line)
            or _WROTE.match(line)
            or (i + 1 < len(lines) and len(line) < 120 and line.lower().startswith("on ")
                and _WROTE.match(line + " " + lines[i + 1].strip()))
            or (_OUTLOOK_FROM.match(line) and any(_OUTLOOK_NEXT.match(lines[k].strip())
                                                  for k in range(i + 1, min(i + 5, len(lines)))))
        ):
            for k in range(i, len(lines)):
                zones[k] = "thread"
            break
        seen += len(line)
    # The request restated inside the reply.
    i = top
    while i < len(lines):
        line = lines[i].strip()
        if zones[i] != "body" or not line:
            i += 1
            continue
        start = _REQUEST_START.search(line)
        if not start:
            i += 1
            continue
        begin = i + 1 if start.end() >= len(line.rstrip()) - 1 else i
        end = _request_end(lines, zones, begin)
        for k in range(begin, end):
            if zones[k] == "body":
                zones[k] = "quoted"
        i = max(end, i + 1)
    return zones, top, subject, auto


def _request_end(lines: list[str], zones: list[str], begin: int) -> int:
    """Where a restated request ends: at a response heading, the authority's voice, or a sign-off."""
    content = 0
    for k in range(begin, len(lines)):
        line = lines[k].strip()
        if zones[k] != "body":
            return k
        if not line:
            continue
        if content and _REQUEST_END.search(line) and not _REQUESTER.search(line):
            return k
        if content and _SIGN_OFF.match(line):
            nxt = k + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and len(lines[nxt].split()) <= 4 and not _REQUEST_END.search(lines[nxt]):
                return nxt + 1
            return k + 1
        content += 1
    # No end found: only the first paragraph is taken as quoted, not the rest of the letter.
    k = begin
    while k < len(lines) and not lines[k].strip():
        k += 1
    while k < len(lines) and lines[k].strip() and k - begin < 15:
        k += 1
    return k


# --- sentences ---------------------------------------------------------------------------------------

_ABBREVIATIONS = {"no", "nos", "e.g", "eg", "i.e", "ie", "mr", "mrs", "ms", "dr", "st", "s", "ss", "reg",
                  "regs", "para", "ref", "approx", "etc", "vs", "v", "cf", "tel", "fig", "art", "sec",
                  "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
                  "nov", "dec", "p", "pp", "vol", "ch", "cllr", "prof", "rev", "hon", "dept", "govt"}
# A sentence ends after the punctuation this matches from (match.start() + 1): a lookbehind there would cost the
# regex engine its fast scan for the punctuation (twice the time of the whole split).
_BOUNDARY = re.compile(r"[.!?][\"”’')\]]*\s+(?=[A-Z0-9\"“‘'(\[£])")
_BREAK_BEFORE = re.compile(r"^(?:(?:q(?:uestion)?\s*)?\d{1,2}[a-z]?[.):]\s|\(?[a-z0-9ivx]{1,4}\)\s|[-*•·]\s|"
                           r"(?:question|answer|response|request|q|a)\s*\d*\s*[:\-–])", re.IGNORECASE)


_SALUTATION = re.compile(r"^(?:dear|hello|hi|good (?:morning|afternoon))\b.{0,60}[,:]?$", re.IGNORECASE)


def _segments(block: list[str]) -> list[tuple[str, bool]]:
    """Join hard-wrapped lines back into running text; keep headings, list items and short lines apart."""
    out: list[tuple[str, bool]] = []
    current = ""
    last = ""
    for line in block:
        line = line.strip()
        if not current:
            current = last = line
            continue
        # Hard-wrapped mail is 60-80 characters a line; a longer line is a whole line (a heading, a question),
        # unless the next line plainly goes on with the sentence (it starts in lower case).
        wrapped = (40 <= len(last) <= 80 or (last[-1:].isalnum() and line[:1].islower())
                   or last.endswith(","))
        if (_BREAK_BEFORE.match(line) or last.endswith((".", ":", "!", "?", ";")) or not wrapped
                or _SALUTATION.match(last)):
            out.append((current, True))
            current = line
        else:
            current = f"{current} {line}"
        last = line
    if current:
        out.append((current, True))
    return out


_CONCESSION = re.compile(r"(?:although|though|even though|while|whilst)\b[^,;.]{8,160}, (?=\w)", re.IGNORECASE)
_LIST_MARKER = re.compile(r"^\W*(?:q(?:uestion)?\s*)?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]?$", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() + 1  # after the punctuation
        before = text[start:end].rstrip(".!?\"”’')] ")
        last = before.rsplit(" ", 1)[-1].lower().rstrip(".")
        if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()) or _LIST_MARKER.match(before):
            continue
        pieces.append(text[start:end].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    out: list[str] = []
    for piece in pieces:
        # "Although we aim to respond within 20 days, we need more time": the concession and the main clause
        # say different things, so they are read as two sentences.
        concession = _CONCESSION.match(piece)
        if concession:
            out.extend([piece[: concession.end()].rstrip(", "), piece[concession.end():]])
        else:
            out.append(piece)
    return [p for p in out if p]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if w not in _STOPWORDS}


_STOPWORDS = {"the", "and", "for", "with", "that", "this", "you", "your", "our", "are", "was", "were", "has",
              "have", "had", "any", "all", "its", "not", "but", "from", "into", "such", "other", "those",
              "these", "there", "their", "they", "them", "what", "which", "who", "whether", "please", "can",
              "could", "would", "will", "been", "being", "about", "also", "than", "then", "more", "some",
              "using", "use", "well", "how", "many", "council", "force", "authority", "department", "trust"}


# What the classifier reads of a text (a long letter is 100,000 characters; the rest stays stored): the
# reading of a 1,000,000-character reply took seconds in the poller itself, outside the reader's limits.
MAX_DOC_CHARS = 200_000


def build(text: str, question_texts: Sequence[str] = ()) -> Doc:
    """Sentences with zones and flags; `question_texts` are our own questions (to spot them restated)."""
    text = normalise(text[:MAX_DOC_CHARS])
    lines = text.split("\n")
    zones, _, subject, auto = _line_zones(lines)
    question_words = [_words(q) for q in question_texts if q]
    sentences: list[Sentence] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        zone = zones[i]
        block = []
        while i < len(lines) and lines[i].strip() and zones[i] == zone:
            block.append(lines[i])
            i += 1
        for segment, line_start in _segments(block):
            for n, piece in enumerate(split_sentences(segment)):
                sentences.append(_sentence(piece, zone, line_start and n == 0, question_words))
    _mark_voices(sentences)
    _mark_welsh(sentences, text)
    _mark_quoted_paragraphs(sentences)
    _mark_appeal_tail(sentences)
    own = "\n".join(line for line, zone in zip(lines, zones) if zone != "thread")
    doc = Doc(text=text, sentences=sentences, header_subject=subject, header_auto=auto, own_text=own)
    parts: list[str] = []
    offset = 0
    for n, sentence in enumerate(sentences):
        if sentence.authority:
            doc.starts.append(offset)
            doc.index.append(n)
            parts.append(sentence.text)
            offset += len(sentence.text) + 1
    doc.joined = "\n".join(parts)
    return doc


# Words of an answer, not of a question restated: such a sentence is the authority's even if it echoes ours.
_ANSWER_WORDS = CuedPattern(r"\b(?:not|no|never|none|nil|confirm|confirms|hold|holds|held|attached|enclosed|yes|"
                           r"exempt|withheld|n/a)\b")


def _sentence(text: str, zone: str, line_start: bool, question_words: list[set[str]]) -> Sentence:
    """A sentence with the flags read from its start; the voice flags are set for all at once by _mark_voices."""
    text = text.replace("\n", " ")
    restated = False
    if question_words and zone == "body" and not _ANSWER_WORDS.search(text):
        words = _words(text)
        if len(words) >= 5:
            best = max(len(words & q) / len(words) for q in question_words)
            restated = best >= 0.6
    return Sentence(
        text=text,
        zone=zone,
        line_start=line_start,
        numbered=bool(_NUMBERED.match(text)),
        is_question=text.rstrip().endswith("?") or bool(_QUESTION_START.match(text)),
        requester=False,
        hypothetical=bool(_HYPOTHETICAL_START.match(text)),
        restated=restated,
    )


def _mark_voices(sentences: list[Sentence]) -> None:
    """Appeal boilerplate, the requester's voice and hypothetical wording, found in one pass over all sentences."""
    if not sentences:
        return
    starts: list[int] = []
    offset = 0
    for sentence in sentences:
        starts.append(offset)
        offset += len(sentence.text) + 1
    text = "\n".join(sentence.text for sentence in sentences)
    lowered = text.lower()

    def hits(pattern: CuedPattern) -> Iterator[tuple[Sentence, int]]:
        for match in pattern.finditer(text, lowered):
            n = bisect.bisect_right(starts, match.start()) - 1
            yield sentences[n], match.start() - starts[n]

    for sentence, _ in hits(_APPEAL):
        if sentence.zone == "body":
            sentence.zone = "appeal"
    for sentence, _ in hits(_REQUESTER):
        sentence.requester = True
    for sentence, position in hits(_HYPOTHETICAL):
        if sentence.hypothetical:
            continue
        relative = _RELATIVE.search(sentence.text)  # the modal word must be in the main clause
        if relative is None or position < relative.start():
            sentence.hypothetical = True


# Welsh function words, and the few that are English words too (they count only beside the others).
_WELSH = frozenset("""yn yr ac ar eich ein ei gyda mae bod nid ydym chi hwn hon hyn wedi gan fel neu ond os yng ym
fod cais gwybodaeth wybodaeth diolch annwyl cofion yw oes sydd eu hefyd dros drwy rhwng gennym byddwn ymateb
ynghylch ynglŷn mewn gyfer hynny rydym roedd fydd gael cael dan wrth""".split())
_SHARED_WORDS = frozenset({"a", "i", "am", "o", "y", "ni", "at", "dan"})
_TOKEN = re.compile(r"[a-zâêîôûŵŷ']+")


def _mark_welsh(sentences: list[Sentence], text: str) -> None:
    """The Welsh half of a bilingual letter says what the English half says: only one half is read."""
    hints = text.count(" yn ") + text.count("eich ") + text.count("ybodaeth") + text.count(" mae ")
    if hints < 3:  # no Welsh here: most letters stop at these few scans
        return
    for sentence in sentences:
        if sentence.zone != "body":
            continue
        words = _TOKEN.findall(sentence.text.lower())
        if len(words) < 4:
            continue
        welsh = sum(1 for w in words if w in _WELSH)
        shared = sum(1 for w in words if w in _SHARED_WORDS)
        if welsh >= 2 and (welsh + shared) * 10 >= len(words) * 3:
            sentence.zone = "welsh"


_OPEN_QUOTE = ("“", '"', "‘")
_CLOSE_QUOTE = ("”", '"', "’")
MAX_QUOTED_RUN = 40


def _mark_quoted_paragraphs(sentences: list[Sentence]) -> None:
    """Someone else's words in quotation marks over several sentences (the requester's letter, quoted back in
    a review or a reply to a complaint): from an opening mark that does not close in its own sentence to the
    sentence where it closes. A run that never closes is left alone (a stray mark)."""
    n = 0
    while n < len(sentences):
        sentence = sentences[n]
        if sentence.text.lstrip()[:1] not in _OPEN_QUOTE:
            n += 1
            continue
        text = sentence.text.strip()
        if sentence.zone != "body" or _closes(text[1:], text[0]):
            n += 1
            continue
        end = None
        for k in range(n + 1, min(n + MAX_QUOTED_RUN, len(sentences))):
            if sentences[k].zone != "body":
                break
            if sentences[k].text.strip().startswith(text[0]) and not _closes(sentences[k].text[1:], text[0]):
                break  # a new quotation opens with the same mark: the first one was a stray mark
            if _closes(sentences[k].text, text[0]):
                end = k
                break
        if end is None:
            n += 1
            continue
        for k in range(n, end + 1):
            sentences[k].zone = "quoted"
        n = end + 1


def _closes(text: str, opening: str) -> bool:
    closing = {"“": "”", '"': '"', "‘": "’"}[opening]
    if opening == "‘":  # an apostrophe is also ’: only a mark at the end of a word followed by a space or end
        return bool(re.search(r"’(?:\s|$)", text)) and not re.search(r"\w’\w", text[-3:])
    return closing in text


def _mark_appeal_tail(sentences: list[Sentence]) -> None:
    """From a rights-of-appeal opening in the last part of a reply, everything after it is boilerplate."""
    body = [n for n, s in enumerate(sentences) if s.zone in ("body", "appeal")]
    if len(body) < 3:
        return
    if not _APPEAL_TAIL.could_match(" \n ".join(sentences[n].text for n in body).lower()):
        return  # none of its cues anywhere: no sentence can open the tail (most letters stop here)
    for position, n in enumerate(body):
        if position < len(body) * 0.3:
            continue
        if _APPEAL_TAIL.search(sentences[n].text):
            for k in body[position:]:
                sentences[k].zone = "appeal"
            return
