from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_routing.adapters.repository import SqlCaseRepository, SqlLocalityRegistry


class RoutingUnitOfWork(SqlUnitOfWork):
    cases: SqlCaseRepository
    localities: SqlLocalityRegistry

    def __enter__(self):
        super().__enter__()
        self.cases = SqlCaseRepository(self.session)
        self.localities = SqlLocalityRegistry(self.session)
        return self
