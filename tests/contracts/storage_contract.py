"""The storage contract: every service's migrations and the unit of work's inbox and outbox
behave the same on SQLite (tests/unit) and PostgreSQL (tests/integration)."""
from __future__ import annotations

import pytest

from giaitrinh_common import migrations, topics
from giaitrinh_common.bus import InMemoryBus
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
