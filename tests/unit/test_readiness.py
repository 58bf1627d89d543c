"""`/readyz` is what the process needs: a web process needs its database, not the broker
(it never talks to Kafka; its events wait in the outbox). The broker is reported as detail."""
import pytest

from giaitrinh_common.bus import InMemoryBus
from giaitrinh_platform.kafka_broker import free_port
from giaitrinh_platform.services import SERVICES


def web_client(service: str, database_url: str, bus: InMemoryBus):
    spec = SERVICES[service]
    runtime = spec.bootstrap(settings=spec.settings({f"{spec.env_prefix}_DATABASE_URL": database_url}),
                             bus=bus)
    return runtime, spec.create_app(runtime).test_client()


@pytest.mark.parametrize("service", SERVICES)
def test_a_web_process_is_ready_with_the_broker_down_and_says_so_in_the_detail(service, sqlite_url):
    bus = InMemoryBus()
    bus.available = False
    runtime, client = web_client(service, sqlite_url(service), bus)
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 200
        assert resp.json == {"status": "ready", "service": service, "checks": {"database": "ok"},
                             "detail": {"broker": "unavailable"}}
        bus.available = True
        assert client.get("/readyz").json["detail"] == {"broker": "ok"}
    finally:
        runtime.close()


@pytest.mark.parametrize("service", SERVICES)
def test_a_web_process_whose_database_does_not_answer_is_not_ready(service):
    # A PostgreSQL server on a port where nothing listens: the database is down.
    down = f"postgresql+psycopg://giaitrinh@127.0.0.1:{free_port()}/{service}"
    runtime, client = web_client(service, down, InMemoryBus())
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json["status"] == "not_ready"
        assert resp.json["checks"] == {"database": "unavailable"}
        assert resp.json["detail"] == {"broker": "ok"}
    finally:
        runtime.close()
