"""Layered matching over plain data: each layer, their order, ambiguity, domains, and never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.collect.matching import Directory, ReplyFacts, RequestInfo, match_reply, organisation_domain
from foibot.references import check_char

ME = "campaigner@example.org"


def ref(payload: str) -> str:
    return f"FB-{payload}{check_char(payload)}"


BARNET, CAMDEN, MET, PARISH, HARROW_OLD, HARROW = (ref(p) for p in ("BARNT", "CAMDN", "METPS", "PARSH",
                                                                       "HARRW", "HARRX"))
REQUESTS = [
    RequestInfo(1, BARNET, "barnet", "foi@barnet.gov.uk", authority_ref="9645568", authority_name="Barnet"),
    RequestInfo(2, CAMDEN, "camden", "foi@camden.gov.uk", authority_name="Camden"),
    RequestInfo(3, MET, "met", "foi@met.police.uk", other_emails=("foi@met.pnn.police.uk",), authority_name="MPS"),
    RequestInfo(4, PARISH, "parish", "clerk.parish@gmail.com", authority_name="Parish"),
    RequestInfo(5, HARROW_OLD, "harrow", "info@harrow.gov.uk", status="answered", authority_name="Harrow"),
    RequestInfo(6, HARROW, "harrow", "info@harrow.gov.uk", authority_name="Harrow"),
    RequestInfo(7, ref("QUEUE"), "queued", "foi@queued.gov.uk", status="queued"),
    RequestInfo(8, ref("BRMMY"), "bromley", "foi@bromley.gov.uk", status="withdrawn", authority_ref="FOI-2231"),
]
OUTGOING = {"<fb-barnt.request.1@example.org>": 1, "<fb-camdn.request.2@example.org>": 2,
            "<fb-camdn.reminder.3@example.org>": 2, "<fb-metps.request.4@example.org>": 3}


def directory(**changes) -> Directory:
    return Directory(changes.get("requests", REQUESTS), OUTGOING, changes.get("hints", {}), (ME,))


def facts(**fields) -> ReplyFacts:
    fields.setdefault("from_addr", "someone@elsewhere.example")
    fields.setdefault("to_addrs", (ME,))
    return ReplyFacts(**fields)


# --- each layer on its own, and the order ---------------------------------------------------------------------

@pytest.mark.parametrize("reply, request_id, method", [
    (facts(to_addrs=(f"campaigner+{BARNET.lower()}@example.org",)), 1, "plus_address"),
    (facts(to_addrs=(f"Campaigner+{BARNET.lower().replace('-', '')}@Example.org",)), 1, "plus_address"),
    (facts(in_reply_to=("<fb-metps.request.4@example.org>",)), 3, "in_reply_to"),
    (facts(in_reply_to=("<FB-METPS.REQUEST.4@EXAMPLE.ORG>",)), 3, "in_reply_to"),
    (facts(references=("<other@x>", "<fb-camdn.reminder.3@example.org>")), 2, "references"),
    (facts(subject=f"FOI 9645568 - your request [ref {CAMDEN}]"), 2, "reference_subject"),
    (facts(subject=f"Re: request ref {CAMDEN.lower().replace('-', ' ')}"), 2, "reference_subject"),
    (facts(subject=f"ref {CAMDEN.replace('A', 'А')}"), 2, "reference_subject"),  # Cyrillic A
    (facts(subject="Your request", text=f"Dear requester, ({MET}) is answered."), 3, "reference_body"),
    (facts(attachment_texts=(f"Your ref: {MET}\nOur ref: 1234",)), 3, "reference_attachment"),
    (facts(forwarded=(facts(in_reply_to=("<fb-barnt.request.1@example.org>",)),)), 1, "forwarded"),
    (facts(subject="Response to 9645568", from_addr="x@barnet.gov.uk"), 1, "authority_ref"),
    (facts(from_addr="foi@met.pnn.police.uk"), 3, "sender_address"),
    (facts(from_addr="Foi@Camden.gov.uk"), 2, "sender_address"),
    (facts(from_addr="a.person@camden.gov.uk"), 2, "sender_domain"),
    (facts(from_addr="a.person@foi.camden.gov.uk"), 2, "sender_domain"),
    (facts(from_addr="a.person@camden.gcsx.gov.uk"), 2, "sender_domain"),
    (facts(from_addr="records@harrow.gov.uk"), 6, "sender_domain"),  # its only open request
])
def test_each_layer_alone(reply: ReplyFacts, request_id: int, method: str) -> None:
    match = match_reply(reply, directory())
    assert (match.request_id, match.method) == (request_id, method)
    assert 0.5 <= match.confidence <= 1.0 and match.detail["why"]


def test_their_reference_from_another_domain_does_not_file_it() -> None:
    # Issue 13: references collide across authorities ("2023/0456"): one learned from Barnet files only mail
    # from Barnet (its domain, or a sender filed under it by hand).
    reply = facts(subject="Response to 9645568", from_addr="noreply@icasework.example")
    assert match_reply(reply, directory()).request_id is None
    taught = directory(hints={"noreply@icasework.example": "barnet"})
    assert match_reply(reply, taught).request_id == 1


def test_layers_are_tried_most_certain_first() -> None:
    reply = facts(to_addrs=(f"campaigner+{BARNET.lower()}@example.org",), in_reply_to=("<fb-metps.request.4@example.org>",),
                  subject=f"ref {CAMDEN}", from_addr="foi@camden.gov.uk")
    match = match_reply(reply, directory())
    assert (match.request_id, match.method) == (1, "plus_address")
    assert match.detail["conflicts"] == [CAMDEN, MET] and match.confidence < 0.99


def test_agreeing_clues_keep_full_confidence() -> None:
    reply = facts(in_reply_to=("<fb-barnt.request.1@example.org>",), subject=f"Re: [ref {BARNET}]",
                  from_addr="foi@barnet.gov.uk")
    match = match_reply(reply, directory())
    assert (match.request_id, match.method, match.confidence) == (1, "in_reply_to", 0.98)
    assert "conflicts" not in match.detail


# --- what goes to triage ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply, why", [
    (facts(subject="Spring sale", from_addr="offers@shop.example"), "no clue"),
    (facts(subject=f"Joint reply {BARNET} {CAMDEN}"), "names 2"),
    (facts(text=f"About {BARNET} and also {MET}", from_addr="foi@barnet.gov.uk"), "names 2"),
    (facts(from_addr="someone@gmail.com"), "no clue"),  # a shared domain says nothing (the parish uses gmail)
    (facts(from_addr="someone@gov.uk"), "no clue"),  # a public suffix is no organisation
    (facts(subject="FB-BARNTX is not a valid reference"), "no clue"),  # wrong check character
    (facts(subject="Re: 226"), "no clue"),
])
def test_unmatched_replies_go_to_triage(reply: ReplyFacts, why: str) -> None:
    match = match_reply(reply, directory())
    assert match.request_id is None and not match.filed
    assert why in match.detail["why"]


def test_two_references_list_both_as_candidates() -> None:
    match = match_reply(facts(subject=f"{BARNET} / {CAMDEN}"), directory())
    assert match.method == "ambiguous"
    assert [c["reference"] for c in match.detail["candidates"]] == [BARNET, CAMDEN]
    assert match.detail["found"]["references"] == [BARNET, CAMDEN]


def test_a_stronger_layer_settles_two_references() -> None:
    match = match_reply(facts(subject=f"{BARNET} / {CAMDEN}", in_reply_to=("<fb-barnt.request.1@example.org>",)),
                        directory())
    assert (match.request_id, match.method) == (1, "in_reply_to")


def test_an_authority_with_two_open_requests_is_not_guessed() -> None:
    requests = [*REQUESTS, RequestInfo(9, ref("CAMD2"), "camden", "foi@camden.gov.uk")]
    match = match_reply(facts(from_addr="foi@camden.gov.uk"), directory(requests=requests))
    assert match.request_id is None and match.method == "ambiguous"
    assert sorted(match.candidates) == [2, 9]


def test_an_authority_with_no_open_request_suggests_its_closed_ones() -> None:
    match = match_reply(facts(from_addr="foi@bromley.gov.uk"), directory())
    assert match.request_id is None
    assert match.candidates == [8]


def test_replies_to_closed_requests_are_filed_by_a_certain_clue() -> None:
    for reply in (facts(subject=f"Re: [ref {HARROW_OLD}]"),
                  facts(subject="FOI-2231 correction", from_addr="foi@bromley.gov.uk")):
        match = match_reply(reply, directory())
        assert match.request_id in (5, 8) and match.filed


def test_unknown_references_are_reported() -> None:
    other = ref("ZZZZZ")
    match = match_reply(facts(subject=f"ref {other}"), directory())
    assert match.detail["found"]["unknown_references"] == [other]


def test_our_own_message_is_recognised_and_not_filed() -> None:
    match = match_reply(facts(message_id="<fb-barnt.request.1@example.org>", subject=f"[ref {BARNET}]",
                              from_addr=ME), directory())
    assert (match.request_id, match.method) == (None, "own_message")
    assert match.candidates == [1]


def test_our_message_id_on_mail_from_someone_else_is_suspicious_not_ours() -> None:
    # Issue 13: such a reply was taken as our own and vanished (neither filed nor in triage).
    match = match_reply(facts(message_id="<fb-barnt.request.1@example.org>", subject=f"[ref {BARNET}]",
                              from_addr="foi@barnet.gov.uk"), directory())
    assert (match.request_id, match.method) == (None, "none")
    assert "suspicious" in match.detail["why"] and match.candidates == [1]


# --- sender hints -----------------------------------------------------------------------------------------------

def test_a_sender_taught_by_the_campaigner_finds_its_authority() -> None:
    reply = facts(from_addr="helpdesk@outsourced.example")
    assert match_reply(reply, directory()).request_id is None
    match = match_reply(reply, directory(hints={"helpdesk@outsourced.example": "met"}))
    assert (match.request_id, match.method) == (3, "sender_hint")


def test_a_domain_hint() -> None:
    match = match_reply(facts(from_addr="anyone@outsourced.example"), directory(hints={"@outsourced.example": "met"}))
    assert (match.request_id, match.method) == (3, "sender_domain")


# --- bounces ----------------------------------------------------------------------------------------------------

def test_a_bounce_is_linked_by_the_message_id_it_carries() -> None:
    reply = facts(is_dsn=True, from_addr="mailer-daemon@mx.example", dsn_original_message_id="<fb-camdn.request.2@example.org>",
                  dsn_failed_recipients=("foi@camden.gov.uk",))
    match = match_reply(reply, directory())
    assert (match.request_id, match.method) == (2, "bounce_message_id")


def test_a_bounce_is_linked_by_the_failed_address() -> None:
    untrusted = facts(is_dsn=True, from_addr="mailer-daemon@mx.example", dsn_failed_recipients=("FOI@met.police.uk",))
    assert match_reply(untrusted, directory()).request_id is None  # anyone can send it: issue 13
    reply = facts(is_dsn=True, from_addr="mailer-daemon@mx.example", dsn_failed_recipients=("FOI@met.police.uk",),
                  to_addrs=(f"campaigner+{MET.lower()}@example.org",))
    match = match_reply(reply, directory())
    assert (match.request_id, match.method) == (3, "bounce_address")
    assert match.detail["found"]["failed_recipients"] == ["foi@met.police.uk"]


def test_a_bounce_for_an_address_of_two_requests_needs_another_clue() -> None:
    reply = facts(is_dsn=True, from_addr="mailer-daemon@mx.example", dsn_failed_recipients=("info@harrow.gov.uk",))
    assert match_reply(reply, directory()).method == "none"  # untrusted: no Message-ID, not to a reply address
    with_ref = facts(is_dsn=True, from_addr="mailer-daemon@mx.example", dsn_failed_recipients=("info@harrow.gov.uk",),
                     text=f"Subject: Freedom of Information request [ref {HARROW}]",
                     to_addrs=(f"campaigner+{HARROW.lower()}@example.org",))
    match = match_reply(with_ref, directory())
    assert (match.request_id, match.method) == (6, "bounce_address")


def test_a_bounce_at_one_requests_address_naming_another_fails_neither() -> None:
    # Issue 13 (defect 9): bounce matching ran before the per-request address, so a bounce sent to Camden's
    # reply address naming the Met's address failed the Met's request.
    reply = facts(is_dsn=True, from_addr="mailer-daemon@mx.example", dsn_failed_recipients=("foi@met.police.uk",),
                  to_addrs=(f"campaigner+{CAMDEN.lower()}@example.org",))
    match = match_reply(reply, directory())
    assert match.request_id != 3
    assert match.method != "bounce_address"


def test_an_unreferenced_reply_from_a_sender_failing_dmarc_goes_to_triage() -> None:
    # Issue 13 (defect 8): a forged From: of an authority, none of our references, and dmarc=fail in the
    # receiving server's own Authentication-Results set that authority's outcome.
    forged = facts(from_addr="foi@camden.gov.uk", subject="Your request", auth_failed="dmarc")
    match = match_reply(forged, directory())
    assert match.request_id is None and "DMARC" in match.detail["why"]
    assert match_reply(facts(from_addr="foi@camden.gov.uk", subject="Your request"), directory()).request_id == 2
    # One of our references is evidence of its own: the check's failure alone does not send it to triage.
    referenced = facts(from_addr="foi@camden.gov.uk", subject=f"Re: [ref {CAMDEN}]", auth_failed="dmarc")
    assert match_reply(referenced, directory()).request_id == 2


def test_only_the_receiving_servers_own_authentication_results_count() -> None:
    from foibot.collect.matching import sender_check_failed

    assert sender_check_failed(["mx.example.org; spf=pass; dkim=none; dmarc=fail header.from=camden.gov.uk"]) == "dmarc"
    assert sender_check_failed(["mx.example.org; spf=pass; dmarc=pass", "forged; dmarc=fail"]) is None
    assert sender_check_failed([]) is None


# --- domains ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("domain, organisation", [
    ("barnet.gov.uk", "barnet.gov.uk"),
    ("FOI.Barnet.gov.uk", "barnet.gov.uk"),
    ("barnet.gcsx.gov.uk", "barnet.gov.uk"),
    ("met.pnn.police.uk", "met.police.uk"),
    ("mail.met.police.uk", "met.police.uk"),
    ("gov.uk", "gov.uk"),
    ("nhs.net", "nhs.net"),
    ("trust.nhs.uk", "trust.nhs.uk"),
    ("example.org", "example.org"),
    ("a.b.example.org", "example.org"),
    ("council.gov.scot", "council.gov.scot"),
])
def test_organisation_domain(domain: str, organisation: str) -> None:
    assert organisation_domain(domain) == organisation


# --- never a crash, never a wrong filing by a mangled reference ---------------------------------------------------

text_strategy = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(subject=text_strategy, text=text_strategy, sender=st.emails() | text_strategy,
       ids=st.lists(text_strategy, max_size=3), dsn=st.booleans())
def test_match_reply_never_raises(subject: str, text: str, sender: str, ids: list[str], dsn: bool) -> None:
    reply = ReplyFacts(subject=subject, text=text, from_addr=sender, in_reply_to=tuple(ids), references=tuple(ids),
                       to_addrs=(sender,), is_dsn=dsn, dsn_failed_recipients=(sender,),
                       dsn_original_message_id=ids[0] if ids else None)
    match = match_reply(reply, directory())
    assert match.request_id is None or match.request_id in {r.id for r in REQUESTS}
    assert match.request_id is not None or match.method in ("none", "ambiguous", "own_message")


@settings(max_examples=100, deadline=None)
@given(noise=st.sampled_from(["", " ", "-", "  "]), lower=st.booleans(), prefix=text_strategy.filter(
    lambda s: not s[-1:].isalnum()))
def test_a_mangled_reference_in_the_subject_still_files(noise: str, lower: bool, prefix: str) -> None:
    code = BARNET[3:]
    mangled = "FB" + noise + code[:3] + noise.strip() + code[3:]
    if lower:
        mangled = mangled.lower()
    match = match_reply(facts(subject=prefix + " " + mangled + " end"), directory())
    assert (match.request_id, match.method) == (1, "reference_subject")
