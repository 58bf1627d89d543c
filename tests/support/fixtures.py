"""Session-wide infrastructure for the integration and end-to-end tests: a real Kafka broker and
a throwaway PostgreSQL cluster. Registered from tests/conftest.py with
``pytest_plugins = ["tests.support.fixtures"]``.

Nothing here skips: a missing Java, Maven or PostgreSQL fails the tests that need them, with a
message saying what to install, because a silently skipped integration suite looks green.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from giaitrinh_platform.kafka_broker import (
    KafkaBrokerError,
    LocalKafkaBroker,
    ensure_kafka_jars,
    free_port,
)
from tests.support.postgres import PostgresUnavailable, ThrowawayPostgres

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Generous for a cold JVM on two busy cores; a healthy start takes a few seconds.
KAFKA_READY_TIMEOUT_S = 120.0


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafkaBroker]:
    """A running single-node Kafka broker for the whole session, on free ports, with its data
    (and logs: ``broker-console.log``, ``logs/server.log``) in a pytest temp dir.

    Tests may stop and start it (e.g. to simulate an outage) but must leave it running.
    """
    try:
        lib_dir = ensure_kafka_jars(PROJECT_ROOT)
    except KafkaBrokerError as exc:
        pytest.fail(f"cannot prepare the Kafka broker: {exc}", pytrace=False)
    broker = LocalKafkaBroker(
        lib_dir=lib_dir,
        data_dir=tmp_path_factory.mktemp("kafka"),
        port=free_port(),
        controller_port=free_port(),
    )
    try:
        broker.start()
        broker.wait_ready(timeout=KAFKA_READY_TIMEOUT_S)
    except KafkaBrokerError as exc:
        broker.stop()
        pytest.fail(f"the Kafka broker did not start: {exc}", pytrace=False)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """A started throwaway PostgreSQL cluster for the whole session, deleted at the end."""
    server = ThrowawayPostgres()
    try:
        server.start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def _database_name(test_name: str) -> str:
    # Readable in server logs, unique across tests, and within PostgreSQL's 63-byte limit.
    slug = re.sub(r"[^a-z0-9]+", "_", test_name.lower()).strip("_")[:40]
    return f"t_{slug}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_postgres_url(
    postgres_server: ThrowawayPostgres, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """A factory: each call creates a fresh, empty database and returns its SQLAlchemy URL.
    For tests that need more than one database (e.g. two services' stores). All of them are
    dropped after the test, disconnecting any connection the test left open."""
    created: list[str] = []

    def make() -> str:
        name = _database_name(request.node.name)
        url = postgres_server.create_database(name)
        created.append(name)
        return url

    yield make
    for name in created:
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_url(make_postgres_url: Callable[[], str]) -> str:
    """SQLAlchemy URL (``postgresql+psycopg://...``) of a fresh database for this test only."""
    return make_postgres_url()
