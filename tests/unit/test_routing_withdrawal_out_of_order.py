"""A requester's withdrawal that reaches routing before the case of its request exists ends the
case all the same, with no operator's help, and nothing is lost on the way.

Intake publishes ``request.submitted`` and ``request.withdrawn`` of one request on one stream,
keyed by the request (its outbox in order, an idempotent producer), so routing reads them in that
order; the case can still be missing when the withdrawal is read:
- the submission is waiting in routing's waiting room (its handler failed and is retried): the
  withdrawal waits behind it, then both apply in order (the platform's consumer);
- the submission was dead-lettered (its ward not yet served in the registry), or comes later
  (a replay, a sender that skipped intake): the withdrawal is remembered, and the case opens
  withdrawn when the submission is applied — ``case.registered`` then ``case.withdrawn``, which
  intake's timeline and notify follow.
A withdrawal of a case withdrawn already changes nothing; one after the answer is refused with
its reason, as before. Through routing's own handlers and the platform's consumer, on an
in-memory bus and SQLite.
"""
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from giaitrinh_common import topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.dead_letters import read_dead_letters, replay_dead_letters
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.metrics import PlatformMetrics
from giaitrinh_routing.domain.case import Actor, Role
from giaitrinh_routing.service_layer.handlers import ActOnCase
from tests.support.factories import LOCALITY, migrated_runtime, request_submitted, serve_in_routing

WITHDRAWN = "vn.giaitrinh.request.withdrawn.v1"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def routing(bus, sqlite_url):
    runtime = migrated_runtime("routing", sqlite_url("routing"), bus)
    yield runtime
    runtime.close()


def consumer_for(runtime, bus, clock, fail_first=()):
    """Routing's consumer with its real handlers; the event ids in ``fail_first`` meet a passing
    fault on their first try (as a database deadlock would be)."""
    failed: set[str] = set()

    def flaky(handler):
        def handle(event, uow):
            if event.id in fail_first and event.id not in failed:
                failed.add(event.id)
                raise RuntimeError("a passing fault")
            handler(event, uow)
        return handle

    return IdempotentConsumer(group="routing", streams=(topics.REQUESTS,),
                              handlers={t: flaky(h) for t, h in runtime.handlers().items()},
                              unit_of_work=runtime.unit_of_work, bus=bus,
                              metrics=PlatformMetrics().for_service("routing"),
                              max_attempts=3, retry_backoff=10, clock=clock)


def withdrawn(submitted: CloudEvent) -> CloudEvent:
    """The requester's withdrawal of ``submitted``'s request, as intake publishes it."""
    at = datetime(2026, 11, 24, 3, tzinfo=UTC)
    return CloudEvent.new(type=WITHDRAWN, source="/tests", subject=submitted.subject, locality=LOCALITY,
                          time=at, data={"request_id": submitted.subject,
                                         "tracking_code": submitted.data["tracking_code"],
                                         "locality_code": LOCALITY, "withdrawn_at": at.isoformat(),
                                         "reason": "Đã được giải quyết tại chỗ."})


def put(bus, *events):
    publisher = bus.publisher()
    for event in events:
        publisher.publish(topics.REQUESTS, event.key, event.to_json(), {})
    publisher.flush()


def run_until_quiet(consumer, rounds=20):
    for _ in range(rounds):
        if not consumer.run_once(timeout=0.05):
            return


def case_of(routing, submitted):
    with routing.unit_of_work() as uow:
        case = uow.cases.for_request(submitted.subject)
        return case, [s["action"] for s in uow.cases.steps(case.id)] if case else []


def dead_letters(bus):
    return read_dead_letters(bus, "routing", topics.REQUESTS, timeout=2)


def test_a_withdrawal_read_while_its_submission_waits_to_be_retried_ends_the_case(routing, bus):
    serve_in_routing(routing)
    clock, submitted = Clock(), request_submitted()
    consumer = consumer_for(routing, bus, clock, fail_first={submitted.id})
    put(bus, submitted, withdrawn(submitted))
    run_until_quiet(consumer)
    assert case_of(routing, submitted) == (None, [])  # nothing yet: the withdrawal waits behind
    assert [w.why for w in consumer.waiting.listing()] == ["retrying", "behind"]
    clock.now += 10
    run_until_quiet(consumer)
    case, steps = case_of(routing, submitted)
    assert case.state.value == "withdrawn" and steps == ["withdraw"]
    assert consumer.waiting.listing() == [] and dead_letters(bus) == []


