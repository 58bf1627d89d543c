"""Routing's concurrency rules on a real PostgreSQL: two officials on one case, two appends to
the audit log, two deadline watchers — one wins, nothing forks, nothing is raised twice."""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_routing.adapters.repository import AuditHeadMoved, SqlAuditTrail, read_audit_log
from giaitrinh_routing.domain.audit import AuditEntry, first_break
from giaitrinh_routing.domain.case import Actor, Role, VersionConflict
from giaitrinh_routing.service_layer.handlers import ActOnCase, act_on_case
from tests.support.factories import migrated_runtime, request_submitted, serve_in_routing

HEAD = Actor("u-1", Role.LOCALITY_HEAD, frozenset({"18880"}))  # heads act on any unit's case


def entry(n: int) -> AuditEntry:
    return AuditEntry(f"2026-11-02T02:00:0{n}+00:00", "u-1", "official", "case", f"c-{n}", "accept", {})


@pytest.fixture
def routing(postgres_url):
    runtime = migrated_runtime("routing", postgres_url, InMemoryBus())
    runtime.clock = lambda: datetime(2026, 11, 2, 2, tzinfo=UTC).timestamp()
    yield runtime
    runtime.close()


def test_a_second_append_racing_the_first_fails_instead_of_forking_the_chain(routing):
    with routing.storage.sessions() as session:
        SqlAuditTrail(session).append([entry(1)])
        session.commit()
    first = routing.storage.sessions()
    SqlAuditTrail(first).append([entry(2)])  # holds the head until it commits
    outcome: list[object] = []

    def second():
        with routing.storage.sessions() as session:
            try:
                SqlAuditTrail(session).append([entry(3)])
                session.commit()
                outcome.append("appended")
            except (AuditHeadMoved, sa.exc.IntegrityError) as exc:
                outcome.append(type(exc).__name__)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # let the second block on the first's uncommitted head
    first.commit()
    first.close()
    thread.join(30)
    assert outcome and outcome[0] != "appended"
    with routing.storage.sessions() as session:
        rows, head = read_audit_log(session)
    assert [r.seq for r in rows] == [1, 2] and first_break(rows, head) is None


def test_two_officials_on_one_case_one_wins_the_other_gets_a_conflict(routing):
    serve_in_routing(routing)  # routing opens cases only for localities its registry serves
    event = request_submitted(submitted_at="2026-11-02T01:00:00+00:00")
    with routing.unit_of_work() as uow:
        uow.claim("routing", event)
        routing.handlers()[event.type](event, uow)
        uow.commit()
        case_id = uow.cases.for_request(event.subject).id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(to_unit):
        try:
            with routing.unit_of_work() as uow:
                barrier.wait(10)
                # both saw version 0 on their screens: whichever lands second is refused, whether
                # it reads after the first commit (the version check) or races it (the guarded update)
                act_on_case(ActOnCase(case_id, "transfer", HEAD, {"to_unit": to_unit, "reason": "r"},
                                      expected_version=0),
                            uow, routing.rules, routing.calendar, routing.now())
                uow.commit()
                outcomes.append("won")
        except (VersionConflict, AuditHeadMoved):
            outcomes.append("conflict")

    threads = [threading.Thread(target=act, args=(u,)) for u in ("tu-phap", "van-hoa")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "won"]
    with routing.unit_of_work() as uow:
        assert uow.cases.get(case_id).version == 1
