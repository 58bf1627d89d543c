"""The consumer's rules, on the in-memory bus and a migrated SQLite database."""
import json

import pytest

from giaitrinh_common import topics
from giaitrinh_common.bus import partition_for
from giaitrinh_common.consumer import IdempotentConsumer, RejectedEvent
from giaitrinh_common.metrics import PlatformMetrics
from tests.support.factories import migrated_runtime, request_submitted

STREAM = topics.REQUESTS
DLQ = topics.dead_letter_topic(STREAM, "scoring")


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def runtime(bus, sqlite_url):
    rt = migrated_runtime("scoring", sqlite_url("scoring"), bus)
    yield rt
    rt.close()


def consumer_for(runtime, bus, handlers, clock=None, max_attempts=3):
    return IdempotentConsumer(group="scoring", streams=(STREAM,), handlers=handlers,
                              unit_of_work=runtime.unit_of_work, bus=bus,
                              metrics=PlatformMetrics().for_service("scoring"),
                              max_attempts=max_attempts, retry_backoff=10, clock=clock or Clock())


def put(bus, value: bytes, key="k"):
    pub = bus.publisher()
    pub.publish(STREAM, key, value)
    pub.flush()


def counted(consumer, outcome):
    registry = consumer.metrics.platform.registry
    return sum(s.value for m in registry.collect() if m.name == "giaitrinh_events_consumed"
               for s in m.samples if s.name.endswith("_total") and s.labels["outcome"] == outcome)


def test_a_malformed_message_goes_to_the_dead_letter_topic_and_the_consumer_goes_on(bus, runtime):
    applied = []
    consumer = consumer_for(runtime, bus, {"vn.giaitrinh.request.submitted.v1":
                                           lambda ev, uow: applied.append(ev.id)})
    put(bus, b"{this is not json")
    good = request_submitted()
    put(bus, good.to_json(), key=good.key)
    while consumer.run_once(timeout=0.1):
        pass
    [dead] = bus.records(DLQ)
    assert dead.value == b"{this is not json"
    assert dead.header("x-dlq-reason") == "malformed"
    assert "not JSON" in dead.header("x-dlq-detail")
    assert dead.header("x-original-topic") == STREAM
    assert applied == [good.id]
    assert counted(consumer, "dead_lettered") == 1


def test_a_schema_invalid_event_goes_to_the_dead_letter_topic_with_the_field_named(bus, runtime):
    consumer = consumer_for(runtime, bus, {})
    bad = request_submitted(field="astrology")
    put(bus, bad.to_json())
    consumer.run_once(timeout=0.1)
    [dead] = bus.records(DLQ)
    assert dead.header("x-dlq-reason") == "schema"
    assert "field" in dead.header("x-dlq-detail")


def test_the_same_event_delivered_twice_is_applied_once(bus, runtime):
    consumer = consumer_for(runtime, bus, runtime.handlers())
    event = request_submitted()
    put(bus, event.to_json(), key=event.key)
    put(bus, event.to_json(), key=event.key)
    while consumer.run_once(timeout=0.1):
        pass
    with runtime.unit_of_work() as uow:
        assert uow.indicators.for_locality("18880", "2026") == {"requests_received": 1}
    assert counted(consumer, "applied") == 1 and counted(consumer, "duplicate") == 1


def test_a_failing_handler_is_retried_later_then_dead_lettered_after_the_last_attempt(bus, runtime):
    clock = Clock()
    calls = []

    def flaky(ev, uow):
        calls.append(clock.now)
        raise RuntimeError("database of another era")

    consumer = consumer_for(runtime, bus, {"vn.giaitrinh.request.submitted.v1": flaky}, clock, 3)
    event = request_submitted()
    put(bus, event.to_json(), key=event.key)
    consumer.run_once(timeout=0.1)  # attempt 1 → the waiting room, not before now+10
    [waiting] = consumer.waiting.listing()
    assert (waiting.event_id, waiting.attempts, waiting.not_before) == (event.id, 1, clock.now + 10)
    assert "database of another era" in waiting.last_error
    consumer.run_once(timeout=0.1)  # not due yet: the handler is not called
    assert len(calls) == 1
    clock.now += 10
    consumer.run_once(timeout=0.1)  # attempt 2 → waits again, 20 s this time
    clock.now += 20
    consumer.run_once(timeout=0.1)  # attempt 3 = last → dead-letter, parked
    assert calls == [1_000_000.0, 1_000_010.0, 1_000_030.0]
    [dead] = bus.records(DLQ)
    assert dead.header("x-dlq-reason") == "handler"
    assert "failed after 3 attempts" in dead.header("x-dlq-detail")
    assert json.loads(dead.value)["id"] == event.id
    [parked] = consumer.waiting.listing()
    assert parked.parked and parked.attempts == 3
    assert bus.records(topics.retry_topic(STREAM, "scoring")) == []  # retries never touch a topic


