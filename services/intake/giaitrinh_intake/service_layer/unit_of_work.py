"""Intake's unit of work: the shared SQL transaction plus intake's repository."""
from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_intake.adapters.repository import SqlRequestRepository
from giaitrinh_intake.adapters.search_index import SqlSearchIndex
from giaitrinh_intake.adapters.submissions import SqlSubmissionRepository


class IntakeUnitOfWork(SqlUnitOfWork):
    requests: SqlRequestRepository
    search: SqlSearchIndex
    submissions: SqlSubmissionRepository

    def __enter__(self):
        super().__enter__()
        self.requests = SqlRequestRepository(self.session)
        self.search = SqlSearchIndex(self.session)
        self.submissions = SqlSubmissionRepository(self.session)
        return self
