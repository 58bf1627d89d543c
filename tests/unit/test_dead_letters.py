"""Reading and replaying a consumer group's dead letters, on the in-memory bus."""
import pytest

from giaitrinh_common import topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.dead_letters import read_dead_letters, replay_dead_letters, replayable
from giaitrinh_common.metrics import PlatformMetrics
from tests.support.factories import migrated_runtime, request_submitted

STREAM = topics.REQUESTS
SUBMITTED = "vn.giaitrinh.request.submitted.v1"


@pytest.fixture
def runtime(bus, sqlite_url):
    rt = migrated_runtime("scoring", sqlite_url("scoring"), bus)
    yield rt
    rt.close()


class Handler:
    """Counts requests, or fails every time while ``broken``."""

    def __init__(self, runtime):
        self.count = runtime.handlers()[SUBMITTED]
        self.broken = True
        self.applied = []

    def __call__(self, event, uow):
        if self.broken:
            raise RuntimeError("indicator table renamed by a bad release")
        self.count(event, uow)
        self.applied.append(event.id)


def consumer_for(runtime, bus, handler):
    return IdempotentConsumer(group="scoring", streams=(STREAM,), handlers={SUBMITTED: handler},
                              unit_of_work=runtime.unit_of_work, bus=bus,
                              metrics=PlatformMetrics().for_service("scoring"),
                              max_attempts=1, retry_backoff=0)


def put(bus, value: bytes, key="k"):
    publisher = bus.publisher()
    publisher.publish(STREAM, key, value)
    publisher.flush()


def drain(consumer):
    while consumer.run_once(timeout=0.05):
        pass


def test_dead_letters_are_read_with_their_reason_and_event_and_reading_changes_nothing(bus, runtime):
    handler = Handler(runtime)
    consumer = consumer_for(runtime, bus, handler)
    event = request_submitted()
    put(bus, event.to_json(), key=event.key)
    put(bus, b"not json at all")
    drain(consumer)
    first = read_dead_letters(bus, "scoring", STREAM, timeout=2)
    assert sorted(x.reason for x in first) == ["handler", "malformed"]
    [failed] = [x for x in first if x.reason == "handler"]
    assert failed.event == {"type": SUBMITTED, "id": event.id, "subject": event.subject}
    assert "indicator table renamed" in failed.detail and failed.failed_at is not None
    assert read_dead_letters(bus, "scoring", STREAM, timeout=2) == first


def park_one_event(bus, runtime):
    """A broken handler parks one event; returns the handler, its consumer and the event."""
    handler = Handler(runtime)
    consumer = consumer_for(runtime, bus, handler)
    event = request_submitted()
    put(bus, event.to_json(), key=event.key)
    drain(consumer)
    return handler, consumer, event


def test_a_replayed_dead_letter_is_applied_once_the_cause_is_fixed(bus, runtime):
    handler, consumer, event = park_one_event(bus, runtime)
    assert handler.applied == []
    handler.broken = False  # the fix is released
    letters = read_dead_letters(bus, "scoring", STREAM, timeout=2)
    assert replay_dead_letters(bus, letters) == 1
    [back] = bus.records(topics.retry_topic(STREAM, "scoring"))
    assert back.header("x-replayed-from") == letters[0].where
    assert back.header("x-attempt") is None and back.header("x-dlq-reason") is None
    drain(consumer)
    assert handler.applied == [event.id]
    with runtime.unit_of_work() as uow:
        assert uow.indicators.for_locality("18880", "2026") == {"requests_received": 1}


def test_replaying_twice_applies_the_event_once(bus, runtime):
    handler, consumer, event = park_one_event(bus, runtime)
    handler.broken = False
    letters = read_dead_letters(bus, "scoring", STREAM, timeout=2)
    replay_dead_letters(bus, letters)
    replay_dead_letters(bus, letters)
    drain(consumer)
    assert handler.applied == [event.id]


def test_a_replay_goes_to_the_group_that_parked_it_and_no_other(bus, runtime):
    handler = Handler(runtime)
    consumer = consumer_for(runtime, bus, handler)
    put(bus, request_submitted().to_json())
    drain(consumer)
    replay_dead_letters(bus, read_dead_letters(bus, "scoring", STREAM, timeout=2))
    assert len(bus.records(topics.retry_topic(STREAM, "scoring"))) == 1
    assert bus.records(topics.retry_topic(STREAM, "routing")) == []
    assert len(bus.records(STREAM)) == 1  # the stream itself is not written again


def test_a_replay_without_reasons_leaves_malformed_bytes_alone(bus, runtime):
    handler = Handler(runtime)
    consumer = consumer_for(runtime, bus, handler)
    put(bus, b"{not json")
    put(bus, request_submitted().to_json())
    drain(consumer)
    letters = read_dead_letters(bus, "scoring", STREAM, timeout=2)
    assert [x.reason for x in replayable(letters)] == ["handler"]
    assert [x.reason for x in replayable(letters, ["malformed"])] == ["malformed"]
