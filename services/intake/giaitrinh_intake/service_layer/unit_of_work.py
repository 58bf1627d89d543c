"""Intake's unit of work: the shared SQL transaction plus intake's repository."""
from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_intake.adapters.repository import SqlRequestRepository


class IntakeUnitOfWork(SqlUnitOfWork):
    requests: SqlRequestRepository

    def __enter__(self):
        super().__enter__()
        self.requests = SqlRequestRepository(self.session)
        return self
