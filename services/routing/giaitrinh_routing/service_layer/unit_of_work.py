from __future__ import annotations

from giaitrinh_common.storage import SqlUnitOfWork
from giaitrinh_routing.adapters import events_out
from giaitrinh_routing.adapters.case_files import SqlCaseFiles
from giaitrinh_routing.adapters.early_withdrawals import SqlEarlyWithdrawals
from giaitrinh_routing.adapters.repository import (
    SqlAuditTrail,
    SqlCaseRepository,
    SqlCommitments,
    SqlDeadlineAlerts,
    SqlLocalityRegistry,
    SqlUnitRegistry,
)
from giaitrinh_routing.adapters.requesters import SqlRequesters
from giaitrinh_routing.domain.audit import AuditEntry


class RoutingUnitOfWork(SqlUnitOfWork):
    """Routing's transaction. On commit, the steps recorded by every case it saved become
    contract events on ``giaitrinh.cases.v1`` and entries of the audit log — the one place
    domain events turn into them — together with everything else the transaction wrote. The
    keys given to an answer's files join its ``case.answered`` here, and nothing else."""

    cases: SqlCaseRepository
    localities: SqlLocalityRegistry
    alerts: SqlDeadlineAlerts
    units: SqlUnitRegistry
    commitments: SqlCommitments
    requesters: SqlRequesters
    early_withdrawals: SqlEarlyWithdrawals
    files: SqlCaseFiles

    def __enter__(self):
        super().__enter__()
        self.cases = SqlCaseRepository(self.session)
        self.localities = SqlLocalityRegistry(self.session)
        self.alerts = SqlDeadlineAlerts(self.session)
        self.units = SqlUnitRegistry(self.session)
        self.commitments = SqlCommitments(self.session)
        self.requesters = SqlRequesters(self.session)
        self.early_withdrawals = SqlEarlyWithdrawals(self.session)
        self.files = SqlCaseFiles(self.session)
        self._audit: list[AuditEntry] = []
        return self

    def record(self, entry: AuditEntry) -> None:
        """Queue an audit entry for a change that is not a case step (registry, alerts, …)."""
        self._audit.append(entry)

    def commit(self) -> None:
        entries = list(self._audit)
        for case in self.cases.seen:
            for step in case.events:
                self.emit(events_out.CASES_TOPIC, events_out.case_step(case, step, file_keys=self.files.keys_given))
                entries.append(events_out.audit_entry(case, step))
            case.events.clear()
        self.cases.seen.clear()
        assert self.session is not None
        SqlAuditTrail(self.session).append(entries)
        self._audit = []
        super().commit()
