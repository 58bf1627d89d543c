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

# Every consumer group of the platform, each with every stream it subscribes to.
GROUPS = sorted(topics.SUBSCRIPTIONS)


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


@pytest.mark.parametrize("group", GROUPS)
def test_malformed_and_schema_invalid_messages_are_dead_lettered_and_consumption_goes_on(
        group, kafka_broker, postgres_url):
    """On each stream the group reads: a malformed record, a schema-invalid one, then a valid one
    (one key per stream, so one partition, in this order) — the first two parked with their
    reason, the third applied. One runtime per group reads all its streams at once: the group
    joins and its database is migrated once, not once per stream."""
    streams = topics.SUBSCRIPTIONS[group]
    bus = KafkaBus(kafka_broker.bootstrap_servers, client_id=f"dlq-test-{group}")
    bus.ensure_topics(topics.all_topics(), 6)
    runtime = factories.migrated_runtime(group, postgres_url, bus)
    if group == "routing":
        factories.serve_in_routing(runtime)  # routing opens cases only for localities its registry serves
    started = time.time()
    keys = {stream: str(uuid.uuid4()) for stream in streams}
    pub = bus.publisher()
    for stream, key in keys.items():
        pub.publish(stream, key, b'{"specversion": "1.0", "id": ')
        pub.publish(stream, key, _schema_invalid_for(stream).to_json())
        pub.publish(stream, key, _valid_event_for(stream).to_json())
    pub.flush()
    pub.close()
    consumer = runtime.consumer()
    registry = runtime.platform_metrics.registry

    # The streams are shared with earlier tests: wait for these records themselves, not for
    # any event of the valid one's type.
    outcomes: dict[str, list[str]] = {key: [] for key in keys.values()}
    process = consumer.process

    def watching(message):
        outcome = process(message)
        if message.key in outcomes:
            outcomes[message.key].append(outcome)
        return outcome

    consumer.process = watching

    try:
        consume_until(consumer, lambda: all(len(seen) == 3 for seen in outcomes.values()),
                      what=f"{group} consuming past the bad records of {', '.join(streams)}")
    finally:
        consumer.close()
        runtime.close()
    for stream, key in keys.items():
        assert outcomes[key][:2] == ["dead_lettered", "dead_lettered"], stream
        assert outcomes[key][2] in ("applied", "ignored"), stream
        everything = read_dead_letters(bus, group, stream)  # until caught up with every partition
        dead = sorted((m for m in everything if m.key == key), key=lambda m: m.offset)
        assert [m.reason for m in dead] == ["malformed", "schema"], stream
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
                1 for m in parked_now if m.reason == reason), (stream, reason)
