"""Per-request order: the events of one request are applied in the order of its history, through
retries, dead letters, replays and streams read in any order; other requests flow on."""
import random

import pytest

from giaitrinh_common import topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.dead_letters import read_dead_letters, replay_dead_letters
from giaitrinh_common.metrics import PlatformMetrics
from tests.support.factories import (
    case_registered,
    inbound_feedback,
    migrated_runtime,
    request_submitted,
)

SUBMITTED = "vn.giaitrinh.request.submitted.v1"
REGISTERED = "vn.giaitrinh.case.registered.v1"


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def make_runtime(bus, sqlite_url):
    made = []

    def make(service, name=None):
        rt = migrated_runtime(service, sqlite_url(name or service), bus)
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


def consumer_for(runtime, bus, handlers, streams, clock, max_attempts=3):
    return IdempotentConsumer(group=runtime.service, streams=streams, handlers=handlers,
                              unit_of_work=runtime.unit_of_work, bus=bus,
                              metrics=PlatformMetrics().for_service(runtime.service),
                              max_attempts=max_attempts, retry_backoff=10, clock=clock)


def put(bus, topic, *events, headers=None):
    pub = bus.publisher()
    for event in events:
        pub.publish(topic, event.key, event.to_json(), headers or {})
    pub.flush()


def run_until_quiet(consumer, rounds=20):
    for _ in range(rounds):
        if not consumer.run_once(timeout=0.05):
            return


def recording(handlers, applied, fail_first=()):
    """The handlers, each also noting (type, request id) once it succeeds; the event ids in
    ``fail_first`` fail on their first try."""
    failed = set()

    def wrap(handler):
        def handle(ev, uow):
            if ev.id in fail_first and ev.id not in failed:
                failed.add(ev.id)
                raise RuntimeError("a passing fault")
            handler(ev, uow)
            applied.append((ev.type, ev.subject))
        return handle

    return {t: wrap(h) for t, h in handlers.items()}


def submitted_and_registered():
    submitted = request_submitted()
    registered = case_registered(submitted.subject)
    registered = type(registered)(**{**registered.__dict__, "follows": submitted.id,
                                     "followstype": submitted.type})
    return submitted, registered


def test_a_later_event_of_a_request_waits_while_an_earlier_one_is_retried(bus, make_runtime):
    clock, applied = Clock(), []
    runtime = make_runtime("scoring")
    first = request_submitted()
    second = request_submitted(request_id=first.subject)  # same request, same stream, later
    other = request_submitted()
    consumer = consumer_for(runtime, bus, recording(runtime.handlers(), applied, {first.id}),
                            (topics.REQUESTS,), clock)
    put(bus, topics.REQUESTS, first, second, other)
    run_until_quiet(consumer)
    assert applied == [(SUBMITTED, other.subject)]  # the other request flowed on
    assert [w.why for w in consumer.waiting.listing()] == ["retrying", "behind"]
    clock.now += 10
    run_until_quiet(consumer)
    assert applied == [(SUBMITTED, other.subject), (SUBMITTED, first.subject),
                       (SUBMITTED, first.subject)]
    assert consumer.waiting.listing() == []


def test_a_case_event_read_while_its_request_event_is_retried_is_applied_after_it(bus, make_runtime):
    """The order seen before: request.submitted failing once let case.registered through first."""
    clock, applied = Clock(), []
    runtime = make_runtime("notify")
    submitted, registered = submitted_and_registered()
    consumer = consumer_for(runtime, bus, recording(runtime.handlers(), applied, {submitted.id}),
                            (topics.REQUESTS, topics.CASES), clock)
    put(bus, topics.REQUESTS, submitted)
    put(bus, topics.CASES, registered)
    run_until_quiet(consumer)
    assert applied == []
    clock.now += 10
    run_until_quiet(consumer)
    assert applied == [(SUBMITTED, submitted.subject), (REGISTERED, submitted.subject)]


@pytest.mark.parametrize("service", ["notify", "scoring"])
def test_catching_up_with_cases_read_before_requests_still_applies_in_history_order(
        bus, make_runtime, service):
    clock, applied = Clock(), []
    runtime = make_runtime(service)
    pairs = [submitted_and_registered() for _ in range(5)]
    put(bus, topics.CASES, *[r for _, r in pairs])
    put(bus, topics.REQUESTS, *[s for s, _ in pairs])
    consumer = consumer_for(runtime, bus, recording(runtime.handlers(), applied),
                            (topics.CASES, topics.REQUESTS), clock)  # cases first
    run_until_quiet(consumer)
    for submitted, _ in pairs:
        mine = [t for t, subject in applied if subject == submitted.subject]
        assert mine == [SUBMITTED, REGISTERED]
    assert consumer.waiting.listing() == []


