"""The registry over a real Kafka broker and PostgreSQL: what the provincial admin enables in
routing reaches intake and scoring through routing's outbox, the relay and the registry stream
(keyed by the locality), and a disabling after it wins in both."""
from __future__ import annotations

import sqlalchemy as sa

from giaitrinh_common import topics
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_scoring.adapters.orm import localities as scoring_localities
from tests.support.factories import migrated_runtime
from tests.support.waiting import eventually

WARD = "70"  # Phường Hoàn Kiếm (Hà Nội): in the official list


def test_a_locality_enabled_then_disabled_in_routing_is_served_then_not_in_intake_and_scoring(
        kafka_broker, make_postgres_url):
    bus = KafkaBus(kafka_broker.bootstrap_servers, client_id="registry-test")
    bus.ensure_topics(topics.all_topics(), 6)
    routing = migrated_runtime("routing", make_postgres_url(), bus)
    intake = migrated_runtime("intake", make_postgres_url(), bus, learn_registry=False)
    scoring = migrated_runtime("scoring", make_postgres_url(), bus)
    relay, consumers = routing.worker().relay, [intake.consumer(), scoring.consumer()]

    def scoring_serves() -> bool | None:
        with scoring.storage.engine.connect() as conn:
            return conn.execute(sa.select(scoring_localities.c.served)
                                .where(scoring_localities.c.code == WARD)).scalar()

    def step(probe):
        def once():
            relay.relay_all()
            for consumer in consumers:
                consumer.run_once(timeout=0.3)
            return probe()
        return once

    try:
        routing.set_locality_served(WARD, True, "admin-1")
        eventually(step(lambda: intake.localities.get(WARD) is not None and scoring_serves()), timeout=90,
                   every=0, what="intake and scoring learning the enabled locality")
        assert "land" in intake.localities.fields_of(WARD)
        routing.set_locality_served(WARD, False, "admin-1")
        eventually(step(lambda: intake.localities.get(WARD) is None and scoring_serves() is False), timeout=90,
                   every=0, what="intake and scoring learning the disabling")
    finally:
        for consumer in consumers:
            consumer.close()
        for runtime in (routing, intake, scoring):
            runtime.close()
