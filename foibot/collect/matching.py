"""Which request a reply answers: layered matching, most certain clue first, over plain data (pure).

Layers (design.md): a bounce's original Message-ID or failed address; our per-request reply address; our
Message-IDs in In-Reply-To/References; our reference in the subject, the body, the attachments or a
forwarded message; the authority's own reference once learned; the sender's address or domain when that
authority has exactly one open request. A layer that names exactly one request files the reply. A layer
that names several leaves an ambiguity that only a later layer can settle, and only among those candidates;
two of our references for different requests are never settled by a guess: the reply goes to triage.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..references import find_references, reference_from_address
from ..vocab import OPEN_STATUSES

# Mail domains shared by many unrelated senders: a sender there says nothing about the authority.
SHARED_DOMAINS = frozenset(
    """gmail.com googlemail.com outlook.com hotmail.com hotmail.co.uk live.com live.co.uk msn.com yahoo.com
    yahoo.co.uk ymail.com icloud.com me.com mac.com aol.com aol.co.uk btinternet.com btopenworld.com
    sky.com talktalk.net virginmedia.com ntlworld.com gmx.com gmx.co.uk mail.com protonmail.com proton.me
    pm.me zoho.com fastmail.com tutanota.com onmicrosoft.com mimecast.com messagelabs.com""".split()
)
# Suffixes under which each label is a separate organisation (barnet.gov.uk, met.police.uk, ...).
_PUBLIC_SUFFIXES = frozenset(
    """gov.uk police.uk nhs.uk nhs.net org.uk co.uk ac.uk ltd.uk plc.uk me.uk net.uk sch.uk mod.uk
    parliament.uk gov.scot gov.wales llyw.cymru nhs.scot police.scot org.scot gov.im gov.gg gov.je""".split()
)
# Labels of the government secure networks: barnet.gcsx.gov.uk is barnet.gov.uk, x.pnn.police.uk is x.police.uk.
_SECURE_LABELS = ("gcsx", "gsx", "gsi", "pnn", "cjsm")

CONFIDENCE = {
    "own_message": 1.0,
    "bounce_message_id": 0.99,
    "plus_address": 0.99,
    "in_reply_to": 0.98,
    "references": 0.95,
    "reference_subject": 0.95,
    "bounce_address": 0.9,
    "reference_body": 0.9,
    "reference_attachment": 0.85,
    "forwarded": 0.85,
    "authority_ref": 0.85,
    "authority_ref_unique": 0.7,
    "sender_hint": 0.75,
    "sender_address": 0.7,
    "sender_domain": 0.6,
}
CONFLICT_PENALTY = 0.1
# Clues a bounce may be filed by (its other clues could be forged by anyone who knows an authority's address).
_TRUSTED_BOUNCE = frozenset({"bounce_message_id", "bounce_address", "plus_address", "in_reply_to", "references"})
# Clues that carry none of our references: the sender's word only.
_UNREFERENCED = frozenset({"authority_ref", "authority_ref_unique", "sender_hint", "sender_address", "sender_domain"})


@dataclass(frozen=True)
class RequestInfo:
    """What the matcher knows of one request."""

    id: int
    reference: str
    authority_id: str
    authority_email: str
    status: str = "awaiting_response"
    authority_ref: str | None = None  # learned from an earlier reply; several joined by ";"
    other_emails: tuple[str, ...] = ()  # the authority's other addresses (e.g. alt_email in the CSV)
    authority_name: str = ""


@dataclass
class Directory:
    """Every request, our outgoing Message-IDs and the campaigner's lessons (sender hints), indexed."""

    requests: Sequence[RequestInfo]
    outgoing: dict[str, int] = field(default_factory=dict)  # "<message-id>" (any case) -> request id
    sender_hints: dict[str, str] = field(default_factory=dict)  # address or "@domain" -> authority id
    own_addresses: tuple[str, ...] = ()  # the campaigner's own address(es)

    def __post_init__(self) -> None:
        self._listed = list(self.requests)  # `requests`, replaced in place when a request changes
        self.requests = self._listed
        self._position = {r.id: n for n, r in enumerate(self._listed)}
        self.by_id = {r.id: r for r in self.requests}
        self.by_reference = {r.reference.upper(): r.id for r in self.requests}
        self.outgoing = {k.lower(): v for k, v in self.outgoing.items()}
        self.sender_hints = {k.lower(): v for k, v in self.sender_hints.items()}
        self.by_authority: dict[str, list[int]] = {}
        self.by_address: dict[str, set[str]] = {}
        self.by_domain: dict[str, set[str]] = {}
        for r in self.requests:
            self.by_authority.setdefault(r.authority_id, []).append(r.id)
            for address in (r.authority_email, *r.other_emails):
                address = address.strip().lower()
                if "@" not in address:
                    continue
                self.by_address.setdefault(address, set()).add(r.authority_id)
                domain = organisation_domain(address.rpartition("@")[2])
                if domain and domain not in SHARED_DOMAINS:
                    self.by_domain.setdefault(domain, set()).add(r.authority_id)
        # The authority's references by their longest run of digits: a message is searched only for the
        # references whose digits it contains (hundreds of learned references, one cheap set lookup).
        self.authority_refs: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        self._ref_keys: dict[int, list[str]] = {}  # request id -> its keys in authority_refs
        for r in self.requests:
            self._index_refs(r)

    def _index_refs(self, r: RequestInfo) -> None:
        for ref in (r.authority_ref or "").split(";"):
            if _usable_ref(ref):
                key = _digits_key(ref)
                self.authority_refs.setdefault(key, []).append((r.id, _ref_pattern(ref)))
                self._ref_keys.setdefault(r.id, []).append(key)

    def update_request(self, info: RequestInfo) -> None:
        """Take a request's new status or learned reference into account (later messages of a pass).
        Costs the same whatever the number of requests: a poll calls it for most replies it files."""
        old = self.by_id.get(info.id)
        position = self._position.get(info.id)
        if position is not None:
            self._listed[position] = info
        self.by_id[info.id] = info
        if old is None or old.authority_ref != info.authority_ref:
            for key in self._ref_keys.pop(info.id, ()):
                self.authority_refs[key] = [e for e in self.authority_refs.get(key, ()) if e[0] != info.id]
            self._index_refs(info)

    def find_authority_refs(self, text: str) -> list[int]:
        """Requests whose learned authority reference appears in the text (tolerant of spacing and case)."""
        found: list[int] = []
        for digits in set(_DIGITS.findall(text)):
            for rid, pattern in self.authority_refs.get(digits, ()):
                if rid not in found and pattern.search(text):
                    found.append(rid)
        return found

    def open_requests(self, authority_ids: Iterable[str]) -> set[int]:
        return {rid for a in authority_ids for rid in self.by_authority.get(a, [])
                if self.by_id[rid].status in OPEN_STATUSES}


