"""One writer at a time in this process, queued in Python rather than in SQLite's busy handler.

SQLite lets one connection write at a time. A connection that finds the file locked sleeps in
SQLite's busy handler — 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 then 100 ms a try — and looks
again, so with 4 gunicorn threads submitting, a writer slept up to 100 ms after the lock was free
(a few ms later): intake answered 55 submissions/s with a p99 of a second on a disk whose
fsync takes 3 ms (bench/README.md, submit-ratio). Here a connection takes a process-wide lock
before its first write and gives it back when the connection returns to the pool (after its
commit or rollback), so the next writer of this process starts the moment the last one is done.
Reads never wait.

The lock only orders this process's writers: another process (intake's worker relaying the
outbox) still meets SQLite's own lock and busy handler, as before. A writer that waits longer
than the busy timeout goes on without the lock and lets SQLite decide, as it did before.
"""
from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

_HOLDS = "giaitrinh_sqlite_writer"  # in the connection record's info: this connection holds the lock
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
WAIT_SECONDS = 30.0  # as the engine's busy timeout (giaitrinh_common.storage.make_engine)


def serialise_writers(engine: Engine) -> None:
    """Order the writing transactions of ``engine`` (a SQLite engine) behind one lock."""
    lock = threading.Lock()  # a plain lock: a connection may go back to the pool in another thread
    holder: list[int | None] = [None]  # the thread whose connection holds it

    def _release(info: dict) -> None:
        if info.pop(_HOLDS, False):
            holder[0] = None
            lock.release()

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(conn, _cursor, statement, _parameters, _context, _executemany):
        if _HOLDS in conn.info or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        if holder[0] == threading.get_ident():
            # This thread writes through another connection already: waiting for itself would
            # never end; SQLite's own lock decides, as without this module.
            return
        if lock.acquire(timeout=WAIT_SECONDS):
            holder[0] = threading.get_ident()
            conn.info[_HOLDS] = True

    # Given back when the connection goes back to the pool, not at the "commit" event: that
    # event comes before the COMMIT (and its fsync), and the next writer would find the file
    # still locked. A unit of work closes its session right after it commits.
    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            _release(record.info)

    @event.listens_for(engine, "invalidate")
    def _invalidated(_dbapi_connection, record, _exception):
        _release(record.info)
