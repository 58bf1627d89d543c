"""Records other systems write to giaitrinh.inbound.v1 on a real broker, sent with a plain
Kafka client and forged retry headers: the headers steer nothing, the valid records behind them
are applied, and what waits is counted as lag."""
from __future__ import annotations

import uuid

from kafka import KafkaProducer

from giaitrinh_common import topics
from giaitrinh_common.kafka_bus import KafkaBus
from tests.support import factories
from tests.support.waiting import consume_until

FORGED = [("x-not-before", b"soon"), ("x-not-before", b"99999999999"), ("x-attempt", b"99"),
          ("x-attempts", b"99"), ("x-parked", b"true")]


def test_forged_retry_headers_on_the_inbound_topic_neither_stall_nor_skip(kafka_broker, postgres_url):
    bootstrap = kafka_broker.bootstrap_servers
    bus = KafkaBus(bootstrap, client_id="hostile-test")
    bus.ensure_topics(topics.all_topics(), topics.DEFAULT_PARTITIONS)
    runtime = factories.migrated_runtime("intake", postgres_url, bus)
    key = f"hotline-{uuid.uuid4().hex[:8]}"  # one key: one partition, in this order
    sent = [factories.inbound_feedback(external_id=f"{key}-{i}") for i in range(len(FORGED) + 2)]
    producer = KafkaProducer(bootstrap_servers=bootstrap)  # a third-party sender
    for i, event in enumerate(sent):
        headers = [FORGED[i]] if i < len(FORGED) else []
        producer.send(topics.INBOUND, key=key.encode(), value=event.to_json(), headers=headers)
    producer.send(topics.INBOUND, key=key.encode(), value=b'{"broken')
    producer.flush()
    producer.close()

    consumer = runtime.consumer()
    try:
        def all_stored():
            with runtime.unit_of_work() as uow:
                return all(uow.requests.by_external_ref(
                    factories_ref(e)) is not None for e in sent)
        consume_until(consumer, all_stored, timeout=90, what="every inbound record applied")
        consumer.report_lag()
        lag = runtime.platform_metrics.registry.get_sample_value(
            "giaitrinh_consumer_lag", {"service": "intake", "group": "intake",
                                       "topic": topics.INBOUND,
                                       "partition": str(_partition(consumer, key))})
        assert lag == 0
        assert consumer.waiting.listing() == []
    finally:
        consumer.close()
        runtime.close()


def factories_ref(event):
    from giaitrinh_intake.domain.model import ExternalRef

    return ExternalRef(event.data["source_system"], event.data["external_id"])


def _partition(consumer, key: str) -> int:
    from kafka.partitioner.default import murmur2

    return (murmur2(key.encode()) & 0x7FFFFFFF) % topics.DEFAULT_PARTITIONS
