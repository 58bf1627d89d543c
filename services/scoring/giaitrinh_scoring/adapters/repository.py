"""Indicator values, on the unit of work's session."""
from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from giaitrinh_scoring.adapters.orm import indicator_values as iv


class SqlIndicatorStore:
    def __init__(self, session: Session):
        self.session = session

    def add(self, locality: str, period: str, indicator: str, by: int = 1) -> None:
        key = (iv.c.locality_code == locality) & (iv.c.period == period) & (iv.c.indicator == indicator)
        # An UPDATE answers with a cursor result, the kind that knows how many rows it changed.
        result = cast(CursorResult, self.session.execute(sa.update(iv).where(key).values(value=iv.c.value + by)))
        updated = result.rowcount
        if not updated:
            self.session.execute(sa.insert(iv).values(locality_code=locality, period=period,
                                                      indicator=indicator, value=by))

    def for_locality(self, locality: str, period: str) -> dict[str, int]:
        # A count moved back to zero (a flag moved to an earlier period) is no count at all,
        # as a rebuild, which never counted it there, says.
        rows = self.session.execute(sa.select(iv.c.indicator, iv.c.value)
                                    .where((iv.c.locality_code == locality) & (iv.c.period == period)
                                           & (iv.c.value != 0)))
        return {r.indicator: r.value for r in rows}
