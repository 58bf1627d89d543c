"""The platform as `giaitrinh up` runs it, once for the whole e2e tier: a Kafka broker of its own,
a PostgreSQL database per service, each service's gunicorn web process and worker, and the
gateway (nginx) in front of the web processes, every one on a free port."""
from __future__ import annotations

import os

import pytest

from giaitrinh_platform.kafka_broker import LocalKafkaBroker, ensure_kafka_jars, free_port
from giaitrinh_platform.services import SERVICES
from giaitrinh_platform.supervisor import Platform
from tests.support.fixtures import PROJECT_ROOT
from tests.support.waiting import eventually


def _served_in_intake(database_url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM localities WHERE served")).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def platform(tmp_path_factory, postgres_server):
    # Its own broker: the consumer groups start from a clean slate, as on a fresh machine.
    data_dir = tmp_path_factory.mktemp("platform")
    broker = LocalKafkaBroker(lib_dir=ensure_kafka_jars(PROJECT_ROOT), data_dir=data_dir / "kafka",
                              port=free_port(), controller_port=free_port())
    broker.start()
    broker.wait_ready()
    # The gateway's settings at their defaults, whatever this shell says, but for its port.
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_DATABASE_URL") and not k.startswith("GIAITRINH_GATEWAY_")}
    env["GIAITRINH_GATEWAY_PORT"] = str(free_port())
    for name, spec in SERVICES.items():
        env[f"{spec.env_prefix}_DATABASE_URL"] = postgres_server.create_database(f"e2e_{name}")
    platform = Platform(data_dir=data_dir, kafka_bootstrap=broker.bootstrap_servers, base_env=env,
                        web_ports={s: free_port() for s in SERVICES},
                        metrics_ports={s: free_port() for s in SERVICES}, web_threads=2)
    platform.create_topics()
    platform.migrate()
    added, total = platform.seed()
    assert (added, total) == (78, 78)
    platform.start_services()
    try:
        platform.wait_ready(timeout=120)
        # Intake serves what routing's registry publishes: wait until it has learnt the 78
        # localities seeding published (locality.changed, through routing's outbox and Kafka).
        eventually(lambda: _served_in_intake(env["INTAKE_DATABASE_URL"]) == 78, timeout=120,
                   what="intake learning the registry's localities")
        platform.start_gateway()
        platform.wait_gateway()
        yield platform
    finally:
        platform.stop_services()
        broker.stop()
        for name in SERVICES:
            postgres_server.drop_database(f"e2e_{name}")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's, under Playwright) for the tier's browser tests — one
    only: Playwright's sync API cannot run two at once in a process. axe-core must be there."""
    from giaitrinh_platform import screenshots
    axe = PROJECT_ROOT / ".cache/axe/node_modules/axe-core/axe.min.js"
    if not axe.exists():
        pytest.fail(f"{axe} is missing: run `bash deploy/scripts/bootstrap.sh --test`")
    with screenshots.launch() as chromium:
        yield chromium