def case_events(routing, submitted):
    """The case's contract events in the outbox, in order: (type, state)."""
    outbox = routing.storage.outbox
    with routing.storage.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.payload).where(outbox.c.topic == topics.CASES)
                            .order_by(outbox.c.id)).scalars()
        events = [json.loads(r) for r in rows]
    return [(e["type"].split(".")[3], e["data"]["state"]) for e in events if e["subject"] == submitted.subject]


def remembered(routing):
    with routing.unit_of_work() as uow:
        return uow.early_withdrawals.count()


def test_a_withdrawal_read_while_its_unserved_submission_is_dead_lettered_opens_the_case_withdrawn_on_replay(
        routing, bus):
    clock, submitted = Clock(), request_submitted()  # its ward is not served yet
    consumer = consumer_for(routing, bus, clock)
    put(bus, submitted, withdrawn(submitted))
    run_until_quiet(consumer)
    [letter] = dead_letters(bus)  # the submission alone: the withdrawal is remembered
    assert (letter.event["type"], letter.reason) == (submitted.type, "rejected")
    assert remembered(routing) == 1
    serve_in_routing(routing)  # the provincial admin serves the ward; the operator replays it
    assert replay_dead_letters(bus, [letter]) == 1
    run_until_quiet(consumer)
    case, steps = case_of(routing, submitted)
    assert case.state.value == "withdrawn" and steps == ["withdraw"]
    assert case_events(routing, submitted) == [("registered", "received"), ("withdrawn", "withdrawn")]
    assert remembered(routing) == 0


def test_a_withdrawal_read_before_its_submission_opens_the_case_withdrawn(routing, bus):
    serve_in_routing(routing)
    clock, submitted = Clock(), request_submitted()
    consumer = consumer_for(routing, bus, clock)
    put(bus, withdrawn(submitted), submitted)  # not intake's order: a sender that skipped it
    run_until_quiet(consumer)
    case, steps = case_of(routing, submitted)
    assert case.state.value == "withdrawn" and steps == ["withdraw"]
    assert case.watch_from is None  # no deadline of an ended case is watched
    assert dead_letters(bus) == []
    with routing.unit_of_work() as uow:
        [step] = uow.cases.steps(case.id)
    assert step["actor_role"] == "requester" and step["reason"] == "Đã được giải quyết tại chỗ."


def test_the_same_withdrawal_twice_ends_the_case_once(routing, bus):
    serve_in_routing(routing)
    clock, submitted = Clock(), request_submitted()
    consumer = consumer_for(routing, bus, clock)
    first = withdrawn(submitted)
    again = withdrawn(submitted)  # the requester's second try, another event
    later = withdrawn(submitted)  # and a third, read after the case has ended
    put(bus, first, first, again, submitted, first, again, later)
    run_until_quiet(consumer)
    case, steps = case_of(routing, submitted)
    assert case.state.value == "withdrawn" and steps == ["withdraw"]
    assert [t for t, _ in case_events(routing, submitted)] == ["registered", "withdrawn"]
    assert dead_letters(bus) == [] and remembered(routing) == 0


def test_a_withdrawal_after_the_answer_is_refused_with_its_reason_and_changes_nothing(routing, bus):
    serve_in_routing(routing)
    clock, submitted = Clock(), request_submitted()
    consumer = consumer_for(routing, bus, clock)
    put(bus, submitted)
    run_until_quiet(consumer)
    case, _ = case_of(routing, submitted)
    head = Actor("head-1", Role.LOCALITY_HEAD, frozenset({LOCALITY}))
    routing.act(ActOnCase(case.id, "accept", head))
    routing.act(ActOnCase(case.id, "answer", head, {"explanation": "Đã sửa đèn.", "legal_basis": "NĐ 59/2019"}))
    put(bus, withdrawn(submitted))
    run_until_quiet(consumer)
    case, steps = case_of(routing, submitted)
    assert case.state.value == "answered" and steps == ["accept", "answer"]
    [letter] = dead_letters(bus)
    assert letter.event["type"] == WITHDRAWN and letter.reason == "rejected"
    assert "cannot take 'withdraw'" in letter.detail and remembered(routing) == 0