@dataclass(frozen=True)
class ReplyFacts:
    """The parts of a parsed reply the matcher reads (see `facts_from`)."""

    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    from_addr: str | None = None
    to_addrs: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    attachment_texts: tuple[str, ...] = ()
    is_dsn: bool = False
    dsn_original_message_id: str | None = None
    dsn_failed_recipients: tuple[str, ...] = ()
    is_auto_reply: bool = False
    authority_refs: tuple[str, ...] = ()  # the authority's references found in this message (for display)
    forwarded: tuple[ReplyFacts, ...] = ()  # messages attached as message/rfc822 (a forwarded reply)
    auth_failed: str | None = None  # "dmarc" or "spf" when the receiving server's check of the sender failed


def facts_from(parsed: Any, attachment_texts: Sequence[str] = (), authority_refs: Sequence[str] = (),
               forwarded: Sequence[ReplyFacts] = ()) -> ReplyFacts:
    """ReplyFacts from anything shaped like parsing.ParsedMessage."""
    return ReplyFacts(
        message_id=parsed.message_id,
        in_reply_to=tuple(parsed.in_reply_to),
        references=tuple(parsed.references),
        from_addr=parsed.from_addr,
        to_addrs=tuple(parsed.to_addrs),
        subject=parsed.subject or "",
        text=parsed.text or "",
        attachment_texts=tuple(t for t in attachment_texts if t),
        is_dsn=parsed.is_dsn,
        dsn_original_message_id=parsed.dsn_original_message_id,
        dsn_failed_recipients=tuple(parsed.dsn_failed_recipients),
        is_auto_reply=parsed.is_auto_reply,
        authority_refs=tuple(authority_refs),
        forwarded=tuple(forwarded),
        auth_failed=sender_check_failed(_header_values(parsed, "authentication-results")),
    )


def _header_values(parsed: Any, name: str) -> list[str]:
    block = getattr(parsed, "header_block", None)
    return list(block.all(name)) if block is not None else []


