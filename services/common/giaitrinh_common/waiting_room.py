"""Hàng chờ — the waiting room of a consumer group, in the service's own database.

The consumer takes every record off its topics at once and commits the offset; what it cannot
apply yet waits here, durably, instead of on a retry topic with a deadline in a header:

- ``retrying``: its handler failed; it is tried again at ``not_before`` (growing back-off);
- ``behind``: an earlier event of the same request (key) and stream is waiting, so this one
  waits behind it — events of one request on one stream are applied in the order published;
- ``waiting_for``: it follows an event (envelope attribute ``follows``) that this group handles
  but has not applied yet — typically an event of another stream read later;
- ``parked``: its last attempt failed; it is on the dead-letter topic too, and every later
  event of its request and stream waits behind it until an operator replays it (after a fix)
  or releases it (``giaitrinh <svc> release``).

Nothing here expires: a group that is down for a month finds its waiting events where it left
them. The one module that reads and writes the ``waiting_events`` table.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from giaitrinh_common.storage import Storage

WAITING = "waiting"
PARKED = "parked"


@dataclass(frozen=True)
class WaitingEvent:
    """One event in the waiting room, with where it came from and why it waits."""

    id: int
    group: str
    stream: str
    key: str
    topic: str
    partition: int
    offset: int
    event_id: str
    event_type: str
    payload: str
    state: str
    attempts: int
    not_before: float | None
    waiting_for: str | None
    last_error: str | None
    created_at: float

    @property
    def parked(self) -> bool:
        return self.state == PARKED

    @property
    def why(self) -> str:
        """retrying, behind, waiting_for or parked (see the module docstring)."""
        if self.parked:
            return "parked"
        if self.waiting_for:
            return "waiting_for"
        return "retrying" if self.attempts else "behind"

    def due(self, now: float) -> bool:
        """Whether its time has come (its dependency is checked by the consumer)."""
        return not self.parked and (self.not_before is None or self.not_before <= now)


@dataclass(frozen=True)
class WaitingSummary:
    waiting: int
    parked: int
    parked_keys: int
    oldest_created_at: float | None


class WaitingRoom:
    """The waiting events of one consumer group."""

    def __init__(self, storage: Storage, group: str):
        self.storage, self.group = storage, group
        self.table = storage.waiting

    def _mine(self):
        return self.table.c.consumer_group == self.group

    @staticmethod
    def _row(row) -> WaitingEvent:
        return WaitingEvent(id=row.id, group=row.consumer_group, stream=row.stream, key=row.key,
                            topic=row.topic, partition=row.partition, offset=row.offset,
                            event_id=row.event_id, event_type=row.event_type, payload=row.payload,
                            state=row.state, attempts=row.attempts, not_before=row.not_before,
                            waiting_for=row.waiting_for, last_error=row.last_error,
                            created_at=row.created_at)

    # -- reading ----------------------------------------------------------------------------
    def queued_keys(self) -> set[tuple[str, str]]:
        """(stream, key) of every queue that holds at least one event."""
        with self.storage.engine.connect() as conn:
            return {(r.stream, r.key) for r in conn.execute(
                sa.select(self.table.c.stream, self.table.c.key).where(self._mine()).distinct())}

    def find(self, event_id: str) -> WaitingEvent | None:
        with self.storage.engine.connect() as conn:
            row = conn.execute(sa.select(self.table).where(
                self._mine(), self.table.c.event_id == event_id)).first()
        return self._row(row) if row is not None else None

    def heads(self) -> list[WaitingEvent]:
        """The first event of each (stream, key) queue, oldest queue first."""
        first = (sa.select(sa.func.min(self.table.c.id)).where(self._mine())
                 .group_by(self.table.c.stream, self.table.c.key))
        with self.storage.engine.connect() as conn:
            rows = conn.execute(sa.select(self.table).where(self.table.c.id.in_(first))
                                .order_by(self.table.c.id)).all()
        return [self._row(r) for r in rows]

    def listing(self, limit: int = 100, state: str | None = None) -> list[WaitingEvent]:
        query = sa.select(self.table).where(self._mine()).order_by(self.table.c.id).limit(limit)
        if state is not None:
            query = query.where(self.table.c.state == state)
        with self.storage.engine.connect() as conn:
            return [self._row(r) for r in conn.execute(query)]

    def summary(self) -> WaitingSummary:
        t = self.table
        with self.storage.engine.connect() as conn:
            counts: dict[str, int] = dict(conn.execute(sa.select(t.c.state, sa.func.count()).where(self._mine())
                                       .group_by(t.c.state)).all())
            parked_keys = conn.execute(
                sa.select(sa.func.count()).select_from(
                    sa.select(t.c.stream, t.c.key).where(self._mine(), t.c.state == PARKED)
                    .distinct().subquery())).scalar_one()
            oldest = conn.execute(sa.select(sa.func.min(t.c.created_at)).where(self._mine())).scalar()
        return WaitingSummary(counts.get(WAITING, 0), counts.get(PARKED, 0), parked_keys, oldest)

    # -- writing ----------------------------------------------------------------------------
    def add(self, *, stream: str, key: str, topic: str, partition: int, offset: int,
            event_id: str, event_type: str, payload: str, now: float, attempts: int = 0,
            not_before: float | None = None, waiting_for: str | None = None,
            last_error: str | None = None, parked: bool = False) -> bool:
        """Queue an event at the end of its (stream, key) queue; False when it is already here
        (a redelivery of a record whose offset was not committed yet)."""
        try:
            with self.storage.engine.begin() as conn:
                conn.execute(sa.insert(self.table).values(
                    consumer_group=self.group, stream=stream, key=key, topic=topic,
                    partition=partition, offset=offset, event_id=event_id, event_type=event_type,
                    payload=payload, state=PARKED if parked else WAITING, attempts=attempts,
                    not_before=not_before, waiting_for=waiting_for, last_error=last_error,
                    created_at=now))
            return True
        except sa.exc.IntegrityError:
            return False

    def removal(self, waiting_id: int):
        """The statement that takes an event out, to run in the transaction that applies it."""
        return sa.delete(self.table).where(self.table.c.id == waiting_id)

    def remove(self, waiting_id: int) -> None:
        with self.storage.engine.begin() as conn:
            conn.execute(self.removal(waiting_id))

    def reschedule(self, waiting_id: int, attempts: int, not_before: float, error: str) -> None:
        with self.storage.engine.begin() as conn:
            conn.execute(sa.update(self.table).where(self.table.c.id == waiting_id).values(
                attempts=attempts, not_before=not_before, last_error=error, waiting_for=None))

    def park(self, waiting_id: int, attempts: int, error: str) -> None:
        with self.storage.engine.begin() as conn:
            conn.execute(sa.update(self.table).where(self.table.c.id == waiting_id).values(
                state=PARKED, attempts=attempts, not_before=None, last_error=error))

    def unpark(self, event_id: str) -> bool:
        """Give a parked event a fresh start (an operator replayed it); False if none was parked."""
        with self.storage.engine.begin() as conn:
            done = conn.execute(sa.update(self.table).where(
                self._mine(), self.table.c.event_id == event_id, self.table.c.state == PARKED
            ).values(state=WAITING, attempts=0, not_before=None))
        return done.rowcount > 0

    def release(self, event_ids: Iterable[str]) -> int:
        """Take parked events out for good (an operator decided they will not be applied; their
        dead letters stay on the dead-letter topic); the events behind them go on. Returns how
        many were released."""
        ids = list(event_ids)
        if not ids:
            return 0
        with self.storage.engine.begin() as conn:
            return conn.execute(sa.delete(self.table).where(
                self._mine(), self.table.c.event_id.in_(ids), self.table.c.state == PARKED
            )).rowcount