def test_a_rejected_event_is_dead_lettered_at_once_without_retries(bus, runtime):
    def refuse(ev, uow):
        raise RejectedEvent("locality not served")

    consumer = consumer_for(runtime, bus, {"vn.giaitrinh.request.submitted.v1": refuse})
    put(bus, request_submitted().to_json())
    consumer.run_once(timeout=0.1)
    assert bus.records(topics.retry_topic(STREAM, "scoring")) == []
    [dead] = bus.records(DLQ)
    assert dead.header("x-dlq-reason") == "rejected"


def test_a_failed_handler_leaves_no_trace_in_the_database(bus, runtime):
    def half_done(ev, uow):
        uow.indicators.add("18880", "2026", "requests_received")
        raise RuntimeError("crash mid-way")

    consumer = consumer_for(runtime, bus, {"vn.giaitrinh.request.submitted.v1": half_done})
    put(bus, request_submitted().to_json())
    consumer.run_once(timeout=0.1)
    with runtime.unit_of_work() as uow:
        assert uow.indicators.for_locality("18880", "2026") == {}


def test_records_are_committed_so_a_restarted_consumer_does_not_see_them_again(bus, runtime):
    seen = []
    handlers = {"vn.giaitrinh.request.submitted.v1": lambda ev, uow: seen.append(ev.id)}
    first = consumer_for(runtime, bus, handlers)
    put(bus, request_submitted().to_json())
    first.run_once(timeout=0.1)
    second = consumer_for(runtime, bus, handlers)
    assert second.run_once(timeout=0.1) == 0
    assert len(seen) == 1


def test_a_database_outage_is_not_spent_as_retries_the_record_is_read_again(bus, runtime):
    from sqlalchemy.exc import OperationalError

    from giaitrinh_common.storage import StorageUnavailable

    outage = {"on": True}
    seen = []

    def needs_the_database(ev, uow):
        if outage["on"]:
            raise OperationalError("UPDATE indicator_values", {}, Exception("server closed the connection"))
        seen.append(ev.id)

    consumer = consumer_for(runtime, bus, {"vn.giaitrinh.request.submitted.v1": needs_the_database})
    event = request_submitted()
    put(bus, event.to_json(), key=event.key)
    with pytest.raises(StorageUnavailable):
        consumer.run_once(timeout=0.1)
    assert bus.records(topics.retry_topic(STREAM, "scoring")) == [] and bus.records(DLQ) == []
    outage["on"] = False
    consumer.run_once(timeout=0.1)
    assert seen == [event.id]


def test_records_of_other_partitions_polled_with_a_failed_one_are_not_passed_over(bus, runtime):
    """An outage on one record stops the batch; every record polled after it, on any partition,
    must be read again, not just the failed one (else a later commit would skip past them)."""
    from sqlalchemy.exc import OperationalError

    from giaitrinh_common.storage import StorageUnavailable

    events = [request_submitted() for _ in range(12)]
    assert len({partition_for(e.key, 6) for e in events}) > 1
    for event in events:
        put(bus, event.to_json(), key=event.key)
    outage = {"on": True}
    seen = []

    def fails_on_the_second(ev, uow):
        if outage["on"] and len(seen) == 1:
            raise OperationalError("INSERT", {}, Exception("disk full"))
        seen.append(ev.id)

    consumer = consumer_for(runtime, bus, {"vn.giaitrinh.request.submitted.v1": fails_on_the_second})
    with pytest.raises(StorageUnavailable):
        consumer.run_once(timeout=0.1)
    outage["on"] = False
    while consumer.run_once(timeout=0.1):
        pass
    assert sorted(seen) == sorted(e.id for e in events)
    assert sum(consumer.subscription.lag().values()) == 0


def test_offsets_of_a_whole_poll_are_committed_together_after_the_records_are_done(bus, runtime):
    commits = []
    consumer = consumer_for(runtime, bus, runtime.handlers())
    real_commit = consumer.subscription.commit
    consumer.subscription.commit = lambda messages: (commits.append(list(messages)),
                                                     real_commit(messages))
    events = [request_submitted() for _ in range(10)]
    for event in events:
        put(bus, event.to_json(), key=event.key)
    assert consumer.run_once(timeout=0.1) == 10
    [batch] = commits
    assert len(batch) == len({(m.topic, m.partition) for m in batch})  # one per partition
    restarted = consumer_for(runtime, bus, runtime.handlers())
    assert restarted.run_once(timeout=0.1) == 0