_AUTH_RESULT = re.compile(r"\b(dmarc|spf)\s*=\s*(fail|softfail|permerror)\b", re.IGNORECASE)


def sender_check_failed(results: Sequence[str]) -> str | None:
    """"dmarc" or "spf" when the receiving server's own Authentication-Results (the topmost header: each
    server adds its own above the others, and anything below may come from the sender) says the sender
    failed that check; None otherwise."""
    if not results:
        return None
    found = _AUTH_RESULT.search(results[0][:4096])
    return found.group(1).lower() if found else None


@dataclass(frozen=True)
class Match:
    request_id: int | None  # None: triage (or our own message, see `method`)
    method: str  # a CONFIDENCE key, "ambiguous" or "none"
    confidence: float
    detail: dict[str, Any]  # JSON-ready: what was found, the candidates, conflicts

    @property
    def filed(self) -> bool:
        return self.request_id is not None

    @property
    def candidates(self) -> list[int]:
        return [c["request_id"] for c in self.detail.get("candidates", [])]


# --- domains --------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def organisation_domain(domain: str) -> str:
    """The domain that names the organisation: foi.barnet.gov.uk and barnet.gcsx.gov.uk -> barnet.gov.uk."""
    labels = [label for label in domain.strip().strip(".").lower().split(".") if label]
    labels = [label for i, label in enumerate(labels) if not (label in _SECURE_LABELS and i > 0)]
    if len(labels) < 2:
        return ".".join(labels)
    keep = 3 if ".".join(labels[-2:]) in _PUBLIC_SUFFIXES else 2
    return ".".join(labels[-keep:])


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


# --- the authority's own reference ------------------------------------------------------------------------

def _usable_ref(ref: str) -> bool:
    """Short or digit-free references (\"226\", \"FOI\") would match by accident."""
    core = re.sub(r"[^A-Za-z0-9]", "", ref)
    return len(core) >= 4 and any(c.isdigit() for c in core)


_DIGITS = re.compile(r"\d+")


def _digits_key(ref: str) -> str:
    return max(_DIGITS.findall(ref), key=len)


def _ref_pattern(ref: str) -> re.Pattern[str]:
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", ref.strip()) if t]
    return re.compile(r"(?<![A-Za-z0-9])" + r"[\s\-/:.#_]*".join(map(re.escape, tokens)) + r"(?![A-Za-z0-9])",
                      re.IGNORECASE)


# --- the layers -------------------------------------------------------------------------------------------

@dataclass
class _Clue:
    method: str
    request_ids: list[int]
    why: str


def _ours(directory: Directory, message_ids: Iterable[str]) -> list[int]:
    found: list[int] = []
    for mid in message_ids:
        rid = directory.outgoing.get(mid.lower())
        if rid is not None and rid not in found:
            found.append(rid)
    return found


def _known_refs(directory: Directory, text: str) -> tuple[list[int], list[str]]:
    """Request ids of our references in the text, and the valid references that are not ours."""
    ids: list[int] = []
    unknown: list[str] = []
    for ref in find_references(text):
        rid = directory.by_reference.get(ref)
        if rid is None:
            unknown.append(ref)
        elif rid not in ids:
            ids.append(rid)
    return ids, unknown


def _hinted_authority(directory: Directory, sender: str) -> str | None:
    sender = sender.lower()
    domain = _domain_of(sender)
    return (directory.sender_hints.get(sender) or directory.sender_hints.get("@" + domain)
            or directory.sender_hints.get("@" + organisation_domain(domain)))


def _sender_clues(directory: Directory, sender: str) -> list[_Clue]:
    sender = sender.lower()
    clues = []
    authorities = directory.by_address.get(sender, set())
    if authorities:
        clues.append(_Clue("sender_address", sorted(directory.open_requests(authorities)),
                           f"sent from {sender}, the authority's address"))
    hint = directory.sender_hints.get(sender)
    if hint:
        clues.append(_Clue("sender_hint", sorted(directory.open_requests([hint])),
                           f"{sender} was filed by hand under this authority before"))
    domain = _domain_of(sender)
    if domain and domain not in SHARED_DOMAINS:
        org = organisation_domain(domain)
        authorities = set(directory.by_domain.get(org, set()))
        hint = directory.sender_hints.get("@" + domain) or directory.sender_hints.get("@" + org)
        if hint:
            authorities.add(hint)
        if authorities and not clues:
            clues.append(_Clue("sender_domain", sorted(directory.open_requests(authorities)),
                               f"sent from the authority's domain {org}"))
    return clues


