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


def define_waiting_room(metadata: sa.MetaData) -> sa.Table:
    """Hàng chờ — events a consumer group has taken off its topics but not applied yet: those
    whose handler failed and waits for its next attempt, those queued behind an earlier event of
    the same request and stream, those waiting for an event they follow, and those parked after
    their last attempt. Rows are the durable form of "later"; nothing here expires.
    Times are epoch seconds (the consumer's clock), not datetimes: compared, never shown."""
    return sa.Table(
        "waiting_events", metadata,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),  # arrival order
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
        sa.Index("ix_waiting_events_queue", "consumer_group", "stream", "key", "id"),
    )


def define_relay_lease(metadata: sa.MetaData) -> sa.Table:
    """Who may relay the outbox now: one row, held for a while by one relay at a time."""
    return sa.Table(
        "relay_lease", metadata,
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )


def define_plumbing(metadata: sa.MetaData) -> None:
    """The tables every service has for its events: outbox, inbox, waiting room, relay lease."""
    define_outbox(metadata)
    define_inbox(metadata)
    define_waiting_room(metadata)
    define_relay_lease(metadata)


class Storage:
    """A service's database: engine, session factory, and its event plumbing tables."""

    def __init__(self, engine: Engine, metadata: sa.MetaData):
        self.engine = engine
        self.metadata = metadata
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        self.waiting = metadata.tables["waiting_events"]
        self.relay_lease = metadata.tables["relay_lease"]
        self.sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    def has_applied(self, group: str, event_id: str) -> bool:
        """Whether ``group``'s inbox holds ``event_id`` (the event was applied)."""
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.literal(1)).select_from(self.inbox)
                .where(self.inbox.c.consumer_group == group, self.inbox.c.event_id == event_id)
            ).first() is not None

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
        self._session: Session | None = None
        self._entered = False
        self._outgoing: list[tuple[str, CloudEvent]] = []

    @property
    def session(self) -> Session | None:
        """The transaction's session inside ``with`` (None outside it), made on first use: a unit
        of work that reads and writes nothing through it — a new submission, whose rows intake's
        group commit writes — never makes one (bench/README.md, submit-ratio)."""
        if self._session is None and self._entered:
            self._session = self.storage.sessions()
        return self._session

    def open_session(self) -> Session:
        """:attr:`session`, for code that runs only inside ``with`` (a repository's reads)."""
        session = self.session
        if session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return session

    def __enter__(self):
        self._entered = True
        self._session = None
        self._outgoing = []
        return self

    def __exit__(self, *exc):
        assert self._entered
        session, self._session, self._entered = self._session, None, False
        if session is not None:
            session.rollback()
            session.close()

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

    def execute(self, statement) -> None:
        """Run a statement of the plumbing (e.g. taking an event out of the waiting room) in
        this transaction."""
        assert self.session is not None
        self.session.execute(statement)

    def flush(self) -> None:
        """Send what the transaction wrote so far (rows later statements refer to)."""
        assert self.session is not None
        self.session.flush()

    def outbox_rows(self) -> list[dict]:
        """The outbox rows of the events emitted so far (what :meth:`commit` inserts)."""
        return [{"event_id": ev.id, "topic": topic, "key": ev.key, "type": ev.type,
                 "payload": ev.to_json().decode(), "created_at": utcnow()}
                for topic, ev in self._outgoing]

    def commit(self) -> None:
        assert self.session is not None
        if self._outgoing:
            self.session.execute(sa.insert(self.storage.outbox), self.outbox_rows())
        self.session.commit()
        self._outgoing = []

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
        self._outgoing = []
