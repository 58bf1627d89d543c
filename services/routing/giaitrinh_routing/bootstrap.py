"""Routing's composition root."""
from __future__ import annotations

from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_routing.adapters import orm
from giaitrinh_routing.service_layer import handlers
from giaitrinh_routing.service_layer.unit_of_work import RoutingUnitOfWork
from giaitrinh_routing.settings import RoutingSettings


class RoutingRuntime(ServiceRuntime):
    service = "routing"
    metadata = orm.metadata
    unit_of_work_class = RoutingUnitOfWork

    def handlers(self):
        return {"vn.giaitrinh.request.submitted.v1":
                lambda ev, uow: handlers.on_request_submitted(ev, uow, self.now())}


def bootstrap(settings: RoutingSettings | None = None, **kwargs) -> RoutingRuntime:
    return RoutingRuntime(settings or RoutingSettings.from_env(), **kwargs)
