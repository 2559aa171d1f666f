"""Bounces, delay warnings, auto-replies and mailing-list mail told apart from real replies (pure, stdlib only).

Over what parsing.py has read (headers, report parts, text), in order of trust:
- structure: an RFC 3464 delivery report (multipart/report; report-type=delivery-status, its per-recipient
  `Action:` and `Status:` fields), an RFC 3798 disposition notification ("rejected"/"deleted" is a bounce,
  "displayed" a read receipt), `X-Failed-Recipients`;
- the plain-text templates of MTAs that send no report (qmail, Exim, Postfix, Sendmail, Exchange and
  Office 365, Gmail, Lotus Notes/Domino, Mimecast, MessageLabs, Courier ...), recognised by their stock
  sentences together with an automatic sender (a null Return-Path, MAILER-DAEMON, postmaster) or subject;
- auto-reply headers (RFC 3834 Auto-Submitted, X-Autoreply, X-Autorespond, Precedence: auto_reply,
  Exchange's auto-reply markers) and subjects ("Automatic reply:", "Out of Office", "Abwesenheitsnotiz",
  "Réponse automatique" ...);
- mailing-list headers (List-Id, List-Unsubscribe, Precedence: bulk/list, Mailman/ezmlm/Sympa ...): such mail
  is never an auto-reply, and never a bounce on wording alone.

A delay warning ("Action: delayed", "will retry", "delivery has been delayed") is a bounce with
`permanent=False`: it never fails a request. Every regular expression here is linear-time: no nested
quantifiers over overlapping classes, alternations of literals, and bounded repeats only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# --- what a bounce says -------------------------------------------------------------------------------

# Subjects of delivery failures and delay warnings, in the languages MTAs write them in.
_DSN_SUBJECT = re.compile(
    r"undeliver|undelivered|non[- ]?deliver|not delivered|delivery (?:status|failure|failed|has failed|"
    r"notification|problem|report|error)|mail delivery (?:failed|failure|subsystem|system)|returned mail|"
    r"return(?:ed)? to sender|failure notice|could not be delivered|delivery (?:delayed|warning)|"
    r"warning: (?:message|could not)|mail system error|message not delivered|rejected: |"
    r"unzustellbar|nicht zustellbar|zustellung fehlgeschlagen|unbestellbar|non remis|non distribu|"
    r"échec de (?:la )?(?:remise|distribution)|echec de (?:la )?(?:remise|distribution)|"
    r"non recapitabile|mancato recapito|onbestelbaar|niet bezorgd|kan niet worden bezorgd|"
    r"no se puede entregar|no entregado|notificación de estado de entrega|devolución de correo|"
    r"olevererbar|kan ikke leveres|ikke levert|nie dostarczon|niedostarczon|nedoručiteln|"
    r"undeliverable|not deliverable|could not be sent|failed delivery|delivery unsuccessful|"
    r"unsuccessful delivery|error sending message|rejected mail|mail rejected|message rejected|"
    r"blocked message|message blocked|mail error|"
    r"配信(?:エラー|不能|できません)|メールエラー|エラー通知|不達|未送達|退信|投递失败|无法投递", re.IGNORECASE)
_DSN_SENDER = re.compile(r"^(?:mailer-daemon|mailer_daemon|post_?master|mail-daemon|mailerdaemon|"
                         r"mail\.delivery\.system|microsoftexchange[0-9a-f]*|bounces?|returns?|"
                         r"mdaemon|mailadmin|mail-?system|smtp-?gateway)@", re.IGNORECASE)
# The addresses list software writes from (only for mail that carries list headers).
_LIST_SOFTWARE = re.compile(r"^[\w.+]{1,64}-(?:owner|admin|request|bounces?)@", re.IGNORECASE)
_FORWARDED_SUBJECT = re.compile(r"^[ \t]*(?:fw|fwd|tr|wg|rv|re|aw|sv|antw)[ \t]*:", re.IGNORECASE)
_DSN_SENDER_NAME = re.compile(r"mail delivery|mailer.?daemon|postmaster|delivery (?:status|subsystem|system|"
                              r"notification)|mail administrator|mail system|microsoft outlook|"
                              r"e-?mail gateway|systemadministrator|courrier", re.IGNORECASE)
# The stock sentences of MTA templates (plain-text bounces): enough, from any automatic sender.
_DSN_TEMPLATE = re.compile(
    r"this is the qmail-send program|i'm afraid i wasn't able to deliver|"
    r"this message was created automatically by mail delivery software|"
    r"a message that you sent could not be delivered|this is the mail system at host|"
    r"the following addresses had permanent fatal errors|transcript of session follows|"
    r"delivery has failed to these recipients|your message did not reach some or all|"
    r"did not reach the following recipient|delivery to the following recipients? (?:failed|has been delayed)|"
    r"this report relates to a message you sent|this is the mailer-daemon|"
    r"your message (?:wasn't|was not|couldn't be|could not be) delivered to", re.IGNORECASE)
# The same, and the common diagnostic phrases ("user unknown", "mailbox full"), which a person might write too.
_DSN_BODY = re.compile(
    r"this is the qmail-send program|i'm afraid i wasn't able to deliver|i wasn't able to deliver|"
    r"this message was created automatically by mail delivery software|"
    r"a message that you sent could not be delivered|this is the mail system at host|"
    r"i'm sorry to have to inform you that your message could not|"
    r"the following addresses had permanent fatal errors|transcript of session follows|"
    r"the original message was received at|"
    r"delivery has failed to these recipients|your message did not reach some or all|"
    r"did not reach the following recipient|could not be delivered to one or more recipients|"
    r"the following recipient\(?s\)? could not be reached|"
    r"delivery to the following recipients? (?:failed|has been delayed|was delayed)|"
    r"delivery to the following recipient failed permanently|"
    r"your message (?:wasn't|was not|could not be|cannot be|couldn't be) delivered|"
    r"message (?:could not|couldn't|cannot|can't|was not|wasn't) (?:be )?delivered|"
    r"(?:could not|couldn't|unable to) deliver (?:your|the|this) message|was undeliverable|"
    r"(?:permanent|fatal) (?:error|failure)|failed permanently|delivery has failed|delivery failed|"
    r"user unknown|unknown user|no such user|no such recipient|unknown recipient|recipient unknown|"
    r"recipient address rejected|address rejected|mailbox (?:unavailable|not found|full|is full|"
    r"does not exist|disabled|inactive|quota exceeded)|over quota|quota exceeded|exceeded (?:the )?storage|"
    r"user not found|address not found|not a valid user|no mailbox here|invalid recipient|"
    r"recipient rejected|relay(?:ing)? denied|not permitted to relay|unable to relay|host unknown|"
    r"domain (?:not found|couldn't be found|does not exist)|message (?:is )?too large|message size exceeds|"
    r"rejected (?:for policy reasons|due to|as spam|because)|blocked (?:by|because|due to)|"
    r"spam (?:detected|rejected)|content rejected|message rejected|has been rejected|"
    r"failed to deliver|delivery (?:failure|problem)|undeliverable|not listed in (?:public )?(?:name|domino)|"
    r"returned to sender|returning message to sender|retry time(?:out)? (?:not reached|exceeded)|"
    r"will (?:continue to )?(?:retry|try again|keep trying)|still trying|delivery (?:has been|is|was) delayed|"
    r"has not (?:yet )?been delivered|could not be delivered|undelivered mail|"
    r"unzustellbar|konnte nicht zugestellt|nicht zugestellt werden|zustellung fehlgeschlagen|"
    r"n'a pas pu être (?:remis|distribu)|n'a pas pu etre (?:remis|distribu)|impossible de (?:remettre|distribuer)|"
    r"adresse (?:introuvable|inconnue)|non recapitabile|impossibile recapitare|"
    r"kon niet worden bezorgd|onbestelbaar|no (?:se )?(?:pudo|puede) (?:ser )?entregar|no ha podido entregar|"
    r"kunde inte levereras|kunne ikke leveres|nie (?:może|mozna|można) (?:zostać )?dostarczy|"
    r"had delivery problems|this report relates to a message you sent|this is the mailer-daemon|"
    r"an error (?:has )?occurred while (?:attempting|trying) to deliver|trouble delivering|"
    r"(?:unable|not able) to deliver (?:your |the |this )?(?:message|mail|e-?mail)|cannot be delivered|"
    r"no message was collected|error message below|message details:|not delivered to the following|"
    r"delivery to (?:the following|these) (?:recipients?|addresses) (?:failed|was unsuccessful)|"
    r"the following (?:message|addresses?|recipients?) (?:failed|had|could not|was undeliverable)|"
    r"\"notificationtype\"[ \t]*:[ \t]*\"bounce\"|\"bouncetype\"[ \t]*:|"
    r"не удалось доставить|не может быть доставлено|недоставлен|nie został[aoy]? dostarczon|"
    r"you are not a member|not a member of (?:this|the) (?:list|group)|only members (?:can|may) post|"
    r"not allowed to post|posting (?:is )?(?:not allowed|restricted)|"
    r"no further (?:delivery )?attempts|(?:message|delivery) (?:has )?expired|has expired|retrying for|"
    r"connection (?:timed out|refused)|host not found|dns (?:error|failure)|name server",
    re.IGNORECASE)
# An SMTP rejection written into the notice ("550 5.1.1 ...", "554 rejected"): with an automatic sender, a bounce.
_SMTP_REPLY = re.compile(r"(?<![\d.])(?:5[0-5]\d|4[2-5]\d)(?:[ -][245]\.\d{1,3}\.\d{1,3}|[ -](?=[A-Za-z<]))")
# Challenge-response filters: the message is held until the sender proves to be a person.
_CHALLENGE = re.compile(
    r"(?:added|add your address|adding you) to (?:the recipient's |my |the |your )?(?:allowed|approved|"
    r"guest|white|safe|trusted) ?(?:list|senders)|guest list|to ensure delivery of your (?:e-?mail|message)|"
    r"(?:verify|confirm) (?:that )?you are (?:a )?(?:human|person|real)|challenge[- ]response|"
    r"protected by (?:bluebottle|boxbe|spamarrest|mailblocks|a spam)|awaiting (?:your )?verification",
    re.IGNORECASE)
# Where the copy of the returned message starts: nothing after it is the MTA's own notice.
# (One class before the phrases, and phrases that start with a letter: linear, whatever the line holds.)
_RETURNED = re.compile(
    r"^[ \t\-]*(?:(?:(?:original|returned|undelivered|forwarded|unsent) message|message headers|original headers|"
    r"the header of the original message)[ \t\-:]*$|below this line is a copy of the message|"
    r"this is a copy of the message|original message headers|a copy of the original message|"
    r"message headers follow|unsent message below|the text of your message was|your message reads|"
    r"(?:received|return-path|dkim-signature|x-original-to): )", re.IGNORECASE | re.MULTILINE)

_STATUS = re.compile(r"^[ \t]*Status:[ \t]*([245])\.(\d{1,3})\.(\d{1,3})", re.IGNORECASE | re.MULTILINE)
_ANY_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_ACTION = re.compile(r"^[ \t]*Action:[ \t]*([A-Za-z]+)", re.IGNORECASE | re.MULTILINE)
_RECIPIENT_FIELD = re.compile(
    r"^[ \t]*(?:Final|Original|X-Actual)-Recipient:[ \t]*(?:rfc822;[ \t]*)?<?([^\s<>;\"]+@[^\s<>;\"]+)>?",
    re.IGNORECASE | re.MULTILINE)
_DIAGNOSTIC = re.compile(r"^[ \t]*Diagnostic-Code:[ \t]*(?:(?:smtp|X-[\w-]{1,30});[ \t]*)?([^\n]*(?:\n[ \t]+[^\n]*){0,6})",
                         re.IGNORECASE | re.MULTILINE)
# A bounce notification of Amazon SES (sent on by SNS as JSON, sometimes escaped inside a JSON string).
_SES_BOUNCE = re.compile(r'\\?"notificationType\\?"[ \t]*:[ \t]*\\?"Bounce', re.IGNORECASE)
_SES_RECIPIENT = re.compile(r'\\?"emailAddress\\?"[ \t]*:[ \t]*\\?"([^"\\\s]{1,64}@[^"\\\s]{1,255})')
# The fields of a delivery report written into the text by an MTA that sends it without its own part.
_INLINE_REPORT = re.compile(r"^[ \t]*(?:Final-Recipient|Original-Recipient):[ \t]*rfc822;", re.IGNORECASE | re.MULTILINE)
_BODY_MSGID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_DISPOSITION = re.compile(r"^[ \t]*Disposition:[^\n;]*;[ \t]*([A-Za-z-]+)", re.IGNORECASE | re.MULTILINE)
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
# Lines whose addresses are never the failed recipient: the header lines of the returned message and ours.
_HEADER_LINE = re.compile(r"^[ \t>]*(?:from|return-path|reply-to|sender|message-id|in-reply-to|references|"
                          r"received|envelope-from|x-[\w-]{1,40}|by|with|id|sent|date|subject|cc|mail from)\b[ \t]*:?",
                          re.IGNORECASE)
_MTA_ADDRESS = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|noreply|no-reply|root)@",
                          re.IGNORECASE)

# A delay warning: the server is still trying. Giving up in so many words wins over it ("retry timeout
# exceeded"); a plain "could not be delivered" loses to "it will be retried".
_GAVE_UP = re.compile(
    r"i'?ve given up|i have given up|giving up|gave up|permanent(?:ly)? (?:error|failure|failed)|"
    r"failed permanently|this is a permanent|retry time(?:out)? (?:not reached for any host after a long failure|"
    r"exceeded)|has been failing for|cannot send (?:this )?message for \d{1,3} days?|\(failure\)|no further (?:attempts|retries|delivery attempts)|"
    r"will not be retried|won't be retried|will no longer be retried|(?:deleted|removed) from the (?:mail )?queue|"
    r"delivery (?:was |has been )?abandoned|message (?:has )?expired|lifetime exceeded|too many (?:retries|attempts)",
    re.IGNORECASE)
_DELAYED = re.compile(
    r"will (?:continue to )?(?:retry|try again|keep trying|be retried)|still (?:trying|being retried|undelivered|"
    r"queued)|(?:delivery|message|mail) (?:has been |is |was )?delayed|delivery delay|delay(?:ed)? (?:mail|"
    r"notification|warning)|\(delay\)|has not yet been delivered|not yet been delivered|"
    r"this is a warning (?:message )?only|no action is required on your part|you do not need to resend|"
    r"temporar(?:y|ily) (?:failure|problem|deferred|unavailable)|deferred|warning: (?:message|could not send)|"
    r"zustellung verzögert|verzögert|remise différée|retardé|vertraagd|ritardat|retrasad",
    re.IGNORECASE)
_FAILED = re.compile(
    r"could not be delivered|couldn't be delivered|wasn't delivered|was not delivered|been returned|"
    r"returned to sender|failure notice|delivery has failed|delivery failed|undeliverable|unzustellbar|non remis",
    re.IGNORECASE)

# --- auto-replies and mailing lists -------------------------------------------------------------------

_AUTO_SUBJECT = re.compile(
    # (at the start: "RE: Automatic reply: ..." is a person answering one, and "Automatic reply: RE: ..." one)
    r"^(?:\[[^\]\n]{0,80}\][ \t]*)?\[?[ \t]*"
    r"(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response|answer)|autoreply|autoresponse|auto:|"
    r"out of (?:the )?office|ooo\b|away from (?:the )?office|on (?:annual )?leave|on vacation|vacation|"
    r"abwesenheitsnotiz|abwesenheit|automatische antwort|automatische (?:antwort|nachricht)|"
    r"réponse automatique|reponse automatique|absence du bureau|absent du bureau|absent\b|"
    r"respuesta automática|respuesta automatica|fuera de la oficina|ausente|"
    r"automatisch antwoord|afwezig|niet aanwezig|risposta automatica|fuori sede|fuori ufficio|"
    r"ateb awtomatig|allan o'r swyddfa|allan o’r swyddfa|"
    r"odpowiedź automatyczna|odpowiedz automatyczna|automatyczna odpowiedź|nieobecność|"
    r"automatisk svar|autosvar|frånvaro|fravær|ikke til stede|poissa|automaattinen vastaus|"
    r"resposta automática|automatická odpověď|read:|gelesen:|lu :|leído:|gelezen:|"
    r"urlaub|vacation reply|autoresponder|auto[- ]?antwort|自動応答|自動返信|不在|自动回复|"
    r"автоответ|автоматический ответ|otomatik (?:yanıt|cevap)|automatikus válasz)",
    re.IGNORECASE)
# The text of out-of-office and similar automatic messages, in several languages (short messages only).
_OUT_OF_OFFICE = re.compile(
    r"(?:i am|i'm|i will be|i'll be) (?:currently |now )?(?:out of (?:the )?office|on (?:annual |maternity |"
    r"paternity |sick |study |parental )?leave|away from (?:the office|my desk|work)|not in the office|"
    r"on holiday|on vacation|away until|out until|away on business|travelling|attending|out on (?:\w+ )?leave|"
    r"off sick|out of the building)|(?:during|in) my absence|"
    r"out of (?:the )?office (?:until|from|on|and|with)|(?:on|upon|after) my return|"
    r"i (?:will|shall) (?:be )?(?:back|returning|return) (?:in the office )?(?:on|until|from)|"
    r"limited (?:access to )?e-?mail|will (?:reply|respond|get back to you) (?:to your (?:e-?mail|message) )?"
    r"(?:on|upon|when|as soon as) (?:i|my)|this (?:mailbox|e-?mail address|inbox|account) is (?:no longer|not) "
    r"(?:monitored|in use|active)|no longer (?:works? (?:for|at|here)|with the)|"
    r"ich bin (?:bis|vom|ab|derzeit|zurzeit|momentan|nicht)|ich bin .{0,40}(?:abwesend|nicht im büro|im urlaub)|"
    r"abwesend|nicht im büro|im urlaub|keinen zugriff auf (?:meine )?e-?mails|"
    r"je suis (?:absent|absente|en congé|en vacances|actuellement absent)|je serai de retour|"
    r"de retour le|en congés? jusqu|"
    r"estoy (?:fuera|de vacaciones|ausente)|estaré (?:fuera|de vuelta)|fuera de la oficina|"
    r"ik ben (?:afwezig|niet aanwezig|met vakantie|op vakantie)|ben ik weer|afwezig tot|"
    r"sono (?:assente|fuori)|sarò (?:assente|di nuovo)|"
    r"rwyf (?:i )?ffwrdd|allan o'r swyddfa|allan o’r swyddfa|byddaf yn ôl|byddaf yn ol|"
    r"jestem (?:nieobecn|na urlopie|poza biurem)|nieobecn|poza biurem|na urlopie|"
    r"jag är (?:borta|ledig|på semester)|jeg er (?:borte|på ferie)|"
    r"thank you for your (?:e-?mail|message)[.,;:!]{0,2} (?:i am|i'm|please note|this is an automat)|"
    r"(?:i am|i'm) (?:currently )?away\b|"
    r"automatische (?:antwort|nachricht|e-?mail)|automatisches? antwort|réponse automatique|reponse automatique|"
    r"message automatique|respuesta automática|respuesta automatica|mensaje automático|"
    r"automatisch (?:antwoord|bericht)|risposta automatica|messaggio automatico|automatyczna odpowiedź|"
    r"wiadomość automatyczna|ateb awtomatig|neges awtomatig|automatiskt svar|automatisk svar",
    re.IGNORECASE)
_VACATION_MAILER = re.compile(r"vacation|autorespond|auto-?reply|out of office|abwesenheit", re.IGNORECASE)
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help", "list-subscribe", "list-archive",
                 "list-owner", "mailing-list", "x-mailing-list", "x-mailman-version", "x-beenthere",
                 "x-list", "x-listserver", "x-ezmlm-version", "x-sympa-version", "x-listprocessor-version",
                 "x-loop-list", "x-google-group-id", "x-lyris-message-id", "x-list-administrivia")
# What of a message's text is read for a bounce's words: the notice comes first, then the returned copy
# (issue 13: the whole of a 1,000,000-character reply took seconds of these patterns, on every reply so long).
MAX_DSN_TEXT = 100_000
SHORT_MESSAGE = 2500  # characters: an out-of-office note is short; a long letter that mentions leave is not one


@dataclass
class DsnFacts:
    failed_recipients: list[str] = field(default_factory=list)
    status: str | None = None  # e.g. "5.1.1"
    permanent: bool = True  # the server gave up (a failure); False: it will retry (a delay warning)
    diagnostic: str | None = None
    original_message_id: str | None = None  # the Message-ID of the message that bounced


def _first(headers: Mapping[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0].strip().lower() if values else ""


def is_list_mail(headers: Mapping[str, list[str]]) -> bool:
    """Mail sent through a mailing list or as bulk mail: never an auto-reply, never a bounce by wording."""
    if has_list_headers(headers):
        return True
    return _first(headers, "precedence") in ("bulk", "list", "junk")


def has_list_headers(headers: Mapping[str, list[str]]) -> bool:
    """Headers that only mailing-list software adds (List-Id, List-Unsubscribe, Mailman's, ezmlm's ...)."""
    return any(name in headers for name in _LIST_HEADERS)


def has_null_sender(headers: Mapping[str, list[str]]) -> bool:
    """The message was sent with an empty envelope sender (`Return-Path: <>`), as bounces and auto-replies are."""
    path = _first(headers, "return-path")
    return path in ("<>", "") and "return-path" in headers


def auto_reply_header(headers: Mapping[str, list[str]]) -> str | None:
    """The header that marks an automatic reply (RFC 3834 and the common private ones), or None."""
    auto_submitted = _first(headers, "auto-submitted")
    if auto_submitted and not auto_submitted.startswith("no") and "rejected" not in auto_submitted:
        return "Auto-Submitted: " + auto_submitted
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autoresponse", "x-mail-autoreply",
                 "x-autoreply-from", "x-autoresponse-from", "x-auto-reply", "x-autogenerated", "x-vacation",
                 "x-ms-exchange-generated-message-source"):
        if name in headers and _first(headers, name) not in ("no", "false", "0"):
            return name
    if _first(headers, "x-apple-action") == "vacation":
        return "X-Apple-Action: vacation"
    if _VACATION_MAILER.search(_first(headers, "x-mailer")):
        return "X-Mailer: " + _first(headers, "x-mailer")[:40]
    precedence = _first(headers, "precedence")
    if precedence in ("auto_reply", "auto-reply", "autoreply"):
        return "Precedence: " + precedence
    if _first(headers, "x-auto-response-suppress") in ("all", "oof", "dr, rn, nrn, oof, autoreply") and (
            "x-ms-exchange-inbox-rules-loop" in headers or "thread-topic" in headers and has_null_sender(headers)):
        return "X-Auto-Response-Suppress (Exchange)"
    return None


def is_auto_reply(headers: Mapping[str, list[str]], subject: str = "") -> bool:
    """Header (or subject) evidence of an automatic reply; mailing-list and bulk mail (List-*, Precedence: bulk
    or list) never is one. `Precedence: junk` is no evidence either, but old vacation programs mark their
    replies so, and it does not hide the evidence there is."""
    if has_list_headers(headers):
        return False
    if _first(headers, "precedence") in ("bulk", "list"):
        # Bulk mail: only what a vacation program writes ("Auto-Submitted", "Out of Office: <subject>").
        return bool(auto_reply_header(headers) or auto_reply_subject(subject, tagged=True))
    # A null envelope sender is what RFC 3834 asks of automatic replies (bounces are told apart before).
    return bool(auto_reply_header(headers) or auto_reply_subject(subject) or has_null_sender(headers))


_TAG_END = re.compile(r"[^:\]\n]{0,30}[:\]]")
REPLY_SUBJECT = re.compile(r"^(?:re|aw|sv|antw|odp|rif|r|vs|réf)[ \t]*:", re.IGNORECASE)


def auto_reply_subject(subject: str, tagged: bool = False) -> bool:
    """A subject that automatic replies use ("Automatic reply: ...", "Out of Office: ...", "[#123] AutoReply: ");
    `tagged`: only as a tag before the original subject (followed by ":" or "]"), as a vacation program puts it."""
    subject = subject.strip()
    found = _AUTO_SUBJECT.match(subject)
    if not found:
        return False
    # "Out of Office: <subject>", "Out of Office AutoReply: <subject>", "[Automatic reply] <subject>"
    return not tagged or found.group(0).endswith(":") or bool(_TAG_END.match(subject, found.end()))


_AUTOMATED_RECEIPT = re.compile(
    r"(?:this is an? |an )?(?:automated|automatic|auto-generated|automatically generated) (?:confirmation|receipt|"
    r"acknowledge?ment|response|reply|message|e-?mail)|(?:this|your) (?:e-?mail|message) (?:has been|was) "
    r"(?:automatically )?(?:received|generated automatically)|do not reply to this (?:automated )?(?:e-?mail|message)",
    re.IGNORECASE)


# "our automatic reply (below) went out without a reference": a person speaking of one.
_SPOKEN_OF = re.compile(r"(?:my|your|our|his|her|their|the earlier|the previous|the last) $", re.IGNORECASE)


def automated_receipt(text: str) -> bool:
    """A short message that says it was sent automatically ("This is an automated confirmation ...")."""
    if len(text) > 2 * SHORT_MESSAGE:
        return False
    return any(not _SPOKEN_OF.search(text[max(0, m.start() - 20):m.start()]) for m in _AUTOMATED_RECEIPT.finditer(text))


def out_of_office_text(text: str) -> bool:
    """Out-of-office phrasing in a short message."""
    return len(text) <= SHORT_MESSAGE and bool(_OUT_OF_OFFICE.search(text))


# --- reading a bounce ---------------------------------------------------------------------------------

def _notice(text: str) -> str:
    """The MTA's own words: the text before the copy of the returned message."""
    found = _RETURNED.search(text)
    return text[: found.start()] if found else text


