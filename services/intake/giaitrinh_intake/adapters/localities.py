"""The communes and wards intake serves, and the systems allowed to publish: intake's copy of
routing's registry, kept in its own tables (``localities``, ``publishers``) from the events
routing publishes (``locality.changed``, ``publisher.changed``). Routing's registry is the one
source: no setting of intake's decides which localities are served.

Each event carries the entity's whole current state; the one with the latest ``changed_at``
wins, so a redelivered or replayed older event never undoes a newer one.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from giaitrinh_intake.adapters.orm import registry_localities as localities
from giaitrinh_intake.adapters.orm import registry_publishers as publishers
from giaitrinh_intake.domain.model import Locality
from giaitrinh_intake.domain.ports import LocalityDirectory


def _locality(row: Any) -> Locality:
    return Locality(row.code, row.name, row.province_code)


# How long a process trusts its copy of the served localities. Every submission asks for its
# locality, and a SELECT each time was a tenth of a submission's time (bench/README.md,
# submit-ratio); the registry changes a few times a year.
SERVED_CACHE_SECONDS = 5.0


class RegistryLocalities(LocalityDirectory):
    """The served localities as intake last learnt them from the registry.

    :meth:`get` answers from a copy of every served locality, read again when it is older than
    ``cache_seconds`` or after :meth:`forget` (the runtime calls it when it applies a registry
    event, so in the process that applies them a change counts at once). A code not in the
    copy is looked up in the table: a locality just enabled is served at once everywhere; one
    just disabled or renamed is seen so by another process (the web process, while the worker
    applies the events) within ``cache_seconds``."""

    def __init__(self, engine: Engine, *, cache_seconds: float = SERVED_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._clock = clock
        # (when read, code → locality): one tuple, replaced whole, so threads never see half.
        self._served: tuple[float, dict[str, Locality]] = (-math.inf, {})

    def forget(self) -> None:
        """The registry changed: read the served localities again at the next :meth:`get`."""
        self._served = (-math.inf, {})

    def forget_after_commit(self, session: Session) -> None:
        """Read the served localities again once ``session``'s transaction commits (the
        registry's change is then visible)."""
        event.listen(session, "after_commit", lambda _session: self.forget())

    def _copy(self) -> dict[str, Locality]:
        read_at, served = self._served
        now = self._clock()
        if now - read_at >= self.cache_seconds:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(localities.c.code, localities.c.name, localities.c.province_code)
                                    .where(localities.c.served)).all()
            served = {row.code: _locality(row) for row in rows}
            self._served = (now, served)
        return served

    def get(self, code: str) -> Locality | None:
        code = code.strip()
        if not code or len(code) > 10:
            return None
        if (found := self._copy().get(code)) is not None:
            return found
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(localities).where(
                (localities.c.code == code) & localities.c.served)).first()
        return _locality(row) if row is not None else None

    def all(self) -> list[Locality]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(localities).where(localities.c.served)
                                .order_by(localities.c.code)).all()
        return [_locality(r) for r in rows]

    @property
    def province_names(self) -> tuple[str, ...]:
        """The provinces of the served localities, for the portal's pages ("Quảng Trị")."""
        with self.engine.connect() as conn:
            names = conn.execute(sa.select(localities.c.province_name).where(localities.c.served)
                                 .distinct().order_by(localities.c.province_name)).scalars().all()
        return tuple(names)

    def fields_of(self, code: str) -> list[str]:
        """The fields the served locality's units handle (for forms and Open311 services)."""
        with self.engine.connect() as conn:
            units = conn.execute(sa.select(localities.c.units).where(
                (localities.c.code == code) & localities.c.served)).scalar()
        return sorted({f for unit in units or [] for f in unit.get("fields", [])})

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(localities)
                                .where(localities.c.served)).scalar_one()


def _utc(at: datetime | str) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class SqlRegistry:
    """Applies the registry's events to intake's copy, in the consumer's transaction."""

    def __init__(self, session: Session):
        self.session = session

    def _newer(self, table: sa.Table, key: sa.ColumnElement, changed_at: datetime) -> bool | None:
        """None when there is no row; else whether ``changed_at`` is not older than the row's."""
        stored = self.session.execute(sa.select(table.c.changed_at).where(key)).scalar()
        return None if stored is None else changed_at >= _utc(stored)

    def apply_locality(self, d: dict[str, Any]) -> bool:
        """Store a ``locality.changed``; False when a newer state is already stored."""
        changed_at = _utc(d["changed_at"])
        values = {"name": d["name"], "province_code": d["province_code"],
                  "province_name": d["province_name"], "division_type": d["division_type"],
                  "served": d["served"], "units": d["units"], "changed_at": changed_at}
        key = localities.c.code == d["locality_code"]
        newer = self._newer(localities, key, changed_at)
        if newer is None:
            self.session.execute(sa.insert(localities).values(code=d["locality_code"], **values))
        elif newer:
            self.session.execute(sa.update(localities).where(key).values(**values))
        return newer is not False

    def apply_publisher(self, d: dict[str, Any]) -> bool:
        """Store a ``publisher.changed``; False when a newer state is already stored."""
        changed_at = _utc(d["changed_at"])
        values = {"name": d["name"], "key_sha256": d["key_sha256"], "localities": d["localities"],
                  "active": d["active"], "changed_at": changed_at}
        key = publishers.c.id == d["publisher_id"]
        newer = self._newer(publishers, key, changed_at)
        if newer is None:
            self.session.execute(sa.insert(publishers).values(id=d["publisher_id"], **values))
        elif newer:
            self.session.execute(sa.update(publishers).where(key).values(**values))
        return newer is not False

    def publisher_named(self, name: str) -> dict[str, Any] | None:
        """The active publisher called ``name`` (the inbound topic's ``source_system``)."""
        row = self.session.execute(sa.select(publishers).where(
            (publishers.c.name == name) & publishers.c.active)).mappings().first()
        return dict(row) if row is not None else None
