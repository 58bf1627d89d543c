"""Cam kết sau giải trình: promises made in an explanation are reminded before their due date,
flagged the day after it (each once), and completed with evidence — on time or late."""
from datetime import UTC, date, datetime

import pytest

from giaitrinh_common import contracts
from giaitrinh_routing.domain.case import Actor, InvalidAction, NotPermitted, Role
from giaitrinh_routing.service_layer.handlers import ActOnCase, CommitmentNotFound
from tests.support.factories import migrated_runtime
from tests.unit.test_routing_case_actions import WARD, cases_events, open_case, seed_ward

OFFICIAL = Actor("u-1", Role.OFFICIAL, frozenset({WARD}), "dia-chinh")


class Clock:
    def __init__(self):
        self.at = datetime(2026, 11, 2, 2, tzinfo=UTC)

    def __call__(self):
        return self.at.timestamp()


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def routing(bus, sqlite_url, clock):
    runtime = migrated_runtime("routing", sqlite_url("routing"), bus)
    runtime.clock = clock
    seed_ward(runtime)
    yield runtime
    runtime.close()


def answered_with_commitment(routing, due="2026-12-15") -> str:
    case_id = open_case(routing)
    routing.act(ActOnCase(case_id, "accept", OFFICIAL))
    routing.act(ActOnCase(case_id, "answer", OFFICIAL, {
        "explanation": "Đã kiểm tra", "legal_basis": "Luật Đất đai 2024",
        "commitments": [{"content": "Cắm lại mốc ranh giới", "due_on": due}]}))
    with routing.unit_of_work() as uow:
        return uow.cases.commitments_of(case_id)[0]["id"]


def commitment_alerts(routing):
    return [e.data["kind"] for e in cases_events(routing) if e.type == "vn.giaitrinh.commitment.alert.v1"]


def test_a_commitment_is_reminded_before_its_due_date_and_flagged_after_it_once_each(routing, clock):
    answered_with_commitment(routing, due="2026-12-15")  # a Tuesday
    clock.at = at(date(2026, 12, 10))
    routing.watch()
    assert commitment_alerts(routing) == []
    clock.at = at(date(2026, 12, 11))  # Friday: two working days before
    routing.watch()
    routing.watch()
    assert commitment_alerts(routing) == ["due_soon"]
    clock.at = at(date(2026, 12, 16))
    routing.watch()
    clock.at = at(date(2026, 12, 31))
    routing.watch()
    assert commitment_alerts(routing) == ["due_soon", "overdue"]
    for event in cases_events(routing):
        contracts.validate(event)


def test_a_completed_commitment_says_so_with_its_evidence_and_is_no_longer_watched(routing, clock):
    commitment_id = answered_with_commitment(routing)
    clock.at = at(date(2026, 12, 20))  # late
    done = routing.complete_commitment(commitment_id, OFFICIAL, "Đã cắm lại 4 mốc, biên bản số 12")
    assert done.status == "done" and done.completed_on_time is False
    [completed] = [e for e in cases_events(routing) if e.type == "vn.giaitrinh.commitment.completed.v1"]
    assert completed.data["on_time"] is False and "biên bản" in completed.data["evidence"]
    contracts.validate(completed)
    clock.at = at(date(2027, 1, 31))
    routing.watch()
    assert commitment_alerts(routing) == []


def test_completing_needs_evidence_and_the_responsible_unit(routing):
    commitment_id = answered_with_commitment(routing)
    with pytest.raises(InvalidAction):
        routing.complete_commitment(commitment_id, OFFICIAL, "  ")
    with pytest.raises(NotPermitted):
        routing.complete_commitment(commitment_id, Actor("x", Role.OFFICIAL, frozenset({WARD}), "tu-phap"), "x")
    with pytest.raises(CommitmentNotFound):
        routing.complete_commitment(commitment_id, Actor("y", Role.LOCALITY_HEAD, frozenset({"99999"})), "x")
