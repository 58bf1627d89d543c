"""Scaling a service by adding worker processes to its consumer group, on a real broker and a
real PostgreSQL: the group's members share the partitions, and when one leaves the others take
its partitions over, with nothing lost and nothing applied twice."""
from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa

from giaitrinh_common import topics
from giaitrinh_common.bus import BusUnavailable
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.kafka_bus import KafkaBus
from tests.support import factories
from tests.support.waiting import eventually


class GroupMember:
    """One worker of the group: its own runtime (as a separate process would have), polling in
    a thread and backing off on a rebalance the way the worker loop does."""

    def __init__(self, name: str, group: str, database_url: str, bootstrap: str,
                 fails_once: set[str] | None = None, retry_backoff: float = 1.0):
        self.name = name
        self.runtime = factories.migrated_runtime("scoring", database_url, KafkaBus(bootstrap))
        self.applied: list[str] = []
        count = self.runtime.handlers()["vn.giaitrinh.request.submitted.v1"]

        def counting(event, uow):
            if fails_once is not None and event.id in fails_once:
                fails_once.discard(event.id)
                raise RuntimeError("a passing fault")
            count(event, uow)
            self.applied.append(event.id)

        self.consumer = IdempotentConsumer(
            group=group, streams=(topics.REQUESTS,),
            handlers={"vn.giaitrinh.request.submitted.v1": counting},
            unit_of_work=self.runtime.unit_of_work, bus=self.runtime.bus,
            metrics=self.runtime.metrics, retry_backoff=retry_backoff)
        self.held: frozenset[int] = frozenset()  # partitions of the stream it holds now
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        # Only this thread touches the consumer: kafka-python's consumer is not thread-safe.
        while not self._stop.is_set():
            try:
                self.consumer.run_once(timeout=0.3)
            except BusUnavailable:  # a commit refused during a rebalance: read again
                self._stop.wait(0.2)
            self.held = frozenset(p for (t, p) in self.consumer.subscription.assigned()
                                  if t == topics.REQUESTS)
            self.consumer.report_lag()

    def start(self) -> GroupMember:
        self._thread.start()
        return self

    def leave(self) -> None:
        """Stop polling and leave the group (safe to call twice)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(30)
        self.consumer.close()
        self.runtime.close()


    def lag_partitions(self) -> set[int]:
        """The partitions of the stream whose lag this member's metrics report."""
        registry = self.runtime.platform_metrics.registry
        return {int(s.labels["partition"]) for m in registry.collect() for s in m.samples
                if s.name == "giaitrinh_consumer_lag" and s.labels["topic"] == topics.REQUESTS}


def ensure_group_topics(bootstrap: str, group: str) -> None:
    """Create the streams and this group's own retry and dead-letter topics before a member
    subscribes, as the worker does at start: a member subscribed to a topic the broker does not
    know yet waits on its metadata, and the group's rebalance with it."""
    KafkaBus(bootstrap).ensure_topics(
        topics.all_topics() + topics.group_topics(group, (topics.REQUESTS,)),
        topics.DEFAULT_PARTITIONS)


def publish(bootstrap: str, n: int, events=None) -> list[str]:
    bus = KafkaBus(bootstrap)
    events = events or [factories.request_submitted() for _ in range(n)]
    publisher = bus.publisher()
    for event in events:
        publisher.publish(topics.REQUESTS, event.key, event.to_json())
    publisher.flush()
    publisher.close()
    return [e.id for e in events]


def applied_ids(database_url: str, group: str) -> set[str]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(sa.text("SELECT event_id FROM inbox WHERE consumer_group = :g"),
                                    {"g": group}).scalars())
    finally:
        engine.dispose()