def _clues(facts: ReplyFacts, directory: Directory) -> tuple[list[_Clue], dict[str, Any]]:
    """Every clue, in layer order, and what was found (for the campaigner)."""
    clues: list[_Clue] = []
    found: dict[str, Any] = {}
    plus = _plus_requests(facts, directory)
    if facts.is_dsn:
        # Anyone can send a bounce naming an authority's address: one changes a request only when it
        # carries our Message-ID, or came to that request's own reply address and names its recipient.
        carried = _ours(directory, [facts.dsn_original_message_id] if facts.dsn_original_message_id else [])
        clues.append(_Clue("bounce_message_id", carried, "the bounce carries our Message-ID"))
        failed = [a.lower() for a in facts.dsn_failed_recipients]
        found["failed_recipients"] = failed
        authorities = {a for address in failed for a in directory.by_address.get(address, set())}
        named = [rid for rid in plus if directory.by_id[rid].authority_id in authorities
                 and directory.by_id[rid].status != "queued"]
        clues.append(_Clue("bounce_address", named, f"delivery to {', '.join(failed)} failed, reported to the "
                                                    "request's own reply address"))
        if failed:  # a bounce to one request's address naming another's recipient is no bounce of either
            plus = [rid for rid in plus if directory.by_id[rid].authority_id in authorities]
    clues.append(_Clue("plus_address", plus, "sent to the request's own reply address"))
    clues.append(_Clue("in_reply_to", _ours(directory, facts.in_reply_to), "In-Reply-To names our message"))
    clues.append(_Clue("references", _ours(directory, facts.references), "References names our message"))

    unknown: list[str] = []
    for method, texts in (("reference_subject", [facts.subject]), ("reference_body", [facts.text]),
                          ("reference_attachment", list(facts.attachment_texts))):
        ids: list[int] = []
        for text in texts:
            more, strange = _known_refs(directory, text)
            ids.extend(i for i in more if i not in ids)
            unknown.extend(r for r in strange if r not in unknown)
        clues.append(_Clue(method, ids, f"our reference in the {method.split('_')[1]}"))
    forwarded: list[int] = []
    for inner in facts.forwarded:
        for clue in _clues(inner, directory)[0]:
            if clue.method.startswith(("in_reply_to", "references", "reference_", "plus_address")):
                forwarded.extend(i for i in clue.request_ids if i not in forwarded)
    clues.append(_Clue("forwarded", forwarded, "a forwarded message names our request"))
    mentioned = [directory.by_id[i].reference for c in clues if c.method.startswith("reference_")
                 for i in c.request_ids]
    found["references"] = list(dict.fromkeys(mentioned))
    if unknown:
        found["unknown_references"] = unknown

    searched = "\n".join([facts.subject, facts.text, *facts.attachment_texts])
    by_ref = directory.find_authority_refs(searched)
    sender_org = organisation_domain(_domain_of(facts.from_addr or ""))
    agreeing = [rid for rid in by_ref if sender_org and sender_org not in SHARED_DOMAINS and any(
        organisation_domain(_domain_of(a)) == sender_org
        for a in (directory.by_id[rid].authority_email, *directory.by_id[rid].other_emails))]
    # Their references collide across authorities ("2023/0456", "FOI 1234"): one learned from an authority
    # only files mail from that authority (its domain, or a sender filed under it by hand before).
    hinted = _hinted_authority(directory, facts.from_addr or "")
    agreeing += [rid for rid in by_ref if rid not in agreeing and directory.by_id[rid].authority_id == hinted]
    if agreeing:
        clues.append(_Clue("authority_ref", agreeing, "the authority's own reference, from its domain"))
    elif by_ref:
        found["authority_ref_elsewhere"] = [directory.by_id[rid].reference for rid in by_ref]
    if facts.authority_refs:
        found["authority_refs"] = list(facts.authority_refs)

    if facts.from_addr:
        clues.extend(_sender_clues(directory, facts.from_addr))
    return clues, found


def _plus_requests(facts: ReplyFacts, directory: Directory) -> list[int]:
    plus: list[int] = []
    for address in facts.to_addrs:
        ref = reference_from_address(address)
        if ref and ref in directory.by_reference and directory.by_reference[ref] not in plus:
            plus.append(directory.by_reference[ref])
    return plus


