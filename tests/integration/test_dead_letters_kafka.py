"""Bad messages on every consumed topic go to the group's dead-letter topic with the reason,
through a real Kafka broker, and the consumer goes on with the next message."""
import json
import time
import uuid

import pytest

from giaitrinh_common import topics
from giaitrinh_common.dead_letters import read_dead_letters
from giaitrinh_common.kafka_bus import KafkaBus
from tests.support import factories
from tests.support.waiting import consume_until

# (consumer group, stream) for every subscription of the platform.
PAIRS = [(group, stream) for group, streams in topics.SUBSCRIPTIONS.items() for stream in streams]


def _valid_event_for(stream: str):
    return {topics.INBOUND: factories.inbound_feedback(external_id=uuid.uuid4().hex),
            topics.REQUESTS: factories.request_submitted(),
            topics.CASES: factories.case_registered(str(uuid.uuid4())),
            topics.SCORES: factories.request_submitted(),
            topics.REGISTRY: factories.served_province("44")[0]}[stream]


def _schema_invalid_for(stream: str):
    event = _valid_event_for(stream)
    data = dict(event.data)
    data["field"] = "astrology"
    return type(event)(**{**event.__dict__, "data": data})


@pytest.mark.parametrize("group, stream", PAIRS, ids=[f"{g}<-{s}" for g, s in PAIRS])
def test_malformed_and_schema_invalid_messages_are_dead_lettered_and_consumption_goes_on(
        group, stream, kafka_broker, postgres_url):
    bus = KafkaBus(kafka_broker.bootstrap_servers, client_id=f"dlq-test-{group}")
    bus.ensure_topics(topics.all_topics(), 6)
    runtime = factories.migrated_runtime(group, postgres_url, bus)
    if group == "routing":
        factories.serve_in_routing(runtime)  # routing opens cases only for localities its registry serves
    started = time.time()
    key = str(uuid.uuid4())  # one key: the three records share a partition, in this order
    marker = _valid_event_for(stream)
    pub = bus.publisher()
    pub.publish(stream, key, b'{"specversion": "1.0", "id": ')
    pub.publish(stream, key, _schema_invalid_for(stream).to_json())
    pub.publish(stream, key, marker.to_json())
    pub.flush()
    pub.close()
    consumer = runtime.consumer()
    registry = runtime.platform_metrics.registry

    # The stream is shared with earlier tests: wait for these three records themselves (one
    # key, so one partition, in order), not for any event of the marker's type.
    outcomes: list[str] = []
    process = consumer.process

    def watching(message):
        outcome = process(message)
        if message.key == key:
            outcomes.append(outcome)
        return outcome

    consumer.process = watching

    try:
        consume_until(consumer, lambda: len(outcomes) == 3, what=f"{group} consuming past the bad records")
    finally:
        consumer.close()
        runtime.close()
    everything = read_dead_letters(bus, group, stream)  # until caught up with every partition
    assert outcomes[:2] == ["dead_lettered", "dead_lettered"] and outcomes[2] in ("applied", "ignored")
    dead = sorted((m for m in everything if m.key == key), key=lambda m: m.offset)
    assert [m.reason for m in dead] == ["malformed", "schema"]
    assert "field" in dead[1].detail
    assert json.loads(dead[1].value)["id"]  # the original bytes, untouched
    assert all(m.headers["x-consumer-group"] == group for m in dead)
    # The group also meets bad records earlier tests left on the shared streams: this
    # consumer's metric counts every one it parked, which is what it added to the topic.
    parked_now = [m for m in everything if m.failed_at.timestamp() >= started]
    for reason in ("malformed", "schema"):
        assert registry.get_sample_value("giaitrinh_events_dead_lettered_total",
                                         {"service": group, "group": group, "topic": stream,
                                          "reason": reason}) == sum(
            1 for m in parked_now if m.reason == reason)
