"""Scoring's violation flags (vi phạm), raised from the events routing publishes: a missed
deadline (overdue or escalated), a dispute upheld, a commitment overdue — once per case, kind
and step, whether an event comes twice or the events of one violation come out of order; each
flag is counted, and told on the scores topic through scoring's outbox."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from giaitrinh_common import contracts, topics
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.domain.commitment import Commitment
from giaitrinh_routing.domain.deadline_watch import AlertKind, DeadlineAlert
from giaitrinh_scoring.domain.violations import (
    COMMITMENT_OVERDUE,
    DISPUTE_UPHELD,
    LATE_HANDLING,
    flag_raised_by,
)
from tests.support.case_history import CaseHistory
from tests.support.consuming import consume
from tests.support.factories import LOCALITY, migrated_runtime

ACCEPT_BY = date(2026, 11, 9)  # CaseHistory's case, received Monday 2 November 2026


@pytest.fixture
def runtime(bus, sqlite_url):
    rt = migrated_runtime("scoring", sqlite_url("scoring-flags"), bus)
    yield rt
    rt.close()


def alert(history: CaseHistory, kind: AlertKind, *, step: str = "accept", deadline: date = ACCEPT_BY,
          at: datetime | None = None) -> CloudEvent:
    """The deadline watcher's alert, as routing's watcher publishes it."""
    at = at or datetime.combine(deadline, datetime.min.time(), UTC) + timedelta(days=1, hours=2)
    event = events_out.deadline_alert(history.case, DeadlineAlert(step, kind, deadline, deadline), at)
    contracts.validate(event)
    return event


def commitment_alert(history: CaseHistory, kind: str, commitment_id: str | None = None) -> CloudEvent:
    promise = Commitment(commitment_id or str(uuid.uuid4()), history.case.id, history.request_id, LOCALITY,
                         "Cắm lại mốc giới thửa đất", "dia-chinh", date(2026, 12, 15))
    event = events_out.commitment_alert(promise, kind, datetime(2026, 12, 16, 2, tzinfo=UTC))
    contracts.validate(event)
    return event


def flags(runtime):
    with runtime.unit_of_work() as uow:
        return uow.flags.for_locality(LOCALITY, limit=100)[0]


def told(runtime) -> list[CloudEvent]:
    """The violation.flagged events in scoring's outbox, checked against their schema."""
    with runtime.storage.engine.connect() as db:
        rows = db.execute(runtime.storage.outbox.select().order_by(runtime.storage.outbox.c.id)).mappings().all()
    out = []
    for row in rows:
        assert row["topic"] == topics.SCORES
        event = CloudEvent.from_json(row["payload"])
        contracts.validate(event)
        out.append(event)
    return out


def figures(runtime, period: str = "2026") -> dict[str, int]:
    with runtime.unit_of_work() as uow:
        return uow.indicators.for_locality(LOCALITY, period)


def test_an_overdue_step_raises_one_late_handling_flag_told_on_the_scores_topic(runtime):
    history = CaseHistory()
    overdue = alert(history, AlertKind.OVERDUE)
    consume(runtime, history.submitted, *history.events, overdue)
    [flag] = flags(runtime)
    assert (flag.kind, flag.case_id, flag.step, flag.due_on) == (LATE_HANDLING, history.case.id,
                                                                 "accept@2026-11-09", ACCEPT_BY)
    assert (flag.raised_by, flag.raised_at, flag.locality_code) == (overdue.id, overdue.time, LOCALITY)
    [event] = told(runtime)
    assert event.type == "vn.giaitrinh.violation.flagged.v1" and event.key == history.request_id
    assert event.data["flag_id"] == flag.id and event.data["tracking_code"] == history.case.tracking_code
    assert event.data["raised_by"] == {"event_id": overdue.id, "event_type": overdue.type}
    assert (event.follows, event.followstype) == (overdue.id, overdue.type)
    assert figures(runtime)["violations_flagged"] == 1


def test_an_event_delivered_twice_raises_one_flag(runtime):
    history = CaseHistory()
    overdue = alert(history, AlertKind.OVERDUE)
    consume(runtime, history.submitted, *history.events, overdue, overdue)
    consume(runtime, overdue)
    assert len(flags(runtime)) == 1 and len(told(runtime)) == 1
    assert figures(runtime)["violations_flagged"] == 1


def test_the_same_missed_deadline_told_again_under_another_event_id_is_one_flag(runtime):
    history = CaseHistory()
    first = alert(history, AlertKind.OVERDUE)
    again = CloudEvent.from_json(first.to_json().replace(first.id.encode(), str(uuid.uuid4()).encode()))
    consume(runtime, history.submitted, *history.events, first, again)
    assert len(flags(runtime)) == 1 and len(told(runtime)) == 1


def test_the_overdue_and_the_escalation_of_one_deadline_are_one_flag_in_either_order(runtime, bus, sqlite_url):
    history = CaseHistory()
    overdue = alert(history, AlertKind.OVERDUE)
    escalated = alert(history, AlertKind.ESCALATED, at=overdue.time + timedelta(days=4))
    consume(runtime, history.submitted, *history.events, escalated, overdue)  # the escalation first
    [flag] = flags(runtime)
    assert flag.raised_by == overdue.id  # the earliest telling, as if they came in order
    assert len(told(runtime)) == 1 and figures(runtime)["violations_flagged"] == 1
    in_order = migrated_runtime("scoring", sqlite_url("in-order"), bus)
    try:
        consume(in_order, history.submitted, *history.events, overdue, escalated)
        assert flags(in_order) == [flag] and figures(in_order) == figures(runtime)
    finally:
        in_order.close()