def _text_recipients(notice: str, exclude: set[str]) -> list[str]:
    """Addresses the notice names, in order, less those of header lines, the MTA's and ours."""
    found: list[str] = []
    for line in notice.splitlines():
        if _HEADER_LINE.match(line) and not re.match(r"(?i)[ \t]*(?:to|rcpt to)\b", line):
            continue
        for match in _ADDRESS.finditer(line):
            address = match.group(0).strip(".").lower()
            if address in exclude or _MTA_ADDRESS.match(address) or address in found:
                continue
            found.append(address)
    return found


def _permanent(actions: list[str], status: str | None, subject: str, notice: str) -> bool:
    """A failure (True) or a delay warning (False): the report's Action first, then the words, then the code."""
    if "failed" in actions:
        return True
    if actions and all(a in ("delayed", "relayed", "delivered", "expanded") for a in actions):
        return False
    words = subject + "\n" + notice
    if _GAVE_UP.search(words):
        return True
    if _DELAYED.search(words):
        return False
    if _FAILED.search(words):
        return True
    return not (status or "5").startswith("4")


def read_dsn(*, is_report: bool, status_texts: list[str], returned_ids: list[str], returned_headers: str,
             failed_header: list[str], has_failed_header: bool, sender: str, subject: str, text: str,
             null_sender: bool = False, list_mail: bool = False, disposition: str = "",
             own_addresses: tuple[str, ...] = (), sender_name: str = "",
             nested_status_texts: list[str] | None = None, daemon_envelope: bool = False) -> DsnFacts | None:
    """The facts of a delivery status notification, or None when the message is not one.

    `disposition` is the disposition type of an RFC 3798 notification ("rejected", "deleted": the message was
    refused unread, a bounce); `own_addresses` are the message's own To addresses (ours), never a failed one;
    `nested_status_texts` the status parts of a report attached whole (they count from an automatic sender);
    `daemon_envelope`: a mailbox file's "From MAILER-DAEMON" line names the envelope sender.
    """
    text = text[:MAX_DSN_TEXT]
    notice = _notice(text)
    # A mail server by its address or name (or no sender at all), or a null envelope sender, which automatic
    # replies use too: an authority's own automatic acknowledgement may come so, and must not read as a bounce.
    daemon = (daemon_envelope or bool(_DSN_SENDER.match(sender)) or not sender
              or bool(_DSN_SENDER_NAME.search(sender_name))
              or (list_mail and bool(_LIST_SOFTWARE.match(sender))))
    automatic_sender = daemon or null_sender
    worded = bool(_DSN_BODY.search(notice))
    server_words = bool(_DSN_TEMPLATE.search(notice) or _SMTP_REPLY.search(notice))
    if not status_texts and nested_status_texts and automatic_sender:
        status_texts = nested_status_texts
    # A mail server that sends our message back (not a read receipt) is reporting a failure.
    returned = (bool(returned_ids or returned_headers) and not disposition
                and (daemon or (null_sender and server_words)))
    # "Undeliverable: ..." from a server; "FW: Undeliverable: ..." is a person passing one on.
    by_subject = bool(_DSN_SUBJECT.search(subject)) and not _FORWARDED_SUBJECT.match(subject)
    structural = (is_report or bool(status_texts) or has_failed_header
                  or disposition in ("rejected", "deleted", "denied", "failed")
                  or bool(_INLINE_REPORT.search(text) and _ACTION.search(text))
                  or bool(_SES_BOUNCE.search(text)))
    challenge = bool(_CHALLENGE.search(notice)) and len(notice) <= SHORT_MESSAGE
    # A list server refusing a post is a bounce too; a list member's message quoting one is not.
    is_dsn = (structural or returned or (daemon and (worded or by_subject or challenge or server_words))
              or (null_sender and (server_words or by_subject))
              or (not list_mail and ((by_subject and worded) or challenge)))
    if not is_dsn:
        return None
    facts = DsnFacts()
    status_text = "\n".join(status_texts)
    exclude = {a.lower() for a in own_addresses} | ({sender.lower()} if sender else set())
    failed = [a.lower() for a in failed_header]
    failed.extend(m.group(1).lower() for m in _RECIPIENT_FIELD.finditer(status_text or notice))
    failed.extend(m.group(1).lower() for m in _SES_RECIPIENT.finditer(text))
    if not failed:  # the notice names them: "<a@b>:", "a@b on <date>", "wasn't delivered to a@b because"
        failed = _text_recipients(notice, exclude)
    facts.failed_recipients = [a for a in dict.fromkeys(failed) if a not in exclude][:20]
    status = _STATUS.search(status_text) or _ANY_STATUS.search(status_text + "\n" + notice)
    facts.status = ".".join(status.groups()) if status else None
    diagnostic = _DIAGNOSTIC.search(status_text)
    if diagnostic:
        facts.diagnostic = re.sub(r"\s+", " ", diagnostic.group(1)).strip()[:500]
    # The report's fields, or the same fields written into the text by an MTA that sends no report part.
    actions = [a.lower() for a in _ACTION.findall(status_text or text)]
    facts.permanent = True if disposition else _permanent(actions, facts.status, subject, notice)
    original = returned_ids[:1]
    if not original and returned_headers:
        found = _BODY_MSGID.search(returned_headers)
        original = [found.group(1)] if found else []
    if not original:
        found = _BODY_MSGID.search(text)
        original = [found.group(1)] if found else []
    facts.original_message_id = original[0] if original else None
    return facts


def disposition_of(report_text: str) -> str:
    """The disposition type of an RFC 3798 notification part ("displayed", "deleted", ...), or ""."""
    found = _DISPOSITION.search(report_text)
    return found.group(1).lower() if found else ""
