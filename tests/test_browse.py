"""What the workspace lists (publish.browse), checked against the outcome CSV it must agree with, on the
hand-built campaign of the outcome tests: filters, orders, paging, the due date in words, and that the
table kept between pages follows every commit, by this process or another."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from support.outcomes import NOW, build

from foibot.errors import InputError
from foibot.lifecycle import withdraw
from foibot.publish import RequestQuery, list_requests, request_detail, select_requests, write_csv
from foibot.store import open_store


@pytest.fixture
def built(tmp_path: Path):
    return build(tmp_path)


def _csv(store) -> list[dict[str, str]]:
    out = io.StringIO(newline="")
    write_csv(store, out, NOW)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_the_filters_agree_with_the_outcome_csv(built) -> None:
    rows = _csv(built.store)
    for status in {r["status"] for r in rows}:
        listed = {o.reference for o in select_requests(built.store, NOW, RequestQuery(status=status))}
        assert listed == {r["reference"] for r in rows if r["status"] == status}, status
    scottish = select_requests(built.store, NOW, RequestQuery(jurisdiction="scotland"))
    assert [o.reference for o in scottish] == [r["reference"] for r in rows if r["jurisdiction"] == "scotland"]
    none_yet = select_requests(built.store, NOW, RequestQuery(outcome="none"))
    assert {o.reference for o in none_yet} == {r["reference"] for r in rows if not r["outcome"]}
    assert [o.reference for o in select_requests(built.store, NOW, RequestQuery(text="ca226"))] == ["FB-DDDDD2"]


def test_descending_orders_keep_ties_a_to_z(built) -> None:
    late = select_requests(built.store, NOW, RequestQuery(sort="late", descending=True))
    keys = [(-(o.days_late or 0), o.authority.lower()) for o in late]
    assert keys == sorted(keys)
    late_enough = select_requests(built.store, NOW, RequestQuery(late=5))
    assert late_enough and all((o.days_late or 0) >= 5 for o in late_enough)


def test_pages_and_bad_parameters(built) -> None:
    total = len(select_requests(built.store, NOW, RequestQuery()))
    page = list_requests(built.store, NOW, RequestQuery(per_page=5, page=99))
    assert (page.total, page.pages, page.query.page) == (total, -(-total // 5), -(-total // 5))
    assert len(page.rows) == total - 5 * (page.pages - 1)
    with pytest.raises(InputError, match="page must be a whole number"):
        RequestQuery.from_params({"page": "two"})
    with pytest.raises(InputError, match="sort must be one of"):
        RequestQuery.from_params({"sort": "evil"})


def test_the_kept_table_follows_every_commit(built, tmp_path: Path) -> None:
    store = built.store
    assert list_requests(store, NOW, RequestQuery(status="withdrawn")).total == 1
    other = open_store(tmp_path / "foibot.db", tmp_path / "files")  # another connection, as the daemon's
    withdraw(other, str(built.ids["silent"]), NOW)
    other.close()
    assert list_requests(store, NOW, RequestQuery(status="withdrawn")).total == 2
    withdraw(store, str(built.ids["barnet"]), NOW)  # and this connection's own commit
    assert list_requests(store, NOW, RequestQuery(status="withdrawn")).total == 3


def test_the_due_date_in_words(built) -> None:
    detail = request_detail(built.store, NOW, str(built.ids["barnet"]))
    assert detail.due_why[0] == "sent 2023-04-17: day 0"
    assert detail.due_why[-1] == "due 2023-05-17"
    assert [e.direction for e in detail.entries][:1] == ["out"]
