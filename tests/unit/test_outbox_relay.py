"""The transactional outbox and its relay, on the in-memory bus and SQLite."""
import threading
import time
from datetime import UTC

import pytest

from giaitrinh_common import topics
from giaitrinh_common.bus import BusUnavailable, InMemoryBus
from giaitrinh_common.envelope import CloudEvent
from giaitrinh_common.relay import OutboxRelay
from tests.support.factories import migrated_runtime, request_submitted


class SimulatedCrash(Exception):
    pass


@pytest.fixture
def bus():
    return InMemoryBus()


@pytest.fixture
def runtime(bus, sqlite_url):
    rt = migrated_runtime("routing", sqlite_url("routing"), bus)
    yield rt
    rt.close()


def emit(runtime, *events):
    with runtime.unit_of_work() as uow:
        for ev in events:
            uow.emit(topics.REQUESTS, ev)
        uow.commit()


def test_events_leave_the_outbox_in_the_order_they_were_committed(runtime, bus):
    request_id = "0b7a1f3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
    events = [request_submitted(request_id, title=f"#{i}") for i in range(5)]
    emit(runtime, *events)
    relay = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
    assert relay.relay_all() == 5
    assert [CloudEvent.from_json(m.value).id for m in bus.records(topics.REQUESTS)] == [e.id for e in events]
    assert runtime.storage.outbox_backlog() == 0
    assert bus.records(topics.REQUESTS)[0].key == request_id


def test_an_event_rolled_back_with_its_change_is_never_published(runtime, bus):
    with runtime.unit_of_work() as uow:
        uow.emit(topics.REQUESTS, request_submitted())
        uow.rollback()
    assert OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics).relay_all() == 0


def test_an_invalid_event_of_our_own_is_refused_before_it_reaches_the_outbox(runtime):
    from giaitrinh_common.contracts import SchemaViolation

    with runtime.unit_of_work() as uow, pytest.raises(SchemaViolation):
        uow.emit(topics.REQUESTS, request_submitted(kind="gossip"))


def test_with_the_bus_down_events_wait_in_the_outbox(runtime, bus):
    emit(runtime, request_submitted())
    bus.available = False
    relay = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
    with pytest.raises(BusUnavailable):
        relay.relay_once()
    assert runtime.storage.outbox_backlog() == 1
    bus.available = True
    assert relay.relay_once() == 1
    assert runtime.storage.outbox_backlog() == 0


def test_a_relay_that_dies_after_publishing_publishes_again_on_restart(runtime, bus):
    emit(runtime, request_submitted())

    def die(rows):
        raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics, after_publish=die).relay_once()
    assert runtime.storage.outbox_backlog() == 1  # not marked: a restart must send it again
    # The dead relay's lease runs out before another relay may publish.
    after_the_lease = lambda: time.time() + 31  # noqa: E731
    OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics, clock=after_the_lease).relay_once()
    records = bus.records(topics.REQUESTS)
    assert len(records) == 2 and records[0].value == records[1].value  # at least once...


def test_published_rows_can_be_purged(runtime, bus):
    from datetime import datetime, timedelta

    emit(runtime, request_submitted())
    relay = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
    relay.relay_all()
    assert relay.purge_published(datetime.now(UTC) + timedelta(seconds=1)) == 1


def test_the_worker_purges_published_rows_past_their_retention(runtime, bus):
    from datetime import timedelta

    emit(runtime, request_submitted())
    worker = runtime.worker()
    worker.relay.relay_all()
    purge = next(job for job in worker.jobs if job.name == "outbox-purge")
    purge.run()  # a 7-day retention keeps a fresh row
    with runtime.storage.engine.connect() as conn:
        assert conn.execute(runtime.storage.outbox.select()).first() is not None
    worker2 = type(worker)(service="routing", bus=bus, storage=runtime.storage, metrics=runtime.metrics,
                           consumer=None, topics_to_ensure=[], partitions=1,
                           outbox_retention=timedelta(seconds=-1))
    next(job for job in worker2.jobs if job.name == "outbox-purge").run()
    with runtime.storage.engine.connect() as conn:
        assert conn.execute(runtime.storage.outbox.select()).first() is None


class BlockingPublisher:
    """A publisher whose flush waits until the test lets it go (a slow broker)."""

    def __init__(self, bus):
        self.inner = bus.publisher()
        self.flushing, self.go_on = threading.Event(), threading.Event()

    def publish(self, *args, **kwargs):
        self.inner.publish(*args, **kwargs)

    def flush(self, timeout=30.0):
        self.flushing.set()
        self.go_on.wait(10)
        self.inner.flush(timeout)

    def close(self):
        self.inner.close()


def test_a_second_relay_of_the_service_publishes_nothing_while_the_first_holds_the_lease(runtime, bus):
    emit(runtime, request_submitted())
    slow = BlockingPublisher(bus)
    first = OutboxRelay(runtime.storage, slow, runtime.metrics)
    second = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
    worker = threading.Thread(target=first.relay_once)
    worker.start()
    assert slow.flushing.wait(5)
    # The first is waiting for the broker: the second neither waits on it nor publishes.
    started = time.monotonic()
    assert second.relay_once() == 0
    assert time.monotonic() - started < 5
    slow.go_on.set()
    worker.join(10)
    assert len(bus.records(topics.REQUESTS)) == 1
    assert runtime.storage.outbox_backlog() == 0


def test_two_relays_racing_over_many_rows_publish_each_row_once(runtime, bus):
    for _ in range(60):
        emit(runtime, request_submitted())
    relays = [OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics, batch_size=7)
              for _ in range(2)]

    def run(relay):
        deadline = time.monotonic() + 20
        while runtime.storage.outbox_backlog() and time.monotonic() < deadline:
            relay.relay_once()

    threads = [threading.Thread(target=run, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ids = [m.header("ce_id") for m in bus.records(topics.REQUESTS)]
    assert len(ids) == 60 and len(set(ids)) == 60


def test_a_relay_that_stops_cleanly_hands_the_lease_over_at_once(runtime, bus):
    first = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
    assert first.acquire_lease()
    second = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
    assert not second.acquire_lease()
    first.release_lease()
    assert second.acquire_lease()


def test_the_lease_of_a_relay_process_that_died_on_this_machine_is_taken_over(runtime, bus):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    first = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
    first.holder = f"{first.holder.split('|')[0]}|{pid}|gone"
    assert first.acquire_lease()
    assert OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics).acquire_lease()


def test_the_backlog_gauge_counts_the_outbox_while_the_broker_is_down(runtime, bus):
    """The alert on a growing outbox must be able to fire in the very case it names."""
    emit(runtime, request_submitted())
    emit(runtime, request_submitted())
    bus.available = False
    worker = runtime.worker()
    with pytest.raises(BusUnavailable):
        worker._relay_step()
    gauge = runtime.platform_metrics.registry.get_sample_value(
        "giaitrinh_outbox_backlog", {"service": runtime.service})
    assert gauge == 2
