"""Intake's unit of work: the shared SQL transaction plus intake's repositories.

With a :class:`~giaitrinh_intake.adapters.group_commit.GroupCommit` (``group``), the unit of work
of a new submission reads through its session as usual but writes nothing itself: the new
request's rows and its outbox rows are collected, and :meth:`IntakeUnitOfWork.commit` hands them
to the group commit, which writes them with other submissions' in one transaction and returns once
they are committed. Only a new submission's rows can be collected (``requests.add``,
``submissions.add``, ``emit``); any other write in such a unit of work is refused, so that nothing
is written outside the commit that the caller waits for.
"""
from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork, Storage
from giaitrinh_intake.adapters.group_commit import GroupCommit, Write
from giaitrinh_intake.adapters.repository import SqlRequestRepository, tracking_code_refused
from giaitrinh_intake.adapters.search_index import SqlSearchIndex
from giaitrinh_intake.adapters.submissions import SqlSubmissionRepository


class IntakeUnitOfWork(SqlUnitOfWork):
    requests: SqlRequestRepository
    submissions: SqlSubmissionRepository

    def __init__(self, storage: Storage, group: GroupCommit | None = None):
        super().__init__(storage)
        self.group = group
        self._collected: list[Write] | None = None

    def __enter__(self):
        super().__enter__()
        self._collected = [] if self.group is not None else None
        if self.group is not None:
            self.group.collecting(True)
        # The repositories take the session when they first read or write through it: a new
        # submission's, which only collect rows for the group commit, never make one.
        self.requests = SqlRequestRepository(self.open_session, self._collected)
        self.submissions = SqlSubmissionRepository(self.open_session, self._collected)
        return self

    @property
    def search(self) -> SqlSearchIndex:
        return SqlSearchIndex(self.open_session())

    def __exit__(self, *exc):
        if self.group is not None:
            self.group.collecting(False)
        super().__exit__(*exc)

    def commit(self) -> None:
        if self.group is None or self._collected is None:
            return super().commit()
        writes = [*self._collected, *((self.group.insert(self.storage.outbox), row) for row in self.outbox_rows())]
        if not writes:  # nothing new (a request from another system, known by its id there)
            return
        self.group.collecting(False)
        try:
            with tracking_code_refused(writes[0][1].get("tracking_code", "")):
                self.group.commit(writes)
        finally:
            self._collected.clear()
            self._outgoing = []
            self.group.collecting(True)

