"""Bounces and auto-replies told from real replies (pure): delivery status notifications, auto-reply headers.

Pure functions over what parsing.py has already read (headers, report parts, text); stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_DSN_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|has failed|failure|failed|notification)|"
    r"mail delivery (failed|failure|subsystem)|returned mail|failure notice|non[- ]?delivery|"
    r"returned to sender|delivery problem|could not be delivered", re.IGNORECASE)
_DSN_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_DSN_BODY = re.compile(
    r"delivery to the following recipients? (failed|has been delayed)|"
    r"this is the mail system at host|could not be delivered to one or more recipients|"
    r"message (could not|was not|wasn't) (be )?delivered|was undeliverable|"
    r"(permanent|fatal) error|failed permanently|delivery has failed|user unknown|"
    r"recipient address rejected|mailbox (unavailable|not found|full)|no such user", re.IGNORECASE)
_STATUS = re.compile(r"^[ \t]*Status:\s*([245]\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)
_ANY_STATUS = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_ACTION = re.compile(r"^[ \t]*Action:\s*(\w+)", re.IGNORECASE | re.MULTILINE)
_FINAL_RCPT = re.compile(r"^[ \t]*(?:Final|Original)-Recipient:[ \t]*(?:rfc822;)?[ \t]*<?([^\s<>;]+@[^\s<>;]+)>?",
                         re.IGNORECASE | re.MULTILINE)
_DIAGNOSTIC = re.compile(r"^[ \t]*Diagnostic-Code:[ \t]*(?:smtp;)?[ \t]*(.+(?:\n[ \t]+.+)*)", re.IGNORECASE | re.MULTILINE)
_BODY_MSGID = re.compile(r"^[ \t]*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_DELAY = re.compile(r"delay|will (continue to )?retry|still trying|not yet been delivered|temporar", re.IGNORECASE)


@dataclass
class DsnFacts:
    failed_recipients: list[str] = field(default_factory=list)
    status: str | None = None  # e.g. "5.1.1"
    permanent: bool = True  # 5.x.x (hard) vs 4.x.x (soft, delayed)
    diagnostic: str | None = None
    original_message_id: str | None = None  # the Message-ID of the message that bounced


def is_auto_reply(headers: Mapping[str, list[str]]) -> bool:
    """Header evidence of an automatic reply (Auto-Submitted other than "no", X-Autoreply, Precedence ...)."""
    def first(name: str) -> str:
        values = headers.get(name)
        return values[0].strip().lower() if values else ""

    auto_submitted = first("auto-submitted")
    if auto_submitted and auto_submitted != "no":
        return True
    if "x-autoreply" in headers or "x-autorespond" in headers or "x-autoresponder" in headers:
        return True
    if first("precedence") in ("auto_reply", "bulk", "junk"):
        return True
    # Exchange marks its out-of-office replies this way (and loops of inbox rules).
    return first("x-auto-response-suppress") in ("all", "oof") and "x-ms-exchange-inbox-rules-loop" in headers


def read_dsn(*, is_report: bool, status_texts: list[str], returned_ids: list[str], returned_headers: str,
             failed_header: list[str], has_failed_header: bool, sender: str, subject: str, text: str,
             ) -> DsnFacts | None:
    """The facts of a delivery status notification, or None when the message is not one."""
    is_dsn = (
        is_report
        or bool(status_texts)
        or has_failed_header
        or (bool(_DSN_SENDER.match(sender)) and bool(_DSN_SUBJECT.search(subject) or _DSN_BODY.search(text)))
        or (bool(_DSN_SUBJECT.search(subject)) and bool(_DSN_BODY.search(text)))
    )
    if not is_dsn:
        return None
    facts = DsnFacts()
    status_text = "\n".join(status_texts)
    failed = list(failed_header)
    failed.extend(match.group(1).lower() for match in _FINAL_RCPT.finditer(status_text))
    if not failed:  # the human-readable part: addresses on their own lines
        for line in text.splitlines():
            line = line.strip().strip("<>")
            if re.fullmatch(r"[^\s@<>]+@[^\s@<>]+\.[A-Za-z]{2,}", line):
                failed.append(line.lower())
    facts.failed_recipients = list(dict.fromkeys(failed))
    status = _STATUS.search(status_text) or _ANY_STATUS.search(status_text + "\n" + text)
    facts.status = status.group(1) if status else None
    diagnostic = _DIAGNOSTIC.search(status_text)
    if diagnostic:
        facts.diagnostic = re.sub(r"\s+", " ", diagnostic.group(1)).strip()[:500]
    action = _ACTION.search(status_text)
    if facts.status:
        facts.permanent = facts.status.startswith("5")
    elif action:
        facts.permanent = action.group(1).lower() == "failed"
    else:
        facts.permanent = not _DELAY.search(subject + "\n" + text)
    original = returned_ids[:1]
    if not original and returned_headers:
        found = _BODY_MSGID.search(returned_headers)
        original = [found.group(1)] if found else []
    if not original:
        found = _BODY_MSGID.search(text)
        original = [found.group(1)] if found else []
    facts.original_message_id = original[0] if original else None
    return facts
