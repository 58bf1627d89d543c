"""Database plumbing every service shares: engines, the outbox and inbox tables, and the
unit of work that writes a state change, its outgoing events (outbox) and the id of the
event that caused it (inbox) in one transaction. The only place SQL meets the envelope."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from giaitrinh_common import contracts
from giaitrinh_common.envelope import CloudEvent

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class StorageUnavailable(RuntimeError):
    """The service's database did not answer (down, locked, a deadlock victim): a condition of
    the machine, not of the event. Callers back off and try the same work again."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for a service database. SQLite files get WAL and a busy timeout, because the
    web process and the worker process write the same file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa_event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def define_outbox(metadata: sa.MetaData) -> sa.Table:
    """Events written with the state change that caused them, published later by the relay."""
    return sa.Table(
        "outbox", metadata,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL"),
                 sqlite_where=sa.text("published_at IS NULL")),
    )


def define_inbox(metadata: sa.MetaData) -> sa.Table:
    """Ids of events a consumer group has applied; the primary key makes a redelivery a no-op."""
    return sa.Table(
        "inbox", metadata,
        sa.Column("consumer_group", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    )


class Storage:
    """A service's database: engine, session factory, and its outbox and inbox tables."""

    def __init__(self, engine: Engine, metadata: sa.MetaData):
        self.engine = engine
        self.metadata = metadata
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    def outbox_backlog(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.count()).select_from(self.outbox)
                .where(self.outbox.c.published_at.is_(None))
            ).scalar_one()


class SqlUnitOfWork:
    """One transaction: the change, the outgoing events, the applied incoming event id.

    Use as ``with storage_uow as uow: ...; uow.commit()``; leaving without commit rolls back.
    Service units of work subclass this to add their repositories (built on ``self.session``).
    """

    def __init__(self, storage: Storage):
        self.storage = storage
        self.session: Session | None = None
        self._outgoing: list[tuple[str, CloudEvent]] = []

    def __enter__(self):
        self.session = self.storage.sessions()
        self._outgoing = []
        return self

    def __exit__(self, *exc):
        assert self.session is not None
        self.session.rollback()
        self.session.close()
        self.session = None

    def emit(self, topic: str, event: CloudEvent) -> None:
        """Queue an outgoing event; it is written to the outbox by :meth:`commit`.
        Our own events must satisfy the contract: a violation is a bug, raised here."""
        contracts.validate(event)
        self._outgoing.append((topic, event))

    def claim(self, group: str, event: CloudEvent) -> bool:
        """Record that ``group`` applies ``event`` in this transaction. Call it first: False
        means the event was applied before, and the transaction has been rolled back."""
        assert self.session is not None
        try:
            self.session.execute(sa.insert(self.storage.inbox).values(
                consumer_group=group, event_id=event.id, event_type=event.type, applied_at=utcnow()))
            self.session.flush()
            return True
        except IntegrityError:
            self.session.rollback()
            return False

    def commit(self) -> None:
        assert self.session is not None
        if self._outgoing:
            self.session.execute(sa.insert(self.storage.outbox), [
                {"event_id": ev.id, "topic": topic, "key": ev.key, "type": ev.type,
                 "payload": ev.to_json().decode(), "created_at": utcnow()}
                for topic, ev in self._outgoing
            ])
        self.session.commit()
        self._outgoing = []

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
        self._outgoing = []