def test_notify_tells_of_receipt_before_registration_whatever_the_stream_order(bus, make_runtime):
    runtime = make_runtime("notify")
    submitted, registered = submitted_and_registered()
    put(bus, topics.CASES, registered)
    put(bus, topics.REQUESTS, submitted)
    consumer = consumer_for(runtime, bus, runtime.handlers(), (topics.CASES, topics.REQUESTS), Clock())
    run_until_quiet(consumer)
    with runtime.unit_of_work() as uow:
        notes = uow.inbox_messages.for_tracking_code("GT-7X9V-FH1S-T")
    assert [n.topic for n in notes] == ["received", "registered"]


def test_an_event_following_one_the_group_never_handles_is_applied_at_once(bus, make_runtime):
    """Intake reads cases.v1 but not requests.v1: it must not wait for request.submitted."""
    runtime = make_runtime("intake")
    applied = []
    submitted, registered = submitted_and_registered()
    put(bus, topics.CASES, registered)
    consumer = consumer_for(runtime, bus, recording(runtime.handlers(), applied),
                            topics.SUBSCRIPTIONS["intake"], Clock())
    run_until_quiet(consumer)
    assert applied == [(REGISTERED, submitted.subject)]


def test_scoring_figures_do_not_depend_on_the_order_events_arrive_in(bus, make_runtime, sqlite_url):
    pairs = [submitted_and_registered() for _ in range(6)]
    events = [(topics.REQUESTS, s) for s, _ in pairs] + [(topics.CASES, r) for _, r in pairs]
    events += events[:3]  # some delivered twice
    figures = []
    for seed in range(4):
        from giaitrinh_common.bus import InMemoryBus

        own_bus = InMemoryBus()
        own_bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
        runtime = migrated_runtime("scoring", sqlite_url(f"scoring-{seed}"), own_bus)
        order = events[:]
        random.Random(seed).shuffle(order)
        for topic, event in order:
            put(own_bus, topic, event)
        streams = (topics.CASES, topics.REQUESTS) if seed % 2 else (topics.REQUESTS, topics.CASES)
        run_until_quiet(consumer_for(runtime, own_bus, runtime.handlers(), streams, Clock()))
        with runtime.unit_of_work() as uow:
            figures.append(uow.indicators.for_locality("18880", "2026"))
        runtime.close()
    assert figures[0] == {"requests_received": 6, "cases_registered": 6}
    assert all(f == figures[0] for f in figures)


def test_a_parked_event_holds_its_request_until_an_operator_replays_it(bus, make_runtime):
    clock, applied = Clock(), []
    runtime = make_runtime("scoring")
    broken = {"on": True}
    handlers = runtime.handlers()

    def count_unless_broken(ev, uow):
        if broken["on"] and ev.subject == stuck.subject:
            raise RuntimeError("a bug in the handler")
        handlers[ev.type](ev, uow)
        applied.append(ev.id)

    stuck = request_submitted()
    behind = request_submitted(request_id=stuck.subject)
    other = request_submitted()
    consumer = consumer_for(runtime, bus, {SUBMITTED: count_unless_broken}, (topics.REQUESTS,),
                            clock, max_attempts=2)
    put(bus, topics.REQUESTS, stuck)
    run_until_quiet(consumer)
    clock.now += 10
    run_until_quiet(consumer)  # second and last attempt: parked, on the dead-letter topic
    put(bus, topics.REQUESTS, behind, other)
    run_until_quiet(consumer)
    assert applied == [other.id]
    assert [(w.event_id, w.why) for w in consumer.waiting.listing()] == [
        (stuck.id, "parked"), (behind.id, "behind")]
    consumer.report_lag()
    samples = {(s.name, s.labels.get("state")): s.value
               for m in consumer.metrics.platform.registry.collect() for s in m.samples}
    assert samples[("giaitrinh_consumer_waiting_events", "parked")] == 1
    assert samples[("giaitrinh_consumer_waiting_events", "waiting")] == 1
    assert samples[("giaitrinh_consumer_parked_requests", None)] == 1

    broken["on"] = False  # the fix is deployed; the operator replays the dead letter
    letters = read_dead_letters(bus, "scoring", topics.REQUESTS, timeout=2)
    assert [letter.event["id"] for letter in letters] == [stuck.id]
    assert letters[0].headers["x-parked"] == "true"
    replay_dead_letters(bus, letters)
    run_until_quiet(consumer)
    assert applied == [other.id, stuck.id, behind.id]
    assert consumer.waiting.listing() == []


