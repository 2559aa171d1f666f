"""Bounces, delay warnings, auto-replies and list mail in the shapes real servers send them, written for the
tests (our own words and addresses, modelled on the structure of each MTA's template: what it says first, which
headers and report fields it sets, where the returned message starts)."""

from __future__ import annotations

OURS = "campaigner+fb-7k3q98@example.org"
THEIRS = "foi@millbrook.gov.uk"
OUR_ID = "<fb-7k3q98.request.1@example.org>"


def message(headers: dict[str, str], body: str, *, null_sender: bool = False) -> bytes:
    lines = ["Return-Path: <>"] if null_sender else ["Return-Path: <someone@sender.example>"]
    base = {"To": OURS, "Date": "Mon, 22 May 2023 09:14:00 +0100", "Message-ID": "<m.1@mx.example>"}
    for name, value in {**base, **headers}.items():
        lines.append(f"{name}: {value}")
    if not any(k.lower() == "content-type" for k in headers):
        lines.append("Content-Type: text/plain; charset=utf-8")
    lines.append("MIME-Version: 1.0")
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


OFFICER = "j.officer@millbrook.gov.uk"  # a person at the authority, whose mail program answers for them


def from_officer(subject: str, body: str = "Thanks, I will read your message later.\n",
                 headers: dict[str, str] | None = None, *, null_sender: bool = False) -> bytes:
    """What the officer's own mail program sends back (an auto-reply, a read receipt): From the officer, the
    Subject, then the headers that mark it, in that order."""
    return message({"From": OFFICER, "Subject": subject, **(headers or {})}, body, null_sender=null_sender)


def _returned(subject: str = "Freedom of Information request: Fusus [ref FB-7K3Q98]") -> str:
    return (f"Return-Path: <{OURS}>\nReceived: from mail.example.org by mx.millbrook.gov.uk\n"
            f"From: A. Campaigner <{OURS}>\nTo: {THEIRS}\nSubject: {subject}\nMessage-ID: {OUR_ID}\n\n"
            "Dear Borough of Millbrook,\n\nUnder the Freedom of Information Act 2000 ...\n")


def report(action: str, status: str, *, subject: str = "Delivery Status Notification",
           human: str = "This report relates to a message you sent.") -> bytes:
    """An RFC 3464 report: a human part, the delivery-status fields, the returned headers."""
    b = "rpt-7731"
    body = (f"--{b}\nContent-Type: text/plain\n\n{human}\n\n"
            f"--{b}\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.millbrook.gov.uk\n\n"
            f"Final-Recipient: rfc822; {THEIRS}\nAction: {action}\nStatus: {status}\n"
            f"Diagnostic-Code: smtp; {status[0]}50 {status} mailbox problem\n\n"
            f"--{b}\nContent-Type: text/rfc822-headers\n\n{_returned().split(chr(10) + chr(10))[0]}\n\n--{b}--\n")
    return message({"From": "Mail Delivery System <MAILER-DAEMON@mx.millbrook.gov.uk>", "Subject": subject,
                    "Content-Type": f'multipart/report; report-type=delivery-status; boundary="{b}"'}, body,
                   null_sender=True)


# --- failures ----------------------------------------------------------------------------------------
QMAIL = message({"From": "MAILER-DAEMON@mx.millbrook.gov.uk", "Subject": "failure notice"}, (
    "Hi. This is the qmail-send program at mx.millbrook.gov.uk.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
    f"<{THEIRS}>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
    "--- Below this line is a copy of the message.\n\n" + _returned()), null_sender=True)
EXIM = message({"From": "Mail Delivery System <Mailer-Daemon@mx.millbrook.gov.uk>",
                "Subject": "Mail delivery failed: returning message to sender", "X-Failed-Recipients": THEIRS}, (
    "This message was created automatically by mail delivery software.\n\n"
    "A message that you sent could not be delivered to one or more of its recipients. This is a permanent\n"
    f"error. The following address(es) failed:\n\n  {THEIRS}\n    550 5.1.1 mailbox unavailable\n\n"
    "------ This is a copy of the message, including all the headers. ------\n\n" + _returned()),
    null_sender=True)
EXCHANGE_NDR = message({"From": "postmaster@millbrook.gov.uk", "Subject": "Undeliverable: Freedom of Information "
                        "request: Fusus [ref FB-7K3Q98]"}, (
    f"Your message\n\n  To: {THEIRS}\n  Subject: Freedom of Information request\n\n"
    f"did not reach the following recipient(s):\n\n{THEIRS.upper()} on 22/05/2023 09:14\n"
    "    The e-mail account does not exist at the organisation this message was sent to.\n"))
