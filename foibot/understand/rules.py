"""The phrase rules that say what a reply is (pure): each names the phrases it looks for and the kind it points to.

A rule is data: `phrases` (regular expressions, case-insensitive, matched inside one sentence of the
authority's own words), `unless` (phrases that veto a match in the same sentence), and which sentences it may
read (questions, hypothetical ones, the subject line). `strength` says how much one match weighs; the
decision procedure in `classify.py` combines them. Each rule is tested on its own in tests/test_classify_rules.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .phrases import PhraseSet


@dataclass(frozen=True)
class Rule:
    name: str  # "<kind>.<what it recognises>"
    kind: str  # a reply kind, or "provided" / "cover" (signals combined by the decision procedure)
    strength: str  # strong | medium | weak
    phrases: tuple[str, ...]
    unless: tuple[str, ...] = ()
    questions_ok: bool = False  # may match a question ("Could you please clarify ...?")
    hypothetical_ok: bool = False  # may match "If ..." / "... may apply" sentences
    subject_ok: bool = False  # may match the subject line
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    veto: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    phrase_set: PhraseSet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile("|".join(f"(?:{p})" for p in self.phrases), re.IGNORECASE | re.MULTILINE))
        object.__setattr__(self, "phrase_set", PhraseSet(self.phrases))
        veto = re.compile("|".join(f"(?:{p})" for p in self.unless), re.IGNORECASE) if self.unless else None
        object.__setattr__(self, "veto", veto)

    def matches(self, sentence: str) -> bool:
        """Whether one sentence carries this rule's phrase (and none of its vetoes)."""
        return bool(self.pattern.search(sentence)) and not (self.veto and self.veto.search(sentence))


_NOUNS = (r"(?:relevant |such |recorded |written |further |other |specific )?(?:information|records?|data|"
          r"documents?|documentation|correspondence|communications?|e-?mails?|letters?|contacts?|meetings?|"
          r"minutes|notes|details|evidence|discussions?|approach(?:es)?|dealings|agreements?|contracts?|"
          r"payments?|invoices?|reports?|files?|results?|matches|trace|material)")
_BODIES = r"(?:council|trust|force|department|authority|service|office|board|university|ministry|constabulary|police|company|organisation|agency|executive|commissioner)"

