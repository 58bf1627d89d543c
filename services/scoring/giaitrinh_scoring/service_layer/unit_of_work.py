from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_scoring.adapters.repository import SqlIndicatorStore


class ScoringUnitOfWork(SqlUnitOfWork):
    indicators: SqlIndicatorStore

    def __enter__(self):
        super().__enter__()
        self.indicators = SqlIndicatorStore(self.session)
        return self