# A relay that quotes the returned headers with "> ".
QUOTED_RETURN = message({"From": "MAILER-DAEMON@relay.millbrook.gov.uk", "Subject": "Returned mail: User unknown"}, (
    f"The following address failed:\n\n    {THEIRS}\n\n--- Original message headers ---\n"
    + "".join("> " + line + "\n" for line in _returned().split("\n")[:7])), null_sender=True)
GMAIL_PLAIN = message({"From": "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
                       "Subject": "Delivery Status Notification (Failure)"}, (
    "** Address not found **\n\n"
    f"Your message wasn't delivered to {THEIRS} because the address couldn't be found, or is unable to "
    "receive mail.\n\nThe response was:\n\n550 5.1.1 The email account that you tried to reach does not exist.\n"),
    null_sender=True)
LOTUS_NOTES = message({"From": "postmaster@gw.millbrook.gov.uk", "Subject": "DELIVERY FAILURE: User foi not listed"}, (
    "------- Failure Reasons --------\n\nUser not listed in Domino Directory\n"
    f"{THEIRS}\n\n------- Returned Message --------\n" + _returned()))
# A final failure whose code is 4.x.x: the server gave up after retrying (Action: failed wins).
GAVE_UP_4XX = report("failed", "4.4.7")
HARD_REPORT = report("failed", "5.1.1")
SIEVE_REJECT = message({"From": "Mail Delivery Subsystem <postmaster@millbrook.gov.uk>",
                        "Subject": "Automatically rejected mail", "Auto-Submitted": "auto-replied (rejected)",
                        "Precedence": "bulk"}, (
    f"Your message to <{THEIRS}> was automatically rejected:\nThis address no longer accepts mail.\n"),
    null_sender=True)
CHALLENGE = message({"From": f"{THEIRS}", "Subject": "RE: Freedom of Information request"}, (
    "Your message was received but is being held.\n\nThis mailbox is protected by a spam filter. Please click "
    "the link below to have your address added to the recipient's allowed list and to ensure delivery of your "
    "e-mail.\n\nhttps://filter.example/verify/8812\n"))
GERMAN = message({"From": "MAILER-DAEMON@mx.example.de", "Subject": "Unzustellbar: Anfrage"}, (
    "Ihre Nachricht konnte nicht zugestellt werden.\n\n"
    f"{THEIRS}\n    550 Benutzer unbekannt\n"), null_sender=True)
# Only the display name says it is a mail server; and a bounce saved in a mailbox file, its mbox line first.
BY_DISPLAY_NAME = message({"From": "Mail Delivery System <gateway@relay.millbrook.gov.uk>", "Subject": "Notice"}, (
    f"Delivery to the following recipient failed permanently:\n\n     {THEIRS}\n"))
MBOX_DAEMON = b"From MAILER-DAEMON Mon May 22 09:14:00 2023\r\n" + message(
    {"From": "relay@millbrook.gov.uk", "Subject": "Notice"},
    f"Sorry, we were unable to deliver your message to the following address.\n\n<{THEIRS}>:\n"
    "554: delivery error: dd This user doesn't have an account\n")
# Amazon SES's bounce notification, as SNS mails it: JSON, from an ordinary no-reply address.
SES_JSON = message({"From": "AWS Notifications <no-reply@sns.example.com>", "Subject": "AWS Notification Message"}, (
    '{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[{"emailAddress":'
    f'"{THEIRS}","action":"failed","status":"5.1.1"}}]}},"mail":{{"source":"{OURS}"}}}}\n'))
# A list server refusing a post from a non-member.
LIST_REFUSAL = message({"From": "records-owner@lists.millbrook.gov.uk", "Subject": "Your message to records",
                        "List-Id": "<records.lists.millbrook.gov.uk>"}, (
    "Your message to the records list has been rejected: you are not a member of this list, and only members "
    f"may post.\n\nThe address {THEIRS} is a list address.\n"))
# A final failure whose words say the server is done with it, though they mention retrying.
EXPIRED = message({"From": "MAILER-DAEMON@mx.example.org", "Subject": "Notice"}, (
    "Your message has been retrying for 5 days and has expired. No further attempts will be made.\n\n"
    f"<{THEIRS}>: connection timed out\n"), null_sender=True)

