"""The transactional outbox and its relay, on the in-memory bus and SQLite."""
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
    OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics).relay_once()
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
