"""A requester's withdrawal that reaches routing before the case of its request exists ends the
case all the same, and nothing is lost on the way.

Intake publishes ``request.submitted`` and ``request.withdrawn`` of one request on one stream,
keyed by the request (its outbox in order, an idempotent producer), so routing reads them in that
order; the case can still be missing when the withdrawal is read:
- the submission is waiting in routing's waiting room (its handler failed and is retried): the
  withdrawal waits behind it, then both apply in order;
- the submission was dead-lettered (its ward not yet served in the registry): the withdrawal is
  dead-lettered too, with its reason (no case), and both are replayed in their order;
- in any other order (a replay of the withdrawal alone, a sender that skipped intake): the
  withdrawal is dead-lettered with its reason, and replayed once the case exists.
Through routing's own handlers and the platform's consumer, on an in-memory bus and SQLite.
"""
from datetime import UTC, datetime

import pytest

from giaitrinh_common import topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.dead_letters import read_dead_letters, replay_dead_letters
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.metrics import PlatformMetrics
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


def test_a_withdrawal_dead_lettered_with_its_unserved_submission_ends_the_case_when_both_are_replayed(
        routing, bus):
    clock, submitted = Clock(), request_submitted()  # its ward is not served yet
    consumer = consumer_for(routing, bus, clock)
    put(bus, submitted, withdrawn(submitted))
    run_until_quiet(consumer)
    letters = dead_letters(bus)
    assert [(x.event["type"], x.reason) for x in letters] == [(submitted.type, "rejected"), (WITHDRAWN, "rejected")]
    assert "no case for request" in letters[1].detail  # the reason names what was missing
    serve_in_routing(routing)  # the provincial admin serves the ward; the operator replays
    assert replay_dead_letters(bus, letters) == 2
    run_until_quiet(consumer)
    case, steps = case_of(routing, submitted)
    assert case.state.value == "withdrawn" and steps == ["withdraw"]


def test_a_withdrawal_read_before_its_submission_is_kept_as_a_dead_letter_and_ends_the_case_replayed(
        routing, bus):
    serve_in_routing(routing)
    clock, submitted = Clock(), request_submitted()
    consumer = consumer_for(routing, bus, clock)
    put(bus, withdrawn(submitted), submitted)  # not intake's order: a sender that skipped it
    run_until_quiet(consumer)
    case, _ = case_of(routing, submitted)
    assert case.state.value == "received"
    [letter] = dead_letters(bus)
    assert letter.event["type"] == WITHDRAWN and letter.reason == "rejected"
    replay_dead_letters(bus, [letter])
    run_until_quiet(consumer)
    case, steps = case_of(routing, submitted)
    assert case.state.value == "withdrawn" and steps == ["withdraw"]
