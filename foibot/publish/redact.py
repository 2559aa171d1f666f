"""Personal data out of what is published: officers' names, direct e-mail addresses, phone numbers (pure).

Conservative: in doubt, a word goes. What stays is what a reader needs to cite the answer: the authority's
name, its generic FOI address (the one the request went to, or a role address like foi@ or
information.governance@), job titles and team names. The requester's own name and address go too. The
raw messages in the database are never touched: this is applied to the text as it is written out.

Names are found where replies put them: the lines after a sign-off ("Yours sincerely", "Kind regards"),
labelled lines ("Contact: ...", "Case officer: ..."), "From:" lines of quoted mail, and after a title
("Mr", "Dr", "Chief Inspector"). With `keep_senior_officials`, a name signed above a senior title (chief
executive, director, chief constable, head of ...) stays: such officials are named in public anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

NAME = "[name redacted]"
EMAIL = "[e-mail redacted]"
PHONE = "[phone redacted]"
REQUESTER = "[requester]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A role address an authority publishes: foi@, freedomofinformation@, information.governance@ ...
_ROLE_LOCAL = re.compile(
    r"^(?:foi|foia|foisa|eir|freedom\.?of\.?information|information|info|enquiries|enquiry|contact|"
    r"records|dpo|data\.?protection|information\.?(?:governance|rights|requests|management|compliance)|"
    r"ig|igteam|disclosure|disclosures|complaints|customer\.?services|democratic\.?services|"
    r"access\.?to\.?information|transparency|legal|governance|[a-z]*foi[a-z]*)(?:[._-]?(?:team|unit|"
    r"requests?|office|admin))?$", re.IGNORECASE)
# UK numbers: 01632 960 418, 020 8359 2000, 07700 900123, +44 (0)161 496 0773, (0117) 496 0184.
_PHONE = re.compile(
    r"(?<![\w/])(?:\+44\s?(?:\(0\)\s?)?|\(?0)(?:\d[\s-]?\)?){9,10}(?![\w/])")
_SIGN_OFF = re.compile(
    r"^\W*(?:yours (?:sincerely|faithfully|truly)|kind(?:est)? regards|best regards|warm regards|regards|"
    r"best wishes|with best wishes|many thanks|thanks(?: again)?|thank you|sincerely|respectfully)\W*$",
    re.IGNORECASE)
# Words that make a capitalised line a team, a body or a title rather than a person.
_ORG_WORDS = {
    "team", "office", "officer", "unit", "council", "department", "information", "management", "governance",
    "services", "service", "police", "authority", "borough", "county", "city", "district", "constabulary",
    "commissioner", "combined", "metropolitan", "rights", "compliance", "disclosure", "foi", "data",
    "protection", "legal", "manager", "advisor", "adviser", "assistant", "coordinator", "co-ordinator",
    "administrator", "support", "records", "request", "requests", "freedom", "of", "and", "the", "for",
    "centre", "center", "transparency", "customer", "feedback", "group", "directorate", "house", "street",
    "road", "avenue", "floor", "square", "building", "civic", "town",
    "executive", "director", "head", "chief", "lead", "senior", "principal", "deputy", "clerk", "secretary",
    "mayor", "force", "trust", "nhs", "fire", "rescue", "government", "agency", "board", "body", "partnership",
    "constable", "superintendent", "inspector", "sergeant", "professional", "standards", "corporate",
    "communications", "security", "cctv", "safety", "community", "committee", "panel", "democratic",
    "response", "internal", "review", "reference", "date", "page", "tel", "telephone", "email", "e-mail",
    "phone", "mobile", "fax", "web", "website", "www", "crime", "justice", "policing", "public", "members",
    "complaints", "secretariat", "privacy", "access", "company", "limited", "ltd", "plc", "university",
}
_TITLES = (r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Cllr|Councillor|DC|DS|DI|DCI|PC|Sgt|Insp|"
           r"Supt|Ch\.? ?Insp|Chief Inspector|Inspector|Sergeant|Superintendent|Chief Superintendent|"
           r"Detective Inspector|Detective Sergeant|Constable)")
_NAME_WORD = r"[A-Z](?:[a-z]+|['’][A-Z][a-z]+)(?:[A-Z][a-z]+)?(?:['’-][A-Z]?[a-z]+)*"  # Ann, O'Connor, MacLeod
_PERSON = re.compile(rf"^(?:{_TITLES}\.?\s+)?{_NAME_WORD}(?:\s+[A-Z]\.)?(?:\s+{_NAME_WORD}){{1,2}}$")
_TITLED = re.compile(rf"\b{_TITLES}\.?\s+(?:[A-Z]\.\s*)?{_NAME_WORD}(?:\s+{_NAME_WORD})?")
_LABELLED = re.compile(
    r"^(?P<label>\W*(?:contact|contact name|name|case officer|officer|handled by|dealt with by|prepared by|"
    r"author|signed|from|sent by|responsible officer|decision maker)\s*:\s*)(?P<value>.+)$",
    re.IGNORECASE)
_SENIOR = re.compile(
    r"\b(?:chief executive|managing director|(?:executive |corporate |strategic |service )?director|"
    r"head of|chief constable|deputy chief constable|assistant chief constable|chief officer|"
    r"police and crime commissioner|commissioner|monitoring officer|town clerk|chief fire officer|"
    r"mayor|leader of the council|permanent secretary|chair(?:man|woman|person)?|"
    r"chief superintendent)\b", re.IGNORECASE)
SIGNATURE_LINES = 8  # lines after a sign-off read as the signature block


@dataclass(frozen=True)
class Redactor:
    """What to keep and what to take out; `redact(text)` does it."""

    requester_name: str = ""
    requester_email: str = ""
    keep_addresses: frozenset[str] = field(default_factory=frozenset)  # the authorities' own (lower case)
    keep_senior_officials: bool = False
    keep_names: frozenset[str] = field(default_factory=frozenset)  # the authorities' names (lower case)

    def redact(self, text: str) -> str:
        if not text:
            return text or ""
        text = self._requester(text)
        lines = text.split("\n")
        lines, kept = self._signatures(lines)
        out = []
        for n, line in enumerate(lines):
            line = _LABELLED.sub(self._labelled, line)
            if n not in kept:
                line = self._titled(line)
            line = _PHONE.sub(PHONE, line)
            line = _EMAIL.sub(self._address, line)
            out.append(line)
        return "\n".join(out)

    def redact_address(self, address: str) -> str:
        """One sender address: kept when it is an authority's own or a role address."""
        return _EMAIL.sub(self._address, address or "")

    # --- the parts ---

    def _requester(self, text: str) -> str:
        if self.requester_email:
            text = re.sub(re.escape(self.requester_email), REQUESTER, text, flags=re.IGNORECASE)
            local, _, domain = self.requester_email.partition("@")
            # Plus addresses (sam+fb-7k3q9x@campaign.example) are the requester's too.
            text = re.sub(rf"(?<![\w.+-]){re.escape(local)}\+[\w.-]+@{re.escape(domain)}", REQUESTER, text,
                          flags=re.IGNORECASE)
        name = " ".join(self.requester_name.split())
        if name:
            text = re.sub(r"\s+".join(re.escape(p) for p in name.split()), REQUESTER, text)
            for part in name.split():
                if len(part) >= 3 and part[0].isupper() and part.lower() not in _ORG_WORDS:
                    text = re.sub(rf"\b{re.escape(part)}\b", REQUESTER, text)
            text = re.sub(rf"{re.escape(REQUESTER)}(?:\s+{re.escape(REQUESTER)})+", REQUESTER, text)
        return text

    def _address(self, match: re.Match[str]) -> str:
        address = match.group(0)
        lowered = address.lower()
        if lowered in self.keep_addresses or _ROLE_LOCAL.match(lowered.partition("@")[0]):
            return address
        return EMAIL

    def _signatures(self, lines: list[str]) -> tuple[list[str], set[int]]:
        """The lines with signed names taken out, and the lines of senior officials' names kept."""
        out = list(lines)
        kept: set[int] = set()
        for n, line in enumerate(lines):
            if not _SIGN_OFF.match(line.strip()):
                continue
            seen = 0
            for k in range(n + 1, len(lines)):
                candidate = lines[k].strip()
                if not candidate:
                    continue
                seen += 1
                if seen > SIGNATURE_LINES or candidate.startswith(">"):
                    break
                if _is_person(candidate) and candidate.rstrip(",.").lower() not in self.keep_names:
                    following = next((x for x in lines[k + 1:k + 3] if x.strip()), "")
                    if self.keep_senior_officials and _SENIOR.search(following):
                        kept.add(k)
                        continue
                    out[k] = lines[k].replace(candidate, NAME)
        return out, kept

    def _labelled(self, match: re.Match[str]) -> str:
        value = match.group("value").strip()
        name_part = re.split(r"\s*[<,(|]\s*", value, maxsplit=1)[0]
        if _is_person(name_part) or _TITLED.fullmatch(name_part):
            return match.group("label") + match.group("value").replace(name_part, NAME, 1)
        return match.group(0)

    def _titled(self, line: str) -> str:
        def swap(match: re.Match[str]) -> str:
            words = match.group(0).split()
            if words[-1].lower() in _ORG_WORDS:  # "Inspector Team", "Dr Foster Centre": not a person
                return match.group(0)
            if self.keep_senior_officials and _SENIOR.search(line[match.end():]):
                return match.group(0)
            return NAME

        return _TITLED.sub(swap, line)


def _is_person(text: str) -> bool:
    """A line that is a person's name: two or three capitalised words (a title before), none a team word."""
    text = text.strip().rstrip(",.")
    if not _PERSON.match(text):
        return False
    bare = re.sub(rf"^{_TITLES}\.?\s+", "", text)
    words = [w.lower().strip(".") for w in bare.split()]
    return not any(w in _ORG_WORDS for w in words)


def redactor_for(requester_name: str, requester_email: str, authority_addresses: Iterable[str],
                 keep_senior_officials: bool = False, authority_names: Iterable[str] = ()) -> Redactor:
    """A Redactor keeping these authorities' addresses and names ("Historic England" signs like a person)."""
    return Redactor(requester_name, requester_email,
                    frozenset(a.strip().lower() for a in authority_addresses if a and "@" in a),
                    keep_senior_officials,
                    frozenset(" ".join(n.split()).lower() for n in authority_names if n))
