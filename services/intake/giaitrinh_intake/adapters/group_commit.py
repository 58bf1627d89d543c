"""Group commit: the submissions that arrive while one is being written are written next, together,
in one transaction with one commit — and each submitter is answered only once its own rows are
committed.

A submission's writes (its request row, first timeline step, details, attachments and its
``request.submitted`` outbox row) are plain INSERTs whose values are all known before anything is
written (:class:`~giaitrinh_intake.service_layer.unit_of_work.IntakeUnitOfWork` with ``group``
collects them instead of executing them). :meth:`GroupCommit.commit` queues them and waits for
its turn to write; whoever gets the turn writes everything queued by then — the rows of each
statement in one ``executemany``, the request rows first — and commits once. A submitter whose
rows were in another's batch finds them committed when its turn comes and returns at once.

Why: with the web process's threads submitting, each commit was one fsync and a handful of
statements, each a few hundred microseconds of SQLAlchemy and one trip through the GIL, while the
next writer waited (bench/README.md, submit-ratio). Several submissions now share them, and the
batch goes straight to the driver: each INSERT is compiled once for the engine's dialect (its SQL,
its parameters' order and each column type's conversion, e.g. a datetime to SQLite's text), then
every batch is one ``executemany`` per statement and one commit on the group commit's own DB-API
connection, kept between batches (taken from the engine's pool once per process, given back only
when it fails) — none of SQLAlchemy's per-execution work nor the pool's check-out and reset, which
cost more than SQLite's own.

On a SQLite file the batches are written by a process of their own (:mod:`.writer_process`, given
as ``writer``): each submitter converts its rows for the driver here, sends them and waits, and
the batches form there, with no other thread of this process in the writer's way.

Nothing is given up: a submission's 201 still leaves only after its request and its event are
committed, ``synchronous`` stays FULL, and a batch is all-or-nothing — if it fails (a tracking
code already given, the same external id meanwhile), every submission of it is written again
alone, in its own transaction, so one submission's failure is its own and never its neighbours'.
"""
from __future__ import annotations

import operator
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from giaitrinh_intake.adapters.writer_process import WriterGone, WriterProcess

Write = tuple[Insert, dict[str, Any]]  # one row for one INSERT statement, built once per table
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")



class CollectingRepository:
    """A repository on its unit of work's session, taken when first used — or, given
    ``collected``, one that puts a new submission's rows there for the group commit to write."""

    def __init__(self, session: Callable[[], Session], collected: list[Write] | None = None):
        self._session = session  # the unit of work's, made when first used
        self.collected = collected

    @property
    def session(self) -> Session:
        return self._session()

@dataclass(frozen=True)
class _DriverInsert:
    """An INSERT as the driver takes it: its SQL in the driver's parameter style and, for each
    parameter in order, its column's name and the conversion its type asks (or None)."""

    sql: str
    columns: tuple[str, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]
    positional: bool

    @classmethod
    def compile(cls, statement: Insert, columns: Sequence[str], engine: Engine) -> _DriverInsert:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        order = tuple(compiled.positiontup or ()) if compiled.positional else tuple(columns)
        table = statement.table
        converters = tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order)
        return cls(compiled.string, order, converters, compiled.positional)

    @cached_property
    def _pick(self) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
        if len(self.columns) == 1:  # itemgetter of one name gives the value, not a tuple
            name = self.columns[0]
            return lambda row: (row[name],)
        return operator.itemgetter(*self.columns)

    @cached_property
    def _converting(self) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        return tuple((i, convert) for i, convert in enumerate(self.converters) if convert is not None)

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]] | list[dict[str, Any]]:
        """The rows' values in the driver's order, converted: tuples, or dicts for a named style.
        The values are picked in one C call per row; only the columns whose type converts are
        touched again (most are text, passed as they are)."""
        pick, converting = self._pick, self._converting
        converted: list[tuple[Any, ...]] = []
        for row in rows:
            values = pick(row)
            if converting:
                changed = list(values)
                for i, convert in converting:
                    changed[i] = convert(changed[i])
                values = tuple(changed)
            converted.append(values)
        if self.positional:
            return converted
        return [dict(zip(self.columns, values, strict=True)) for values in converted]


@dataclass(eq=False)
class _Ticket:
    writes: Sequence[Write]
    committed: bool = False
    error: BaseException | None = None
    done: bool = False


