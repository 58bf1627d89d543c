from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_scoring.adapters.repository import SqlIndicatorStore
from giaitrinh_scoring.adapters.satisfaction import SqlSatisfaction
from giaitrinh_scoring.adapters.violations import SqlViolationFlags


class ScoringUnitOfWork(SqlUnitOfWork):
    indicators: SqlIndicatorStore
    flags: SqlViolationFlags
    satisfaction: SqlSatisfaction

    def __enter__(self):
        super().__enter__()
        self.indicators = SqlIndicatorStore(self.session)
        self.flags = SqlViolationFlags(self.session)
        self.satisfaction = SqlSatisfaction(self.session)
        return self
