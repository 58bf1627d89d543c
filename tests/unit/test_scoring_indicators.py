"""Scoring's indicators from the steps of the case (per locality and period): accepted and
accepted late, refused, each transfer, extended, answered and answered late, disputes upheld,
withdrawn — counted from the events routing publishes, whatever order they arrive in."""
import random
from datetime import UTC, datetime

from giaitrinh_common import contracts, topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.metrics import PlatformMetrics
from giaitrinh_scoring.domain.indicators import MOVES, indicators_moved
from tests.support.case_history import CaseHistory
from tests.support.factories import LOCALITY, migrated_runtime


def counts(*events) -> dict[str, int]:
    """What the pure table makes of these events."""
    out: dict[str, int] = {}
    for event in events:
        for indicator in indicators_moved(event.type, event.data):
            out[indicator] = out.get(indicator, 0) + 1
    return out


def a_year_of_cases() -> list[CaseHistory]:
    """Six cases of one ward: the story of each is in its steps."""
    on_time = CaseHistory()
    on_time.accept()
    on_time.answer()
    on_time.close()
    pushed_around = CaseHistory()  # đùn đẩy: transferred three times, then accepted late
    pushed_around.transfer("kinh-te")
    pushed_around.transfer("van-phong")
    pushed_around.transfer("dia-chinh")
    pushed_around.accept(days=8)
    pushed_around.extend()
    pushed_around.answer(days=30)  # after the extended deadline
    disputed = CaseHistory()
    disputed.accept()
    disputed.answer()
    disputed.dispute()
    disputed.decide_dispute(upheld=True)
    disputed.answer()
    disputed.dispute()
    disputed.decide_dispute(upheld=False)
    refused = CaseHistory()
    refused.refuse()
    withdrawn = CaseHistory()
    withdrawn.accept()
    withdrawn.withdraw()
    merged = CaseHistory()
    merged.merge()
    return [on_time, pushed_around, disputed, refused, withdrawn, merged]


EXPECTED = {
    "cases_registered": 6, "cases_accepted": 4, "cases_accepted_late": 1, "cases_refused": 1,
    "case_transfers": 3, "cases_extended": 1, "cases_answered": 4, "cases_answered_late": 1,
    "disputes_upheld": 1, "cases_withdrawn": 1,
}


def test_each_indicator_counts_the_steps_that_move_it():
    events = [e for history in a_year_of_cases() for e in history.events]
    assert counts(*events) == EXPECTED


def test_every_transfer_counts_so_that_repeated_transfers_show():
    history = CaseHistory()
    for unit in ("kinh-te", "van-phong", "kinh-te", "dia-chinh"):
        history.transfer(unit)
    assert counts(*history.events)["case_transfers"] == 4


def test_a_late_step_counts_both_as_done_and_as_late():
    history = CaseHistory()
    accepted = history.accept(days=10)  # accept-by was 9 November
    answered = history.answer(days=40)
    assert indicators_moved(accepted.type, accepted.data) == ["cases_accepted", "cases_accepted_late"]
    assert indicators_moved(answered.type, answered.data) == ["cases_answered", "cases_answered_late"]


def test_only_a_dispute_upheld_counts_against_the_explanation():
    upheld, dismissed = CaseHistory(), CaseHistory()
    for history in (upheld, dismissed):
        history.accept()
        history.answer()
        history.dispute()
    assert counts(upheld.decide_dispute(upheld=True)) == {"disputes_upheld": 1}
    assert counts(dismissed.decide_dispute(upheld=False)) == {}


def test_every_event_type_the_table_names_is_in_the_contract():
    assert set(MOVES) <= contracts.known_types()


class Clock:
    now = 1_000_000.0

    def __call__(self):
        return self.now


def figures_after(events, url, streams) -> dict[str, int]:
    bus = InMemoryBus()
    bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
    runtime = migrated_runtime("scoring", url, bus)
    try:
        publisher = bus.publisher()
        for topic, event in events:
            publisher.publish(topic, event.key, event.to_json())
        publisher.flush()
        consumer = IdempotentConsumer(
            group="scoring", streams=streams, handlers=runtime.handlers(),
            unit_of_work=runtime.unit_of_work, bus=bus,
            metrics=PlatformMetrics().for_service("scoring"), clock=Clock())
        for _ in range(20):
            if not consumer.run_once(timeout=0.05):
                break
        assert consumer.waiting.listing() == []
        with runtime.unit_of_work() as uow:
            return uow.indicators.for_locality(LOCALITY, "2026")
    finally:
        runtime.close()