# Old sendmail, after its queue lifetime: "Returned mail: Cannot send message for 5 days", the transcript still
# showing the last 4xx deferral. The server has given up: a failure, not a delay warning.
SENDMAIL_QUEUE_TIMEOUT = message({"From": "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>",
                                  "Subject": "Returned mail: Cannot send message for 5 days"}, (
    "   ----- Transcript of session follows -----\n"
    f"421 mx.millbrook.gov.uk (smtp)... Deferred: Connection timed out during user open with {THEIRS}\n\n"
    "   ----- Unsent message follows -----\n" + _returned()), null_sender=True)
# A gateway writing from "post_master@" (an underscore), its rejection as "550 - Requested action not taken", and
# the text inside a nested multipart whose boundary parameter was left unfolded on a line of its own.
_BROKEN = "----=_Part_7_1.1"
GATEWAY_NO_SUCH_USER = message({"From": "post_master@sms.millbrook.gov.uk", "Subject": "Re:Freedom of Information request",
                                "Content-Type": 'multipart/mixed; boundary="----=_Part_6_1.1"'}, (
    "------=_Part_6_1.1\nContent-Type: multipart/alternative;\n"
    f'boundary="{_BROKEN}"\n\n--{_BROKEN}\nContent-Type: text/plain; charset=us-ascii\n\n'
    "Error: Invalid user address\n\nError message below:\n550 - Requested action not taken: no such user here\n\n"
    f"Message details:\n  Subject: Freedom of Information request\n  RCPT TO: {THEIRS}\n\n"
    f"--{_BROKEN}--\n\n------=_Part_6_1.1--\n"))

# --- delay warnings ----------------------------------------------------------------------------------
DELAY_REPORT = report("delayed", "4.4.1", subject="Delivery Status Notification (Delay)",
                      human="Delivery to the following recipient has been delayed:\n\n     " + THEIRS)
POSTFIX_DELAY_INLINE = message({"From": "MAILER-DAEMON@mx.example.org", "Subject": "Delayed Mail (still being retried)"}, (
    "This is the mail system at host mx.example.org.\n\n"
    "####################################################################\n"
    "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
    "####################################################################\n\n"
    "Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n"
    f"<{THEIRS}>: connect to mx.millbrook.gov.uk[192.0.2.8]:25: Connection timed out\n\n"
    f"Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; {THEIRS}\nAction: delayed\nStatus: 4.4.1\n"),
    null_sender=True)
SENDMAIL_WARNING = message({"From": "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>",
                            "Subject": "Warning: could not send message for past 4 hours"}, (
    "    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n"
    "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\n"
    "The original message was received at Mon, 22 May 2023 05:10:00 +0100\n\n"
    "   ----- Transcript of session follows -----\n"
    f"<{THEIRS}>... Deferred: Connection timed out with mx.millbrook.gov.uk.\n"
    "Warning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n"),
    null_sender=True)
# A mail filter passing on, attached whole, the delay report it received from further down the line.
_INNER = DELAY_REPORT.split(b"\r\n", 1)[1].decode()  # without our Return-Path line
NESTED_DELAY = message({"From": "Mail Filter <filter@gw.millbrook.gov.uk>", "Subject": "Notice",
                        "Content-Type": 'multipart/mixed; boundary="outer-55"'}, (
    '--outer-55\nContent-Type: text/plain\n\nThe attached notice concerns your message.\n\n'
    "--outer-55\nContent-Type: message/rfc822\n\n" + _INNER.replace("\r\n", "\n") + "\n--outer-55--\n"),
    null_sender=True)

# --- auto-replies ------------------------------------------------------------------------------------
RFC3834 = message({"From": "J. Officer <j.officer@millbrook.gov.uk>", "Subject": "Re: your message",
                   "Auto-Submitted": "auto-replied"}, "Thanks, I will read your message later.\n")
X_AUTOREPLY = from_officer("Re: your message", headers={"X-Autoreply": "yes"})
PRECEDENCE_AUTO = from_officer("Re: your message", headers={"Precedence": "auto_reply"})
APPLE_VACATION = from_officer("Re: your message", headers={"X-Apple-Action": "vacation"})
GERMAN_SUBJECT = from_officer("Abwesenheitsnotiz: Anfrage", "Vielen Dank für Ihre Nachricht.\n")
FRENCH_SUBJECT = from_officer("Réponse automatique : Demande", "Merci pour votre message.\n")
WELSH_SUBJECT = from_officer("Ateb awtomatig: Cais", "Diolch am eich neges.\n")
BRACKETED_SUBJECT = message({"From": "desk@helpdesk.example", "Subject": "[helpdesk #4471] AutoReply: Request"},
                            "Your ticket has been created.\n")
