"""The local KRaft broker really is a Kafka broker: kafka-python 3 clients create topics, produce
and consume through it, and its data survives a stop and a restart on the same directory, and
`giaitrinh up`'s supervisor brings it back after a SIGKILL."""
from __future__ import annotations

import functools
import logging
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from giaitrinh_platform.kafka_broker import LocalKafkaBroker, ensure_kafka_jars
from giaitrinh_platform.supervisor import BrokerProcess, RestartPolicy, Supervisor
from tests.support.fixtures import PROJECT_ROOT
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

PARTITIONS = 6
TIMEOUT_MS = 10_000


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def admin(kafka_broker: LocalKafkaBroker) -> Iterator[KafkaAdminClient]:
    client = KafkaAdminClient(
        bootstrap_servers=kafka_broker.bootstrap_servers, request_timeout_ms=TIMEOUT_MS
    )
    try:
        yield client
    finally:
        client.close()


def _create_topic(admin: KafkaAdminClient, name: str) -> None:
    # The dict form: lists of NewTopic are deprecated in kafka-python 3 (a warning = an error here).
    admin.create_topics(
        {name: {"num_partitions": PARTITIONS, "replication_factor": 1}},
        wait_for_metadata=True,
    )


def _produce(broker: LocalKafkaBroker, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    # Keys and values are bytes: a plain callable as (de)serializer is deprecated in kafka-python 3.
    producer = KafkaProducer(
        bootstrap_servers=broker.bootstrap_servers, acks="all", linger_ms=5,
        request_timeout_ms=TIMEOUT_MS,
    )
    try:
        futures = [producer.send(topic, key=key, value=value) for key, value in messages]
        for future in futures:
            future.get(timeout=TIMEOUT_MS / 1000)  # raises if the broker did not acknowledge
    finally:
        producer.close(timeout=5)


def _consume(
    broker: LocalKafkaBroker, topic: str, group: str, expected: int, timeout_s: float = 20
) -> tuple[list[tuple[bytes, bytes]], dict[int, int]]:
    """Read ``expected`` records as a member of ``group``, commit them by hand, and return the
    records and the offsets committed per partition."""
    consumer = KafkaConsumer(
        bootstrap_servers=broker.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=TIMEOUT_MS + 1000,  # must exceed the consumer's session timeout
    )
    try:
        consumer.subscribe([topic])
        received: list[tuple[bytes, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while len(received) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                received.extend((r.key, r.value) for r in records)
        consumer.commit()
        committed = {
            p: consumer.committed(TopicPartition(topic, p)) or 0 for p in range(PARTITIONS)
        }
        return received, committed
    finally:
        consumer.close(autocommit=False)


def test_messages_round_trip_through_a_six_partition_topic_and_a_consumer_group(
    kafka_broker: LocalKafkaBroker, admin: KafkaAdminClient
) -> None:
    topic = _unique("roundtrip")
    _create_topic(admin, topic)
    [described] = admin.describe_topics([topic])
    assert len(described["partitions"]) == PARTITIONS

    messages = [(f"ward-{i % 12}".encode(), f"event-{i}".encode()) for i in range(60)]
    _produce(kafka_broker, topic, messages)

    received, committed = _consume(kafka_broker, topic, _unique("group"), len(messages))

    assert sorted(received) == sorted(messages)
    assert sum(committed.values()) == len(messages)
    # Keys spread over partitions, and each key's records arrive in the order they were sent.
    assert sum(1 for offset in committed.values() if offset > 0) > 1
    for key in {k for k, _ in messages}:
        assert [v for k, v in received if k == key] == [v for k, v in messages if k == key]


def test_messages_survive_a_broker_restart(
    kafka_broker: LocalKafkaBroker, admin: KafkaAdminClient
) -> None:
    topic, group = _unique("restart"), _unique("group")
    _create_topic(admin, topic)
    before = [(b"k%d" % i, b"before-%d" % i) for i in range(10)]
    _produce(kafka_broker, topic, before)
    received, _ = _consume(kafka_broker, topic, group, len(before))
    assert sorted(received) == sorted(before)
    admin.close()  # its connection would only see the broker vanish

    kafka_broker.stop()
    assert not kafka_broker.is_running()
    try:
        kafka_broker.start()
        kafka_broker.wait_ready(timeout=60)
    finally:
        # The broker is shared by the session: never leave it down for the tests after this one.
        if not kafka_broker.is_running():
            kafka_broker.start()
            kafka_broker.wait_ready(timeout=60)

    with KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap_servers) as fresh_admin:
        assert topic in fresh_admin.list_topics()
    after = [(b"k%d" % i, b"after-%d" % i) for i in range(5)]
    _produce(kafka_broker, topic, after)

    # The group's committed offsets survived too: it resumes with only the new records...
    resumed, _ = _consume(kafka_broker, topic, group, len(after))
    assert sorted(resumed) == sorted(after)
    # ...while a new group still finds every record written before the restart.
    everything, _ = _consume(kafka_broker, topic, _unique("group"), len(before) + len(after))
    assert sorted(everything) == sorted(before + after)


def test_the_jar_cache_is_reused_while_the_pom_is_unchanged(
    kafka_broker: LocalKafkaBroker,
) -> None:
    stamp = kafka_broker.lib_dir / ".pom.sha256"
    mtime = stamp.stat().st_mtime_ns
    started = time.monotonic()
    assert ensure_kafka_jars(PROJECT_ROOT) == kafka_broker.lib_dir
    assert time.monotonic() - started < 1.0  # no Maven run
    assert stamp.stat().st_mtime_ns == mtime


def test_a_second_start_on_the_same_data_dir_does_not_reformat_it(
    kafka_broker: LocalKafkaBroker,
) -> None:
    meta = kafka_broker.kafka_logs_dir / "meta.properties"
    before = meta.read_text()
    # A new launcher object on the same directory, as `giaitrinh up` would create on each run.
    twin = LocalKafkaBroker(
        lib_dir=kafka_broker.lib_dir,
        data_dir=Path(kafka_broker.data_dir),
        port=kafka_broker.port,
        controller_port=kafka_broker.controller_port,
    )
    twin.ensure_formatted()
    assert meta.read_text() == before  # same cluster id: the data was kept


def _ended_but_not_reaped(pid: int) -> bool:
    """Our child ``pid`` has ended and nobody has collected its exit status: a zombie.
    (WNOWAIT: asking does not reap it.)"""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def _exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_a_broker_killed_with_sigkill_is_reaped_logged_and_started_again_by_the_supervisor(
    kafka_broker: LocalKafkaBroker, admin: KafkaAdminClient, caplog: pytest.LogCaptureFixture
) -> None:
    topic = _unique("supervised")
    _create_topic(admin, topic)
    _produce(kafka_broker, topic, [(b"k", b"before the kill")])
    admin.close()  # its connection would only see the broker vanish
    # The supervision `giaitrinh up` runs, with a short first back-off.
    supervisor = Supervisor(restart_policy=functools.partial(RestartPolicy, first_delay=0.5))
    supervisor.watch(BrokerProcess(kafka_broker))
    killed = kafka_broker.pid
    assert killed is not None

    def started_again() -> bool:
        supervisor.check()
        return kafka_broker.pid != killed

    try:
        with caplog.at_level(logging.INFO, logger="giaitrinh_platform.supervisor"):
            os.kill(killed, signal.SIGKILL)
            # Dead but not reaped: what the platform used to leave behind for as long as it ran.
            eventually(lambda: _ended_but_not_reaped(killed), timeout=10, every=0.05,
                       what="the killed JVM ending")
            assert _exists(killed)
            supervisor.check()
            assert not _exists(killed)  # reaped
            eventually(started_again, timeout=10, every=0.1, what="the supervisor starting the broker")
        kafka_broker.wait_ready(timeout=90)  # asks the broker for its metadata
    finally:
        # The broker is shared by the session: never leave it down for the tests after this one.
        if not kafka_broker.is_running():
            kafka_broker.start()
            kafka_broker.wait_ready(timeout=90)

    exit_line = next(m for m in caplog.messages if "exited" in m)
    assert exit_line.startswith("kafka-broker exited (code -9 (SIGKILL)); starting it again in 0.5s")
    assert str(kafka_broker.log_file) in exit_line
    assert "kafka-broker started again" in caplog.messages
    received, _ = _consume(kafka_broker, topic, _unique("group"), 1)
    assert received == [(b"k", b"before the kill")]
