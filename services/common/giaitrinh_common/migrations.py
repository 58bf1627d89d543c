"""Alembic, the only way a service's tables change. Each service keeps its revisions in
``giaitrinh_<svc>/migrations``; its ``env.py`` calls :func:`run_env` with its metadata.

Migrations run as a release step (``giaitrinh <svc> migrate``, the compose one-shots, the
``up`` command before it starts processes), never when a web app starts.
"""
from __future__ import annotations

from importlib import resources

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from giaitrinh_common.storage import make_engine


def alembic_config(package: str, url: str) -> Config:
    """Alembic configuration for the migrations folder of ``package``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files(package).joinpath("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(package: str, url: str, revision: str = "heads") -> None:
    """Every head: while branches of one service's revisions are open (parallel work), all apply;
    a merge revision joins them before a release."""
    command.upgrade(alembic_config(package, url), revision)


def downgrade(package: str, url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(package, url), revision)


def drift(url: str, metadata: sa.MetaData) -> list:
    """Differences between the migrated database and the models (empty when in step)."""
    # What a migration makes for one engine alone (a SQLite FTS5 table and its shadow tables, a
    # PostgreSQL expression index) is named in metadata.info["engine_specific"] and not compared.
    skipped = set(metadata.info.get("engine_specific", ()))

    def include_name(name, type_, _parent_names) -> bool:
        return name not in skipped

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            return [d for d in compare_metadata(ctx, metadata)]
    finally:
        engine.dispose()


def run_env(metadata: sa.MetaData) -> None:
    """Body of every service's ``env.py`` (online mode only: we always have a database)."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no sqlalchemy.url in the Alembic configuration")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


# -- frozen operations shared by the services' first revisions --------------------------------
# A revision must not change after it ships, so these are versioned: a later change to the
# outbox or inbox adds a new function and a new revision in each service; v1 stays as it is.

def create_outbox_v1(op) -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["id"],
                    postgresql_where=sa.text("published_at IS NULL"),
                    sqlite_where=sa.text("published_at IS NULL"))


def create_inbox_v1(op) -> None:
    op.create_table(
        "inbox",
        sa.Column("consumer_group", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_outbox_and_inbox_v1(op) -> None:
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")


def create_waiting_room_and_relay_lease_v1(op) -> None:
    """The waiting room (consumer's durable retries and per-request order) and the relay lease
    (one active outbox relay per service)."""
    op.create_table(
        "waiting_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("consumer_group", sa.String(100), nullable=False),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.Float(), nullable=True),
        sa.Column("waiting_for", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("consumer_group", "event_id", name="uq_waiting_events_group_event"),
    )
    op.create_index("ix_waiting_events_queue", "waiting_events",
                    ["consumer_group", "stream", "key", "id"])
    op.create_table(
        "relay_lease",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )


def drop_waiting_room_and_relay_lease_v1(op) -> None:
    op.drop_table("relay_lease")
    op.drop_index("ix_waiting_events_queue", table_name="waiting_events")
    op.drop_table("waiting_events")
