"""foibot's vocabulary, defined once (pure): reply kinds, outcomes, request statuses, chase stages, regimes.

Each is a `StrEnum`, so a member is the very string stored in the database and written in the CSV
(`ReplyKind.BOUNCE == "bounce"`); the sets below are built from them and used everywhere a rule asks
"is this request still open?", "is this reply substantive?", "may the ladder chase it?".
"""

from __future__ import annotations

from enum import StrEnum


class ReplyKind(StrEnum):
    """What one reply is (contract.md, Vocabularies)."""

    ACKNOWLEDGEMENT = "acknowledgement"
    INFORMATION_PROVIDED = "information_provided"
    PARTIALLY_PROVIDED = "partially_provided"
    NOT_HELD = "not_held"
    REFUSED = "refused"
    NEITHER_CONFIRM_NOR_DENY = "neither_confirm_nor_deny"
    CLARIFICATION_REQUESTED = "clarification_requested"
    EXTENSION = "extension"
    INTERNAL_REVIEW_RESULT = "internal_review_result"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OTHER = "other"


class Outcome(StrEnum):
    """A request's outcome: the kind of its latest substantive reply."""

    INFORMATION_PROVIDED = "information_provided"
    PARTIALLY_PROVIDED = "partially_provided"
    NOT_HELD = "not_held"
    REFUSED = "refused"
    NEITHER_CONFIRM_NOR_DENY = "neither_confirm_nor_deny"


class Status(StrEnum):
    """A request's status. `OVERDUE` is never stored: it is worked out from the due date when shown."""

    QUEUED = "queued"
    AWAITING_RESPONSE = "awaiting_response"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    OVERDUE = "overdue"
    INTERNAL_REVIEW = "internal_review"
    ANSWERED = "answered"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


class Stage(StrEnum):
    """An outgoing message's stage: the request itself, then the chase ladder in order."""

    REQUEST = "request"
    REMINDER = "reminder"
    INTERNAL_REVIEW = "internal_review"
    COMPLAINT = "complaint"


class Channel(StrEnum):
    """How a request reaches its authority: by mail, or by the campaigner's hand (written out, never mailed)."""

    EMAIL = "email"
    WEB_FORM = "web_form"
    POST = "post"
    UNKNOWN = "unknown"  # no address, form or postal address known yet


class Regime(StrEnum):
    """The access-to-information law a request is made under (it decides the calendar and the wording)."""

    FOIA = "foia"  # Freedom of Information Act 2000 (England, Wales, Northern Ireland, UK-wide bodies)
    FOISA = "foisa"  # Freedom of Information (Scotland) Act 2002


KINDS: tuple[str, ...] = tuple(k.value for k in ReplyKind)
OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)
SUBSTANTIVE: tuple[str, ...] = OUTCOMES  # the kinds that set an outcome, in the order tables show them
NOT_REPLIES = frozenset({ReplyKind.BOUNCE, ReplyKind.AUTO_REPLY})  # mail about a request, not from its authority
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)  # in the order tables show them
STORED_STATUSES: tuple[str, ...] = tuple(s.value for s in Status if s is not Status.OVERDUE)
# A request in one of these still expects an answer from its authority.
OPEN_STATUSES = frozenset({Status.AWAITING_RESPONSE, Status.AWAITING_CLARIFICATION, Status.INTERNAL_REVIEW,
                           Status.OVERDUE})
# A reply may move a request out of these (a late answer to a failed request still counts).
REPLY_MAY_MOVE = frozenset({Status.QUEUED, Status.AWAITING_RESPONSE, Status.AWAITING_CLARIFICATION,
                            Status.INTERNAL_REVIEW, Status.FAILED})
# What a campaigner may set by hand with `foibot mark --status`.
MANUAL_STATUSES: tuple[str, ...] = (Status.AWAITING_RESPONSE, Status.AWAITING_CLARIFICATION,
                                    Status.INTERNAL_REVIEW, Status.ANSWERED, Status.FAILED, Status.WITHDRAWN)
LADDER: tuple[str, ...] = (Stage.REMINDER, Stage.INTERNAL_REVIEW, Stage.COMPLAINT)
EMAIL_STAGES: tuple[str, ...] = (Stage.REMINDER, Stage.INTERNAL_REVIEW)  # the complaint is a file, not mail
CHASERS: tuple[str, ...] = EMAIL_STAGES
REGIMES: tuple[str, ...] = tuple(r.value for r in Regime)
CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)
BY_HAND: tuple[str, ...] = (Channel.WEB_FORM, Channel.POST, Channel.UNKNOWN)
