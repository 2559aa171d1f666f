"""A Directory updated during a pass (new status, learned reference) reads as one built afresh from the requests."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.collect.matching import Directory, RequestInfo

REFS = st.sampled_from([None, "FOI-1234", "FOI 1234", "CA226", "9645568", "EIR/2023/114", "FOI-1234;CA226", "12"])
STATUSES = st.sampled_from(["awaiting_response", "answered", "internal_review", "failed"])


def _requests(refs: list[str | None]) -> list[RequestInfo]:
    return [RequestInfo(id=n + 1, reference=f"FB-{n:06d}", authority_id=f"body-{n}",
                        authority_email=f"foi@body{n}.gov.uk", authority_ref=ref) for n, ref in enumerate(refs)]


def _view(directory: Directory, texts: list[str]) -> tuple[object, ...]:
    """What the matcher reads (the order of requests found by a reference does not matter)."""
    return (list(directory.requests), directory.by_id, [sorted(directory.find_authority_refs(t)) for t in texts],
            directory.open_requests(r.authority_id for r in directory.requests))


@settings(max_examples=200, deadline=None)
@given(refs=st.lists(REFS, min_size=1, max_size=6),
       updates=st.lists(st.tuples(st.integers(0, 5), REFS, STATUSES), max_size=12))
def test_updates_in_place_match_a_directory_built_afresh(refs: list[str | None],
                                                         updates: list[tuple[int, str | None, str]]) -> None:
    requests = _requests(refs)
    directory = Directory(requests)
    for index, ref, status in updates:
        if index >= len(requests):
            continue
        requests[index] = replace(requests[index], authority_ref=ref, status=status)
        directory.update_request(requests[index])
    texts = ["Our ref: FOI-1234", "ref CA226 and 9645568", "EIR/2023/114", "nothing here 12"]
    assert _view(directory, texts) == _view(Directory(list(requests)), texts)
