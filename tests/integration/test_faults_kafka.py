"""Faults the foundation must survive, on a real broker and real PostgreSQL:
a relay killed between publishing and marking, and a broker that is down at start."""
import time

import pytest
import sqlalchemy as sa

from giaitrinh_common import topics
from giaitrinh_common.kafka_bus import KafkaBus
from giaitrinh_common.relay import OutboxRelay
from giaitrinh_intake.domain.commands import SubmitRequest
from giaitrinh_intake.entrypoints.web import create_app
from giaitrinh_platform.kafka_broker import LocalKafkaBroker, ensure_kafka_jars, free_port
from tests.support.factories import migrated_runtime, serve_in_routing
from tests.support.fixtures import PROJECT_ROOT
from tests.support.waiting import consume_until, eventually


class RelayKilled(Exception):
    """Stands for the process dying after Kafka acknowledged and before the rows were marked."""


def _submission(title="Cống thoát nước tắc"):
    return SubmitRequest(kind="feedback", channel="api", field="environment",
                         locality_code="18880", title=title, content="Nước tràn ra đường khi mưa.")


def _cases_for(runtime, request_id):
    with runtime.unit_of_work() as uow:
        return uow.cases.for_request(request_id)


def test_a_relay_killed_after_publishing_republishes_and_the_event_is_applied_once(
        kafka_broker, make_postgres_url):
    bus = KafkaBus(kafka_broker.bootstrap_servers)
    bus.ensure_topics(topics.all_topics(), 6)
    intake = migrated_runtime("intake", make_postgres_url(), bus)
    routing = migrated_runtime("routing", make_postgres_url(), bus)
    serve_in_routing(routing)  # routing opens cases only for localities its registry serves
    try:
        receipt = intake.submit(_submission())

        def killed(rows):
            raise RelayKilled

        dying = OutboxRelay(intake.storage, bus.publisher(), intake.metrics, after_publish=killed)
        with pytest.raises(RelayKilled):
            dying.relay_once()
        dying.publisher.close()
        assert intake.storage.outbox_backlog() == 1  # the restart must publish it again
        # The killed relay's lease runs out first (in a real kill its process is gone, and a
        # relay on the same machine takes the lease over at once).
        restarted = OutboxRelay(intake.storage, bus.publisher(), intake.metrics,
                                clock=lambda: time.time() + 31)
        assert restarted.relay_once() == 1 and intake.storage.outbox_backlog() == 0
        restarted.publisher.close()

        # The stream is shared with other tests: follow our event by the inbox claims made for it.
        consumer = routing.consumer()
        claims: list[bool] = []
        make_uow = consumer.unit_of_work

        def watching_uow():
            uow = make_uow()
            claim = uow.claim

            def recorded(group, event):
                won = claim(group, event)
                if event.subject == receipt.request_id:
                    claims.append(won)
                return won

            uow.claim = recorded
            return uow

        consumer.unit_of_work = watching_uow
        try:
            consume_until(consumer, lambda: len(claims) >= 2, what="routing meeting both copies")
        finally:
            consumer.close()
        assert claims == [True, False]  # delivered twice, applied once
        case = _cases_for(routing, receipt.request_id)
        assert case is not None and case.tracking_code == receipt.tracking_code
        outbox = routing.storage.outbox
        with routing.storage.engine.connect() as conn:
            ours = conn.execute(sa.select(outbox.c.type).where(outbox.c.key == receipt.request_id)).scalars().all()
        assert ours == ["vn.giaitrinh.case.registered.v1"]  # one, not two
    finally:
        intake.close()
        routing.close()


def test_with_the_broker_down_at_start_services_run_requests_wait_and_flow_when_it_returns(
        tmp_path, make_postgres_url):
    broker = LocalKafkaBroker(lib_dir=ensure_kafka_jars(PROJECT_ROOT), data_dir=tmp_path / "kafka",
                              port=free_port(), controller_port=free_port())
    env = {"GIAITRINH_KAFKA_BOOTSTRAP": broker.bootstrap_servers}
    intake = migrated_runtime("intake", make_postgres_url(),
                              KafkaBus(broker.bootstrap_servers, connect_timeout=2), **env)
    routing = migrated_runtime("routing", make_postgres_url(),
                               KafkaBus(broker.bootstrap_servers, connect_timeout=2), **env)
    serve_in_routing(routing)  # routing opens cases only for localities its registry serves
    client = create_app(intake).test_client()
    workers = [intake.worker(), routing.worker()]
    for w in workers:
        w.max_backoff = 2.0
        w.start()
    try:
        ready = client.get("/readyz")  # intake's web process does not need the broker: ready
        assert ready.status_code == 200 and ready.json["detail"] == {"broker": "unavailable"}
        resp = client.post("/api/v1/requests", json={
            "kind": "feedback", "field": "land", "locality_code": "18880",
            "title": "Lấn chiếm vỉa hè", "content": "Quán ăn lấn chiếm vỉa hè đường Quang Trung."})
        assert resp.status_code == 201  # accepted: the event waits in the outbox
        request_id = resp.json["request_id"]
        assert intake.storage.outbox_backlog() == 1

        broker.start()
        broker.wait_ready()
        case = eventually(lambda: _cases_for(routing, request_id), timeout=90,
                          what="routing registering the case once the broker is back")
        assert case.tracking_code == resp.json["tracking_code"]
        assert intake.storage.outbox_backlog() == 0
        eventually(lambda: client.get("/readyz").json["detail"] == {"broker": "ok"}, timeout=30,
                   what="intake seeing the broker back")
    finally:
        for w in workers:
            w.stop()
        intake.close()
        routing.close()
        broker.stop()
