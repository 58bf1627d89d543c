"""The storage contract: every service's migrations, the unit of work's inbox and outbox, the
consumer's waiting room and the relay's lease behave the same on SQLite (tests/unit) and
PostgreSQL (tests/integration)."""
from __future__ import annotations

import threading
import time

import pytest

from giaitrinh_common import migrations, topics
from giaitrinh_common.bus import InMemoryBus
from giaitrinh_common.relay import OutboxRelay
from giaitrinh_common.waiting_room import WaitingRoom
from giaitrinh_platform.services import SERVICES
from tests.support.factories import migrated_runtime, request_submitted


class StorageContract:
    """Subclasses provide ``database_url`` (a fresh, empty database per call)."""

    @pytest.mark.parametrize("service", list(SERVICES))
    def test_migrations_reach_head_match_the_models_and_go_back_down(self, service, database_url):
        url = database_url()
        spec = SERVICES[service]
        migrations.upgrade(spec.package, url)
        assert migrations.drift(url, spec.metadata()) == []
        migrations.downgrade(spec.package, url, "base")
        migrations.upgrade(spec.package, url)
        assert migrations.drift(url, spec.metadata()) == []

    def test_an_event_id_is_claimed_once_per_consumer_group(self, database_url):
        runtime = migrated_runtime("notify", database_url(), InMemoryBus())
        event = request_submitted()
        try:
            with runtime.unit_of_work() as uow:
                assert uow.claim("notify", event) is True
                uow.commit()
            with runtime.unit_of_work() as uow:
                assert uow.claim("notify", event) is False
            with runtime.unit_of_work() as uow:
                assert uow.claim("another-group", event) is True
        finally:
            runtime.close()

    def test_a_change_and_its_events_commit_together_or_not_at_all(self, database_url):
        runtime = migrated_runtime("scoring", database_url(), InMemoryBus())
        try:
            with runtime.unit_of_work() as uow:
                uow.indicators.add("18880", "2026", "requests_received")
                uow.emit(topics.SCORES, request_submitted())  # any valid event will do
                uow.rollback()
            assert runtime.storage.outbox_backlog() == 0
            with runtime.unit_of_work() as uow:
                assert uow.indicators.for_locality("18880", "2026") == {}
                uow.indicators.add("18880", "2026", "requests_received")
                uow.emit(topics.SCORES, request_submitted())
                uow.commit()
            assert runtime.storage.outbox_backlog() == 1
        finally:
            runtime.close()

    def test_the_waiting_room_keeps_each_request_queue_in_arrival_order(self, database_url):
        runtime = migrated_runtime("notify", database_url(), InMemoryBus())
        room = WaitingRoom(runtime.storage, "notify")
        try:
            events = [request_submitted("r-1"), request_submitted("r-2"), request_submitted("r-1")]
            for i, event in enumerate(events):
                assert room.add(stream=topics.REQUESTS, key=event.key, topic=topics.REQUESTS,
                                partition=0, offset=i, event_id=event.id, event_type=event.type,
                                payload=event.to_json().decode(), now=1.0 + i)
            assert not room.add(stream=topics.REQUESTS, key="r-1", topic=topics.REQUESTS,
                                partition=0, offset=0, event_id=events[0].id,
                                event_type=events[0].type, payload="{}", now=9.0)
            assert [h.event_id for h in room.heads()] == [events[0].id, events[1].id]
            assert room.queued_keys() == {(topics.REQUESTS, "r-1"), (topics.REQUESTS, "r-2")}
            room.park(room.heads()[0].id, 3, "boom")
            summary = room.summary()
            assert (summary.waiting, summary.parked, summary.parked_keys, summary.oldest_created_at) \
                == (2, 1, 1, 1.0)
            assert room.unpark(events[0].id) and not room.unpark(events[0].id)
            room.remove(room.heads()[0].id)
            assert [h.event_id for h in room.heads()] == [events[1].id, events[2].id]
            assert WaitingRoom(runtime.storage, "scoring").heads() == []  # per group
        finally:
            runtime.close()

    def test_a_second_relay_neither_waits_nor_publishes_while_the_first_flushes(self, database_url):
        runtime = migrated_runtime("scoring", database_url(), InMemoryBus())
        bus = InMemoryBus()
        try:
            with runtime.unit_of_work() as uow:
                uow.emit(topics.SCORES, request_submitted())
                uow.commit()
            flushing, go_on = threading.Event(), threading.Event()
            publisher = bus.publisher()
            real_flush = publisher.flush

            def slow_flush(timeout=30.0):
                flushing.set()
                go_on.wait(10)
                real_flush(timeout)

            publisher.flush = slow_flush
            first = OutboxRelay(runtime.storage, publisher, runtime.metrics)
            second = OutboxRelay(runtime.storage, bus.publisher(), runtime.metrics)
            thread = threading.Thread(target=first.relay_once)
            thread.start()
            assert flushing.wait(10)
            started = time.monotonic()
            assert second.relay_once() == 0  # no row lock to wait on, no lease to publish with
            assert time.monotonic() - started < 5
            go_on.set()
            thread.join(10)
            assert len(bus.records(topics.SCORES)) == 1 and runtime.storage.outbox_backlog() == 0
        finally:
            runtime.close()
