from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.adapters.repository import SqlCaseRepository, SqlLocalityRegistry


class RoutingUnitOfWork(SqlUnitOfWork):
    """Routing's transaction. On commit, the steps recorded by every case it saved become
    contract events on ``giaitrinh.cases.v1`` — the one place domain events turn into them."""

    cases: SqlCaseRepository
    localities: SqlLocalityRegistry

    def __enter__(self):
        super().__enter__()
        self.cases = SqlCaseRepository(self.session)
        self.localities = SqlLocalityRegistry(self.session)
        return self

    def commit(self) -> None:
        for case in self.cases.seen:
            for step in case.events:
                self.emit(events_out.CASES_TOPIC, events_out.case_step(case, step))
            case.events.clear()
        self.cases.seen.clear()
        super().commit()
