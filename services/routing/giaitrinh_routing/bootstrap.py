"""Routing's composition root."""
from __future__ import annotations

from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_routing.adapters import orm
from giaitrinh_routing.adapters.time_limits import load_rule_book
from giaitrinh_routing.domain.calendar import WorkingDayCalendar
from giaitrinh_routing.domain.case import Case
from giaitrinh_routing.service_layer import handlers
from giaitrinh_routing.service_layer.unit_of_work import RoutingUnitOfWork
from giaitrinh_routing.settings import RoutingSettings


class RoutingRuntime(ServiceRuntime):
    service = "routing"
    metadata = orm.metadata
    unit_of_work_class = RoutingUnitOfWork

    def __init__(self, settings: RoutingSettings, **kwargs):
        super().__init__(settings, **kwargs)
        self.rules = load_rule_book()
        self.calendar = WorkingDayCalendar()

    def handlers(self):
        return {"vn.giaitrinh.request.submitted.v1":
                lambda ev, uow: handlers.on_request_submitted(ev, uow, self.now(), self.rules,
                                                             self.calendar)}

    def act(self, cmd: handlers.ActOnCase) -> Case:
        """Take an official's (or the requester's) action on a case, in one transaction."""
        with self.unit_of_work() as uow:
            case = handlers.act_on_case(cmd, uow, self.rules, self.calendar, self.now())
            uow.commit()
            return case


def bootstrap(settings: RoutingSettings | None = None, **kwargs) -> RoutingRuntime:
    return RoutingRuntime(settings or RoutingSettings.from_env(), **kwargs)