def test_case_figures_do_not_depend_on_the_order_the_events_arrive_in(sqlite_url):
    histories = a_year_of_cases()
    events = [(topics.REQUESTS, h.submitted) for h in histories]
    events += [(topics.CASES, e) for h in histories for e in h.events]
    events += events[::4]  # some delivered twice
    seen = []
    for seed in range(4):
        order = events[:]
        random.Random(seed).shuffle(order)
        streams = (topics.CASES, topics.REQUESTS) if seed % 2 else (topics.REQUESTS, topics.CASES)
        seen.append(figures_after(order, sqlite_url(f"scoring-{seed}"), streams))
    # The late acceptance, the late explanation, the upheld dispute and the third transfer
    # (đùn đẩy) are violation flags too: each counted once, whatever the order.
    assert seen[0] == {"requests_received": 6, **EXPECTED, "violations_flagged": 4}
    assert all(figures == seen[0] for figures in seen)


def test_a_step_counts_in_the_period_it_was_taken_in_vietnam(sqlite_url):
    history = CaseHistory(received=datetime(2026, 12, 28, 2, tzinfo=UTC))
    accepted = history.accept(at=datetime(2026, 12, 31, 18, tzinfo=UTC))  # 1 January 2027, 01:00 ICT
    bus = InMemoryBus()
    bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
    runtime = migrated_runtime("scoring", sqlite_url("new-year"), bus)
    try:
        with runtime.unit_of_work() as uow:
            runtime.handlers()[accepted.type](accepted, uow)
            uow.commit()
        with runtime.unit_of_work() as uow:
            assert uow.indicators.for_locality(LOCALITY, "2027") == {"cases_accepted": 1}
            assert uow.indicators.for_locality(LOCALITY, "2026") == {}
    finally:
        runtime.close()



def test_commitments_completed_late_and_overdue_are_counted_once_each(bus, sqlite_url):
    """Cam kết sau giải trình: completion, completion after the promised date, and each
    commitment flagged overdue (a reminder before the due date counts nothing)."""
    from datetime import UTC, datetime

    from giaitrinh_common import contracts
    from giaitrinh_common.envelope import CloudEvent
    from tests.support.factories import migrated_runtime

    runtime = migrated_runtime("scoring", sqlite_url("scoring-commitments"), bus)
    at = datetime(2026, 12, 20, 2, tzinfo=UTC)
    base = {"commitment_id": "5b1f6a3e-6a0e-4b8e-9d2c-0c5a1e2f3a4b",
            "case_id": "7c1f6a3e-6a0e-4b8e-9d2c-0c5a1e2f3a4b",
            "request_id": "8d1f6a3e-6a0e-4b8e-9d2c-0c5a1e2f3a4b", "locality_code": "18880",
            "content": "Cắm lại mốc", "unit_code": "dia-chinh", "due_on": "2026-12-15",
            "at": at.isoformat()}
    events = [
        ("vn.giaitrinh.commitment.alert.v1", {**base, "status": "open", "kind": "due_soon"}),
        ("vn.giaitrinh.commitment.alert.v1", {**base, "status": "open", "kind": "overdue"}),
        ("vn.giaitrinh.commitment.completed.v1", {**base, "status": "done", "evidence": "Biên bản 12",
                                                  "on_time": False, "actor": {"id": "u", "role": "official"}}),
    ]
    handlers = runtime.handlers()
    for type_, data in events:
        event = CloudEvent.new(type=type_, source="/t", subject=base["request_id"], locality="18880",
                               data=data, time=at)
        contracts.validate(event)
        with runtime.unit_of_work() as uow:
            uow.claim("scoring", event)
            handlers[type_](event, uow)
            uow.commit()
    with runtime.unit_of_work() as uow:
        counts = uow.indicators.for_locality("18880", "2026")
    runtime.close()
    assert counts == {"commitments_overdue": 1, "commitments_completed": 1, "commitments_completed_late": 1,
                      "violations_flagged": 1}  # the overdue commitment, flagged