def test_a_flag_told_first_by_a_later_event_counts_in_the_period_of_the_earlier(runtime):
    history = CaseHistory(received=datetime(2026, 12, 14, 2, tzinfo=UTC))
    deadline = history.case.accept_by
    overdue = alert(history, AlertKind.OVERDUE, deadline=deadline, at=datetime(2026, 12, 31, 10, tzinfo=UTC))
    escalated = alert(history, AlertKind.ESCALATED, deadline=deadline, at=datetime(2027, 1, 6, 2, tzinfo=UTC))
    consume(runtime, history.submitted, *history.events, escalated, overdue)
    assert figures(runtime, "2026")["violations_flagged"] == 1
    assert "violations_flagged" not in figures(runtime, "2027")


def test_each_missed_deadline_of_a_case_is_a_flag_of_its_own(runtime):
    history = CaseHistory()
    late_accept = alert(history, AlertKind.OVERDUE)
    history.accept(days=8)
    late_answer = alert(history, AlertKind.OVERDUE, step="answer", deadline=history.case.answer_by)
    consume(runtime, history.submitted, *history.events, late_accept, late_answer)
    assert sorted(f.step for f in flags(runtime)) == ["accept@2026-11-09", f"answer@{history.case.answer_by}"]


def test_a_reminder_before_a_deadline_flags_nothing(runtime):
    history = CaseHistory()
    consume(runtime, history.submitted, *history.events, alert(history, AlertKind.DUE_SOON),
            commitment_alert(history, "due_soon"))
    assert flags(runtime) == [] and told(runtime) == []


def test_a_dispute_upheld_flags_the_case_and_a_dismissed_one_does_not(runtime):
    upheld, dismissed = CaseHistory(), CaseHistory()
    for history in (upheld, dismissed):
        history.accept()
        history.answer()
        history.dispute()
    decision = upheld.decide_dispute(upheld=True)
    dismissed.decide_dispute(upheld=False)
    consume(runtime, upheld.submitted, *upheld.events, dismissed.submitted, *dismissed.events)
    [flag] = flags(runtime)
    assert (flag.kind, flag.case_id, flag.step) == (DISPUTE_UPHELD, upheld.case.id,
                                                    f"decision@v{decision.data['version']}")
    assert flag.due_on is None and told(runtime)[0].data["due_on"] is None


def test_an_overdue_commitment_is_flagged_with_the_cases_tracking_code(runtime):
    history = CaseHistory()
    overdue = commitment_alert(history, "overdue")
    consume(runtime, history.submitted, *history.events, overdue)
    [flag] = flags(runtime)
    assert (flag.kind, flag.step) == (COMMITMENT_OVERDUE, f"commitment@{overdue.data['commitment_id']}")
    assert flag.due_on == date(2026, 12, 15) and flag.tracking_code == history.case.tracking_code


def test_a_flag_names_the_official_the_case_is_with_and_none_after_a_transfer(runtime):
    assigned, transferred = CaseHistory(), CaseHistory()
    assigned.assign(official="can-bo-1")
    transferred.assign(official="can-bo-1")
    transferred.transfer("kinh-te")
    consume(runtime, assigned.submitted, *assigned.events, alert(assigned, AlertKind.OVERDUE),
            transferred.submitted, *transferred.events, alert(transferred, AlertKind.OVERDUE))
    by_case = {f.case_id: f for f in flags(runtime)}
    assert (by_case[assigned.case.id].unit_code, by_case[assigned.case.id].official_id) == ("dia-chinh", "can-bo-1")
    assert (by_case[transferred.case.id].unit_code, by_case[transferred.case.id].official_id) == ("kinh-te", None)
    assert {e.data["official_id"] for e in told(runtime)} == {"can-bo-1", None}


def test_a_step_taken_late_is_the_same_flag_as_the_watchers_alert_whichever_comes_first(runtime):
    history, refused = CaseHistory(), CaseHistory()
    accepted = history.accept(days=8)  # Tuesday 10 November: accept-by was the 9th
    overdue = alert(history, AlertKind.OVERDUE, at=accepted.time + timedelta(hours=3))  # a later sweep
    late_refusal = refused.refuse(days=9)
    answered_on_time = history.answer()
    consume(runtime, history.submitted, *history.events, overdue, refused.submitted, *refused.events)
    by_case = {f.case_id: f for f in flags(runtime)}
    assert len(by_case) == 2 and len(told(runtime)) == 2  # the on-time answer flags nothing
    late, refusal = by_case[history.case.id], by_case[refused.case.id]
    assert (late.step, late.raised_by) == ("accept@2026-11-09", accepted.id)  # the earlier telling
    assert (refusal.step, refusal.raised_by) == ("accept@2026-11-09", late_refusal.id)
    assert flag_raised_by(answered_on_time.type, answered_on_time.data, event_id="e", at=answered_on_time.time) is None
    late_answer = CaseHistory()
    late_answer.accept()
    answered = late_answer.answer(days=40)
    flag = flag_raised_by(answered.type, answered.data, event_id=answered.id, at=answered.time)
    assert flag is not None and flag.step == f"answer@{late_answer.case.answer_by}"
