"""Routing's composition root."""
from __future__ import annotations

import logging

from giaitrinh_common.file_inspector import ContentInspector
from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_common.worker import PeriodicJob
from giaitrinh_routing.adapters import orm
from giaitrinh_routing.adapters.repository import AlertAlreadyRaised, AuditHeadMoved
from giaitrinh_routing.adapters.time_limits import load_rule_book
from giaitrinh_routing.domain.calendar import WorkingDayCalendar, local_date
from giaitrinh_routing.domain.case import Action, Case
from giaitrinh_routing.domain.deadline_watch import WatchPolicy
from giaitrinh_routing.service_layer import handlers
from giaitrinh_routing.service_layer.unit_of_work import RoutingUnitOfWork
from giaitrinh_routing.settings import RoutingSettings

log = logging.getLogger(__name__)


class RoutingRuntime(ServiceRuntime):
    service = "routing"
    metadata = orm.metadata
    unit_of_work_class = RoutingUnitOfWork

    def __init__(self, settings: RoutingSettings, **kwargs):
        super().__init__(settings, **kwargs)
        self.rules = load_rule_book()
        self.calendar = WorkingDayCalendar()
        self.watch_policy = WatchPolicy(settings.due_soon_working_days,
                                        settings.escalate_after_working_days)
        self.inspector = ContentInspector()  # an answer's files, judged by their content

    def handlers(self):
        def requester(action: Action):
            return lambda ev, uow: handlers.on_requester_action(ev, action, uow, self.rules, self.calendar,
                                                                self.now(), self.watch_policy)
        return {"vn.giaitrinh.request.submitted.v1":
                lambda ev, uow: handlers.on_request_submitted(ev, uow, self.now(), self.rules,
                                                             self.calendar, self.watch_policy),
                "vn.giaitrinh.request.withdrawn.v1": requester(Action.WITHDRAW),
                "vn.giaitrinh.request.disputed.v1": requester(Action.DISPUTE)}

    def jobs(self):
        return (PeriodicJob("deadline-watcher", self.settings.watch_every_seconds, self.watch),)

    def watch(self, limit: int = 500) -> int:
        """One sweep of the deadline watcher over up to ``limit`` cases with an alert due
        today, in one transaction; return how many alerts were raised. If another worker is
        sweeping the same cases (an alert's unique key, or the audit head, moved), each case
        is tried alone and those the other worker did are left to it."""
        now = self.now()
        with self.unit_of_work() as uow:
            due = uow.cases.due_for_watch(local_date(now), limit)
            commitments = handlers.watch_commitments(uow, now, self.calendar, self.watch_policy, limit)
            uow.commit()
        try:
            return commitments + self._watch(due, now)
        except (AlertAlreadyRaised, AuditHeadMoved):
            raised = 0
            for case_id in due:
                try:
                    raised += self._watch([case_id], now)
                except (AlertAlreadyRaised, AuditHeadMoved):
                    log.info("deadline watcher: case %s was swept by another worker", case_id)
            return raised

    def watch_cases(self, case_ids: list[str]) -> int:
        """The watcher on these cases only (the operator's ``giaitrinh routing watch --case``),
        each in a transaction of its own; how many alerts were raised. A case the worker's
        sweep is doing at the same moment is left to it (its alerts are raised once either way)."""
        now, raised = self.now(), 0
        for case_id in case_ids:
            try:
                raised += self._watch([case_id], now)
            except (AlertAlreadyRaised, AuditHeadMoved):
                log.info("deadline watcher: case %s was swept by another worker", case_id)
        return raised

    def _watch(self, case_ids: list[str], now) -> int:
        with self.unit_of_work() as uow:
            raised = handlers.watch_cases(case_ids, uow, now, self.calendar, self.watch_policy)
            uow.commit()
            return raised

    def complete_commitment(self, commitment_id: str, actor, evidence: str):
        with self.unit_of_work() as uow:
            commitment = handlers.complete_commitment(commitment_id, actor, evidence, uow, self.now())
            uow.commit()
            return commitment

    def set_locality_served(self, code: str, served: bool, actor_id: str):
        """Enable or disable a locality (the provincial admin), in one transaction; a code the
        registry does not hold yet is looked up in the official list."""
        from giaitrinh_routing.adapters.reference_data import official_locality
        with self.unit_of_work() as uow:
            locality = handlers.set_locality_served(uow, code, served, actor_id, self.now(), official_locality)
            uow.commit()
            return locality

    def import_units(self, rows, actor_id: str) -> dict[str, int]:
        """Add or change units (all rows valid, or none written), in one transaction."""
        with self.unit_of_work() as uow:
            counts = handlers.import_units(uow, rows, actor_id, self.now())
            uow.commit()
            return counts

    def set_rule(self, rule, actor_id: str) -> None:
        with self.unit_of_work() as uow:
            handlers.set_rule(uow, rule, actor_id, self.now())
            uow.commit()

    def act(self, cmd: handlers.ActOnCase) -> Case:
        """Take an official's (or the requester's) action on a case, in one transaction."""
        with self.unit_of_work() as uow:
            case = handlers.act_on_case(cmd, uow, self.rules, self.calendar, self.now(),
                                        self.watch_policy, self.inspector)
            uow.commit()
            return case


def bootstrap(settings: RoutingSettings | None = None, **kwargs) -> RoutingRuntime:
    return RoutingRuntime(settings or RoutingSettings.from_env(), **kwargs)