def test_releasing_a_parked_event_lets_the_rest_of_its_request_go_on(bus, make_runtime):
    clock, applied = Clock(), []
    runtime = make_runtime("scoring")
    stuck = request_submitted()
    behind = request_submitted(request_id=stuck.subject)

    def fails_for_stuck(ev, uow):
        if ev.id == stuck.id:
            raise RuntimeError("never works")
        applied.append(ev.id)

    consumer = consumer_for(runtime, bus, {SUBMITTED: fails_for_stuck}, (topics.REQUESTS,), clock,
                            max_attempts=1)
    put(bus, topics.REQUESTS, stuck, behind)
    run_until_quiet(consumer)
    assert applied == []
    assert consumer.waiting.release([stuck.id]) == 1
    run_until_quiet(consumer)
    assert applied == [behind.id]


def test_a_waiting_event_delivered_again_is_not_queued_twice(bus, make_runtime):
    clock = Clock()
    runtime = make_runtime("scoring")
    event = request_submitted()

    def fails(ev, uow):
        raise RuntimeError("not yet")

    consumer = consumer_for(runtime, bus, {SUBMITTED: fails}, (topics.REQUESTS,), clock)
    put(bus, topics.REQUESTS, event, event)  # the same event twice (a producer's retry)
    run_until_quiet(consumer)
    assert [w.event_id for w in consumer.waiting.listing()] == [event.id]


@pytest.mark.parametrize("headers", [
    {"x-not-before": "soon"}, {"x-not-before": "99999999999"}, {"x-attempt": "99"},
    {"x-attempts": "99", "x-parked": "true"}, {"x-not-before": "nan", "x-attempt": "-1"},
], ids=["garbage-time", "far-future", "attempt-99", "forged-parking", "nonsense"])
def test_retry_headers_from_a_sender_steer_nothing(bus, make_runtime, headers):
    """On inbound.v1, other systems write the records: their headers change nothing, the
    records behind a forged one are applied, and a failing one still gets every attempt."""
    clock = Clock()
    runtime = make_runtime("intake")
    forged, behind = inbound_feedback("HL-forged"), inbound_feedback("HL-behind")
    calls = []
    handler = runtime.handlers()["vn.giaitrinh.inbound.feedback.v1"]

    def first_try_fails(ev, uow):
        calls.append(ev.id)
        if calls.count(ev.id) == 1 and ev.id == forged.id:
            raise RuntimeError("a passing fault")
        handler(ev, uow)

    consumer = consumer_for(runtime, bus, {"vn.giaitrinh.inbound.feedback.v1": first_try_fails},
                            (topics.INBOUND,), clock, max_attempts=3)
    put(bus, topics.INBOUND, forged, headers=headers)
    put(bus, topics.INBOUND, behind, headers=headers)
    run_until_quiet(consumer)
    assert behind.id in calls and bus.records(topics.dead_letter_topic(topics.INBOUND, "intake")) == []
    [waiting] = consumer.waiting.listing()
    assert (waiting.event_id, waiting.attempts, waiting.not_before) == (forged.id, 1, clock.now + 10)
    clock.now += 10
    run_until_quiet(consumer)
    assert calls.count(forged.id) == 2 and consumer.waiting.listing() == []


def test_a_handler_that_fails_after_doing_part_of_its_work_leaves_nothing_behind(bus, make_runtime):
    runtime = make_runtime("routing")
    real = runtime.handlers()[SUBMITTED]

    def opens_the_case_then_fails(ev, uow):
        real(ev, uow)  # registers the case and writes case.registered to the outbox
        raise RuntimeError("crash after the work")

    event = request_submitted()
    consumer = consumer_for(runtime, bus, {SUBMITTED: opens_the_case_then_fails},
                            (topics.REQUESTS,), Clock())
    put(bus, topics.REQUESTS, event)
    run_until_quiet(consumer)
    with runtime.unit_of_work() as uow:
        assert uow.cases.for_request(event.subject) is None
    assert runtime.storage.outbox_backlog() == 0
    assert not runtime.storage.has_applied("routing", event.id)