def test_two_workers_share_the_partitions_and_one_takes_over_when_the_other_leaves(
        kafka_broker, postgres_url):
    bootstrap = kafka_broker.bootstrap_servers
    group = f"scoring-scale-{uuid.uuid4().hex[:6]}"
    ensure_group_topics(bootstrap, group)
    first = GroupMember("first", group, postgres_url, bootstrap).start()
    second = GroupMember("second", group, postgres_url, bootstrap).start()
    try:
        eventually(lambda: first.held and second.held and first.held | second.held == set(range(6))
                   and not first.held & second.held,
                   timeout=60, what="the two members splitting the six partitions")

        shared = publish(bootstrap, 60)
        eventually(lambda: set(shared) <= applied_ids(postgres_url, group), timeout=60,
                   what="the group applying the first 60 events")
        mine = set(shared)
        assert mine & set(first.applied) and mine & set(second.applied)  # both did some

        second.leave()
        eventually(lambda: first.held == set(range(6)), timeout=60,
                   what="the first member taking every partition over")
        alone = publish(bootstrap, 30)
        eventually(lambda: set(alone) <= applied_ids(postgres_url, group), timeout=60,
                   what="the remaining member applying the next 30 events")
        assert set(alone) <= set(first.applied)
        ours = [i for i in first.applied + second.applied if i in mine | set(alone)]
        assert sorted(ours) == sorted(shared + alone)  # each applied exactly once
    finally:
        first.leave()
        second.leave()


def test_a_retry_waiting_when_its_worker_leaves_is_applied_by_the_member_that_takes_over(
        kafka_broker, postgres_url):
    """A deferred retry, then a rebalance: nothing raises in a loop, the retry is not lost, and
    lag is reported only for the partitions a member reads now."""
    bootstrap = kafka_broker.bootstrap_servers
    group = f"scoring-handover-{uuid.uuid4().hex[:6]}"
    ensure_group_topics(bootstrap, group)
    event = factories.request_submitted()
    fails_once = {event.id}
    first = GroupMember("first", group, postgres_url, bootstrap, fails_once, retry_backoff=4).start()
    eventually(lambda: first.held == set(range(6)), timeout=60, what="the first member holding all")
    second = GroupMember("second", group, postgres_url, bootstrap, fails_once, retry_backoff=4).start()
    try:
        eventually(lambda: first.held and second.held and first.held | second.held == set(range(6))
                   and not first.held & second.held,
                   timeout=60, what="the two members splitting the six partitions")
        eventually(lambda: first.lag_partitions() == first.held, timeout=30,
                   what="the first member dropping the lag of partitions it gave away")
        publish(bootstrap, 1, [event])
        eventually(lambda: not fails_once, timeout=30, what="the first attempt failing")
        owner, other = (first, second) if _partition_of(event) in first.held else (second, first)
        owner.leave()  # before the retry is due (4 s)
        eventually(lambda: event.id in other.applied, timeout=60,
                   what="the remaining member applying the waiting retry")
        assert event.id not in owner.applied
        assert applied_ids(postgres_url, group) >= {event.id}
        assert other._thread.is_alive()
    finally:
        first.leave()
        second.leave()


def _partition_of(event) -> int:
    from kafka.partitioner.default import murmur2

    return (murmur2(event.key.encode()) & 0x7FFFFFFF) % topics.DEFAULT_PARTITIONS


def test_a_new_member_knows_its_topics_partitions_before_it_first_joins_the_group(kafka_broker):
    """Made the group's leader while its metadata was still on the way, a new member assigned
    nobody anything, and the group sat idle until the next metadata refresh."""
    bootstrap = kafka_broker.bootstrap_servers
    group = f"scoring-metadata-{uuid.uuid4().hex[:6]}"
    ensure_group_topics(bootstrap, group)
    subscription = KafkaBus(bootstrap).subscribe(group, [topics.REQUESTS])
    try:
        consumer = subscription._ensure()  # made, never polled: it has not asked to join yet
        known = consumer._client.cluster.partitions_for_topic(topics.REQUESTS)
        assert known == set(range(topics.DEFAULT_PARTITIONS))
    finally:
        subscription.close()
