"""The delivery log, read from the delivery ledger (revision 0004_deliveries: the ledger's
table, written by notify's sender loop) for the API and the console.

The ledger is the sender loop's table; this module only reads it, by the columns it finds
(the ORM's table when ``orm.deliveries`` is defined, else the database's own description), so
the log follows the ledger as it grows a column. A field the ledger does not have is null in
the log; a database without the ledger answers :class:`LedgerMissing`.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_notify.adapters import orm

TABLE = "deliveries"
# The log's field → the ledger columns that may hold it, first found wins.
COLUMNS: dict[str, tuple[str, ...]] = {
    "delivery_key": ("delivery_key", "key"),
    "event_id": ("event_id",),
    "event_type": ("event_type", "type"),
    "request_id": ("request_id",),
    "locality_code": ("locality_code", "locality"),
    "recipient": ("recipient", "address"),
    "channel": ("channel",),
    "template": ("template", "template_name"),
    "audience": ("audience",),
    "statutory": ("statutory",),
    "status": ("status", "state"),
    "attempts": ("attempts", "tries"),
    "reason": ("reason", "last_error", "error"),
    "provider_id": ("provider_id", "provider_message_id"),
    "created_at": ("created_at", "recorded_at"),
    "updated_at": ("updated_at",),
    "sent_at": ("sent_at", "delivered_at", "completed_at"),
    "next_attempt_at": ("next_attempt_at", "due_at"),
}


class LedgerMissing(RuntimeError):
    """The database has no delivery ledger (revision 0004_deliveries not applied)."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value


class SqlDeliveryLog:
    def __init__(self, session: Session):
        self.session = session

    def _table(self) -> sa.Table:
        table = getattr(orm, "deliveries", None)
        if isinstance(table, sa.Table):
            return table
        if not sa.inspect(self.session.connection()).has_table(TABLE):
            raise LedgerMissing("the delivery ledger (revision 0004_deliveries) is not in this database")
        return sa.Table(TABLE, sa.MetaData(), autoload_with=self.session.connection())

    @staticmethod
    def _column(table: sa.Table, field: str):
        for name in COLUMNS[field]:
            if name in table.c:
                return table.c[name]
        return None

    def _where(self, table: sa.Table, localities: Iterable[str] | None, filters: dict[str, str | None]):
        where = sa.true()
        if localities is not None:
            locality = self._column(table, "locality_code")
            if locality is None:
                return sa.false()  # nothing can be shown as a locality's when none is recorded
            where = where & locality.in_(list(localities))
        for field, value in filters.items():
            if value is None:
                continue
            column = self._column(table, field)
            where = where & (column == value if column is not None else sa.false())
        return where

    def _row(self, table: sa.Table, row) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for field in COLUMNS:
            column = self._column(table, field)
            out[field] = _plain(row[column.name]) if column is not None else None
        return out

    def page(self, *, localities: Iterable[str] | None, request_id: str | None, recipient: str | None,
             status: str | None, channel: str | None, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Deliveries of ``localities`` (None: every one) matching the filters, newest first."""
        table = self._table()
        where = self._where(table, localities, {"request_id": request_id, "recipient": recipient,
                                                "status": status, "channel": channel})
        total = self.session.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar_one()
        order = [c for c in (self._column(table, "created_at"), self._column(table, "delivery_key")) if c is not None]
        query = sa.select(table).where(where).order_by(*[c.desc() for c in order]).offset(offset).limit(limit)
        return [self._row(table, r) for r in self.session.execute(query).mappings()], total

    def get(self, delivery_key: str, *, localities: Iterable[str] | None) -> dict[str, Any] | None:
        table = self._table()
        where = self._where(table, localities, {"delivery_key": delivery_key})
        row = self.session.execute(sa.select(table).where(where)).mappings().first()
        return self._row(table, row) if row is not None else None