DUTCH_TEXT = from_officer("Re: Verzoek", "Ik ben afwezig tot maandag 5 juni. Uw bericht wordt niet doorgestuurd.\n")
SPANISH_TEXT = from_officer("Re: Solicitud",
                            "Estoy fuera de la oficina hasta el lunes. Responderé a su mensaje a mi regreso.\n")
READ_RECEIPT = from_officer("Read: Freedom of Information request", "Your message was read on 22 May 2023 09:20.\n",
                            null_sender=True)
BULK_VACATION = from_officer("Out of Office: Freedom of Information request", "I am away this week.\n",
                             {"Precedence": "bulk"})
MAILER_VACATION = from_officer("Re: Request", "Thanks for your message.\n", {"X-Mailer": "vacation 1.2.7"})
JAPANESE_SUBJECT = from_officer("自動応答: Request", "ありがとうございます。\n")
BULK_VACATION_REPLY = from_officer("Re: Freedom of Information request",
                                   "I am out of the office until 5 June with no access to e-mail.\n", {"Precedence": "bulk"})
BULK_VACATION_GERMAN = from_officer("AW: Anfrage", "Ich bin bis zum 5. Juni nicht im Büro.\n",
                                    {"Precedence": "bulk", "In-Reply-To": OUR_ID})
EXCHANGE_2003 = from_officer("Out of Office AutoReply: Request", "Back on Monday.\n", {"Precedence": "bulk"})
OLD_VACATION_JUNK = from_officer("[Odpowiedź automatyczna] Request", "Dziękuję za wiadomość.\n",
                                 {"Precedence": "junk"})

# --- not automatic: list and bulk mail, people -------------------------------------------------------
LIST_OUT_OF_OFFICE_WORDS = message({
    "From": "A Member <member@lists.example>", "Subject": "Re: out of office replies to the list",
    "List-Id": "Records managers <records.lists.example>", "List-Unsubscribe": "<mailto:leave@lists.example>",
    "Precedence": "list"}, "I am out of the office until Monday, so this is short: the auto-replies go to the list.\n")
BULK_NEWSLETTER = message({"From": "news@council-news.example", "Subject": "Automatic reply settings explained",
                           "Precedence": "bulk"}, "Our newsletter: how to set an automatic reply before you go on "
                           "leave. Mail that could not be delivered comes back to you.\n")
MAILMAN_BOUNCE_DISCUSSION = message({
    "From": "B Member <b@lists.example>", "Subject": "Re: Undeliverable messages from the portal",
    "X-Mailman-Version": "2.1.29", "List-Post": "<mailto:list@lists.example>"},
    "We saw 'Delivery has failed to these recipients' for every message; user unknown each time.\n")
PERSON = message({"From": "C Person <c.person@example.net>", "Subject": "Re: our meeting"},
                 "Thanks, that works for me. The report is attached. See you on Monday.\n")
# An authority's acknowledgement sent with a null envelope sender and our request attached, that mentions a
# rejection: still an acknowledgement, never a bounce.
NULL_SENDER_ACKNOWLEDGEMENT = message({
    "From": "FOI Team <foi@millbrook.gov.uk>", "Subject": "Your request FOI-2023-0412",
    "Content-Type": 'multipart/mixed; boundary="ack-1"'}, (
    "--ack-1\nContent-Type: text/plain\n\nThank you for your request for information, received on 22 May 2023 "
    "and logged under reference FOI-2023-0412. We will respond within 20 working days. A request that has been "
    "rejected before may be made again.\n\n--ack-1\nContent-Type: message/rfc822\n\n"
    + _returned() + "\n--ack-1--\n"), null_sender=True)
# A person at the authority passing on a bounce from their old address.
FORWARDED_BOUNCE = message({"From": "A. Officer <a.officer@millbrook.gov.uk>",
                            "Subject": "FW: Undeliverable: Freedom of Information request"}, (
    "Hello, your e-mail went to our old address; please use foi@millbrook.gov.uk.\n\n"
    "-----Original Message-----\nFrom: postmaster@old.millbrook.gov.uk\nSubject: Undeliverable\n\n"
    "Delivery has failed to these recipients or groups:\n\nfoi-old@millbrook.gov.uk\n"))
# An authority's case system acknowledging this request automatically: an acknowledgement, not an auto-reply.
AUTOMATIC_ACKNOWLEDGEMENT = message({
    "From": "FOI Team <foi@millbrook.gov.uk>", "Subject": "Automatic reply: Freedom of Information request",
    "Auto-Submitted": "auto-replied"}, (
    "Thank you for your request for information, which we received on 22 May 2023. It has been logged under "
    "reference FOI-2023-0412 and we will respond within 20 working days, by 20 June 2023.\n"))

