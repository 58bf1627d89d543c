"""Notify's composition root."""
from __future__ import annotations

from giaitrinh_common.runtime import ServiceRuntime
from giaitrinh_notify.adapters import orm
from giaitrinh_notify.domain.messages import NOTICES
from giaitrinh_notify.service_layer import handlers
from giaitrinh_notify.service_layer.unit_of_work import NotifyUnitOfWork
from giaitrinh_notify.settings import NotifySettings


class NotifyRuntime(ServiceRuntime):
    service = "notify"
    metadata = orm.metadata
    unit_of_work_class = NotifyUnitOfWork

    def handlers(self):
        return {event_type: lambda ev, uow: handlers.tell_requester(ev, uow, self.now())
                for event_type in NOTICES}


def bootstrap(settings: NotifySettings | None = None, **kwargs) -> NotifyRuntime:
    return NotifyRuntime(settings or NotifySettings.from_env(), **kwargs)