RULES: tuple[Rule, ...] = (
    # --- bounces and auto-replies: recognised before anything else -------------------------------
    Rule("bounce.delivery_failure", "bounce", "strong", (
        r"\bdelivery status notification\b", r"\bdelivery to the following recipients? (?:has )?failed\b",
        r"\b(?:message|mail|e-?mail) (?:could not|couldn't|cannot|can't|was not|wasn't) (?:be )?delivered\b",
        r"\bundeliverable\b", r"\bmail delivery (?:failed|failure|subsystem)\b", r"\breturned to sender\b",
        r"\bthis is the mail system at host\b", r"\b(?:permanent|fatal) (?:delivery )?(?:error|failure)\b",
        (r"\b(?:recipient address rejected|user unknown|no such user|mailbox (?:unavailable|not found|does not "
        r"exist))\b"), r"\bfailed permanently\b", r"\bdelivery (?:has )?failed\b", r"\bundelivered mail\b",
        r"\b(?:could not|couldn't|cannot) be delivered to\b", r"\breturned mail\b", r"\berror during delivery\b", r"\bfailed recipients?\b", r"\bmail loop detected\b",
        r"\bunrouteable address\b", r"\b(?:message|e-?mail) (?:was |has been )?(?:rejected|blocked) by\b", r"\bfollowing address(?:es)? failed\b", r"\bmessage not delivered\b",
        r"\bdelivery (?:status notification|notification: delivery has failed)\b",
    ), subject_ok=True, hypothetical_ok=True, questions_ok=True),
    Rule("auto_reply.out_of_office", "auto_reply", "strong", (
        (r"\b(?:i am|i'm|i will be|i'll be) (?:currently |now )?(?:out of (?:the )?office|on (?:annual |maternity "
        r"|paternity |sick |study |parental )?leave|away from (?:the office|my desk|work)|not in the office|on "
        r"holiday|working part[- ]time|not working today|away (?:until|from|from the office until))\b"),
        r"\bout of (?:the )?office\b(?! hours)",
        r"\b(?:upon|on|after) my return\b", (r"\bi (?:will|shall) (?:be )?(?:back|returning|return) (?:in the "
        r"office )?(?:on|until|from)\b"), r"\bi (?:have|will have) limited (?:access to )?e-?mail\b",
        r"\bthis (?:mailbox|e-?mail address|inbox|account) is (?:no longer|not) (?:monitored|in use|active)\b",
        r"\bno longer works? (?:for|at|here)\b",
    ), unless=(
        # a sender's no-reply notice under a message about the request ("Please do not reply to this email, as
        # this mailbox is not monitored"), not someone away
        r"\b(?:do not|don't|please don't) reply (?:to )?(?:this|the)\b",
        # a person back at work, saying where they were ("I was out of office for most of last week")
        r"\b(?:i|we) (?:was|were|had been|have been) (?:out of (?:the )?office|on (?:[a-z]+ )?leave|away)\b",
    ), subject_ok=True, hypothetical_ok=True),
    # Absence in the first person and its return, in looser words: read only in a short note (classify.py), since
    # a letter may mention its writer's leave in passing.
    Rule("auto_reply.absence", "auto_reply", "medium", (
        # (Each phrase is written so that its cue, the literal text it needs, is a rare one: see phrases.py.)
        r"\b(?:i am|i'm|i will be|i'll be) (?:currently )?(?:out|off|away) on (?:\w+ )?leave\b",
        r"\b(?:i am|i'm|i will be|i'll be) (?:currently )?off sick\b", r"\bout of the building\b",
        r"\b(?:i am|i'm|i will be|i'll be) (?:currently )?away (?:until|today|this week)\b",
        r"\b(?:during|in) my absence\b",
        r"\b(?:until|when|once) i get back\b|\b(?:until|when|once) i am back\b|\b(?:until|when|once) i return\b(?! to you)",
        r"^(?:please note (?:that )?)?i (?:only )?work part[- ]time\b",
        r"^(?:please note (?:that )?)?i (?:only )?work (?:on )?(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?)\b",
        r"\b(?:i am|i'm) not (?:at work|in work|in the office) (?:today|until|on|this week)\b",
        r"\b(?:the|our) offices? (?:is|are|will be) (?:now )?(?:closed until|closed for|closed over|closed from|closed between)\b",
        # Someone else's absence, told by their mailbox: "Sam is on leave until Monday", "has now left the council".
        (r"\b(?:is|are) (?:currently )?(?:on (?:\w+ )?leave|out of (?:the )?office|away from (?:the office|work)|"
         r"absent from work|not in the office) (?:until|from|and will|today|this week)\b"),
        r"\b(?:i am|i'm) (?:currently )?unavailable\b", r"\breturning (?:to (?:the office|work) )?on (?:mon|tues|wednes|thurs|fri|\d)",
        r"\b(?:has|have) (?:now )?left (?:the|this) (?:council|organisation|authority|trust|department|company|team|service)\b",
        r"\bno longer (?:with|employed by|part of) (?:the|this)\b",
        r"\b(?:i am|i'm|i will be|i'll be) (?:currently )?(?:on a (?:training )?course|attending (?:a |an )?(?:course|conference|training))\b",
        r"\bnot be (?:reading|checking|accessing|answering) (?:my )?(?:e-?mails?|messages)\b",
    ), hypothetical_ok=True),
    Rule("auto_reply.automatic_subject", "auto_reply", "medium", (
        r"^(?:(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply)\b|auto:)",
    ), subject_ok=True),
    Rule("auto_reply.automated_message", "auto_reply", "medium", (
        r"\b(?:please )?do not reply to this (?:e-?mail|message|address)\b",
        r"\b(?:this|the) (?:e-?mail|message) (?:was|has been|is) (?:sent|generated) automatically\b",
        r"\bif your (?:query|enquiry|matter|request) is urgent\b",
        r"\bunmonitored (?:mailbox|inbox|e-?mail address|account|address)\b",
        r"\breplies to this (?:e-?mail|message|address) (?:are not|will not be|cannot be) (?:read|monitored|seen|answered)\b",
        # A mailbox's standing notice, about no request in particular.
        r"\bthis (?:mailbox|inbox|e-?mail address|account) is (?:only )?(?:monitored|checked|staffed) (?:during|between|on|from|monday)",
        (r"\b(?:this is an? )?auto(?:mated|matic|-generated|matically generated)[- ](?:response|reply|"
        r"acknowledge?ment|message|e-?mail|notification|confirmation|receipt)\b"), (r"\bhigh (?:volume|number) of (?:enquiries|e-?mails|"
        r"requests|calls|contacts)\b"), r"^auto-submitted: auto-",
    ), unless=(
        # a person speaking of one ("sorry you only got my automatic reply before")
        (r"\b(?:my|your|our|his|her|their|an earlier|the earlier|a previous|the previous|the last) "
         r"auto(?:mated|matic)?[- ]?(?:response|reply|message)\b"),
    ), hypothetical_ok=True),
    Rule("auto_reply.generic_thanks", "auto_reply", "weak", (
        r"^thank you for (?:contacting|your e-?mail to|e-?mailing|writing to) ",
        r"\b(?:response|reply) times? (?:to [\w ]{0,30})?(?:may|will|might) (?:be longer|increase|be delayed)\b",
        r"\b(?:currently|are all|now) working (?:from home|remotely)\b",
    ), hypothetical_ok=True),
    Rule("auto_reply.redirect_to_form", "auto_reply", "medium", (
        (r"\b(?:you will need to|you need to|you must|please) (?:make|submit|complete|use|fill in|send) (?:a |the "
        r"|our |your )?(?:formal |online |web )?(?:foi |freedom of information |information )?(?:request|form)\b"
        r".{0,80}\b(?:online|web ?form|form|portal|website)\b"),
        r"\bwe will (?:also )?acknowledge your (?:request|e-?mail) (?:following|once|after|when|on)\b",
    ), hypothetical_ok=True),

    # --- what the authority asks or announces -----------------------------------------------------
    Rule("neither_confirm_nor_deny.ncnd", "neither_confirm_nor_deny", "strong", (
        r"\bneither confirm(?:s|ing|ed)? n?or den(?:y|ies|ying|ied)\b",
        # Scotland's s18(1): "I am refusing to confirm or deny whether the information exists or is held"
        r"\brefus(?:e|es|ed|ing) to (?:either )?confirm (?:or|nor) deny\b",
        (r"\b(?:will not|cannot|can not|is not able to|are not able to|unable to|not in a position to) confirm "
        r"(?:or|nor) deny\b"),
        r"\bduty (?:in |under |at )?(?:section 1 ?\(1\) ?\(a\)|to confirm or deny)[^.\n]{0,80}\bdoes not apply\b",
    ), unless=(r"\bthe duty to confirm or deny (?:is|means|requires)\b",)),
    Rule("internal_review_result.review_done", "internal_review_result", "strong", (
        (r"\b(?:have|has) (?:now )?(?:undertaken|completed|carried out|conducted|concluded|finished) (?:the|an|my|"
        r"our|your|this) (?:internal )?review\b"),
        (r"\b(?:the )?(?:outcome|result|findings?|conclusions?|decision) of (?:the|my|our|this|your) (?:internal )?"
        r"review (?:is|are|was|has been|is set out|can be found)\b"),
        (r"\b(?:i|we) (?:have )?(?:therefore )?(?:do not |don't |partially |partly |fully )?(?:uphold|upheld|am "
        r"upholding|are upholding|overturn|am overturning|are overturning)\b"),
        (r"\b(?:your )?(?:complaint|review|appeal|request for (?:an )?(?:internal )?review) (?:is|has been|was) "
        r"(?:therefore )?(?:partially |partly |not |fully )?(?:upheld|rejected|successful|unsuccessful)\b"),
        (r"\bthe (?:original )?(?:decision|response) (?:is|was|has been) (?:upheld|overturned|maintained|"
        r"reversed|revised)\b"),
        r"\b(?:original|initial|first) (?:decision|response) (?:upheld|overturned|reversed|varied|maintained|substituted)\b",
        # Scotland's review words (FOISA s21(4)): the decision confirmed, substituted or varied
        (r"\b(?:review|panel|reviewer|i|we) (?:therefore |has |have )?(?:substitutes?|substituted|confirms?|confirmed|"
         r"varies|varied) (?:a different |the original |its |the )?decision\b"),
        # a review letter's headings: "Outcome: UPHELD IN PART", "Internal review outcome"
        (r"^(?:review |internal review )?(?:outcome|decision|result|finding)s?\s*[:\-–]\s*(?:(?:your |the )?(?:complaint|"
         r"review|appeal) (?:is )?)?(?:not |partially |partly )?(?:upheld|overturned|not upheld)\b"),
        r"^internal review (?:outcome|decision|result|response)s?\s*:?\s*$",
        r"\b(?:internal )?review (?:has )?(?:found|concluded|determined|decided) that\b",
        (r"\b(?:review|reviewer|reviewing officer|panel) (?:has |have )?(?:therefore |now )?(?:upholds?|upheld|"
         r"overturn(?:s|ed)?|concluded|found|decided|determined)\b"),
        (r"\b(?:i|we) have (?:now )?reviewed (?:the|your|our) (?:handling|original response|original decision|"
        r"decision|response)\b"),
        (r"\b(?:i|we) (?:have )?(?:now )?(?:considered|investigated|looked into|examined) your (?:complaint|appeal|"
         r"request for (?:an )?(?:internal )?review|review request)\b"),
        r"\b(?:uphold|upheld|upholding|not uphold) (?:your|the) (?:complaint|appeal|review|request for (?:an )?internal review)\b",
        r"\b(?:having|after) (?:examined|reviewed|considered|looked at) the handling of\b",
        r"\b(?:in|during|for|as part of|in conducting|in carrying out) (?:this|my) (?:internal )?review\b",
        r"\b(?:i|we) (?:was|were) not involved in the (?:original|initial|first)\b",
        # "I have reviewed your request" opens ordinary answers too: only a second look at a decision counts.
        (r"\b(?:i|we) have (?:now |since |therefore )?(?:re-?considered|re-?examined|looked again at) (?:the |your |our )"
         r"(?:original |initial )?(?:request|decision|response|reply|case|handling|exemptions?|refusal)\b"),
        r"\b(?:i|we) have (?:now )?reviewed (?:the |our )(?:original|initial|earlier) (?:decision|response|reply|refusal)\b",
        r"\b(?:internal review|review) (?:outcome|result|decision|response|findings)\s*[:\-–]",
        r"^(?:outcome|result|findings?) of (?:the |your |my )?(?:internal )?review\b",
        (r"\b(?:review|reviewer) (?:was|has been) (?:carried out|conducted|completed|undertaken) (?:by|on)\b"),
        (r"\b(?:having|after) (?:reviewed|re-?examined|reconsidered) (?:the|your) (?:original )?(?:request|response|"
         r"decision|handling)\b.{0,120}\b(?:uphold|upheld|satisfied|review|maintain|overturn|breached)"),
    )),
    Rule("internal_review_result.mentions_initial", "internal_review_result", "medium", (
        r"\b(?:initial|original|first) (?:decision|response|refusal|reply|handling)\b",
        r"\b(?:decision|response) was (?:initially|originally)\b",
    )),
    Rule("clarification_requested.asks_to_clarify", "clarification_requested", "strong", (
        r"\b(?:could|can|would|will|may) you (?:please )?(?:kindly )?(?:clarify|specify)\b",
        r"\bplease (?:could you |can you )?(?:clarify|specify)\b",
        r"\b(?:need|needs|require|requires|ask|asking) you to (?:clarify|specify|narrow|refine|confirm exactly)\b",
        r"\b(?:once|when|until|after) (?:we|i) (?:have )?receive(?:d)? (?:your |the |this )?clarification\b",
        r"\bprovide (?:some |further |more |additional )?clarification\b",
        (r"\b(?:could|can|would) you (?:please )?(?:provide|give|send) (?:us |me )?(?:with )?(?:some |more |further |"
        r"additional )(?:details|detail|information about what)\b"),
        (r"\b(?:need|require) (?:more|further|additional) (?:information|details) (?:from you )?(?:to|in order to|"
        r"before)\b"),
        r"\b(?:ask|asking) (?:you )?for (?:some |further |more |a )?clarification\b",
        (r"\b(?:seek|seeking|request|requesting|require|need|needs|requires) (?:some |further |more |a |your )?"
        r"clarification\b"),
        (r"\bclarification (?:of|on|about|regarding|as to|in relation to) (?:your request|what|which|whether|the "
        r"(?:scope|information|time|date|period|request))\b"),
        (r"\b(?:i|we) (?:would like to|need to|must|want to) (?:check|confirm|clarify|understand|establish) "
        r"(?:with you )?(?:if|whether|what|which|exactly)\b"),
        (r"\b(?:will not|won't|cannot|can't|am unable to|are unable to|be unable to) (?:be able to )?(?:take this "
        r"(?:matter|request) (?:any )?further|proceed|progress (?:your|this) request|process (?:your|this) "
        r"request)\b.{0,40}\b(?:until|without|unless)\b"),
        r"\b(?:clock|time limit|timescale|deadline) (?:has been |is |will be )?(?:stopped|paused|on hold)\b",
        r"\b(?:request|it) (?:is|will be|has been) (?:put |placed )?on hold (?:until|pending)\b",
        r"\bwhat (?:exactly )?(?:do you mean|is meant) by\b",
        r"\byour request (?:is|was|appears) (?:unclear|too broad|ambiguous|not clear|very broad)\b",
        r"\bnot (?:provided |given )?(?:us )?(?:with )?(?:a |an )?(?:sufficiently )?(?:clear|adequate|sufficient) description\b",
        r"\b(?:is|was) not a valid (?:foi |foisa |eir |freedom of information )?request\b",
        # s8 (FOISA s8): a valid request states the applicant's real name; the authority asks for it
        (r"\b(?:reply|respond|write back|come back to us|provide|confirm|let us (?:have|know)|send us|supply) (?:us )?"
         r"(?:with )?your (?:full |real |first and last |first name and )?(?:name|surname)\b"),
        r"\bmust (?:state|include|give|contain|provide) (?:the|your) (?:real |full )?name\b",
    ), unless=(
        r"\b(?:we|i) (?:have |had )?(?:asked|requested|sought) (?:you )?(?:for )?(?:your )?clarification\b",
        r"\b(?:you|which you) (?:have |had )?(?:provided|supplied|gave|sent|clarified)\b",
        r"\bif (?:we|i) (?:need|require|have)\b", r"\bshould (?:we|i) (?:need|require)\b",
        r"\bthank you for (?:your |the )?clarif", r"\bfollowing (?:your |the )?clarification\b",
    ), questions_ok=True),
    Rule("clarification_requested.asks_which", "clarification_requested", "medium", (
        (r"\b(?:could|can|would) you (?:please )?(?:kindly )?(?:confirm|let (?:me|us) know|tell (?:me|us)|advise|"
        r"indicate|explain) (?:which|what|whether|exactly|the (?:time ?period|date range|dates?))\b"),
        r"\bplease (?:confirm|let (?:me|us) know|advise|indicate) (?:which|what|whether|exactly)\b",
    ), unless=(r"^\s*(?:\d|q\d|question)",), questions_ok=True),
    Rule("clarification_requested.fees_notice", "clarification_requested", "strong", (
        r"\bfees? notice\b", r"\bnotice (?:of|for) (?:the )?(?:fee|fees|charge)\b",
        (r"\b(?:until|once|when|on receipt of|after) (?:the |this |your )?(?:fee|fees|payment|charge)s? (?:is |are |has been |have "
         r"been )?(?:paid|received|made)\b"),
        r"\b(?:on|upon|following) (?:the )?receipt of (?:the |your )?(?:fee|payment)\b",
        r"\b(?:pay|paying|payment of) (?:a |the )?(?:fee|charge) of £ ?\d",
    ), hypothetical_ok=True),
    Rule("extension.time_extended", "extension", "strong", (
        (r"\bextend(?:ed|ing)? (?:the )?(?:time|deadline|response time|period|time limit|time for (?:response|"
        r"compliance|responding)|date|response date)\b"),
        r"\bextension (?:of|to) (?:the )?(?:time|deadline|response|period|time limit|date)\b",
        (r"\b(?:need|needs|require|requires|requiring|take|taking|need to take) (?:some )?(?:further|additional|"
        r"more|extra) time to (?:consider|decide|complete|assess|respond|reach|determine)\b"),
        r"\bsection 10 ?\(3\)", r"\bregulation 7 ?\(1\)",
        (r"\b(?:unable|not be able|not able|not been able|cannot|can't) to (?:respond|reply|provide (?:you with )?(?:a|our|the) "
        r"(?:full )?(?:response|reply|answer)|complete (?:your|the|this) request|meet the (?:deadline|20 working "
        r"day|statutory))\b.{0,60}\b(?:within|by) (?:the )?(?:20|twenty|statutory|deadline|time|original|due)"),
        r"\b(?:revised|new|extended) (?:response |target |due |deadline )?(?:date|deadline)\b",
        (r"\bextend (?:the |our )?(?:[\w-]+ ){0,3}(?:period|deadline|time limit|timescale|response (?:time|date|"
         r"period|target))\b"),
        r"\b(?:allows|permits|entitles) us to (?:exceed|extend|take (?:longer|more time|additional time))\b",
    )),
    Rule("extension.public_interest", "extension", "medium", (
        (r"\b(?:we are|i am|we're) (?:currently |now |still )?(?:assessing|considering|weighing|conducting|"
         r"carrying out) the public interest\b"),
        r"\b(?:required|need|needs|have|has) to (?:conduct|carry out|consider|undertake|complete) (?:a |the )?public interest test\b",
        r"\b(?:longer|more) than (?:the )?(?:20|twenty)[ -]working[ -]days?\b",
        r"\b(?:is|are) being considered under (?:the )?(?:exemption|exception|section|regulation)s?\b",
        # "... in which I advised that we needed additional time to consider the public interest"
        (r"\b(?:need|needs|needed|require|requires|required) (?:some )?(?:additional|further|more|extra) time to "
         r"(?:consider|assess|weigh) the public interest\b"),
        r"\bthe (?:exemptions?|exceptions?) (?:being|still being|now being) considered (?:is|are)\b",
    )),
    Rule("acknowledgement.response_promised", "acknowledgement", "strong", (
        (r"\b(?:you|we|i) (?:will|should|shall) (?:receive|get|be sent|have) (?:a|our|the|your) (?:full |formal |"
        r"written )?(?:response|reply|answer|decision)\b"),
        (r"\b(?:we|i) (?:will|shall|aim to|expect to|hope to|intend to|endeavour to|will aim to|will endeavour to|"
        r"will try to|would aim to)(?: aim to| endeavour to| try to)? (?:respond|reply|send (?:you )?(?:a |our )?"
        r"(?:response|reply)|provide (?:you with )?(?:a |our |the )?(?:response|reply|full response|decision)|"
        r"let you have (?:a|our) (?:response|reply))\b"),
        (r"\b(?:aim|aims|endeavour|endeavours|expect|hope) to (?:respond|reply|send you a response|provide (?:you "
        r"with )?a response)\b"),
        r"\b(?:required|obliged) to (?:reply|respond|provide a response)(?: to you| to your request)? within\b",
        r"\b(?:response|reply) (?:is )?due (?:by|on)\b", r"\b(?:response|reply) (?:is )?due:? \d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b",
        r"\bexpect (?:to receive )?(?:a|our) (?:full )?(?:response|reply)\b",
        r"\bdeadline for (?:our|a|the|your) (?:response|reply)\b",
        r"\bwill be (?:processed|dealt with|handled|considered|answered|responded to) (?:under|in accordance|within)\b",
        r"\b(?:expect to|will|should|can expect to) hear (?:back )?from (?:us|me|the (?:council|force|team))\b",
        r"\bhas (?:20|twenty) working days (?:in which )?to (?:respond|reply)\b",
        # "A response will be sent to you within 20 working days, by 31 March"
        (r"\b(?:a|our|the|your) (?:full |formal |written )?(?:response|reply|answer) will be (?:sent|provided|issued|"
         r"given|made) (?:to you )?(?:within|by|no later than|on or before)\b"),
    )),
    Rule("acknowledgement.logged", "acknowledgement", "strong", (
        r"\b(?:given|assigned|allocated|issued) (?:the |a )?(?:case |unique )?(?:reference|ref\b|case number)",
        (r"\b(?:logged|recorded|registered|allocated|assigned) (?:it |your (?:request|enquiry)(?: for information)? )?(?:under|with|as) (?:the |a |"
        r"our )?(?:above |following |unique )?(?:case |reference|ref\b|number)"),
        # "your email, which the Council has logged as a request under the Act"
        (r"\b(?:has|have) (?:been )?(?:logged|registered|recorded) (?:it |this |your (?:e-?mail|letter|message) )?as "
         r"(?:a|an|your) (?:new )?(?:request|freedom of information request|foi request|eir request|information "
         r"request)\b"),
        (r"\b(?:request|enquiry|e-?mail|application|correspondence) (?:has been|have been|was|is being|will be|"
        r"will now be) (?:logged|recorded|registered|passed|forwarded|allocated|assigned|acknowledged)\b"),
        r"\b(?:request|enquiry) (?:will|is being|will now be) (?:considered|dealt with|handled|processed)\b",
        r"\bwhich will be (?:dealt with|considered|handled|processed)\b",
        (r"\b(?:we|i) (?:are|am) (?:now )?(?:dealing with|processing|considering|handling|looking into) your "
        r"(?:request|enquiry|concerns|complaint)\b"),
        r"\backnowledg(?:e|es|ing) (?:receipt|your (?:request|e-?mail|enquiry|letter))\b",
        r"\bthis (?:e-?mail|letter|message) (?:is to )?acknowledges?\b",
        r"\b(?:attached|enclosed) (?:is )?(?:an? |our |the |your )?acknowledge?ment(?: letter)?\b",
    ), unless=(r"\backnowledge your (?:request|e-?mail) (?:following|once|after|when|on)\b",)),
    Rule("acknowledgement.received", "acknowledgement", "weak", (
        r"\b(?:we|i) (?:have |has )?(?:received|receive) your (?:request|e-?mail|enquiry|letter)\b",
        r"\bthank you for your (?:request|e-?mail|enquiry|letter|correspondence)\b",
        r"\byour (?:request|e-?mail|enquiry|application)\b[^.]{0,80}\b(?:has been|was|have been) received\b",
        r"\bquote (?:this|the|our) reference\b", r"\bwithin (?:the )?(?:statutory )?(?:20|twenty) working days\b",
    ), subject_ok=True),

    # --- the answer itself -----------------------------------------------------------------------
    Rule("refused.cost_limit", "refused", "strong", (
        (r"\b(?:would|will|does|to|it) (?:exceed|exceeds|go over|be in excess of|extend beyond)\b.{0,40}\b"
        r"(?:appropriate|cost|costs|fees|time|statutory) limit\b"),
        (r"\b(?:exceed|exceeds|exceeding|in excess of|above) the (?:appropriate|cost|costs|statutory cost|fees) "
        r"limit\b"), r"\bsection 12\b.{0,80}\b(?:applies|apply|engaged|exceed|relied)\b",
        r"\b(?:take|takes|taking) (?:well |far |much |considerably |significantly )?(?:more than|over|in excess of) (?:the )?(?:18|24) hours\b",
        r"\b(?:refus\w*|declin\w*) (?:to comply with )?(?:your|this|the) request (?:under|in accordance with|by virtue of) section 12\b",
        r"\b(?:exceed|exceeds|exceeding) (?:the )?(?:18|24|eighteen|twenty[- ]four) hours?\b",
        r"\b(?:cost|costs|fees?) (?:limit|exemption)s? (?:applies|apply|is engaged|are engaged|has been applied)\b",
        (r"\b(?:could not|cannot|can't|unable to|not able to) (?:establish|determine|locate|confirm|identify|provide)[^.]{0,80}"
         r"\bwithin the (?:prescribed |appropriate |statutory )?(?:cost|costs|time|fees) limit\b"),
        # The cost of finding it, described rather than cited: held, but not where it can be got at cheaply.
        (r"\bnot (?:held|recorded|kept|stored|retained) in an? (?:readily|easily|centrally) (?:retrievable|searchable|"
         r"accessible|extractable|reportable)\b"),
        # The law brought in against the request: "However, under section 12 an authority does not have to comply".
        (r"^\W{0,8}(?:however|unfortunately)\b[^.]{0,120}\b(?:section 12\b|s\.? ?12 ?\(|(?:appropriate|cost) limit\b)"
         r"[^.]{0,120}\b(?:does not have to|do not have to|is not required to|are not required to|not obliged to) comply\b"),
    )),
    Rule("refused.vexatious", "refused", "strong", (
        r"\b(?:is|are|be|as|considered|deemed|being) (?:being )?vexatious\b", r"\brepeated request\b",
        r"\bmanifestly unreasonable\b", r"\bnot obliged to (?:comply|provide|disclose|release)\b",
    )),
    Rule("refused.exempt", "refused", "strong", (
        r"\b(?:is|are|was|were|being|been|be) (?:considered |deemed |therefore |also |wholly |fully )*exempt(?:ed)?\b",
        r"\bexempt from (?:disclosure|release)\b",
        r"\b(?:exemption|exception)s? (?:applies|apply|is engaged|are engaged|has been applied|have been applied)\b",
        (r"\b(?:we|i|the \w+) (?:are|am|is|have|has) (?:applying|applied|relying|relied|rely) (?:on |upon )?(?:the )?"
        r"(?:exemptions?|exceptions?|sections?|regulations?|s\.? ?\d)"),
        r"\b(?:is|are|has been|have been|was|were|being|will be|should be|must be) withheld\b",
        (r"\b(?:we|i|the \w+) (?:are|am|is|have|has|must|will) (?:therefore )?(?:decided to )?(?:withhold|withholding|"
        r"refuse|refusing|decline|declining)\b"),
        (r"\b(?:unable|not able|cannot|can't|will not|won't|must not|not in a position) (?:to )?(?:provide|"
        r"disclose|release|supply|share|comply with)\b.{0,30}\b(?:this|the|that|any|such|some|these|those|"
        r"requested|your|a) (?:requested )?(?:information|data|details|documents|records|figures|request|breakdown|"
        r"names|copies|copy)\b"),
        r"\b(?:cannot|can not|could not|will not|must not|is not to) be (?:disclosed|released|provided|shared)\b",
        r"\brefusal notice\b", r"\bnotice of refusal\b",
        (r"\b(?:section|regulation|s\.?) ?\d{2}(?: ?\(\w{1,4}\))*(?: of (?:the )?(?:act|foia|foisa|eir|freedom of "
         r"information act(?: 2000)?|environmental information regulations(?: 2004)?))? (?:applies|is engaged|has "
         r"been applied|is being applied|is relied upon)\b"),
        r"\b(?:decided|decision) not to (?:disclose|release|provide|comply)\b",
        r"\b(?:request|it|this) (?:is|has been) (?:therefore )?refused\b",
        r"\b(?:has|have) been redacted\b", r"\bredactions? (?:has|have) been (?:made|applied)\b",
        (r"\bpublic interest (?:in maintaining the (?:exemption|exception)|favours withholding|lies in "
        r"withholding|in withholding)\b"), r"\breasonably accessible (?:to you )?by other means\b",
        r"\bintended for future publication\b",
    ), unless=(r"\bnot (?:being |be |considered |deemed )?exempt\b", r"\bno (?:exemptions?|exceptions?) (?:apply|applies)\b",
               (r"\b(?:do|does|did) not (?:consider|think|accept|believe|agree) (?:that )?(?:the |this |that |any )?"
                r"(?:exemptions?|exceptions?|section \d{1,2}[^ ]*) (?:is|are|was|were|has been|had been) (?:correctly )?"
                r"(?:engaged|applied|applicable)\b"),
               (r"\b(?:nothing|no information|none of (?:the|this|it)(?: information)?) (?:is|has been|should be|will be|"
                r"was|have been|needs to be) withheld\b"))),
    Rule("partially_provided.part_withheld", "partial", "strong", (
        # "A copy of the proposal is attached, with the pricing schedule withheld as explained below."
        (r"\b(?:attached|enclosed|provided|disclosed|released)\b(?! in full)[^.]{0,30}, with (?:the |some |certain |its )?"
         r"[^.]{0,60}\b(?:withheld|redacted|removed)\b"),
        (r"\b(?:with the exception of|except for|apart from|other than) (?:the |some |any )?(?:names?|personal (?:data|"
         r"information|details)|details|information|parts?|sections?|figures|costs?|prices?|pricing|redacted)\b[^.]{0,80}"
         r"\b(?:withheld|redacted|exempt|removed|not (?:been )?(?:disclosed|provided|included|released))"),
        (r"\b(?:a |the )?redacted (?:version|copy|copies|document|documents|report|contract)s? (?:is|are|of|has been|have "
         r"been)\b"),
        (r"\b(?:names?|personal (?:data|information|details)|signatures?|contact details|email addresses|"
         r"telephone numbers|pricing|prices)\b[^.]{0,60}\b(?:has|have) been (?:removed|redacted|withheld|blanked)\b"),
        (r"\b(?:some|part|parts|certain|elements|sections) of (?:the|this|that|these) (?:requested )?(?:information|"
         r"documents?|data|report|correspondence|e-?mails?)\b.{0,40}\b(?:withheld|redacted|exempt|not (?:been )?"
         r"(?:disclosed|provided|released))"),
        r"\bpartially (?:provided|disclosed|released|withheld)\b", r"\b(?:has|have) been (?:partially|partly) (?:withheld|redacted)\b",
        (r"\b(?:can|are able to|am able to|have been able to|is able to) (?:provide|release|disclose|supply|give) (?:you "
         r"(?:with )?)?(?:some of the|part of the|parts of the|most of the) (?:requested )?(?:information|data|documents?|records|correspondence|"
         r"material|details)\b"),
        (r"\b(?:the remainder|the rest|the remaining (?:information|parts?|questions?|documents|material))(?: of (?:the|your|this) "
         r"(?:information|request|documents|data|correspondence|material))? (?:is|are|has been|have been) (?:being )?(?:exempt|"
         r"withheld|not held|refused|redacted)\b"),
        (r"\b(?:some|certain|a (?:small )?number of|limited) (?:details|information|data|content|text|passages|names|"
         r"figures|parts|sections|entries|fields|items)\b[^.]{0,60}\b(?:has|have) been (?:withheld|redacted|removed|blanked)\b"),
        (r"\b(?:the )?(?:remaining|remainder of the|rest of the) (?:information|documents|data|correspondence)\b.{0,30}"
         r"\b(?:is|are|has been|have been) (?:attached|enclosed|provided|released|disclosed|set out)\b"),
    )),
    Rule("not_held.not_held", "not_held", "strong", (
        r"\b(?:do|does|did) not (?:currently |actually |therefore |ordinarily )?hold\b", r"\b(?:don't|doesn't|didn't) hold\b",
        r"\b(?:is|are|was|were) not held\b", r"\bhold(?:s)? no\b", r"\bnot held by\b",
        (rf"\bno {_NOUNS}(?:,? (?:or|and|nor) {_NOUNS})? (?:[\w'-]+ ){{0,4}}(?:has been |have been |was |were |is |are )?(?:held|received|found|located|identified|"
        r"recorded|kept|taken|exchanged|sent|made|retained|created|produced|generated|returned|had)\b"),
        rf"\bthere (?:is|are|was|were|has been|have been|had been) no {_NOUNS}\b",
        r"\b(?:has|have|had) no (?:record|records|information|involvement|dealings|relationship|knowledge)\b",
        (r"\b(?:has|have|had) not (?:been in|had any|received any|made any|held any|entered into|approached|been "
        r"approached|been contacted|contacted|engaged|communicated|met|corresponded|discussed)\b"),
        (r"\b(?:has|have|had) not (?:installed|purchased|bought|procured|used|commissioned|carried out|undertaken|"
        r"issued|collected|recorded|created|produced|trialled|tested|piloted|received|been offered)(?:,? (?:or|nor|and) "
        r"(?:installed|purchased|bought|procured|used|commissioned|trialled|tested|piloted|received|been offered))? "
        r"any\b"),
        r"\bthere (?:are|is|were|was|have been|has been) none\b",
        (r"\b(?:has|have|had) never (?:been|had|received|made|held|approached|used|engaged|contracted|met|discussed|"
        r"communicated|purchased|procured)\b"), r"\b(?:do|does|did) not exist\b",
        rf"\bno {_NOUNS} (?:\w+ )?(?:exists?|existed)\b",
        r"\bno record(?:s)? of\b", r"^(?:answer|response)?[ \t]*(?:[:\-–][ \t]*)?(?:information )?not held\b", r"\b(?:could|did|was unable to|were unable to) not (?:find|locate|identify) any\b",
        r"\b(?:could not|did not|cannot|was unable to|were unable to) (?:find|locate|identify) any\b",
        r"\b(?:have|has) not been able to (?:find|locate|identify|trace) (?:any|the|a)\b",
        r"\b(?:could not|were unable to|was unable to|have been unable to|has been unable to) (?:find|locate|trace) (?:the|a|an)\b",
        r"\bsearch(?:es)? (?:have|has|did) (?:not )?(?:found|identified|revealed|returned|located) (?:no|any)\b",
        r"\bnil return\b", r"\b12 ?\(4\) ?\(a\)",
        r"\b(?:is|are|am) not (?:the )?(?:body |authority |organisation )?responsible for\b",
        r"\b(?:do|does) not have (?:any )?(?:the )?responsibility for\b", r"\bnot (?:a|our) (?:function|responsibility|remit)\b",
        r"\b(?:does not|doesn't|do not) fall (?:under|within) (?:the |our )?(?:remit|responsibility|functions?|jurisdiction)\b",
        r"\b(?:outside|not within|beyond) (?:the |our )?(?:remit|functions?|responsibilit(?:y|ies)|jurisdiction)\b",
        r"\bthe appropriate (?:public )?(?:authority|body|organisation) (?:in this case )?(?:is|would be)\b",
        (r"\b(?:information|details|data|records)\b[^.]{0,60}\b(?:would|will|may|might|is likely to|could) (?:only )?be "
         r"held by\b"),
        r"\b(?:information|data|records) (?:you (?:have )?(?:requested|require|seek)|requested) is held by (?:another|other|a different)\b",
        (r"\b(?:do|does|did) not (?:ordinarily |routinely |centrally )?(?:record|collect|keep|retain|have access to|have any|"
        r"use|employ|operate|own|have a contract)\b(?! you\b| us\b| in touch| informed)"),
        r"\b(?:is|are|was|were) not (?:recorded|collected|kept|retained|captured|logged)\b",
        (r"\b(?:do|does|did) not have (?:a |any |the |this |that |such )?(?:breakdown|figures|data|records?|information|"
         r"details|list|copy|copies)\b"),
        r"\b(?:is|are) not (?:able to be |possible to be )?broken down\b",
    ), unless=(r"\bdoes not hold (?:the )?(?:information|data|records) in (?:a|the) (?:format|form|way)\b",
               # "should not be taken as confirmation that the information does or does not exist" (NCND's words)
               r"\b(?:does|do|is|are) or (?:does|do|is|are) not (?:exist|held)\b")),
    Rule("internal_review_result.for_requester", "verdict", "medium", (
        (r"\b(?:uphold|upheld|upholding)(?: in part| partially| partly)? (?:your|the) (?:complaint|appeal|request for (?:an )?"
         r"(?:internal )?review|review request|review)\b"),
        r"\b(?:your )?(?:complaint|appeal|review request) (?:is|has been|was) (?:therefore )?(?:partially |partly |fully )?upheld\b",
        r"\boverturn(?:s|ed|ing)?\b", r"\b(?:was|were|had been|has been) (?:not|in?correctly|wrongly) (?:correctly )?applied\b",
        r"\bshould (?:have|not have) (?:been )?(?:provided|disclosed|released|given|withheld|refused)\b",
        r"\b(?:i|we) (?:now |can now |am now |are now )?(?:provide|release|disclose|enclose|attach)\b",
    ), unless=(r"\b(?:do not|don't|not) uphold\b",)),
    Rule("internal_review_result.for_authority", "verdict", "medium", (
        (r"\b(?:uphold|upheld|upholding|maintain|maintaining|maintained|stand by|agree with) (?:the |our |my )?(?:original |"
         r"initial |earlier )?(?:decision|response|exemptions?|exceptions?|refusal|position)\b"),
        r"\b(?:original|initial) (?:decision|response|refusal) (?:is|was|has been) (?:therefore )?(?:upheld|maintained|correct)\b",
        r"\b(?:was|were|had been|has been) correctly (?:applied|engaged|relied|withheld|refused)\b",
        r"\b(?:do not|don't|not) uphold (?:your|the) (?:complaint|appeal|request)\b",
        r"\b(?:i am|we are) satisfied that (?:the )?(?:exemption|exception|decision|original|section|regulation|council|trust)\b",
    )),
    Rule("not_held.nothing_to_report", "not_held", "weak", (
        r"^(?:answer\s*:\s*)?(?:n/?a|none|nil|not applicable|no|nothing|zero)[.!]?$", r"\bnot applicable\b",
        r"\b(?:is|are) not available\b", r"^(?:answer\s*:\s*)?no[.,]\s",
        (r"\b(?:you (?:may|might) wish to|we would (?:advise|suggest)(?: that)? you(?: to)?|you should) (?:contact|"
        r"direct|redirect|submit|address|send|write to) "),
    )),
    Rule("provided.information_attached", "provided", "strong", (
        (r"\bplease find (?:attached|enclosed|below|herewith|overleaf)\b(?!.{0,40}\b(?:response|letter|reply|decision)\b)"
        r".{0,40}\b(?:information|data|figures|documents?|copies|copy|spreadsheet|details|list|records|breakdown|"
        r"table|correspondence|e-?mails?|minutes)\b"),
        (r"\b(?:i|we) (?:have |am |are )?(?:attach|attached|attaching|enclose|enclosed|enclosing) (?:a |the )?(?:full |"
         r"complete )?(?:list|breakdown|schedule|table|spreadsheet|summary|copy|copies)\b(?! of (?:our|my|the) (?:response|"
         r"reply|letter|decision)\b)"),
        (r"\b(?:i|we) (?:have |am |are )?(?:attach|attached|attaching|enclose|enclosed|enclosing|provided|providing|"
        r"supplied|released|disclosed)\b.{0,60}\b(?:the information (?:you|that you|requested)|the requested "
        r"(?:information|data|documents)|information (?:you asked for|requested)|copies of|a copy of the "
        r"(?:\w+ )?(?:documents?|correspondence|e-?mails?|minutes|contract|policy|report|data))"),
        (r"\bthe (?:requested )?information (?:you (?:have )?(?:requested|asked for|require|sought) )?(?:is|has been|"
        r"are) (?:attached|enclosed|provided|set out|shown|given|included|listed|detailed|as follows|below)\b"),
        r"\b(?:pleased|happy) to (?:provide|supply|enclose|attach|release|disclose)\b",
        (r"\b(?:can|are able to|am able to|will|would like to) (?:now )?(?:respond|reply|answer)(?: to (?:your|the) "
         r"(?:request|questions?))? as follows\b"),
        r"\b(?:our|the) (?:response|answers?|reply) (?:to (?:your|each) (?:request|questions?) )?(?:is|are) as follows\b",
        (r"\b(?:am|are|is) (?:now )?(?:able to )?(?:disclose|disclosing|provide|providing|release|releasing|supply|supplying) "
         r"(?:to you |you with )?(?:the|this|all the|the following|the located|the requested)(?: located| requested)? "
         r"(?:information|data|figures|documents|records|details|response)?"),
        r"\b(?:this|that|the|all the|the requested) information (?:is|has been|are) (?:being )?(?:provided|set out|given|shown|listed|disclosed) (?:below|above|overleaf|to you|in (?:the )?(?:table|attach))",
        r"\b(?:is|are) being (?:provided|disclosed|released|supplied) to you\b",
        r"\b(?:information|data|figures|details) (?:you )?(?:requested|asked for|sought) (?:accompanies|accompany) this\b",
        (r"\bthe attached (?:spreadsheet|document|table|file|list|schedule|report|data|letter)s? (?:provides|contains|shows|"
         r"gives|sets out|lists|includes|details)\b"),
        r"\bable to provide the (?:following|requested) information\b",
        (r"\b(?:provides|contains|includes|sets out|gives) (?:all )?(?:of )?the information (?:you (?:have )?(?:requested|"
         r"asked for|sought)|requested)\b"),
        (r"\b(?:provided|released|disclosed|attached|enclosed|provide|release|disclose) (?:some|part|parts) of the "
         r"(?:information|documents|data|correspondence)\b"),
        (r"\b(?:attached|enclosed) (?:is|are) (?:a|an|the) (?:spreadsheet|list|table|breakdown|schedule|summary|file|"
         r"document|extract|copy)s?\b(?! (?:letter|response|reply|decision)\b)(?! of (?:our|my|the) (?:response|letter|reply|"
         r"decision)\b)"),
        (r"\b(?:is|are) (?:shown|set out|listed|given|provided|detailed|included) in the (?:attached|enclosed|accompanying) "
         r"(?:table|spreadsheet|document|file|list|schedule|annex|appendix)\b"),
        (r"\b(?:attached|enclosed) (?:is|are) (?:a copy|copies) of (?:the |your |each )?"
         r"(?!(?:our |my |the |a )?(?:response|reply|letter|decision|acknowledge?ment)\b)\w"),
        (r"\b(?:figures|data|details|numbers|totals|statistics|information)\b(?:[^.]{0,60}\b(?:which|these|they))? (?:is|are) "
         r"(?:given|set out|shown|listed|provided|detailed|included) (?:below|above|overleaf|in the (?:table|attached|enclosed))\b"),
        (r"\b(?:here is|below is|below are|attached is|attached are|enclosed is|enclosed are) (?:the|a copy of the|"
        r"copies of the) (?:requested )?(?:information|data|figures|documents|correspondence)\b"),
        (r"\bthe (?:full |complete )?(?:list|breakdown|table|figures|data) (?:is|are) (?:attached|enclosed|below|"
        r"as follows|provided)\b"),
        (r"\b(?:a|the) (?:full |complete |monthly |detailed )?(?:list|breakdown|table|spreadsheet|summary|schedule)\b"
         r".{0,40}\b(?:is|are|has been|have been) (?:attached|enclosed|provided|included|set out)\b"),
        (r"\b(?:copies|a copy|the (?:e-?mails?|documents?|correspondence|minutes|notes|data|figures|spreadsheet|"
        r"records?))\b.{0,60}\b(?:is|are|have been|has been) (?:attached|enclosed|included|provided)\b"),
    ), unless=(r"\b(?:response|letter|reply|decision) (?:is|are|has been) (?:attached|enclosed)\b",)),
    Rule("provided.in_full", "provided", "strong", (
        r"\b(?:provided|disclosed|released|supplied|answered|given) (?:(?:the|this|it|them|all)\b ?)?(?:[\w-]+ ){0,3}?in full\b",
        r"\bfull (?:disclosure|release)\b",
        (r"\ball (?:of )?the (?:requested )?information (?:you (?:have )?(?:requested|asked for) |requested |that you requested )?"
         r"(?:is|has been|was) (?:provided|enclosed|attached|disclosed|released|set out)\b"),
    ), unless=(r"\bnot (?:be |been )?(?:provided|disclosed|released|supplied|answered|given) in full\b",
               r"\b(?:unable|cannot|can't|not able)\b", r"\bexcept\b|\bwith the exception\b|\bother than\b",
               r"\b(?:apart from|save for|aside from|excluding|but for)\b",
               r"\bredact")),
    Rule("provided.facts_given", "provided", "medium", (
        r"£ ?\d", r"\b(?<![\d.])\d+(?:\.\d+)? ?%", r"\b(?:fewer|less|more) than (?:five|5|ten|10|\d+)\b", r"\ba total of \d",
        r"\bthere (?:were|was|are|is|have been|has been) \d[\d,]*\b",
        (r"\b(?<![\d,])\d[\d,]* (?:incidents?|cases?|requests?|staff|officers|members|applications|cameras|vehicles|licences|"
        r"complaints|payments|contracts|meetings|people|persons|occasions|times|devices|systems|employees)\b"),
        r"^(?:answer\s*:\s*)?yes\b",
        (r"\b(?:issued|received|recorded|spent|employed|installed|owns|operates|paid|logged|reported|made|"
         r"purchased|bought|carried out|planted|recruited|appointed|granted|awarded|prosecuted|arrested|inspected) (?:a total of |approximately |around |over )?(?:£ ?)?\d[\d,]*\b"
         r"(?! ?(?:working |calendar )?days?\b)(?! (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))(?![/.-]\d)"),
        (r"^(?![\d \t()+.-]+$)(?!date|tel|phone|fax|mobile|ref|our ref|your ref|case|request|enquiry|foi)[a-z0-9][\w /()'&-]{1,40} ?"
         r"[:\-–=] ?(?:£ ?)?\d[\d,]*(?:\.\d+)?%?$"),
        (r"\b(?:was|were|totals?|totalled|amounted to) (?:£ ?)?\d[\d,]*(?:\.\d+)?(?! ?(?:working |calendar )?days?\b)"
         r"(?! (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"),
    ), unless=(r"\b(?:has|have|had|did|does|do|is|was) not\b", r"\bno\b", r"\bworking days?\b",
               r"\bcost limit|appropriate limit|£\s?(?:450|600)\b")),
    Rule("provided.answers_in_turn", "provided", "weak", (
        (r"\b(?:answers?|responses?) to (?:each of )?your (?:questions?|request) (?:is|are) (?:set out |provided |"
        r"given )?(?:below|as follows|above)\b"), r"\b(?:answered|addressed|responded to) in turn\b",
        r"\b(?:answers?|responses?) (?:to each (?:question|point) )?(?:is|are) (?:set out|given) (?:below|in turn)\b",
    ), unless=(r"\b(?:does|do|did) not\b",)),
    Rule("provided.holds_information", "provided", "weak", (
        (r"\b(?:i|we) (?:can )?(?:confirm|advise) that (?:the \w+(?: \w+)? |we |it |this \w+ )?(?:holds?|has|have) "
        r"(?:the |some |this |relevant )?(?:information|data|records)\b"),
        (r"\b(?:the \w+(?: \w+)?|we) (?:holds?|has|have) (?:the |some )?(?:information|data|records) (?:requested|you "
        r"(?:have )?requested|you require|relevant)\b"),
        (r"\bi hope (?:this|the) information (?:is|will be|proves) (?:helpful|useful|of (?:some )?(?:use|help|"
        r"assistance))\b"), r"\bin response to your (?:enquiry|request|questions?)\b",
    ), unless=(r"\b(?:does|do|did) not\b",)),
    Rule("other.response_at_link", "link", "strong", (
        r"\bsecure (?:portal|file transfer|file sharing|link|messaging|e-?mail (?:system|service)|website|site)\b",
        (r"\b(?:download|access|view|retrieve|collect|open) (?:your|the|our) (?:full |formal )?(?:response|reply|documents|"
         r"files|information|disclosure)\b[^.]{0,60}\b(?:link|portal|website|online|below|here|https?://)"),
        (r"\b(?:response|reply|documents|files|information|disclosure) (?:is|are|has been|have been) (?:now )?(?:available|"
         r"uploaded|published|ready)\b[^.]{0,40}\b(?:to download|for download|portal|(?:at|via|from) (?:the|this|our) "
         r"(?:following )?link)"),
        r"\b(?:using|via|through|follow|click) (?:the|this) (?:following |secure )?link (?:below )?(?:to (?:download|access|view|retrieve))\b",
        r"\b(?:the )?link (?:will )?expires?\b",
    ), hypothetical_ok=True),
    Rule("other.delay_apology", "delay", "medium", (
        r"\b(?:apologi[sz]e|apologies|sorry) for the delay\b", r"\bstill (?:gathering|collating|working on|waiting for)\b",
    )),
    Rule("other.cover_note", "cover", "medium", (
        (r"\b(?:attached|enclosed|attaching|enclosing|attach|enclose)\b.{0,30}\b(?:our|my|the|a|your) (?:formal |full |"
        r"final |written )?(?:response|reply|letter|decision|answer)\b"),
        (r"\b(?:please find|see|please see) (?:attached|enclosed)(?: our| my| the| a)?(?: formal| full)? "
        r"(?:response|reply|letter|decision)\b"),
        r"\b(?:response|reply|letter|decision) (?:is )?(?:attached|enclosed)\b",
        r"\bplease see (?:our|the|my) (?:response|reply|letter|decision) (?:attached|enclosed)\b",
    )),
)

BY_NAME = {rule.name: rule for rule in RULES}
