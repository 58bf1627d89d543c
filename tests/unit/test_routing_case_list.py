"""``GET /api/v1/cases``: newest first through an index, not a sort of the locality's cases, and
a total counted only up to a cap — exact below it, a lower bound (``total_is_lower_bound``)
above it — so that a page of a locality with 100,000 cases does not read them all
(bench/README.md, "inbox"). On a migrated SQLite database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from giaitrinh_routing.adapters.case_queries import COUNT_CAP, case_ids_page
from giaitrinh_routing.adapters.inbox_queries import CaseFilters
from giaitrinh_routing.entrypoints.web import create_app
from giaitrinh_routing.service_layer.handlers import on_request_submitted
from tests.support.factories import LOCALITY, request_submitted
from tests.support.signed_in import Clock, signed_in_client, signing_keys, signing_routing

MONDAY = datetime(2026, 11, 2, 2, tzinfo=UTC)


@pytest.fixture
def routing(bus, sqlite_url, tmp_path):
    with signing_routing(bus, sqlite_url("routing"), signing_keys(tmp_path), Clock(MONDAY)) as runtime:
        yield runtime


def open_cases(runtime, n: int, **data) -> list[str]:
    """``n`` cases registered an hour apart; their ids, oldest first."""
    ids = []
    for i in range(n):
        at = MONDAY + timedelta(hours=i)
        runtime.clock = lambda at=at: at.timestamp()
        event = request_submitted(submitted_at=at.isoformat(), **data)
        with runtime.unit_of_work() as uow:
            uow.claim("routing", event)
            on_request_submitted(event, uow, runtime.now(), runtime.rules, runtime.calendar)
            uow.commit()
        with runtime.unit_of_work() as uow:
            ids.append(uow.cases.for_request(event.subject).id)
    return ids


def page(runtime, cap: int, **filters):
    with runtime.unit_of_work() as uow:
        return case_ids_page(uow.session, localities={LOCALITY}, filters=CaseFilters(**filters),
                             offset=0, limit=2, cap=cap)


def test_the_list_counts_exactly_up_to_its_cap_and_says_its_total_is_a_lower_bound_past_it(routing):
    open_cases(routing, 4)
    assert (page(routing, cap=4).total, page(routing, cap=4).total_is_lower_bound) == (4, False)
    assert (page(routing, cap=3).total, page(routing, cap=3).total_is_lower_bound) == (3, True)
    filtered = page(routing, cap=3, field="construction")  # the cap counts what matches the filters
    assert (filtered.total, filtered.total_is_lower_bound, filtered.ids) == (0, False, [])


def test_the_list_is_newest_first(routing):
    ids = open_cases(routing, 3)
    assert page(routing, cap=COUNT_CAP).ids == [ids[2], ids[1]]


def test_the_newest_first_list_walks_an_index_and_sorts_nothing(routing):
    with routing.unit_of_work() as uow:
        query = (sa.select(sa.column("id")).select_from(sa.table("cases"))
                 .where(sa.column("locality_code") == LOCALITY)
                 .order_by(sa.column("registered_at").desc(), sa.column("id").desc()).limit(50))
        sql = str(query.compile(uow.session.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in uow.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_cases_newest" in plan and "TEMP B-TREE" not in plan, plan


def test_the_list_api_says_whether_its_total_is_exact(routing):
    open_cases(routing, 2)
    client = signed_in_client(create_app(routing), "chu-tich", role="locality_head", unit=None)
    got = client.get("/api/v1/cases?per_page=1").json
    assert (got["total"], got["total_is_lower_bound"], len(got["items"])) == (2, False, 1)