class WriteOutsideTheGroupCommit(RuntimeError):
    """A unit of work that collects its rows for the group commit tried to write directly."""


class GroupCommit:
    """Writes submissions' rows through ``engine`` — or, given a ``writer`` (SQLite only), through
    that writer process — several per transaction when they come together. Thread-safe; one per
    process (per engine)."""

    def __init__(self, engine: Engine, writer: WriterProcess | None = None):
        self.engine = engine
        self.writer = writer
        self._turn = threading.Lock()  # held while a batch is written: the next batch forms meanwhile
        self._queue_lock = threading.Lock()
        self._queue: list[_Ticket] = []
        self.batches: float = 0  # batches written, and submissions in them (for the benchmark's report)
        self.submissions = 0
        self._inserts: dict[sa.Table, Insert] = {}
        self._compiled: dict[tuple[Insert, tuple[str, ...]], _DriverInsert] = {}
        self.statements = 0  # executemany calls, for the benchmark's report
        # Called just before each transaction's COMMIT (the driver's own: SQLAlchemy's
        # "commit" event does not see it) — how a test holds a batch mid-commit.
        self.before_commit: list[Callable[[], None]] = []
        self._collecting = threading.local()
        self._connection: Any = None  # the writer's DB-API connection, used only with the turn held
        self._connection_pid = 0  # the process it was opened in: a forked child opens its own

        @event.listens_for(engine, "before_cursor_execute")
        def _refuse_direct_writes(_conn, _cursor, statement, _parameters, _context, _executemany):
            # A write run straight away in a unit of work that collects would be rolled back
            # unseen when it closes, while its caller believes it committed.
            if getattr(self._collecting, "on", False) and statement.lstrip()[:7].upper().startswith(_WRITES):
                raise WriteOutsideTheGroupCommit(f"collecting for the group commit, not writing: {statement[:60]}")

    def insert(self, table: sa.Table) -> Insert:
        """``INSERT INTO table``, one statement object per table, so rows of it are written together."""
        statement = self._inserts.get(table)
        if statement is None:
            statement = self._inserts.setdefault(table, sa.insert(table))
        return statement

    def collecting(self, on: bool) -> None:
        """This thread's unit of work collects rows (``on``) and must not write, or no longer does."""
        self._collecting.on = on

    def commit(self, writes: Sequence[Write]) -> None:
        """Write ``writes`` (the rows of one submission, in an order the foreign keys allow) and
        commit them, alone or with others'; return once they are committed, or raise what
        writing them alone raised (e.g. ``IntegrityError``)."""
        if self.writer is not None:
            return self._commit_in_writer(writes)
        ticket = _Ticket(writes)
        with self._queue_lock:
            self._queue.append(ticket)
        with self._turn:
            if not ticket.done:  # nobody took it yet: write everything queued, this one with it
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write(batch)
        if ticket.error is not None:
            raise ticket.error
        if not ticket.committed:  # pragma: no cover - the writer was interrupted (e.g. KeyboardInterrupt)
            raise RuntimeError("the submission's batch was not written")

    def _commit_in_writer(self, writes: Sequence[Write]) -> None:
        assert self.writer is not None
        statements = [(insert.sql, insert.parameters(rows)) for insert, rows in self._by_statement(writes)]
        try:
            shared = self.writer.write(statements)  # type: ignore[arg-type]  # qmark: tuples
        except WriterGone as exc:
            # It ended without answering: before its COMMIT, or after it. The first row (the
            # request) is looked up by its key: found, the whole transaction was committed.
            if not self._stored(writes[0]):
                raise sa.exc.DBAPIError.instance("", None, exc, sqlite3.Error) from exc
            shared = 1
        except sqlite3.Error as exc:
            # As SQLAlchemy would have raised it, as below.
            raise sa.exc.DBAPIError.instance(getattr(exc, "sql", ""), None, exc, sqlite3.Error) from exc
        self.submissions += 1
        self.batches += 1 / shared  # each of the batch's submissions counts its share
        self.statements += len(statements)

    def _stored(self, write: Write) -> bool:
        """``write``'s row is in the database (found by its primary key, if the row gives it)."""
        statement, row = write
        table = cast(sa.Table, statement.table)
        key = list(table.primary_key.columns)
        if not key or any(column.name not in row for column in key):
            return False
        found = sa.select(sa.literal(1)).select_from(table).where(
            *(column == row[column.name] for column in key))
        with self.engine.connect() as conn:
            return conn.execute(found).first() is not None

    def _by_statement(self, writes: Sequence[Write]) -> list[tuple[_DriverInsert, list[dict[str, Any]]]]:
        """The rows of each statement together, statements in the order they first appear: every
        submission lists its request before the rows that refer to it, so the merged order keeps
        every foreign key satisfied. Rows of one table with different columns (an optional value
        left out) are separate statements."""
        rows: dict[tuple[Insert, tuple[str, ...]], list[dict[str, Any]]] = {}
        for statement, row in writes:
            rows.setdefault((statement, tuple(row)), []).append(row)
        return [(self._driver_insert(statement, columns), params) for (statement, columns), params in rows.items()]

    def _write(self, batch: list[_Ticket]) -> None:
        try:
            try:
                self._transaction([w for ticket in batch for w in ticket.writes])
                for ticket in batch:
                    ticket.committed = True
            except Exception as exc:
                if len(batch) == 1:
                    batch[0].error = exc
                    return
                for ticket in batch:  # all-or-nothing failed: each alone, so a failure is its own
                    try:
                        self._transaction(ticket.writes)
                        ticket.committed = True
                    except Exception as own:
                        ticket.error = own
        finally:
            self.batches += 1
            self.submissions += len(batch)
            for ticket in batch:
                ticket.done = True

    def _transaction(self, writes: Sequence[Write]) -> None:
        rows = self._by_statement(writes)
        kept = self._kept() is not None
        try:
            self._write_rows(rows, self._writer_connection())
        except sa.exc.DBAPIError as exc:
            if not (kept and exc.connection_invalidated):
                raise
            # The kept connection was dropped while idle (a database restart, an idle timeout):
            # the batch was not written; write it once on a fresh connection.
            self._write_rows(rows, self._writer_connection())

    def _write_rows(self, rows: list[tuple[_DriverInsert, list[dict[str, Any]]]], connection: Any) -> None:
        dbapi = self.engine.dialect.loaded_dbapi
        sql = ""
        try:
            cursor = connection.cursor()
            for insert, params in rows:
                sql = insert.sql
                cursor.executemany(sql, insert.parameters(params))
                self.statements += 1
            cursor.close()
            for listener in self.before_commit:
                listener()
            connection.commit()
        except dbapi.Error as exc:
            disconnected = self.engine.dialect.is_disconnect(exc, connection.dbapi_connection, None)
            self._give_back(connection, disconnected)
            # As SQLAlchemy would have raised it (IntegrityError, OperationalError…), so that
            # callers judge a refused tracking code or an unreachable database as before.
            raise sa.exc.DBAPIError.instance(sql, None, exc, dbapi.Error,
                                             connection_invalidated=disconnected) from exc
        except BaseException:
            self._give_back(connection)
            raise

    def _kept(self) -> Any:
        """The connection kept from the last batch, if this process opened it (a forked child
        opens its own)."""
        return self._connection if self._connection_pid == os.getpid() else None

    def _writer_connection(self) -> Any:
        """The connection batches are written on: the same one batch after batch (no check-out,
        no reset per batch), a new one in a forked child or after a failure."""
        if self._kept() is None:
            self._connection = self.engine.raw_connection()
            self._connection_pid = os.getpid()
        return self._connection

    def _give_back(self, connection: Any, disconnected: bool = False) -> None:
        """After a failed batch: roll it back and return the connection to the pool (thrown away
        if the database dropped it); the next batch takes a fresh one."""
        self._connection = None
        try:
            if disconnected:
                connection.invalidate()
            else:
                connection.rollback()
        except Exception:  # the connection itself is broken: the pool throws it away
            connection.invalidate()
        finally:
            connection.close()

    def close(self) -> None:
        """Give the writer's connection back to the engine's pool (before the engine is disposed),
        and end the writer process if there is one."""
        if self.writer is not None:
            self.writer.close()
        with self._turn:
            if (kept := self._kept()) is not None:
                kept.close()
            self._connection = None

    def _driver_insert(self, statement: Insert, columns: tuple[str, ...]) -> _DriverInsert:
        key = (statement, columns)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled.setdefault(key, _DriverInsert.compile(statement, columns, self.engine))
        return compiled
