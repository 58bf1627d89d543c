"""Two rules of scoring's copies of what other services tell it, owned here once.

- Times come back from the database in UTC, whether it kept their zone (PostgreSQL) or dropped it
  (SQLite stores them as written, without the offset): :func:`utc`.
- A copy of an entity told by events carrying ``changed_at`` keeps the latest telling: an older
  event arriving late (a replay, a released waiting one) never brings an old state back, and the
  same event twice writes the same row again: :func:`keep_latest`.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def utc(at: datetime | str) -> datetime:
    """``at`` (a datetime, or its ISO 8601 text as events carry it) in UTC; a time without a
    zone is UTC already (SQLite drops the zone scoring wrote)."""
    at = datetime.fromisoformat(at) if isinstance(at, str) else at
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def keep_latest(session: Session, table: sa.Table, key: Mapping[str, Any], values: Mapping[str, Any],
                changed_at: datetime | str) -> bool:
    """Store ``values`` as the row of ``table`` whose columns are ``key``, unless the stored row
    changed later than ``changed_at`` (then nothing is written and False is returned). A row
    not stored yet is inserted; one as old or older is replaced."""
    changed_at = utc(changed_at)
    where = sa.and_(*(table.c[name] == value for name, value in key.items()))
    stored = session.execute(sa.select(table.c.changed_at).where(where)).scalar()
    if stored is None:
        session.execute(sa.insert(table).values(**key, **values, changed_at=changed_at))
    elif changed_at >= utc(stored):
        session.execute(sa.update(table).where(where).values(**values, changed_at=changed_at))
    else:
        return False
    return True