def _candidate(directory: Directory, rid: int, why: str) -> dict[str, Any]:
    r = directory.by_id[rid]
    return {"request_id": rid, "reference": r.reference, "authority": r.authority_name or r.authority_id,
            "status": r.status, "why": why}


def match_reply(facts: ReplyFacts, directory: Directory) -> Match:
    """The request this reply answers, how we know and how sure we are; or no request (triage)."""
    own = _ours(directory, [facts.message_id] if facts.message_id else [])
    if own:
        if (facts.from_addr or "").lower() in directory.own_addresses:
            return Match(None, "own_message", CONFIDENCE["own_message"],
                         {"candidates": [_candidate(directory, own[0], "our own outgoing message")]})
        # Our Message-ID on mail from someone else: a forgery or a broken client, never silently dropped.
        return Match(None, "none", 0.0, {"found": {}, "why": "it carries the Message-ID of one of our own messages "
                                         "but comes from someone else: suspicious",
                                         "candidates": [_candidate(directory, own[0], "its Message-ID is ours")]})
    clues, found = _clues(facts, directory)
    detail: dict[str, Any] = {"found": found}
    if facts.is_dsn and not any(c.request_ids for c in clues if c.method in _TRUSTED_BOUNCE):
        detail["why"] = ("a bounce without our Message-ID, not sent to a request's own reply address: not "
                         "trusted to fail a request")
        detail["candidates"] = []
        return Match(None, "none", 0.0, detail)
    restricted: set[int] | None = None  # set by an ambiguous layer: later layers may only choose among these
    candidates: dict[int, str] = {}
    for clue in clues:
        ids = clue.request_ids if restricted is None else [i for i in clue.request_ids if i in restricted]
        for i in clue.request_ids:
            candidates.setdefault(i, clue.why)
        if not ids:
            continue
        if len(ids) == 1:
            rid = ids[0]
            confidence = CONFIDENCE[clue.method]
            method = clue.method.removesuffix("_unique")
            others = sorted({i for c in clues for i in c.request_ids if i != rid
                             and not c.method.startswith("sender")})
            if others:
                detail["conflicts"] = [directory.by_id[i].reference for i in others]
                confidence -= CONFLICT_PENALTY
            if restricted is not None:
                detail["settled_between"] = [directory.by_id[i].reference for i in sorted(restricted)]
                confidence = min(confidence, CONFIDENCE["sender_domain"])
            detail["why"] = clue.why
            detail["candidates"] = [_candidate(directory, rid, clue.why)]
            if facts.auth_failed and clue.method in _UNREFERENCED:
                # None of our references, and the receiving server says the sender is not who it claims.
                detail["why"] = (f"{clue.why}, but the sender failed the receiving server's "
                                 f"{facts.auth_failed.upper()} check and it carries none of our references")
                return Match(None, "none", 0.0, detail)
            return Match(rid, method, round(max(confidence, 0.5), 2), detail)
        if clue.method.startswith("reference_") or clue.method == "forwarded":
            # Our references name two requests: a joint reply or a mix-up. A guess would file it wrongly.
            detail["why"] = f"{clue.why}: names {len(ids)} of our requests"
            detail["candidates"] = [_candidate(directory, i, clue.why) for i in ids]
            return Match(None, "ambiguous", 0.0, detail)
        restricted = set(ids)
    if restricted:
        detail["why"] = "the clues point to more than one request"
        method = "ambiguous"
    else:
        detail["why"] = "no clue names one of our requests"
        method = "none"
    detail["candidates"] = [_candidate(directory, i, why) for i, why in candidates.items()][:10]
    if not detail["candidates"] and facts.from_addr:
        detail["candidates"] = _closed_candidates(directory, facts.from_addr)
    return Match(None, method, 0.0, detail)


def _closed_candidates(directory: Directory, sender: str) -> list[dict[str, Any]]:
    """The sender's authority's requests whatever their status, as suggestions for the campaigner."""
    sender = sender.lower()
    authorities = set(directory.by_address.get(sender, set()))
    org = organisation_domain(_domain_of(sender))
    if org not in SHARED_DOMAINS:
        authorities |= directory.by_domain.get(org, set())
    return [_candidate(directory, rid, "the sender's authority (request not open)")
            for a in sorted(authorities) for rid in directory.by_authority.get(a, [])][:10]