# --- found by a blind set of messages written apart from the rules (3 December 2026), in our own words ---
# A filtering gateway's notice in HTML only, no report part: "rejected by policy ... has not been delivered"
# is a failure, not a delay warning ("has not been delivered" is no "not yet").
_HTML = (f"<html><body><p><b>Your message couldn't be delivered</b></p><p>Your message to <b>{THEIRS}</b> was "
         "rejected by the recipient's email security policy and has not been delivered.</p><table><tr><td>Reason:"
         "</td><td>550 Rejected by header based policy</td></tr></table></body></html>")
HTML_POLICY_REJECTION = message({
    "From": "Gateway Postmaster <postmaster@millbrook.gov.uk>", "Auto-Submitted": "auto-generated",
    "Subject": "Undeliverable Message - Freedom of Information request",
    "Content-Type": 'multipart/mixed; boundary="gw-1"'}, (
    f"--gw-1\nContent-Type: text/html; charset=utf-8\n\n{_HTML}\n\n--gw-1\nContent-Type: text/rfc822-headers\n\n"
    + _returned().split("\n\n")[0] + "\n\n--gw-1--\n"), null_sender=True)
# A colleague forwarding a bounce, attached whole: for a person to read, not a bounce of ours.
FORWARDED_BOUNCE_ATTACHED = message({
    "From": "R. Colleague <r.colleague@example.org>", "Subject": "Fwd: Mail delivery failed: returning message to sender",
    "Content-Type": 'multipart/mixed; boundary="fw-2"'}, (
    "--fw-2\nContent-Type: text/plain\n\nThis came back when I sent the request from the shared account. Shall I "
    "resend it to the new address?\n\n--fw-2\nContent-Type: message/rfc822\n\n"
    "From: Mail Delivery System <Mailer-Daemon@relay.example.org>\nSubject: Mail delivery failed: returning message "
    "to sender\nAuto-Submitted: auto-replied\nX-Failed-Recipients: foi-old@millbrook.gov.uk\n\n"
    "A message that you sent could not be delivered to one or more of its recipients. This is a permanent error. "
    "The following address(es) failed:\n\n  foi-old@millbrook.gov.uk\n\n--fw-2--\n"))
# An officer back at work, saying where they were; and one answering their own automatic reply.
BACK_FROM_LEAVE = message({"From": f"J. Officer <{OFFICER}>", "Subject": "Re: Freedom of Information request"}, (
    "Hello,\n\nSorry for the slow reply - I was out of office for most of last week. Your request is now logged "
    "as FOI-2023-0612 and you should hear from us by 30 June.\n\nJ. Officer\n"))
ANSWERING_AN_AUTO_REPLY = message({"From": f"J. Officer <{OFFICER}>",
                                   "Subject": "RE: Automatic reply: Freedom of Information request"}, (
    "Hi,\n\nI'm back now and have picked up your request - sorry you only got my automatic reply before. I will "
    "send you the figures by 15 June.\n\nJ. Officer\n\n-----Original Message-----\nFrom: J. Officer\nSubject: "
    "Automatic reply: Freedom of Information request\n\nI am on annual leave until Monday 5 June.\n"))
# A bilingual mailbox receipt sent automatically to anyone who writes: no request, no reference, no date.
WELSH_GENERIC_RECEIPT = message({"From": "Gwybodaeth / Information <gwybodaeth@millbrook.gov.uk>",
                                 "Subject": "Ateb awtomatig: Freedom of Information request",
                                 "Auto-Submitted": "auto-generated"}, (
    "Diolch am eich e-bost. Mae'r neges hon yn cadarnhau ein bod wedi'i derbyn. Byddwn yn ymateb cyn gynted â "
    "phosibl.\n\nThank you for your e-mail. This message confirms that we have received it. We will respond as "
    "soon as possible.\n"))
# A person writing under their mailbox's automatic reply, quoted below: "our automatic reply went out without
# a reference" speaks of one.
ABOUT_OUR_AUTO_REPLY = message({"From": f"J. Officer <{OFFICER}>", "Subject": "Re: Freedom of Information request",
                                "In-Reply-To": "<auto.1@millbrook.gov.uk>"}, (
    "Dear Requester,\n\nOur automatic reply (below) went out without a reference number, sorry. Your request is "
    "now logged and we will reply by 4 March.\n\nJ. Officer\n\nOn 4 Feb, FOI <foi@millbrook.gov.uk> wrote:\n"
    "> Thank you for your email.\n> Please do not reply to this automatic message.\n"))
