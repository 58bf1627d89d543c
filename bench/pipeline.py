"""The event pipeline's two halves, each on SQLite and on PostgreSQL against a real broker:

* ``relay``   — intake's outbox: write N events (``uow.emit`` + a commit every 100), then
  ``OutboxRelay.relay_all()`` publishes them to Kafka (batches of 200);
* ``consume`` — scoring's idempotent consumer: N ``request.submitted`` events on the requests
  topic, applied one transaction each (inbox row + indicator update); then the same N again,
  which must all come out as duplicates.
"""
from __future__ import annotations

import time

import click
from measure import Measurement, rate, timed
from parts import BACKENDS, Parts, bus_with_topics

from giaitrinh_common import topics
from giaitrinh_common.consumer import IdempotentConsumer
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_common.relay import OutboxRelay
from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_scoring.domain.indicators import REQUESTS_RECEIVED, period_of
from tests.support.factories import LOCALITY, migrated_runtime, request_submitted

COMMIT_EVERY = 100
RELAY_BATCH = 200
PUBLISH_FLUSH_EVERY = 1000
STALL_SECONDS = 60  # no progress for this long means something is broken: stop, don't hang
SUBMITTED = "vn.giaitrinh.request.submitted.v1"


def make_events(n: int) -> list[CloudEvent]:
    """N valid, distinct ``request.submitted`` events (built before any clock starts)."""
    return [request_submitted() for _ in range(n)]


# -- relay -------------------------------------------------------------------------------------

def write_outbox(runtime: ServiceRuntime, events: list[CloudEvent]) -> None:
    """Emit every event to the requests topic through the unit of work, committing every 100."""
    with click.progressbar(length=len(events), label="  outbox writes") as bar:
        for start in range(0, len(events), COMMIT_EVERY):
            chunk = events[start:start + COMMIT_EVERY]
            with runtime.unit_of_work() as uow:
                for event in chunk:
                    uow.emit(topics.REQUESTS, event)
                uow.commit()
            bar.update(len(chunk))


def relay_on(backend: str, parts: Parts, bus: KafkaBus, n: int) -> list[Measurement]:
    runtime = migrated_runtime("intake", parts.database_url(backend, "bench_relay"), bus)
    relay = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics, batch_size=RELAY_BATCH)
    try:
        events = make_events(n)
        _, write_s = timed(lambda: write_outbox(runtime, events))
        click.echo(f"  relay_all(): publishing {n} rows in batches of {RELAY_BATCH} ...")
        published, relay_s = timed(relay.relay_all)
        if published != n or runtime.storage.outbox_backlog() != 0:
            raise click.ClickException(f"relay published {published} of {n} rows")
        click.echo(f"  {backend}: wrote {n / write_s:,.0f} events/s, relayed {n / relay_s:,.0f}/s")
        return [rate("relay", "outbox write (emit, commit per 100)", backend, n, write_s),
                rate("relay", "relay_all to Kafka (batch 200)", backend, n, relay_s)]
    finally:
        relay.publisher.close()
        runtime.close()


def bench_relay(parts: Parts, n: int) -> list[Measurement]:
    """Outbox write and outbox → Kafka relay throughput, SQLite then PostgreSQL."""
    with parts.kafka_broker("relay") as broker:
        bus = bus_with_topics(broker)
        return [m for backend in BACKENDS for m in relay_on(backend, parts, bus, n)]


# -- consume -----------------------------------------------------------------------------------

def publish(bus: KafkaBus, events: list[CloudEvent], label: str) -> None:
    """Put the events on the requests topic as intake's relay would (same key and headers)."""
    publisher = bus.publisher()
    try:
        with click.progressbar(events, label=label) as bar:
            for i, event in enumerate(bar, 1):
                publisher.publish(topics.REQUESTS, event.key, event.to_json(),
                                  {"ce_type": event.type, "ce_id": event.id})
                if i % PUBLISH_FLUSH_EVERY == 0:
                    publisher.flush()
        publisher.flush()
    finally:
        publisher.close()


def join_group(consumer: IdempotentConsumer, timeout: float = 60) -> None:
    """Poll until the consumer has its partitions, so the timed part excludes the group join."""
    deadline = time.monotonic() + timeout
    while not consumer.subscription.lag():
        if time.monotonic() > deadline:
            raise click.ClickException("the consumer got no partitions assigned")
        consumer.run_once(timeout=0.5)


def drain(consumer: IdempotentConsumer, n: int, label: str) -> None:
    """Call ``run_once`` until ``n`` records are finished."""
    done, last_progress = 0, time.monotonic()
    with click.progressbar(length=n, label=label) as bar:
        while done < n:
            finished = consumer.run_once(timeout=1.0)
            done += finished
            bar.update(finished)
            if finished:
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > STALL_SECONDS:
                raise click.ClickException(f"consumer stalled at {done} of {n} records")


def consumed(runtime: ServiceRuntime, outcome: str) -> int:
    """How many request.submitted records the runtime's consumer finished with ``outcome``."""
    value = runtime.platform_metrics.registry.get_sample_value(
        "giaitrinh_events_consumed_total",
        {"service": runtime.service, "group": runtime.service, "topic": topics.REQUESTS,
         "type": SUBMITTED, "outcome": outcome})
    return int(value or 0)


def requests_received(runtime: ServiceRuntime, event: CloudEvent) -> int:
    with runtime.unit_of_work() as uow:
        values = uow.indicators.for_locality(LOCALITY, period_of(event.time))
    return values.get(REQUESTS_RECEIVED, 0)


def verify(runtime: ServiceRuntime, event: CloudEvent, n: int, outcome: str) -> None:
    """The consumer finished ``n`` records with ``outcome``, and the indicator still counts n."""
    finished, counted = consumed(runtime, outcome), requests_received(runtime, event)
    if finished != n or counted != n:
        raise click.ClickException(f"expected {n} {outcome} records and an indicator of {n}; "
                                   f"got {finished} and {counted}")


def consume_on(backend: str, parts: Parts, bus: KafkaBus, n: int) -> list[Measurement]:
    runtime = migrated_runtime("scoring", parts.database_url(backend, "bench_consume"), bus)
    consumer = runtime.consumer()
    try:
        join_group(consumer)
        events = make_events(n)
        _, publish_s = timed(lambda: publish(bus, events, "  publish"))
        _, apply_s = timed(lambda: drain(consumer, n, "  apply (new)"))
        verify(runtime, events[0], n, "applied")
        publish(bus, events, "  publish again")
        _, duplicate_s = timed(lambda: drain(consumer, n, "  apply (duplicates)"))
        verify(runtime, events[0], n, "duplicate")
        click.echo(f"  {backend}: applied {n / apply_s:,.0f} events/s, "
                   f"duplicates {n / duplicate_s:,.0f}/s")
        return [rate("consume", "publish to Kafka (producer, acks=all)", backend, n, publish_s),
                rate("consume", "consume + apply (inbox + indicator)", backend, n, apply_s),
                rate("consume", "consume duplicates (inbox hit)", backend, n, duplicate_s)]
    finally:
        consumer.close()
        runtime.close()


def bench_consume(parts: Parts, n: int) -> list[Measurement]:
    """Idempotent consumer throughput, new events and pure duplicates, SQLite then PostgreSQL.

    Both runs use scoring's consumer group; the second starts from the offsets the first
    committed, so each consumes exactly its own events."""
    with parts.kafka_broker("consume") as broker:
        bus = bus_with_topics(broker)
        return [m for backend in BACKENDS for m in consume_on(backend, parts, bus, n)]
