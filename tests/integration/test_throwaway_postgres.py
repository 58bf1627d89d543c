"""The throwaway PostgreSQL cluster gives each test a real, empty database of its own."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from tests.support.postgres import ThrowawayPostgres

pytestmark = pytest.mark.integration


def _engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def test_a_test_database_takes_tables_rows_and_queries_through_sqlalchemy(
    postgres_url: str,
) -> None:
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    engine = _engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE petition (id serial PRIMARY KEY, ward text NOT NULL)"))
            conn.execute(
                text("INSERT INTO petition (ward) VALUES (:w)"),
                [{"w": "Phường Bến Nghé"}, {"w": "Xã Tân Thông Hội"}],
            )
        with engine.connect() as conn:
            wards = conn.execute(text("SELECT ward FROM petition ORDER BY id")).scalars().all()
            server_encoding = conn.execute(text("SHOW server_encoding")).scalar_one()
    finally:
        engine.dispose()
    assert wards == ["Phường Bến Nghé", "Xã Tân Thông Hội"]
    assert server_encoding == "UTF8"


def test_two_test_databases_do_not_see_each_others_tables(
    postgres_url: str, make_postgres_url: Callable[[], str]
) -> None:
    other_url = make_postgres_url()
    assert other_url != postgres_url
    first, second = _engine(postgres_url), _engine(other_url)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE only_here (id int)"))
        assert inspect(first).has_table("only_here")
        assert not inspect(second).has_table("only_here")
    finally:
        first.dispose()
        second.dispose()


def test_the_cluster_runs_without_durability_for_speed(postgres_server: ThrowawayPostgres) -> None:
    engine = _engine(postgres_server.url)
    try:
        with engine.connect() as conn:
            settings = {
                name: conn.execute(text(f"SHOW {name}")).scalar_one()
                for name in ("fsync", "synchronous_commit", "full_page_writes", "listen_addresses")
            }
    finally:
        engine.dispose()
    assert settings == {
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "listen_addresses": "127.0.0.1",
    }
