"""Withdrawals read before their case was opened (``early_withdrawals``), on the unit of work's
session: remembered once per request, taken when the case opens."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from giaitrinh_routing.adapters.orm import early_withdrawals


@dataclass(frozen=True)
class EarlyWithdrawal:
    """Rút yêu cầu trước khi vào sổ: the requester withdrew before routing opened the case."""

    request_id: str
    event_id: str
    withdrawn_at: datetime
    reason: str


class SqlEarlyWithdrawals:
    """One row per request whose withdrawal came first. ``remember`` keeps the first (a second
    withdrawal of the same request adds nothing); ``take`` reads it and removes it in the
    transaction that opens the case, so it is applied once."""

    def __init__(self, session: Session):
        self.session = session

    def remember(self, withdrawal: EarlyWithdrawal, locality_code: str, now: datetime) -> bool:
        """Keep it; False when this request's withdrawal is kept already."""
        known = self.session.execute(sa.select(early_withdrawals.c.request_id).where(
            early_withdrawals.c.request_id == withdrawal.request_id)).first()
        if known is not None:
            return False
        self.session.execute(sa.insert(early_withdrawals).values(
            request_id=withdrawal.request_id, event_id=withdrawal.event_id, locality_code=locality_code,
            withdrawn_at=withdrawal.withdrawn_at, reason=withdrawal.reason, remembered_at=now))
        return True

    def take(self, request_id: str) -> EarlyWithdrawal | None:
        row = self.session.execute(sa.select(early_withdrawals).where(
            early_withdrawals.c.request_id == request_id)).mappings().first()
        if row is None:
            return None
        self.session.execute(sa.delete(early_withdrawals).where(early_withdrawals.c.request_id == request_id))
        at = row["withdrawn_at"]
        return EarlyWithdrawal(row["request_id"], row["event_id"], at if at.tzinfo else at.replace(tzinfo=UTC),
                               row["reason"])

    def count(self) -> int:
        return self.session.execute(sa.select(sa.func.count()).select_from(early_withdrawals)).scalar_one()
